//! The crate's own X25519: the relay's `(Y, EXP(X,y), EXP(X,b))` and the client's
//! `(EXP(Y,x), EXP(B,x))`, on the dispatching entry points (the AVX2 lanes when the CPU that
//! valgrind presents shows AVX2, as it does on this machine kind) and on the portable
//! radix-2^51 code, with every scalar marked. Results are compared with x25519-dalek.

use crate::paths::{Ctx, check_eq, marked};
use onionskin::x25519::{self, portable};
use x25519_dalek::{X25519_BASEPOINT_BYTES, x25519 as dalek};

type Relay = fn(&[u8; 32], &[u8; 32], &[u8; 32]) -> ([u8; 32], [u8; 32], [u8; 32]);
type Client = fn(&[u8; 32], &[u8; 32], &[u8; 32]) -> ([u8; 32], [u8; 32]);

fn relay_with(ctx: &mut Ctx, f: Relay) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let (y, b, x): ([u8; 32], [u8; 32], [u8; 32]) = (ctx.bytes(), ctx.bytes(), ctx.bytes());
        let client_pk = dalek(x, X25519_BASEPOINT_BYTES);
        let (mut ry, mut rxy, mut rxb) = f(&marked(&y), &marked(&b), &client_pk);
        check_eq("Y", &mut ry, &dalek(y, X25519_BASEPOINT_BYTES))?;
        check_eq("EXP(X,y)", &mut rxy, &dalek(y, client_pk))?;
        check_eq("EXP(X,b)", &mut rxb, &dalek(b, client_pk))?;
    }
    Ok(())
}

fn client_with(ctx: &mut Ctx, f: Client) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let (x, y, b): ([u8; 32], [u8; 32], [u8; 32]) = (ctx.bytes(), ctx.bytes(), ctx.bytes());
        let (big_y, big_b) = (
            dalek(y, X25519_BASEPOINT_BYTES),
            dalek(b, X25519_BASEPOINT_BYTES),
        );
        let (mut yx, mut bx) = f(&marked(&x), &big_y, &big_b);
        check_eq("EXP(Y,x)", &mut yx, &dalek(x, big_y))?;
        check_eq("EXP(B,x)", &mut bx, &dalek(x, big_b))?;
    }
    Ok(())
}

pub(crate) fn relay_dispatch(ctx: &mut Ctx) -> Result<(), String> {
    relay_with(ctx, x25519::x25519_base_and_pair)
}

pub(crate) fn relay_portable(ctx: &mut Ctx) -> Result<(), String> {
    relay_with(ctx, portable::x25519_base_and_pair)
}

pub(crate) fn client_dispatch(ctx: &mut Ctx) -> Result<(), String> {
    client_with(ctx, x25519::x25519_two_bases)
}

pub(crate) fn client_portable(ctx: &mut Ctx) -> Result<(), String> {
    client_with(ctx, portable::x25519_two_bases)
}

/// Batches of `sizes` relay triples on `backend`, every scalar marked, each `X` a fresh
/// public key or (every third entry) the low-order point 0; results against x25519-dalek.
fn batch_with(ctx: &mut Ctx, backend: x25519::Backend, sizes: &[usize]) -> Result<(), String> {
    for &n in sizes {
        let triples: Vec<([u8; 32], [u8; 32], [u8; 32])> = (0..n)
            .map(|i| {
                let (y, b, x): ([u8; 32], [u8; 32], [u8; 32]) =
                    (ctx.bytes(), ctx.bytes(), ctx.bytes());
                let u = if i % 3 == 2 {
                    [0; 32]
                } else {
                    dalek(x, X25519_BASEPOINT_BYTES)
                };
                (y, b, u)
            })
            .collect();
        let secret: Vec<([u8; 32], [u8; 32])> = triples
            .iter()
            .map(|(y, b, _)| (marked(y), marked(b)))
            .collect();
        let inputs: Vec<x25519::RelayTriple<'_>> = secret
            .iter()
            .zip(&triples)
            .map(|((y, b), (_, _, u))| (y, b, u))
            .collect();
        let mut out = vec![([0u8; 32], [0u8; 32], [0u8; 32]); n];
        if x25519::x25519_base_and_pair_batch_with(backend, &inputs, &mut out) != Some(n) {
            return Err(format!("{backend:?} is not available"));
        }
        for ((y, b, u), (ry, rxy, rxb)) in triples.iter().zip(&mut out) {
            check_eq("Y", ry, &dalek(*y, X25519_BASEPOINT_BYTES))?;
            check_eq("EXP(X,y)", rxy, &dalek(*y, *u))?;
            check_eq("EXP(X,b)", rxb, &dalek(*b, *u))?;
        }
    }
    Ok(())
}

/// The lane algorithm that AVX-512 IFMA runs (`x25519::lanes52`), on the portable lanes:
/// valgrind cannot execute AVX-512, so this is how the IFMA code's instruction stream (one
/// lane operation per intrinsic, the same generic code) is checked. Sizes 1, 3 and 5: three
/// ladders in one four-lane call; the fixed-base table in four lanes and the ladders in eight;
/// the table in eight lanes and the ladders in eight and then four.
pub(crate) fn batch_portable_lanes(ctx: &mut Ctx) -> Result<(), String> {
    batch_with(ctx, x25519::Backend::PortableLanes, &[1, 3, 5])
}

/// The AVX2 batch algorithm (`x25519::ladder4`, four ladders one per lane, and the paired
/// ladder for an odd handshake out) on the portable lanes, call for call what the AVX2
/// backend runs: sizes 1 (one paired call), 2 (one four-lane call) and 3 (both).
pub(crate) fn batch_portable_avx2_lanes(ctx: &mut Ctx) -> Result<(), String> {
    batch_with(ctx, x25519::Backend::PortableAvx2Lanes, &[1, 2, 3])
}

/// The AVX2 backend itself (valgrind executes AVX2): sizes 2 (one four-lane call), 3 (a
/// four-lane call and a paired one) and 5 (two four-lane calls and a paired one).
pub(crate) fn batch_avx2(ctx: &mut Ctx) -> Result<(), String> {
    batch_with(ctx, x25519::Backend::Avx2, &[2, 3, 5])
}

/// The batch entry point's dispatch as valgrind's CPU shows it (AVX2 pairs on this machine
/// kind: valgrind hides AVX-512).
pub(crate) fn batch_dispatch(ctx: &mut Ctx) -> Result<(), String> {
    batch_with(ctx, x25519::Backend::detect(), &[1, 3])
}
