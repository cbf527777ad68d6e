//! Diffie-Hellman over the Oakley group 2 prime with g = 2 and 320-bit private exponents
//! (tor-spec 0.3, DH_SEC_LEN = 40), and KDF-TOR over `K0 = g^xy` in its minimal big-endian
//! form (tor-spec 5.2.1, as C tor hashes it through OpenSSL's `DH_compute_key`).

// The CT KDF below indexes fixed 192-byte buffers at public positions in loops bounded by
// their length; see the comments there.
#![allow(clippy::indexing_slicing)]

use super::comb_table::{COMB_SPACING, COMB_TEETH, OAKLEY_BASE2_COMB};
use crate::bignum::{self, Modulus};
use sha1::digest::generic_array::GenericArray;
use subtle::Choice;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Bytes in a DH public value or shared secret (DH_LEN, tor-spec 0.2).
pub const DH_LEN: usize = 128;
/// Bytes in a DH private exponent (DH_SEC_LEN, tor-spec 0.2): 320 bits.
pub const DH_SEC_LEN: usize = 40;

const LIMBS: usize = 16;
const SEC_LIMBS: usize = 5;
/// The exponent length is public; every exponentiation takes time for exactly this many bits.
const SEC_BITS: usize = 8 * DH_SEC_LEN;

/// The Oakley group 2 prime (RFC 2409 6.2), little-endian limbs, with its Montgomery
/// constants: `-p^-1 mod 2^64 = 1` (p ends in 64 one bits), `R mod p`, `R^2 mod p`. A test
/// checks them against [`Modulus::new`].
pub(super) static OAKLEY: Modulus<LIMBS> = Modulus::from_parts(
    [
        0xffff_ffff_ffff_ffff,
        0x4928_6651_ece6_5381,
        0xae9f_2411_7c4b_1fe6,
        0xee38_6bfb_5a89_9fa5,
        0x0bff_5cb6_f406_b7ed,
        0xf44c_42e9_a637_ed6b,
        0xe485_b576_625e_7ec6,
        0x4fe1_356d_6d51_c245,
        0x302b_0a6d_f25f_1437,
        0xef95_19b3_cd3a_431b,
        0x514a_0879_8e34_04dd,
        0x020b_bea6_3b13_9b22,
        0x2902_4e08_8a67_cc74,
        0xc4c6_628b_80dc_1cd1,
        0xc90f_daa2_2168_c234,
        0xffff_ffff_ffff_ffff,
    ],
    1,
    [
        0x0000_0000_0000_0001,
        0xb6d7_99ae_1319_ac7e,
        0x5160_dbee_83b4_e019,
        0x11c7_9404_a576_605a,
        0xf400_a349_0bf9_4812,
        0x0bb3_bd16_59c8_1294,
        0x1b7a_4a89_9da1_8139,
        0xb01e_ca92_92ae_3dba,
        0xcfd4_f592_0da0_ebc8,
        0x106a_e64c_32c5_bce4,
        0xaeb5_f786_71cb_fb22,
        0xfdf4_4159_c4ec_64dd,
        0xd6fd_b1f7_7598_338b,
        0x3b39_9d74_7f23_e32e,
        0x36f0_255d_de97_3dcb,
        0x0000_0000_0000_0000,
    ],
    [
        0x86b8_f055_6003_1f42,
        0xc52e_1890_c7b5_e3b2,
        0x7cae_7232_1893_172a,
        0x55da_58a4_9699_89e3,
        0x1f69_fbfa_267f_09b5,
        0x64e9_5d0d_01b8_0803,
        0x0d95_5e84_00c5_1c6d,
        0xa513_aea8_63e6_37f2,
        0x0cb0_1526_74ce_158c,
        0xe127_91e4_eb65_5e02,
        0x0092_d1e7_3100_41c7,
        0x010d_8fec_c388_80c2,
        0xb990_e34c_a6b7_648d,
        0x4325_67cc_e986_16fb,
        0x0345_28c7_5a74_698d,
        0x6415_c282_3c30_3ead,
    ],
);

/// `Choice(1)` iff `2 <= x <= p - 2`: C tor's `tor_check_dh_key`, in constant time. Values
/// outside (0, 1, p - 1 and anything from p up) would make the shared secret predictable.
pub(super) fn in_range(x: &[u64; LIMBS]) -> Choice {
    let mut two = [0u64; LIMBS];
    two[0] = 2;
    let mut p_minus_1 = *OAKLEY.modulus();
    p_minus_1[0] -= 1;
    !bignum::ct_lt(x, &two) & bignum::ct_lt(x, &p_minus_1)
}

/// A DH private exponent (320 bits). Zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(super) struct DhSecret([u64; SEC_LIMBS]);

impl DhSecret {
    /// Reads a 40-byte big-endian exponent.
    pub(super) fn from_bytes(bytes: &[u8; DH_SEC_LEN]) -> Self {
        Self(bignum::from_be_bytes(bytes).unwrap_or([0; SEC_LIMBS]))
    }

    /// `g^x mod p` (128 bytes, left-padded) and whether it lies in [2, p - 2].
    ///
    /// The base is fixed, so this uses a precomputed comb table: 53 squarings and 53
    /// multiplications with constant-time table scans, instead of 320 squarings.
    pub(super) fn public(&self) -> ([u8; DH_LEN], Choice) {
        let y = OAKLEY.retrieve(&OAKLEY.pow_comb(
            &OAKLEY_BASE2_COMB,
            COMB_TEETH,
            COMB_SPACING,
            &self.0,
            SEC_BITS,
        ));
        let mut out = [0u8; DH_LEN];
        bignum::to_be_bytes(&y, &mut out);
        (out, in_range(&y))
    }

    /// `peer^x mod p` for a peer value given as 128 big-endian bytes, and whether the peer
    /// value lies in [2, p - 2]. Runs the same way whatever the peer value (even >= p: it is
    /// reduced on the way into Montgomery form), so a bad value costs the same time.
    pub(super) fn shared(&self, peer: &[u8; DH_LEN]) -> (SharedSecret, Choice) {
        let x = bignum::from_be_bytes::<LIMBS>(peer).unwrap_or([0; LIMBS]);
        let ok = in_range(&x);
        let s = OAKLEY.retrieve(&OAKLEY.pow(&OAKLEY.to_mont(&x), &self.0, SEC_BITS));
        let mut gxy = [0u8; DH_LEN];
        bignum::to_be_bytes(&s, &mut gxy);
        (SharedSecret::new(gxy), ok)
    }
}

/// `g^xy`, kept left-padded with the (secret) number of its leading zero bytes, so that
/// KDF-TOR can hash the minimal encoding without a secret-dependent length anywhere.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(super) struct SharedSecret {
    /// The minimal encoding moved to the front (`gxy[z..]`), then zeros.
    shifted: [u8; BUF],
    /// Length of the minimal encoding, `128 - z`.
    len: u64,
}

/// Three SHA-1 blocks: enough for a 128-byte K0, the counter byte and SHA-1's padding.
const BUF: usize = 3 * 64;

/// SHA-1's initial state (FIPS 180-4 5.3.1).
const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

impl SharedSecret {
    /// Strips the leading zero bytes of `gxy` in constant time: counts them with masks and
    /// shifts left by that count with a barrel shifter (eight masked passes).
    pub(super) fn new(mut gxy: [u8; DH_LEN]) -> Self {
        let mut zeros = 0u64;
        let mut leading = 1u64;
        for &b in &gxy {
            // (b - 1) >> 63 is 1 exactly when b == 0.
            leading &= u64::from(b).wrapping_sub(1) >> 63;
            zeros += leading;
        }
        let mut shifted = [0u8; BUF];
        shifted[..DH_LEN].copy_from_slice(&gxy);
        gxy.zeroize();
        for bit in 0..8 {
            let step = 1usize << bit;
            // Truncation keeps the all-ones or all-zeros byte pattern.
            #[allow(clippy::cast_possible_truncation)]
            let take = bignum::mask_from_bit(zeros >> bit) as u8;
            for j in 0..BUF {
                // j + step is a public position.
                let src = if j + step < BUF { shifted[j + step] } else { 0 };
                shifted[j] ^= (shifted[j] ^ src) & take;
            }
        }
        Self {
            shifted,
            len: DH_LEN as u64 - zeros,
        }
    }

    /// Length of the minimal encoding of `g^xy` (secret; for known-answer tests).
    #[cfg(feature = "hazmat")]
    pub(super) fn len_hazmat(&self) -> u64 {
        self.len
    }

    /// The minimal encoding of `g^xy`, then zeros (secret; for known-answer tests).
    #[cfg(feature = "hazmat")]
    pub(super) fn bytes_hazmat(&self) -> &[u8] {
        &self.shifted
    }

    /// Block `i` of KDF-TOR: `SHA1(K0 | [i])`, computed over a fixed three blocks.
    ///
    /// The message `K0 | [i]` has a secret length `len + 1` (between 1 and 129 bytes), so
    /// the counter, the `0x80` terminator and the bit length are placed with masks, all three
    /// blocks are always compressed, and the state after the real final block is selected.
    pub(super) fn kdf_block(&self, i: u8) -> [u8; 20] {
        let msg_len = self.len + 1;
        let mut buf = self.shifted;
        // Blocks needed: the message, 0x80 and 8 length bytes, rounded up (1, 2 or 3).
        let blocks = (msg_len + 9).div_ceil(64);
        let bit_len = (msg_len * 8).to_be_bytes();
        // Masks are all ones or zero, so truncating them to a byte or word keeps that.
        #[allow(clippy::cast_possible_truncation)]
        for (pos, byte) in (0u64..).zip(buf.iter_mut()) {
            let counter_here = bignum::eq_mask(pos, msg_len - 1) as u8;
            let end_here = bignum::eq_mask(pos, msg_len) as u8;
            *byte |= (i & counter_here) | (0x80 & end_here);
        }
        #[allow(clippy::cast_possible_truncation)]
        for (last, start) in (1..=3u64).zip([56usize, 120, 184]) {
            // `start` is where block `last`'s 8-byte length field begins.
            let here = bignum::eq_mask(blocks, last) as u8;
            for (k, b) in bit_len.iter().enumerate() {
                buf[start + k] |= b & here;
            }
        }
        let mut state = SHA1_IV;
        let mut out = [0u32; 5];
        #[allow(clippy::cast_possible_truncation)]
        for (n, block) in (1u64..).zip(buf.chunks_exact(64)) {
            sha1::compress(&mut state, &[GenericArray::clone_from_slice(block)]);
            let done = bignum::eq_mask(blocks, n) as u32;
            for (o, s) in out.iter_mut().zip(&state) {
                *o ^= (*o ^ s) & done;
            }
        }
        buf.zeroize();
        state.zeroize();
        let mut digest = [0u8; 20];
        for (d, w) in digest.chunks_exact_mut(4).zip(&out) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        out.zeroize();
        digest
    }

    /// Writes KDF-TOR output bytes `[skip, skip + out.len())` into `out`. `skip` and the
    /// length are public; the caller keeps them within KDF-TOR's 256 blocks.
    pub(super) fn kdf_into(&self, skip: usize, out: &mut [u8]) {
        let mut pos = skip;
        let mut written = 0;
        while written < out.len() {
            let block = pos / 20;
            let offset = pos % 20;
            #[allow(clippy::cast_possible_truncation)]
            let mut digest = self.kdf_block(block as u8);
            let take = (20 - offset).min(out.len() - written);
            out[written..written + take].copy_from_slice(&digest[offset..offset + take]);
            digest.zeroize();
            written += take;
            pos += take;
        }
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    #[test]
    fn oakley_constants_match_runtime_computation() {
        let m = Modulus::new(OAKLEY.modulus()).unwrap();
        assert_eq!(m.one(), OAKLEY.one());
        assert_eq!(m.r2(), OAKLEY.r2());
        // n0 = 1: a Montgomery product by one returns the input unchanged.
        let mut x = [0u64; LIMBS];
        x[3] = 12345;
        assert_eq!(OAKLEY.retrieve(&OAKLEY.to_mont(&x)), x);
    }

    #[test]
    fn comb_table_matches_runtime_computation() {
        let mut two = [0u64; LIMBS];
        two[0] = 2;
        let table: [[u64; LIMBS]; 64] =
            OAKLEY.comb_table(&OAKLEY.to_mont(&two), COMB_TEETH, COMB_SPACING);
        assert!(table == OAKLEY_BASE2_COMB);
        const { assert!(COMB_TEETH * COMB_SPACING >= SEC_BITS) };
    }

    #[test]
    fn keygen_agrees_with_base2_window_method() {
        for seed in 0..4u64 {
            let e: [u64; SEC_LIMBS] = core::array::from_fn(|i| {
                (seed + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i as u64) << 7
            });
            let a = OAKLEY.pow_comb(&OAKLEY_BASE2_COMB, COMB_TEETH, COMB_SPACING, &e, SEC_BITS);
            let b = OAKLEY.pow_base2(&e, SEC_BITS);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn range_check_edges() {
        let p = *OAKLEY.modulus();
        let mut v = [0u64; LIMBS];
        assert!(!bool::from(in_range(&v)));
        v[0] = 1;
        assert!(!bool::from(in_range(&v)));
        v[0] = 2;
        assert!(bool::from(in_range(&v)));
        let mut pm2 = p;
        pm2[0] -= 2;
        assert!(bool::from(in_range(&pm2)));
        let mut pm1 = p;
        pm1[0] -= 1;
        assert!(!bool::from(in_range(&pm1)));
        assert!(!bool::from(in_range(&p)));
        assert!(!bool::from(in_range(&[u64::MAX; LIMBS])));
    }

    #[test]
    fn ct_kdf_matches_kdf_tor_for_every_strip_length() {
        for zeros in [
            0usize, 1, 2, 7, 8, 9, 10, 11, 55, 64, 72, 73, 74, 100, 127, 128,
        ] {
            let mut gxy = [0u8; DH_LEN];
            for (i, b) in gxy.iter_mut().enumerate().skip(zeros) {
                *b = (i as u8).wrapping_mul(37) | 1;
            }
            let s = SharedSecret::new(gxy);
            let mut want = [0u8; 200];
            crate::kdf::kdf_tor(&[&gxy[zeros..]], &mut want).unwrap();
            let mut got = [0u8; 200];
            s.kdf_into(0, &mut got);
            assert_eq!(got, want, "zeros = {zeros}");
            let mut tail = [0u8; 73];
            s.kdf_into(20, &mut tail);
            assert_eq!(tail[..], want[20..93], "zeros = {zeros}");
        }
    }
}
