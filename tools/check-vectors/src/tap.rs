//! Kinds `tap` and `tap_reject` (tor-spec 5.1.3): every positive case is rebuilt from its
//! secrets on both sides; every reject case must be refused by the side it names.

// Slices below are of fixed-size arrays at constant offsets.
#![allow(clippy::indexing_slicing)]

use crate::util::{Checker, Report, cases, hex_array, hex_field, id, int_field, str_field};
use onionskin::KeyMaterial;
use onionskin::handshake::tap::{self, RelayKeys, RelayPublicKey, RelaySecretKey, hazmat};
use serde_json::Value;
use sha1::{Digest, Sha1};

/// Loads the onion key of a case (both halves, from PKCS#1 DER) and checks its encodings.
fn onion_key(c: &mut Checker, key: &Value) -> Option<RelaySecretKey> {
    let private = hex_field(c, key, "private_der_pkcs1");
    let public = hex_field(c, key, "public_der_pkcs1");
    let secret = c.ok("private key", RelaySecretKey::from_pkcs1_der(&private))?;
    if let Some(p) = c.ok("public key", RelayPublicKey::from_pkcs1_der(&public))
        && &p != secret.public_key()
    {
        c.fail("public and private DER give different keys");
    }
    c.eq(
        "public_der_pkcs1",
        &secret.public_key().to_pkcs1_der(),
        &public,
    );
    expect(c, "n", &secret.public_key().modulus_be(), key, "n");
    if key.get("public_der_sha1").is_some() {
        expect(
            c,
            "public_der_sha1",
            &Sha1::digest(&public),
            key,
            "public_der_sha1",
        );
    }
    // The secret fields must be the ones in the DER, and p q must be n.
    let der_has =
        |needle: &[u8]| !needle.is_empty() && private.windows(needle.len()).any(|w| w == needle);
    for name in ["d", "p", "q"] {
        let v = hex_field(c, key, name);
        let v = &v[v.iter().position(|&b| b != 0).unwrap_or(v.len())..];
        if !der_has(v) {
            c.fail(format!("onion_key.{name} is not in private_der_pkcs1"));
        }
    }
    let big =
        |c: &mut Checker, name: &str| num_bigint::BigUint::from_bytes_be(&hex_field(c, key, name));
    if big(c, "p") * big(c, "q") != big(c, "n") {
        c.fail("onion_key: p q != n");
    }
    if int_field(c, key, "e") != 65537 {
        c.fail("e is not 65537");
    }
    Some(secret)
}

/// Compares `got` with the hex field `name` of `v`.
fn expect(c: &mut Checker, field: &str, got: &[u8], v: &Value, name: &str) {
    let want = hex_field(c, v, name);
    c.eq(field, got, &want);
}

pub(crate) fn check(doc: &Value, report: &mut Report) -> bool {
    let all = cases(doc);
    for (i, case) in all.iter().enumerate() {
        let mut c = Checker::default();
        check_case(&mut c, case, all.get((i + 1) % all.len()));
        report.case(&id(case), c.errors);
    }
    true
}

fn check_case(c: &mut Checker, case: &Value, other: Option<&Value>) {
    let Some(secret) = case.get("onion_key").and_then(|k| onion_key(c, k)) else {
        c.fail("no usable onion_key");
        return;
    };
    let public = secret.public_key().clone();
    let x: [u8; 40] = hex_array(c, case, "x");
    let y: [u8; 40] = hex_array(c, case, "y");
    let k: [u8; 16] = hex_array(c, case, "sym_key_K");
    let seed: [u8; 20] = hex_array(c, case, "oaep_seed");
    let gx: [u8; 128] = hex_array(c, case, "gx");
    let gy: [u8; 128] = hex_array(c, case, "gy");
    let skin_want: [u8; 186] = hex_array(c, case, "onionskin");
    let reply_want = hex_field(c, case, "reply");
    let kdf_want = hex_field(c, case, "kdf_tor_out_92");
    let material_want = hex_field(c, case, "key_material_72");

    // Client side: g^x, the OAEP plaintext and block, the onion skin.
    c.eq("gx", &hazmat::dh_public(&x), &gx);
    let mut plaintext = [0u8; 86];
    plaintext[..16].copy_from_slice(&k);
    plaintext[16..].copy_from_slice(&gx[..70]);
    expect(
        c,
        "oaep_plaintext_K_M1",
        &plaintext,
        case,
        "oaep_plaintext_K_M1",
    );
    let em = hazmat::oaep_encode(&plaintext, &seed);
    expect(c, "oaep_encoded_EM", &em, case, "oaep_encoded_EM");
    let (state, skin) = hazmat::client_start_with_x(&x, &public, &k, &seed);
    c.eq("onionskin", &skin, &skin_want);

    // Relay side, from the expected skin: the RSA block decrypts to EM; the reply and keys.
    let mut c1 = [0u8; 128];
    c1.copy_from_slice(&skin_want[..128]);
    let (em_relay, in_range) = hazmat::rsa_decrypt_raw(&secret, &c1);
    if !in_range {
        c.fail("relay: RSA block reported >= n");
    }
    expect(
        c,
        "relay oaep_encoded_EM",
        &em_relay,
        case,
        "oaep_encoded_EM",
    );
    c.eq("gy", &hazmat::dh_public(&y), &gy);
    expect(c, "gxy", &hazmat::dh_shared(&y, &gx), case, "gxy");
    let keys = RelayKeys::new(secret.clone());
    if let Some((seed_relay, reply)) = c.ok(
        "relay respond",
        hazmat::relay_respond_with_y(&y, &keys, &skin_want),
    ) {
        c.eq("reply", &reply, &reply_want);
        expect(c, "kh", &reply[128..], case, "kh");
        let mut out = [0u8; 92];
        if c.ok(
            "relay kdf",
            hazmat::kdf_tor_from_start(&seed_relay, &mut out),
        )
        .is_some()
        {
            c.eq("relay kdf_tor_out_92", &out, &kdf_want);
        }
        check_keys(c, "relay", seed_relay, case, &material_want);
    }
    // The same skin under (another key, this key) as (current, previous) must also work.
    if let Some(other_key) = other
        .and_then(|o| o.get("onion_key"))
        .and_then(|k| onion_key(c, k))
    {
        let keys = RelayKeys::new(other_key).with_previous(secret.clone());
        match hazmat::relay_respond_with_y(&y, &keys, &skin_want) {
            Ok((_, reply)) => c.eq("reply via previous onion key", &reply, &reply_want),
            Err(e) => c.fail(format!("previous onion key not tried: {e:?}")),
        }
    }

    // Client finish on the expected reply.
    if let Ok(reply) = <[u8; 148]>::try_from(reply_want.as_slice()) {
        if let Some(seed_client) = c.ok("client finish", state.finish(&reply)) {
            let mut out = [0u8; 92];
            if c.ok(
                "client kdf",
                hazmat::kdf_tor_from_start(&seed_client, &mut out),
            )
            .is_some()
            {
                c.eq("client kdf_tor_out_92", &out, &kdf_want);
            }
            check_keys(c, "client", seed_client, case, &material_want);
        }
    } else {
        c.fail("reply is not 148 bytes");
    }
    // K0 (informational in the file, but it is what KDF-TOR hashes).
    let k0 = hex_field(c, case, "k0");
    let gxy = hazmat::dh_shared(&y, &gx);
    let first = gxy.iter().position(|&b| b != 0).unwrap_or(gxy.len());
    c.eq("k0", &gxy[first..], &k0);
    // What a left-padded K0 would give (only listed where g^xy has a leading zero byte).
    if case.get("kdf_tor_out_92_if_k0_padded").is_some() {
        let mut padded = [0u8; 92];
        if c.ok("kdf_tor", onionskin::kdf::kdf_tor(&[&gxy], &mut padded))
            .is_some()
        {
            expect(
                c,
                "kdf_tor_out_92_if_k0_padded",
                &padded,
                case,
                "kdf_tor_out_92_if_k0_padded",
            );
            if padded[..] == kdf_want[..] {
                c.fail("padded and minimal K0 give the same keys");
            }
        }
    }
}

fn check_keys(c: &mut Checker, side: &str, seed: tap::KeySeed, case: &Value, material: &[u8]) {
    let mut rest = [0u8; 72];
    let keys_json = case.get("keys").cloned().unwrap_or(Value::Null);
    // expand_into consumes the seed; rebuild the circuit keys from the material it gives.
    if c.ok("expand_into", seed.expand_into(&mut rest)).is_some() {
        c.eq(&format!("{side} key_material_72"), &rest, material);
        expect(c, &format!("{side} Df"), &rest[..20], &keys_json, "Df");
        expect(c, &format!("{side} Db"), &rest[20..40], &keys_json, "Db");
        expect(c, &format!("{side} Kf"), &rest[40..56], &keys_json, "Kf");
        expect(c, &format!("{side} Kb"), &rest[56..72], &keys_json, "Kb");
    }
}

pub(crate) fn check_reject(doc: &Value, report: &mut Report) -> bool {
    for case in cases(doc) {
        let mut c = Checker::default();
        let side = str_field(&mut c, case, "side").to_owned();
        match side.as_str() {
            "server" => reject_server(&mut c, case),
            "client" => reject_client(&mut c, case),
            other => c.fail(format!("unknown side {other:?}")),
        }
        report.case(&id(case), c.errors);
    }
    true
}

fn reject_server(c: &mut Checker, case: &Value) {
    let Some(secret) = case.get("onion_key").and_then(|k| onion_key(c, k)) else {
        c.fail("no usable onion_key");
        return;
    };
    let y: [u8; 40] = hex_array(c, case, "y");
    let skin = hex_field(c, case, "onionskin");
    if skin.is_empty() {
        return;
    }
    let keys = RelayKeys::new(secret);
    let result = hazmat::relay_respond_with_y(&y, &keys, &skin).map(|_| ());
    if result.is_ok() {
        c.fail("relay accepted an onion skin it must reject");
    }
}

fn reject_client(c: &mut Checker, case: &Value) {
    let x: [u8; 40] = hex_array(c, case, "x");
    let gx: [u8; 128] = hex_array(c, case, "gx");
    let reply = hex_field(c, case, "reply");
    if reply.is_empty() {
        return;
    }
    c.eq("gx", &hazmat::dh_public(&x), &gx);
    let state = hazmat::client_state_from_secret(&x);
    if state.finish(&reply).is_ok() {
        c.fail("client accepted a reply it must reject");
    }
}
