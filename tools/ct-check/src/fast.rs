//! CREATE_FAST (tor-spec 5.1.5): relay respond with `Y` marked, client finish with `X`
//! marked, and a client rejecting a bad `KH`.
//!
//! `X` and `Y` go on the wire in the clear (CREATE_FAST is only safe inside an authenticated
//! TLS link), so they are secret only until sent; the key material derived from them stays
//! secret, and `KH` is checked against it.

use crate::paths::{Ctx, check_eq, check_keys, expect_failed, keys_of, lib, marked, why};
use crate::vg;
use onionskin::handshake::fast::hazmat::{client_start_with_x, relay_respond_with_y};
use onionskin::handshake::fast::{HASH_LEN, REPLY_LEN};

struct Reference {
    x: [u8; HASH_LEN],
    y: [u8; HASH_LEN],
    reply: [u8; REPLY_LEN],
    keys: [u8; crate::paths::KEYS_LEN],
}

fn reference(ctx: &mut Ctx) -> Result<Reference, String> {
    let (x, y) = (ctx.bytes(), ctx.bytes());
    let (seed, reply) = lib("CREATE_FAST relay (unmarked)", relay_respond_with_y(&y, &x))?;
    Ok(Reference {
        x,
        y,
        reply,
        keys: keys_of(seed)?,
    })
}

/// Relay respond: `Y` marked (the onion skin `X` is as received, public).
pub(crate) fn relay_respond(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx)?;
        let (seed, mut reply) = lib(
            "CREATE_FAST relay",
            relay_respond_with_y(&marked(&r.y), &r.x),
        )?;
        vg::public(&mut reply, why::WIRE);
        check_eq("CREATED_FAST body", &mut reply, &r.reply)?;
        check_keys("CREATE_FAST relay keys", seed, &r.keys)?;
    }
    Ok(())
}

/// Client start and finish: `X` marked (the reply `Y | KH` is as received, public).
pub(crate) fn client_finish(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx)?;
        let (state, mut skin) = client_start_with_x(&marked(&r.x));
        vg::public(&mut skin, why::WIRE);
        check_eq("CREATE_FAST body", &mut skin, &r.x)?;
        let seed = state
            .finish(&r.reply)
            .map_err(|e| format!("CREATE_FAST finish: {e:?}"))?;
        check_keys("CREATE_FAST client keys", seed, &r.keys)?;
    }
    Ok(())
}

/// Client finish rejecting a reply whose `KH` is off by one bit.
pub(crate) fn client_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx)?;
        let mut bad = r.reply;
        bad[REPLY_LEN - 1] ^= 1;
        let (state, _) = client_start_with_x(&marked(&r.x));
        expect_failed("CREATE_FAST client, bad KH", state.finish(&bad))?;
    }
    Ok(())
}
