//! Tor's circuit handshakes — TAP, ntor, ntor-v3 and CREATE_FAST — on the client and the
//! relay side, a zero-copy codec for the cells that carry them, and the relay-side tools C tor
//! uses when create cells arrive faster than its CPU can answer them.
//!
//! The crate does no I/O, keeps no global state and starts no threads: bytes go in, bytes and
//! keys come out. Randomness comes from the caller through [`rand_core`] 0.6 traits, keys are
//! the caller's to store. It is `no_std`; nothing on the codec or handshake paths allocates.
//!
//! | module | what | spec |
//! |---|---|---|
//! | [`handshake`] | [`handshake::ntor`], [`handshake::ntor_v3`], [`handshake::fast`] (CREATE_FAST), `handshake::tap` (feature `tap`), and the [`handshake::CircuitHandshake`] trait over all of them | tor-spec 5.1, proposal 332 |
//! | [`codec`] | CREATE/CREATED cells, EXTEND/EXTENDED relay messages, link specifiers, ntor-v3 extensions | tor-spec 3, 5.1, 6.1 |
//! | [`kdf`], [`keys`] | KDF-TOR, HKDF and the 92 bytes of a hop's circuit keys | tor-spec 5.2 |
//! | [`relay`] | onion queue with ntor priority, handshake statistics, per-address create rate limiting | C tor's `onion_queue.c`, `rephist.c`, `dos.c` |
//!
//! # A round trip
//!
//! A client extends a circuit to a relay with ntor; both ends get the same circuit keys.
//!
//! ```
//! use onionskin::codec::{Cell, CellBody, CellMsg, CircId, CircIdWidth, Create2};
//! use onionskin::handshake::ntor::{self, ClientState, RelayKeys, RelaySecretKey};
//! use onionskin::{HandshakeType, KeyMaterial};
//! use rand_core::OsRng;
//!
//! // The relay's RSA identity digest and ntor onion key; clients learn both from its descriptor.
//! let relay = RelayKeys::new([7; 20], RelaySecretKey::generate(&mut OsRng));
//! let (client, onion_skin) = ClientState::start(&mut OsRng, &relay.public_key());
//!
//! // The client sends the onion skin in a CREATE2 cell (link protocol 4: 514-byte cells).
//! let mut frame = [0u8; 514];
//! let circ_id = CircId::new(0x8000_0001).expect("non-zero");
//! Create2::new(HandshakeType::NTOR, &onion_skin)?.encode_cell(circ_id, CircIdWidth::Wide, &mut frame)?;
//!
//! // The relay decodes the cell without copying and answers.
//! let cell = Cell::decode(&frame, CircIdWidth::Wide)?;
//! let CellMsg::Create2(create2) = cell.msg()? else { unreachable!("a CREATE2 cell") };
//! let onion_skin: &[u8; ntor::ONION_SKIN_LEN] = create2.hdata().try_into()?;
//! let (relay_seed, reply) = ntor::relay_respond(&mut OsRng, &relay, onion_skin)?;
//!
//! // The reply travels back in a CREATED2 cell; the client checks it and derives its keys.
//! let client_seed = client.finish(&reply)?;
//! assert_eq!(client_seed.circuit_keys(), relay_seed.circuit_keys());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `std` | yes | implies `alloc` |
//! | `alloc` | via `std` | the [`relay`] module's queue and rate limiter, which hold growing state |
//! | `tap` | yes | TAP (RSA-1024 and DH-1024), the legacy handshake; relays that never speak it can turn it off |
//! | `arbitrary` | no | `arbitrary::Arbitrary` generators of well-formed onion skins, handshake cells and ntor-v3 extension lists, for fuzzers of code built on this crate (implies `std`) |
//! | `hazmat` | no | deterministic entry points that take ephemeral secrets explicitly (known-answer tests, research); never for production, since a reused ephemeral key breaks every handshake |
//!
//! # Security
//!
//! * Untrusted bytes never panic and never allocate; every failure is a typed error
//!   ([`DecodeError`], [`EncodeError`], [`HandshakeError`]).
//! * Every check that depends on a secret (a MAC or AUTH value, an all-zero shared secret, an
//!   unknown onion key) is folded into one [`subtle::Choice`] and decided once, after all the
//!   work, so a failure does not tell which check failed or when. Private-key operations
//!   (X25519, RSA, DH, the MACs) are constant time: the repository's constant-time checker runs
//!   every secret path under valgrind memcheck with the secrets marked undefined.
//! * Secrets are wiped on drop and never printed by `Debug`.
//! * The limits of these claims (what the checker cannot see, which CPU features it covered)
//!   and how to report a vulnerability are in `SECURITY.md`.
//!
//! The repository's README describes the relay cost report, a program that measures what each
//! handshake costs a relay's CPU, and the surge simulation built on the [`relay`] module.
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
mod ct;
#[cfg(target_arch = "x86_64")]
mod simd;
// Strict DER and PEM/base64 readers for Tor's key files (TAP's RSA keys, RSA identities).
mod der;
mod error;
// Keccak-f[1600], SHA3-256 and SHAKE-256 for ntor-v3, four permutations at a time with AVX2.
// Public only under `hazmat` (differential tests against sha3); ntor-v3 is its real user.
#[cfg(feature = "hazmat")]
pub mod keccak;
#[cfg(not(feature = "hazmat"))]
mod keccak;
// Public only for tests and benchmarks (`hazmat`); the handshakes are its real users.
#[cfg(feature = "hazmat")]
pub mod x25519;
#[cfg(not(feature = "hazmat"))]
mod x25519;

#[cfg(feature = "arbitrary")]
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
pub mod arbitrary;
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

// The crate README's example is compiled and run with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
