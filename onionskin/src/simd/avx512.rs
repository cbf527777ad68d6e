//! AVX-512 implementations of [`KeccakLanes`], chosen at run time by CPUID: eight
//! `Keccak-f[1600]` states side by side in 512-bit vectors ([`Avx512`]), or four in 256-bit
//! ones ([`Avx512Ymm`], with AVX-512VL). The round function is the safe generic code in
//! `keccak`; each method below is one instruction: `vpxorq`, `vpandnq`, `vprolq` (AVX2 needs
//! two shifts and an OR for a rotation) or `vpternlogq` (theta's three-way XOR and chi's
//! `a ^ (!b & c)` in one), a broadcast, a load or a store.
//!
//! Soundness rests on one invariant: a value of type [`Avx512`] exists only after CPUID has
//! reported AVX2, AVX-512F and AVX-512VL (and the OS saving the 512-bit state), because its
//! only constructor is [`Avx512::detect`]; an [`Avx512Ymm`] holds one. Every intrinsic is
//! called through a method that takes one of them by value.
// With `reference-backends` the Keccak permutation comes from the `keccak` crate.
#![cfg_attr(feature = "reference-backends", allow(dead_code))]

use core::arch::x86_64::{
    __m256i, __m512i, _mm256_and_si256, _mm256_andnot_si256, _mm256_loadu_si256, _mm256_rol_epi64,
    _mm256_set1_epi64x, _mm256_setzero_si256, _mm256_storeu_si256, _mm256_ternarylogic_epi64,
    _mm256_xor_si256, _mm512_and_si512, _mm512_andnot_si512, _mm512_loadu_si512, _mm512_rol_epi64,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_storeu_si512, _mm512_ternarylogic_epi64,
    _mm512_xor_si512,
};

use crate::keccak::{KeccakLanes, permute};

cpufeatures::new!(avx512_cpuid, "avx2", "avx512f", "avx512vl");

/// `vpternlogq` truth tables, operands `a`, `b`, `c` standing for 0xf0, 0xcc, 0xaa.
/// `a ^ b ^ c`:
const XOR3: i32 = 0x96;
/// `a ^ (!b & c)`: 0xf0 ^ (0x33 & 0xaa).
const XOR_ANDN: i32 = 0xd2;

/// Proof that this CPU executes AVX2, AVX-512F and AVX-512VL instructions; its Keccak lanes
/// are 512-bit vectors (eight states). Zero-sized; see the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

/// The same proof, with Keccak lanes in 256-bit vectors (four states).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512Ymm(Avx512);

impl Avx512 {
    /// `Some` iff the CPU (and OS) support AVX2, AVX-512F and AVX-512VL.
    #[inline]
    pub(crate) fn detect() -> Option<Avx512> {
        avx512_cpuid::get().then_some(Avx512(()))
    }

    /// One eight-lane Keccak step (see `keccak::StepInput`), compiled with AVX-512 enabled.
    #[inline]
    pub(crate) fn keccak_absorb_f1600x8(
        self,
        lanes: &mut [[u64; 8]; 25],
        input: &[[u64; 25]; 8],
        keep: [u64; 8],
    ) {
        // SAFETY: `absorb_f1600x8_avx512` requires AVX2/AVX-512F/VL, and `self` proves the CPU
        // has them.
        unsafe { absorb_f1600x8_avx512(self, lanes, input, keep) }
    }

    /// One four-lane Keccak step (see `keccak::StepInput`), in 256-bit vectors with AVX-512VL.
    #[inline]
    pub(crate) fn keccak_absorb_f1600x4(
        self,
        lanes: &mut [[u64; 4]; 25],
        input: &[[u64; 25]; 4],
        keep: [u64; 4],
    ) {
        // SAFETY: `absorb_f1600x4_avx512` requires AVX2/AVX-512F/VL, and `self` proves the CPU
        // has them.
        unsafe { absorb_f1600x4_avx512(Avx512Ymm(self), lanes, input, keep) }
    }
}

/// Eight Keccak states fed and permuted side by side: row `i` of `lanes` (lane `i` of each
/// state) is one vector, and becomes `(row & keep) ^ [input[0][i], .., input[7][i]]` before
/// the permutation.
///
/// # Safety
/// The CPU must support AVX2, AVX-512F and AVX-512VL (guaranteed by the `Avx512` argument).
#[target_feature(enable = "avx2,avx512f,avx512vl")]
unsafe fn absorb_f1600x8_avx512(
    s: Avx512,
    lanes: &mut [[u64; 8]; 25],
    input: &[[u64; 25]; 8],
    keep: [u64; 8],
) {
    let keep = s.load(&keep);
    let mut v = [s.zero(); 25];
    for (i, (dst, row)) in v.iter_mut().zip(lanes.iter()).enumerate() {
        let fresh = input.map(|st| st.get(i).copied().unwrap_or(0));
        *dst = s.xor(s.and(s.load(row), keep), s.load(&fresh));
    }
    permute(s, &mut v);
    for (row, src) in lanes.iter_mut().zip(&v) {
        s.store(row, *src);
    }
    // The vectors held secret state: overwrite them before the frame is reused.
    for x in &mut v {
        *x = s.zero();
    }
    core::hint::black_box(&mut v);
}

/// [`absorb_f1600x8_avx512`] on four states in 256-bit vectors.
///
/// # Safety
/// The CPU must support AVX2, AVX-512F and AVX-512VL (guaranteed by the `Avx512Ymm`
/// argument).
#[target_feature(enable = "avx2,avx512f,avx512vl")]
unsafe fn absorb_f1600x4_avx512(
    s: Avx512Ymm,
    lanes: &mut [[u64; 4]; 25],
    input: &[[u64; 25]; 4],
    keep: [u64; 4],
) {
    let keep = s.load(&keep);
    let mut v = [s.zero(); 25];
    for (i, (dst, row)) in v.iter_mut().zip(lanes.iter()).enumerate() {
        let fresh = input.map(|st| st.get(i).copied().unwrap_or(0));
        *dst = s.xor(s.and(s.load(row), keep), s.load(&fresh));
    }
    permute(s, &mut v);
    for (row, src) in lanes.iter_mut().zip(&v) {
        s.store(row, *src);
    }
    // The vectors held secret state: overwrite them before the frame is reused.
    for x in &mut v {
        *x = s.zero();
    }
    core::hint::black_box(&mut v);
}

// Each method below is one AVX-512F instruction on 512-bit vectors. SAFETY (for every `unsafe`
// block in these two impls): the intrinsics require AVX-512F, and `self: Avx512` proves the CPU
// has it; they have no other precondition except for `_mm512_loadu_si512` /
// `_mm512_storeu_si512`, whose pointers come from references to 64-byte arrays (valid, and
// unaligned access is allowed).
#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl Avx512 {
    #[inline(always)]
    fn load(self, x: &[u64; 8]) -> __m512i {
        // SAFETY: AVX-512F present (self); `x` is 64 readable bytes.
        unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
    }
    #[inline(always)]
    fn store(self, out: &mut [u64; 8], v: __m512i) {
        // SAFETY: AVX-512F present (self); `out` is 64 writable bytes.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn zero(self) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    fn and(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_and_si512(a, b) }
    }
}

#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl KeccakLanes for Avx512 {
    type V = __m512i;

    #[inline(always)]
    fn xor(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_xor_si512(a, b) }
    }
    #[inline(always)]
    fn andn(self, a: __m512i, b: __m512i) -> __m512i {
        // `vpandnq` computes `!a & b`, exactly chi's term.
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_andnot_si512(a, b) }
    }
    #[inline(always)]
    fn rotl<const L: i32, const R: i32>(self, a: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_rol_epi64::<L>(a) }
    }
    #[inline(always)]
    fn xor_rc(self, a: __m512i, rc: u64) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_xor_si512(a, _mm512_set1_epi64(rc as i64)) }
    }
    #[inline(always)]
    fn xor3(self, a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_ternarylogic_epi64::<XOR3>(a, b, c) }
    }
    #[inline(always)]
    fn xor_andn(self, a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_ternarylogic_epi64::<XOR_ANDN>(a, b, c) }
    }
}

// Each method below is one AVX2 or AVX-512VL instruction on 256-bit vectors. SAFETY (for every
// `unsafe` block in these two impls): the intrinsics require AVX2 or AVX-512F with AVX-512VL,
// and `self: Avx512Ymm` holds an `Avx512`, which proves the CPU has all three; they have no
// other precondition except for `_mm256_loadu_si256` / `_mm256_storeu_si256`, whose pointers
// come from references to 32-byte arrays (valid, and unaligned access is allowed).
#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl Avx512Ymm {
    #[inline(always)]
    fn load(self, x: &[u64; 4]) -> __m256i {
        // SAFETY: AVX2 present (self); `x` is 32 readable bytes.
        unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
    }
    #[inline(always)]
    fn store(self, out: &mut [u64; 4], v: __m256i) {
        // SAFETY: AVX2 present (self); `out` is 32 writable bytes.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn zero(self) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    fn and(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_and_si256(a, b) }
    }
}

#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl KeccakLanes for Avx512Ymm {
    type V = __m256i;

    #[inline(always)]
    fn xor(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_xor_si256(a, b) }
    }
    #[inline(always)]
    fn andn(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_andnot_si256(a, b) }
    }
    #[inline(always)]
    fn rotl<const L: i32, const R: i32>(self, a: __m256i) -> __m256i {
        // SAFETY: AVX-512F and AVX-512VL present (self).
        unsafe { _mm256_rol_epi64::<L>(a) }
    }
    #[inline(always)]
    fn xor_rc(self, a: __m256i, rc: u64) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_xor_si256(a, _mm256_set1_epi64x(rc as i64)) }
    }
    #[inline(always)]
    fn xor3(self, a: __m256i, b: __m256i, c: __m256i) -> __m256i {
        // SAFETY: AVX-512F and AVX-512VL present (self).
        unsafe { _mm256_ternarylogic_epi64::<XOR3>(a, b, c) }
    }
    #[inline(always)]
    fn xor_andn(self, a: __m256i, b: __m256i, c: __m256i) -> __m256i {
        // SAFETY: AVX-512F and AVX-512VL present (self).
        unsafe { _mm256_ternarylogic_epi64::<XOR_ANDN>(a, b, c) }
    }
}
