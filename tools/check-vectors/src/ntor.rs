//! Kinds `ntor` and `ntor_reject` (tor-spec 5.1.4, 5.2.2).
//!
//! Positive cases are replayed on both sides from the given secrets through the hazmat entry
//! points: the onion skin, the reply, `secret_input`, `KEY_SEED`, `verify`, `AUTH`, the key
//! material (at `key_len`) and the split keys must all match. The relay side answers the
//! *expected* onion skin and the client side checks the *expected* reply, so each side is
//! checked on its own.

use crate::util::{self, Checker, Report};
use onionskin::handshake::ntor::{self, RelayKeys, RelayPublicKey, RelaySecretKey, hazmat};
use onionskin::{CircuitKeys, HandshakeError, KeyMaterial};
use serde_json::Value;

/// Compares split circuit keys with a `keys` object (`Df`, `Db`, `Kf`, `Kb`, and `KH` if
/// present).
pub(crate) fn check_keys(c: &mut Checker, side: &str, got: &CircuitKeys, want: &Value) {
    let fields: [(&str, &[u8]); 5] = [
        ("Df", got.df()),
        ("Db", got.db()),
        ("Kf", got.kf()),
        ("Kb", got.kb()),
        ("KH", got.kh()),
    ];
    for (name, bytes) in fields {
        if name == "KH" && want.get("KH").is_none() {
            continue;
        }
        let w = util::hex_field(c, want, name);
        c.eq(&format!("keys.{name} ({side})"), bytes, &w);
    }
}

/// Checks one side's seed: `key_len` bytes of key material, and (from a second seed of the
/// same handshake) the split circuit keys.
fn check_seed(
    c: &mut Checker,
    side: &str,
    seed: ntor::KeySeed,
    again: Option<ntor::KeySeed>,
    key_len: usize,
    material: &[u8],
    keys: &Value,
) {
    let mut out = vec![0u8; key_len];
    if c.ok(&format!("expand_into ({side})"), seed.expand_into(&mut out))
        .is_some()
    {
        c.eq(&format!("key_material ({side})"), &out, material);
    }
    match again {
        Some(seed) => check_keys(c, side, &seed.circuit_keys(), keys),
        None => c.fail(format!("{side}: second run failed")),
    }
}

/// The vectors store Curve25519 secrets clamped (as tor does); a secret that is not is a
/// corrupted vector even though X25519 would clamp it to the same key.
fn check_clamped(c: &mut Checker, name: &str, k: &[u8; 32]) {
    let mut clamped = *k;
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    if clamped != *k {
        c.fail(format!("{name} is not clamped"));
    }
}

fn check_intermediates(c: &mut Checker, side: &str, got: &hazmat::Intermediates, case: &Value) {
    let fields: [(&str, &[u8]); 4] = [
        ("secret_input", &got.secret_input),
        ("key_seed", &got.key_seed),
        ("verify", &got.verify),
        ("auth", &got.auth),
    ];
    for (name, bytes) in fields {
        let want = util::hex_field(c, case, name);
        c.eq(&format!("{name} ({side})"), bytes, &want);
    }
}

pub(crate) fn check(doc: &Value, report: &mut Report) -> bool {
    for case in util::cases(doc) {
        let mut c = Checker::default();
        let node_id = util::hex_array::<20>(&mut c, case, "node_id");
        let b = util::hex_array::<32>(&mut c, case, "b");
        let big_b = util::hex_array::<32>(&mut c, case, "B");
        let x = util::hex_array::<32>(&mut c, case, "x");
        let big_x = util::hex_array::<32>(&mut c, case, "X");
        let y = util::hex_array::<32>(&mut c, case, "y");
        let big_y = util::hex_array::<32>(&mut c, case, "Y");
        let skin = util::hex_array::<{ ntor::ONION_SKIN_LEN }>(&mut c, case, "onionskin");
        let reply = util::hex_array::<{ ntor::REPLY_LEN }>(&mut c, case, "reply");
        let secret_input = util::hex_field(&mut c, case, "secret_input");
        let material = util::hex_field(&mut c, case, "key_material");
        let key_len = usize::try_from(util::int_field(&mut c, case, "key_len")).unwrap_or(0);
        let keys_json = case.get("keys").cloned().unwrap_or(Value::Null);
        if material.len() != key_len {
            c.fail(format!(
                "key_material has {} bytes, key_len is {key_len}",
                material.len()
            ));
        }

        for (name, k) in [("b", &b), ("x", &x), ("y", &y)] {
            check_clamped(&mut c, name, k);
        }

        // Relay side, from b and y, on the expected onion skin.
        let secret = RelaySecretKey::from_bytes(&b);
        c.eq("B from b", secret.public_key(), &big_b);
        let relay_keys = RelayKeys::new(node_id, secret);
        let relay = || hazmat::relay_respond_with_y(&y, &relay_keys, &skin);
        if let Some((seed, got_reply, im)) = c.ok("relay_respond", relay()) {
            c.eq("reply (relay)", &got_reply, &reply);
            c.eq("Y from y", got_reply.get(..32).unwrap_or_default(), &big_y);
            check_intermediates(&mut c, "relay", &im, case);
            let again = relay().ok().map(|(s, _, _)| s);
            check_seed(&mut c, "relay", seed, again, key_len, &material, &keys_json);
        }

        // Client side, from x, on the expected reply.
        let public = RelayPublicKey::new(node_id, big_b);
        let (state, got_skin) = hazmat::client_start_with_x(&x, &public);
        c.eq("onionskin (client)", &got_skin, &skin);
        c.eq("X from x", got_skin.get(52..).unwrap_or_default(), &big_x);
        let client = |state| hazmat::client_finish_with_intermediates(state, &reply);
        if let Some((seed, im)) = c.ok("client finish", client(state)) {
            check_intermediates(&mut c, "client", &im, case);
            let again = client(hazmat::client_start_with_x(&x, &public).0)
                .ok()
                .map(|(s, _)| s);
            check_seed(
                &mut c, "client", seed, again, key_len, &material, &keys_json,
            );
        }

        // The crate's one HKDF entry point on the expected secret_input (KDF-RFC5869:
        // salt t_key, info m_expand).
        let mut out = vec![0u8; key_len];
        if c.ok("kdf_rfc5869", ntor_kdf_rfc5869(&secret_input, &mut out))
            .is_some()
        {
            c.eq("key_material (kdf_rfc5869)", &out, &material);
        }
        report.case(&util::id(case), c.errors);
    }
    true
}

pub(crate) fn check_reject(doc: &Value, report: &mut Report) -> bool {
    for case in util::cases(doc) {
        let mut c = Checker::default();
        let expected = util::str_field(&mut c, case, "expected");
        if expected != "reject" {
            c.fail(format!("unsupported expectation {expected:?}"));
        }
        let node_id = util::hex_array::<20>(&mut c, case, "node_id");
        let big_b = util::hex_array::<32>(&mut c, case, "B");
        match util::str_field(&mut c, case, "side") {
            "server" => {
                let b = util::hex_array::<32>(&mut c, case, "b");
                let y = util::hex_array::<32>(&mut c, case, "y");
                let skin = util::hex_field(&mut c, case, "onionskin");
                check_clamped(&mut c, "b", &b);
                check_clamped(&mut c, "y", &y);
                let secret = RelaySecretKey::from_bytes(&b);
                c.eq("B from b", secret.public_key(), &big_b);
                let keys = RelayKeys::new(node_id, secret);
                let result = hazmat::relay_respond_with_y(&y, &keys, &skin).map(|_| ());
                if result.is_ok() {
                    c.fail("relay accepted the onion skin");
                }
            }
            "client" => {
                let x = util::hex_array::<32>(&mut c, case, "x");
                let big_x = util::hex_array::<32>(&mut c, case, "X");
                let reply = util::hex_field(&mut c, case, "reply");
                check_clamped(&mut c, "x", &x);
                let (state, skin) =
                    hazmat::client_start_with_x(&x, &RelayPublicKey::new(node_id, big_b));
                c.eq("X from x", skin.get(52..).unwrap_or_default(), &big_x);
                let result = state.finish(&reply).map(|_| ());
                if result.is_ok() {
                    c.fail("client accepted the reply");
                }
            }
            other => c.fail(format!("unknown side {other:?}")),
        }
        report.case(&util::id(case), c.errors);
    }
    true
}

/// KDF-RFC5869 (tor-spec 5.2.2) over `secret_input`: HKDF-SHA256 with `salt = t_key`,
/// `info = m_expand`.
fn ntor_kdf_rfc5869(secret_input: &[u8], out: &mut [u8]) -> Result<(), HandshakeError> {
    onionskin::kdf::hkdf_sha256(ntor::T_KEY, &[secret_input], ntor::M_EXPAND, out)
}
