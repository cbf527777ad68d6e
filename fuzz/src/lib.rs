//! The properties the handshake, channel and relay-crypto fuzz targets check, one module per
//! handshake or layer.
//!
//! Each `fuzz_targets/<name>.rs` is a one-line wrapper around a function here, and
//! `tests/fuzz_regressions.rs` in the main crate includes this file (`#[path]`) to replay the
//! committed seed corpora and every reproducer under `fuzz/regressions/` on stable Rust. So
//! this code must build both as this crate and as a module of that test: it refers to its
//! siblings with `super::`, never `crate::`, and uses only crates the main crate's tests
//! also have (onionskin, rand_chacha, rand_core, curve25519-dalek).
//!
//! # What the targets assert
//! Not only "no panic". Every target checks, on every input, that the handshake's verdict is
//! the one an independent oracle predicts, and where a handshake completes, that both sides
//! hold the same keys. The oracles are:
//!
//! * **Relay side, arbitrary onion skin.** The verdict is predicted from public facts: the
//!   length, NODEID, KEYID, whether `X` is a low-order point (computed with curve25519-dalek,
//!   not with onionskin), and, where the skin is authenticated (ntor-v3's `msg_mac`, TAP's
//!   RSA-OAEP), whether the skin is one this harness knows to be authentic. A skin the
//!   fuzzer makes up and the relay accepts is a forgery, and a failure.
//! * **Relay side, mutated onion skin.** A deterministic client makes a valid skin; the input
//!   XORs it (see [`support::mutate`]). Unmutated, the relay must accept and agree on keys
//!   with the client. Mutated, see each module for what "must not accept" means for that
//!   handshake: ntor and CREATE_FAST do not authenticate the client's ephemeral key, so a
//!   relay may answer a changed `X`, and what must fail is the handshake (the client that
//!   made the original skin rejects the relay's reply).
//! * **Client side.** A fixed client state from the test vectors, and a reply that is
//!   arbitrary or a mutation of the vector's reply: the client accepts exactly the vector's
//!   reply, and then derives the vector's keys.
//! * **Round trips with arbitrary messages** (ntor-v3): the client's or the relay's message
//!   comes from the input, is parsed with the crate's extension codec on the receiving side,
//!   and must arrive unchanged.
//!
//! * **Parsers for embedders** ([`formats`]): C tor's key files and descriptor keys, typed
//!   ntor-v3 extension lists and the one-call relay dispatch: whatever parses writes back to
//!   the same bytes; everything else is a typed error.
//!
//! Inputs start with a mode byte (taken modulo the number of modes), then the mode's data.

pub mod channel;
pub mod fast;
pub mod formats;
pub mod ntor;
pub mod ntor_v3;
pub mod relay_crypto;
pub mod support;
pub mod tap;
