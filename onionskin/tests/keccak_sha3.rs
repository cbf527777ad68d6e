//! Property tests: the crate's own Keccak (`onionskin::keccak`) returns exactly what the
//! `sha3` and `keccak` crates return, for inputs of every length a job holds, on the
//! dispatched four-lane path (AVX2 where the CPU has it) and the portable permutation.

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
