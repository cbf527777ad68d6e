//! hs-ntor (rend-spec-v3 3.3.2, 4.2): the service's handling of INTRODUCE2, with the cell and
//! its plaintext read through the crate's codec, and the client's check of RENDEZVOUS2.
//!
//! The service is the one of `hs_ntor.json` case `hs_ntor-1-3` (its `AUTH_KEY`, `b` and
//! both subcredentials), plus a third subcredential of its own, so that the service's loop
//! runs over three entries with the client's in the middle or at the start. The service
//! cases of `hs_ntor_reject.json` use the same keys, so they serve as seeds unchanged.
//! The client of [`client_finish`] is case `hs_ntor-1-3`'s, as are the client cases of the
//! reject file.
//!
//! # What must hold
//! The MAC covers every byte of INTRODUCE2 but itself (header, `X`, ciphertext), so an
//! INTRODUCE2 is authentic here only if it is one a harness client made, or the vector's.
//! Any other body the service accepts is a forgery. On every refusal the plaintext buffer
//! must be untouched: the plaintext is decrypted only after the MAC has verified.
//! On the client side, exactly the vector's HANDSHAKE_INFO is accepted, and it gives the
//! vector's keys.

use super::support::{self, hex};
use onionskin::HandshakeError;
use onionskin::codec::RelayMsgBody;
use onionskin::codec::extension::ExtensionList;
use onionskin::codec::hs::{Introduce1, Introduce2, IntroducePlaintext, Rendezvous2};
use onionskin::handshake::hs_ntor::{
    self, ClientState, ENCRYPTED_OVERHEAD, HANDSHAKE_INFO_LEN, MAX_INTRODUCE_BODY_LEN, ServiceKeys,
    ServicePublicKey, ServiceSecretKey, Subcredential, hazmat,
};
use std::sync::OnceLock;

/// `auth_key` of case `hs_ntor-1-3`.
pub const AUTH_KEY: [u8; 32] =
    hex("7900545ebf41a8efbbcfcba594cff6977ba071a8112c319c971e48629284f81e");
/// `b` of case `hs_ntor-1-3`.
pub const ENC_SECRET: [u8; 32] =
    hex("e0a72318f7e3671ed6d69acee50abd0b806f1a2200814006345c9daf5c092763");
/// `subcredentials` of case `hs_ntor-1-3` (the client used the first).
pub const SUBCREDENTIALS: [[u8; 32]; 2] = [
    hex("9ab88484371ff11d7ea5e3bd89546f274d429f8e536e679ae3bbd61c7eaa063d"),
    hex("78bde5fb543ee94501a6be3258d719451726b1a3212d389edc3c05d754b8a145"),
];
/// A third subcredential the harness service holds, first in its list.
pub const OTHER_SUBCREDENTIAL: [u8; 32] = [0x33; 32];
/// `x` of case `hs_ntor-1-3`.
pub const X: [u8; 32] = hex("00c3b528a01596ebe1c0fd49fd8cd7a8831c7fe04317627ded6f1744db31b65c");
/// `introduce1_body` of case `hs_ntor-1-3`.
pub const INTRODUCE1_BODY: [u8; 269] = hex(concat!(
    "00000000000000000000000000000000000000000200207900545ebf41a8efbb",
    "cfcba594cff6977ba071a8112c319c971e48629284f81e020704236c369c4200",
    "3ad16e7ed1befdd17f159644f8e24ecc566e125ba221e7737f3b08318763e362",
    "7237e766bc85b24cb89c48bad2fa0f734fd88804635b66173854135db1119852",
    "92777aa21cfb6c31c6de0769ca35e7c19cc11666e403335d740700fe08101b9f",
    "0e96adc5671ef7a506a9e11dfe5a8724a402441293dd226e59d0571fd198ade3",
    "0d528a46d925dd431d7762896b0a92ae5e3de51e43de8be876d59de33ae21ad5",
    "94fe8e924ac432b155236c3e8eaa52df6fc3183cc108f411c4764b90b36e5edd",
    "660d824fa6fee7f7c25f6cd529"
));
/// The length of case `hs_ntor-1-3`'s header (everything before ENCRYPTED).
pub const HEADER_LEN: usize = 64;
/// The length of a harness client's header: no extensions.
const HARNESS_HEADER_LEN: usize = 20 + 1 + 2 + 32 + 1;
/// `handshake_info` of case `hs_ntor-1-3`.
pub const HANDSHAKE_INFO: [u8; 64] = hex(concat!(
    "826751dbe175a9d8ff7c43621bbd973241543a81369853055b6cadfbacf38b07",
    "3cdf3405b075a2a534c75f415fafab3ba498c7b30c86770745a60a458c9cd296"
));
/// `keys.Df` of case `hs_ntor-1-3`.
pub const DF: [u8; 32] = hex("99a70b5923302356ae3ae0251e7409445f0fc697035c7ba8462cbff78e446061");
/// What the plaintext buffer is filled with before the service runs, to see whether it wrote.
const UNTOUCHED: u8 = 0x5a;

/// The fixed service, built once.
pub fn service() -> &'static ServiceKeys {
    static KEYS: OnceLock<ServiceKeys> = OnceLock::new();
    KEYS.get_or_init(|| ServiceKeys::new(AUTH_KEY, ServiceSecretKey::from_bytes(&ENC_SECRET)))
}

fn subcredentials() -> [Subcredential; 3] {
    [
        Subcredential::new(OTHER_SUBCREDENTIAL),
        Subcredential::new(SUBCREDENTIALS[0]),
        Subcredential::new(SUBCREDENTIALS[1]),
    ]
}

/// What the harness client knows of the service: the vector's subcredential.
fn public() -> ServicePublicKey {
    service().public_key(Subcredential::new(SUBCREDENTIALS[0]))
}

/// A harness client's INTRODUCE1 body carrying `plaintext` behind the vector's header, and
/// its state.
fn harness_intro(plaintext: &[u8]) -> Option<(ClientState, Vec<u8>)> {
    let mut body = vec![0u8; MAX_INTRODUCE_BODY_LEN];
    let header_len = Introduce1::encode_header(&AUTH_KEY, ExtensionList::EMPTY, &mut body)
        .expect("room for a header");
    let (header, rest) = body.split_at_mut(header_len);
    let r = ClientState::start_into(
        &mut support::rng(support::CLIENT),
        &public(),
        header,
        plaintext,
        rest,
    );
    if header_len + ENCRYPTED_OVERHEAD + plaintext.len() > MAX_INTRODUCE_BODY_LEN {
        assert_eq!(r.err(), Some(HandshakeError::Malformed));
        return None;
    }
    let (state, n) = r.expect("a valid service key");
    body.truncate(header_len + n);
    Some((state, body))
}

/// The body the mutation mode starts from: a harness client's, with a short plaintext.
fn harness_body() -> &'static [u8] {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| harness_intro(b"hs-ntor fuzz").expect("fits").1)
}

/// The plaintext an INTRODUCE2 body carries if this harness knows it to be authentic.
fn authentic_plaintext(body: &[u8]) -> Option<Vec<u8>> {
    if body == INTRODUCE1_BODY {
        // Its plaintext, as the vector gives it, is checked by the known-answer tests; here
        // only its length is known.
        return Some(Vec::new());
    }
    (body == harness_body()).then(|| b"hs-ntor fuzz".to_vec())
}

/// Runs the service on `header` and `encrypted` and checks its verdict against the public
/// length rules and `authentic` (the plaintext, if the cell is one the harness knows; empty
/// for the vector's, whose plaintext length alone is checked). Returns what the service
/// accepted.
fn check_service(
    header: &[u8],
    encrypted: &[u8],
    authentic: Option<&[u8]>,
) -> Option<(hs_ntor::ServiceHandshake, Vec<u8>)> {
    let mut out = vec![UNTOUCHED; MAX_INTRODUCE_BODY_LEN];
    let result = hs_ntor::service_respond(
        &mut support::rng(support::RELAY),
        service(),
        &subcredentials(),
        header,
        encrypted,
        &mut out,
    );
    let untouched = out.iter().all(|&b| b == UNTOUCHED);
    let verdict = result.as_ref().map(|_| ()).map_err(|e| *e);
    if encrypted.len() < ENCRYPTED_OVERHEAD
        || header.len() + encrypted.len() > MAX_INTRODUCE_BODY_LEN
    {
        assert_eq!(verdict, Err(HandshakeError::Malformed));
        assert!(
            untouched,
            "plaintext written for a cell of the wrong length"
        );
        return None;
    }
    let Some(want) = authentic else {
        assert_eq!(
            verdict,
            Err(HandshakeError::Failed),
            "service accepted a forged INTRODUCE2"
        );
        assert!(untouched, "plaintext written before the MAC verified");
        return None;
    };
    let accepted = result.expect("service rejects an authentic INTRODUCE2");
    assert_eq!(
        accepted.subcredential_index, 1,
        "the client's subcredential"
    );
    assert_eq!(accepted.plaintext_len, encrypted.len() - ENCRYPTED_OVERHEAD);
    out.truncate(accepted.plaintext_len);
    if !want.is_empty() {
        assert_eq!(out, want, "the plaintext changed on the way");
    }
    Some((accepted, out))
}

/// Reads a decrypted plaintext as a service would: whatever the codec makes of it, a
/// plaintext that decodes re-encodes to the same fields.
fn check_plaintext(plaintext: &[u8]) {
    if let Ok(p) = IntroducePlaintext::decode(plaintext) {
        let mut out = vec![0u8; p.encoded_len()];
        assert_eq!(p.encode_into(&mut out), Ok(out.len()));
        assert_eq!(out, &plaintext[..out.len()]);
        assert_eq!(p.pad(), &plaintext[out.len()..]);
    }
}

/// Decodes `body` as INTRODUCE2 and, where the codec accepts it, runs the service on it.
/// Where the codec refuses it, the service still must not accept its bytes split as the
/// vector's header length splits them.
fn check_body(body: &[u8]) -> Option<(hs_ntor::ServiceHandshake, Vec<u8>)> {
    let authentic = authentic_plaintext(body);
    match Introduce2::decode(body) {
        Ok(m) => {
            assert_eq!(m.header().len() + m.encrypted().len(), body.len());
            assert_eq!(Introduce1::decode(body).map(Introduce2::from), Ok(m));
            let mut again = vec![0u8; body.len()];
            let re = Introduce2::new(m.auth_key(), m.extensions(), m.encrypted())
                .expect("a decoded body re-encodes");
            assert_eq!(re.encode_into(&mut again), Ok(body.len()));
            assert_eq!(again, body);
            let r = check_service(m.header(), m.encrypted(), authentic.as_deref());
            if let Some((_, p)) = &r {
                check_plaintext(p);
            }
            r
        }
        Err(_) => {
            assert!(authentic.is_none(), "codec refused an authentic INTRODUCE2");
            let split = HEADER_LEN.min(body.len());
            let (header, encrypted) = body.split_at(split);
            check_service(header, encrypted, None)
        }
    }
}

/// Service side. Modes: 0, the input is an INTRODUCE2 body; 1, the input mutates a harness
/// client's valid body (see [`support::mutate`]); 2, the input is the plaintext a harness
/// client sends (a round trip through the service and the plaintext codec, then the
/// rendezvous); 3, the first byte is a header length and the rest is split there and handed
/// to the service without the codec.
pub fn service_respond(data: &[u8]) {
    match support::mode(data, 4) {
        Some((0, body)) => {
            let _ = check_body(body);
        }
        Some((1, mask)) => {
            let (state, valid) = harness_intro(b"hs-ntor fuzz").expect("fits");
            assert_eq!(valid, harness_body(), "the client RNG is not deterministic");
            let body = support::mutate(&valid, mask);
            if body != valid {
                assert!(authentic_plaintext(&body).is_none() || body == INTRODUCE1_BODY);
            }
            if let Some((accepted, _)) = check_body(&body)
                && body == valid
            {
                finish_rendezvous(state, accepted);
            }
        }
        Some((2, plaintext)) => {
            let Some((state, body)) = harness_intro(plaintext) else {
                return;
            };
            let m = Introduce2::decode(&body).expect("a harness body decodes");
            let (accepted, got) =
                check_service(m.header(), m.encrypted(), Some(plaintext)).expect("accepted");
            if plaintext.is_empty() {
                assert!(got.is_empty());
            }
            check_plaintext(&got);
            finish_rendezvous(state, accepted);
        }
        Some((_, rest)) => {
            let Some((&at, rest)) = rest.split_first() else {
                return;
            };
            let (header, encrypted) = rest.split_at(usize::from(at).min(rest.len()));
            let whole = [header, encrypted].concat();
            // A known body is authentic only split where its header ends: elsewhere `X` is
            // read from other bytes, so the keys and the MAC differ.
            let header_len = if whole == INTRODUCE1_BODY {
                HEADER_LEN
            } else {
                HARNESS_HEADER_LEN
            };
            let authentic = authentic_plaintext(&whole).filter(|_| header.len() == header_len);
            let _ = check_service(header, encrypted, authentic.as_deref());
        }
        None => {}
    }
}

/// RENDEZVOUS1 → RENDEZVOUS2 → the client: it accepts the service's HANDSHAKE_INFO and both
/// hold the same hs relay keys.
fn finish_rendezvous(state: ClientState, accepted: hs_ntor::ServiceHandshake) {
    let rend2 = Rendezvous2::decode(accepted.handshake_info.as_bytes()).expect("64 bytes");
    let client = state
        .finish(rend2.handshake_info())
        .expect("client rejects the service's HANDSHAKE_INFO");
    assert!(
        client.relay_keys() == accepted.key_seed.relay_keys(),
        "keys differ"
    );
}

/// The vector's client state.
fn vector_client() -> ClientState {
    let pk = ServicePublicKey {
        enc_key: *ServiceSecretKey::from_bytes(&ENC_SECRET).public_key(),
        auth_key: AUTH_KEY,
        subcredential: Subcredential::new(SUBCREDENTIALS[0]),
    };
    let mut out = [0u8; MAX_INTRODUCE_BODY_LEN];
    // The state depends on x and the service's keys only, not on the header or plaintext.
    let (state, _, _) =
        hazmat::client_start_with_x(&X, &pk, &[], &[], &mut out).expect("a valid key");
    state
}

fn check_client(handshake_info: &[u8]) {
    match vector_client().finish(handshake_info) {
        Ok(seed) => {
            assert!(
                handshake_info == HANDSHAKE_INFO,
                "client accepted a HANDSHAKE_INFO the service never sent"
            );
            assert_eq!(seed.relay_keys().df(), &DF);
        }
        Err(e) if handshake_info.len() != HANDSHAKE_INFO_LEN => {
            assert_eq!(e, HandshakeError::Malformed);
        }
        Err(e) => {
            assert!(
                handshake_info != HANDSHAKE_INFO,
                "client rejected the service's reply"
            );
            assert_eq!(e, HandshakeError::Failed);
        }
    }
}

/// Client side. Modes: 0, the input is HANDSHAKE_INFO; 1, the input mutates the vector's
/// HANDSHAKE_INFO; 2, the input is a RENDEZVOUS2 body, read through the codec.
pub fn client_finish(data: &[u8]) {
    match support::mode(data, 3) {
        Some((0, info)) => check_client(info),
        Some((1, mask)) => check_client(&support::mutate(&HANDSHAKE_INFO, mask)),
        Some((_, body)) => match Rendezvous2::decode(body) {
            Ok(m) => {
                assert_eq!(&body[..HANDSHAKE_INFO_LEN], m.handshake_info());
                check_client(m.handshake_info());
            }
            Err(_) => assert!(body.len() < HANDSHAKE_INFO_LEN || body.len() > 498),
        },
        None => {}
    }
}

/// The cells of [`service_respond_batch`]: seventeen harness clients' INTRODUCE1 bodies,
/// each from its own client RNG stream with its own plaintext, so that every cell of a batch
/// is distinct. Built once.
fn batch_bodies() -> &'static [(Vec<u8>, Vec<u8>)] {
    static BODIES: OnceLock<Vec<(Vec<u8>, Vec<u8>)>> = OnceLock::new();
    BODIES.get_or_init(|| {
        (0..17u8)
            .map(|i| {
                let plaintext = [b"hs-ntor fuzz batch ".as_slice(), &[i; 9]].concat();
                let mut body = vec![0u8; MAX_INTRODUCE_BODY_LEN];
                let header_len =
                    Introduce1::encode_header(&AUTH_KEY, ExtensionList::EMPTY, &mut body)
                        .expect("room for a header");
                let (header, rest) = body.split_at_mut(header_len);
                let (_, n) = ClientState::start_into(
                    &mut support::rng(100 + u64::from(i)),
                    &public(),
                    header,
                    &plaintext,
                    rest,
                )
                .expect("a valid service key");
                body.truncate(header_len + n);
                (body, plaintext)
            })
            .collect()
    })
}

/// What the service answered to one cell, comparably: HANDSHAKE_INFO, the first relay key,
/// the subcredential index and the plaintext.
type Answer = Result<([u8; HANDSHAKE_INFO_LEN], [u8; 32], usize, Vec<u8>), HandshakeError>;

fn answer(s: hs_ntor::ServiceHandshake, plaintext: &[u8]) -> Answer {
    assert_eq!(plaintext.len(), s.plaintext_len);
    Ok((
        *s.handshake_info.as_bytes(),
        *s.key_seed.relay_keys().df(),
        s.subcredential_index,
        plaintext.to_vec(),
    ))
}

/// The service's batch entry point (`service_respond_batch`) against `service_respond` one
/// cell at a time. Input: byte 0 picks the batch size n = 1 + byte0 % 17; bit 0 of byte 1
/// whether the service holds the clients' subcredential (else only one they did not use);
/// then, cell by cell, a length byte and that many bytes of mask for [`support::mutate`]
/// applied to that cell's valid body (a cell with no input left stays valid). Each body is
/// split by the codec, or where a harness header ends if the codec refuses it.
///
/// Properties: with the same RNG state, every cell's result in the batch is bit-identical to
/// answering it alone, and the RNG ends in the same state; a cell is accepted exactly when it
/// is a valid body and the service holds its subcredential, and then its plaintext is the
/// client's.
pub fn service_respond_batch(data: &[u8]) {
    let [n, flags, rest @ ..] = data else {
        return;
    };
    let n = 1 + usize::from(*n) % 17;
    let held: Vec<Subcredential> = if flags & 1 == 1 {
        subcredentials().to_vec()
    } else {
        vec![Subcredential::new(OTHER_SUBCREDENTIAL)]
    };
    let valid = batch_bodies();
    let mut input = rest;
    let mut bodies = Vec::with_capacity(n);
    for (body, _) in &valid[..n] {
        match input.split_first() {
            Some((&len, more)) => {
                let (mask, more) = more.split_at(usize::from(len).min(more.len()));
                input = more;
                // An empty mask leaves the cell valid (`mutate` would empty it).
                bodies.push(if mask.is_empty() {
                    body.clone()
                } else {
                    support::mutate(body, mask)
                });
            }
            None => bodies.push(body.clone()),
        }
    }
    let intros: Vec<hs_ntor::Introduction<'_>> = bodies
        .iter()
        .map(|b| match Introduce2::decode(b) {
            Ok(m) => m.into(),
            Err(_) => {
                let (header, encrypted) = b.split_at(HARNESS_HEADER_LEN.min(b.len()));
                hs_ntor::Introduction { header, encrypted }
            }
        })
        .collect();

    let mut rng_b = support::rng(support::RELAY);
    let mut batch: Vec<(usize, Answer)> = Vec::with_capacity(n);
    hs_ntor::service_respond_batch(&mut rng_b, service(), &held, &intros, |i, r| {
        batch.push((i, r.and_then(|(s, p)| answer(s, p))));
    });
    let mut rng_1 = support::rng(support::RELAY);
    let mut out = vec![UNTOUCHED; MAX_INTRODUCE_BODY_LEN];
    for (i, (intro, (bi, b))) in intros.iter().zip(&batch).enumerate() {
        assert_eq!(*bi, i, "cells answered in order");
        let one = hs_ntor::service_respond(
            &mut rng_1,
            service(),
            &held,
            intro.header,
            intro.encrypted,
            &mut out,
        )
        .and_then(|s| {
            let len = s.plaintext_len;
            answer(s, &out[..len])
        });
        assert_eq!(
            b, &one,
            "cell {i} of {n}: the batch differs from one by one"
        );
        let authentic = valid.iter().find(|(v, _)| *v == bodies[i]);
        match (authentic, b) {
            (Some((_, plaintext)), Ok((_, _, index, got))) => {
                assert!(flags & 1 == 1, "accepted under a subcredential never used");
                assert_eq!(*index, 1, "the client's subcredential");
                assert_eq!(got, plaintext, "the plaintext changed on the way");
            }
            (Some(_), Err(e)) => {
                assert!(flags & 1 == 0, "cell {i}: an authentic cell refused: {e:?}");
            }
            (None, r) => assert!(r.is_err(), "cell {i}: the batch accepted a forgery"),
        }
    }
    assert_eq!(batch.len(), n);
    assert_eq!(
        rand_core::RngCore::next_u64(&mut rng_b),
        rand_core::RngCore::next_u64(&mut rng_1),
        "the batch drew from the RNG differently"
    );
}
