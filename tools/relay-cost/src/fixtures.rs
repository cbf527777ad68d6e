//! Relay keys for each handshake: the one handshake-specific piece the generic report needs
//! (the `CircuitHandshake` trait has no key generation).
//!
//! Relays keep their current and previous onion keys, so the ntor-family fixtures hold two:
//! the relay's constant-time key scan then does the work it does in the field.

use crate::Error;
use onionskin::codec::extension::{CircuitExtension, CongestionControlResponse};
use onionskin::handshake::{ntor, ntor_v3, tap};
use rand_chacha::ChaCha20Rng;

/// ntor: an RSA identity digest, a current and a previous onion key.
pub(crate) fn ntor(
    rng: &mut ChaCha20Rng,
) -> Result<(ntor::RelayPublicKey, ntor::RelayKeys), Error> {
    let keys = ntor::RelayKeys::new([0x42; 20], ntor::RelaySecretKey::generate(rng))
        .with_previous(ntor::RelaySecretKey::generate(rng));
    Ok((keys.public_key(), keys))
}

/// CREATE_FAST needs no keys.
#[allow(clippy::unnecessary_wraps)] // the shape every fixture has
pub(crate) fn create_fast(_rng: &mut ChaCha20Rng) -> Result<((), ()), Error> {
    Ok(((), ()))
}

/// ntor-v3: an Ed25519 identity, a current and a previous onion key.
pub(crate) fn ntor_v3(
    rng: &mut ChaCha20Rng,
) -> Result<(ntor_v3::RelayPublicKey, ntor_v3::RelayKeys), Error> {
    let keys = ntor_v3::RelayKeys::new([0x42; 32], ntor_v3::RelaySecretKey::generate(rng))
        .with_previous(ntor_v3::RelaySecretKey::generate(rng));
    Ok((keys.public_key(), keys))
}

/// What a Tor client sends in ntor-v3 today: a congestion-control request (`01 01 00`).
pub(crate) const NTOR_V3_CLIENT_MESSAGE: &[CircuitExtension<'static>] =
    &[CircuitExtension::CongestionControlRequest];
/// A relay's answer with congestion control on (`sendme_inc` 31, C tor's default;
/// `01 02 01 1f`).
pub(crate) const NTOR_V3_RELAY_MESSAGE: &[CircuitExtension<'static>] =
    &[CircuitExtension::CongestionControlResponse(
        CongestionControlResponse { sendme_inc: 31 },
    )];

/// TAP: the first TAP vector's RSA-1024 onion key, and no previous key. (With a previous key
/// the crate's relay decrypts with both, to keep which one worked secret, so a relay after a
/// key rotation pays a second RSA operation; C tor's common path is one decryption.)
pub(crate) fn tap(_rng: &mut ChaCha20Rng) -> Result<(tap::RelayPublicKey, tap::RelayKeys), Error> {
    let key = crate::floor::tap_relay_key()?;
    Ok((key.public_key().clone(), tap::RelayKeys::new(key)))
}
