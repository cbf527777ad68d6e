//! ntor-v3 (proposal 332): the relay's answer to an onion skin, with the client's message
//! parsed by the crate's extension codec, and the client's check of a reply, with the
//! relay's message parsed the same way.
//!
//! The relay is the one of `ntor_v3.json` case `ntor3-1-1` (its `ID`, `b` and `VER`), whose
//! messages are extension lists (a congestion-control request and response), with case
//! `ntor3-1-2`'s `b` as its previous onion key. The cases of `ntor_v3_reject.json` use the
//! same relay and client, so they serve as seeds unchanged. The client of
//! [`client_finish`] is case `ntor3-1-1`'s.
//!
//! # Mutated onion skins
//! Unlike ntor, ntor-v3 authenticates the whole skin: `msg_mac` covers `ID | B | X |
//! encrypted CM` and ends it, so any change (to any bit of `X`, including the one X25519
//! ignores; to the length, which moves the MAC) must be rejected, and the relay's message
//! callback must never run. A skin is authentic here only if it is one a harness client
//! made; a skin the relay accepts otherwise is a forgery.

use super::support::{self, hex};
use onionskin::HandshakeError;
use onionskin::KeyMaterial;
use onionskin::codec::extension::{
    CircuitExtension, CongestionControlResponse, ExtensionList, ExtensionType, ExtensionWriter,
};
use onionskin::handshake::ntor_v3::{
    self, ClientState, KeySeed, MAX_CLIENT_MESSAGE_LEN, MAX_ONION_SKIN_LEN, MAX_REPLY_LEN,
    MAX_SERVER_MESSAGE_LEN, ONION_SKIN_OVERHEAD, REPLY_OVERHEAD, RelayKeys, RelayPublicKey,
    RelaySecretKey, Reply, Verification, hazmat,
};
use rand_core::RngCore;
use std::sync::OnceLock;

/// `ID` of case `ntor3-1-1`.
pub const ID: [u8; 32] = hex("24c6907a37fcef8ee0de4f034270fc0e72a2fc53287446316b36589c910b8667");
/// `b` of case `ntor3-1-1`.
pub const ONION_SECRET: [u8; 32] =
    hex("2876cb32ab0f7107c6128059e3e700e1bfe0b16fef641d5759c0725456c87f64");
/// `b` of case `ntor3-1-2`: the relay's previous onion key.
pub const PREVIOUS_SECRET: [u8; 32] =
    hex("28d81a078a96522151ea3a4281bb035165132010adf31531b959ddd9ae717d6c");
/// `x` of case `ntor3-1-1`.
pub const X: [u8; 32] = hex("487702b9b23414cc932be8f74ae827946a5f6023437f80f1f5ea6053147ba463");
/// `VER` of case `ntor3-1-1`.
pub const VER: [u8; 2] = hex("96fe");
/// `CM` of case `ntor3-1-1`: one congestion-control request.
pub const CM: [u8; 3] = [1, 1, 0];
/// `SM` of case `ntor3-1-1`: a congestion-control response, `sendme_inc` 31.
pub const SM: [u8; 4] = [1, 2, 1, 31];
/// [`CM`], typed.
const CC_REQUEST: [CircuitExtension<'static>; 1] = [CircuitExtension::CongestionControlRequest];
/// `onionskin` of case `ntor3-1-1`.
pub const ONION_SKIN: [u8; 131] = hex(concat!(
    "24c6907a37fcef8ee0de4f034270fc0e72a2fc53287446316b36589c910b8667",
    "30a1bc57bf1f562d7c7d0d04c4cb6eb15aa4946fae731d123172dfb67da8597f",
    "edce941a99e6a32e3d74a0d08d8ad77f2090dd4dc91d29c760e8b03fd7ff483f",
    "32c85e",
    "6ae1f9c862c6460462aff5fb043c26a93f007af516ef4aa8fa3e25fbf2658df3"
));
/// `reply` of case `ntor3-1-1`.
pub const REPLY: [u8; 68] = hex(concat!(
    "0ee0fed677bb72801f0f095c016963e0a792ac68179a14d0dc557630322f8b04",
    "5d7326b105b6ec6678f3d3aaa0614c644c9ce434538e4fb6bcf0fc879f559cf0",
    "baa1703f"
));
/// The first 92 bytes of `keystream` of case `ntor3-1-1`.
pub const KEYSTREAM: [u8; 92] = hex(concat!(
    "fefc39b20b0f5ef1e0b4d185c564328bd5d5833a3cc2141c4047b3d1b79ae5039aa34418",
    "7d45a71fdb49e84920207de410935154de34107f640af54baa075239fe17a18a621b32d5",
    "276e9149d07de87a8311871dbdcce2dd65d079ca"
));
/// The `sendme_inc` the harness relay answers a congestion-control request with.
const SENDME_INC: u8 = 31;

/// The fixed relay, built once.
pub fn relay() -> &'static RelayKeys {
    static KEYS: OnceLock<RelayKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let ver = Verification::new(&VER).expect("a short VER");
        RelayKeys::new(ID, RelaySecretKey::from_bytes(&ONION_SECRET))
            .with_previous(RelaySecretKey::from_bytes(&PREVIOUS_SECRET))
            .with_verification(ver)
    })
}

fn public() -> RelayPublicKey {
    relay().public_key()
}

/// The skin the harness client of mode 1 (mutation) makes: `x` from the client RNG stream,
/// CM a congestion-control request.
fn harness_skin() -> &'static [u8] {
    static SKIN: OnceLock<Vec<u8>> = OnceLock::new();
    SKIN.get_or_init(|| {
        let (_, skin) =
            ClientState::start(&mut support::rng(support::CLIENT), &public(), &CC_REQUEST)
                .expect("a valid relay key");
        skin.as_bytes().to_vec()
    })
}

/// The client message `skin` carries if this harness knows it to be authentic.
fn authentic_cm(skin: &[u8]) -> Option<&'static [u8]> {
    (skin == ONION_SKIN || skin == harness_skin()).then_some(&CM[..])
}

/// Checks an extension list decoded from the start of `bytes`, with `rest` after it: it
/// spans exactly the bytes before `rest`, iterates over `len()` fields whose encodings add
/// up to it, and re-encodes (as a list and field by field) to the same bytes.
fn check_list(list: &ExtensionList<'_>, bytes: &[u8], rest: &[u8]) {
    let used = bytes.len() - rest.len();
    assert_eq!(list.as_bytes(), &bytes[..used]);
    assert_eq!(list.encoded_len(), used);
    let fields: Vec<_> = list.iter().collect();
    assert_eq!(fields.len(), list.len());
    assert_eq!(
        1 + fields.iter().map(|e| e.encoded_len()).sum::<usize>(),
        used
    );
    assert_eq!(
        list.congestion_control_request(),
        fields.iter().any(|e| e.ty() == ExtensionType::CC_REQUEST)
    );
    let mut out = vec![0u8; used];
    assert_eq!(list.encode_into(&mut out), Ok(used));
    assert_eq!(out, &bytes[..used]);
    let mut rebuilt = vec![0u8; used];
    assert_eq!(ExtensionList::encode(&fields, &mut rebuilt), Ok(used));
    assert_eq!(rebuilt, out);
    assert_eq!(ExtensionList::decode_exact(&out), Ok(*list));
}

/// The relay's extension handler, as a relay would write it: check the (authenticated,
/// parsed) client list, answer a congestion-control request with `sendme_inc` 31 and
/// anything else with an empty list.
fn answer(cm: &ExtensionList<'_>, sm: &mut ExtensionWriter<'_>) -> Result<(), HandshakeError> {
    check_list(cm, cm.as_bytes(), &[]);
    if cm.congestion_control_request() {
        sm.push(&CircuitExtension::CongestionControlResponse(
            CongestionControlResponse {
                sendme_inc: SENDME_INC,
            },
        ))?;
    }
    Ok(())
}

/// What [`answer`] sends for the client message `cm`, or `None` if the relay refuses it
/// (it is not an extension list).
fn expected_sm(cm: &[u8]) -> Option<Vec<u8>> {
    let (list, _) = ExtensionList::decode_prefix(cm).ok()?;
    Some(if list.congestion_control_request() {
        SM.to_vec()
    } else {
        ExtensionList::EMPTY.as_bytes().to_vec()
    })
}

/// The verdict public facts alone decide, before any authentication: the length bounds,
/// then NODEID, then KEYID.
fn public_verdict(skin: &[u8]) -> Option<HandshakeError> {
    if !(ONION_SKIN_OVERHEAD..=MAX_ONION_SKIN_LEN).contains(&skin.len()) {
        return Some(HandshakeError::Malformed);
    }
    if skin[..32] != ID {
        return Some(HandshakeError::WrongRelay);
    }
    let keys = relay();
    let key_id = &skin[32..64];
    let known = [Some(keys.current()), keys.previous()]
        .into_iter()
        .flatten()
        .any(|k| k.public_key()[..] == *key_id);
    (!known).then_some(HandshakeError::UnknownOnionKey)
}

/// Runs the relay on `skin` and checks its verdict: the public errors where public facts
/// decide ([`public_verdict`]); [`HandshakeError::Failed`], with the callback never called,
/// unless `authentic` names the message the skin authentically carries; for an authentic
/// skin, [`HandshakeError::Malformed`] without a callback if the message is not an extension
/// list, else the callback sees exactly the list and the relay succeeds.
fn check_relay(skin: &[u8], authentic: Option<&[u8]>) -> Option<(KeySeed, Reply)> {
    let mut seen = None;
    let result = ntor_v3::relay_respond(
        &mut support::rng(support::RELAY),
        relay(),
        skin,
        |cm, sm| {
            seen = Some(cm.as_bytes().to_vec());
            answer(cm, sm)
        },
    );
    let verdict = result.as_ref().map(|_| ()).map_err(|e| *e);
    if let Some(e) = public_verdict(skin) {
        assert_eq!(verdict, Err(e));
        assert!(seen.is_none(), "callback ran on a publicly bad skin");
        return None;
    }
    let Some(cm) = authentic else {
        assert_eq!(
            verdict,
            Err(HandshakeError::Failed),
            "relay accepted a forged onion skin"
        );
        assert!(seen.is_none(), "callback saw an unauthenticated message");
        return None;
    };
    match ExtensionList::decode_prefix(cm) {
        Err(_) => {
            assert_eq!(verdict, Err(HandshakeError::Malformed));
            assert!(seen.is_none(), "callback saw a message that is no list");
            None
        }
        Ok((list, _)) => {
            assert_eq!(
                seen.as_deref(),
                Some(list.as_bytes()),
                "callback saw another list than was sent"
            );
            assert_eq!(verdict, Ok(()));
            result.ok()
        }
    }
}

/// Finishes `state` with the relay's reply and checks that the client gets `sm` and the
/// relay's keys.
fn check_finish(state: ClientState, reply: &Reply, relay_seed: KeySeed, sm: &[u8]) {
    let (client_seed, message) = state
        .finish(reply.as_bytes())
        .expect("client rejects the relay's reply");
    assert_eq!(
        message.as_bytes(),
        sm,
        "the relay's message changed on the way"
    );
    assert!(
        client_seed.circuit_keys() == relay_seed.circuit_keys(),
        "keys differ"
    );
}

/// Relay side. Modes: 0, the input is the onion skin; 1, the input mutates a valid skin from
/// a deterministic client; 2, the input is the client's message as raw bytes (hazmat), sent
/// in a valid skin (a round trip through the relay's extension parsing, with the relay's
/// answer checked by the client, and the same list sent again typed); 3, as 2, with the skin
/// made for the relay's previous onion key.
pub fn relay_respond(data: &[u8]) {
    match support::mode(data, 4) {
        Some((0, skin)) => {
            let _ = check_relay(skin, authentic_cm(skin));
        }
        Some((1, mask)) => mutated(mask),
        Some((2, cm)) => round_trip_cm(cm, &public()),
        Some((_, cm)) => {
            let previous = RelaySecretKey::from_bytes(&PREVIOUS_SECRET);
            let mut relay = public();
            relay.onion_key = *previous.public_key();
            round_trip_cm(cm, &relay);
        }
        None => {}
    }
}

fn mutated(mask: &[u8]) {
    let (state, valid) =
        ClientState::start(&mut support::rng(support::CLIENT), &public(), &CC_REQUEST)
            .expect("a valid relay key");
    assert_eq!(
        valid.as_bytes(),
        harness_skin(),
        "the client RNG is not deterministic"
    );
    let skin = support::mutate(valid.as_bytes(), mask);
    let authentic = authentic_cm(&skin);
    if skin != valid.as_bytes() {
        // The vector's skin is the one other authentic skin; reaching it is not a forgery.
        assert!(authentic.is_none() || skin == ONION_SKIN);
    }
    if let Some((relay_seed, reply)) = check_relay(&skin, authentic)
        && skin == valid.as_bytes()
    {
        check_finish(state, &reply, relay_seed, &SM);
    }
}

fn round_trip_cm(cm: &[u8], relay_key: &RelayPublicKey) {
    // The raw form: `x` drawn as `ClientState::start` draws it.
    let mut x = [0u8; 32];
    support::rng(support::CLIENT).fill_bytes(&mut x);
    let mut skin = [0u8; MAX_ONION_SKIN_LEN];
    let start = hazmat::client_start_with_x(&x, relay_key, cm, &mut skin);
    if cm.len() > MAX_CLIENT_MESSAGE_LEN {
        assert_eq!(start.err(), Some(HandshakeError::Malformed));
        return;
    }
    let (state, len, _) = start.expect("a client message that fits");
    assert_eq!(len, ONION_SKIN_OVERHEAD + cm.len());
    if let Some((relay_seed, reply)) = check_relay(&skin[..len], Some(cm)) {
        let sm = expected_sm(cm).expect("the relay accepted the message");
        check_finish(state, &reply, relay_seed, &sm);
    }
    // The typed form of the same list (where every field reads typed) sends the canonical
    // encoding of those fields, byte for byte what the raw form sends for it.
    let Ok((list, _)) = ExtensionList::decode_prefix(cm) else {
        return;
    };
    let Ok(fields) = list.typed().collect::<Result<Vec<_>, _>>() else {
        return;
    };
    let (_, typed_skin) =
        ClientState::start(&mut support::rng(support::CLIENT), relay_key, &fields)
            .expect("a list that came in a skin fits one");
    let mut canonical = [0u8; MAX_CLIENT_MESSAGE_LEN];
    let n = CircuitExtension::encode_list(&fields, &mut canonical).expect("no longer than read");
    let mut raw = [0u8; MAX_ONION_SKIN_LEN];
    let (_, raw_len, _) =
        hazmat::client_start_with_x(&x, relay_key, &canonical[..n], &mut raw).expect("fits");
    assert_eq!(
        typed_skin.as_bytes(),
        &raw[..raw_len],
        "typed and raw lists differ"
    );
}

/// Client side. Modes: 0, the input is the reply to case `ntor3-1-1`'s client; 1, the input
/// mutates that case's reply; 2, the input is the relay's message as raw bytes, sent in a
/// valid reply to a deterministic client (a round trip through the client's extension
/// parsing).
///
/// In modes 0 and 1 the client must accept exactly the vector's reply, and then read the
/// vector's SM (`sendme_inc` 31) and derive its key stream.
pub fn client_finish(data: &[u8]) {
    let reply = match support::mode(data, 3) {
        Some((0, reply)) => reply.to_vec(),
        Some((1, mask)) => support::mutate(&REPLY, mask),
        Some((_, sm)) => return round_trip_sm(sm),
        None => return,
    };
    let mut skin = [0u8; 131];
    let (state, len, _) = hazmat::client_start_with_x(&X, &public(), &CM, &mut skin)
        .expect("the vector's client starts");
    assert_eq!(skin.get(..len), Some(&ONION_SKIN[..]));
    match state.finish(&reply) {
        Ok((seed, sm)) => {
            assert!(
                reply == REPLY,
                "client accepted a reply the relay never sent"
            );
            assert_eq!(sm.as_bytes(), &SM);
            assert_eq!(
                sm.extensions().congestion_control_response(),
                Ok(Some(CongestionControlResponse {
                    sendme_inc: SENDME_INC
                }))
            );
            let mut stream = [0u8; 92];
            seed.expand_into(&mut stream)
                .expect("an XOF never runs out");
            assert_eq!(stream, KEYSTREAM);
        }
        Err(e) if reply.len() < REPLY_OVERHEAD || reply.len() > MAX_REPLY_LEN => {
            assert_eq!(e, HandshakeError::Malformed);
        }
        Err(e) => {
            assert!(reply != REPLY, "client rejected the relay's reply");
            assert_eq!(e, HandshakeError::Failed);
        }
    }
}

fn round_trip_sm(sm: &[u8]) {
    let (state, skin) =
        ClientState::start(&mut support::rng(support::CLIENT), &public(), &CC_REQUEST)
            .expect("a valid relay key");
    let mut y = [0u8; 32];
    support::rng(support::RELAY).fill_bytes(&mut y);
    let mut reply = [0u8; MAX_REPLY_LEN];
    let result = hazmat::relay_respond_with_y(
        &y,
        relay(),
        skin.as_bytes(),
        |cm, out| {
            assert_eq!(cm, CM);
            if let Some(dst) = out.get_mut(..sm.len()) {
                dst.copy_from_slice(sm);
            }
            // A length past the buffer must make the relay fail, not panic or truncate.
            Some(sm.len())
        },
        &mut reply,
    );
    if sm.len() > MAX_SERVER_MESSAGE_LEN {
        assert_eq!(result.err(), Some(HandshakeError::BufferTooSmall));
        return;
    }
    let (relay_seed, reply_len, _) = result.expect("relay accepts an authentic skin");
    assert_eq!(reply_len, REPLY_OVERHEAD + sm.len());
    let finished = state.finish(&reply[..reply_len]);

    // The client's reading of the message, as a client would do it: an authentic message
    // that is no extension list is refused; otherwise it arrives unchanged.
    match ExtensionList::decode_prefix(sm) {
        Err(_) if !sm.is_empty() => {
            assert_eq!(finished.err(), Some(HandshakeError::Malformed));
        }
        parsed => {
            let (client_seed, message) = finished.expect("client rejects the relay's reply");
            assert_eq!(message.as_bytes(), sm);
            assert!(
                client_seed.circuit_keys() == relay_seed.circuit_keys(),
                "keys differ"
            );
            let list = message.extensions();
            match parsed {
                Ok((want, rest)) => {
                    assert_eq!(list, want);
                    check_list(&list, sm, rest);
                }
                Err(_) => assert!(list.is_empty()),
            }
            let typed: Vec<_> = list.typed().collect();
            assert_eq!(typed.len(), list.len());
            for (field, raw) in typed.iter().zip(list.iter()) {
                if let Ok(field) = field {
                    support::check_typed_field(field, &raw);
                }
            }
        }
    }
}
