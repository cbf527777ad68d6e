//! Kinds `hs_ntor` and `hs_ntor_reject` (rend-spec-v3 3.3.2, 4.2, 4.2.1).
//!
//! Positive cases run the client and the service deterministically (through
//! `hs_ntor::hazmat`) and the messages through `codec::hs`, and compare every field the file
//! gives: keys, ENCRYPTED, the MAC under every subcredential the service holds, the
//! subcredential found, the plaintext and its decoded fields, HANDSHAKE_INFO, the
//! RENDEZVOUS1 body and the key material. The concatenated inputs the file shows
//! (`intro_secret_hs_input`, `rend_secret_hs_input`, `auth_input`) are rebuilt from their
//! parts. Reject cases must be refused by the side they name, and a refused INTRODUCE2 must
//! not have written any plaintext.

use crate::ntor_v3::ed25519_public;
use crate::util::{Checker, Report, cases, hex_array, hex_field, id, int_field, str_field};
use onionskin::codec::hs::{Introduce1, Introduce2, IntroducePlaintext, Rendezvous1};
use onionskin::codec::{LinkSpec, LinkSpecType, RelayMsgBody};
use onionskin::handshake::hs_ntor::{
    MAX_INTRODUCE_BODY_LEN, ServiceKeys, ServicePublicKey, ServiceSecretKey, Subcredential, hazmat,
};
use onionskin::x25519::x25519;
use serde_json::Value;
use sha3::digest::{Digest, ExtendableOutput, Update, XofReader};

const PROTOID: &[u8] = b"tor-hs-ntor-curve25519-sha3-256-1";

/// A stored X25519 secret, checked to be clamped as the vector README promises.
fn secret(c: &mut Checker, case: &Value, name: &str) -> [u8; 32] {
    let s = hex_array::<32>(c, case, name);
    if s[0] & 7 != 0 || s[31] & 0xc0 != 0x40 {
        c.fail(format!("{name} is not clamped"));
    }
    s
}

/// The first `n` bytes of `b` (all of it if shorter).
fn head(b: &[u8], n: usize) -> &[u8] {
    b.get(..n).unwrap_or(b)
}

fn public(secret: &[u8; 32]) -> [u8; 32] {
    *ServiceSecretKey::from_bytes(secret).public_key()
}

fn subcredentials(c: &mut Checker, case: &Value) -> Vec<Subcredential> {
    let Some(list) = case.get("subcredentials").and_then(Value::as_array) else {
        c.fail("field subcredentials missing");
        return Vec::new();
    };
    list.iter()
        .map(|s| {
            let b = s.as_str().and_then(|s| hex::decode(s).ok());
            match b.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
                Some(b) => Subcredential::new(b),
                None => {
                    c.fail("a subcredential is not 32 bytes of hex");
                    Subcredential::new([0; 32])
                }
            }
        })
        .collect()
}

/// `MAC(MAC_KEY, header | X | ciphertext)` under one subcredential (`encrypted` is `X | ciphertext | MAC`), computed independently
/// with the `sha3` crate from `EXP(B,x)` (rend-spec-v3 [NTOR-WITH-EXTRA-DATA]).
fn service_mac(
    intro_secret: &[u8],
    subcred: &[u8; 32],
    header: &[u8],
    encrypted: &[u8],
) -> [u8; 32] {
    let mut xof = sha3::Shake256::default();
    xof.update(intro_secret);
    xof.update(b"tor-hs-ntor-curve25519-sha3-256-1:hs_key_extract");
    xof.update(b"tor-hs-ntor-curve25519-sha3-256-1:hs_key_expand");
    xof.update(subcred);
    let mut keys = [0u8; 64];
    xof.finalize_xof().read(&mut keys);
    let mac_key = &keys[32..];
    let body = encrypted
        .get(..encrypted.len().saturating_sub(32))
        .unwrap_or_default();
    let mut h = sha3::Sha3_256::new();
    Digest::update(&mut h, 32u64.to_be_bytes());
    Digest::update(&mut h, mac_key);
    Digest::update(&mut h, header);
    Digest::update(&mut h, body);
    h.finalize().into()
}

fn check_plaintext_fields(c: &mut Checker, case: &Value, plaintext: &[u8], header_len: usize) {
    let Some(f) = case.get("plaintext_fields").filter(|f| !f.is_null()) else {
        return;
    };
    let Some(p) = c.ok("plaintext decode", IntroducePlaintext::decode(plaintext)) else {
        return;
    };
    let want = hex_field(c, f, "rendezvous_cookie");
    c.eq("plaintext rendezvous_cookie", p.rendezvous_cookie(), &want);
    let want = hex_field(c, f, "onion_key");
    c.eq("plaintext onion_key", p.onion_key(), &want);
    let want_ty = int_field(c, f, "onion_key_type");
    let want_len = int_field(c, f, "onion_key_len");
    if (want_ty, want_len) != (1, 32) {
        c.fail(format!(
            "onion key type {want_ty}, length {want_len}: decoded as 1, 32"
        ));
    }
    let exts = f
        .get("extensions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if p.extensions().len() != exts.len() {
        c.fail(format!(
            "plaintext has {} extensions, file says {}",
            p.extensions().len(),
            exts.len()
        ));
    }
    for (got, want) in p.extensions().iter().zip(exts) {
        if u64::from(got.ty().0) != int_field(c, want, "type")
            || got.body().len() as u64 != int_field(c, want, "len")
        {
            c.fail("plaintext extension type or length");
        }
        let value = hex_field(c, want, "value");
        c.eq("plaintext extension value", got.body(), &value);
    }
    let specs = f
        .get("link_specifiers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if p.link_specifiers().len() != specs.len() {
        c.fail("number of link specifiers");
    }
    for (got, want) in p.link_specifiers().iter().zip(specs) {
        let lstype = LinkSpecType(u8::try_from(int_field(c, want, "lstype")).unwrap_or(0xff));
        let lspec = hex_field(c, want, "lspec");
        if got.lslen() as u64 != int_field(c, want, "lslen") {
            c.fail(format!("link specifier length {}", got.lslen()));
        }
        match LinkSpec::from_parts(lstype, &lspec) {
            Ok(w) if w == got => {}
            other => c.fail(format!("link specifier {got:?}, file says {other:?}")),
        }
    }
    if p.pad().len() as u64 != int_field(c, f, "pad_len") {
        c.fail(format!("PAD is {} bytes", p.pad().len()));
    }
    if str_field(c, case, "plaintext_style") == "ctor_pad" {
        let mut again = [0u8; MAX_INTRODUCE_BODY_LEN];
        if let Some(n) = c.ok("plaintext encode", p.encode_padded(header_len, &mut again)) {
            c.eq("plaintext (C tor padding)", head(&again, n), plaintext);
        }
    }
}

#[allow(clippy::too_many_lines)] // one case, field by field
fn check_case(case: &Value) -> Vec<String> {
    let mut c = Checker::default();
    let auth_key = hex_array::<32>(&mut c, case, "auth_key");
    let seed = hex_field(&mut c, case, "auth_key_seed");
    c.eq(
        "auth_key (from auth_key_seed)",
        &ed25519_public(&seed),
        &auth_key,
    );
    let b = secret(&mut c, case, "b");
    let big_b = hex_array::<32>(&mut c, case, "B");
    c.eq("B (from b)", &public(&b), &big_b);
    let x = secret(&mut c, case, "x");
    let big_x = hex_array::<32>(&mut c, case, "X");
    c.eq("X (from x)", &public(&x), &big_x);
    let y = secret(&mut c, case, "y");
    let big_y = hex_array::<32>(&mut c, case, "Y");
    c.eq("Y (from y)", &public(&y), &big_y);
    let held = subcredentials(&mut c, case);
    let index = usize::try_from(int_field(&mut c, case, "subcredential_index")).unwrap_or(0);
    let subcred = hex_array::<32>(&mut c, case, "subcredential");
    match held.get(index) {
        Some(s) => c.eq(
            "subcredentials[subcredential_index]",
            s.as_bytes(),
            &subcred,
        ),
        None => c.fail("subcredential_index out of range"),
    }
    let header = hex_field(&mut c, case, "header");
    let plaintext = hex_field(&mut c, case, "plaintext");
    if plaintext.len() as u64 != int_field(&mut c, case, "plaintext_len") {
        c.fail("plaintext_len");
    }
    let want_encrypted = hex_field(&mut c, case, "encrypted");
    let ciphertext = hex_field(&mut c, case, "ciphertext");
    let mac = hex_array::<32>(&mut c, case, "mac");
    c.eq(
        "encrypted (X | ciphertext | mac)",
        &[&big_x[..], &ciphertext, &mac].concat(),
        &want_encrypted,
    );
    let body = hex_field(&mut c, case, "introduce1_body");
    c.eq(
        "introduce1_body (header | encrypted)",
        &[&header[..], &want_encrypted].concat(),
        &body,
    );

    // The concatenated inputs, rebuilt from their parts.
    let bx = x25519(&x, &big_b);
    let intro_secret = [&bx[..], &auth_key, &big_x, &big_b, PROTOID].concat();
    let want = hex_field(&mut c, case, "intro_secret_hs_input");
    c.eq("intro_secret_hs_input", &intro_secret, &want);
    let rend_secret = [
        &x25519(&y, &big_x)[..],
        &x25519(&b, &big_x),
        &auth_key,
        &big_b,
        &big_x,
        &big_y,
        PROTOID,
    ]
    .concat();
    let want = hex_field(&mut c, case, "rend_secret_hs_input");
    c.eq("rend_secret_hs_input", &rend_secret, &want);
    let verify = hex_array::<32>(&mut c, case, "verify");
    let auth_input = [
        &verify[..],
        &auth_key,
        &big_b,
        &big_y,
        &big_x,
        PROTOID,
        b"Server",
    ]
    .concat();
    let want = hex_field(&mut c, case, "auth_input");
    c.eq("auth_input", &auth_input, &want);

    // The header through the codec.
    if let Some(m) = c.ok("INTRODUCE1 decode", Introduce1::decode(&body)) {
        c.eq("INTRODUCE1 header", m.header(), &header);
        c.eq("INTRODUCE1 encrypted", m.encrypted(), &want_encrypted);
        c.eq("INTRODUCE1 auth_key", m.auth_key(), &auth_key);
        if let Some(f) = case.get("header_fields") {
            let want = hex_field(&mut c, f, "legacy_key_id");
            c.eq("header legacy_key_id", &[0; 20], &want);
            if int_field(&mut c, f, "auth_key_type") != 2
                || int_field(&mut c, f, "auth_key_len") != 32
            {
                c.fail("header auth key type or length");
            }
            if m.extensions().len() as u64 != int_field(&mut c, f, "n_extensions") {
                c.fail("header n_extensions");
            }
            let exts = f
                .get("extensions")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if exts.len() != m.extensions().len() {
                c.fail("header extensions");
            }
            for (got, want) in m.extensions().iter().zip(exts) {
                if u64::from(got.ty().0) != int_field(&mut c, want, "type")
                    || got.body().len() as u64 != int_field(&mut c, want, "len")
                {
                    c.fail("header extension type or length");
                }
                let want = hex_field(&mut c, want, "value");
                c.eq("header extension value", got.body(), &want);
            }
        } else {
            c.fail("field header_fields missing");
        }
        let mut again = [0u8; MAX_INTRODUCE_BODY_LEN];
        if let Some(m) = c.ok(
            "INTRODUCE1 new",
            Introduce1::new(&auth_key, m.extensions(), m.encrypted()),
        ) && let Some(n) = c.ok("INTRODUCE1 encode", m.encode_into(&mut again))
        {
            c.eq("INTRODUCE1 re-encoded", head(&again, n), &body);
        }
    }

    // Client, first half.
    let pk = ServicePublicKey {
        enc_key: big_b,
        auth_key,
        subcredential: Subcredential::new(subcred),
    };
    let mut encrypted = [0u8; MAX_INTRODUCE_BODY_LEN];
    let Some((state, n, t)) = c.ok(
        "client start",
        hazmat::client_start_with_x(&x, &pk, &header, &plaintext, &mut encrypted),
    ) else {
        return c.errors;
    };
    c.eq("client encrypted", head(&encrypted, n), &want_encrypted);
    let want = hex_field(&mut c, case, "ENC_KEY");
    c.eq("client ENC_KEY", &t.enc_key, &want);
    let want = hex_field(&mut c, case, "MAC_KEY");
    c.eq("client MAC_KEY", &t.mac_key, &want);
    c.eq("client mac", &t.mac, &mac);

    // The MAC under every subcredential the service holds.
    let want_macs = case
        .get("service_macs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if want_macs.len() != held.len() {
        c.fail("service_macs and subcredentials differ in length");
    }
    for (i, (s, want)) in held.iter().zip(want_macs).enumerate() {
        let want = want
            .as_str()
            .and_then(|w| hex::decode(w).ok())
            .unwrap_or_default();
        let got = service_mac(&intro_secret, s.as_bytes(), &header, &want_encrypted);
        c.eq(&format!("service_macs[{i}]"), &got, &want);
    }

    // Service, from the file's INTRODUCE1 body as INTRODUCE2.
    let keys = ServiceKeys::new(auth_key, ServiceSecretKey::from_bytes(&b));
    let Some(intro2) = c.ok("INTRODUCE2 decode", Introduce2::decode(&body)) else {
        return c.errors;
    };
    let mut decrypted = [0u8; MAX_INTRODUCE_BODY_LEN];
    let Some((accepted, st)) = c.ok(
        "service respond",
        hazmat::service_respond_with_y(
            &y,
            &keys,
            &held,
            intro2.header(),
            intro2.encrypted(),
            &mut decrypted,
        ),
    ) else {
        return c.errors;
    };
    if accepted.subcredential_index != index {
        c.fail(format!(
            "service found subcredential {}",
            accepted.subcredential_index
        ));
    }
    c.eq(
        "service plaintext",
        head(&decrypted, accepted.plaintext_len),
        &plaintext,
    );
    let want = hex_field(&mut c, case, "ENC_KEY");
    c.eq("service ENC_KEY", &st.enc_key, &want);
    c.eq("service mac", &st.mac, &mac);
    let want = hex_field(&mut c, case, "NTOR_KEY_SEED");
    c.eq("service NTOR_KEY_SEED", &st.ntor_key_seed, &want);
    c.eq("service verify", &st.verify, &verify);
    let want = hex_field(&mut c, case, "AUTH_INPUT_MAC");
    c.eq("service AUTH_INPUT_MAC", &st.auth_input_mac, &want);
    let want_info = hex_field(&mut c, case, "handshake_info");
    c.eq(
        "service handshake_info",
        accepted.handshake_info.as_bytes(),
        &want_info,
    );
    check_plaintext_fields(&mut c, case, &plaintext, header.len());

    // RENDEZVOUS1 with the plaintext's cookie.
    let cookie = hex_array::<20>(&mut c, case, "rendezvous_cookie");
    if let Some(p) = case.get("plaintext_fields").filter(|f| !f.is_null()) {
        let want = hex_field(&mut c, p, "rendezvous_cookie");
        c.eq("rendezvous_cookie (from the plaintext)", &cookie, &want);
    }
    let rend1 = Rendezvous1::new(&cookie, accepted.handshake_info.as_bytes());
    let mut out = [0u8; 100];
    if let Some(n) = c.ok("RENDEZVOUS1 encode", rend1.encode_into(&mut out)) {
        let want = hex_field(&mut c, case, "rendezvous1_body");
        c.eq("rendezvous1_body", head(&out, n), &want);
    }

    // Client, second half, from the file's HANDSHAKE_INFO; then both sides' keys.
    let Some((client_seed, ct)) = c.ok(
        "client finish",
        hazmat::client_finish_with_intermediates(state, &want_info),
    ) else {
        return c.errors;
    };
    let want = hex_field(&mut c, case, "NTOR_KEY_SEED");
    c.eq("client NTOR_KEY_SEED", &ct.ntor_key_seed, &want);
    let want = hex_field(&mut c, case, "AUTH_INPUT_MAC");
    c.eq("client AUTH_INPUT_MAC", &ct.auth_input_mac, &want);
    let want_k = hex_field(&mut c, case, "key_material");
    let len = usize::try_from(int_field(&mut c, case, "key_len")).unwrap_or(0);
    let mut got = vec![0u8; len];
    client_seed.expand_into(&mut got);
    c.eq("client key_material", &got, &want_k);
    let k = accepted.key_seed.relay_keys();
    let Some(want) = case.get("keys") else {
        c.fail("field keys missing");
        return c.errors;
    };
    for (name, got) in [
        ("Df", &k.df()[..]),
        ("Db", &k.db()[..]),
        ("Kf", &k.kf()[..]),
        ("Kb", &k.kb()[..]),
    ] {
        let w = hex_field(&mut c, want, name);
        c.eq(&format!("service keys.{name}"), got, &w);
    }
    c.eq(
        "key_material (Df | Db | Kf | Kb)",
        want_k.get(..128).unwrap_or_default(),
        &[&k.df()[..], k.db(), k.kf(), k.kb()].concat(),
    );
    c.errors
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
    let auth_key = hex_array::<32>(&mut c, case, "auth_key");
    let big_b = hex_array::<32>(&mut c, case, "B");
    let header = hex_field(&mut c, case, "header");
    let encrypted = hex_field(&mut c, case, "encrypted");
    match str_field(&mut c, case, "side") {
        "service" => {
            let b = secret(&mut c, case, "b");
            c.eq("B (from b)", &public(&b), &big_b);
            let y = secret(&mut c, case, "y");
            let held = subcredentials(&mut c, case);
            let keys = ServiceKeys::new(auth_key, ServiceSecretKey::from_bytes(&b));
            let mut out = [0x5au8; MAX_INTRODUCE_BODY_LEN];
            let r = hazmat::service_respond_with_y(&y, &keys, &held, &header, &encrypted, &mut out);
            if let Ok((a, _)) = r {
                c.fail(format!(
                    "service accepted INTRODUCE2 (subcredential {})",
                    a.subcredential_index
                ));
            }
            if out.iter().any(|&b| b != 0x5a) {
                c.fail("service wrote plaintext for a refused INTRODUCE2");
            }
        }
        "client" => {
            let x = secret(&mut c, case, "x");
            let want_x = hex_field(&mut c, case, "X");
            c.eq("X (from x)", &public(&x), &want_x);
            let pk = ServicePublicKey {
                enc_key: big_b,
                auth_key,
                subcredential: Subcredential::new(hex_array::<32>(&mut c, case, "subcredential")),
            };
            let plaintext = hex_field(&mut c, case, "plaintext");
            let mut out = [0u8; MAX_INTRODUCE_BODY_LEN];
            let Some((state, n, _)) = c.ok(
                "client start",
                hazmat::client_start_with_x(&x, &pk, &header, &plaintext, &mut out),
            ) else {
                return c.errors;
            };
            c.eq("client encrypted", head(&out, n), &encrypted);
            let info = hex_field(&mut c, case, "handshake_info");
            if state.finish(&info).is_ok() {
                c.fail("client accepted HANDSHAKE_INFO");
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
