//! Shared helpers: reading hex fields and counting per-case results.

use serde_json::Value;

/// Counts cases and collects failure messages.
#[derive(Default)]
pub struct Report {
    pub passed: usize,
    pub failed: usize,
    pub failures: Vec<String>,
}

impl Report {
    /// Records one case: it passes only if `errors` is empty.
    pub fn case(&mut self, id: &str, errors: Vec<String>) {
        if errors.is_empty() {
            self.passed += 1;
        } else {
            self.failed += 1;
            for e in errors {
                self.failures.push(format!("{id}: {e}"));
            }
        }
    }
}

/// Collects the mismatches of one case.
#[derive(Default)]
pub struct Checker {
    pub errors: Vec<String>,
}

impl Checker {
    /// Records a mismatch between what the crate produced and the expected bytes.
    pub fn eq(&mut self, field: &str, got: &[u8], want: &[u8]) {
        if got != want {
            self.errors.push(format!(
                "{field}: got {}, expected {}",
                hex::encode(got),
                hex::encode(want)
            ));
        }
    }
    /// Records a failure with a free-form message.
    pub fn fail(&mut self, msg: impl Into<String>) {
        self.errors.push(msg.into());
    }
    /// Records an `Err` as a failure and returns the `Ok` value.
    pub fn ok<T, E: std::fmt::Debug>(&mut self, what: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(format!("{what}: unexpected error {e:?}"));
                None
            }
        }
    }
}

/// The `cases` array of a vector file (empty if absent).
pub fn cases(doc: &Value) -> &[Value] {
    doc.get("cases")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The case's `id` (or `name`) for messages.
pub fn id(case: &Value) -> String {
    case.get("id")
        .or_else(|| case.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

/// A hex string field, decoded. Missing or malformed fields are reported through `c`.
pub fn hex_field(c: &mut Checker, v: &Value, name: &str) -> Vec<u8> {
    match v.get(name).and_then(Value::as_str).map(hex::decode) {
        Some(Ok(b)) => b,
        _ => {
            c.fail(format!("field {name} missing or not hex"));
            Vec::new()
        }
    }
}

/// A hex field that must have exactly `N` bytes.
pub fn hex_array<const N: usize>(c: &mut Checker, v: &Value, name: &str) -> [u8; N] {
    let b = hex_field(c, v, name);
    match <[u8; N]>::try_from(b.as_slice()) {
        Ok(a) => a,
        Err(_) => {
            if !b.is_empty() {
                c.fail(format!("field {name} has {} bytes, expected {N}", b.len()));
            }
            [0; N]
        }
    }
}

/// An integer field (JSON number, or a decimal string).
pub fn int_field(c: &mut Checker, v: &Value, name: &str) -> u64 {
    let f = v.get(name);
    match f
        .and_then(Value::as_u64)
        .or_else(|| f.and_then(Value::as_str).and_then(|s| s.parse().ok()))
    {
        Some(n) => n,
        None => {
            c.fail(format!("field {name} missing or not an integer"));
            0
        }
    }
}

/// A string field.
pub fn str_field<'a>(c: &mut Checker, v: &'a Value, name: &str) -> &'a str {
    match v.get(name).and_then(Value::as_str) {
        Some(s) => s,
        None => {
            c.fail(format!("field {name} missing or not a string"));
            ""
        }
    }
}
