//! AVX2 implementations of the crate's lane traits, chosen at run time by CPUID:
//! [`Lanes`] (two X25519 ladders side by side, `x25519::lanes::ladder2`, or four, one per
//! 64-bit lane, `x25519::ladder4`) and [`KeccakLanes`] (four `Keccak-f[1600]` states side by
//! side). The algorithms are safe generic code in `x25519::lanes`, `x25519::ladder4` and
//! `keccak`; this module only supplies one instruction per method.
//!
//! Part of `crate::simd`, the one module of the crate allowed `unsafe`: AVX2 intrinsics (and functions
//! compiled with `#[target_feature(enable = "avx2")]`) may only run on a CPU that has AVX2.
//! Soundness rests on one invariant: a value of type [`Avx2`] exists only after CPUID has
//! reported AVX2, because its only constructor is [`Avx2::detect`]. Every intrinsic is called
//! through a method that takes an `Avx2` by value, so holding one is the proof each
//! `unsafe` block below relies on.
// With `reference-backends` the Keccak permutation comes from the `keccak` crate.
#![cfg_attr(feature = "reference-backends", allow(dead_code))]

use core::arch::x86_64::{
    __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_andnot_si256, _mm256_blend_epi32,
    _mm256_loadu_si256, _mm256_mul_epu32, _mm256_or_si256, _mm256_set1_epi64x,
    _mm256_shuffle_epi32, _mm256_slli_epi64, _mm256_srli_epi64, _mm256_storeu_si256,
    _mm256_sub_epi64, _mm256_xor_si256,
};

use crate::keccak::{KeccakLanes, permute};
use crate::x25519::field51::Fe;
use crate::x25519::ladder4::ladder4;
use crate::x25519::lanes::{Lanes, ladder2};

cpufeatures::new!(avx2_cpuid, "avx2");

/// Proof that this CPU executes AVX2 instructions. Zero-sized; see the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// `Some` iff the CPU (and OS) support AVX2.
    #[inline]
    pub(crate) fn detect() -> Option<Avx2> {
        // Miri runs no CPUID (cpufeatures reports nothing there) but interprets the AVX2
        // intrinsics; a Miri build with `-C target-feature=+avx2` takes this code, so that
        // Miri checks it for undefined behaviour too. The feature is then a compile-time
        // guarantee, which is all the token stands for.
        #[cfg(all(miri, target_feature = "avx2"))]
        return Some(Avx2(()));
        #[cfg(not(all(miri, target_feature = "avx2")))]
        avx2_cpuid::get().then_some(Avx2(()))
    }

    /// Two ladders side by side, compiled with AVX2 enabled.
    #[inline]
    pub(crate) fn ladder2(self, scalars: [&[u8; 32]; 2], bases: [Fe; 2]) -> [(Fe, Fe); 2] {
        // SAFETY: `ladder2_avx2` requires AVX2, and `self` proves the CPU has it.
        unsafe { ladder2_avx2(self, scalars, bases) }
    }

    /// Four independent ladders, one per 64-bit lane, compiled with AVX2 enabled.
    #[inline]
    pub(crate) fn ladder4(self, scalars: [&[u8; 32]; 4], bases: &[Fe; 4]) -> [(Fe, Fe); 4] {
        // SAFETY: `ladder4_avx2` requires AVX2, and `self` proves the CPU has it.
        unsafe { ladder4_avx2(self, scalars, bases) }
    }

    /// One four-lane Keccak step (see `keccak::StepInput`), compiled with AVX2 enabled.
    #[inline]
    pub(crate) fn keccak_absorb_f1600x4(
        self,
        lanes: &mut [[u64; 4]; 25],
        input: &[[u64; 25]; 4],
        keep: [u64; 4],
    ) {
        // SAFETY: `keccak_absorb_f1600x4_avx2` requires AVX2, and `self` proves the CPU has it.
        unsafe { keccak_absorb_f1600x4_avx2(self, lanes, input, keep) }
    }
}

/// [`ladder2`] with AVX2 code generation, so that the intrinsics below inline into it.
///
/// # Safety
/// The CPU must support AVX2 (guaranteed by the `Avx2` argument).
#[target_feature(enable = "avx2")]
unsafe fn ladder2_avx2(s: Avx2, scalars: [&[u8; 32]; 2], bases: [Fe; 2]) -> [(Fe, Fe); 2] {
    // The ladder keeps far more than 16 registers' worth of 256-bit values, so LLVM spills
    // some to the stack. The stack is only 16-byte aligned on entry, and unless something in
    // the frame needs more, LLVM uses unaligned spill slots: then, depending on where the
    // stack happens to start (ASLR), a third of the spills straddle two cache lines, measured
    // as up to 30 % slower. A 64-byte-aligned local that must live in memory makes LLVM
    // realign the frame, and its spill slots with it.
    #[repr(C, align(64))]
    struct Align64([u8; 64]);
    let mut anchor = Align64([0; 64]);
    core::hint::black_box(&mut anchor);
    ladder2(s, scalars, bases)
}

/// [`ladder4`] with AVX2 code generation, so that the intrinsics below inline into it.
///
/// # Safety
/// The CPU must support AVX2 (guaranteed by the `Avx2` argument).
#[target_feature(enable = "avx2")]
unsafe fn ladder4_avx2(s: Avx2, scalars: [&[u8; 32]; 4], bases: &[Fe; 4]) -> [(Fe, Fe); 4] {
    // Spill slots 64-byte aligned, for the reason given in `ladder2_avx2`.
    #[repr(C, align(64))]
    struct Align64([u8; 64]);
    let mut anchor = Align64([0; 64]);
    core::hint::black_box(&mut anchor);
    ladder4(s, scalars, bases)
}

/// Four Keccak states fed and permuted side by side: row `i` of `lanes` (lane `i` of each
/// state) is one vector, and becomes `(row & keep) ^ [input[0][i], .., input[3][i]]` before
/// the permutation.
///
/// # Safety
/// The CPU must support AVX2 (guaranteed by the `Avx2` argument).
#[target_feature(enable = "avx2")]
unsafe fn keccak_absorb_f1600x4_avx2(
    s: Avx2,
    lanes: &mut [[u64; 4]; 25],
    input: &[[u64; 25]; 4],
    keep: [u64; 4],
) {
    let keep = s.load(keep);
    let [in0, in1, in2, in3] = input;
    let mut v = [Lanes::splat(s, 0); 25];
    for (i, (dst, row)) in v.iter_mut().zip(lanes.iter()).enumerate() {
        let word = |st: &[u64; 25]| st.get(i).copied().unwrap_or(0);
        let fresh = s.load([word(in0), word(in1), word(in2), word(in3)]);
        *dst = KeccakLanes::xor(s, s.and(s.load(*row), keep), fresh);
    }
    permute(s, &mut v);
    for (row, src) in lanes.iter_mut().zip(&v) {
        *row = s.store(*src);
    }
    // The vectors held secret state: overwrite them before the frame is reused.
    for x in &mut v {
        *x = Lanes::splat(s, 0);
    }
    core::hint::black_box(&mut v);
}

// Each method below is one AVX2 instruction. SAFETY (for every `unsafe` block in this impl):
// the intrinsics require AVX2, and `self: Avx2` proves the CPU has it; they have no other
// precondition except for `_mm256_loadu_si256`/`_mm256_storeu_si256`, whose pointers come from
// references to 32-byte arrays (valid, and unaligned access is allowed).
#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl Lanes for Avx2 {
    type V = __m256i;

    #[inline(always)]
    fn load(self, x: [u64; 4]) -> __m256i {
        // SAFETY: AVX2 present (self); `x` is 32 readable bytes.
        unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
    }
    #[inline(always)]
    fn store(self, v: __m256i) -> [u64; 4] {
        let mut out = [0u64; 4];
        // SAFETY: AVX2 present (self); `out` is 32 writable bytes.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) };
        out
    }
    #[inline(always)]
    fn splat(self, x: u64) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_set1_epi64x(x as i64) }
    }
    #[inline(always)]
    fn add(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_add_epi64(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_sub_epi64(a, b) }
    }
    #[inline(always)]
    fn mul32(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_mul_epu32(a, b) }
    }
    #[inline(always)]
    fn shr25(self, a: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_srli_epi64::<25>(a) }
    }
    #[inline(always)]
    fn shr26(self, a: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_srli_epi64::<26>(a) }
    }
    #[inline(always)]
    fn shl1(self, a: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_slli_epi64::<1>(a) }
    }
    #[inline(always)]
    fn shl4(self, a: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_slli_epi64::<4>(a) }
    }
    #[inline(always)]
    fn and(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_and_si256(a, b) }
    }
    #[inline(always)]
    fn xor(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_xor_si256(a, b) }
    }
    #[inline(always)]
    fn swap_pairs(self, a: __m256i) -> __m256i {
        // 32-bit words [2, 3, 0, 1] in each 128-bit half: swaps the two 64-bit lanes.
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_shuffle_epi32::<0b01_00_11_10>(a) }
    }
    #[inline(always)]
    fn blend_odd(self, a: __m256i, b: __m256i) -> __m256i {
        // 32-bit words 2, 3, 6, 7 (64-bit lanes 1 and 3) from b.
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_blend_epi32::<0b1100_1100>(a, b) }
    }
    #[inline(always)]
    fn dup_odd(self, a: __m256i) -> __m256i {
        // 32-bit words [2, 3, 2, 3] in each 128-bit half: copies 64-bit lane 1 (3) to 0 (2).
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_shuffle_epi32::<0b11_10_11_10>(a) }
    }
}

// Each method below is one or two AVX2 instructions. SAFETY (for every `unsafe` block in this
// impl): the intrinsics require AVX2, and `self: Avx2` proves the CPU has it; they have no
// other precondition.
#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl KeccakLanes for Avx2 {
    type V = __m256i;

    #[inline(always)]
    fn xor(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_xor_si256(a, b) }
    }
    #[inline(always)]
    fn andn(self, a: __m256i, b: __m256i) -> __m256i {
        // `vpandn` computes `!a & b`, exactly chi's term.
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_andnot_si256(a, b) }
    }
    #[inline(always)]
    fn rotl<const L: i32, const R: i32>(self, a: __m256i) -> __m256i {
        // AVX2 has no 64-bit rotate: two shifts and an OR (shifts by 64 give 0, so L = 0 works).
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_or_si256(_mm256_slli_epi64::<L>(a), _mm256_srli_epi64::<R>(a)) }
    }
    #[inline(always)]
    fn xor_rc(self, a: __m256i, rc: u64) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_xor_si256(a, _mm256_set1_epi64x(rc as i64)) }
    }
}
