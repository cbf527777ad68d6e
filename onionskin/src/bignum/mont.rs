//! Montgomery multiplication, squaring and fixed-window exponentiation modulo an odd `n`.

use super::{
    adc, add_assign, eq_mask, mac, mask_from_bit, sbb, select_assign, select_assign_mask,
    sub_assign,
};
use subtle::Choice;
use zeroize::Zeroize;

/// Window width of [`Modulus::pow`]: a 32-entry table. For 320- and 512-bit exponents 5 bits
/// minimise squarings plus multiplications plus table set-up (4 and 6 are within 3 %).
const WINDOW: usize = 5;
/// Table size for [`WINDOW`].
const TABLE: usize = 1 << WINDOW;
/// Window width of [`Modulus::pow_base2`]: digits up to 63, so `2^digit` is one limb shift.
const WINDOW_BASE2: usize = 6;

/// An odd modulus `n` of `L` limbs with its Montgomery constants (`R = 2^(64 L)`).
///
/// Values "in Montgomery form" represent `a` as `a R mod n`. [`Modulus::mul`] maps
/// `(aR, bR)` to `abR`, so exponentiation stays in that form; convert with
/// [`Modulus::to_mont`] and [`Modulus::retrieve`].
///
/// The modulus may be secret (an RSA prime): nothing here branches on it, except
/// [`Modulus::new`]'s final yes/no answer about whether it is usable, and
/// [`Modulus::pow_base2`]'s public choice of method (meant for a public modulus).
#[derive(Clone)]
pub struct Modulus<const L: usize> {
    n: [u64; L],
    /// `-n^-1 mod 2^64`.
    n0: u64,
    /// `R mod n`: Montgomery form of 1.
    one: [u64; L],
    /// `R^2 mod n`: converts into Montgomery form.
    r2: [u64; L],
}

impl<const L: usize> Zeroize for Modulus<L> {
    fn zeroize(&mut self) {
        self.n.zeroize();
        self.n0.zeroize();
        self.one.zeroize();
        self.r2.zeroize();
    }
}

impl<const L: usize> core::fmt::Debug for Modulus<L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The modulus may be a secret prime.
        f.debug_struct("Modulus").finish_non_exhaustive()
    }
}

impl<const L: usize> Modulus<L> {
    /// Builds the Montgomery constants for `n`, in constant time.
    ///
    /// Returns `None` unless `n` is odd and greater than 1. Costs about `128 L` modular
    /// doublings (tens of microseconds for 1024 bits): do it once per key.
    #[must_use]
    pub fn new(n: &[u64; L]) -> Option<Self> {
        if L == 0 {
            return None;
        }
        let odd = Choice::from((n[0] & 1) as u8);
        let mut two = [0u64; L];
        two[0] = 2;
        let big_enough = !super::ct_lt(n, &two);
        // n0 = -n^-1 mod 2^64 by Newton's iteration: each step doubles the correct low bits
        // (n * n == 1 mod 8 for odd n, so 3 bits to start; 3, 6, 12, 24, 48, 96).
        let mut inv = n[0];
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n[0].wrapping_mul(inv)));
        }
        let mut m = Self {
            n: *n,
            n0: inv.wrapping_neg(),
            one: [0; L],
            r2: [0; L],
        };
        if !bool::from(odd & big_enough) {
            return None;
        }
        // R mod n, then R^2 mod n, by doubling 1: 64 L doublings each.
        let mut x = [0u64; L];
        x[0] = 1;
        for _ in 0..64 * L {
            m.double(&mut x);
        }
        m.one = x;
        for _ in 0..64 * L {
            m.double(&mut x);
        }
        m.r2 = x;
        Some(m)
    }

    /// Builds a modulus from precomputed constants (for a fixed public modulus such as the
    /// Oakley group 2 prime). Not checked: the tests compare against [`Modulus::new`].
    pub(crate) const fn from_parts(n: [u64; L], n0: u64, one: [u64; L], r2: [u64; L]) -> Self {
        Self { n, n0, one, r2 }
    }

    /// The modulus `n`.
    #[must_use]
    pub fn modulus(&self) -> &[u64; L] {
        &self.n
    }

    /// `R mod n`: the Montgomery form of 1.
    #[must_use]
    pub fn one(&self) -> &[u64; L] {
        &self.one
    }

    /// `R^2 mod n`.
    #[must_use]
    pub fn r2(&self) -> &[u64; L] {
        &self.r2
    }

    /// `x = 2x mod n`, for `x < n`.
    fn double(&self, x: &mut [u64; L]) {
        let mut top = 0;
        for limb in x.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | top;
            top = next;
        }
        self.reduce_once(x, top);
    }

    /// Given the value `hi * 2^(64 L) + x < 2n` (with `hi` in {0, 1}), leaves it reduced
    /// below `n` in `x`, by one masked subtraction.
    #[inline(always)]
    fn reduce_once(&self, x: &mut [u64; L], hi: u64) {
        let mut t = *x;
        let borrow = sub_assign(&mut t, &self.n);
        // The subtraction is right iff it did not go below zero: no borrow out of the
        // L limbs, or a borrow that the extra high limb absorbs.
        let (_, under) = sbb(hi, 0, borrow);
        select_assign_mask(x, &t, mask_from_bit(under ^ 1));
    }

    /// `a + b mod n`, for `a, b < n`.
    #[must_use]
    pub fn add(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        let mut s = *a;
        let c = add_assign(&mut s, b);
        self.reduce_once(&mut s, c);
        s
    }

    /// `a - b mod n`, for `a, b < n`.
    #[must_use]
    pub fn sub(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        let mut d = *a;
        let borrow = sub_assign(&mut d, b);
        let mut back = d;
        add_assign(&mut back, &self.n);
        select_assign(&mut d, &back, Choice::from(borrow as u8));
        d
    }

    /// Montgomery product `a b R^-1 mod n`, fully reduced.
    ///
    /// Requires `b < n`; `a` may be any `L`-limb value (so [`Modulus::to_mont`] accepts
    /// unreduced input). Coarsely integrated operand scanning (CIOS); of the layouts
    /// measured (CIOS, FIOS, FIPS, two interleaved CIOS), this one compiles to the fewest
    /// instructions per limb product with `u128` arithmetic.
    #[must_use]
    pub fn mul(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        let n = &self.n;
        let mut t = [0u64; L];
        let mut t_hi = 0u64;
        for &bi in b {
            // t += a * b[i]
            let mut c = 0;
            for j in 0..L {
                (t[j], c) = mac(t[j], a[j], bi, c);
            }
            let (top, top_carry) = adc(t_hi, c, 0);
            // t = (t + m n) / 2^64, with m chosen so that the low limb vanishes.
            let m = t[0].wrapping_mul(self.n0);
            let (_, mut c) = mac(t[0], m, n[0], 0);
            for j in 1..L {
                (t[j - 1], c) = mac(t[j], m, n[j], c);
            }
            let (s, c2) = adc(top, c, 0);
            t[L - 1] = s;
            t_hi = top_carry + c2;
        }
        // t < 2n here (a < R, b < n), so one conditional subtraction finishes.
        self.reduce_once(&mut t, t_hi);
        t
    }

    /// Montgomery square `a^2 R^-1 mod n` for `a < n`.
    ///
    /// Two layouts, chosen by the (public) limb count as measured on x86-64: above 8 limbs
    /// the interleaved one (rows like [`Modulus::mul`], 9 % faster than a
    /// multiplication at 16 limbs), up to 8 limbs the separated one (8 % faster there).
    #[must_use]
    pub fn square(&self, a: &[u64; L]) -> [u64; L] {
        if L > 8 {
            self.square_interleaved(a)
        } else {
            self.square_separated(a)
        }
    }

    /// Separated operand scanning: the full square (off-diagonal products once, doubled,
    /// plus the diagonal), then the Montgomery reduction.
    fn square_separated(&self, a: &[u64; L]) -> [u64; L] {
        let n = &self.n;
        let mut wide = [[0u64; L]; 2];
        let w = wide.as_flattened_mut();
        for i in 0..L {
            let mut c = 0;
            for j in (i + 1)..L {
                (w[i + j], c) = mac(w[i + j], a[i], a[j], c);
            }
            w[i + L] = c;
        }
        let mut top = 0;
        for limb in w.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | top;
            top = next;
        }
        let mut c = 0;
        for i in 0..L {
            let (lo, hi) = mac(0, a[i], a[i], 0);
            (w[2 * i], c) = adc(w[2 * i], lo, c);
            (w[2 * i + 1], c) = adc(w[2 * i + 1], hi, c);
        }
        // Reduce `hi R + lo` on an L-limb window that slides up one limb per step,
        // pulling in the next limb of `hi`.
        let [lo, hi] = wide;
        let mut t = lo;
        let mut carry = 0;
        for &h in &hi {
            let m = t[0].wrapping_mul(self.n0);
            let (_, mut c) = mac(t[0], m, n[0], 0);
            for j in 1..L {
                (t[j - 1], c) = mac(t[j], m, n[j], c);
            }
            let (s, c2) = adc(h, c, carry);
            t[L - 1] = s;
            carry = c2;
        }
        self.reduce_once(&mut t, carry);
        t
    }

    /// Interleaved: laid out like [`Modulus::mul`] (one row per limb, each followed by its reduction
    /// step, which lets the CPU overlap them), but row `i` adds only `a[i]^2` and the
    /// doubled products `2 a[i] a[j]` for `j > i`, read from a precomputed `2a`: about 3/4
    /// of the limb products of a multiplication.
    fn square_interleaved(&self, a: &[u64; L]) -> [u64; L] {
        let n = &self.n;
        // d = 2a, limb by limb; the bit shifted out of the top is `top_mask` (all ones or 0).
        let mut d = [0u64; L];
        let mut prev = 0u64;
        for j in 0..L {
            d[j] = (a[j] << 1) | (prev >> 63);
            prev = a[j];
        }
        let top_mask = (prev >> 63).wrapping_neg();
        let mut t = [0u64; L];
        let mut t_hi = 0u64;
        for i in 0..L {
            let ai = a[i];
            // Column i: a[i]^2. Column i + 1: a[i] (2 a[i+1]) without the bit of a[i] that d
            // carries in. Columns j > i + 1: a[i] d[j]. Column L: a[i] times the top bit of 2a.
            let (lo, mut c) = mac(t[i], ai, ai, 0);
            t[i] = lo;
            let mut extra = 0;
            if i + 1 < L {
                (t[i + 1], c) = mac(t[i + 1], ai, a[i + 1] << 1, c);
                for j in (i + 2)..L {
                    (t[j], c) = mac(t[j], ai, d[j], c);
                }
                extra = ai & top_mask;
            }
            let (top, top_carry) = adc(t_hi, c, extra);
            let m = t[0].wrapping_mul(self.n0);
            let (_, mut c) = mac(t[0], m, n[0], 0);
            for j in 1..L {
                (t[j - 1], c) = mac(t[j], m, n[j], c);
            }
            let (s, c2) = adc(top, c, 0);
            t[L - 1] = s;
            t_hi = top_carry + c2;
        }
        // As in `mul`, the result is below 2n (a^2 < n R), so one subtraction finishes; the
        // running value stays below 3n on the way, which t_hi holds.
        self.reduce_once(&mut t, t_hi);
        t
    }

    /// Montgomery form `a R mod n` of any `L`-limb `a` (it need not be reduced).
    #[must_use]
    pub fn to_mont(&self, a: &[u64; L]) -> [u64; L] {
        self.mul(a, &self.r2)
    }

    /// The ordinary value `a R^-1 mod n` of a Montgomery-form `a`, fully reduced.
    #[must_use]
    pub fn retrieve(&self, a: &[u64; L]) -> [u64; L] {
        let mut unit = [0u64; L];
        unit[0] = 1;
        self.mul(a, &unit)
    }

    /// `base^exp` in Montgomery form, for a Montgomery-form `base < n` and a secret
    /// exponent, by fixed 5-bit windows.
    ///
    /// Only the first `exp_bits` bits of `exp` (little-endian limbs) are used; that length is
    /// public and sets the running time, the exponent's bits do not. Each window's table
    /// entry is picked by reading all 32 entries under masks.
    ///
    /// # Panics
    /// If `exp_bits > 64 * exp.len()` (lengths are public; a programming error).
    #[must_use]
    pub fn pow(&self, base: &[u64; L], exp: &[u64], exp_bits: usize) -> [u64; L] {
        assert!(exp_bits <= 64 * exp.len(), "exponent shorter than exp_bits");
        let mut table = [[0u64; L]; TABLE];
        table[0] = self.one;
        table[1] = *base;
        for k in 2..TABLE {
            table[k] = if k % 2 == 0 {
                self.square(&table[k / 2])
            } else {
                self.mul(&table[k - 1], base)
            };
        }
        let windows = exp_bits.div_ceil(WINDOW);
        let mut acc = self.one;
        for w in (0..windows).rev() {
            let digit = window(exp, exp_bits, w * WINDOW, WINDOW);
            let entry = ct_select(&table, digit);
            if w + 1 == windows {
                // Top window: nothing to square yet (public: depends on exp_bits only).
                acc = entry;
            } else {
                for _ in 0..WINDOW {
                    acc = self.square(&acc);
                }
                acc = self.mul(&acc, &entry);
            }
        }
        table.zeroize();
        acc
    }

    /// `2^exp` in Montgomery form, for a secret exponent of public length `exp_bits`.
    ///
    /// When `R mod n` fits in `L - 1` limbs (true of the Oakley group 2 prime, whose top 64
    /// bits are all ones), multiplying by `2^digit` is a shift and a one-limb fold instead
    /// of a Montgomery multiplication, so this costs little more than the `exp_bits`
    /// squarings. Other moduli fall back to [`Modulus::pow`]; that choice depends only on
    /// the modulus, which DH keeps public.
    ///
    /// # Panics
    /// If `exp_bits > 64 * exp.len()`.
    #[must_use]
    pub fn pow_base2(&self, exp: &[u64], exp_bits: usize) -> [u64; L] {
        assert!(exp_bits <= 64 * exp.len(), "exponent shorter than exp_bits");
        if L < 2 || self.one[L - 1] != 0 {
            let mut two = [0u64; L];
            two[0] = 2;
            return self.pow(&self.to_mont(&two), exp, exp_bits);
        }
        let windows = exp_bits.div_ceil(WINDOW_BASE2);
        let mut acc = self.one;
        for w in (0..windows).rev() {
            if w + 1 != windows {
                for _ in 0..WINDOW_BASE2 {
                    acc = self.square(&acc);
                }
            }
            let digit = window(exp, exp_bits, w * WINDOW_BASE2, WINDOW_BASE2);
            acc = self.mul_pow2(&acc, digit);
        }
        acc
    }

    /// `base^exp` in Montgomery form for a **fixed** base, by a comb (Lim-Lee with one
    /// table): `table[v]` must hold the Montgomery form of the product of
    /// `base^(2^(t spacing))` over the set bits `t` of `v` (see [`Modulus::comb_table`]).
    /// Costs `spacing - 1` squarings and multiplications instead of `exp_bits` squarings;
    /// each step's entry is picked by reading the whole table under masks.
    ///
    /// # Panics
    /// If `T != 2^teeth`, `teeth * spacing < exp_bits`, or `exp_bits > 64 * exp.len()`.
    #[must_use]
    pub fn pow_comb<const T: usize>(
        &self,
        table: &[[u64; L]; T],
        teeth: usize,
        spacing: usize,
        exp: &[u64],
        exp_bits: usize,
    ) -> [u64; L] {
        assert!(T == 1 << teeth, "table size must be 2^teeth");
        assert!(
            teeth * spacing >= exp_bits,
            "comb too short for the exponent"
        );
        assert!(exp_bits <= 64 * exp.len(), "exponent shorter than exp_bits");
        let mut acc = self.one;
        for i in (0..spacing).rev() {
            // Bits i, i + spacing, i + 2 spacing, ... (public positions, secret values).
            let mut v = 0u64;
            for t in 0..teeth {
                v |= window(exp, exp_bits, i + t * spacing, 1) << t;
            }
            let entry = ct_select(table, v);
            if i + 1 == spacing {
                acc = entry;
            } else {
                acc = self.square(&acc);
                acc = self.mul(&acc, &entry);
            }
        }
        acc
    }

    /// The table [`Modulus::pow_comb`] needs for a Montgomery-form `base`: entry `v` is the
    /// product of `base^(2^(t spacing))` over the set bits `t` of `v`.
    ///
    /// # Panics
    /// If `T != 2^teeth`.
    #[must_use]
    pub fn comb_table<const T: usize>(
        &self,
        base: &[u64; L],
        teeth: usize,
        spacing: usize,
    ) -> [[u64; L]; T] {
        assert!(T == 1 << teeth, "table size must be 2^teeth");
        let mut table = [[0u64; L]; T];
        table[0] = self.one;
        let mut tooth = *base;
        for t in 0..teeth {
            // Entries with top bit t: the entries below times base^(2^(t spacing)).
            for v in 0..(1 << t) {
                table[(1 << t) | v] = self.mul(&table[v], &tooth);
            }
            for _ in 0..spacing {
                tooth = self.square(&tooth);
            }
        }
        table
    }

    /// `a 2^k mod n` for `a < n` and a secret `k < 64`, when `R mod n < 2^(64 (L-1))`.
    fn mul_pow2(&self, a: &[u64; L], k: u64) -> [u64; L] {
        // v = a << k over L + 1 limbs. `(x >> 1) >> (63 - k)` is `x >> (64 - k)` without the
        // undefined shift by 64 when k = 0. Shifts by a register amount take constant time.
        let mut v = [0u64; L];
        let mut prev = 0u64;
        for i in 0..L {
            v[i] = (a[i] << k) | ((prev >> 1) >> (63 - k));
            prev = a[i];
        }
        let h = (prev >> 1) >> (63 - k);
        // Fold h 2^(64 L) = h (R mod n): h < 2^63 and R mod n < 2^(64 (L-1)), so the carry
        // out is 0 or 1.
        let mut c = 0;
        for (vi, oi) in v.iter_mut().zip(&self.one) {
            (*vi, c) = mac(*vi, h, *oi, c);
        }
        // Fold that carry the same way; when it is 1 the low part is below 2^(64 L - 1),
        // so this cannot carry again.
        let mask = c.wrapping_neg();
        let mut c2 = 0;
        for (vi, oi) in v.iter_mut().zip(&self.one) {
            (*vi, c2) = adc(*vi, oi & mask, c2);
        }
        // Now v < 2^(64 L) < 2n (n > R - 2^(64 (L-1)) > R / 2).
        self.reduce_once(&mut v, c2);
        v
    }

    /// `base^exp mod n` in Montgomery form for a **public** exponent (square and multiply,
    /// branching on the exponent's bits). For the RSA public operation.
    #[must_use]
    pub fn pow_vartime(&self, base: &[u64; L], exp: u64) -> [u64; L] {
        let mut acc = self.one;
        if exp == 0 {
            return acc;
        }
        let bits = 64 - exp.leading_zeros();
        for i in (0..bits).rev() {
            acc = self.square(&acc);
            if (exp >> i) & 1 == 1 {
                acc = self.mul(&acc, base);
            }
        }
        acc
    }
}

/// Bits `[pos, pos + width)` of the little-endian exponent, ignoring bits at or above
/// `exp_bits`. Positions are public; the value is secret and is only returned.
#[inline(always)]
fn window(exp: &[u64], exp_bits: usize, pos: usize, width: usize) -> u64 {
    let limb = pos / 64;
    let off = pos % 64;
    let mut v = exp.get(limb).copied().unwrap_or(0) >> off;
    if off + width > 64 {
        v |= exp.get(limb + 1).copied().unwrap_or(0) << (64 - off);
    }
    let keep = exp_bits.saturating_sub(pos).min(width);
    v & ((1u64 << keep) - 1)
}

/// `table[idx]`, reading every entry and keeping the wanted one under a mask.
#[inline(always)]
fn ct_select<const L: usize, const T: usize>(table: &[[u64; L]; T], idx: u64) -> [u64; L] {
    let mut out = [0u64; L];
    for (k, entry) in (0u64..).zip(table.iter()) {
        let mask = eq_mask(k, idx);
        for (o, e) in out.iter_mut().zip(entry) {
            *o |= e & mask;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    #[test]
    fn window_extraction() {
        let e = [0xF0F0_F0F0_F0F0_F0F1u64, 0x3];
        assert_eq!(window(&e, 66, 0, 5), 0x11);
        assert_eq!(window(&e, 66, 60, 5), 0x1F);
        assert_eq!(window(&e, 66, 62, 5), 0xF);
        assert_eq!(window(&e, 64, 62, 5), 0x3);
        assert_eq!(window(&e, 66, 65, 5), 0x1);
        assert_eq!(window(&e, 66, 70, 5), 0);
    }

    #[test]
    fn select_reads_the_right_entry() {
        let table: [[u64; 2]; 4] = core::array::from_fn(|k| [k as u64, 10 * k as u64]);
        for k in 0..4 {
            assert_eq!(ct_select(&table, k), [k, 10 * k]);
        }
        assert_eq!(ct_select(&table, 4), [0, 0]);
    }

    #[test]
    fn rejects_even_and_tiny_moduli() {
        assert!(Modulus::<2>::new(&[4, 1]).is_none());
        assert!(Modulus::<2>::new(&[1, 0]).is_none());
        assert!(Modulus::<2>::new(&[0, 0]).is_none());
        assert!(Modulus::<2>::new(&[3, 0]).is_some());
    }

    #[test]
    fn small_modulus_arithmetic() {
        // n = 2^64 + 13 over two limbs; check against u128 arithmetic.
        let n: u128 = (1u128 << 64) + 13;
        let m = Modulus::<2>::new(&[13, 1]).unwrap();
        let to = |x: u128| [x as u64, (x >> 64) as u64];
        let from = |x: [u64; 2]| u128::from(x[0]) | (u128::from(x[1]) << 64);
        let a = 0x1234_5678_9abc_def0_1122u128 % n;
        let b = 0xffff_ffff_ffff_ffff_0000u128 % n;
        let am = m.to_mont(&to(a));
        let bm = m.to_mont(&to(b));
        let prod = from(m.retrieve(&m.mul(&am, &bm)));
        // Reference product mod n via repeated doubling (no u256 needed).
        let mut want = 0u128;
        for i in (0..128).rev() {
            want = (want * 2) % n;
            if (b >> i) & 1 == 1 {
                want = (want + a) % n;
            }
        }
        assert_eq!(prod, want);
        assert_eq!(from(m.retrieve(&m.square(&am))), {
            let mut w = 0u128;
            for i in (0..128).rev() {
                w = (w * 2) % n;
                if (a >> i) & 1 == 1 {
                    w = (w + a) % n;
                }
            }
            w
        });
        assert_eq!(from(m.add(&to(n - 1), &to(2))), 1);
        assert_eq!(from(m.sub(&to(1), &to(2))), n - 1);
    }
}
