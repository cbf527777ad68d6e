//! Kinds `create_fast` and `create_fast_reject` (tor-spec 5.1.5, 5.2.1).
//!
//! Positive cases are replayed from `X` and `Y` through the hazmat entry points: the
//! CREATE_FAST body, the CREATED_FAST reply, `K0`, the 92 bytes of KDF-TOR, `KH`, the 72 bytes
//! of key material and the split keys, on the relay side and on the client side (which checks
//! the *expected* reply).

use crate::ntor::check_keys;
use crate::util::{self, Checker, Report};
use onionskin::handshake::fast::{self, HASH_LEN, hazmat};
use onionskin::{KeyMaterial, kdf};
use serde_json::Value;

fn check_seed(
    c: &mut Checker,
    side: &str,
    seed: fast::KeySeed,
    again: fast::KeySeed,
    material: &[u8],
    kh: &[u8],
    keys: &Value,
) {
    let mut out = vec![0u8; material.len()];
    if c.ok(&format!("expand_into ({side})"), seed.expand_into(&mut out))
        .is_some()
    {
        c.eq(&format!("key_material_72 ({side})"), &out, material);
    }
    let split = again.circuit_keys();
    c.eq(&format!("kh ({side}, circuit_keys)"), split.kh(), kh);
    check_keys(c, side, &split, keys);
}

pub(crate) fn check(doc: &Value, report: &mut Report) -> bool {
    for case in util::cases(doc) {
        let mut c = Checker::default();
        let x = util::hex_array::<HASH_LEN>(&mut c, case, "X");
        let y = util::hex_array::<HASH_LEN>(&mut c, case, "Y");
        let body = util::hex_array::<HASH_LEN>(&mut c, case, "create_fast_body");
        let k0 = util::hex_field(&mut c, case, "k0");
        let reply = util::hex_array::<{ fast::REPLY_LEN }>(&mut c, case, "reply");
        let kh = util::hex_field(&mut c, case, "kh");
        let out92 = util::hex_field(&mut c, case, "kdf_tor_out_92");
        let material = util::hex_field(&mut c, case, "key_material_72");
        let keys_json = case.get("keys").cloned().unwrap_or(Value::Null);

        // KDF-TOR as a public primitive, on K0 = X | Y.
        c.eq("k0 (X | Y)", &[x, y].concat(), &k0);
        let mut out = vec![0u8; out92.len()];
        if c.ok("kdf_tor", kdf::kdf_tor(&[&x, &y], &mut out)).is_some() {
            c.eq("kdf_tor_out_92", &out, &out92);
        }

        // Relay side, on the expected body.
        let relay = || hazmat::relay_respond_with_y(&y, &body);
        if let (Some((seed, got_reply)), Ok((again, _))) = (c.ok("relay_respond", relay()), relay())
        {
            c.eq("reply (relay)", &got_reply, &reply);
            c.eq(
                "kh (relay reply)",
                got_reply.get(HASH_LEN..).unwrap_or_default(),
                &kh,
            );
            check_seed(&mut c, "relay", seed, again, &material, &kh, &keys_json);
        }

        // Client side, on the expected reply.
        let (state, got_body) = hazmat::client_start_with_x(&x);
        c.eq("create_fast_body (client)", &got_body, &body);
        let finish = |state: fast::ClientState| state.finish(&reply);
        if let Some(seed) = c.ok("client finish", finish(state)) {
            match finish(hazmat::client_start_with_x(&x).0) {
                Ok(again) => check_seed(&mut c, "client", seed, again, &material, &kh, &keys_json),
                Err(e) => c.fail(format!("client finish (second run): {e:?}")),
            }
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
        match util::str_field(&mut c, case, "side") {
            "client" => {
                let x = util::hex_array::<HASH_LEN>(&mut c, case, "X");
                let reply = util::hex_field(&mut c, case, "reply");
                let (state, _) = hazmat::client_start_with_x(&x);
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
