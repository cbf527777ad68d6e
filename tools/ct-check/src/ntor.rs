//! ntor (tor-spec 5.1.4): relay respond and client start/finish with `b`, `y`, `x` marked,
//! and the rejection paths (low-order `X`/`Y`, unknown KEYID, bad AUTH).

use crate::paths::{
    Ctx, check_eq, check_keys, expect_error, expect_failed, keys_of, lib, marked, why,
};
use crate::vg;
use onionskin::HandshakeError;
use onionskin::handshake::UnknownKeyPolicy;
use onionskin::handshake::ntor::hazmat::{
    client_finish_with_intermediates, client_start_with_x, relay_respond_with_y,
};
use onionskin::handshake::ntor::{
    ClientState, KEY_LEN, ONION_SKIN_LEN, REPLY_LEN, RelayKeys, RelaySecretKey,
};

/// One handshake's public values and results on unmarked inputs.
struct Reference {
    b: [u8; KEY_LEN],
    previous: [u8; KEY_LEN],
    identity: [u8; 20],
    x: [u8; KEY_LEN],
    y: [u8; KEY_LEN],
    skin: [u8; ONION_SKIN_LEN],
    reply: [u8; REPLY_LEN],
    keys: [u8; crate::paths::KEYS_LEN],
}

/// A fresh handshake with the current key (`use_previous` false) or the previous one.
fn reference(ctx: &mut Ctx, use_previous: bool) -> Result<Reference, String> {
    let (b, previous, identity, x, y) = (
        ctx.bytes(),
        ctx.bytes(),
        ctx.bytes(),
        ctx.bytes(),
        ctx.bytes(),
    );
    let relay = RelayKeys::new(identity, RelaySecretKey::from_bytes(&b))
        .with_previous(RelaySecretKey::from_bytes(&previous));
    let mut public = relay.public_key();
    if use_previous {
        public.onion_key = *RelaySecretKey::from_bytes(&previous).public_key();
    }
    let (_state, skin) = client_start_with_x(&x, &public);
    let (seed, reply, _) = lib(
        "ntor relay (unmarked)",
        relay_respond_with_y(&y, &relay, &skin),
    )?;
    Ok(Reference {
        b,
        previous,
        identity,
        x,
        y,
        skin,
        reply,
        keys: keys_of(seed)?,
    })
}

/// The relay's keys with both secret keys marked; the public keys computed from them are
/// declassified (they are published).
fn marked_relay(r: &Reference) -> RelayKeys {
    let (mut b, mut previous) = (r.b, r.previous);
    vg::secret(&mut b);
    vg::secret(&mut previous);
    let (current, previous) = (
        RelaySecretKey::from_bytes(&b),
        RelaySecretKey::from_bytes(&previous),
    );
    vg::public_ref(current.public_key(), why::PUBLIC_KEY);
    vg::public_ref(previous.public_key(), why::PUBLIC_KEY);
    RelayKeys::new(r.identity, current).with_previous(previous)
}

/// Relay respond with `b` (current and previous) and `y` marked; alternates the key used.
pub(crate) fn relay_respond(ctx: &mut Ctx) -> Result<(), String> {
    for run in 0..ctx.runs {
        let r = reference(ctx, run % 2 == 1)?;
        let relay = marked_relay(&r);
        let y = marked(&r.y);
        let (seed, mut reply, _) = lib("ntor relay", relay_respond_with_y(&y, &relay, &r.skin))?;
        vg::public(&mut reply, why::WIRE);
        check_eq("ntor reply", &mut reply, &r.reply)?;
        check_keys("ntor relay keys", seed, &r.keys)?;
    }
    Ok(())
}

/// Relay respond rejecting: a low-order `X` (all-zero EXP results), and an unknown KEYID
/// (the junk key runs the same computation).
pub(crate) fn relay_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx, false)?;
        let relay = marked_relay(&r);
        let y = marked(&r.y);
        let mut low_order = r.skin;
        low_order[52..].fill(0);
        expect_failed(
            "ntor relay, X = 0",
            relay_respond_with_y(&y, &relay, &low_order),
        )?;
        let mut unknown = r.skin;
        unknown[20] ^= 1;
        expect_error(
            "ntor relay, unknown KEYID",
            relay_respond_with_y(&y, &relay, &unknown),
            HandshakeError::UnknownOnionKey,
        )?;
        // C tor's policy: answer an unknown KEYID with a junk reply, indistinguishably.
        let (_, mut junk_reply, _) = lib(
            "ntor relay, unknown KEYID, junk policy",
            relay_respond_with_y(
                &y,
                &relay.with_unknown_key_policy(UnknownKeyPolicy::ReplyWithJunk),
                &unknown,
            ),
        )?;
        vg::public(&mut junk_reply, why::WIRE);
    }
    Ok(())
}

/// Client start (fixed-base `X = x·G`) and finish with `x` marked.
pub(crate) fn client_finish(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx, false)?;
        let public = RelayKeys::new(r.identity, RelaySecretKey::from_bytes(&r.b)).public_key();
        let (state, mut skin) = client_start_with_x(&marked(&r.x), &public);
        vg::public(&mut skin, why::WIRE);
        check_eq("ntor onion skin", &mut skin, &r.skin)?;
        let (seed, _) = lib(
            "ntor client finish",
            client_finish_with_intermediates(state, &r.reply),
        )?;
        check_keys("ntor client keys", seed, &r.keys)?;
    }
    Ok(())
}

/// Client finish rejecting: a tampered AUTH, and a low-order `Y`.
pub(crate) fn client_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx, false)?;
        let public = RelayKeys::new(r.identity, RelaySecretKey::from_bytes(&r.b)).public_key();
        let mut bad_auth = r.reply;
        bad_auth[63] ^= 0x80;
        let (state, _) = client_start_with_x(&marked(&r.x), &public);
        expect_failed(
            "ntor client, bad AUTH",
            ClientState::finish(state, &bad_auth),
        )?;
        let mut low_order = r.reply;
        low_order[..32].fill(0);
        let (state, _) = client_start_with_x(&marked(&r.x), &public);
        expect_failed("ntor client, Y = 0", ClientState::finish(state, &low_order))?;
    }
    Ok(())
}
