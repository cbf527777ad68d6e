//! tor1 relay-cell crypto and the onion-service layer against `test-vectors/tor1.json`
//! (tor-spec 6.1, 7.3.1; rend-spec-v3 5.2), through the same replay as `check_vectors`:
//! every case passes, and a file with one bit changed anywhere that matters fails.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    unreachable_pub,
    dead_code
)]

#[path = "../src/tor1.rs"]
mod tor1;
#[path = "../src/util.rs"]
mod util;

use serde_json::Value;

fn doc() -> Value {
    let path = format!(
        "{}/../../test-vectors/tor1.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run(doc: &Value) -> util::Report {
    let mut report = util::Report::default();
    assert!(tor1::check(doc, &mut report));
    report
}

#[test]
fn every_case_passes() {
    let doc = doc();
    let report = run(&doc);
    assert_eq!(report.failures, Vec::<String>::new());
    let expected = doc["count"].as_u64().unwrap() + doc["hs_count"].as_u64().unwrap();
    assert_eq!(report.passed as u64, expected);
    assert_eq!(report.passed, 6);
}

/// Flips the low bit of the hex digit at `at` in the string field `field` of `v`.
fn flip(v: &mut Value, field: &str, at: usize) {
    let s = v[field].as_str().unwrap();
    let mut bytes = s.as_bytes().to_vec();
    let d = u8::from_str_radix(std::str::from_utf8(&bytes[at..=at]).unwrap(), 16).unwrap() ^ 1;
    bytes[at] = format!("{d:x}").as_bytes()[0];
    v[field] = Value::String(String::from_utf8(bytes).unwrap());
}

#[test]
fn corrupted_files_fail() {
    // (path to a cell or hop, field, hex digit) — a wire byte, a key, the plaintext's digest,
    // a padding byte, the SENDME tag, and the onion-service layer's keys and ciphertext.
    type Edit = (&'static str, usize, usize, &'static str, usize);
    let edits: [Edit; 7] = [
        ("cases", 1, 3, "wire", 700),
        ("cases", 0, 2, "payload", 12),
        ("cases", 3, 5, "padding", 40),
        ("cases", 1, 6, "sendme_tag", 39),
        ("hs_cases", 0, 4, "e2e_ciphertext", 1017),
        ("hs_cases", 1, 1, "payload", 1),
        ("cases", 2, 0, "data", 0),
    ];
    for (list, case, cell, field, at) in edits {
        let mut doc = doc();
        let target = &mut doc[list][case]["cells"][cell];
        if field == "wire" {
            let n = target["wire"].as_array().unwrap().len();
            flip(&mut target["wire"][n - 1], "payload", at);
        } else if target[field].as_str().unwrap().is_empty() {
            target[field] = Value::String("00".into());
        } else {
            flip(target, field, at);
        }
        let report = run(&doc);
        assert!(
            report.failed >= 1,
            "{list}[{case}] cell {cell} {field} changed, yet all passed"
        );
    }
    let mut doc = doc();
    flip(&mut doc["cases"][0]["hop_keys"][0]["keys"], "Kf", 5);
    flip(&mut doc["cases"][0]["hop_keys"][0], "key_material", 85);
    assert_eq!(run(&doc).failed, 1, "a changed key must fail its case");
    let mut doc = self::doc();
    flip(&mut doc["hs_cases"][0]["keys"], "Db", 0);
    assert!(run(&doc).failed >= 1);
}
