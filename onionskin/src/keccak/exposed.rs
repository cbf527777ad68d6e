//! The sponges and permutations of this module as plain functions, so that they can be checked
//! against the `sha3` and `keccak` crates on arbitrary inputs (differential fuzzing, property
//! tests). ntor-v3 uses the crate-internal [`Job`] and [`run_chains`] directly.

use super::{
    Chain, Domain, JOB_CAPACITY, Job, RATE, StepInput, absorb_f1600x4, absorb_f1600x8,
    run_chain_pool, run_chains,
};

/// The longest input these functions hash: what one buffered job holds.
pub const MAX_INPUT_LEN: usize = JOB_CAPACITY - 1;

/// The most output [`sha3_then_shake_x4`] reads from each SHAKE-256 stream: one block.
pub const MAX_CHAINED_OUTPUT_LEN: usize = RATE;

/// SHA3-256 (FIPS 202 §6.1) of `data`, through the same buffered job ntor-v3 uses.
///
/// Returns `None` if `data` is longer than [`MAX_INPUT_LEN`].
///
/// ```
/// let digest = onionskin::keccak::sha3_256(b"").expect("short input");
/// assert_eq!(digest[..4], [0xa7, 0xff, 0xc6, 0xf8]);
/// ```
#[must_use]
pub fn sha3_256(data: &[u8]) -> Option<[u8; 32]> {
    if data.len() > MAX_INPUT_LEN {
        return None;
    }
    let mut job = Job::new(Domain::Sha3);
    Some(job.absorb(data).run().digest())
}

/// SHAKE-256 (FIPS 202 §6.2) of `data`, filling `out` with as many output bytes as it holds.
///
/// # Errors
///
/// [`InputTooLong`] if `data` is longer than [`MAX_INPUT_LEN`].
///
/// ```
/// let mut out = [0u8; 300];
/// onionskin::keccak::shake256(b"", &mut out)?;
/// assert_eq!(out[..4], [0x46, 0xb9, 0xdd, 0x2b]);
/// # Ok::<(), onionskin::keccak::InputTooLong>(())
/// ```
pub fn shake256(data: &[u8], out: &mut [u8]) -> Result<(), InputTooLong> {
    if data.len() > MAX_INPUT_LEN {
        return Err(InputTooLong);
    }
    let mut job = Job::new(Domain::Shake);
    job.absorb(data).run().output().read(out);
    Ok(())
}

/// `Keccak-f[1600]` (FIPS 202 §3.3) on one state, the portable permutation.
///
/// ```
/// let mut state = [0u64; 25];
/// onionskin::keccak::f1600_portable(&mut state);
/// assert_eq!(state[0], 0xf125_8f79_40e1_dde7);
/// ```
pub fn f1600_portable(state: &mut [u64; 25]) {
    super::f1600(state);
}

/// `Keccak-f[1600]` on four states at once: the four-lane permutation (AVX2 when the CPU has
/// it, else one state after another), each state in its own lane.
///
/// ```
/// let mut states = [[0u64; 25]; 4];
/// states[2][0] = 1;
/// onionskin::keccak::f1600_x4(&mut states);
/// let mut one = [0u64; 25];
/// onionskin::keccak::f1600_portable(&mut one);
/// assert_eq!(states[0], one);
/// assert_ne!(states[2], one);
/// ```
pub fn f1600_x4(states: &mut [[u64; 25]; 4]) {
    let mut lanes = [[0u64; 4]; 25];
    // Each state starts: keep nothing of the (zero) lanes and XOR the whole state in.
    let step = StepInput {
        input: *states,
        keep: [0; 4],
    };
    absorb_f1600x4(&mut lanes, &step, [true; 4]);
    for (i, row) in lanes.iter().enumerate() {
        for (state, word) in states.iter_mut().zip(row) {
            if let Some(lane) = state.get_mut(i) {
                *lane = *word;
            }
        }
    }
}

/// `Keccak-f[1600]` on eight states at once: the eight-lane permutation (AVX-512 when the CPU
/// has it, else one state after another), each state in its own lane.
///
/// ```
/// let mut states = [[0u64; 25]; 8];
/// states[7][0] = 1;
/// onionskin::keccak::f1600_x8(&mut states);
/// let mut one = [0u64; 25];
/// onionskin::keccak::f1600_portable(&mut one);
/// assert_eq!(states[0], one);
/// assert_ne!(states[7], one);
/// ```
pub fn f1600_x8(states: &mut [[u64; 25]; 8]) {
    let mut lanes = [[0u64; 8]; 25];
    let step = StepInput {
        input: *states,
        keep: [0; 8],
    };
    absorb_f1600x8(&mut lanes, &step, [true; 8]);
    for (i, row) in lanes.iter().enumerate() {
        for (state, word) in states.iter_mut().zip(row) {
            if let Some(lane) = state.get_mut(i) {
                *lane = *word;
            }
        }
    }
}

/// The most chains [`sha3_then_shake_pool`] runs: as many as an ntor-v3 relay batch has.
pub const MAX_POOL_CHAINS: usize = 24;

/// Chained hashes run as an ntor-v3 relay batch runs its hashes: for each `j`, the SHA3-256
/// digest of `first[j]` into `digests[j]`, then SHAKE-256 of that digest followed by
/// `second[j]`, its first `out[j].len()` bytes into `out[j]`. The chains share the lanes of
/// the permutations (eight with AVX-512 when more than four chains have blocks left, four
/// otherwise), a lane passing to the next chain when one finishes. Runs as many chains as the
/// shortest of the four slices has entries.
///
/// # Errors
///
/// [`InputTooLong`] for more than [`MAX_POOL_CHAINS`] chains, or an input or output longer
/// than [`sha3_then_shake_x4`] takes.
///
/// ```
/// use onionskin::keccak::{sha3_256, sha3_then_shake_pool};
/// let firsts: Vec<Vec<u8>> = (0..10).map(|i| vec![i; 50 * i as usize]).collect();
/// let first: Vec<&[u8]> = firsts.iter().map(Vec::as_slice).collect();
/// let second = [&b"tail"[..]; 10];
/// let mut outs = [[0u8; 16]; 10];
/// let mut out: Vec<&mut [u8]> = outs.iter_mut().map(|o| &mut o[..]).collect();
/// let mut digests = [[0u8; 32]; 10];
/// sha3_then_shake_pool(&first, &second, &mut out, &mut digests)?;
/// assert_eq!(Some(digests[9]), sha3_256(&[9; 450]));
/// # Ok::<(), onionskin::keccak::InputTooLong>(())
/// ```
pub fn sha3_then_shake_pool(
    first: &[&[u8]],
    second: &[&[u8]],
    out: &mut [&mut [u8]],
    digests: &mut [[u8; 32]],
) -> Result<(), InputTooLong> {
    let n = first
        .len()
        .min(second.len())
        .min(out.len())
        .min(digests.len());
    if n > MAX_POOL_CHAINS
        || first.iter().any(|f| f.len() > MAX_INPUT_LEN)
        || second.iter().any(|s| s.len() + 32 > MAX_INPUT_LEN)
        || out.iter().any(|o| o.len() > MAX_CHAINED_OUTPUT_LEN)
    {
        return Err(InputTooLong);
    }
    let thens: [_; MAX_POOL_CHAINS] = core::array::from_fn(|j| {
        let s: &[u8] = second.get(j).copied().unwrap_or_default();
        move |done: &Job, next: &mut Job| {
            next.restart(Domain::Shake, true);
            next.absorb(&done.digest()).absorb(s);
        }
    });
    let mut chains = [Chain::UNLINKED; MAX_POOL_CHAINS];
    for ((chain, then), data) in chains.iter_mut().zip(&thens).zip(first).take(n) {
        chain.link(then);
        chain.first_mut().restart(Domain::Sha3, true);
        chain.first_mut().absorb(data);
    }
    let used = chains.get_mut(..n).unwrap_or_default();
    run_chain_pool(used);
    for ((chain, digest), o) in used.iter_mut().zip(digests).zip(out) {
        *digest = chain.first().digest();
        chain.second_mut().read_output(0, o);
    }
    Ok(())
}

/// Four chained hashes run side by side, as ntor-v3 runs its hashes: for each `j`, the
/// SHA3-256 digest `d_j` of `first[j]`, then SHAKE-256 of `d_j | second[j]`, whose first
/// `out[j].len()` bytes are written to `out[j]`. Returns the four digests. The chains' lengths
/// may differ, so lanes join and leave the four-lane permutations at different steps.
///
/// # Errors
///
/// [`InputTooLong`] if an input is longer than [`MAX_INPUT_LEN`] (for `second`, less the 32
/// bytes of the digest) or an output longer than [`MAX_CHAINED_OUTPUT_LEN`].
///
/// ```
/// use onionskin::keccak::{sha3_256, sha3_then_shake_x4};
/// let mut out = [[0u8; 16]; 4];
/// let [o0, o1, o2, o3] = &mut out;
/// let digests = sha3_then_shake_x4(
///     [b"a", b"bb", &[7; 200], b""],
///     [b"", b"x", b"y", &[1; 300]],
///     [o0, o1, o2, o3],
/// )?;
/// assert_eq!(Some(digests[2]), sha3_256(&[7; 200]));
/// # Ok::<(), onionskin::keccak::InputTooLong>(())
/// ```
pub fn sha3_then_shake_x4(
    first: [&[u8]; 4],
    second: [&[u8]; 4],
    out: [&mut [u8]; 4],
) -> Result<[[u8; 32]; 4], InputTooLong> {
    if first.iter().any(|f| f.len() > MAX_INPUT_LEN)
        || second.iter().any(|s| s.len() + 32 > MAX_INPUT_LEN)
        || out.iter().any(|o| o.len() > MAX_CHAINED_OUTPUT_LEN)
    {
        return Err(InputTooLong);
    }
    let thens = second.map(|s| {
        move |done: &Job, next: &mut Job| {
            next.restart(Domain::Shake, true);
            next.absorb(&done.digest()).absorb(s);
        }
    });
    let [t0, t1, t2, t3] = &thens;
    let mut chains = [
        Chain::new(t0),
        Chain::new(t1),
        Chain::new(t2),
        Chain::new(t3),
    ];
    for (chain, data) in chains.iter_mut().zip(first) {
        chain.first_mut().restart(Domain::Sha3, true);
        chain.first_mut().absorb(data);
    }
    run_chains(&mut chains);
    let mut digests = [[0u8; 32]; 4];
    for ((chain, digest), o) in chains.iter_mut().zip(&mut digests).zip(out) {
        *digest = chain.first().digest();
        chain.second_mut().read_output(0, o);
    }
    Ok(digests)
}

/// An input or output longer than the buffered jobs hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputTooLong;

impl core::fmt::Display for InputTooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("input or output longer than a Keccak job holds")
    }
}

impl core::error::Error for InputTooLong {}
