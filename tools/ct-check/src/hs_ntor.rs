//! hs-ntor (rend-spec-v3 3.3.2, 4.2): the service's INTRODUCE2 handling with `b`, `y` and
//! every subcredential marked (so that the loop over them may not reveal which one
//! matched), the client's start and finish with `x` and the plaintext marked, and the
//! rejection paths (bad MAC, altered ciphertext, no matching subcredential, low-order `X`;
//! bad AUTH, low-order `Y`).

use crate::paths::{Ctx, check_eq, expect_failed, lib, marked, why};
use crate::vg;
use onionskin::handshake::hs_ntor::hazmat::{
    client_finish_with_intermediates, client_start_with_x, service_respond_with_y,
};
use onionskin::handshake::hs_ntor::{
    ClientState, KeySeed, MAX_INTRODUCE_BODY_LEN, ServiceKeys, ServicePublicKey, ServiceSecretKey,
    Subcredential,
};

/// The INTRODUCE header: a v3 header's length with no extensions.
const HEADER_LEN: usize = 56;
/// The plaintext: about what a client sends (cookie, onion key, link specifiers).
const PLAINTEXT_LEN: usize = 120;
/// Subcredentials the service holds.
const SUBCREDENTIALS: usize = 3;
/// Key material compared: all four hs relay keys.
const KEYS_LEN: usize = 128;

struct Reference {
    b: [u8; 32],
    auth_key: [u8; 32],
    subcredentials: [[u8; 32]; SUBCREDENTIALS],
    /// Which of them the client uses (varies from run to run).
    used: usize,
    x: [u8; 32],
    y: [u8; 32],
    header: [u8; HEADER_LEN],
    plaintext: [u8; PLAINTEXT_LEN],
    encrypted: Vec<u8>,
    handshake_info: [u8; 64],
    keys: [u8; KEYS_LEN],
}

impl Reference {
    fn public(&self) -> ServicePublicKey {
        ServicePublicKey {
            enc_key: *ServiceSecretKey::from_bytes(&self.b).public_key(),
            auth_key: self.auth_key,
            subcredential: Subcredential::new(
                self.subcredentials
                    .get(self.used)
                    .copied()
                    .unwrap_or_default(),
            ),
        }
    }
}

fn expand(seed: KeySeed) -> [u8; KEYS_LEN] {
    let mut out = [0u8; KEYS_LEN];
    seed.expand_into(&mut out);
    out
}

fn reference(ctx: &mut Ctx, used: usize) -> Result<Reference, String> {
    let mut r = Reference {
        b: ctx.bytes(),
        auth_key: ctx.bytes(),
        subcredentials: [ctx.bytes(), ctx.bytes(), ctx.bytes()],
        used,
        x: ctx.bytes(),
        y: ctx.bytes(),
        header: ctx.bytes(),
        plaintext: ctx.bytes(),
        encrypted: Vec::new(),
        handshake_info: [0; 64],
        keys: [0; KEYS_LEN],
    };
    let mut out = [0u8; MAX_INTRODUCE_BODY_LEN];
    let (_, len, _) = lib(
        "hs-ntor client start (unmarked)",
        client_start_with_x(&r.x, &r.public(), &r.header, &r.plaintext, &mut out),
    )?;
    r.encrypted = out.get(..len).unwrap_or_default().to_vec();
    let keys = ServiceKeys::new(r.auth_key, ServiceSecretKey::from_bytes(&r.b));
    let subs = r.subcredentials.map(Subcredential::new);
    let mut plaintext = [0u8; MAX_INTRODUCE_BODY_LEN];
    let (accepted, _) = lib(
        "hs-ntor service (unmarked)",
        service_respond_with_y(&r.y, &keys, &subs, &r.header, &r.encrypted, &mut plaintext),
    )?;
    r.handshake_info = *accepted.handshake_info.as_bytes();
    r.keys = expand(accepted.key_seed);
    Ok(r)
}

/// The service's keys with `b` marked; its public key `B` declassified as published.
fn marked_service(r: &Reference) -> ServiceKeys {
    let key = ServiceSecretKey::from_bytes(&marked(&r.b));
    vg::public_ref(key.public_key(), why::PUBLIC_KEY);
    ServiceKeys::new(r.auth_key, key)
}

fn marked_subcredentials(r: &Reference) -> [Subcredential; SUBCREDENTIALS] {
    r.subcredentials.map(|s| Subcredential::new(marked(&s)))
}

/// Service respond with `b`, `y` and every subcredential marked; the client's subcredential
/// is the first, second or third from run to run.
pub(crate) fn service_respond(ctx: &mut Ctx) -> Result<(), String> {
    for run in 0..ctx.runs {
        let r = reference(ctx, run % SUBCREDENTIALS)?;
        let mut plaintext = [0u8; MAX_INTRODUCE_BODY_LEN];
        let (accepted, _) = lib(
            "hs-ntor service",
            service_respond_with_y(
                &marked(&r.y),
                &marked_service(&r),
                &marked_subcredentials(&r),
                &r.header,
                &r.encrypted,
                &mut plaintext,
            ),
        )?;
        let mut index = accepted.subcredential_index;
        vg::public(&mut index, why::SUBCREDENTIAL_INDEX);
        if index != r.used {
            return Err(format!("hs-ntor service: found subcredential {index}"));
        }
        let plaintext = plaintext
            .get_mut(..accepted.plaintext_len)
            .unwrap_or_default();
        vg::public(plaintext, why::INTRODUCE_PLAINTEXT);
        check_eq("hs-ntor plaintext", plaintext, &r.plaintext)?;
        let mut info = *accepted.handshake_info.as_bytes();
        vg::public(&mut info, why::WIRE);
        check_eq("hs-ntor HANDSHAKE_INFO", &mut info, &r.handshake_info)?;
        check_eq(
            "hs-ntor service keys",
            &mut expand(accepted.key_seed),
            &r.keys,
        )?;
    }
    Ok(())
}

/// Service respond rejecting: a bad MAC, an altered ciphertext, a subcredential the service
/// does not hold, and `X` = 0 (low order). None may write plaintext.
pub(crate) fn service_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx, 1)?;
        let mut bad_mac = r.encrypted.clone();
        if let Some(last) = bad_mac.last_mut() {
            *last ^= 1;
        }
        let mut bad_ct = r.encrypted.clone();
        if let Some(b) = bad_ct.get_mut(40) {
            *b ^= 0x80;
        }
        let mut low_order = r.encrypted.clone();
        low_order.get_mut(..32).unwrap_or_default().fill(0);
        let mut others = marked_subcredentials(&r);
        others[1] = Subcredential::new(marked(&[0x42; 32]));
        let all = marked_subcredentials(&r);
        for (what, encrypted, subs) in [
            ("hs-ntor service, bad MAC", &bad_mac, &all),
            ("hs-ntor service, altered ciphertext", &bad_ct, &all),
            ("hs-ntor service, X = 0", &low_order, &all),
            (
                "hs-ntor service, no matching subcredential",
                &r.encrypted,
                &others,
            ),
        ] {
            let mut plaintext = [0x5au8; MAX_INTRODUCE_BODY_LEN];
            expect_failed(
                what,
                service_respond_with_y(
                    &marked(&r.y),
                    &marked_service(&r),
                    subs,
                    &r.header,
                    encrypted,
                    &mut plaintext,
                ),
            )?;
            if plaintext.iter().any(|&b| b != 0x5a) {
                return Err(format!("{what}: plaintext written"));
            }
        }
    }
    Ok(())
}

/// Client start and finish with `x` and the plaintext marked.
pub(crate) fn client_finish(ctx: &mut Ctx) -> Result<(), String> {
    for run in 0..ctx.runs {
        let r = reference(ctx, run % SUBCREDENTIALS)?;
        let mut out = [0u8; MAX_INTRODUCE_BODY_LEN];
        let (state, len, _) = lib(
            "hs-ntor client start",
            client_start_with_x(
                &marked(&r.x),
                &r.public(),
                &r.header,
                &marked(&r.plaintext),
                &mut out,
            ),
        )?;
        let encrypted = out.get_mut(..len).unwrap_or_default();
        vg::public(encrypted, why::WIRE);
        check_eq("hs-ntor ENCRYPTED", encrypted, &r.encrypted)?;
        let (seed, _) = lib(
            "hs-ntor client finish",
            client_finish_with_intermediates(state, &r.handshake_info),
        )?;
        check_eq("hs-ntor client keys", &mut expand(seed), &r.keys)?;
    }
    Ok(())
}

/// Client finish rejecting: AUTH flipped and `Y` = 0.
pub(crate) fn client_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let r = reference(ctx, 0)?;
        let mut bad_auth = r.handshake_info;
        bad_auth[40] ^= 0x10;
        let mut low_order = r.handshake_info;
        low_order[..32].fill(0);
        for (what, info) in [
            ("hs-ntor client, bad AUTH", &bad_auth),
            ("hs-ntor client, Y = 0", &low_order),
        ] {
            let mut out = [0u8; MAX_INTRODUCE_BODY_LEN];
            let (state, _, _) = lib(
                "hs-ntor client start",
                client_start_with_x(
                    &marked(&r.x),
                    &r.public(),
                    &r.header,
                    &marked(&r.plaintext),
                    &mut out,
                ),
            )?;
            expect_failed(what, ClientState::finish(state, info))?;
        }
    }
    Ok(())
}
