//! The registry of checked paths, and what every path shares: fresh secrets, the
//! declassification reasons, and a comparison with an unmarked run.

use crate::vg;
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

    /// The RNG, for library calls that draw their own values (deterministic, seeded).
    pub(crate) fn rng(&mut self) -> &mut ChaCha20Rng {
        &mut self.rng
    }
}

/// Declassification reasons. docs/ct_check.md lists each with its justification.
pub(crate) mod why {
    /// A value the path computed and then compared by the harness with a run on unmarked
    /// inputs, after the library call returned. Never fed back into the library.
    pub(crate) const RESULT_CHECK: &str = "harness: output compared with an unmarked run, after the call";
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
    ]
}

/// Paths issue 7 asks for that this build cannot check yet (their code has not landed).
pub(crate) fn missing() -> Vec<&'static str> {
    vec![
        "ntor relay respond",
        "ntor client finish",
        "ntor-v3 relay respond",
        "ntor-v3 client finish",
        "CREATE_FAST relay respond",
        "CREATE_FAST client finish",
        "TAP relay respond",
        "TAP client finish",
    ]
}
