#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `deny`, not `forbid`: src/x25519/avx2.rs alone allows `unsafe`, for AVX2 intrinsics that run
// only behind a CPUID check.
#![deny(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

#[cfg(feature = "tap")]
mod bignum;
mod ct;
mod error;
// Public only for tests and benchmarks (`hazmat`); the handshakes are its real users.
#[cfg(feature = "hazmat")]
pub mod x25519;
#[cfg(not(feature = "hazmat"))]
mod x25519;

pub mod codec;
pub mod handshake;
pub mod kdf;
pub mod keys;
pub mod relay;

pub use error::{DecodeError, EncodeError, HandshakeError};
pub use handshake::{HandshakeType, KeyMaterial};
pub use keys::CircuitKeys;
