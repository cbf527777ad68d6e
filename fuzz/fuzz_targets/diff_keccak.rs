//! Differential: the crate's own Keccak (`onionskin::keccak`: SHA3-256, SHAKE-256, the
//! portable permutation, the four- and eight-lane permutations, four chained hashes run side
//! by side, and up to 24 chains sharing lanes as an ntor-v3 relay batch runs them) against the
//! `sha3` and `keccak` crates, on arbitrary inputs and lengths.
//!
//! Input: a mode byte, then the mode's data.
//! * 0: SHA3-256 and SHAKE-256 (output length from the next two bytes) of the rest.
//! * 1: the permutations on four states read from the rest (little-endian words).
//! * 2: four chains: eight length bytes, then the inputs cut from the rest in turn.
//! * 3: the eight-lane permutation on eight states read from the rest.
//! * 4: a pool of chains: a count byte, then per chain three length bytes (first input, second
//!   input, output), then the inputs cut from the rest in turn.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onionskin::keccak;
use sha3::digest::{Digest, ExtendableOutput, Update, XofReader};

fn shake(data: &[u8], out: &mut [u8]) {
    let mut h = sha3::Shake256::default();
    h.update(data);
    h.finalize_xof().read(out);
}

fn words<const W: usize>(data: &[u8]) -> [[u64; 25]; W] {
    let mut states = [[0u64; 25]; W];
    let mut bytes = data.chunks(8);
    for w in states.iter_mut().flatten() {
        let mut le = [0u8; 8];
        if let Some(c) = bytes.next() {
            le[..c.len()].copy_from_slice(c);
        }
        *w = u64::from_le_bytes(le);
    }
    states
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        0 => {
            let (n, msg) = match rest {
                [h, l, msg @ ..] => (usize::from(u16::from_be_bytes([*h, *l])) % 2048, msg),
                _ => (32, rest),
            };
            let ok = msg.len() <= keccak::MAX_INPUT_LEN;
            assert_eq!(keccak::sha3_256(msg).is_some(), ok);
            if let Some(d) = keccak::sha3_256(msg) {
                assert_eq!(d[..], sha3::Sha3_256::digest(msg)[..], "SHA3-256");
            }
            let (mut ours, mut theirs) = (vec![0u8; n], vec![0u8; n]);
            assert_eq!(keccak::shake256(msg, &mut ours).is_ok(), ok);
            if ok {
                shake(msg, &mut theirs);
                assert_eq!(ours, theirs, "SHAKE-256");
            }
        }
        1 => {
            let mut four: [[u64; 25]; 4] = words(rest);
            let mut expected = four;
            for s in &mut expected {
                keccak_ref(s);
            }
            let mut one = four[0];
            keccak::f1600_portable(&mut one);
            assert_eq!(one, expected[0], "Keccak-f[1600]");
            keccak::f1600_x4(&mut four);
            assert_eq!(four, expected, "four-lane Keccak-f[1600]");
        }
        3 => {
            let mut eight: [[u64; 25]; 8] = words(rest);
            let mut expected = eight;
            for s in &mut expected {
                keccak_ref(s);
            }
            keccak::f1600_x8(&mut eight);
            assert_eq!(eight, expected, "eight-lane Keccak-f[1600]");
        }
        4 => {
            let Some((&count, rest)) = rest.split_first() else {
                return;
            };
            let n = usize::from(count) % (keccak::MAX_POOL_CHAINS + 1);
            let Some((lens, mut msgs)) = rest.split_at_checked(3 * n) else {
                return;
            };
            let mut cut = |len: u8| {
                let n = (usize::from(len) * 3).min(msgs.len());
                let (m, r) = msgs.split_at(n);
                msgs = r;
                m
            };
            let first: Vec<&[u8]> = (0..n).map(|i| cut(lens[3 * i])).collect();
            let second: Vec<&[u8]> = (0..n).map(|i| cut(lens[3 * i + 1])).collect();
            let mut outs: Vec<Vec<u8>> = (0..n)
                .map(|i| vec![0u8; usize::from(lens[3 * i + 2]) % (keccak::MAX_CHAINED_OUTPUT_LEN + 1)])
                .collect();
            let mut out: Vec<&mut [u8]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
            let mut digests = vec![[0u8; 32]; n];
            keccak::sha3_then_shake_pool(&first, &second, &mut out, &mut digests).expect("short inputs");
            for i in 0..n {
                let d = sha3::Sha3_256::digest(first[i]);
                assert_eq!(digests[i][..], d[..], "pooled chain {i}: SHA3-256");
                let mut input = d.to_vec();
                input.extend_from_slice(second[i]);
                let mut expected = vec![0u8; outs[i].len()];
                shake(&input, &mut expected);
                assert_eq!(outs[i], expected, "pooled chain {i}: SHAKE-256");
            }
        }
        _ => {
            let Some((lens, mut msgs)) = rest.split_at_checked(8) else {
                return;
            };
            let mut cut = |len: u8| {
                // Up to about four blocks each, so lanes finish at different steps.
                let n = (usize::from(len) * 3).min(msgs.len());
                let (m, r) = msgs.split_at(n);
                msgs = r;
                m
            };
            let first: [&[u8]; 4] = core::array::from_fn(|i| cut(lens[i]));
            let second: [&[u8]; 4] = core::array::from_fn(|i| cut(lens[4 + i]));
            let out_len = |i: usize| usize::from(lens[i] ^ lens[7 - i]) % (keccak::MAX_CHAINED_OUTPUT_LEN + 1);
            let mut outs: [Vec<u8>; 4] = core::array::from_fn(|i| vec![0u8; out_len(i)]);
            let [o0, o1, o2, o3] = &mut outs;
            let digests =
                keccak::sha3_then_shake_x4(first, second, [o0, o1, o2, o3]).expect("short inputs");
            for i in 0..4 {
                let d = sha3::Sha3_256::digest(first[i]);
                assert_eq!(digests[i][..], d[..], "chain {i}: SHA3-256");
                let mut input = d.to_vec();
                input.extend_from_slice(second[i]);
                let mut expected = vec![0u8; outs[i].len()];
                shake(&input, &mut expected);
                assert_eq!(outs[i], expected, "chain {i}: SHAKE-256");
            }
        }
    }
});

fn keccak_ref(state: &mut [u64; 25]) {
    ::keccak::f1600(state);
}
