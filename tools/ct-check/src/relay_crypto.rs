//! Relay-cell crypto (tor-spec 6.1; rend-spec-v3 5.2): a 3-hop tor1 circuit and the
//! onion-service layer, with every hop's keys (and so every AES stream and running digest)
//! and the cells' plaintext marked secret.
//!
//! Public by design: the bytes between hops (ciphertext on a link, [`why::WIRE`]), and
//! whether a cell is for a hop, decided through `onionskin::ct::declassify` (a hop acts on its
//! cells and passes the others on, which anyone watching the hop sees).

// `target` runs below `HOPS`, the length of `relays`.
#![allow(clippy::indexing_slicing)]

use crate::paths::{Ctx, check_eq, why};
use crate::vg;
use onionskin::CircuitKeys;
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};

const HOPS: usize = 3;

/// Fresh keys for `HOPS` hops, as key material (so a copy can be marked).
fn materials(ctx: &mut Ctx) -> [[u8; 92]; HOPS] {
    core::array::from_fn(|_| ctx.bytes())
}

/// One run: a cell to each hop and one back from each, with the given marking. Returns the
/// bytes each side ended with (decrypted plaintexts and recognising hops) for comparison.
fn exchange(
    materials: &[[u8; 92]; HOPS],
    plain: &[u8; 509],
    mark: bool,
) -> Result<Vec<u8>, String> {
    let keys: Vec<CircuitKeys> = materials
        .iter()
        .map(|m| {
            let mut m = *m;
            if mark {
                vg::secret(&mut m);
            }
            CircuitKeys::split_kh_last(&m)
        })
        .collect();
    let mut client: ClientCircuit = ClientCircuit::new();
    for k in &keys {
        client.push(ClientHop::tor1(k)).map_err(|e| e.to_string())?;
    }
    let mut relays: Vec<RelayHop> = keys.iter().map(RelayHop::tor1).collect();
    let mut out = Vec::new();
    for target in 0..HOPS {
        let mut p = *plain;
        if mark {
            vg::secret(&mut p);
        }
        client
            .encrypt_forward(target, &mut p)
            .map_err(|e| e.to_string())?;
        for (i, r) in relays.iter_mut().enumerate().take(target + 1) {
            // What leaves one hop for the next travels on a link.
            vg::public(&mut p, why::WIRE);
            let recognised = r.decrypt_forward(&mut p).is_some();
            if recognised != (i == target) {
                return Err(format!(
                    "cell to hop {target} recognised: {recognised} at {i}"
                ));
            }
        }
        out.extend_from_slice(&p);

        relays[target].originate_backward(&mut p);
        for r in relays[..target].iter_mut().rev() {
            vg::public(&mut p, why::WIRE);
            r.relay_backward(&mut p);
        }
        vg::public(&mut p, why::WIRE);
        let (hop, mut tag) = client
            .decrypt_backward(&mut p)
            .ok_or("backward cell not recognised")?;
        if hop != target {
            return Err(format!("backward cell from {target} recognised at {hop}"));
        }
        vg::public(&mut tag, why::RESULT_CHECK);
        out.extend_from_slice(&p);
        out.extend_from_slice(&tag);
    }
    Ok(out)
}

/// tor1: a 3-hop client and its relays, keys and plaintext secret.
pub(crate) fn tor1_circuit(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let m = materials(ctx);
        let mut plain: [u8; 509] = ctx.bytes();
        plain[1..3].fill(0);
        let want = exchange(&m, &plain, false)?;
        let mut got = exchange(&m, &plain, true)?;
        check_eq("tor1 relay crypto", &mut got, &want)?;
    }
    Ok(())
}

/// tor1 rejecting: a cell whose `Recognized` is 0 but whose digest is off by one bit, at
/// the hop it was meant for (the running digest is hashed and compared, then left alone).
pub(crate) fn tor1_reject(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let mut m: [u8; 92] = ctx.bytes();
        vg::secret(&mut m);
        let keys = CircuitKeys::split_kh_last(&m);
        let mut client: ClientCircuit<1> = ClientCircuit::new();
        client
            .push(ClientHop::tor1(&keys))
            .map_err(|e| e.to_string())?;
        let mut relay = RelayHop::tor1(&keys);
        let mut p: [u8; 509] = ctx.bytes();
        p[1..3].fill(0);
        vg::secret(&mut p);
        client
            .encrypt_forward(0, &mut p)
            .map_err(|e| e.to_string())?;
        vg::public(&mut p, why::WIRE);
        p[5] ^= 1; // in the digest field: CTR carries the flip into the plaintext
        if relay.decrypt_forward(&mut p).is_some() {
            return Err("a cell with a wrong digest was recognised".into());
        }
    }
    Ok(())
}

/// The onion-service layer: client and service ends with the four 32-byte keys secret.
pub(crate) fn hs_layer(ctx: &mut Ctx) -> Result<(), String> {
    for _ in 0..ctx.runs {
        let keys: [[u8; 32]; 4] = core::array::from_fn(|_| ctx.bytes());
        let plain: [u8; 509] = {
            let mut p: [u8; 509] = ctx.bytes();
            p[1..3].fill(0);
            p
        };
        let run = |mark: bool| -> Result<Vec<u8>, String> {
            let mut k = keys;
            if mark {
                vg::secret(&mut k);
            }
            let [df, db, kf, kb] = &k;
            let mut client: ClientCircuit<1> = ClientCircuit::new();
            client
                .push(ClientHop::hs_client(df, db, kf, kb))
                .map_err(|e| e.to_string())?;
            let mut service: ClientCircuit<1> = ClientCircuit::new();
            service
                .push(ClientHop::hs_service(df, db, kf, kb))
                .map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            let mut one_way = |from: &mut ClientCircuit<1>, to: &mut ClientCircuit<1>| {
                let mut p = plain;
                if mark {
                    vg::secret(&mut p);
                }
                from.encrypt_forward(0, &mut p).map_err(|e| e.to_string())?;
                vg::public(&mut p, why::WIRE);
                let (_, mut tag) = to.decrypt_backward(&mut p).ok_or("not recognised")?;
                vg::public(&mut tag, why::RESULT_CHECK);
                out.extend_from_slice(&p);
                out.extend_from_slice(&tag);
                Ok::<(), String>(())
            };
            one_way(&mut client, &mut service)?;
            one_way(&mut service, &mut client)?;
            Ok(out)
        };
        let want = run(false)?;
        let mut got = run(true)?;
        check_eq("onion-service layer", &mut got, &want)?;
    }
    Ok(())
}
