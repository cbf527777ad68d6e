//! Relay cells: what one hop's share of relay-cell crypto costs a relay, timed in the same run
//! as the handshakes, so that a handshake can be read in units of relay cells.
//!
//! | id | what a relay does per cell |
//! |---|---|
//! | `cell/relay_pass` | a forward cell that is not for this hop: AES-128-CTR over the 509-byte payload and the `Recognized` check (a middle relay's work for almost every cell) |
//! | `cell/relay_originate` | a cell the hop originates (or, the same work, recognises): the running SHA-1 digest over the payload, then AES-128-CTR |
//!
//! Both continue one circuit's AES stream and digest from cell to cell, as a relay does.

use crate::Error;
use crate::sampler::{Measurement, Routine, Stopwatch};
use core::hint::black_box;
use onionskin::CircuitKeys;
use onionskin::codec::PAYLOAD_LEN;
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

/// A forward cell passed on by a hop it is not for.
pub(crate) const RELAY_PASS: &str = "cell/relay_pass";
/// A cell a hop originates (digest and encryption).
pub(crate) const RELAY_ORIGINATE: &str = "cell/relay_originate";

/// One timed relay-cell operation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellOp {
    pub(crate) id: &'static str,
    pub(crate) label: &'static str,
}

/// The relay-cell operations the report times, in table order.
pub(crate) const OPS: [CellOp; 2] = [
    CellOp {
        id: RELAY_PASS,
        label: "relay a cell on (AES-128-CTR, Recognized check)",
    },
    CellOp {
        id: RELAY_ORIGINATE,
        label: "originate or recognise a cell (SHA-1 digest + AES-128-CTR)",
    },
];

fn keys(rng: &mut ChaCha20Rng) -> CircuitKeys {
    let mut material = [0u8; 92];
    rng.fill_bytes(&mut material);
    CircuitKeys::split_kh_last(&material)
}

/// Checks that the relay layer works with these keys (a client cell is recognised, a relay
/// cell reaches the client) before anything is timed.
fn check(keys: &CircuitKeys) -> Result<(), Error> {
    let mut client: ClientCircuit<1> = ClientCircuit::new();
    client
        .push(ClientHop::tor1(keys))
        .map_err(|e| e.to_string())?;
    let mut relay = RelayHop::tor1(keys);
    let mut p = [0u8; PAYLOAD_LEN];
    client
        .encrypt_forward(0, &mut p)
        .map_err(|e| e.to_string())?;
    if relay.decrypt_forward(&mut p).is_none() {
        return Err(Error::from(
            "relay crypto: a client cell was not recognised",
        ));
    }
    relay.originate_backward(&mut p);
    if client.decrypt_backward(&mut p).is_none() {
        return Err(Error::from("relay crypto: a relay cell was not recognised"));
    }
    Ok(())
}

fn relay_pass(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let k = keys(rng);
    check(&k)?;
    let mut relay = RelayHop::tor1(&k);
    // Ciphertext as it arrives for a later hop: random bytes, so `Recognized` decrypts to
    // non-zero (but for one cell in 65 536, which then also pays for the digest).
    let mut cell = [0u8; PAYLOAD_LEN];
    rng.fill_bytes(&mut cell);
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for _ in 0..iters {
            black_box(relay.decrypt_forward(black_box(&mut cell)));
        }
        Ok(sw.stop())
    }))
}

fn relay_originate(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let k = keys(rng);
    check(&k)?;
    let mut relay = RelayHop::tor1(&k);
    let mut cell = [0u8; PAYLOAD_LEN];
    rng.fill_bytes(&mut cell);
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for _ in 0..iters {
            black_box(relay.originate_backward(black_box(&mut cell)));
        }
        Ok(sw.stop())
    }))
}

/// The relay-cell measurements, ready for the sampler.
pub(crate) fn measurements(rng: &mut ChaCha20Rng) -> Result<Vec<Measurement>, Error> {
    Ok(vec![
        Measurement::new(RELAY_PASS, relay_pass(rng)?),
        Measurement::new(RELAY_ORIGINATE, relay_originate(rng)?),
    ])
}
