//! The cases: each one drives real relays and returns a line of evidence, or an error.

use crate::channel::Channel;
use crate::circuit::{Circuit, Incoming, KeyFlip, Outcome, Target, descriptor_line};
use crate::error::{Error, Result, bail, ensure};
use crate::keyfiles::{RelayKeyFiles, hex};
use crate::relay::TorRelay;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use onionskin::codec::extension::{CongestionControlRequest, ExtensionList};
use onionskin::codec::{DestroyReason, RelayCommand};
use onionskin::handshake::fast::CreateFast;
use onionskin::handshake::ntor::Ntor;
use onionskin::handshake::ntor_v3::NtorV3;
use onionskin::handshake::tap::{self, Tap};
use onionskin::handshake::{CircuitHandshake, ntor, ntor_v3};
use onionskin::{CircuitKeys, KeyMaterial};

/// Descriptor keys are base64 without padding; accept it either way.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The relays and what is known about the tor binary.
#[derive(Debug)]
pub(crate) struct Network {
    /// Three relays; the single-hop cases use the first.
    pub(crate) relays: Vec<TorRelay>,
    /// `tor --version`.
    pub(crate) version: [u32; 4],
}

impl Network {
    fn relay(&self, i: usize) -> Result<&TorRelay> {
        self.relays
            .get(i)
            .ok_or_else(|| Error::new(format!("no relay {i}")))
    }

    /// Whether this tor still accepts TAP (C tor refuses it from 0.4.9 on).
    fn speaks_tap(&self) -> bool {
        self.version < [0, 4, 9, 0]
    }

    /// Whether this tor grants the congestion-control request without a consensus (0.4.9 does,
    /// with `sendme_inc` 31; 0.4.8 declines).
    fn grants_cc_without_consensus(&self) -> bool {
        self.version >= [0, 4, 9, 0]
    }
}

/// A case: its name and its body.
pub(crate) type Case = (&'static str, fn(&Network) -> Result<String>);

/// Every case, in the order they run.
pub(crate) const CASES: &[Case] = &[
    ("link handshake: VERSIONS, CERTS identity, NETINFO", link),
    ("ntor: CREATE2, BEGIN_DIR, descriptor fetch", ntor_case),
    ("ntor-v3, no extensions (00)", ntor_v3_empty),
    ("ntor-v3, congestion-control request", ntor_v3_cc),
    ("ntor-v3, zero-byte message refused", ntor_v3_zero_byte),
    ("CREATE_FAST", create_fast),
    ("TAP in CREATE2", tap_create2),
    ("TAP in CREATE", tap_create),
    ("negative: Df bit flipped", |n| flipped(n, KeyFlip::Df)),
    ("negative: Kf bit flipped", |n| flipped(n, KeyFlip::Kf)),
    ("negative: Db bit flipped", |n| flipped(n, KeyFlip::Db)),
    ("negative: Kb bit flipped", |n| flipped(n, KeyFlip::Kb)),
    ("negative: ntor with an unknown KEYID", unknown_keyid),
    ("negative: ntor with a wrong NODEID", wrong_node_id),
    ("3 hops: ntor, ntor-v3 (cc), ntor-v3 (00)", three_hops_a),
    ("3 hops: ntor-v3 (cc), ntor, ntor-v3 (00)", three_hops_b),
    (
        "relay side: the relay's key files answer the crate's client",
        relay_side,
    ),
];

/// A circuit's first hop on a fresh link to relay `i`.
fn first_hop<H: CircuitHandshake>(
    net: &Network,
    i: usize,
    relay_key: &H::RelayPublicKey,
    message: &[u8],
    flip: Option<KeyFlip>,
) -> Result<(Circuit, Outcome)> {
    let relay = net.relay(i)?;
    let chan = Channel::open(relay.addr(), relay.keys())?;
    let mut circ = Circuit::new(chan)?;
    let outcome = circ.add_hop::<H>(relay_key, message, None, flip)?;
    Ok((circ, outcome))
}

/// Expects the hop to have been added; returns the relay's message.
fn added(outcome: Outcome) -> Result<Vec<u8>> {
    match outcome {
        Outcome::Added { server_message } => Ok(server_message),
        Outcome::Destroyed(reason) => bail!("relay answered DESTROY ({reason:?})"),
        Outcome::FinishFailed(e) => bail!("client finish failed: {e}"),
    }
}

/// Fetches the relay's own descriptor through hop `hop` and checks it against the relay's
/// key files: `ntor-onion-key`, `fingerprint`, `master-key-ed25519`.
fn prove_hop(circ: &mut Circuit, hop: usize, relay: &TorRelay) -> Result<String> {
    let stream = u16::try_from(hop + 1).map_err(|_| Error::new("hop index"))?;
    let descriptor = circ.fetch_own_descriptor(hop, stream)?;
    check_descriptor(&descriptor, relay.keys(), relay.nickname())?;
    Ok(format!(
        "BEGIN_DIR -> CONNECTED, {} B descriptor of {}, ntor-onion-key = key file",
        descriptor.len(),
        relay.nickname()
    ))
}

fn check_descriptor(descriptor: &str, keys: &RelayKeyFiles, nickname: &str) -> Result<()> {
    let router = descriptor_line(descriptor, "router").unwrap_or_default();
    ensure!(
        router.split_whitespace().next() == Some(nickname),
        "descriptor is of router {router:?}, not {nickname}"
    );
    let ntor_key = descriptor_line(descriptor, "ntor-onion-key")
        .ok_or_else(|| Error::new("descriptor has no ntor-onion-key"))?;
    ensure!(
        BASE64.decode(ntor_key)? == keys.ntor_public,
        "descriptor ntor-onion-key {ntor_key} is not secret_onion_key_ntor's"
    );
    let fp: String = descriptor_line(descriptor, "fingerprint")
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    ensure!(
        fp == hex(&keys.node_id),
        "descriptor fingerprint {fp} is not SHA-1 of secret_id_key"
    );
    let ed = descriptor_line(descriptor, "master-key-ed25519").unwrap_or_default();
    ensure!(
        BASE64.decode(ed)? == keys.ed25519_id,
        "descriptor master-key-ed25519 is not ed25519_master_id_public_key"
    );
    Ok(())
}

fn link(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let chan = Channel::open(relay.addr(), relay.keys())?;
    let facts = chan.facts();
    Ok(format!(
        "link protocol {}, CERTS types {:?}, type-2 identity {} = fingerprint",
        facts.version,
        facts.cert_types,
        hex(&facts.fingerprint)
    ))
}

fn ntor_case(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let (mut circ, outcome) = first_hop::<Ntor>(net, 0, &relay.keys().ntor_public(), &[], None)?;
    added(outcome)?;
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!("CREATED2; {proof}; DESTROY"))
}

/// The extension list with nothing in it: the single byte `00`.
fn no_extensions() -> Result<Vec<u8>> {
    let mut out = [0u8; 8];
    let n = ExtensionList::encode(&[], &mut out)?;
    Ok(out.get(..n).unwrap_or_default().to_vec())
}

/// The extension list holding the congestion-control request (proposal 324).
fn cc_request() -> Result<Vec<u8>> {
    let mut out = [0u8; 8];
    let n = ExtensionList::encode(&[CongestionControlRequest.to_extension()], &mut out)?;
    Ok(out.get(..n).unwrap_or_default().to_vec())
}

/// The relay's `sendme_inc`, if its message grants congestion control.
fn cc_granted(server_message: &[u8]) -> Result<Option<u8>> {
    let list = ExtensionList::decode_exact(server_message)?;
    Ok(list.congestion_control_response()?.map(|r| r.sendme_inc))
}

fn ntor_v3_empty(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let key = relay.keys().ntor_v3_public();
    let (mut circ, outcome) = first_hop::<NtorV3>(net, 0, &key, &no_extensions()?, None)?;
    let sm = added(outcome)?;
    ensure!(
        ExtensionList::decode_exact(&sm)?.iter().next().is_none(),
        "relay's message {sm:02x?} is not an empty extension list"
    );
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!(
        "CREATED2, server message {sm:02x?}; {proof}; DESTROY"
    ))
}

fn ntor_v3_cc(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let key = relay.keys().ntor_v3_public();
    let (mut circ, outcome) = first_hop::<NtorV3>(net, 0, &key, &cc_request()?, None)?;
    let sm = added(outcome)?;
    let granted = cc_granted(&sm)?;
    if net.grants_cc_without_consensus() {
        ensure!(
            granted == Some(31),
            "expected congestion control with sendme_inc 31, relay said {sm:02x?}"
        );
    } else {
        ensure!(
            granted.is_none(),
            "this tor version declines without a consensus; relay said {sm:02x?}"
        );
    }
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!(
        "CREATED2, server message {sm:02x?} (sendme_inc {granted:?}); {proof}; DESTROY"
    ))
}

fn ntor_v3_zero_byte(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let key = relay.keys().ntor_v3_public();
    // C tor parses the client message as an extension list, which needs its count byte.
    let (_circ, outcome) = first_hop::<NtorV3>(net, 0, &key, &[], None)?;
    expect_destroyed(outcome, DestroyReason::PROTOCOL)
}

fn expect_destroyed(outcome: Outcome, expected: DestroyReason) -> Result<String> {
    match outcome {
        Outcome::Destroyed(reason) if reason == expected => Ok(format!("DESTROY ({reason:?})")),
        other => bail!("expected DESTROY ({expected:?}), got {other:?}"),
    }
}

fn create_fast(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let (mut circ, outcome) = first_hop::<CreateFast>(net, 0, &(), &[], None)?;
    added(outcome)?;
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!("CREATED_FAST; {proof}; DESTROY"))
}

fn tap_public(relay: &TorRelay) -> Result<tap::RelayPublicKey> {
    Ok(relay
        .keys()
        .tap_relay_keys()?
        .current()
        .public_key()
        .clone())
}

fn tap_create2(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let (mut circ, outcome) = first_hop::<Tap>(net, 0, &tap_public(relay)?, &[], None)?;
    if !net.speaks_tap() {
        return expect_destroyed(outcome, DestroyReason::PROTOCOL)
            .map(|s| format!("{s}: tor {:?} no longer accepts TAP", net.version));
    }
    added(outcome)?;
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!("CREATED2; {proof}; DESTROY"))
}

fn tap_create(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let chan = Channel::open(relay.addr(), relay.keys())?;
    let mut circ = Circuit::new(chan)?;
    let (state, skin) = tap::ClientState::start(&mut rand_core::OsRng, &tap_public(relay)?);
    let reply = circ.send_legacy_create(&skin)?;
    if !net.speaks_tap() {
        return match reply {
            Err(DestroyReason::PROTOCOL) => Ok(format!(
                "DESTROY (PROTOCOL): tor {:?} no longer accepts TAP",
                net.version
            )),
            other => bail!("expected DESTROY (PROTOCOL), got {other:?}"),
        };
    }
    let reply: [u8; tap::REPLY_LEN] = match reply {
        Ok(r) => r
            .try_into()
            .map_err(|_| Error::new("CREATED of the wrong length"))?,
        Err(reason) => bail!("relay answered DESTROY ({reason:?})"),
    };
    // The legacy cell goes through the inherent API: finish, then the crate's key split.
    circ.push_hop(&state.finish(&reply)?.circuit_keys());
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!("CREATED; {proof}; DESTROY"))
}

fn flipped(net: &Network, which: KeyFlip) -> Result<String> {
    let relay = net.relay(0)?;
    let (mut circ, outcome) =
        first_hop::<Ntor>(net, 0, &relay.keys().ntor_public(), &[], Some(which))?;
    added(outcome)?;
    circ.send_relay(0, RelayCommand::BEGIN_DIR, 1, &[])?;
    let answer = circ.recv_relay()?;
    match (which, answer) {
        // The relay cannot recognize our cell, so it tears the circuit down
        // (C tor `circuit_receive_relay_cell`: unrecognized at the last hop).
        (KeyFlip::Df | KeyFlip::Kf, Incoming::Destroyed(DestroyReason::PROTOCOL)) => Ok(format!(
            "BEGIN_DIR with a corrupted {which:?}: relay answered DESTROY (PROTOCOL)"
        )),
        // The relay answers, but its cell fails our digest check.
        (KeyFlip::Db | KeyFlip::Kb, Incoming::Unrecognized) => {
            circ.destroy()?;
            Ok(format!(
                "BEGIN_DIR answered, but with a corrupted {which:?} no hop recognizes the reply"
            ))
        }
        (_, other) => bail!("with a corrupted {which:?}, got {other:?}"),
    }
}

fn unknown_keyid(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let stranger = ntor::RelaySecretKey::generate(&mut rand_core::OsRng);
    let key = ntor::RelayPublicKey::new(relay.keys().node_id, *stranger.public_key());
    let (_circ, outcome) = first_hop::<Ntor>(net, 0, &key, &[], None)?;
    match outcome {
        Outcome::FinishFailed(e) => Ok(format!("CREATED2 answered; client finish: {e}")),
        other => bail!("expected the client's finish to fail, got {other:?}"),
    }
}

fn wrong_node_id(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let mut id = relay.keys().node_id;
    id[0] ^= 0x80;
    let key = ntor::RelayPublicKey::new(id, relay.keys().ntor_public);
    let (_circ, outcome) = first_hop::<Ntor>(net, 0, &key, &[], None)?;
    expect_destroyed(outcome, DestroyReason::PROTOCOL)
}

fn target(relay: &TorRelay) -> Target {
    Target {
        addr: relay.addr(),
        rsa_id: relay.keys().node_id,
        ed_id: relay.keys().ed25519_id,
    }
}

/// One hop of a multi-hop circuit: which relay, which handshake, which message.
#[derive(Clone, Copy, Debug)]
enum HopKind {
    Ntor,
    NtorV3Empty,
    NtorV3Cc,
}

fn add_kind(circ: &mut Circuit, relay: &TorRelay, kind: HopKind, extend: bool) -> Result<String> {
    let t = target(relay);
    let t = extend.then_some(&t);
    Ok(match kind {
        HopKind::Ntor => {
            added(circ.add_hop::<Ntor>(&relay.keys().ntor_public(), &[], t, None)?)?;
            "ntor".to_owned()
        }
        HopKind::NtorV3Empty => {
            let sm = added(circ.add_hop::<NtorV3>(
                &relay.keys().ntor_v3_public(),
                &no_extensions()?,
                t,
                None,
            )?)?;
            format!("ntor-v3 (00 -> {sm:02x?})")
        }
        HopKind::NtorV3Cc => {
            let sm = added(circ.add_hop::<NtorV3>(
                &relay.keys().ntor_v3_public(),
                &cc_request()?,
                t,
                None,
            )?)?;
            format!("ntor-v3 (cc -> sendme_inc {:?})", cc_granted(&sm)?)
        }
    })
}

fn three_hops(net: &Network, path: [(usize, HopKind); 3]) -> Result<String> {
    let (first, _) = path[0];
    let chan = Channel::open(net.relay(first)?.addr(), net.relay(first)?.keys())?;
    let mut circ = Circuit::new(chan)?;
    let mut built = Vec::new();
    for (i, kind) in path {
        let relay = net.relay(i)?;
        let extend = circ.len() > 0;
        built.push(format!(
            "{} {}",
            relay.nickname(),
            add_kind(&mut circ, relay, kind, extend)?
        ));
    }
    // Each hop's keys proven by a directory stream to that hop.
    for (hop, (i, _)) in path.iter().enumerate() {
        prove_hop(&mut circ, hop, net.relay(*i)?)?;
    }
    circ.destroy()?;
    Ok(format!(
        "{}; BEGIN_DIR + own descriptor from each hop; DESTROY",
        built.join(" -> ")
    ))
}

fn three_hops_a(net: &Network) -> Result<String> {
    three_hops(
        net,
        [
            (0, HopKind::Ntor),
            (1, HopKind::NtorV3Cc),
            (2, HopKind::NtorV3Empty),
        ],
    )
}

fn three_hops_b(net: &Network) -> Result<String> {
    three_hops(
        net,
        [
            (2, HopKind::NtorV3Cc),
            (0, HopKind::Ntor),
            (1, HopKind::NtorV3Empty),
        ],
    )
}

/// Runs `H` with the crate on both sides: the client uses `public`, the relay `keys`;
/// checks both ends derive the same circuit keys.
fn both_sides<H: CircuitHandshake>(
    public: &H::RelayPublicKey,
    keys: &H::RelayKeys,
    message: &[u8],
) -> Result<Vec<u8>> {
    let rng = &mut rand_core::OsRng;
    let (state, skin) = H::client_start(rng, public, message)?;
    let (relay_seed, reply) = H::relay_respond(rng, keys, skin.as_ref(), |cm, out| {
        // Answer an extension list with an empty one, as a relay that grants nothing.
        ExtensionList::decode_exact(cm).ok()?;
        let first = out.first_mut()?;
        *first = 0;
        Some(1)
    })?;
    let mut sm = vec![0u8; 512];
    let (client_seed, n) = H::client_finish(state, reply.as_ref(), &mut sm)?;
    sm.truncate(n);
    let (c, r): (CircuitKeys, CircuitKeys) =
        (client_seed.circuit_keys(), relay_seed.circuit_keys());
    ensure!(c == r, "client and relay derived different keys");
    Ok(sm)
}

fn relay_side(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    // The published keys, as a client learns them: from the relay's own descriptor.
    let (mut circ, outcome) = first_hop::<Ntor>(net, 0, &relay.keys().ntor_public(), &[], None)?;
    added(outcome)?;
    let descriptor = circ.fetch_own_descriptor(0, 1)?;
    circ.destroy()?;
    let b64 = |kw| -> Result<Vec<u8>> {
        let v = descriptor_line(&descriptor, kw)
            .ok_or_else(|| Error::new(format!("descriptor has no {kw}")))?;
        Ok(BASE64.decode(v)?)
    };
    let onion_key: [u8; 32] = b64("ntor-onion-key")?
        .try_into()
        .map_err(|_| Error::new("ntor-onion-key length"))?;
    let ed_id: [u8; 32] = b64("master-key-ed25519")?
        .try_into()
        .map_err(|_| Error::new("master-key-ed25519 length"))?;
    let fp_hex: String = descriptor_line(&descriptor, "fingerprint")
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    ensure!(fp_hex.len() == 40, "descriptor fingerprint {fp_hex:?}");
    let mut node_id = [0u8; 20];
    for (b, pair) in node_id.iter_mut().zip(fp_hex.as_bytes().chunks_exact(2)) {
        let s = std::str::from_utf8(pair).map_err(|_| Error::new("fingerprint"))?;
        *b = u8::from_str_radix(s, 16).map_err(|_| Error::new("fingerprint hex"))?;
    }
    let tap_pem = descriptor
        .split("onion-key\n")
        .nth(1)
        .and_then(|rest| rest.split("-----END RSA PUBLIC KEY-----").next())
        .map(|body| format!("{body}-----END RSA PUBLIC KEY-----\n"))
        .ok_or_else(|| Error::new("descriptor has no onion-key"))?;
    let tap_public = tap::RelayPublicKey::from_pkcs1_pem(&tap_pem)?;

    let files = relay.keys();
    both_sides::<Ntor>(
        &ntor::RelayPublicKey::new(node_id, onion_key),
        &files.ntor_relay_keys(),
        &[],
    )?;
    let sm = both_sides::<NtorV3>(
        &ntor_v3::RelayPublicKey::new(ed_id, onion_key),
        &files.ntor_v3_relay_keys(),
        &cc_request()?,
    )?;
    ensure!(sm == [0], "crate relay's message {sm:02x?}");
    both_sides::<Tap>(&tap_public, &files.tap_relay_keys()?, &[])?;
    both_sides::<CreateFast>(&(), &(), &[])?;
    Ok(
        "ntor, ntor-v3, TAP and CREATE_FAST answered by the crate with keys loaded from \
        secret_onion_key_ntor, ed25519_master_id_public_key, secret_id_key and \
        secret_onion_key, for the keys the relay published; both ends agree"
            .to_owned(),
    )
}
