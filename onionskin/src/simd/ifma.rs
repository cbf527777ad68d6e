//! AVX-512 IFMA implementation of [`Lanes52`] (X25519 ladders, one per 64-bit lane), chosen
//! at run time by CPUID: eight lanes in 512-bit vectors, four in 256-bit ones (AVX-512VL).
//! The algorithm is the safe generic code in `x25519::lanes52`; each method below is exactly
//! one instruction (`vpmadd52luq`, `vpmadd52huq`, `vpaddq`, `vpsubq`, `vpandq`, `vpternlogq`,
//! `vpsrlq`, `vpsllq`, a broadcast, a load or a store), so the code valgrind checks on the
//! portable lanes is, operation for operation, the code that runs here.
//!
//! Soundness rests on one invariant: a value of type [`Ifma`] exists only after CPUID has
//! reported AVX-512F, AVX-512VL and AVX-512 IFMA (and the OS saving the 512-bit state), because
//! its only constructor is [`Ifma::detect`]. Every intrinsic is called through a method that
//! takes an `Ifma` by value.

use core::arch::x86_64::{
    __m256i, __m512i, _mm256_add_epi64, _mm256_and_si256, _mm256_loadu_si256,
    _mm256_madd52hi_epu64, _mm256_madd52lo_epu64, _mm256_maskz_slli_epi64, _mm256_maskz_srli_epi64,
    _mm256_set1_epi64x, _mm256_storeu_si256, _mm256_sub_epi64, _mm256_ternarylogic_epi64,
    _mm512_add_epi64, _mm512_and_si512, _mm512_loadu_si512, _mm512_madd52hi_epu64,
    _mm512_madd52lo_epu64, _mm512_set1_epi64, _mm512_slli_epi64, _mm512_srli_epi64,
    _mm512_storeu_si512, _mm512_sub_epi64, _mm512_ternarylogic_epi64,
};

use crate::x25519::field51::Fe;
use crate::x25519::lanes52::{Lanes52, ladder_lanes, mul_base_lanes};

cpufeatures::new!(ifma_cpuid, "avx512f", "avx512vl", "avx512ifma");

/// Proof that this CPU executes AVX-512F, AVX-512VL and AVX-512 IFMA instructions.
/// Zero-sized; see the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ifma(());

impl Ifma {
    /// `Some` iff the CPU (and OS) support AVX-512F, AVX-512VL and AVX-512 IFMA.
    #[inline]
    pub(crate) fn detect() -> Option<Ifma> {
        ifma_cpuid::get().then_some(Ifma(()))
    }

    /// Eight ladders in 512-bit vectors.
    #[inline]
    pub(crate) fn ladder8(self, scalars: [&[u8; 32]; 8], bases: &[Fe; 8]) -> [(Fe, Fe); 8] {
        // SAFETY: `ladder8_ifma` requires AVX-512F/VL/IFMA, and `self` proves the CPU has them.
        unsafe { ladder8_ifma(self, scalars, bases) }
    }

    /// Eight fixed-base multiplications `k * 9` in 512-bit vectors.
    #[inline]
    pub(crate) fn mul_base8(self, scalars: [&[u8; 32]; 8]) -> [(Fe, Fe); 8] {
        // SAFETY: `mul_base8_ifma` requires AVX-512F/VL/IFMA, and `self` proves the CPU has them.
        unsafe { mul_base8_ifma(self, scalars) }
    }

    /// Four fixed-base multiplications `k * 9` in 256-bit vectors.
    #[inline]
    pub(crate) fn mul_base4(self, scalars: [&[u8; 32]; 4]) -> [(Fe, Fe); 4] {
        // SAFETY: `mul_base4_ifma` requires AVX-512F/VL/IFMA, and `self` proves the CPU has them.
        unsafe { mul_base4_ifma(self, scalars) }
    }

    /// Four ladders in 256-bit vectors (on CPUs that run 512-bit IFMA at half the rate of
    /// 256-bit IFMA, this costs half of [`Ifma::ladder8`]).
    #[inline]
    pub(crate) fn ladder4(self, scalars: [&[u8; 32]; 4], bases: &[Fe; 4]) -> [(Fe, Fe); 4] {
        // SAFETY: `ladder4_ifma` requires AVX-512F/VL/IFMA, and `self` proves the CPU has them.
        unsafe { ladder4_ifma(self, scalars, bases) }
    }
}

/// [`mul_base_lanes`] on 512-bit vectors (eight fixed-base multiplications).
///
/// # Safety
/// As [`ladder8_ifma`].
#[target_feature(enable = "avx512f,avx512vl,avx512ifma")]
unsafe fn mul_base8_ifma(s: Ifma, scalars: [&[u8; 32]; 8]) -> [(Fe, Fe); 8] {
    mul_base_lanes::<8, Ifma>(s, scalars)
}

/// [`mul_base_lanes`] on 256-bit vectors (four fixed-base multiplications).
///
/// # Safety
/// As [`ladder8_ifma`].
#[target_feature(enable = "avx512f,avx512vl,avx512ifma")]
unsafe fn mul_base4_ifma(s: Ifma, scalars: [&[u8; 32]; 4]) -> [(Fe, Fe); 4] {
    mul_base_lanes::<4, Ifma>(s, scalars)
}

/// [`ladder_lanes`] on 512-bit vectors, compiled with AVX-512 enabled so that the intrinsics
/// below inline into it.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512VL and AVX-512 IFMA (guaranteed by the `Ifma`
/// argument).
#[target_feature(enable = "avx512f,avx512vl,avx512ifma")]
unsafe fn ladder8_ifma(s: Ifma, scalars: [&[u8; 32]; 8], bases: &[Fe; 8]) -> [(Fe, Fe); 8] {
    ladder_lanes::<8, Ifma>(s, scalars, bases)
}

/// [`ladder_lanes`] on 256-bit vectors; see [`ladder8_ifma`].
///
/// # Safety
/// As [`ladder8_ifma`].
#[target_feature(enable = "avx512f,avx512vl,avx512ifma")]
unsafe fn ladder4_ifma(s: Ifma, scalars: [&[u8; 32]; 4], bases: &[Fe; 4]) -> [(Fe, Fe); 4] {
    ladder_lanes::<4, Ifma>(s, scalars, bases)
}

// Each method below is one AVX-512 instruction. SAFETY (for every `unsafe` block in this impl):
// the intrinsics require AVX-512F (and IFMA for `madd52*`), and `self: Ifma` proves the CPU has
// them; they have no other precondition except for the unaligned load and store, whose
// pointers come from references to 64-byte arrays.
#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl Lanes52<8> for Ifma {
    type V = __m512i;

    #[inline(always)]
    fn load(self, x: [u64; 8]) -> __m512i {
        // SAFETY: AVX-512F present (self); `x` is 64 readable bytes.
        unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
    }
    #[inline(always)]
    fn store(self, v: __m512i) -> [u64; 8] {
        let mut out = [0u64; 8];
        // SAFETY: AVX-512F present (self); `out` is 64 writable bytes.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), v) };
        out
    }
    #[inline(always)]
    fn splat(self, x: u64) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_set1_epi64(x as i64) }
    }
    #[inline(always)]
    fn add(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_add_epi64(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_sub_epi64(a, b) }
    }
    #[inline(always)]
    fn and(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_and_si512(a, b) }
    }
    #[inline(always)]
    fn select(self, mask: __m512i, a: __m512i, b: __m512i) -> __m512i {
        // `vpternlogq` with truth table 0xCA: mask ? b : a, bit by bit.
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_ternarylogic_epi64::<0xCA>(mask, b, a) }
    }
    #[inline(always)]
    fn shr<const K: u32>(self, a: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_srli_epi64::<K>(a) }
    }
    #[inline(always)]
    fn shl<const K: u32>(self, a: __m512i) -> __m512i {
        // SAFETY: AVX-512F present (self).
        unsafe { _mm512_slli_epi64::<K>(a) }
    }
    #[inline(always)]
    fn madd52lo(self, acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512 IFMA present (self).
        unsafe { _mm512_madd52lo_epu64(acc, a, b) }
    }
    #[inline(always)]
    fn madd52hi(self, acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512 IFMA present (self).
        unsafe { _mm512_madd52hi_epu64(acc, a, b) }
    }
}

// Each method below is one instruction on 256-bit vectors (AVX2, or AVX-512VL + IFMA for
// `madd52*` and `select`). SAFETY (for every `unsafe` block in this impl): `self: Ifma` proves the CPU has
// AVX-512F/VL/IFMA, and AVX-512F implies AVX2; no other precondition except for the unaligned
// load and store, whose pointers come from references to 32-byte arrays.
#[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers, pass into `i64`
impl Lanes52<4> for Ifma {
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
    fn and(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 present (self).
        unsafe { _mm256_and_si256(a, b) }
    }
    #[inline(always)]
    fn select(self, mask: __m256i, a: __m256i, b: __m256i) -> __m256i {
        // `vpternlogq` with truth table 0xCA: mask ? b : a, bit by bit.
        // SAFETY: AVX-512F and AVX-512VL present (self).
        unsafe { _mm256_ternarylogic_epi64::<0xCA>(mask, b, a) }
    }
    #[inline(always)]
    fn shr<const K: u32>(self, a: __m256i) -> __m256i {
        // The AVX-512VL form takes the count as `u32` like `Lanes52`; with every lane
        // selected it is the plain `vpsrlq`.
        // SAFETY: AVX-512F and AVX-512VL present (self).
        unsafe { _mm256_maskz_srli_epi64::<K>(0xff, a) }
    }
    #[inline(always)]
    fn shl<const K: u32>(self, a: __m256i) -> __m256i {
        // As `shr`: the plain `vpsllq`.
        // SAFETY: AVX-512F and AVX-512VL present (self).
        unsafe { _mm256_maskz_slli_epi64::<K>(0xff, a) }
    }
    #[inline(always)]
    fn madd52lo(self, acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX-512VL and IFMA present (self).
        unsafe { _mm256_madd52lo_epu64(acc, a, b) }
    }
    #[inline(always)]
    fn madd52hi(self, acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX-512VL and IFMA present (self).
        unsafe { _mm256_madd52hi_epu64(acc, a, b) }
    }
}
