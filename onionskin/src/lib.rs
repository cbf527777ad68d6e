#![doc = include_str!("../../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `deny`, not `forbid`: src/simd.rs and its submodules alone allow `unsafe`, for AVX2 and
// AVX-512 IFMA intrinsics that run only behind a CPUID check.
#![deny(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

// Constant-time Montgomery arithmetic for TAP. Public only under `hazmat` (benchmarks and
// differential tests); the handshakes use it internally.
#[cfg(all(feature = "tap", feature = "hazmat"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "tap", feature = "hazmat"))))]
pub mod bignum;
#[cfg(all(feature = "tap", not(feature = "hazmat")))]
#[allow(unreachable_pub, dead_code)]
mod bignum;
// AVX2 and AVX-512 IFMA lanes for the X25519 ladders and Keccak; the crate's one `unsafe`
// module.
#[cfg(target_arch = "x86_64")]
mod simd;
#[cfg(target_arch = "x86_64")]
use simd::avx2;
mod ct;
// Strict DER and PEM/base64 readers for Tor's key files (TAP's RSA keys, RSA identities).
mod der;
mod error;
// Keccak-f[1600], SHA3-256 and SHAKE-256 for ntor-v3, four permutations at a time with AVX2.
mod keccak;
// Public only for tests and benchmarks (`hazmat`); the handshakes are its real users.
#[cfg(feature = "hazmat")]
pub mod x25519;
#[cfg(not(feature = "hazmat"))]
mod x25519;

pub mod codec;
pub mod handshake;
pub mod kdf;
pub mod key_formats;
pub mod keys;
pub mod relay;
pub mod relay_crypto;

pub use error::{DecodeError, EncodeError, HandshakeError, KeyFormatError};
pub use handshake::{HandshakeType, KeyMaterial};
pub use keys::CircuitKeys;
