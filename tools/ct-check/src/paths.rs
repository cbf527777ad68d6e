//! The registry of checked paths, and what every path shares: fresh secrets, the
//! declassification reasons, and a comparison with an unmarked run.

use crate::vg;
use onionskin::HandshakeError;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// One secret-handling path. `run` performs it `ctx.runs` times with fresh secrets, marked
/// undefined, and returns `Err` if the path did not do what it should (e.g. the two sides did
/// not agree): a path that did not run to the end proves nothing about constant time.
pub(crate) struct Path {
    pub(crate) name: &'static str,
    pub(crate) run: fn(&mut Ctx) -> Result<(), String>,
}

/// Shared state of a check run.
pub(crate) struct Ctx {
    pub(crate) runs: usize,
    rng: ChaCha20Rng,
}

impl Ctx {
    pub(crate) fn new(runs: usize) -> Self {
        // Fixed seed: a finding reproduces exactly. Secrets differ between runs of a path.
        Self {
            runs,
            rng: ChaCha20Rng::seed_from_u64(0x6374_5f63_6865_636b),
        }
    }

    /// `N` fresh random bytes (defined; mark them with [`vg::secret`] where they are secret).
    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.rng.fill_bytes(&mut b);
        b
    }
}

/// Declassification reasons. the README (section "Constant-time check") lists each with its justification.
pub(crate) mod why {
    /// A value the path computed and then compared by the harness with a run on unmarked
    /// inputs, after the library call returned. Never fed back into the library.
    pub(crate) const RESULT_CHECK: &str =
        "harness: output compared with an unmarked run or a vector, after the call";
    /// Bytes the path sends on the wire: an onion skin or a reply.
    pub(crate) const WIRE: &str = "sent on the wire (onion skin or reply)";
    /// A relay's public onion key, derived from its secret key inside the path's key set-up
    /// and published in its descriptor.
    pub(crate) const PUBLIC_KEY: &str = "relay's public onion key (published)";
    /// ntor-v3: the client's message, after the relay authenticated it, as handed to the
    /// relay's callback: the relay's to read and act on.
    pub(crate) const AUTHENTICATED_MESSAGE: &str =
        "ntor-v3 client message after its MAC verified, handed to the relay's callback";
    /// hs-ntor: the INTRODUCE2 plaintext, decrypted into the service's buffer once the MAC
    /// verified: the service's to read (rendezvous cookie, link specifiers).
    pub(crate) const INTRODUCE_PLAINTEXT: &str =
        "hs-ntor INTRODUCE2 plaintext after its MAC verified, written for the service";
    /// hs-ntor: which of the service's subcredentials the client used, returned with an
    /// accepted INTRODUCE2 (the time period the client introduced itself in).
    pub(crate) const SUBCREDENTIAL_INDEX: &str =
        "hs-ntor: index of the matching subcredential, returned after the verdict";
}

/// Declassifies `got` as [`why::RESULT_CHECK`] and compares it with `want`.
pub(crate) fn check_eq(what: &str, got: &mut [u8], want: &[u8]) -> Result<(), String> {
    vg::public(got, why::RESULT_CHECK);
    if got == want {
        Ok(())
    } else {
        Err(format!("{what} differs from the unmarked run"))
    }
}

/// Expands `want.len()` bytes of key material, declassifies them as [`why::RESULT_CHECK`]
/// and compares them with `want`.
pub(crate) fn check_keys<K: onionskin::KeyMaterial>(
    what: &str,
    seed: K,
    want: &[u8],
) -> Result<(), String> {
    let mut got = vec![0u8; want.len()];
    lib(what, seed.expand_into(&mut got))?;
    check_eq(what, &mut got, want)
}

/// A copy of `v`, marked secret.
pub(crate) fn marked<const N: usize>(v: &[u8; N]) -> [u8; N] {
    let mut s = *v;
    vg::secret(&mut s);
    s
}

/// Key material expanded from each seed for the comparison: one hop's worth and a little more.
pub(crate) const KEYS_LEN: usize = 100;

/// Expands `seed` on unmarked inputs, for the reference.
pub(crate) fn keys_of<K: onionskin::KeyMaterial>(seed: K) -> Result<[u8; KEYS_LEN], String> {
    let mut out = [0u8; KEYS_LEN];
    lib("expand (unmarked)", seed.expand_into(&mut out))?;
    Ok(out)
}

/// Checks that a rejection path rejected, with the one error a failed handshake gives.
pub(crate) fn expect_failed<T>(what: &str, r: Result<T, HandshakeError>) -> Result<(), String> {
    expect_error(what, r, HandshakeError::Failed)
}

/// Checks that a handshake was rejected with `want`.
pub(crate) fn expect_error<T>(
    what: &str,
    r: Result<T, HandshakeError>,
    want: HandshakeError,
) -> Result<(), String> {
    match r {
        Err(e) if e == want => Ok(()),
        Err(e) => Err(format!("{what}: expected {want:?}, got {e:?}")),
        Ok(_) => Err(format!("{what}: accepted, expected {want:?}")),
    }
}

/// Turns a library error into the path's error.
pub(crate) fn lib<T, E: core::fmt::Debug>(what: &str, r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e:?}"))
}

/// Every path this build checks, in the order they run.
pub(crate) fn all() -> Vec<Path> {
    vec![
        Path {
            name: "KDF-TOR (TAP/CREATE_FAST key material)",
            run: crate::kdf::kdf_tor,
        },
        Path {
            name: "HKDF-SHA256 (ntor KDF-RFC5869)",
            run: crate::kdf::hkdf_sha256,
        },
        Path {
            name: "AES-128-CTR (aes + ctr; TAP hybrid part)",
            run: crate::deps::aes128_ctr,
        },
        Path {
            name: "AES-256-CTR (aes + ctr; ntor-v3 messages)",
            run: crate::deps::aes256_ctr,
        },
        Path {
            name: "X25519 relay y*G, y*X, b*X (crate; AVX2 if shown)",
            run: crate::x25519::relay_dispatch,
        },
        Path {
            name: "X25519 relay y*G, y*X, b*X (crate; portable)",
            run: crate::x25519::relay_portable,
        },
        Path {
            name: "X25519 relay batch (crate; IFMA lane algorithm on portable lanes)",
            run: crate::x25519::batch_portable_lanes,
        },
        Path {
            name: "X25519 relay batch (crate; AVX2 four-lane ladders on portable lanes)",
            run: crate::x25519::batch_portable_avx2_lanes,
        },
        Path {
            name: "X25519 relay batch (crate; AVX2 four-lane ladders)",
            run: crate::x25519::batch_avx2,
        },
        Path {
            name: "X25519 relay batch (crate; dispatch, AVX2 if shown)",
            run: crate::x25519::batch_dispatch,
        },
        Path {
            name: "X25519 client x*Y, x*B (crate; AVX2 if shown)",
            run: crate::x25519::client_dispatch,
        },
        Path {
            name: "X25519 client x*Y, x*B (crate; portable)",
            run: crate::x25519::client_portable,
        },
        Path {
            name: "ntor relay respond (b, y secret)",
            run: crate::ntor::relay_respond,
        },
        Path {
            name: "ntor relay reject/junk (low-order X, unknown KEYID)",
            run: crate::ntor::relay_reject,
        },
        Path {
            name: "ntor client start + finish (x secret)",
            run: crate::ntor::client_finish,
        },
        Path {
            name: "ntor client reject (bad AUTH, low-order Y)",
            run: crate::ntor::client_reject,
        },
        Path {
            name: "CREATE_FAST relay respond (Y secret)",
            run: crate::fast::relay_respond,
        },
        Path {
            name: "CREATE_FAST client start + finish (X secret)",
            run: crate::fast::client_finish,
        },
        Path {
            name: "CREATE_FAST client reject (bad KH)",
            run: crate::fast::client_reject,
        },
        Path {
            name: "ntor-v3 relay respond (b, y, SM secret)",
            run: crate::ntor_v3::relay_respond,
        },
        Path {
            name: "ntor-v3 relay reject (MAC, low-order X, KEYID, refusal)",
            run: crate::ntor_v3::relay_reject,
        },
        Path {
            name: "ntor-v3 relay batch (b, 5 y, SM secret; shared Keccak lanes)",
            run: crate::ntor_v3::relay_batch,
        },
        Path {
            name: "ntor-v3 client start + finish (x, CM secret)",
            run: crate::ntor_v3::client_finish,
        },
        Path {
            name: "ntor-v3 client reject (AUTH, SM, low-order Y)",
            run: crate::ntor_v3::client_reject,
        },
        Path {
            name: "hs-ntor service respond (b, y, 3 subcredentials secret)",
            run: crate::hs_ntor::service_respond,
        },
        Path {
            name: "hs-ntor service reject (MAC, ciphertext, low-order X, no subcredential)",
            run: crate::hs_ntor::service_reject,
        },
        Path {
            name: "hs-ntor client start + finish (x, plaintext secret)",
            run: crate::hs_ntor::client_finish,
        },
        Path {
            name: "hs-ntor client reject (AUTH, low-order Y)",
            run: crate::hs_ntor::client_reject,
        },
        Path {
            name: "TAP relay respond (RSA CRT key, y secret)",
            run: crate::tap::relay_respond,
        },
        Path {
            name: "TAP relay reject (g^x range, OAEP, c >= n)",
            run: crate::tap::relay_reject,
        },
        Path {
            name: "TAP client start + finish (x, K, OAEP seed secret)",
            run: crate::tap::client_finish,
        },
        Path {
            name: "TAP client reject (g^y range, KH)",
            run: crate::tap::client_reject,
        },
        Path {
            name: "tor1 relay crypto, 3 hops (keys, digests, plaintext secret)",
            run: crate::relay_crypto::tor1_circuit,
        },
        Path {
            name: "tor1 relay crypto reject (Recognized 0, wrong digest)",
            run: crate::relay_crypto::tor1_reject,
        },
        Path {
            name: "onion-service relay layer (SHA3-256, AES-256-CTR)",
            run: crate::relay_crypto::hs_layer,
        },
    ]
}

/// Secret-handling paths this build cannot check yet (their code has not landed).
pub(crate) fn missing() -> Vec<&'static str> {
    // Every secret-handling path is checked; a new handshake adds its own here until wired.
    Vec::new()
}
