//! `Keccak-f[1600]` (FIPS 202 §3) and the sponges ntor-v3 builds on it (SHA3-256 and
//! SHAKE-256, FIPS 202 §6), with a way to run up to four hashes' permutations at once.
//!
//! Why not the `sha3` crate: an ntor-v3 relay computes fourteen permutations per handshake,
//! and most of them belong to hashes that do not depend on each other (`KEY_SEED`, `verify`
//! and the phase-1 KDF; then `msg_mac`, the final KDF and the start of `AUTH`). With AVX2
//! the permutation is written once over a lane type (`KeccakLanes`) and run on four
//! states side by side, which costs about 1.3 scalar permutations (0.46 µs against 0.35 µs
//! on the reference machine); `Job`, `Chain` and `run_chains` schedule the hashes so
//! that they share those permutations. Without AVX2 the same schedule runs one permutation
//! at a time.
//!
//! Everything here is constant-time: no branch or index depends on state or input bytes,
//! only on lengths, which are public.

// With `reference-backends` the permutation comes from the `keccak` crate, and the own one
// serves only the tests.
#![cfg_attr(feature = "reference-backends", allow(dead_code))]

#[cfg(feature = "hazmat")]
mod exposed;
#[cfg(feature = "hazmat")]
#[cfg_attr(docsrs, doc(cfg(feature = "hazmat")))]
pub use exposed::{
    InputTooLong, MAX_CHAINED_OUTPUT_LEN, MAX_INPUT_LEN, MAX_POOL_CHAINS, f1600_portable, f1600_x4,
    f1600_x8, sha3_256, sha3_then_shake_pool, sha3_then_shake_x4, shake256,
};

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Operations on lanes of Keccak state: one 64-bit lane, or the same lane of several states
/// side by side (`crate::simd::avx2`). Each method is one or two instructions.
pub(crate) trait KeccakLanes: Copy {
    /// One lane (scalar) or several (vector).
    type V: Copy;
    /// `a ^ b`.
    fn xor(self, a: Self::V, b: Self::V) -> Self::V;
    /// `!a & b`: chi's nonlinear term.
    fn andn(self, a: Self::V, b: Self::V) -> Self::V;
    /// Rotate each 64-bit lane left by `L`; callers pass `R == 64 - L`, because a vector
    /// rotate is two shifts and stable Rust cannot compute `64 - L` from a generic.
    fn rotl<const L: i32, const R: i32>(self, a: Self::V) -> Self::V;
    /// `a ^ rc` in every lane: iota.
    fn xor_rc(self, a: Self::V, rc: u64) -> Self::V;
    /// `a ^ b ^ c`: theta's column parities (one `vpternlogq` with AVX-512).
    #[inline(always)]
    fn xor3(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        self.xor(self.xor(a, b), c)
    }
    /// `a ^ (!b & c)`: chi (one `vpternlogq` with AVX-512).
    #[inline(always)]
    fn xor_andn(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        self.xor(a, self.andn(b, c))
    }
}

/// One state, in general-purpose registers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scalar;

impl KeccakLanes for Scalar {
    type V = u64;
    #[inline(always)]
    fn xor(self, a: u64, b: u64) -> u64 {
        a ^ b
    }
    #[inline(always)]
    fn andn(self, a: u64, b: u64) -> u64 {
        !a & b
    }
    #[inline(always)]
    #[allow(clippy::cast_sign_loss)] // L is a rho offset, 0..64
    fn rotl<const L: i32, const R: i32>(self, a: u64) -> u64 {
        a.rotate_left(L as u32)
    }
    #[inline(always)]
    fn xor_rc(self, a: u64, rc: u64) -> u64 {
        a ^ rc
    }
}

/// rho's rotation offsets, indexed `x + 5y` (FIPS 202 §3.2.2, Algorithm 2), computed here
/// rather than typed in.
#[allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap
)]
pub(crate) const RHO: [i32; 25] = {
    let mut r = [0i32; 25];
    let (mut x, mut y) = (1usize, 0usize);
    let mut t = 0usize;
    while t < 24 {
        r[x + 5 * y] = (((t + 1) * (t + 2) / 2) % 64) as i32;
        let next_y = (2 * x + 3 * y) % 5;
        x = y;
        y = next_y;
        t += 1;
    }
    r
};

/// iota's round constants (FIPS 202 §3.2.5, Algorithms 5 and 6), from the degree-8 LFSR.
#[allow(clippy::indexing_slicing)]
pub(crate) const RC: [u64; 24] = {
    // rc(t) for t = 0..255: the low bit of the LFSR x^8 + x^6 + x^5 + x^4 + 1, stepped t times.
    let mut bits = [0u64; 255];
    let mut r: u16 = 1;
    let mut t = 0;
    while t < 255 {
        bits[t] = (r & 1) as u64;
        r <<= 1;
        if r & 0x100 != 0 {
            r ^= 0x171;
        }
        t += 1;
    }
    let mut rc = [0u64; 24];
    let mut i = 0;
    while i < 24 {
        let mut j = 0;
        while j <= 6 {
            rc[i] |= bits[(j + 7 * i) % 255] << ((1usize << j) - 1);
            j += 1;
        }
        i += 1;
    }
    rc
};

/// Output lane `B[x, y]` before chi: theta's column parity `D`, then rho and pi, in one.
/// pi moves `A[x', y']` to `B[y', 2x' + 3y']`, so `B[x, y]` comes from `A[x + 3y, x]`.
macro_rules! theta_rho_pi {
    ($k:ident, $a:ident, $d:ident, $x:literal, $y:literal) => {{
        const SX: usize = ($x + 3 * $y) % 5;
        const I: usize = SX + 5 * $x;
        $k.rotl::<{ RHO[I] }, { 64 - RHO[I] }>($k.xor($a[I], $d[SX]))
    }};
}

/// One output row `y`: five lanes through theta, rho and pi, then chi.
macro_rules! row {
    ($k:ident, $a:ident, $d:ident, $e:ident, $y:literal) => {{
        let b0 = theta_rho_pi!($k, $a, $d, 0, $y);
        let b1 = theta_rho_pi!($k, $a, $d, 1, $y);
        let b2 = theta_rho_pi!($k, $a, $d, 2, $y);
        let b3 = theta_rho_pi!($k, $a, $d, 3, $y);
        let b4 = theta_rho_pi!($k, $a, $d, 4, $y);
        $e[5 * $y] = $k.xor_andn(b0, b1, b2);
        $e[5 * $y + 1] = $k.xor_andn(b1, b2, b3);
        $e[5 * $y + 2] = $k.xor_andn(b2, b3, b4);
        $e[5 * $y + 3] = $k.xor_andn(b3, b4, b0);
        $e[5 * $y + 4] = $k.xor_andn(b4, b0, b1);
    }};
}

/// One round (FIPS 202 §3.3) from `a` into `e`, row by row, so only one row of `B` is live.
/// (No closures or `array::from_fn`: they would not inline into AVX2-enabled callers.)
#[inline(always)]
#[allow(clippy::indexing_slicing)] // constant indices into fixed arrays
fn round<K: KeccakLanes>(k: K, a: &[K::V; 25], e: &mut [K::V; 25], rc: u64) {
    macro_rules! parity {
        ($x:literal) => {
            k.xor3(k.xor3(a[$x], a[$x + 5], a[$x + 10]), a[$x + 15], a[$x + 20])
        };
    }
    let c = [parity!(0), parity!(1), parity!(2), parity!(3), parity!(4)];
    macro_rules! column_fix {
        ($x:literal) => {
            k.xor(c[($x + 4) % 5], k.rotl::<1, 63>(c[($x + 1) % 5]))
        };
    }
    let d = [
        column_fix!(0),
        column_fix!(1),
        column_fix!(2),
        column_fix!(3),
        column_fix!(4),
    ];
    row!(k, a, d, e, 0);
    row!(k, a, d, e, 1);
    row!(k, a, d, e, 2);
    row!(k, a, d, e, 3);
    row!(k, a, d, e, 4);
    e[0] = k.xor_rc(e[0], rc);
}

/// `Keccak-f[1600]`: 24 rounds, two per iteration so the state ping-pongs between `a` and a
/// scratch copy without moves.
#[inline(always)]
pub(crate) fn permute<K: KeccakLanes>(k: K, a: &mut [K::V; 25]) {
    let mut e = *a;
    for pair in RC.chunks_exact(2) {
        if let [even, odd] = *pair {
            round(k, a, &mut e, even);
            round(k, &e, a, odd);
        }
    }
}

/// `Keccak-f[1600]` on one state.
pub(crate) fn f1600(state: &mut [u64; 25]) {
    // `reference-backends`: the `keccak` crate's permutation, the one `sha3` runs on.
    #[cfg(feature = "reference-backends")]
    ::keccak::f1600(state);
    #[cfg(not(feature = "reference-backends"))]
    permute(Scalar, state);
}

/// Four Keccak states interleaved lane by lane: `lanes[i][j]` is lane `i` of state `j`, so
/// that each row is one 256-bit vector.
pub(crate) type Interleaved = [[u64; 4]; 25];

/// Eight Keccak states interleaved the same way: each row is one 512-bit vector.
// Off x86-64 only `hazmat`'s `f1600_x8` runs eight lanes (one state after another).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) type Interleaved8 = [[u64; 8]; 25];

/// What one `W`-lane step feeds each state before permuting it: state `j` becomes
/// `(state_j & keep[j]) ^ input[j]`. A state that continues keeps all ones and gets its next
/// block; a state that starts keeps nothing and gets its initial value with its first block
/// XORed in. (Handing the words over this way, rather than writing them into the
/// interleaved rows, lets the vector code load each row whole; narrow stores followed by a wide
/// load of the same row would stall store forwarding on every row.)
pub(crate) struct StepInput<const W: usize = 4> {
    pub(crate) input: [[u64; 25]; W],
    pub(crate) keep: [u64; W],
}

impl<const W: usize> Zeroize for StepInput<W> {
    fn zeroize(&mut self) {
        for st in &mut self.input {
            st.as_mut_slice().zeroize();
        }
    }
}

/// Feeds `step` into the states of `lanes` whose `active` flag is set and permutes them
/// (`Keccak-f[1600]`). The other states are scratch: with vectors all four are processed in
/// one pass (inactive ones uselessly, at no extra cost); without, the active ones one after
/// another. AVX-512 (`vpternlogq`, `vprolq` on 256-bit vectors) halves the instructions of
/// AVX2, which has neither.
pub(crate) fn absorb_f1600x4(lanes: &mut Interleaved, step: &StepInput, active: [bool; 4]) {
    // `reference-backends`: one state after another on the `keccak` crate's permutation.
    #[cfg(all(target_arch = "x86_64", not(feature = "reference-backends")))]
    {
        if let Some(avx512) = crate::simd::avx512::Avx512::detect() {
            avx512.keccak_absorb_f1600x4(lanes, &step.input, step.keep);
            return;
        }
        if let Some(avx2) = crate::simd::avx2::Avx2::detect() {
            avx2.keccak_absorb_f1600x4(lanes, &step.input, step.keep);
            return;
        }
    }
    absorb_portable(lanes, step, active);
}

/// [`absorb_f1600x4`] on eight states, in 512-bit vectors with AVX-512; without, one active
/// state after another.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn absorb_f1600x8(lanes: &mut Interleaved8, step: &StepInput<8>, active: [bool; 8]) {
    #[cfg(all(target_arch = "x86_64", not(feature = "reference-backends")))]
    if let Some(avx512) = crate::simd::avx512::Avx512::detect() {
        avx512.keccak_absorb_f1600x8(lanes, &step.input, step.keep);
        return;
    }
    absorb_portable(lanes, step, active);
}

/// The step of [`absorb_f1600x4`] and [`absorb_f1600x8`] one state at a time, on the scalar
/// permutation.
fn absorb_portable<const W: usize>(
    lanes: &mut [[u64; W]; 25],
    step: &StepInput<W>,
    active: [bool; W],
) {
    for (j, ((on, input), keep)) in active
        .into_iter()
        .zip(&step.input)
        .zip(step.keep)
        .enumerate()
    {
        if on {
            let mut state = gather(lanes, j);
            for (lane, word) in state.iter_mut().zip(input) {
                *lane = (*lane & keep) ^ word;
            }
            f1600(&mut state);
            scatter(lanes, j, &state);
            state.as_mut_slice().zeroize();
        }
    }
}

/// The four-lane portable step (tests and the dispatcher name it).
fn absorb_f1600x4_portable(lanes: &mut Interleaved, step: &StepInput, active: [bool; 4]) {
    absorb_portable(lanes, step, active);
}

/// State `j` of `lanes`.
fn gather<const W: usize>(lanes: &[[u64; W]; 25], j: usize) -> [u64; 25] {
    let mut state = [0u64; 25];
    for (dst, row) in state.iter_mut().zip(lanes) {
        *dst = row.get(j).copied().unwrap_or(0);
    }
    state
}

/// Writes `state` as state `j` of `lanes`.
fn scatter<const W: usize>(lanes: &mut [[u64; W]; 25], j: usize, state: &[u64; 25]) {
    for (row, src) in lanes.iter_mut().zip(state) {
        if let Some(dst) = row.get_mut(j) {
            *dst = *src;
        }
    }
}

/// The sponge rate of SHA3-256 and SHAKE-256 in bytes: `(1600 - 2 * 256) / 8`.
pub(crate) const RATE: usize = 136;

/// The domain-separation bits FIPS 202 appends before `pad10*1` (§6.1, §6.2; bytes are
/// little-endian bit strings, so `01` is 0x06 with the pad's first 1, `1111` is 0x1f).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Domain {
    /// SHA3-256.
    Sha3,
    /// SHAKE-256.
    Shake,
}

impl Domain {
    const fn first_pad_byte(self) -> u8 {
        match self {
            Self::Sha3 => 0x06,
            Self::Shake => 0x1f,
        }
    }
}

/// A little-endian 64-bit word from 8 bytes (FIPS 202 §B.1: lanes are little-endian).
#[inline(always)]
fn le_u64(bytes: &[u8]) -> u64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(bytes);
    u64::from_le_bytes(le)
}

/// The largest input a [`Job`] buffers, less one byte for padding: six blocks. ntor-v3's
/// longest is `AUTH`'s with the longest server message (711 bytes); its callers check their
/// bounds at compile time.
pub(crate) const JOB_CAPACITY: usize = 6 * RATE;

/// A hash whose whole input is buffered before its permutations run, so that
/// [`run_chains`] can run them alongside other hashes'. Absorb with [`Job::absorb`]; run it
/// (alone with [`Job::run`], or in lockstep); then read [`Job::digest`], [`Job::read_output`]
/// or [`Job::output`]. A job restarted as incomplete ([`Job::restart`]) runs only the full
/// blocks of what it was given, for when the rest of the input is not known yet;
/// [`Job::resume`] carries on. Jobs are about a kilobyte: fill them in place rather than
/// moving them around.
pub(crate) struct Job {
    state: [u64; 25],
    input: [u8; JOB_CAPACITY],
    /// Bytes of `input` in use (public).
    len: usize,
    /// Blocks of `input` already permuted into `state` (public).
    done: usize,
    domain: Domain,
    /// Whether the input is complete, so the last block is padded (public).
    complete: bool,
}

impl Job {
    /// An empty SHA3-256 or SHAKE-256 computation.
    pub(crate) const fn new(domain: Domain) -> Self {
        Self {
            state: [0; 25],
            input: [0; JOB_CAPACITY],
            len: 0,
            done: 0,
            domain,
            complete: true,
        }
    }

    /// Empties the job (wiping what it held) and starts it again as a `domain` computation.
    /// With `complete == false` only a prefix of the input will be absorbed for now: running
    /// the job permutes its full blocks only, and [`Job::resume`] carries on later.
    pub(crate) fn restart(&mut self, domain: Domain, complete: bool) {
        self.zeroize();
        self.domain = domain;
        self.complete = complete;
    }

    /// Carries on from a prefix (run or not): keeps the state and the bytes not yet
    /// permuted, and finishes after whatever is absorbed next.
    pub(crate) fn resume(&mut self) {
        let start = (self.done * RATE).min(self.len);
        let tail = self.len - start;
        if self.input.get(start..self.len).is_some() {
            self.input.copy_within(start..self.len, 0);
        }
        // Keep the invariant that bytes past `len` are zero.
        if let Some(stale) = self.input.get_mut(tail..self.len) {
            stale.zeroize();
        }
        self.len = tail;
        self.done = 0;
        self.complete = true;
    }

    /// Appends `data` to the input. Inputs are bounded by their callers (compile-time
    /// checks against [`JOB_CAPACITY`]); anything beyond the capacity is dropped rather than
    /// panicking, which yields a wrong hash and so a failed handshake.
    pub(crate) fn absorb(&mut self, data: &[u8]) -> &mut Self {
        let end = (self.len + data.len()).min(JOB_CAPACITY - 1);
        if let (Some(dst), Some(src)) = (
            self.input.get_mut(self.len..end),
            data.get(..end.saturating_sub(self.len)),
        ) {
            dst.copy_from_slice(src);
        }
        self.len = end;
        self
    }

    /// Appends each part in order.
    pub(crate) fn absorb_all(&mut self, parts: &[&[u8]]) -> &mut Self {
        for p in parts {
            self.absorb(p);
        }
        self
    }

    /// Appends `ENCAP(s) = htonll(len(s)) | s` (proposal 332).
    pub(crate) fn absorb_encap(&mut self, s: &[u8]) -> &mut Self {
        // usize is at most 64 bits on every supported target.
        self.absorb(&(s.len() as u64).to_be_bytes());
        self.absorb(s)
    }

    /// The number of permutations this job needs in all.
    fn blocks(&self) -> usize {
        if self.complete {
            // pad10*1 takes at least one byte, so a full last block pads into a new one.
            self.len / RATE + 1
        } else {
            self.len / RATE
        }
    }

    fn is_done(&self) -> bool {
        self.done >= self.blocks()
    }

    /// XORs the next block of input, as 17 little-endian words, into `lanes` (the first 17
    /// lanes of a state), padded if it is the last block of a complete input.
    fn xor_next_block<'l>(&self, lanes: impl Iterator<Item = &'l mut u64>) {
        let start = self.done * RATE;
        let last = self.complete && self.done + 1 == self.blocks();
        // The domain bits go right after the input, `pad10*1`'s last 1 at the block's end.
        let pad_at = self.len.wrapping_sub(start);
        let domain = u64::from(self.domain.first_pad_byte());
        // Bytes past `len` are always zero in `input`, so whole blocks can be read.
        let block = self.input.get(start..start + RATE).unwrap_or_default();
        for (i, (lane, chunk)) in lanes.zip(block.chunks_exact(8)).enumerate() {
            let mut word = le_u64(chunk);
            if last {
                if i == pad_at / 8 {
                    word ^= domain << (8 * (pad_at % 8));
                }
                if i == RATE / 8 - 1 {
                    word ^= 0x80 << 56;
                }
            }
            *lane ^= word;
        }
    }

    /// Runs the job's permutations one at a time.
    pub(crate) fn run(&mut self) -> &mut Self {
        while !self.is_done() {
            let mut state = self.state;
            self.xor_next_block(state.iter_mut());
            self.state = state;
            state.as_mut_slice().zeroize();
            f1600(&mut self.state);
            self.done += 1;
        }
        self
    }

    /// Copies output bytes `offset..offset + out.len()` (within the first block, and
    /// `offset` a multiple of 8). Call after the job has run.
    pub(crate) fn read_output(&self, offset: usize, out: &mut [u8]) {
        let lanes = self.state.get(offset / 8..RATE / 8).unwrap_or_default();
        for (chunk, lane) in out.chunks_mut(8).zip(lanes) {
            let bytes = lane.to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
    }

    /// The first 32 bytes of output: the SHA3-256 digest. Call after the job has run.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, lane) in out.chunks_exact_mut(8).zip(self.state) {
            chunk.copy_from_slice(&lane.to_le_bytes());
        }
        out
    }

    /// The output stream (SHAKE-256's XOF). Call after the job has run.
    pub(crate) fn output(&self) -> Squeeze {
        Squeeze {
            state: self.state,
            pos: 0,
        }
    }
}

impl Zeroize for Job {
    fn zeroize(&mut self) {
        self.state.as_mut_slice().zeroize();
        // Slices zeroize in bulk (arrays would byte by byte); only `..len` ever held data.
        if let Some(used) = self.input.get_mut(..self.len) {
            used.zeroize();
        }
        self.len = 0;
        self.done = 0;
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Job {}

/// A sponge's output, read in order; each further block is permuted only when asked for.
/// (`Default` is an empty, all-zero stream, left behind when one is moved out of a wiped
/// owner.)
#[derive(Default)]
pub(crate) struct Squeeze {
    state: [u64; 25],
    /// Bytes of the current output block already read (public).
    pos: usize,
}

impl Squeeze {
    /// Fills `out` with the next bytes of the stream.
    pub(crate) fn read(&mut self, mut out: &mut [u8]) {
        while !out.is_empty() {
            if self.pos == RATE {
                f1600(&mut self.state);
                self.pos = 0;
            }
            // Up to the end of the current lane, a word at a time.
            let lane = self
                .state
                .get(self.pos / 8)
                .copied()
                .unwrap_or(0)
                .to_le_bytes();
            let from = lane.get(self.pos % 8..).unwrap_or_default();
            let n = from.len().min(out.len());
            let (now, later) = out.split_at_mut(n);
            now.copy_from_slice(from.get(..n).unwrap_or_default());
            self.pos += n;
            out = later;
        }
    }
}

impl Zeroize for Squeeze {
    fn zeroize(&mut self) {
        self.state.as_mut_slice().zeroize();
        self.pos = 0;
    }
}

impl Drop for Squeeze {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Squeeze {}

/// Two hashes in sequence, the second built from the first's result (`then`), such as
/// `KEY_SEED` and then the KDF keyed by it. Both jobs live in the chain, filled in place.
pub(crate) struct Chain<'a> {
    first: Job,
    second: Job,
    then: &'a dyn Fn(&Job, &mut Job),
    /// Whether `then` has filled `second` (public).
    second_ready: bool,
    /// Which job's state [`run_chains`] holds in its lanes: none yet, the first, the second.
    in_lanes: Option<bool>,
}

impl<'a> Chain<'a> {
    /// A chain whose first job is yet to be filled ([`Chain::first_mut`]); `then` fills the
    /// second from the finished first.
    pub(crate) const fn new(then: &'a dyn Fn(&Job, &mut Job)) -> Self {
        Self {
            first: Job::new(Domain::Sha3),
            second: Job::new(Domain::Sha3),
            then,
            second_ready: false,
            in_lanes: None,
        }
    }

    /// A chain whose second job is filled by nothing yet ([`Chain::link`]). Arrays of chains
    /// (a batch's, about 2 KiB each) are built from it in place, rather than moved into place.
    pub(crate) const UNLINKED: Chain<'static> = Chain::new(&|_: &Job, _: &mut Job| {});

    /// Sets what fills the second job from the finished first.
    pub(crate) fn link(&mut self, then: &'a dyn Fn(&Job, &mut Job)) {
        self.then = then;
    }

    pub(crate) fn first_mut(&mut self) -> &mut Job {
        &mut self.first
    }

    /// The first job (finished once [`run_chains`] has run).
    pub(crate) fn first(&self) -> &Job {
        &self.first
    }

    /// The second job (finished once [`run_chains`] has run).
    pub(crate) fn second(&self) -> &Job {
        &self.second
    }

    /// The second job, to read its output stream or give it more input.
    pub(crate) fn second_mut(&mut self) -> &mut Job {
        &mut self.second
    }

    /// The job with a block left to run (the first until it is done, then the second, which
    /// `then` fills at that moment), and whether its state is new to [`run_chains`]' lanes.
    /// `None` once both are done.
    fn next_job(&mut self) -> Option<(&mut Job, bool)> {
        if !self.second_ready && self.first.is_done() {
            (self.then)(&self.first, &mut self.second);
            self.second_ready = true;
        }
        let job = if self.second_ready {
            &mut self.second
        } else {
            &mut self.first
        };
        if job.is_done() {
            return None;
        }
        let starts = self.in_lanes != Some(self.second_ready);
        self.in_lanes = Some(self.second_ready);
        Some((job, starts))
    }

    /// Whether a block of the chain is left to run (public: lengths only).
    fn pending(&self) -> bool {
        if self.second_ready {
            !self.second.is_done()
        } else {
            // The second job is filled (and has a block to run) once the first is done.
            true
        }
    }

    /// The job [`Chain::next_job`] last returned.
    fn running(&mut self) -> &mut Job {
        if self.second_ready {
            &mut self.second
        } else {
            &mut self.first
        }
    }
}

/// Runs up to four chains to the end, one block of each per step, the steps' permutations
/// side by side ([`absorb_f1600x4`]). See [`run_chain_pool`].
pub(crate) fn run_chains<const N: usize>(chains: &mut [Chain<'_>; N]) {
    const { assert!(N <= 4, "four lanes") };
    run_chain_pool(chains);
}

/// Runs any number of chains to the end (a batch of handshakes, all their chains), the lanes of
/// each permutation step filled across chains: eight lanes with AVX-512 when more than four
/// chains have blocks left, else four (one chain alone runs on the scalar permutation, which
/// costs no more than a four-lane step). A chain holds its lane until it is done; then the next
/// chain not yet run takes the lane over. Which chains take part in a step depends only on
/// input lengths. The states stay interleaved in the lanes while their jobs run, and are
/// copied into the jobs when they finish.
///
/// A chain run before may run again, after [`Job::resume`] gave its second job more input
/// (ntor-v3's `AUTH`): its state is loaded from the job.
pub(crate) fn run_chain_pool(chains: &mut [Chain<'_>]) {
    #[cfg(all(target_arch = "x86_64", not(feature = "reference-backends")))]
    if chains.iter().filter(|c| c.pending()).count() > 4
        && crate::simd::avx512::Avx512::detect().is_some()
    {
        // An eight-lane step costs about 1.5 four-lane ones (on the reference machine, 397 ns
        // against 265 ns, the same as one scalar permutation): once four chains or fewer
        // have blocks left, they go on four lanes wide.
        if !run_pool_with(chains, absorb_f1600x8, 4) {
            return;
        }
    }
    match chains.iter().filter(|c| c.pending()).count() {
        0 => {}
        1 => {
            run_pool_with(chains, absorb_f1600x4_portable, 0);
        }
        _ => {
            run_pool_with(chains, absorb_f1600x4, 0);
        }
    }
}

/// [`run_chain_pool`] with a given `W`-lane step (tests run each one). Stops early, with each
/// running job's state saved in the job, once no more than `narrow_at` chains have blocks
/// left (if `narrow_at` is not zero), and then returns `true`.
#[allow(clippy::indexing_slicing)] // `j < W`, the length of `owner`, `active` and the step's arrays
fn run_pool_with<const W: usize>(
    chains: &mut [Chain<'_>],
    step_fn: fn(&mut [[u64; W]; 25], &StepInput<W>, [bool; W]),
    narrow_at: usize,
) -> bool {
    let mut lanes = [[0u64; W]; 25];
    let mut step = StepInput {
        input: [[0; 25]; W],
        keep: [0; W],
    };
    // The chain each lane runs, and the first chain no lane has taken yet.
    let mut owner: [Option<usize>; W] = [None; W];
    let mut next = 0;
    let mut narrowed = false;
    loop {
        if narrow_at > 0 {
            let in_lanes = owner
                .iter()
                .flatten()
                .filter(|&&c| chains.get(c).is_some_and(Chain::pending))
                .count();
            let waiting = chains
                .get(next..)
                .map_or(0, |rest| rest.iter().filter(|c| c.pending()).count());
            if in_lanes + waiting <= narrow_at {
                // Hand the states of the jobs under way back to their jobs: the next run
                // loads them from there (a chain taken over starts afresh from its job).
                for (j, c) in owner.iter().enumerate() {
                    if let Some(chain) = c.and_then(|c| chains.get_mut(c))
                        && chain.pending()
                        && chain.in_lanes.is_some()
                    {
                        chain.running().state = gather(&lanes, j);
                    }
                }
                narrowed = true;
                break;
            }
        }
        let mut active = [false; W];
        for j in 0..W {
            loop {
                let c = match owner[j] {
                    Some(c) => c,
                    None if next < chains.len() => {
                        owner[j] = Some(next);
                        next += 1;
                        // Nothing of a chain taken over is in this run's lanes yet.
                        if let Some(chain) = chains.get_mut(next - 1) {
                            chain.in_lanes = None;
                        }
                        next - 1
                    }
                    None => break,
                };
                let Some((job, starts)) = chains.get_mut(c).and_then(Chain::next_job) else {
                    owner[j] = None;
                    continue;
                };
                if starts {
                    step.input[j] = job.state;
                    step.keep[j] = 0;
                } else {
                    step.input[j] = [0; 25];
                    step.keep[j] = u64::MAX;
                }
                job.xor_next_block(step.input[j].iter_mut());
                active[j] = true;
                break;
            }
        }
        if !active.contains(&true) {
            break;
        }
        step_fn(&mut lanes, &step, active);
        for j in 0..W {
            if let (true, Some(chain)) = (active[j], owner[j].and_then(|c| chains.get_mut(c))) {
                let job = chain.running();
                job.done += 1;
                if job.is_done() {
                    job.state = gather(&lanes, j);
                }
            }
        }
    }
    step.zeroize();
    for row in &mut lanes {
        row.as_mut_slice().zeroize();
    }
    narrowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha3::digest::{Digest, ExtendableOutput, Update, XofReader};

    fn pseudo_random(n: usize, seed: u64) -> std::vec::Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect()
    }

    #[test]
    fn permutation_matches_keccak_crate() {
        let mut state: [u64; 25] =
            core::array::from_fn(|i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        for _ in 0..50 {
            let mut want = state;
            keccak::f1600(&mut want);
            f1600(&mut state);
            assert_eq!(state, want);
        }
    }

    /// Every four-lane path (AVX2 and AVX-512 on 256-bit vectors where the CPU has them, the
    /// dispatcher, and the portable one).
    #[test]
    fn four_lanes_absorb_and_permute_active_states() {
        type Step4 = fn(&mut Interleaved, &StepInput, [bool; 4]);
        let mut paths: std::vec::Vec<(&str, Step4)> = std::vec![
            ("portable", absorb_f1600x4_portable),
            ("dispatch", absorb_f1600x4)
        ];
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx2::Avx2::detect().is_some() {
            paths.push(("avx2", |lanes, step, _| {
                if let Some(avx2) = crate::simd::avx2::Avx2::detect() {
                    avx2.keccak_absorb_f1600x4(lanes, &step.input, step.keep);
                }
            }));
        }
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx512::Avx512::detect().is_some() {
            paths.push(("avx512 ymm", |lanes, step, _| {
                if let Some(avx512) = crate::simd::avx512::Avx512::detect() {
                    avx512.keccak_absorb_f1600x4(lanes, &step.input, step.keep);
                }
            }));
        }
        for (name, step4) in paths {
            lanes_absorb_and_permute_active_states(name, step4);
        }
    }

    /// The eight-lane step: AVX-512 where the CPU has it, the dispatcher, the portable one.
    #[test]
    fn eight_lanes_absorb_and_permute_active_states() {
        type Step8 = fn(&mut Interleaved8, &StepInput<8>, [bool; 8]);
        let mut paths: std::vec::Vec<(&str, Step8)> = std::vec![
            ("portable", absorb_portable::<8>),
            ("dispatch", absorb_f1600x8)
        ];
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx512::Avx512::detect().is_some() {
            paths.push(("avx512", |lanes, step, _| {
                if let Some(avx512) = crate::simd::avx512::Avx512::detect() {
                    avx512.keccak_absorb_f1600x8(lanes, &step.input, step.keep);
                }
            }));
        } else {
            std::eprintln!("no AVX-512 on this CPU: the eight-lane vector step is not tested");
        }
        for (name, step8) in paths {
            lanes_absorb_and_permute_active_states(name, step8);
        }
    }

    /// `step` feeds and permutes every active state (every subset of lanes) exactly as the
    /// `keccak` crate's permutation does, whether it continues (`keep` all ones) or starts
    /// afresh (`keep` zero), and leaves the inactive ones to whatever the path does with them.
    #[allow(clippy::type_complexity)]
    fn lanes_absorb_and_permute_active_states<const W: usize>(
        name: &str,
        step: fn(&mut [[u64; W]; 25], &StepInput<W>, [bool; W]),
    ) {
        let states: [[u64; 25]; W] =
            core::array::from_fn(|j| core::array::from_fn(|i| (i * 7 + j * 1000) as u64));
        let input: [[u64; 25]; W] = core::array::from_fn(|j| {
            core::array::from_fn(|i| (i as u64 + 1).wrapping_mul(0x9e37_79b9 + j as u64))
        });
        let mut lanes = [[0u64; W]; 25];
        for (j, st) in states.iter().enumerate() {
            scatter(&mut lanes, j, st);
        }
        for mask in 1..(1u32 << W) {
            let active = core::array::from_fn(|j| mask & (1 << j) != 0);
            let keep = core::array::from_fn(|j| {
                if (j + mask as usize).is_multiple_of(2) {
                    u64::MAX
                } else {
                    0
                }
            });
            let mut got = lanes;
            step(&mut got, &StepInput { input, keep }, active);
            for (j, st) in states.iter().enumerate() {
                if active[j] {
                    let mut want: [u64; 25] =
                        core::array::from_fn(|i| (st[i] & keep[j]) ^ input[j][i]);
                    keccak::f1600(&mut want);
                    assert_eq!(gather(&got, j), want, "{name}: mask {mask:b} lane {j}");
                }
            }
        }
    }

    #[test]
    fn jobs_match_sha3_and_shake() {
        for len in [0, 1, 135, 136, 137, 271, 272, 273, 500, JOB_CAPACITY - 1] {
            let data = pseudo_random(len, len as u64);
            let mut job = Job::new(Domain::Sha3);
            for piece in data.chunks(37) {
                job.absorb(piece);
            }
            job.run();
            assert_eq!(
                job.digest(),
                <[u8; 32]>::from(sha3::Sha3_256::digest(&data)),
                "len {len}"
            );

            // Reused after a restart, as a SHAKE-256 job.
            job.restart(Domain::Shake, true);
            job.absorb(&data).run();
            let mut got = [0u8; 300];
            let mut out = job.output();
            let (a, b) = got.split_at_mut(100);
            out.read(a);
            out.read(b);
            let mut want = [0u8; 300];
            let mut xof = sha3::Shake256::default();
            xof.update(&data);
            xof.finalize_xof().read(&mut want);
            assert_eq!(got, want, "len {len}");
            let mut first = [0u8; 72];
            job.read_output(0, &mut first[..40]);
            job.read_output(40, &mut first[40..]);
            assert_eq!(first, want[..72]);
        }
    }

    #[test]
    fn prefix_then_resume_matches_one_pass() {
        for (split, len) in [
            (0, 10),
            (100, 300),
            (136, 137),
            (238, 700),
            (272, 272),
            (400, 500),
        ] {
            let data = pseudo_random(len, 99);
            for run_prefix in [true, false] {
                let mut job = Job::new(Domain::Sha3);
                job.restart(Domain::Sha3, false);
                job.absorb(&data[..split]);
                if run_prefix {
                    job.run();
                }
                job.resume();
                job.absorb(&data[split..]).run();
                let want = <[u8; 32]>::from(sha3::Sha3_256::digest(&data));
                assert_eq!(job.digest(), want, "{split}/{len}");
            }
        }
    }

    /// Chains of uneven lengths, in lockstep, against each hash computed alone, on the
    /// dispatched four-lane step (AVX-512 or AVX2 where present), the portable one, the
    /// eight-lane ones, and the pool's own choice; with fewer chains than lanes, as many, and
    /// more (lanes taken over by the next chain as one finishes).
    #[test]
    fn chains_match_separate_hashes() {
        // Miri interprets every permutation: a few sizes that still take each branch.
        let sizes: &[usize] = if cfg!(miri) {
            &[1, 3, 9]
        } else {
            &[1, 2, 3, 4, 5, 8, 9, 12, 13, 24]
        };
        for &n in sizes {
            chains_match_separate_hashes_with(n, |c| {
                run_pool_with(c, absorb_f1600x4, 0);
            });
            chains_match_separate_hashes_with(n, |c| {
                run_pool_with(c, absorb_f1600x4_portable, 0);
            });
            chains_match_separate_hashes_with(n, |c| {
                run_pool_with(c, absorb_f1600x8, 0);
            });
            chains_match_separate_hashes_with(n, |c| {
                run_pool_with(c, absorb_portable::<8>, 0);
            });
            // Eight lanes, then four once four chains or fewer are left.
            chains_match_separate_hashes_with(n, |c| {
                if run_pool_with(c, absorb_f1600x8, 4) {
                    run_pool_with(c, absorb_f1600x4, 0);
                }
            });
            chains_match_separate_hashes_with(n, |c| {
                if run_pool_with(c, absorb_portable::<8>, 4) {
                    run_pool_with(c, absorb_f1600x4_portable, 0);
                }
            });
            chains_match_separate_hashes_with(n, run_chain_pool);
        }
    }

    fn chains_match_separate_hashes_with(n: usize, run: fn(&mut [Chain<'_>])) {
        let lens = [5, 300, 136, 560, 0, 271, 272, 135, 700];
        let inputs: std::vec::Vec<std::vec::Vec<u8>> = (0..n)
            .map(|i| pseudo_random(lens[(i * 5) % lens.len()], i as u64 + 7))
            .collect();
        let then = |first: &Job, second: &mut Job| {
            second.restart(Domain::Shake, true);
            second.absorb(b"second").absorb(&first.digest());
        };
        let mut chains: std::vec::Vec<Chain<'_>> = (0..n).map(|_| Chain::new(&then)).collect();
        for (chain, input) in chains.iter_mut().zip(&inputs) {
            chain.first_mut().absorb(input);
        }
        run(&mut chains);
        for (chain, input) in chains.iter_mut().zip(&inputs) {
            let d1 = <[u8; 32]>::from(sha3::Sha3_256::digest(input));
            assert_eq!(chain.first().digest(), d1);
            let mut xof = sha3::Shake256::default();
            xof.update(b"second");
            xof.update(&d1);
            let mut want = [0u8; 64];
            xof.finalize_xof().read(&mut want);
            let mut got = [0u8; 64];
            chain.second_mut().output().read(&mut got);
            assert_eq!(got, want);
        }
    }

    /// As ntor-v3's `AUTH`: second jobs run as prefixes (full blocks only), then resumed with
    /// the rest of their input and the pool run again over all the chains, finished ones
    /// included; every lane path.
    #[test]
    fn resumed_chains_run_again() {
        let runs: [fn(&mut [Chain<'_>]); 3] = [
            |c| {
                run_pool_with(c, absorb_f1600x4, 0);
            },
            |c| {
                if run_pool_with(c, absorb_f1600x8, 4) {
                    run_pool_with(c, absorb_f1600x4, 0);
                }
            },
            run_chain_pool,
        ];
        for run in runs {
            for n in [1, 3, 6, 8, 12] {
                let inputs: std::vec::Vec<std::vec::Vec<u8>> = (0..n)
                    .map(|i| pseudo_random(100 + 61 * i, i as u64))
                    .collect();
                let then = |first: &Job, second: &mut Job| {
                    second.restart(Domain::Sha3, false);
                    second.absorb(&[0xa5; 200]).absorb(&first.digest());
                };
                let mut chains: std::vec::Vec<Chain<'_>> =
                    (0..n).map(|_| Chain::new(&then)).collect();
                for (chain, input) in chains.iter_mut().zip(&inputs) {
                    chain.first_mut().absorb(input);
                }
                run(&mut chains);
                // Every other chain gets the rest of its input; the others stay finished.
                for (i, chain) in chains.iter_mut().enumerate() {
                    if i % 2 == 0 {
                        chain.second_mut().resume();
                        chain.second_mut().absorb(&inputs[i][..i * 40]);
                    }
                }
                run(&mut chains);
                for (i, (chain, input)) in chains.iter_mut().zip(&inputs).enumerate() {
                    if i % 2 == 0 {
                        let d1 = sha3::Sha3_256::digest(input);
                        let mut full = std::vec![0xa5; 200];
                        full.extend_from_slice(&d1);
                        full.extend_from_slice(&input[..i * 40]);
                        let want = <[u8; 32]>::from(sha3::Sha3_256::digest(&full));
                        assert_eq!(chain.second_mut().digest(), want, "n {n} chain {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn constants_match_fips_202() {
        // Spot checks from FIPS 202's tables: RC[0], RC[23], and rho of lanes (1,0), (0,1), (4,4).
        assert_eq!(RC[0], 1);
        assert_eq!(RC[23], 0x8000_0000_8000_8008);
        assert_eq!((RHO[1], RHO[5], RHO[24]), (1, 36, 14));
        assert_eq!(RHO[0], 0);
    }
}
