//! ntor-v3 (proposal 332): relay respond and client start/finish with `b`, `y`, `x` and both
//! messages' plaintexts marked, and the rejection paths (bad MAC, low-order `X`, unknown
//! KEYID, bad AUTH).

use crate::paths::{
    Ctx, check_eq, check_keys, expect_error, expect_failed, keys_of, lib, marked, why,
};
use crate::vg;
use onionskin::HandshakeError;
use onionskin::handshake::ntor_v3::hazmat::{
    client_finish_with_intermediates, client_start_with_x, relay_respond_batch_with_ys,
    relay_respond_with_y,
};
use onionskin::handshake::ntor_v3::{MAX_ONION_SKIN_LEN, MAX_REPLY_LEN, RelayKeys, RelaySecretKey};

/// The client's message: the size of a congestion-control request and some more.
const CM_LEN: usize = 24;
/// The relay's message.
const SM_LEN: usize = 16;

struct Reference {
    b: [u8; 32],
    previous: [u8; 32],
    identity: [u8; 32],
    x: [u8; 32],
    y: [u8; 32],
    cm: [u8; CM_LEN],
    sm: [u8; SM_LEN],
    use_previous: bool,
    skin: Vec<u8>,
    reply: Vec<u8>,
    keys: [u8; crate::paths::KEYS_LEN],
}

impl Reference {
    fn public(&self) -> onionskin::handshake::ntor_v3::RelayPublicKey {
        let relay = RelayKeys::new(self.identity, RelaySecretKey::from_bytes(&self.b));
        let mut public = relay.public_key();
        if self.use_previous {
            public.onion_key = *RelaySecretKey::from_bytes(&self.previous).public_key();
        }
        public
    }
}

fn reference(ctx: &mut Ctx, use_previous: bool) -> Result<Reference, String> {
    let mut r = Reference {
        b: ctx.bytes(),
        previous: ctx.bytes(),
        identity: ctx.bytes(),
        x: ctx.bytes(),
        y: ctx.bytes(),
        cm: ctx.bytes(),
        sm: ctx.bytes(),
        use_previous,
        skin: Vec::new(),
        reply: Vec::new(),
        keys: [0; crate::paths::KEYS_LEN],
    };
    let relay = RelayKeys::new(r.identity, RelaySecretKey::from_bytes(&r.b))
        .with_previous(RelaySecretKey::from_bytes(&r.previous));
    let mut skin = [0u8; MAX_ONION_SKIN_LEN];
    let (_, len, _) = lib(
        "ntor-v3 start (unmarked)",
        client_start_with_x(&r.x, &r.public(), &r.cm, &mut skin),
    )?;
    r.skin = skin.get(..len).unwrap_or_default().to_vec();
    let mut reply = [0u8; MAX_REPLY_LEN];
    let sm = r.sm;
    let (seed, len, _) = lib(
        "ntor-v3 relay (unmarked)",
        relay_respond_with_y(&r.y, &relay, &r.skin, |_, out| answer(&sm, out), &mut reply),
    )?;
    r.reply = reply.get(..len).unwrap_or_default().to_vec();
    r.keys = keys_of(seed)?;
    Ok(r)
}

/// The relay's answer: `sm` into `out`.
fn answer(sm: &[u8; SM_LEN], out: &mut [u8]) -> Option<usize> {
    out.get_mut(..SM_LEN)?.copy_from_slice(sm);
    Some(SM_LEN)
}

fn marked_relay(r: &Reference) -> RelayKeys {
    let (current, previous) = (
        RelaySecretKey::from_bytes(&marked(&r.b)),
        RelaySecretKey::from_bytes(&marked(&r.previous)),
    );
    vg::public_ref(current.public_key(), why::PUBLIC_KEY);
    vg::public_ref(previous.public_key(), why::PUBLIC_KEY);
    RelayKeys::new(r.identity, current).with_previous(previous)
}

/// Relay respond with `b` (current and previous) and `y` marked; the relay's message is
/// marked as the callback writes it, and the client's message, once authenticated, is
/// declassified for the callback to act on.
pub(crate) fn relay_respond(ctx: &mut Ctx) -> Result<(), String> {
    for run in 0..ctx.runs {
        let r = reference(ctx, run % 2 == 1)?;
        let relay = marked_relay(&r);
        let mut seen = None;
        let mut reply = [0u8; MAX_REPLY_LEN];
        let (seed, len, _) = lib(
            "ntor-v3 relay",
            relay_respond_with_y(
                &marked(&r.y),
                &relay,
                &r.skin,
                |cm, out| {
                    vg::public_ref(cm, why::AUTHENTICATED_MESSAGE);
                    seen = Some(cm == r.cm);
                    let n = answer(&r.sm, out)?;
                    vg::secret(out.get_mut(..n)?);
                    Some(n)
                },
                &mut reply,
            ),
        )?;
        if seen != Some(true) {
            return Err(format!("ntor-v3 relay: client message seen: {seen:?}"));
        }
        let reply = reply.get_mut(..len).unwrap_or_default();
        vg::public(reply, why::WIRE);
        check_eq("ntor-v3 reply", reply, &r.reply)?;
        check_keys("ntor-v3 relay keys", seed, &r.keys)?;
    }
    Ok(())
}

/// Relay respond rejecting: a bad MAC, a low-order `X`, an unknown KEYID, and a callback
/// that refuses. The callback must not run for the first three.
pub(crate) fn relay_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx, false)?;
        let relay = marked_relay(&r);
        let mut bad_mac = r.skin.clone();
        if let Some(last) = bad_mac.last_mut() {
            *last ^= 1;
        }
        let mut low_order = r.skin.clone();
        low_order.get_mut(64..96).unwrap_or_default().fill(0);
        let mut unknown = r.skin.clone();
        if let Some(k) = unknown.get_mut(32) {
            *k ^= 1;
        }
        for (what, skin, want) in [
            ("ntor-v3 relay, bad MAC", &bad_mac, HandshakeError::Failed),
            ("ntor-v3 relay, X = 0", &low_order, HandshakeError::Failed),
            (
                "ntor-v3 relay, unknown KEYID",
                &unknown,
                HandshakeError::UnknownOnionKey,
            ),
        ] {
            let mut reply = [0u8; MAX_REPLY_LEN];
            let mut called = false;
            expect_error(
                what,
                relay_respond_with_y(
                    &marked(&r.y),
                    &relay,
                    skin,
                    |_, _| {
                        called = true;
                        None
                    },
                    &mut reply,
                ),
                want,
            )?;
            if called {
                return Err(format!("{what}: callback saw an unauthenticated message"));
            }
        }
        let mut reply = [0u8; MAX_REPLY_LEN];
        expect_failed(
            "ntor-v3 relay, refused by the callback",
            relay_respond_with_y(
                &marked(&r.y),
                &relay,
                &r.skin,
                |cm, _| {
                    vg::public_ref(cm, why::AUTHENTICATED_MESSAGE);
                    None
                },
                &mut reply,
            ),
        )?;
    }
    Ok(())
}

/// The relay's batch (`relay_respond_batch_with_ys`, the code of `relay_respond_batch`): five
/// skins (good ones with the current and the previous key, a bad MAC, a low-order `X`, an
/// unknown KEYID) answered together with `b` and every `y` marked, so that their hashes
/// share the lanes of the four-lane permutations and each skin's verdict is decided on its
/// own; each reply and key checked against the skin answered alone, unmarked. Valgrind runs
/// no AVX-512: the eight-lane step is the same generic round on other lanes.
pub(crate) fn relay_batch(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let good = reference(ctx, false)?;
        let previous = reference(ctx, true)?;
        let mut bad_mac = good.skin.clone();
        if let Some(last) = bad_mac.last_mut() {
            *last ^= 1;
        }
        let mut low_order = good.skin.clone();
        low_order.get_mut(64..96).unwrap_or_default().fill(0);
        let mut unknown = good.skin.clone();
        if let Some(k) = unknown.get_mut(32) {
            *k ^= 1;
        }
        // `previous` has keys of its own: skins for `good`'s relay made with its previous
        // key are `previous.skin` only if the keys match, so the batch runs on `good`'s relay
        // with `previous`'s skin rebuilt for it.
        let relay_plain = RelayKeys::new(good.identity, RelaySecretKey::from_bytes(&good.b))
            .with_previous(RelaySecretKey::from_bytes(&good.previous));
        let mut public_prev = relay_plain.public_key();
        public_prev.onion_key = *RelaySecretKey::from_bytes(&good.previous).public_key();
        let mut skin_prev = [0u8; MAX_ONION_SKIN_LEN];
        let (_, len, _) = lib(
            "ntor-v3 start, previous key (unmarked)",
            client_start_with_x(&previous.x, &public_prev, &previous.cm, &mut skin_prev),
        )?;
        let skin_prev = skin_prev.get(..len).unwrap_or_default().to_vec();
        let skins: [&[u8]; 5] = [&good.skin, &bad_mac, &skin_prev, &low_order, &unknown];
        let ys = [good.y, ctx.bytes(), previous.y, ctx.bytes(), ctx.bytes()];
        let sms = [good.sm, good.sm, previous.sm, good.sm, good.sm];
        // The answers alone, unmarked.
        let mut want = Vec::new();
        for ((skin, y), sm) in skins.iter().zip(&ys).zip(&sms) {
            let mut reply = [0u8; MAX_REPLY_LEN];
            let one =
                relay_respond_with_y(y, &relay_plain, skin, |_, out| answer(sm, out), &mut reply)
                    .map(|(seed, len, _)| (reply.get(..len).unwrap_or_default().to_vec(), seed));
            let one = match one {
                Ok((reply, seed)) => Ok((reply, keys_of(seed)?)),
                Err(e) => Err(e),
            };
            want.push(one);
        }
        if want.iter().filter(|w| w.is_ok()).count() != 2 {
            return Err("ntor-v3 batch: the two good skins should pass alone".into());
        }
        let relay = marked_relay(&good);
        let marked_ys = ys.map(|y| marked(&y));
        let mut got = Vec::new();
        relay_respond_batch_with_ys(
            &marked_ys,
            &relay,
            &skins,
            |i, cm, out| {
                vg::public_ref(cm, why::AUTHENTICATED_MESSAGE);
                let n = answer(sms.get(i)?, out)?;
                vg::secret(out.get_mut(..n)?);
                Some(n)
            },
            |_, r| got.push(r),
        );
        if got.len() != skins.len() {
            return Err(format!("ntor-v3 batch: {} results", got.len()));
        }
        for (i, (g, w)) in got.into_iter().zip(&want).enumerate() {
            let what = format!("ntor-v3 batch skin {i}");
            match (g, w) {
                (Ok((seed, reply)), Ok((want_reply, want_keys))) => {
                    let mut bytes = reply.as_bytes().to_vec();
                    vg::public(bytes.as_mut_slice(), why::WIRE);
                    check_eq(&what, &mut bytes, want_reply)?;
                    check_keys(&what, seed, want_keys)?;
                }
                (Err(e), Err(want_e)) if e == *want_e => {}
                (g, _) => {
                    return Err(format!("{what}: {:?}", g.map(|_| ())));
                }
            }
        }
    }
    Ok(())
}

/// Client start and finish with `x` and the client's message marked.
pub(crate) fn client_finish(ctx: &mut Ctx) -> Result<(), String> {
    for run in 0..ctx.runs {
        let r = reference(ctx, run % 2 == 1)?;
        let mut skin = [0u8; MAX_ONION_SKIN_LEN];
        let (state, len, _) = lib(
            "ntor-v3 client start",
            client_start_with_x(&marked(&r.x), &r.public(), &marked(&r.cm), &mut skin),
        )?;
        let skin = skin.get_mut(..len).unwrap_or_default();
        vg::public(skin, why::WIRE);
        check_eq("ntor-v3 onion skin", skin, &r.skin)?;
        let mut sm = [0u8; MAX_REPLY_LEN];
        let (seed, n, _) = lib(
            "ntor-v3 client finish",
            client_finish_with_intermediates(state, &r.reply, &mut sm),
        )?;
        check_eq(
            "ntor-v3 server message",
            sm.get_mut(..n).unwrap_or_default(),
            &r.sm,
        )?;
        check_keys("ntor-v3 client keys", seed, &r.keys)?;
    }
    Ok(())
}

/// Client finish rejecting: AUTH flipped, a flipped bit in the encrypted server message
/// (covered by AUTH), and a low-order `Y`.
pub(crate) fn client_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx, false)?;
        let mut bad_auth = r.reply.clone();
        if let Some(a) = bad_auth.get_mut(40) {
            *a ^= 0x10;
        }
        let mut bad_sm = r.reply.clone();
        if let Some(last) = bad_sm.last_mut() {
            *last ^= 1;
        }
        let mut low_order = r.reply.clone();
        low_order.get_mut(..32).unwrap_or_default().fill(0);
        for (what, reply) in [
            ("ntor-v3 client, bad AUTH", &bad_auth),
            ("ntor-v3 client, bad SM", &bad_sm),
            ("ntor-v3 client, Y = 0", &low_order),
        ] {
            let mut skin = [0u8; MAX_ONION_SKIN_LEN];
            let (state, _, _) = lib(
                "ntor-v3 client start",
                client_start_with_x(&marked(&r.x), &r.public(), &marked(&r.cm), &mut skin),
            )?;
            expect_failed(what, state.finish(reply))?;
        }
    }
    Ok(())
}
