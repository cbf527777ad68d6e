//! ntor (tor-spec 5.1.4): the relay's answer to an onion skin, and the client's check of a
//! reply.
//!
//! The relay is the one of `ntor.json` case `ntor-1-0` (its NODEID and `b`), with case
//! `ntor-1-1`'s `b` as its previous onion key so that the two-key KEYID lookup is exercised.
//! The server-side cases of `ntor_reject.json` use the same relay, so they serve as seeds
//! unchanged. The client of [`client_finish`] is case `ntor-1-0`'s (its `x`).
//!
//! # Mutated onion skins
//! ntor authenticates the relay to the client, never the client's skin to the relay: any
//! `X` that is not a low-order point starts a valid handshake. So "the relay never accepts a
//! mutated copy of a valid skin" is not a property ntor has, and the target asserts what is:
//!
//! * a changed length gives [`HandshakeError::Malformed`], a changed NODEID
//!   [`HandshakeError::WrongRelay`], and a KEYID changed to a key the relay does not hold
//!   [`HandshakeError::Failed`] (a KEYID changed to the relay's *other* onion key is a valid
//!   skin for that key);
//! * a changed `X` is accepted exactly when the new `X` is not a low-order point. That
//!   includes a change only to the top bit of `X`'s last byte, which X25519 ignores (RFC 7748
//!   section 5), and non-canonical encodings `u + p` of the same point: both give the same
//!   Diffie-Hellman outputs, and accepting them is correct;
//! * for every change, the client that made the original skin rejects the relay's reply:
//!   `secret_input` and `auth_input` hash KEYID and `X` as received, so even a change that
//!   X25519 ignores gives another AUTH. A mutated skin never completes a handshake.

use super::support::{self, hex};
use curve25519_dalek::montgomery::MontgomeryPoint;
use onionskin::handshake::ntor::{
    self, ClientState, Ntor, ONION_SKIN_LEN, REPLY_LEN, RelayKeys, RelayPublicKey, RelaySecretKey,
    hazmat,
};
use onionskin::handshake::{CircuitHandshake, UnknownKeyPolicy};
use onionskin::{HandshakeError, KeyMaterial};
use std::sync::OnceLock;

/// `node_id` of case `ntor-1-0`.
pub const NODE_ID: [u8; 20] = hex("a2f6b97475b06ab4e1ed159c12a8457154124b38");
/// `b` of case `ntor-1-0`: the relay's current onion key.
pub const ONION_SECRET: [u8; 32] =
    hex("48408ec0f9a04555b1a260d29addd9b214defeac53ec1f82e470c5e1e57d037c");
/// `B` of case `ntor-1-0`.
pub const ONION_KEY: [u8; 32] =
    hex("1a81e371db65b9c88a51476cf4814743fa5adc5da8352a6fb875a41ed554196e");
/// `b` of case `ntor-1-1`: the relay's previous onion key.
pub const PREVIOUS_SECRET: [u8; 32] =
    hex("a02d3c35068cbb929aa161ab53c0a9479ddcef8d83890ae2cb2f0f8f0dcce060");
/// `x` of case `ntor-1-0`: the client of [`client_finish`].
pub const X: [u8; 32] = hex("f86fe12eb5b4e6a520eed05e974a147462408b69465733b58cf8e39eb51ced5d");
/// `onionskin` of case `ntor-1-0`.
pub const ONION_SKIN: [u8; ONION_SKIN_LEN] = hex(concat!(
    "a2f6b97475b06ab4e1ed159c12a8457154124b38",
    "1a81e371db65b9c88a51476cf4814743fa5adc5da8352a6fb875a41ed554196e",
    "865a91331d59d0e50027bde95bfbfc1241f35c0b1004b46351079792f129427e"
));
/// `reply` of case `ntor-1-0`.
pub const REPLY: [u8; REPLY_LEN] = hex(concat!(
    "155e15b4a970954f498152ba330f9bb95a236f2cfcf9cf8ab245d3dd3185020d",
    "72050ee2e642b000cce2c42550d8b41d549f6c7c3601ce74041a514ea8a1d4c9"
));
/// `key_material` of case `ntor-1-0` (92 bytes).
pub const KEY_MATERIAL: [u8; 92] = hex(concat!(
    "e2218729fc2cb6cd377697947b45a5f5abfae05de7c047e7bd2ab2e8e7bb9033a883d730",
    "9bbf1c5982ea0d4e85f93d27b5035d808f09df98c8e44d1d16b7f123b622af37a9290008",
    "24083dd646a4db1d80c58d35102e33ce79b287c5"
));

/// The fixed relay: built once, as its public keys cost two scalar multiplications.
pub fn relay() -> &'static RelayKeys {
    static KEYS: OnceLock<RelayKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        RelayKeys::new(NODE_ID, RelaySecretKey::from_bytes(&ONION_SECRET))
            .with_previous(RelaySecretKey::from_bytes(&PREVIOUS_SECRET))
    })
}

/// The same relay with C tor's policy for unknown KEYIDs.
pub fn relay_c_tor_policy() -> &'static RelayKeys {
    static KEYS: OnceLock<RelayKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        relay()
            .clone()
            .with_unknown_key_policy(UnknownKeyPolicy::ReplyWithJunk)
    })
}

/// The relay's answer, through the inherent API with the default policy and the generic
/// API with C tor's, with `y` from the harness RNG.
fn respond(
    skin: &[u8],
    policy: UnknownKeyPolicy,
) -> Result<(ntor::KeySeed, [u8; REPLY_LEN]), HandshakeError> {
    let mut rng = support::rng(support::RELAY);
    if policy == UnknownKeyPolicy::Reject {
        ntor::relay_respond(&mut rng, relay(), skin)
    } else {
        Ntor::relay_respond(&mut rng, relay_c_tor_policy(), skin, |_, _| Ok(()))
    }
}

/// The verdict the relay must reach, predicted from public facts and an X25519 computed
/// with curve25519-dalek directly. For clamped scalars `EXP(X,k)` is all-zero exactly when
/// `X` has small order, whatever `k` is, so one multiplication by the selected key (or by
/// the junk key's stand-in) decides it.
fn expected(skin: &[u8], policy: UnknownKeyPolicy) -> Result<(), HandshakeError> {
    let Ok(skin) = <&[u8; ONION_SKIN_LEN]>::try_from(skin) else {
        return Err(HandshakeError::Malformed);
    };
    let (node_id, rest) = skin.split_first_chunk::<20>().unwrap_or((&[0; 20], &[]));
    let (key_id, x) = rest.split_at(32);
    if *node_id != NODE_ID {
        return Err(HandshakeError::WrongRelay);
    }
    let keys = relay();
    let known = [Some(keys.current()), keys.previous()]
        .into_iter()
        .flatten()
        .find(|k| k.public_key()[..] == *key_id);
    let scalar = match (known, policy) {
        (Some(k), _) => *k.secret_bytes(),
        (None, UnknownKeyPolicy::ReplyWithJunk) => [0x5a; 32],
        (None, _) => return Err(HandshakeError::UnknownOnionKey),
    };
    let x: [u8; 32] = x.try_into().unwrap_or([0; 32]);
    if MontgomeryPoint(x).mul_clamped(scalar).to_bytes() == [0; 32] {
        return Err(HandshakeError::Failed);
    }
    Ok(())
}

fn verdict<T>(r: &Result<T, HandshakeError>) -> Result<(), HandshakeError> {
    r.as_ref().map(|_| ()).map_err(|e| *e)
}

/// Relay side. Modes: 0, the input is the onion skin; 1, the input mutates a valid skin
/// from a deterministic client; 2, as 0 with C tor's junk-key policy for unknown KEYIDs.
pub fn relay_respond(data: &[u8]) {
    match support::mode(data, 3) {
        Some((0, skin)) => arbitrary(skin, UnknownKeyPolicy::Reject),
        Some((1, mask)) => mutated(mask),
        Some((_, skin)) => arbitrary(skin, UnknownKeyPolicy::ReplyWithJunk),
        None => {}
    }
}

fn arbitrary(skin: &[u8], policy: UnknownKeyPolicy) {
    let result = respond(skin, policy);
    assert_eq!(verdict(&result), expected(skin, policy), "relay verdict");
    if let Ok((relay_seed, reply)) = result
        && skin == ONION_SKIN
    {
        // The vector's skin: its client must accept the reply and agree on the keys.
        let (state, _) = hazmat::client_start_with_x(&X, &relay().public_key());
        let client_seed = state
            .finish(&reply)
            .expect("client rejects the relay's reply");
        assert!(
            client_seed.circuit_keys() == relay_seed.circuit_keys(),
            "keys differ"
        );
    }
}

fn mutated(mask: &[u8]) {
    let (state, valid) =
        ClientState::start(&mut support::rng(support::CLIENT), &relay().public_key());
    let skin = support::mutate(&valid, mask);
    let result = respond(&skin, UnknownKeyPolicy::Reject);
    assert_eq!(
        verdict(&result),
        expected(&skin, UnknownKeyPolicy::Reject),
        "relay verdict"
    );
    let Ok((relay_seed, reply)) = result else {
        return;
    };
    let client = state.finish(&reply);
    if skin[..] == valid[..] {
        let client_seed = client.expect("client rejects the reply to its own onion skin");
        assert!(
            client_seed.circuit_keys() == relay_seed.circuit_keys(),
            "keys differ"
        );
    } else {
        assert!(
            client.is_err(),
            "a mutated onion skin completed a handshake"
        );
    }
}

/// Client side, with the client state of case `ntor-1-0`. Modes: 0, the input is the reply;
/// 1, the input mutates the vector's reply. The client must accept exactly the vector's
/// reply (a change to any bit of `Y`, even one X25519 ignores, changes AUTH's input), and
/// then derive the vector's key material.
pub fn client_finish(data: &[u8]) {
    let reply = match support::mode(data, 2) {
        Some((0, reply)) => reply.to_vec(),
        Some((_, mask)) => support::mutate(&REPLY, mask),
        None => return,
    };
    let (state, skin) = hazmat::client_start_with_x(&X, &RelayPublicKey::new(NODE_ID, ONION_KEY));
    assert_eq!(skin, ONION_SKIN);
    let result = if reply.len() % 2 == 0 {
        state.finish(&reply)
    } else {
        Ntor::client_finish(state, &reply).map(|(seed, _)| seed)
    };
    match result {
        Ok(seed) => {
            assert!(
                reply == REPLY,
                "client accepted a reply the relay never sent"
            );
            let mut material = [0u8; 92];
            seed.expand_into(&mut material).expect("92 bytes");
            assert_eq!(material, KEY_MATERIAL);
        }
        Err(e) if reply.len() != REPLY_LEN => assert_eq!(e, HandshakeError::Malformed),
        Err(e) => {
            assert!(reply != REPLY, "client rejected the relay's reply");
            assert_eq!(e, HandshakeError::Failed);
        }
    }
}
