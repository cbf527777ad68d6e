//! **Not for production.** Deterministic hs-ntor entry points and intermediate values, for
//! known-answer tests and reproducible research (feature `hazmat`).
//!
//! These functions take the ephemeral secrets `x` and `y` from the caller. Using an
//! ephemeral secret twice, or one an attacker can guess, breaks the handshake completely;
//! production code must use [`ClientState::start`] and [`service_respond`](super::service_respond),
//! which draw them from the RNG. The [`Intermediates`] they return are secrets of the
//! handshake (`ENC_KEY`, `MAC_KEY`, `NTOR_KEY_SEED`).
//!
//! ```
//! # #[cfg(feature = "hazmat")] {
//! use onionskin::handshake::hs_ntor::{hazmat, ServiceKeys, ServiceSecretKey, Subcredential};
//!
//! let service = ServiceKeys::new([3; 32], ServiceSecretKey::from_bytes(&[5; 32]));
//! let header = [0u8; 20];
//! let mut encrypted = [0u8; 64 + 5];
//! let pk = service.public_key(Subcredential::new([8; 32]));
//! let (state, len, trace) =
//!     hazmat::client_start_with_x(&[9; 32], &pk, &header, b"hello", &mut encrypted)?;
//! let mut plaintext = [0u8; 5];
//! let (accepted, service_trace) = hazmat::service_respond_with_y(
//!     &[11; 32],
//!     &service,
//!     &[Subcredential::new([8; 32])],
//!     &header,
//!     &encrypted[..len],
//!     &mut plaintext,
//! )?;
//! assert_eq!(trace.mac, service_trace.mac);
//! let (_, client_trace) = hazmat::client_finish_with_intermediates(state, accepted.handshake_info.as_bytes())?;
//! assert_eq!(client_trace.ntor_key_seed, service_trace.ntor_key_seed);
//! # }
//! # Ok::<(), onionskin::HandshakeError>(())
//! ```

// Without the feature this module is private and only lends `Intermediates` to the core.
#![cfg_attr(not(feature = "hazmat"), allow(unreachable_pub))]

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

#[cfg(feature = "hazmat")]
use super::{ClientState, KeySeed, ServiceHandshake, ServiceKeys, ServicePublicKey, Subcredential};
#[cfg(feature = "hazmat")]
use crate::HandshakeError;

/// The intermediate values of rend-spec-v3 [NTOR-WITH-EXTRA-DATA], as one side computed
/// them. Fields a step does not compute stay zero: [`client_start_with_x`] fills
/// `enc_key`, `mac_key` and `mac`; [`client_finish_with_intermediates`] fills `ntor_key_seed`, `verify`
/// and `auth_input_mac`; [`service_respond_with_y`] fills all but `mac_key`, from the
/// subcredential that matched.
///
/// Secret; wiped on drop; `Debug` prints nothing.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
#[non_exhaustive]
pub struct Intermediates {
    /// `ENC_KEY`: encrypts the INTRODUCE1 plaintext.
    pub enc_key: [u8; 32],
    /// `MAC_KEY`: authenticates INTRODUCE1.
    pub mac_key: [u8; 32],
    /// The INTRODUCE1 MAC (sent in the cell).
    pub mac: [u8; 32],
    /// `NTOR_KEY_SEED = MAC(rend_secret_hs_input, t_hsenc)`.
    pub ntor_key_seed: [u8; 32],
    /// `verify = MAC(rend_secret_hs_input, t_hsverify)`.
    pub verify: [u8; 32],
    /// `AUTH_INPUT_MAC` (sent in RENDEZVOUS1).
    pub auth_input_mac: [u8; 32],
}

impl fmt::Debug for Intermediates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intermediates").finish_non_exhaustive()
    }
}

/// [`ClientState::start_into`] with the ephemeral secret `x` given. **Not for production.**
///
/// # Errors
/// As [`ClientState::start_into`].
#[cfg(feature = "hazmat")]
pub fn client_start_with_x(
    x: &[u8; 32],
    service: &ServicePublicKey,
    header: &[u8],
    plaintext: &[u8],
    encrypted_out: &mut [u8],
) -> Result<(ClientState, usize, Intermediates), HandshakeError> {
    let mut trace = Intermediates::default();
    let (state, len) = super::start_core(x, service, header, plaintext, encrypted_out, &mut trace)?;
    Ok((state, len, trace))
}

/// [`ClientState::finish`], also returning the intermediates. **Not for production.**
///
/// # Errors
/// As [`ClientState::finish`].
#[cfg(feature = "hazmat")]
pub fn client_finish_with_intermediates(
    state: ClientState,
    handshake_info: &[u8],
) -> Result<(KeySeed, Intermediates), HandshakeError> {
    let mut trace = Intermediates::default();
    let seed = super::finish_core(&state, handshake_info, &mut trace)?;
    Ok((seed, trace))
}

/// [`service_respond`](super::service_respond) with the ephemeral secret `y` given.
/// **Not for production.**
///
/// # Errors
/// As [`service_respond`](super::service_respond).
#[cfg(feature = "hazmat")]
pub fn service_respond_with_y(
    y: &[u8; 32],
    keys: &ServiceKeys,
    subcredentials: &[Subcredential],
    header: &[u8],
    encrypted: &[u8],
    plaintext_out: &mut [u8],
) -> Result<(ServiceHandshake, Intermediates), HandshakeError> {
    let mut trace = Intermediates::default();
    let accepted = super::respond_core(
        |b, client_pk| super::primitives::service_dh(y, b, client_pk),
        keys,
        subcredentials,
        header,
        encrypted,
        plaintext_out,
        &mut trace,
    )?;
    Ok((accepted, trace))
}
