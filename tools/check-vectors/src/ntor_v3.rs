//! Kinds `ntor_v3` and `ntor_v3_reject` (proposal 332).
//!
//! Positive cases run both sides deterministically (through `ntor_v3::hazmat`) and compare
//! the onion skin, the reply, the messages, every intermediate, the key stream and the
//! circuit keys. Reject cases must be refused by the side they name; for relay-side cases
//! the `reply_message` callback must also never have seen the client's message.

use crate::util::{Checker, Report, cases, hex_array, hex_field, id, int_field, str_field};
use core::cell::RefCell;
use onionskin::KeyMaterial;
use onionskin::handshake::ntor_v3::{
    self, KeySeed, RelayKeys, RelayPublicKey, RelaySecretKey, Verification, hazmat,
};
use serde_json::Value;

/// The first `n` bytes of `b` (all of it if shorter).
fn head(b: &[u8], n: usize) -> &[u8] {
    b.get(..n).unwrap_or(b)
}

/// The inputs both sides share.
struct Relay {
    id: [u8; 32],
    b_pub: [u8; 32],
    ver: Verification,
}

fn relay_inputs(c: &mut Checker, case: &Value) -> Option<Relay> {
    let id = hex_array::<32>(c, case, "ID");
    let b_pub = hex_array::<32>(c, case, "B");
    let ver = hex_field(c, case, "VER");
    let ver = c.ok("VER", Verification::new(&ver))?;
    Some(Relay { id, b_pub, ver })
}

fn relay_keys(c: &mut Checker, case: &Value, r: &Relay) -> RelayKeys {
    let key = RelaySecretKey::from_bytes(&secret(c, case, "b"));
    c.eq("B (from b)", key.public_key(), &r.b_pub);
    RelayKeys::new(r.id, key).with_verification(r.ver.clone())
}

/// A stored X25519 secret, checked to be clamped as the vector README promises (so that a
/// changed low bit, which X25519 would clamp away, is still noticed).
fn secret(c: &mut Checker, case: &Value, name: &str) -> [u8; 32] {
    let s = hex_array::<32>(c, case, name);
    if s[0] & 7 != 0 || s[31] & 0xc0 != 0x40 {
        c.fail(format!("{name} is not clamped"));
    }
    s
}

fn public_key(r: &Relay) -> RelayPublicKey {
    RelayPublicKey::new(r.id, r.b_pub).with_verification(r.ver.clone())
}

/// The Ed25519 public key of a 32-byte seed (RFC 8032 5.1.5), to check `ID`.
fn ed25519_public(seed: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha512};
    let h = Sha512::digest(seed);
    let mut scalar = [0u8; 32];
    for (s, b) in scalar.iter_mut().zip(h.iter()) {
        *s = *b;
    }
    curve25519_dalek::EdwardsPoint::mul_base_clamped(scalar)
        .compress()
        .to_bytes()
}

fn key_outputs(c: &mut Checker, side: &str, case: &Value, stream: KeySeed, keys: KeySeed) {
    let want = hex_field(c, case, "keystream");
    let len = usize::try_from(int_field(c, case, "key_len")).unwrap_or(0);
    let mut got = vec![0u8; len];
    c.ok("keystream", stream.expand_into(&mut got));
    c.eq(&format!("{side} keystream"), &got, &want);
    let k = keys.circuit_keys();
    let Some(want) = case.get("keys") else {
        c.fail("field keys missing");
        return;
    };
    for (name, got) in [
        ("Df", &k.df()[..]),
        ("Db", &k.db()[..]),
        ("Kf", &k.kf()[..]),
        ("Kb", &k.kb()[..]),
        ("KH", &k.kh()[..]),
    ] {
        let w = hex_field(c, want, name);
        c.eq(&format!("{side} keys.{name}"), got, &w);
    }
}

fn check_case(case: &Value) -> Vec<String> {
    let mut c = Checker::default();
    let Some(r) = relay_inputs(&mut c, case) else {
        return c.errors;
    };
    let seed = hex_field(&mut c, case, "ed25519_identity_seed");
    c.eq(
        "ID (from ed25519_identity_seed)",
        &ed25519_public(&seed),
        &r.id,
    );
    let keys = relay_keys(&mut c, case, &r);
    let x = secret(&mut c, case, "x");
    let y = secret(&mut c, case, "y");
    let cm = hex_field(&mut c, case, "CM");
    let sm = hex_field(&mut c, case, "SM");
    let want_skin = hex_field(&mut c, case, "onionskin");
    let want_reply = hex_field(&mut c, case, "reply");
    let field = |c: &mut Checker, n: &str| hex_array::<32>(c, case, n);
    let want = [
        ("ENC_K1", field(&mut c, "ENC_K1")),
        ("MAC_K1", field(&mut c, "MAC_K1")),
        ("msg_mac", field(&mut c, "msg_mac")),
        ("key_seed", field(&mut c, "key_seed")),
        ("verify", field(&mut c, "verify")),
        ("ENC_KEY", field(&mut c, "ENC_KEY")),
        ("auth", field(&mut c, "auth")),
    ];
    let want_of = |n: &str| {
        want.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| *v)
            .unwrap_or([0; 32])
    };
    let want_big_x = hex_array::<32>(&mut c, case, "X");
    c.eq("X (from x)", &ntor_v3_public(&x), &want_big_x);
    let want_big_y = hex_array::<32>(&mut c, case, "Y");
    c.eq("Y (from y)", &ntor_v3_public(&y), &want_big_y);

    // Client, first half (twice: one state per key-material check).
    let pk = public_key(&r);
    let mut skin = [0u8; ntor_v3::MAX_ONION_SKIN_LEN];
    let mut states = Vec::new();
    for _ in 0..2 {
        let Some((state, len, t)) = c.ok(
            "client start",
            hazmat::client_start_with_x(&x, &pk, &cm, &mut skin),
        ) else {
            return c.errors;
        };
        c.eq("client onionskin", head(&skin, len), &want_skin);
        c.eq("client ENC_K1", &t.enc_k1, &want_of("ENC_K1"));
        c.eq("client MAC_K1", &t.mac_k1, &want_of("MAC_K1"));
        c.eq("client msg_mac", &t.msg_mac, &want_of("msg_mac"));
        states.push(state);
    }

    // Relay, from the expected onion skin (twice, for the same reason).
    let mut seeds = Vec::new();
    for _ in 0..2 {
        let seen = RefCell::new(None);
        let mut reply = [0u8; ntor_v3::MAX_REPLY_LEN];
        let r = hazmat::relay_respond_with_y(
            &y,
            &keys,
            &want_skin,
            |got_cm, out| {
                *seen.borrow_mut() = Some(got_cm.to_vec());
                out.get_mut(..sm.len())?.copy_from_slice(&sm);
                Some(sm.len())
            },
            &mut reply,
        );
        let Some((seed, len, t)) = c.ok("relay respond", r) else {
            return c.errors;
        };
        c.eq(
            "relay CM",
            seen.borrow().as_deref().unwrap_or_default(),
            &cm,
        );
        c.eq("relay reply", head(&reply, len), &want_reply);
        for (name, got) in [
            ("ENC_K1", t.enc_k1),
            ("MAC_K1", t.mac_k1),
            ("msg_mac", t.msg_mac),
            ("key_seed", t.key_seed),
            ("verify", t.verify),
            ("ENC_KEY", t.enc_key),
            ("auth", t.auth),
        ] {
            c.eq(&format!("relay {name}"), &got, &want_of(name));
        }
        seeds.push(seed);
    }
    if let (Some(b), Some(a)) = (seeds.pop(), seeds.pop()) {
        key_outputs(&mut c, "relay", case, a, b);
    }

    // Client, second half, from the expected reply.
    let mut client_seeds = Vec::new();
    for state in states {
        let mut got_sm = [0u8; ntor_v3::MAX_REPLY_LEN];
        let Some((seed, n, t)) = c.ok(
            "client finish",
            hazmat::client_finish_with_intermediates(state, &want_reply, &mut got_sm),
        ) else {
            return c.errors;
        };
        c.eq("client SM", head(&got_sm, n), &sm);
        for (name, got) in [
            ("msg_mac", t.msg_mac),
            ("key_seed", t.key_seed),
            ("verify", t.verify),
            ("ENC_KEY", t.enc_key),
            ("auth", t.auth),
        ] {
            c.eq(&format!("client {name}"), &got, &want_of(name));
        }
        client_seeds.push(seed);
    }
    if let (Some(b), Some(a)) = (client_seeds.pop(), client_seeds.pop()) {
        key_outputs(&mut c, "client", case, a, b);
    }
    c.errors
}

/// `X` for a secret `x`, through the public API: the onion skin's third field.
fn ntor_v3_public(secret: &[u8; 32]) -> [u8; 32] {
    RelaySecretKey::from_bytes(secret).public_key().to_owned()
}

pub(crate) fn check(doc: &Value, report: &mut Report) -> bool {
    for case in cases(doc) {
        report.case(&id(case), check_case(case));
    }
    true
}

fn check_reject_case(case: &Value) -> Vec<String> {
    let mut c = Checker::default();
    if str_field(&mut c, case, "expected") != "reject" {
        c.fail("expected is not \"reject\"");
    }
    let Some(r) = relay_inputs(&mut c, case) else {
        return c.errors;
    };
    match str_field(&mut c, case, "side") {
        "server" => {
            let keys = relay_keys(&mut c, case, &r);
            let y = secret(&mut c, case, "y");
            let skin = hex_field(&mut c, case, "onionskin");
            let called = RefCell::new(false);
            let mut reply = [0u8; ntor_v3::MAX_REPLY_LEN];
            let result = hazmat::relay_respond_with_y(
                &y,
                &keys,
                &skin,
                |_, _| {
                    *called.borrow_mut() = true;
                    Some(0)
                },
                &mut reply,
            );
            if let Ok((_, len, _)) = result {
                c.fail(format!(
                    "relay accepted the onion skin (reply {})",
                    hex::encode(head(&reply, len))
                ));
            }
            if *called.borrow() {
                c.fail("relay showed the client message to reply_message");
            }
        }
        "client" => {
            let x = secret(&mut c, case, "x");
            let cm = hex_field(&mut c, case, "CM");
            let want_skin = hex_field(&mut c, case, "client_onionskin");
            let reply = hex_field(&mut c, case, "reply");
            let want_big_x = hex_array::<32>(&mut c, case, "X");
            c.eq("X (from x)", &ntor_v3_public(&x), &want_big_x);
            let mut skin = [0u8; ntor_v3::MAX_ONION_SKIN_LEN];
            let Some((state, len, _)) = c.ok(
                "client start",
                hazmat::client_start_with_x(&x, &public_key(&r), &cm, &mut skin),
            ) else {
                return c.errors;
            };
            // VER is bound at start (phase 1) and kept in the state; C tor instead takes it
            // again at finish. So for the wrong-VER case, the state recreated with the
            // case's VER sent a skin that differs from `client_onionskin` (made with the
            // original VER) in its encrypted message and MAC only. Everything else must match.
            let reason = str_field(&mut c, case, "reason");
            if reason.contains("verification string") {
                c.eq(
                    "client_onionskin[..96]",
                    &skin[..96],
                    want_skin.get(..96).unwrap_or(&[]),
                );
                if len != want_skin.len() {
                    c.fail("client_onionskin length differs");
                }
            } else {
                c.eq("client_onionskin", head(&skin, len), &want_skin);
            }
            if state.finish(&reply).is_ok() {
                c.fail("client accepted the reply");
            }
        }
        other => c.fail(format!("unknown side {other:?}")),
    }
    c.errors
}

pub(crate) fn check_reject(doc: &Value, report: &mut Report) -> bool {
    for case in cases(doc) {
        report.case(&id(case), check_reject_case(case));
    }
    true
}
