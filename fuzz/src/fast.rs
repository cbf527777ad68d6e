//! CREATE_FAST (tor-spec 5.1.5): the relay's answer to `X`, and the client's check of
//! `Y | KH`.
//!
//! # Mutated onion skins
//! A CREATE_FAST skin is `X`, 20 bytes the client chose; the relay has nothing to check and
//! answers any 20 bytes (the API cannot even fail). So the property is about the handshake:
//! the relay's answer to a mutated `X` is rejected by the client that sent the original,
//! because `KH` is the first block of `KDF-TOR(X | Y)` and binds `X`.

use super::support::{self, hex};
use onionskin::handshake::CircuitHandshake;
use onionskin::handshake::fast::{self, Fast, HASH_LEN, REPLY_LEN, hazmat};
use onionskin::{HandshakeError, KeyMaterial};
use rand_core::RngCore;

/// `X` of `create_fast.json` case `fast-1-0`.
pub const X: [u8; HASH_LEN] = hex("6515904706d49373665b57479d37c9532c0878fe");
/// `reply` of case `fast-1-0`.
pub const REPLY: [u8; REPLY_LEN] = hex(concat!(
    "dc69f4a19893f84eaae74880ba8ce444fdb84f23",
    "9deeda9194437c307d17b080c68b75288ed51aff"
));
/// `key_material_72` of case `fast-1-0`.
pub const KEY_MATERIAL: [u8; 72] = hex(concat!(
    "738ebe7e4e3ceb9cbbb54834bea6d5801227b6de231dbdaab38c6f804bc3b062cd168748",
    "cfb40e38423e6b87df07cfc93c2274757f58673950a23bc06c10ea063b75f95a17c14e4e"
));

/// Relay side. An input of 20 to 40 bytes is `X` (the client's, from the input), then a
/// mask (zero-padded to 20 bytes) that changes the skin on its way to the relay. The relay
/// answers with `Y` drawn from the harness RNG; the client accepts exactly when the mask is
/// zero, and then both hold the same keys. Any other length goes to the relay as the skin
/// and must give [`HandshakeError::Malformed`].
pub fn relay_respond(data: &[u8]) {
    let Some(x) = data
        .first_chunk::<HASH_LEN>()
        .filter(|_| data.len() <= 2 * HASH_LEN)
    else {
        let r = Fast::relay_respond(&mut support::rng(support::RELAY), &(), data, |_, _| Ok(()));
        assert_eq!(r.err(), Some(HandshakeError::Malformed));
        let r = fast::relay_respond(&mut support::rng(support::RELAY), data);
        assert_eq!(r.err(), Some(HandshakeError::Malformed));
        return;
    };
    let mask = data.get(HASH_LEN..).unwrap_or_default();
    let (state, skin) = hazmat::client_start_with_x(x);
    assert_eq!(&skin, x, "the CREATE_FAST body is X");
    let mut sent = skin;
    for (b, m) in sent.iter_mut().zip(mask) {
        *b ^= m;
    }
    let (relay_seed, reply) = fast::relay_respond(&mut support::rng(support::RELAY), &sent)
        .expect("any 20 bytes are an X");
    let mut y = [0u8; HASH_LEN];
    support::rng(support::RELAY).fill_bytes(&mut y);
    assert_eq!(reply[..HASH_LEN], y, "Y is not the caller's randomness");
    let client = state.finish(&reply);
    if sent == skin {
        let client_seed = client.expect("client rejects the reply to its own X");
        assert!(
            client_seed.circuit_keys() == relay_seed.circuit_keys(),
            "keys differ"
        );
    } else {
        assert!(client.is_err(), "a mutated X completed a handshake");
    }
}

/// Client side, with the client of case `fast-1-0`. Modes: 0, the input is the reply; 1, the
/// input mutates the vector's reply. The client must accept exactly the vector's reply and
/// then derive the vector's keys.
pub fn client_finish(data: &[u8]) {
    let reply = match support::mode(data, 2) {
        Some((0, reply)) => reply.to_vec(),
        Some((_, mask)) => support::mutate(&REPLY, mask),
        None => return,
    };
    let (state, _) = hazmat::client_start_with_x(&X);
    let result = if reply.len() % 2 == 0 {
        state.finish(&reply)
    } else {
        Fast::client_finish(state, &reply).map(|(seed, _)| seed)
    };
    match result {
        Ok(seed) => {
            assert!(
                reply == REPLY,
                "client accepted a reply the relay never sent"
            );
            let mut material = [0u8; 72];
            seed.expand_into(&mut material).expect("72 bytes");
            assert_eq!(material, KEY_MATERIAL);
        }
        Err(e) if reply.len() != REPLY_LEN => assert_eq!(e, HandshakeError::Malformed),
        Err(e) => {
            assert!(reply != REPLY, "client rejected the relay's reply");
            assert_eq!(e, HandshakeError::Failed);
        }
    }
}
