//! Known-answer and differential tests for the batched relay X25519
//! (`x25519_base_and_pair_batch`): RFC 7748 sections 5.2 and 6.1 and the Wycheproof X25519
//! vectors through every lane position of every backend this CPU runs, for every batch size
//! up to two vector calls, and batches bit-identical to one-by-one calls.

// Helpers outside #[test] fns unwrap constants that are valid by construction.
#![allow(clippy::unwrap_used)]

use onionskin::x25519::{
    self, Backend, RelayTriple, x25519_base_and_pair, x25519_base_and_pair_batch,
    x25519_base_and_pair_batch_with,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

fn h(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// Handshakes per chunk in the lane backends: three ladders each (`y * 9`, `y * X`, `b * X`),
/// so eight handshakes fill three eight-lane calls; a remainder of four ladders or fewer runs
/// in a four-lane call.
const CHUNK: usize = 8;

fn backends() -> Vec<Backend> {
    let b: Vec<Backend> = Backend::ALL
        .into_iter()
        .filter(|b| b.is_available())
        .collect();
    assert!(b.contains(&Backend::detect()));
    b
}

/// `(k, u, k * u)` known answers: RFC 7748 and every 32-byte Wycheproof case.
fn known_answers() -> Vec<([u8; 32], [u8; 32], [u8; 32])> {
    let mut v = vec![
        (
            h("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            h("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
            h("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        ),
        (
            h("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
            h("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
            h("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
        ),
        (
            h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
            h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
            h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
        ),
        (
            h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
            h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
            h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
        ),
    ];
    // RFC 7748 5.2, the first iteration: 9 * 9.
    let mut nine = [0u8; 32];
    nine[0] = 9;
    v.push((
        nine,
        nine,
        h("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"),
    ));
    use wycheproof::xdh::{TestName, TestSet};
    let set = TestSet::load(TestName::X25519).unwrap();
    for group in &set.test_groups {
        for t in &group.tests {
            if let (Ok(k), Ok(u), Ok(s)) = (
                <[u8; 32]>::try_from(&t.private_key[..]),
                <[u8; 32]>::try_from(&t.public_key[..]),
                <[u8; 32]>::try_from(&t.shared_secret[..]),
            ) {
                v.push((k, u, s));
            }
        }
    }
    assert!(v.len() > 500, "Wycheproof X25519 set not loaded");
    v
}

/// Every known answer in every ladder lane: handshake `i` of a chunk runs `y_i * 9`,
/// `y_i * X_i` and `b_i * X_i` in ladders `3i`, `3i + 1`, `3i + 2`, eight ladders per
/// 512-bit call and a last call of four lanes when four or fewer remain. Batches of eight
/// handshakes (three full calls) and of four (one full call and one four-lane call) carry
/// one known answer per handshake, vector `j` as handshake `(j + pass / 2) mod size`, as `y` on
/// even passes and as `b` on odd ones, with a filler scalar as its partner over the same `X`
/// (checked against x25519-dalek); over the passes each vector visits every lane of both
/// vector widths, the other lanes busy with other vectors. Y is checked against dalek too.
///
/// The AVX2 backends run the two ladders of handshake `i` in lanes `2i mod 4` and
/// `2i + 1 mod 4` of four-lane calls, but an odd handshake out (the last of an odd batch) runs
/// its two ladders side by side (`y` then `b`): in batches of four, four passes take each
/// vector through every lane of the four-lane calls; batches of one, two passes, through
/// both halves of the paired call.
#[test]
fn known_answers_through_every_lane_of_every_backend() {
    let kat = known_answers();
    let filler = [0x42u8; 32];
    let base = x25519_dalek::X25519_BASEPOINT_BYTES;
    for backend in backends() {
        // The one-by-one backends run two ladders per call (lanes y and b): two passes cover
        // them. The portable lanes are slow in unoptimised builds: they take the RFC 7748
        // answers and the first Wycheproof groups (the IFMA lanes, their production twin,
        // take everything).
        let layouts: &[(usize, usize)] = match backend {
            Backend::Ifma | Backend::PortableLanes => &[(CHUNK, 2 * CHUNK), (4, 8)],
            Backend::Avx2 | Backend::PortableAvx2Lanes => &[(4, 4), (1, 2)],
            _ => &[(4, 2)],
        };
        let count = match backend {
            Backend::PortableLanes | Backend::PortableAvx2Lanes => 48,
            _ => kat.len(),
        };
        for &(size, passes) in layouts {
            for pass in 0..passes {
                for group in kat[..count].chunks(size) {
                    let mut hs = vec![(filler, filler, base, None); group.len()];
                    for (j, (k, u, want)) in group.iter().enumerate() {
                        let i = (j + pass / 2) % group.len();
                        hs[i] = if pass % 2 == 0 {
                            (*k, filler, *u, Some(*want))
                        } else {
                            (filler, *k, *u, Some(*want))
                        };
                    }
                    let inputs: Vec<RelayTriple<'_>> =
                        hs.iter().map(|(y, b, x, _)| (y, b, x)).collect();
                    let mut out = vec![([0u8; 32], [0u8; 32], [0u8; 32]); inputs.len()];
                    assert_eq!(
                        x25519_base_and_pair_batch_with(backend, &inputs, &mut out),
                        Some(inputs.len())
                    );
                    for ((y, b, x, want), (ry, rxy, rxb)) in hs.iter().zip(&out) {
                        let w = want.unwrap();
                        let (got, filler_got, filler_k) = if pass % 2 == 0 {
                            (rxy, rxb, b)
                        } else {
                            (rxb, rxy, y)
                        };
                        assert_eq!(*got, w, "{backend:?} size {size} pass {pass}");
                        // Filler lanes and Y against x25519-dalek, on the first two passes.
                        if pass < 2 {
                            assert_eq!(*ry, x25519_dalek::x25519(*y, base), "{backend:?} Y");
                            assert_eq!(*filler_got, x25519_dalek::x25519(*filler_k, *x));
                        }
                    }
                }
            }
        }
    }
}

/// Random triples, with low-order points mixed in: for every backend and every batch size
/// up to two vector calls and one more, the batch equals one-by-one calls bit for bit, and
/// x25519-dalek.
#[test]
fn batches_equal_one_by_one_and_dalek() {
    let mut rng = ChaCha20Rng::seed_from_u64(18);
    // u = 0 and u = 1 are low-order: all-zero results, which must not disturb the others.
    let low_order = [[0u8; 32], {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    }];
    for backend in backends() {
        for n in 1..=2 * CHUNK + 1 {
            if n > CHUNK + 4
                && n != 2 * CHUNK + 1
                && matches!(backend, Backend::PortableLanes | Backend::PortableAvx2Lanes)
            {
                continue;
            }
            let triples: Vec<[[u8; 32]; 3]> = (0..n)
                .map(|i| {
                    let mut t = [[0u8; 32]; 3];
                    for v in &mut t {
                        rng.fill_bytes(v);
                    }
                    if i % 3 == 1 {
                        t[2] = low_order[i % 2];
                    }
                    t
                })
                .collect();
            let inputs: Vec<RelayTriple<'_>> = triples.iter().map(|[y, b, x]| (y, b, x)).collect();
            let mut out = vec![([0u8; 32], [0u8; 32], [0u8; 32]); n];
            assert_eq!(
                x25519_base_and_pair_batch_with(backend, &inputs, &mut out),
                Some(n)
            );
            let mut dispatched = vec![([0u8; 32], [0u8; 32], [0u8; 32]); n];
            assert_eq!(x25519_base_and_pair_batch(&inputs, &mut dispatched), n);
            assert_eq!(out, dispatched, "{backend:?} n={n}");
            for ([y, b, x], got) in triples.iter().zip(&out) {
                assert_eq!(*got, x25519_base_and_pair(y, b, x), "{backend:?} n={n}");
                assert_eq!(
                    *got,
                    (
                        x25519_dalek::x25519(*y, x25519_dalek::X25519_BASEPOINT_BYTES),
                        x25519_dalek::x25519(*y, *x),
                        x25519_dalek::x25519(*b, *x)
                    ),
                    "{backend:?} n={n} vs dalek"
                );
            }
        }
    }
}

/// The output slice bounds the work: nothing is written past it, nothing read past `inputs`.
#[test]
fn shorter_side_bounds_the_batch() {
    let (y, b, x) = ([5u8; 32], [6u8; 32], x25519::x25519_base(&[7u8; 32]));
    let inputs = [(&y, &b, &x); 3];
    let mut out = [([1u8; 32], [1u8; 32], [1u8; 32]); 2];
    assert_eq!(x25519_base_and_pair_batch(&inputs, &mut out), 2);
    assert_eq!(out[1], x25519_base_and_pair(&y, &b, &x));
    let mut long = [([1u8; 32], [1u8; 32], [1u8; 32]); 5];
    assert_eq!(x25519_base_and_pair_batch(&inputs[..1], &mut long), 1);
    assert_eq!(long[1], ([1u8; 32], [1u8; 32], [1u8; 32]));
}
