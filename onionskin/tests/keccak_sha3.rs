//! Property tests: the crate's own Keccak (`onionskin::keccak`) returns exactly what the
//! `sha3` and `keccak` crates return, for inputs of every length a job holds, on the
//! dispatched four-lane path (AVX-512 or AVX2 where the CPU has it), the eight-lane path
//! (AVX-512), the chain pool across up to 24 chains, and the portable permutation.

use onionskin::keccak;
use proptest::collection::vec;
use proptest::prelude::*;
use sha3::digest::{Digest, ExtendableOutput, Update, XofReader};

fn shake(data: &[u8], n: usize) -> Vec<u8> {
    let mut h = sha3::Shake256::default();
    h.update(data);
    let mut out = vec![0u8; n];
    h.finalize_xof().read(&mut out);
    out
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=keccak::MAX_INPUT_LEN - 32)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn sha3_256_and_shake256_match_sha3(data in message(), n in 0usize..600) {
        prop_assert_eq!(&keccak::sha3_256(&data).unwrap()[..], &sha3::Sha3_256::digest(&data)[..]);
        let mut out = vec![0u8; n];
        keccak::shake256(&data, &mut out).unwrap();
        prop_assert_eq!(out, shake(&data, n));
    }

    #[test]
    fn permutations_match_keccak(words in any::<[[u64; 25]; 4]>()) {
        let mut want = words;
        for s in &mut want {
            ::keccak::f1600(s);
        }
        let mut four = words;
        keccak::f1600_x4(&mut four);
        prop_assert_eq!(four, want);
        let mut one = words[3];
        keccak::f1600_portable(&mut one);
        prop_assert_eq!(one, want[3]);
    }

    #[test]
    fn eight_lane_permutation_matches_keccak(words in any::<[[u64; 25]; 8]>()) {
        let mut want = words;
        for s in &mut want {
            ::keccak::f1600(s);
        }
        let mut eight = words;
        keccak::f1600_x8(&mut eight);
        prop_assert_eq!(eight, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any number of chains, so that lanes are eight wide, four wide, both in turn, or one
    /// scalar, and chains of uneven lengths pass their lanes on.
    #[test]
    fn pooled_chains_match_separate_hashes(
        chains in vec((message(), message(), 0usize..=keccak::MAX_CHAINED_OUTPUT_LEN), 0..=keccak::MAX_POOL_CHAINS),
    ) {
        let first: Vec<&[u8]> = chains.iter().map(|c| c.0.as_slice()).collect();
        let second: Vec<&[u8]> = chains.iter().map(|c| c.1.as_slice()).collect();
        let mut outs: Vec<Vec<u8>> = chains.iter().map(|c| vec![0u8; c.2]).collect();
        let mut out: Vec<&mut [u8]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
        let mut digests = vec![[0u8; 32]; chains.len()];
        keccak::sha3_then_shake_pool(&first, &second, &mut out, &mut digests).unwrap();
        for (i, (f, s, n)) in chains.iter().enumerate() {
            let d = sha3::Sha3_256::digest(f);
            prop_assert_eq!(&digests[i][..], &d[..]);
            let mut input = d.to_vec();
            input.extend_from_slice(s);
            prop_assert_eq!(&outs[i], &shake(&input, *n));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn four_chains_match_separate_hashes(
        firsts in proptest::array::uniform4(message()),
        seconds in proptest::array::uniform4(message()),
        lens in proptest::array::uniform4(0usize..=keccak::MAX_CHAINED_OUTPUT_LEN),
    ) {
        let mut outs = lens.map(|n| vec![0u8; n]);
        let [o0, o1, o2, o3] = &mut outs;
        let digests = keccak::sha3_then_shake_x4(
            firsts.each_ref().map(Vec::as_slice),
            seconds.each_ref().map(Vec::as_slice),
            [o0, o1, o2, o3],
        )
        .unwrap();
        for i in 0..4 {
            let d = sha3::Sha3_256::digest(&firsts[i]);
            prop_assert_eq!(&digests[i][..], &d[..]);
            let mut input = d.to_vec();
            input.extend_from_slice(&seconds[i]);
            prop_assert_eq!(&outs[i], &shake(&input, lens[i]));
        }
    }
}
