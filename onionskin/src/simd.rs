//! The crate's one module allowed `unsafe`: vector instructions behind run-time CPU detection.
//!
//! * [`avx2`]: two X25519 ladders in four 64-bit lanes (`x25519::lanes`), or four, one per
//!   lane (`x25519::ladder4`), and four `Keccak-f[1600]` states side by side (`keccak`).
//! * [`avx512`]: eight `Keccak-f[1600]` states side by side in 512-bit vectors, or four in
//!   256-bit ones, with `vpternlogq` and `vprolq` (`keccak`).
//! * [`ifma`]: four or eight X25519 ladders, one per 64-bit lane, with AVX-512 IFMA's 52-bit
//!   multiply-accumulate (`x25519::lanes52`).
//!
//! Each submodule has a zero-sized capability type whose only constructor checks CPUID; every
//! intrinsic is called through a method taking that type by value, so holding one is the proof
//! each `unsafe` block relies on. The algorithms themselves are safe generic code elsewhere;
//! these modules only supply one instruction per lane operation.
#![allow(unsafe_code)]

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod ifma;
