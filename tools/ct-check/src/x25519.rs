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
