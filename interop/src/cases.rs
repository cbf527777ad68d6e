//! The cases: each one drives real relays and returns a line of evidence, or an error.

use crate::channel::Channel;
use crate::circuit::{Circuit, Incoming, KeyFlip, Outcome, Target, descriptor_line};
use crate::crate_relay::{CrateRelay, CrateRelayPublic, grant_cc};
use crate::error::{Error, Result, bail, ensure};
use crate::keyfiles::{RelayKeyFiles, hex};
use crate::relay::TorRelay;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use onionskin::codec::extension::{CircuitExtension, ExtensionList};
use onionskin::codec::{Command, DestroyReason, PAYLOAD_LEN, RelayCommand};
use onionskin::handshake::dispatch::{self, ClientHandshake, RelayOnionKeys, RelayTarget};
use onionskin::handshake::ntor::Ntor;
use onionskin::handshake::ntor_v3::NtorV3;
use onionskin::handshake::tap::{self, Tap};
use onionskin::handshake::{HandshakeType, NtorOnionKey, ntor, ntor_v3};
use onionskin::key_formats::{self, RsaIdentity};
use onionskin::{HandshakeError, KeyMaterial};
use rand_core::{OsRng, RngCore};

/// Descriptor keys are base64 without padding; accept it either way.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The congestion-control request (proposal 324), as a typed extension list.
const CC_REQUEST: &[CircuitExtension<'static>] = &[CircuitExtension::CongestionControlRequest];

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
    (
        "ntor, one-call API: CREATE2, BEGIN_DIR, descriptor fetch",
        ntor_dispatch,
    ),
    (
        "ntor, generic API: CREATE2, BEGIN_DIR, descriptor fetch",
        ntor_generic,
    ),
    ("ntor-v3, no extensions (00)", ntor_v3_empty),
    ("ntor-v3, congestion-control request", ntor_v3_cc),
    ("ntor-v3, zero-byte message refused", ntor_v3_zero_byte),
    ("CREATE_FAST", create_fast),
    ("TAP in CREATE", tap_create),
    ("TAP in CREATE2", tap_create2),
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
    (
        "relay side: C tor extends to a relay built on the crate",
        crate_relay,
    ),
];

/// A fresh link to relay `i` and an empty circuit on it.
fn fresh_circuit(net: &Network, i: usize) -> Result<Circuit> {
    let relay = net.relay(i)?;
    Circuit::new(Channel::open(relay.addr(), relay.keys())?)
}

/// A circuit's first hop to relay `i` through the one-call API.
fn first_hop(
    net: &Network,
    i: usize,
    target: &RelayTarget<'_>,
    extensions: &[CircuitExtension<'_>],
    flip: Option<KeyFlip>,
) -> Result<(Circuit, Outcome)> {
    let mut circ = fresh_circuit(net, i)?;
    let outcome = circ.create(target, extensions, flip)?;
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

/// The PEM block that follows the line `keyword` in a descriptor.
fn descriptor_pem(descriptor: &str, keyword: &str) -> Option<String> {
    let mut lines = descriptor.lines().skip_while(|l| *l != keyword).skip(1);
    let mut block = String::new();
    for line in lines.by_ref() {
        block.push_str(line);
        block.push('\n');
        if line.starts_with("-----END ") {
            return Some(block);
        }
    }
    None
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
        key_formats::parse_ntor_onion_key(ntor_key)? == keys.ntor_public_key(),
        "descriptor ntor-onion-key {ntor_key} is not secret_onion_key_ntor's"
    );
    let signing_key = descriptor_pem(descriptor, "signing-key")
        .ok_or_else(|| Error::new("descriptor has no signing-key"))?;
    let identity = RsaIdentity::from_pkcs1_pem(&signing_key)?;
    ensure!(
        identity.as_bytes() == &keys.node_id,
        "descriptor signing-key is {identity}, not secret_id_key's"
    );
    let fp: String = descriptor_line(descriptor, "fingerprint")
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    ensure!(
        fp == identity.to_string(),
        "descriptor fingerprint {fp} is not SHA-1 of its signing-key"
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
        "link protocol {}, CERTS types {:?}, type-2 identity {} = fingerprint, \
         type-4/5 Ed25519 signatures good, type-5 covers the TLS certificate",
        facts.version,
        facts.cert_types,
        hex(&facts.fingerprint)
    ))
}

fn ntor_dispatch(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let key = relay.keys().ntor_public();
    let (mut circ, outcome) = first_hop(net, 0, &RelayTarget::Ntor(&key), &[], None)?;
    added(outcome)?;
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!("CREATED2; {proof}; DESTROY"))
}

fn ntor_generic(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let mut circ = fresh_circuit(net, 0)?;
    added(circ.add_hop::<Ntor>(&relay.keys().ntor_public(), &[], None)?)?;
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!("CREATED2; {proof}; DESTROY"))
}

/// The relay's `sendme_inc`, if its message grants congestion control.
fn cc_granted(server_message: &[u8]) -> Result<Option<u8>> {
    let list = ExtensionList::decode_exact(server_message)?;
    Ok(list.congestion_control_response()?.map(|r| r.sendme_inc))
}

fn ntor_v3_empty(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let key = relay.keys().ntor_v3_public();
    let (mut circ, outcome) = first_hop(net, 0, &RelayTarget::NtorV3(&key), &[], None)?;
    let sm = added(outcome)?;
    ensure!(
        sm == [0],
        "relay's message {sm:02x?} is not the empty extension list"
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
    let (mut circ, outcome) = first_hop(net, 0, &RelayTarget::NtorV3(&key), CC_REQUEST, None)?;
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
    // The typed API cannot send a zero-byte message (no extensions is `00`); the hazmat
    // entry point takes raw bytes. C tor parses the message as an extension list, which
    // needs its count byte, and refuses the handshake.
    let mut x = [0u8; 32];
    OsRng.fill_bytes(&mut x);
    let mut skin = [0u8; ntor_v3::MAX_ONION_SKIN_LEN];
    let (_state, len, _) =
        ntor_v3::hazmat::client_start_with_x(&x, &relay.keys().ntor_v3_public(), &[], &mut skin)?;
    let mut circ = fresh_circuit(net, 0)?;
    let skin = skin.get(..len).unwrap_or_default();
    match circ.create2_raw(HandshakeType::NTOR_V3, skin)? {
        Err(DestroyReason::PROTOCOL) => Ok("DESTROY (PROTOCOL)".to_owned()),
        other => bail!("expected DESTROY (PROTOCOL), got {other:?}"),
    }
}

fn expect_destroyed(outcome: Outcome, expected: DestroyReason) -> Result<String> {
    match outcome {
        Outcome::Destroyed(reason) if reason == expected => Ok(format!("DESTROY ({reason:?})")),
        other => bail!("expected DESTROY ({expected:?}), got {other:?}"),
    }
}

fn create_fast(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let (mut circ, outcome) = first_hop(net, 0, &RelayTarget::Fast, &[], None)?;
    added(outcome)?;
    let proof = prove_hop(&mut circ, 0, relay)?;
    circ.destroy()?;
    Ok(format!("CREATED_FAST; {proof}; DESTROY"))
}

fn tap_public(relay: &TorRelay) -> Result<tap::RelayPublicKey> {
    Ok(relay.keys().tap_relay_keys()?.public_key())
}

/// TAP's verdict: refused with DESTROY (PROTOCOL) by tor 0.4.9 and later; keys proven by a
/// descriptor fetch on a tor that still speaks it.
fn tap_verdict(net: &Network, mut circ: Circuit, outcome: Outcome) -> Result<String> {
    if !net.speaks_tap() {
        let version = net.version.map(|v| v.to_string()).join(".");
        return expect_destroyed(outcome, DestroyReason::PROTOCOL)
            .map(|s| format!("{s}: tor {version} no longer accepts TAP"));
    }
    added(outcome)?;
    let proof = prove_hop(&mut circ, 0, net.relay(0)?)?;
    circ.destroy()?;
    Ok(format!("answered; {proof}; DESTROY"))
}

fn tap_create(net: &Network) -> Result<String> {
    let key = tap_public(net.relay(0)?)?;
    let (circ, outcome) = first_hop(net, 0, &RelayTarget::Tap(&key), &[], None)?;
    tap_verdict(net, circ, outcome)
}

fn tap_create2(net: &Network) -> Result<String> {
    let key = tap_public(net.relay(0)?)?;
    let mut circ = fresh_circuit(net, 0)?;
    let outcome = circ.add_hop::<Tap>(&key, &[], None)?;
    tap_verdict(net, circ, outcome)
}

fn flipped(net: &Network, which: KeyFlip) -> Result<String> {
    let relay = net.relay(0)?;
    let key = relay.keys().ntor_public();
    let (mut circ, outcome) = first_hop(net, 0, &RelayTarget::Ntor(&key), &[], Some(which))?;
    added(outcome)?;
    circ.send_relay(0, RelayCommand::BEGIN_DIR, 1, &[])?;
    match (which, circ.recv_relay()?) {
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
    let stranger = NtorOnionKey::generate(&mut OsRng);
    let key = ntor::RelayPublicKey::new(relay.keys().node_id, *stranger.public_key());
    let (_circ, outcome) = first_hop(net, 0, &RelayTarget::Ntor(&key), &[], None)?;
    match outcome {
        Outcome::FinishFailed(HandshakeError::Failed) => {
            Ok("CREATED2 answered; the client's finish: handshake failed".to_owned())
        }
        other => bail!("expected the client's finish to fail, got {other:?}"),
    }
}

fn wrong_node_id(net: &Network) -> Result<String> {
    let relay = net.relay(0)?;
    let mut id = relay.keys().node_id;
    id[0] ^= 0x80;
    let key = ntor::RelayPublicKey::new(id, relay.keys().ntor_public_key());
    let (_circ, outcome) = first_hop(net, 0, &RelayTarget::Ntor(&key), &[], None)?;
    expect_destroyed(outcome, DestroyReason::PROTOCOL)
}

fn target(relay: &TorRelay) -> Target {
    Target {
        addr: relay.addr(),
        rsa_id: relay.keys().node_id,
        ed_id: Some(relay.keys().ed25519_id),
    }
}

/// One hop of a multi-hop circuit: which relay, which handshake, which message.
#[derive(Clone, Copy, Debug)]
enum HopKind {
    Ntor,
    NtorV3Empty,
    NtorV3Cc,
}

/// Adds relay `relay` as the next hop: through the one-call API (CREATE2) for the first
/// hop, through the generic API (EXTEND2) after that.
fn add_kind(circ: &mut Circuit, relay: &TorRelay, kind: HopKind) -> Result<String> {
    let keys = relay.keys();
    let (ntor_key, v3_key) = (keys.ntor_public(), keys.ntor_v3_public());
    let extensions = match kind {
        HopKind::NtorV3Cc => CC_REQUEST,
        HopKind::Ntor | HopKind::NtorV3Empty => &[],
    };
    let outcome = if circ.len() == 0 {
        let target = match kind {
            HopKind::Ntor => RelayTarget::Ntor(&ntor_key),
            HopKind::NtorV3Empty | HopKind::NtorV3Cc => RelayTarget::NtorV3(&v3_key),
        };
        circ.create(&target, extensions, None)?
    } else {
        let t = target(relay);
        match kind {
            HopKind::Ntor => circ.add_hop::<Ntor>(&ntor_key, &[], Some(&t))?,
            HopKind::NtorV3Empty | HopKind::NtorV3Cc => {
                circ.add_hop::<NtorV3>(&v3_key, extensions, Some(&t))?
            }
        }
    };
    let sm = added(outcome)?;
    Ok(match kind {
        HopKind::Ntor => "ntor".to_owned(),
        HopKind::NtorV3Empty => format!("ntor-v3 (00 -> {sm:02x?})"),
        HopKind::NtorV3Cc => format!("ntor-v3 (cc -> sendme_inc {:?})", cc_granted(&sm)?),
    })
}

fn three_hops(net: &Network, path: [(usize, HopKind); 3]) -> Result<String> {
    let (first, _) = path[0];
    let mut circ = fresh_circuit(net, first)?;
    let mut built = Vec::new();
    for (i, kind) in path {
        let relay = net.relay(i)?;
        built.push(format!(
            "{} {}",
            relay.nickname(),
            add_kind(&mut circ, relay, kind)?
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

/// The published keys, as a client learns them: from the relay's own descriptor, fetched over
/// a circuit.
struct Published {
    node_id: [u8; 20],
    ed_id: [u8; 32],
    ntor_onion_key: [u8; 32],
    tap_onion_key: tap::RelayPublicKey,
}

fn published_keys(net: &Network) -> Result<Published> {
    let relay = net.relay(0)?;
    let key = relay.keys().ntor_public();
    let (mut circ, outcome) = first_hop(net, 0, &RelayTarget::Ntor(&key), &[], None)?;
    added(outcome)?;
    let descriptor = circ.fetch_own_descriptor(0, 1)?;
    circ.destroy()?;
    let line = |kw| {
        descriptor_line(&descriptor, kw)
            .ok_or_else(|| Error::new(format!("descriptor has no {kw}")))
    };
    let ed_id: [u8; 32] = BASE64
        .decode(line("master-key-ed25519")?)?
        .try_into()
        .map_err(|_| Error::new("master-key-ed25519 is not 32 bytes"))?;
    let pem = |kw| {
        descriptor_pem(&descriptor, kw).ok_or_else(|| Error::new(format!("descriptor has no {kw}")))
    };
    Ok(Published {
        node_id: *RsaIdentity::from_pkcs1_pem(&pem("signing-key")?)?.as_bytes(),
        ed_id,
        ntor_onion_key: key_formats::parse_ntor_onion_key(line("ntor-onion-key")?)?,
        tap_onion_key: tap::RelayPublicKey::from_pkcs1_pem(&pem("onion-key")?)?,
    })
}

fn relay_side(net: &Network) -> Result<String> {
    let published = published_keys(net)?;
    let files = net.relay(0)?.keys();
    let (ntor_keys, v3_keys, tap_keys) = (
        files.ntor_relay_keys(),
        files.ntor_v3_relay_keys(),
        files.tap_relay_keys()?,
    );
    let relay = RelayOnionKeys::new()
        .with_tap(&tap_keys)
        .with_ntor(&ntor_keys)
        .with_ntor_v3(&v3_keys);
    let ntor_public = ntor::RelayPublicKey::new(published.node_id, published.ntor_onion_key);
    let v3_public = ntor_v3::RelayPublicKey::new(published.ed_id, published.ntor_onion_key);
    let cases: [(&str, RelayTarget<'_>, &[CircuitExtension<'_>]); 5] = [
        ("TAP", RelayTarget::Tap(&published.tap_onion_key), &[]),
        ("CREATE_FAST", RelayTarget::Fast, &[]),
        ("ntor", RelayTarget::Ntor(&ntor_public), &[]),
        ("ntor-v3 (00)", RelayTarget::NtorV3(&v3_public), &[]),
        ("ntor-v3 (cc)", RelayTarget::NtorV3(&v3_public), CC_REQUEST),
    ];
    let mut done = Vec::new();
    for (name, target, extensions) in cases {
        let mut create = [0u8; PAYLOAD_LEN];
        let (client, command) =
            ClientHandshake::start(&mut OsRng, &target, extensions, &mut create)?;
        let mut created = [0u8; PAYLOAD_LEN];
        let answer =
            dispatch::relay_respond(&mut OsRng, &relay, command, &create, grant_cc, &mut created)
                .map_err(|e| Error::from(e).context(name))?;
        let (seed, sm) = client
            .finish(answer.command, &created)
            .map_err(|e| Error::from(e).context(name))?;
        ensure!(
            seed.circuit_keys() == answer.key_seed.circuit_keys(),
            "{name}: client and relay derived different keys"
        );
        let granted = cc_granted(sm.as_ref()).ok().flatten();
        ensure!(
            granted == (!extensions.is_empty()).then_some(31),
            "{name}: relay's message {:02x?}",
            sm.as_ref()
        );
        done.push(format!("{name} {command:?}->{:?}", answer.command));
    }
    Ok(format!(
        "the crate's relay side, loaded from secret_onion_key_ntor, secret_onion_key, \
         secret_id_key and ed25519_master_id_public_key, answered the crate's client using \
         the keys in the relay's descriptor (signing-key, ntor-onion-key, onion-key, \
         master-key-ed25519): {}; both ends agree",
        done.join(", ")
    ))
}

/// BEGIN_DIR to hop `hop` on stream `stream`, expecting RELAY_CONNECTED from that hop.
fn begin_dir_connected(circ: &mut Circuit, hop: usize, stream: u16) -> Result<()> {
    circ.send_relay(hop, RelayCommand::BEGIN_DIR, stream, &[])?;
    match circ.recv_relay()? {
        Incoming::Relay {
            hop: h,
            command: RelayCommand::CONNECTED,
            stream: s,
            ..
        } if h == hop && s == stream => Ok(()),
        other => bail!("expected RELAY_CONNECTED from hop {hop}, got {other:?}"),
    }
}

/// Two circuits through relay 0 to a relay built on the crate: ntor, then ntor-v3 with the
/// congestion-control request. C tor's relay makes the link to it, forwards the CREATE2 and
/// the relay cells; the crate answers everything on that side.
fn crate_relay_circuits(net: &Network, public: &CrateRelayPublic) -> Result<String> {
    let target = Target {
        addr: public.addr,
        rsa_id: public.node_id,
        ed_id: None,
    };
    let first = net.relay(0)?;
    let first_key = first.keys().ntor_public();
    let ntor_key = ntor::RelayPublicKey::new(public.node_id, public.onion_key);
    let mut circ = fresh_circuit(net, 0)?;
    added(circ.create(&RelayTarget::Ntor(&first_key), &[], None)?)?;
    added(circ.add_hop::<Ntor>(&ntor_key, &[], Some(&target))?)?;
    begin_dir_connected(&mut circ, 1, 1)?;
    circ.destroy()?;

    let v3_key = ntor_v3::RelayPublicKey::new(public.ntor_v3_id, public.onion_key);
    let mut circ = fresh_circuit(net, 0)?;
    added(circ.create(&RelayTarget::Ntor(&first_key), &[], None)?)?;
    let sm = added(circ.add_hop::<NtorV3>(&v3_key, CC_REQUEST, Some(&target))?)?;
    ensure!(
        cc_granted(&sm)? == Some(31),
        "crate relay's message {sm:02x?}"
    );
    begin_dir_connected(&mut circ, 1, 1)?;
    circ.destroy()?;
    Ok(format!(
        "{} ntor -> crate relay ntor, then ntor-v3 (cc)",
        first.nickname()
    ))
}

fn crate_relay(net: &Network) -> Result<String> {
    // The crate cannot make RSA keys; an RSA-1024 key that C tor made serves as the crate
    // relay's identity: relay 2's TAP onion key, which identifies nothing else.
    let identity = tap::RelaySecretKey::from_pkcs1_pem(&net.relay(2)?.keys().tap_onion_pem)?;
    let relay = CrateRelay::start(identity, 2)?;
    let public = relay.public().clone();
    let client = crate_relay_circuits(net, &public);
    let served = relay.finish();
    let first = net.relay(0)?;
    let tail = || format!("; relay {}'s log:\n{}", first.nickname(), first.log_tail());
    let (client, served) = match (client, served) {
        (Ok(c), Ok(s)) => (c, s),
        (c, s) => bail!(
            "client: {:?}; crate relay: {:?}{}",
            c.err(),
            s.err(),
            tail()
        ),
    };
    ensure!(
        served.answered == [HandshakeType::NTOR, HandshakeType::NTOR_V3],
        "crate relay answered {:?}",
        served.answered
    );
    ensure!(
        served.handshake_cells.contains(&Command::NETINFO),
        "C tor sent {:?} before CREATE2, no NETINFO",
        served.handshake_cells
    );
    ensure!(
        served.begin_dirs == 2,
        "{} BEGIN_DIRs reached the crate relay",
        served.begin_dirs
    );
    Ok(format!(
        "{client}; C tor opened link protocol {} (sent {:?}), the crate answered CREATE2 {:?}, \
         RELAY_BEGIN_DIR x{} with RELAY_CONNECTED, got DESTROY {:?}",
        served.link_version,
        served.handshake_cells,
        served.answered,
        served.begin_dirs,
        served.destroys
    ))
}
