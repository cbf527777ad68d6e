//! `x25519_base_and_pair_batch` on every backend the CPU runs, against curve25519-dalek.
//!
//! Input: byte 0 picks the batch size n = 1 + byte0 % 17 (every size up to two eight-skin
//! chunks and one more); byte 1 marks which entries get a low-order `X` instead (bit i for
//! entry i mod 8); the rest, repeated as needed (each repetition with a distinct tweak),
//! supplies 96 bytes `y | b | X` per entry. Property: for every entry, on every available
//! backend, `(y * 9, y * X, b * X)` equals dalek's clamped Montgomery multiplications, so
//! every lane position of every vector width meets arbitrary scalars and points.
#![no_main]

use curve25519_dalek::montgomery::MontgomeryPoint;
use libfuzzer_sys::fuzz_target;
use onionskin::x25519::{Backend, x25519_base_and_pair_batch_with};

/// Low-order u-coordinates (and non-canonical encodings of some): 0, 1, p - 1, p, p + 1.
fn low_order(which: u8) -> [u8; 32] {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut u = [0u8; 32];
    match which % 5 {
        0 => {}
        1 => u[0] = 1,
        2 => {
            u = p;
            u[0] = 0xec;
        }
        3 => u = p,
        _ => {
            u = p;
            u[0] = 0xee;
        }
    }
    u
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, rest)) = data.split_first() else {
        return;
    };
    let Some((&low, rest)) = rest.split_first() else {
        return;
    };
    if rest.is_empty() {
        return;
    }
    let n = 1 + usize::from(size) % 17;
    let byte = |i: usize| rest[i % rest.len()] ^ ((i / rest.len()) as u8).wrapping_mul(0x9d);
    let triples: Vec<[[u8; 32]; 3]> = (0..n)
        .map(|e| {
            let mut t = [[0u8; 32]; 3];
            for (j, part) in t.iter_mut().enumerate() {
                for (k, b) in part.iter_mut().enumerate() {
                    *b = byte(96 * e + 32 * j + k);
                }
            }
            if low & (1 << (e % 8)) != 0 {
                t[2] = low_order(t[2][0]);
            }
            t
        })
        .collect();
    let want: Vec<([u8; 32], [u8; 32], [u8; 32])> = triples
        .iter()
        .map(|[y, b, x]| {
            (
                MontgomeryPoint::mul_base_clamped(*y).to_bytes(),
                MontgomeryPoint(*x).mul_clamped(*y).to_bytes(),
                MontgomeryPoint(*x).mul_clamped(*b).to_bytes(),
            )
        })
        .collect();
    let inputs: Vec<_> = triples.iter().map(|[y, b, x]| (y, b, x)).collect();
    for backend in Backend::ALL {
        let mut out = vec![([0u8; 32], [0u8; 32], [0u8; 32]); n];
        if let Some(done) = x25519_base_and_pair_batch_with(backend, &inputs, &mut out) {
            assert_eq!(done, n);
            assert_eq!(out, want, "{backend:?} n={n}");
        }
    }
});
