//! The running digests of relay crypto: SHA-1 for tor1 (tor-spec 6.1, "Routing relay cells")
//! and SHA3-256 for the onion-service layer (rend-spec-v3 5.2).
//!
//! A running digest absorbs every payload its hop sends or recognises and is read without
//! being finished, so reading it copies the state. Both are written over fixed arrays
//! (`sha1::compress`, the crate's own Keccak-f\[1600\]) so that every copy is zeroized on drop,
//! which the RustCrypto hashers' states are not.

use crate::keccak::{self, RATE};
use sha1::digest::generic_array::GenericArray;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of a SHA-1 output.
pub(super) const SHA1_LEN: usize = 20;
/// Length of a SHA3-256 output.
pub(super) const SHA3_256_LEN: usize = 32;

/// SHA-1's initial state (FIPS 180-4 5.3.1).
const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

const SHA1_BLOCK: usize = 64;

/// A SHA-1 hash that can be read at any point and then continued (C tor's
/// `crypto_digest_get_digest` on a `crypto_digest_t`).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(super) struct RunningSha1 {
    state: [u32; 5],
    block: [u8; SHA1_BLOCK],
    filled: usize,
    total: u64,
}

impl RunningSha1 {
    /// A hash that has absorbed `seed` (tor-spec 6.1: the digest is seeded with `Df` or `Db`).
    pub(super) fn new(seed: &[u8]) -> Self {
        let mut h = Self {
            state: SHA1_IV,
            block: [0; SHA1_BLOCK],
            filled: 0,
            total: 0,
        };
        h.update(seed);
        h
    }

    fn compress(state: &mut [u32; 5], block: &[u8]) {
        sha1::compress(
            state,
            core::slice::from_ref(GenericArray::from_slice(block)),
        );
    }

    pub(super) fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.filled > 0 {
            let room = self.block.get_mut(self.filled..).unwrap_or_default();
            let take = room.len().min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = room.get_mut(..take) {
                dst.copy_from_slice(head);
            }
            self.filled += take;
            data = rest;
            if self.filled < SHA1_BLOCK {
                return;
            }
            Self::compress(&mut self.state, &self.block);
            self.filled = 0;
        }
        let blocks = data.chunks_exact(SHA1_BLOCK);
        let rest = blocks.remainder();
        for block in blocks {
            Self::compress(&mut self.state, block);
        }
        if let Some(dst) = self.block.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.filled = rest.len();
    }

    /// The digest of everything absorbed so far; the hash itself goes on unchanged.
    pub(super) fn digest(&self) -> [u8; SHA1_LEN] {
        let mut h = self.clone();
        let bit_len = h.total.wrapping_mul(8).to_be_bytes();
        h.update(&[0x80]);
        // Zeros up to the last 8 bytes of a block (FIPS 180-4 5.1.1).
        let zeros = (SHA1_BLOCK + SHA1_BLOCK - 8 - h.filled) % SHA1_BLOCK;
        h.update([0u8; SHA1_BLOCK].get(..zeros).unwrap_or_default());
        h.update(&bit_len);
        let mut out = [0u8; SHA1_LEN];
        for (o, w) in out.chunks_exact_mut(4).zip(&h.state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

/// A SHA3-256 hash that can be read at any point and then continued.
///
/// Input is buffered a block at a time and XORed into the state lane by lane, since relay
/// payloads reach it at offsets that are not multiples of 8.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(super) struct RunningSha3 {
    state: [u64; 25],
    block: [u8; RATE],
    /// Bytes of `block` filled so far (always below `RATE` between calls).
    filled: usize,
}

impl RunningSha3 {
    /// A hash that has absorbed `seed` (rend-spec-v3 5.2: seeded with `Df` or `Db`).
    pub(super) fn new(seed: &[u8]) -> Self {
        let mut h = Self {
            state: [0; 25],
            block: [0; RATE],
            filled: 0,
        };
        h.update(seed);
        h
    }

    /// XORs the full block into the state (FIPS 202 B.1: lanes are little-endian) and
    /// permutes.
    fn absorb_block(state: &mut [u64; 25], block: &[u8; RATE]) {
        for (lane, word) in state.iter_mut().zip(block.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(word);
            *lane ^= u64::from_le_bytes(le);
        }
        keccak::f1600(state);
    }

    pub(super) fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = self.block.get_mut(self.filled..).unwrap_or_default();
            let take = room.len().min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = room.get_mut(..take) {
                dst.copy_from_slice(head);
            }
            self.filled += take;
            data = rest;
            if self.filled == RATE {
                Self::absorb_block(&mut self.state, &self.block);
                self.filled = 0;
            }
        }
    }

    /// The digest of everything absorbed so far; the hash itself goes on unchanged.
    pub(super) fn digest(&self) -> [u8; SHA3_256_LEN] {
        let mut h = self.clone();
        // FIPS 202 6.1: the SHA-3 domain bits `01`, then pad10*1.
        if let Some(rest) = h.block.get_mut(h.filled..) {
            rest.fill(0);
        }
        if let Some(b) = h.block.get_mut(h.filled) {
            *b = 0x06;
        }
        if let Some(b) = h.block.last_mut() {
            *b |= 0x80;
        }
        Self::absorb_block(&mut h.state, &h.block);
        let mut out = [0u8; SHA3_256_LEN];
        for (o, w) in out.chunks_exact_mut(8).zip(&h.state) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation, clippy::indexing_slicing)] // test data from small indices
mod tests {
    use super::*;
    use sha1::Digest as _;

    #[test]
    fn sha1_matches_reference_across_splits() {
        let data: std::vec::Vec<u8> = (0..1200u32).map(|i| (i * 7 + 3) as u8).collect();
        for split in [0usize, 1, 55, 56, 63, 64, 65, 509, 1000, 1200] {
            let (a, b) = data.split_at(split);
            let mut h = RunningSha1::new(a);
            let mid = h.digest();
            assert_eq!(mid[..], sha1::Sha1::digest(a)[..], "prefix {split}");
            h.update(b);
            assert_eq!(
                h.digest()[..],
                sha1::Sha1::digest(&data)[..],
                "split {split}"
            );
        }
    }

    #[test]
    fn sha3_matches_reference_across_splits() {
        use sha3::Digest as _;
        let data: std::vec::Vec<u8> = (0..1200u32).map(|i| (i * 13 + 1) as u8).collect();
        for split in [0usize, 1, 7, 8, 135, 136, 137, 509, 1000, 1200] {
            let (a, b) = data.split_at(split);
            let mut h = RunningSha3::new(a);
            assert_eq!(
                h.digest()[..],
                sha3::Sha3_256::digest(a)[..],
                "prefix {split}"
            );
            h.update(&b[..b.len() / 3]);
            h.update(&b[b.len() / 3..]);
            assert_eq!(
                h.digest()[..],
                sha3::Sha3_256::digest(&data)[..],
                "split {split}"
            );
        }
    }
}
