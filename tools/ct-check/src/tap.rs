//! TAP (tor-spec 5.1.3): relay respond (RSA-1024 CRT private operation, OAEP decoding, the
//! `g^x` range check, DH-1024 with a secret exponent, KDF-TOR over the minimal `K0`) and
//! client start/finish, on the vectors of test-vectors/tap.json (case 7 has a `g^xy` with a
//! leading zero byte, so a shorter `K0`), and the rejects of tap_reject.json.
//!
//! The RSA key is parsed from its DER unmarked (loading a key is not on the network path),
//! then its whole CRT form (`p`, `q`, `dp`, `dq`, `qinv`, and the Montgomery constants made
//! from them) is marked secret; `d` itself is not kept by the key.

use crate::paths::{Ctx, check_eq, check_keys, expect_failed, lib, marked, why};
use crate::vg;
use core::hint::black_box;
use onionskin::handshake::tap::hazmat::{
    client_start_with_x, client_state_from_secret, relay_respond_with_y, rsa_crt,
};
use onionskin::handshake::tap::{ONION_SKIN_LEN, REPLY_LEN, RelayKeys, RelaySecretKey};
use serde_json::Value;

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/tap.json"
));
const REJECTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/tap_reject.json"
));

struct Case {
    id: String,
    key: RelaySecretKey,
    x: [u8; 40],
    k: [u8; 16],
    seed: [u8; 20],
    skin: [u8; ONION_SKIN_LEN],
    y: [u8; 40],
    reply: [u8; REPLY_LEN],
    key_material: Vec<u8>,
}

fn field(case: &Value, name: &str) -> Result<Vec<u8>, String> {
    let s = case
        .get(name)
        .and_then(Value::as_str)
        .ok_or(format!("vector field {name} missing"))?;
    hex::decode(s).map_err(|e| format!("vector field {name}: {e}"))
}

fn array<const N: usize>(case: &Value, name: &str) -> Result<[u8; N], String> {
    field(case, name)?
        .try_into()
        .map_err(|v: Vec<u8>| format!("vector field {name}: {} bytes, want {N}", v.len()))
}

fn key_of(case: &Value) -> Result<RelaySecretKey, String> {
    let der = field(
        case.get("onion_key").unwrap_or(&Value::Null),
        "private_der_pkcs1",
    )?;
    RelaySecretKey::from_pkcs1_der(&der).map_err(|e| format!("onion key: {e:?}"))
}

fn cases(file: &str) -> Result<Vec<Value>, String> {
    let doc: Value = serde_json::from_str(file).map_err(|e| e.to_string())?;
    doc.get("cases")
        .and_then(Value::as_array)
        .cloned()
        .ok_or(String::from("no cases"))
}

fn vectors() -> Result<Vec<Case>, String> {
    cases(VECTORS)?
        .iter()
        .map(|c| {
            Ok(Case {
                id: c.get("id").and_then(Value::as_str).unwrap_or("?").into(),
                key: key_of(c)?,
                x: array(c, "x")?,
                k: array(c, "sym_key_K")?,
                seed: array(c, "oaep_seed")?,
                skin: array(c, "onionskin")?,
                y: array(c, "y")?,
                reply: array(c, "reply")?,
                key_material: field(c, "key_material_72")?,
            })
        })
        .collect()
}

/// Case `i` (wrapping around).
fn nth(all: &[Case], i: usize) -> Result<&Case, String> {
    all.get(i % all.len().max(1))
        .ok_or(String::from("tap.json has no cases"))
}

/// The vector cases in the order runs use them: the leading-zero `K0` case first.
fn order(n: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| (i + n - 1) % n)
}

/// Relay keys with their CRT secrets marked. `black_box(&mut keys)` after the marks makes
/// the compiler treat every field as changed, so nothing loaded before the mark is reused.
fn marked_keys(current: &RelaySecretKey, previous: Option<&RelaySecretKey>) -> RelayKeys {
    let mut keys = RelayKeys::new(current.clone());
    if let Some(p) = previous {
        keys = keys.with_previous(p.clone());
    }
    vg::secret_ref(rsa_crt(keys.current()));
    if let Some(p) = keys.previous() {
        vg::secret_ref(rsa_crt(p));
    }
    black_box(&mut keys);
    keys
}

/// Relay respond with the RSA CRT secrets and `y` marked. Alternate runs put the skin's key
/// in the "previous" slot, so the second OAEP decryption and the masked choice run too.
pub(crate) fn relay_respond(ctx: &mut Ctx) -> Result<(), String> {
    let all = vectors()?;
    for (run, i) in order(all.len()).take(ctx.runs).enumerate() {
        let (c, other) = (nth(&all, i)?, nth(&all, i + 1)?);
        let keys = if run % 2 == 0 {
            marked_keys(&c.key, Some(&other.key))
        } else {
            marked_keys(&other.key, Some(&c.key))
        };
        let (seed, mut reply) = lib(
            &format!("TAP relay {}", c.id),
            relay_respond_with_y(&marked(&c.y), &keys, &c.skin),
        )?;
        vg::public(&mut reply, why::WIRE);
        check_eq("TAP reply", &mut reply, &c.reply)?;
        check_keys("TAP relay keys", seed, &c.key_material)?;
    }
    Ok(())
}

/// Relay respond rejecting every server-side case of tap_reject.json of the right length:
/// `g^x` out of range (0, 1, p-1, p, p+1, all ones), OAEP failures (corrupt block, wrong key,
/// bad lHash, bad leading byte) and a ciphertext >= n; once with the current key only, once
/// with a previous key as well.
pub(crate) fn relay_reject(ctx: &mut Ctx) -> Result<(), String> {
    let all = vectors()?;
    let mut checked = 0;
    for c in cases(REJECTS)? {
        if c.get("side").and_then(Value::as_str) != Some("server") {
            continue;
        }
        let id = c.get("id").and_then(Value::as_str).unwrap_or("?");
        let Ok(skin) = array::<ONION_SKIN_LEN>(&c, "onionskin") else {
            continue; // a wrong length is a type error here, not a secret-dependent one
        };
        let key_ref = c.get("onion_key_ref").and_then(Value::as_str).unwrap_or("");
        let key = &all
            .iter()
            .find(|v| v.id == key_ref)
            .ok_or(format!("{id}: no key {key_ref}"))?
            .key;
        let y: [u8; 40] = array(&c, "y")?;
        for previous in [None, Some(&nth(&all, ctx.runs)?.key)] {
            let keys = marked_keys(key, previous);
            expect_failed(id, relay_respond_with_y(&marked(&y), &keys, &skin))?;
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(String::from("no server-side reject case"));
    }
    Ok(())
}

/// Client start (OAEP encoding and RSA encryption of the secret `K | g^x`, the secret
/// `g^x = g^x mod p`) and finish (`g^xy`, the `g^y` range check, KH) with `x`, `K` and the
/// OAEP seed marked.
pub(crate) fn client_finish(ctx: &mut Ctx) -> Result<(), String> {
    let all = vectors()?;
    for i in order(all.len()).take(ctx.runs) {
        let c = nth(&all, i)?;
        let (state, mut skin) = client_start_with_x(
            &marked(&c.x),
            c.key.public_key(),
            &marked(&c.k),
            &marked(&c.seed),
        );
        vg::public(&mut skin, why::WIRE);
        check_eq("TAP onion skin", &mut skin, &c.skin)?;
        let seed = lib(
            &format!("TAP client finish {}", c.id),
            state.finish(&c.reply),
        )?;
        check_keys("TAP client keys", seed, &c.key_material)?;
    }
    Ok(())
}

/// Client finish rejecting every client-side case of tap_reject.json of the right length:
/// `g^y` out of range (0, 1, p-1, p, all ones) and a flipped KH.
pub(crate) fn client_reject(_ctx: &mut Ctx) -> Result<(), String> {
    let mut checked = 0;
    for c in cases(REJECTS)? {
        if c.get("side").and_then(Value::as_str) != Some("client") {
            continue;
        }
        let id = c.get("id").and_then(Value::as_str).unwrap_or("?");
        let Ok(reply) = array::<REPLY_LEN>(&c, "reply") else {
            continue;
        };
        let state = client_state_from_secret(&marked(&array::<40>(&c, "x")?));
        expect_failed(id, state.finish(&reply))?;
        checked += 1;
    }
    if checked == 0 {
        return Err(String::from("no client-side reject case"));
    }
    Ok(())
}
