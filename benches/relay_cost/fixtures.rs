//! Relay keys for each handshake: the one handshake-specific piece the generic report needs
//! (the `CircuitHandshake` trait has no key generation).
//!
//! Relays keep their current and previous onion keys, so the ntor-family fixtures hold two:
//! the relay's constant-time key scan then does the work it does in the field.

use crate::Error;
use onionskin::handshake::ntor;
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
