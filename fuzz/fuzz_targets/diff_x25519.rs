//! Differential: every X25519 entry point of `onionskin::x25519` (the AVX2 lanes where the CPU
//! has them, and the portable code) against `x25519_dalek::x25519`, on arbitrary scalars and
//! u-coordinates (bit 255 set, non-canonical and low-order points included).
//!
//! Input: scalar `a` (32 bytes), scalar `b` (32), u-coordinate `u` (32), u-coordinate `v`
//! (32); shorter inputs are padded with zeros. Each two-lane function is run with its
//! operands in both orders, so every operand takes every lane position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onionskin::x25519::{self as ours, portable};
use x25519_dalek::{X25519_BASEPOINT_BYTES, x25519 as dalek};

fn take(data: &[u8], i: usize) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, d) in out.iter_mut().zip(data.iter().skip(32 * i)) {
        *o = *d;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (a, b, u, v) = (take(data, 0), take(data, 1), take(data, 2), take(data, 3));
    let (au, bu, av) = (dalek(a, u), dalek(b, u), dalek(a, v));
    let (ag, bg) = (
        dalek(a, X25519_BASEPOINT_BYTES),
        dalek(b, X25519_BASEPOINT_BYTES),
    );

    assert_eq!(ours::x25519(&a, &u), au, "x25519");
    assert_eq!(portable::x25519(&a, &u), au, "portable x25519");
    assert_eq!(ours::x25519_base(&a), ag, "x25519_base");

    // Two ladders side by side: lanes 0 and 1, then swapped.
    assert_eq!(ours::x25519_pair(&a, &b, &u), (au, bu), "x25519_pair");
    assert_eq!(ours::x25519_pair(&b, &a, &u), (bu, au), "x25519_pair swapped");
    assert_eq!(portable::x25519_pair(&a, &b, &u), (au, bu), "portable pair");
    assert_eq!(ours::x25519_two_bases(&a, &u, &v), (au, av), "x25519_two_bases");
    assert_eq!(ours::x25519_two_bases(&a, &v, &u), (av, au), "two_bases swapped");
    assert_eq!(portable::x25519_two_bases(&a, &u, &v), (au, av), "portable two_bases");

    // The relay's (Y, EXP(X, y), EXP(X, b)).
    assert_eq!(ours::x25519_base_and_pair(&a, &b, &u), (ag, au, bu), "base_and_pair");
    assert_eq!(ours::x25519_base_and_pair(&b, &a, &u), (bg, bu, au), "base_and_pair swapped");
    assert_eq!(portable::x25519_base_and_pair(&a, &b, &u), (ag, au, bu), "portable base_and_pair");
});
