//! `--self-test`: shows that the check can fail. Each planted leak runs a deliberately
//! variable-time operation on a marked secret and must raise memcheck's error count; a
//! control section does the same work in constant time and must not.

use crate::vg;
use core::hint::black_box;
use num_bigint::BigUint;
use std::process::ExitCode;
use subtle::ConstantTimeEq;

struct Section {
    name: &'static str,
    /// `true` if memcheck must report this section, `false` for a control that must be clean.
    leaks: bool,
    run: fn(),
}

const SECTIONS: &[Section] = &[
    Section {
        name: "control: subtle ct_eq, verdict declassified",
        leaks: false,
        run: control_ct_eq,
    },
    Section {
        name: "planted: early-exit byte compare",
        leaks: true,
        run: early_exit_compare,
    },
    Section {
        name: "planted: num-bigint modpow, secret exponent",
        leaks: true,
        run: bigint_modpow,
    },
    Section {
        name: "planted: secret-indexed table lookup",
        leaks: true,
        run: table_lookup,
    },
    Section {
        name: "planted: branch on KDF-TOR output (taint flows)",
        leaks: true,
        run: branch_after_kdf,
    },
];

pub(crate) fn run() -> ExitCode {
    let (mut passed, mut failed) = (0usize, 0usize);
    for s in SECTIONS {
        let before = vg::errors();
        (s.run)();
        let found = vg::errors() - before;
        let ok = (found > 0) == s.leaks;
        let verdict = match (s.leaks, ok) {
            (true, true) => "caught",
            (true, false) => "MISSED",
            (false, true) => "clean",
            (false, false) => "FALSE POSITIVE",
        };
        println!("{verdict:<14} {:<48} {found} findings", s.name);
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("self-test: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn secret32() -> [u8; 32] {
    let mut s = [0u8; 32];
    for (b, i) in s.iter_mut().zip(0u8..) {
        *b = i.wrapping_mul(37) ^ 0x5a;
    }
    vg::secret(&mut s);
    s
}

fn control_ct_eq() {
    let mut a = [7u8; 32];
    let b = [7u8; 32];
    vg::secret(&mut a);
    let mut verdict = a.ct_eq(&b).unwrap_u8();
    vg::public(&mut verdict, "self-test control: the compare's verdict");
    assert!(verdict == 1, "control compare gave the wrong answer");
}

/// What `==` on secrets amounts to: stops at the first difference.
#[inline(never)]
fn leaky_eq(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if black_box(*x) != *y {
            return false;
        }
    }
    true
}

fn early_exit_compare() {
    let s = secret32();
    black_box(leaky_eq(&s, &[0x5a; 32]));
}

fn bigint_modpow() {
    // The public modulus is the Oakley group 2 prime's low half would do; any odd number will.
    let modulus = BigUint::from_bytes_be(&[0xf1; 128]);
    let base = BigUint::from(2u32);
    let exponent = BigUint::from_bytes_be(&secret32());
    black_box(base.modpow(&exponent, &modulus));
}

/// Its contents do not matter: `black_box` hides them from the compiler anyway.
static TABLE: [u8; 256] = [0x63; 256];

fn table_lookup() {
    let s = secret32();
    // black_box hides the table's contents, so the compiler must emit a load at a
    // secret-dependent address (an AES S-box in software, in miniature).
    let t = black_box(&TABLE);
    black_box(t.get(usize::from(s[0])).copied());
}

fn branch_after_kdf() {
    let s = secret32();
    let mut out = [0u8; 20];
    if onionskin::kdf::kdf_tor(&[&s], &mut out).is_ok() {
        black_box(leaky_eq(&out, &[0u8; 20]));
    }
}
