//! A relay built on this crate, for C tor to talk to: a C tor relay told to EXTEND2 to it
//! opens a link as the initiator (TLS, VERSIONS, CERTS, AUTH_CHALLENGE, NETINFO, as C tor's
//! `channel_tls` code runs it), sends the CREATE2 it took from the EXTEND2, and carries the
//! circuit's relay cells. This relay answers with the crate alone: `dispatch::relay_respond`
//! for the handshake, `relay_crypto::RelayHop` for the relay cells, the channel cell codec
//! for everything on the link.
//!
//! It proves itself with RSA certificates only (CERTS types 1 and 2, tor-spec 4.2), which
//! C tor accepts from a peer that sends no Ed25519 certificates
//! (`or_handshake_certs_rsa_ok`): an X.509 identity certificate self-signed by its RSA-1024
//! identity key, and a link certificate for its TLS key signed by the identity key. The
//! crate signs nothing, so the signatures are PKCS#1 v1.5 over SHA-256 made with the crate's
//! raw RSA private operation (`tap::hazmat::rsa_decrypt_raw`).

use crate::error::{Error, Result, ensure};
use core::net::{Ipv4Addr, SocketAddrV4};
use core::time::Duration;
use onionskin::codec::extension::{
    CircuitExtension, CongestionControlResponse, ExtensionList, ExtensionWriter,
};
use onionskin::codec::{
    AuthChallenge, CertEntry, Certs, ChannelCell, ChannelMsg, Command, DestroyReason, LinkProtocol,
    Netinfo, NetinfoAddr, PAYLOAD_LEN, RelayCell, RelayCommand, Versions,
};
use onionskin::handshake::dispatch::{self, RelayOnionKeys};
use onionskin::handshake::{HandshakeType, ntor, ntor_v3, tap};
use onionskin::key_formats::RsaIdentity;
use onionskin::relay_crypto::RelayHop;
use onionskin::{DecodeError, HandshakeError, KeyMaterial};
use rand_core::{OsRng, RngCore};
use rcgen::{CertificateParams, Issuer, KeyPair, PublicKeyData, SignatureAlgorithm, SigningKey};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;

/// How long the relay waits for C tor's next cell.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the relay waits for C tor to connect.
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(15);
/// PKCS#1 v1.5 `DigestInfo` prefix for SHA-256 (RFC 8017 9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The relay's RSA-1024 identity key as an X.509 signer for rcgen.
struct RsaIdentitySigner {
    key: tap::RelaySecretKey,
    public_der: Vec<u8>,
}

impl PublicKeyData for RsaIdentitySigner {
    fn der_bytes(&self) -> &[u8] {
        &self.public_der
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl SigningKey for RsaIdentitySigner {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 8.2.1): `EM = 00 01 FF.. 00 DigestInfo`, then
    /// the private operation.
    fn sign(&self, msg: &[u8]) -> core::result::Result<Vec<u8>, rcgen::Error> {
        // 00 | 01 | FF.. | 00 | DigestInfo | SHA-256(msg)
        let mut em = [0xffu8; tap::MODULUS_LEN];
        let (head, tail) = em.split_at_mut(tap::MODULUS_LEN - SHA256_DIGEST_INFO.len() - 32);
        if let [first, second, .., last] = head {
            (*first, *second, *last) = (0, 1, 0);
        }
        let (info, hash) = tail.split_at_mut(SHA256_DIGEST_INFO.len());
        info.copy_from_slice(&SHA256_DIGEST_INFO);
        hash.copy_from_slice(&Sha256::digest(msg));
        let (signature, in_range) = tap::hazmat::rsa_decrypt_raw(&self.key, &em);
        if in_range {
            Ok(signature.to_vec())
        } else {
            Err(rcgen::Error::RemoteKeyError)
        }
    }
}

/// What the relay saw and did, for the report.
#[derive(Debug, Default)]
pub(crate) struct Served {
    /// Link protocol agreed with C tor.
    pub(crate) link_version: u16,
    /// Cell commands C tor sent before its first CREATE2 (its side of the link handshake).
    pub(crate) handshake_cells: Vec<Command>,
    /// Handshake types answered.
    pub(crate) answered: Vec<HandshakeType>,
    /// RELAY_BEGIN_DIR cells recognized and answered with RELAY_CONNECTED.
    pub(crate) begin_dirs: usize,
    /// DESTROY reasons received.
    pub(crate) destroys: Vec<DestroyReason>,
}

/// The relay's public face: what a client puts in EXTEND2 and uses for its handshakes.
#[derive(Clone, Debug)]
pub(crate) struct CrateRelayPublic {
    /// Where it listens.
    pub(crate) addr: SocketAddrV4,
    /// SHA-1 of its RSA identity key.
    pub(crate) node_id: [u8; 20],
    /// Its ntor onion key.
    pub(crate) onion_key: [u8; 32],
    /// The 32-byte identity its ntor-v3 handshake answers to (it has no Ed25519 link
    /// certificates, so this identity is never named in EXTEND2).
    pub(crate) ntor_v3_id: [u8; 32],
}

/// A relay built on the crate, serving one link in a thread.
#[derive(Debug)]
pub(crate) struct CrateRelay {
    public: CrateRelayPublic,
    thread: JoinHandle<Result<Served>>,
}

impl CrateRelay {
    /// Starts listening on 127.0.0.1 with `identity` as its RSA identity key; serves the first
    /// link until it has seen `circuits` DESTROYs.
    ///
    /// # Errors
    /// Certificate or TLS set-up failures, or no free port.
    pub(crate) fn start(identity: tap::RelaySecretKey, circuits: usize) -> Result<Self> {
        let public_der = identity.public_key().to_pkcs1_der().to_vec();
        let node_id = *RsaIdentity::from_pkcs1_der(&public_der)?.as_bytes();
        let signer = RsaIdentitySigner {
            key: identity,
            public_der,
        };
        let rcgen_err = |e: rcgen::Error| Error::new(format!("certificate: {e}"));
        // Type 2: the identity certificate, self-signed. Type 1: the link certificate, for the
        // TLS key, signed by the identity key.
        let id_params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_err)?;
        let id_cert = id_params.self_signed(&signer).map_err(rcgen_err)?;
        let tls_key = KeyPair::generate().map_err(rcgen_err)?;
        let issuer = Issuer::new(id_params, &signer);
        let link_cert = CertificateParams::new(Vec::<String>::new())
            .map_err(rcgen_err)?
            .signed_by(&tls_key, &issuer)
            .map_err(rcgen_err)?;
        let (id_der, link_der) = (id_cert.der().to_vec(), link_cert.der().to_vec());

        #[allow(deprecated)] // see channel.rs: loopback only
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(link_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(tls_key.serialize_der())),
            )?;

        let mut onion_secret = [0u8; 32];
        OsRng.fill_bytes(&mut onion_secret);
        let onion_key = onionskin::handshake::NtorOnionKey::from_bytes(&onion_secret);
        let mut ntor_v3_id = [0u8; 32];
        OsRng.fill_bytes(&mut ntor_v3_id);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        let public = CrateRelayPublic {
            addr: SocketAddrV4::new(Ipv4Addr::LOCALHOST, port),
            node_id,
            onion_key: *onion_key.public_key(),
            ntor_v3_id,
        };
        let keys = Keys {
            ntor: ntor::RelayKeys::new(node_id, onion_key.clone()),
            ntor_v3: ntor_v3::RelayKeys::new(ntor_v3_id, onion_key),
            id_der,
            link_der,
        };
        listener.set_nonblocking(true)?;
        let thread = std::thread::spawn(move || {
            let tcp = accept_within(&listener, ACCEPT_TIMEOUT)?;
            serve(tcp, Arc::new(config), &keys, circuits)
        });
        Ok(Self { public, thread })
    }

    /// Its public face.
    pub(crate) fn public(&self) -> &CrateRelayPublic {
        &self.public
    }

    /// Waits for the link to end and returns what the relay saw.
    ///
    /// # Errors
    /// Whatever ended the relay's service early; a panic in its thread.
    pub(crate) fn finish(self) -> Result<Served> {
        self.thread
            .join()
            .map_err(|_| Error::new("the crate relay's thread panicked"))?
    }
}

/// The first connection within `timeout`, so that the thread ends even if nobody comes.
fn accept_within(listener: &TcpListener, timeout: Duration) -> Result<TcpStream> {
    let start = std::time::Instant::now();
    loop {
        match listener.accept() {
            Ok((tcp, _)) => {
                tcp.set_nonblocking(false)?;
                return Ok(tcp);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                ensure!(start.elapsed() < timeout, "C tor never connected");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What the serving thread owns.
struct Keys {
    ntor: ntor::RelayKeys,
    ntor_v3: ntor_v3::RelayKeys,
    id_der: Vec<u8>,
    link_der: Vec<u8>,
}

/// The reply extensions of a relay built on the crate, as C tor 0.4.9 answers: congestion
/// control granted with `sendme_inc` 31 when asked for (proposal 324), nothing otherwise.
pub(crate) fn grant_cc(
    client: &ExtensionList<'_>,
    reply: &mut ExtensionWriter<'_>,
) -> core::result::Result<(), HandshakeError> {
    if client.congestion_control_request() {
        let cc = CongestionControlResponse { sendme_inc: 31 };
        reply
            .push(&CircuitExtension::CongestionControlResponse(cc))
            .map_err(|_| HandshakeError::BufferTooSmall)?;
    }
    Ok(())
}

/// A framed reader and writer over the TLS stream.
struct Link {
    tls: StreamOwned<ServerConnection, TcpStream>,
    link: LinkProtocol,
    inbuf: Vec<u8>,
}

impl Link {
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.tls.write_all(bytes)?;
        Ok(self.tls.flush()?)
    }

    fn send_cell(&mut self, circ_id: u32, command: Command, body: &[u8]) -> Result<()> {
        let mut out = vec![0u8; 7 + body.len().max(PAYLOAD_LEN)];
        let n = ChannelCell::new(self.link, circ_id, command, body)?.encode_into(&mut out)?;
        self.send(out.get(..n).unwrap_or_default())
    }

    /// The next cell: circuit ID, command, body.
    fn recv(&mut self) -> Result<(u32, Command, Vec<u8>)> {
        loop {
            match ChannelCell::frame(&self.inbuf, self.link) {
                Ok((cell, rest)) => {
                    let out = (cell.circ_id(), cell.command(), cell.body().to_vec());
                    let used = self.inbuf.len() - rest.len();
                    self.inbuf.drain(..used);
                    return Ok(out);
                }
                Err(DecodeError::Truncated { .. }) => {
                    let mut chunk = [0u8; 4096];
                    let n = self.tls.read(&mut chunk)?;
                    ensure!(n > 0, "C tor closed the link");
                    self.inbuf
                        .extend_from_slice(chunk.get(..n).unwrap_or_default());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn serve(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    keys: &Keys,
    circuits: usize,
) -> Result<Served> {
    tcp.set_read_timeout(Some(READ_TIMEOUT))?;
    tcp.set_nodelay(true)?;
    let mut link = Link {
        tls: StreamOwned::new(ServerConnection::new(config)?, tcp),
        link: LinkProtocol::NEGOTIATING,
        inbuf: Vec::new(),
    };
    let mut served = Served::default();

    // The initiator's VERSIONS; ours, then CERTS, AUTH_CHALLENGE and NETINFO (tor-spec 4).
    let (_, command, body) = link.recv()?;
    ensure!(
        command == Command::VERSIONS,
        "expected VERSIONS, got {command:?}"
    );
    let ours = [4u16, 5];
    let version = Versions::decode(&body)?
        .highest_common(&ours)
        .ok_or_else(|| Error::new("no common link protocol"))?;
    let mut out = [0u8; 16];
    let n = Versions::encode_list(&ours, &mut out)?;
    link.send(out.get(..n).unwrap_or_default())?;
    link.link = LinkProtocol::new(version);
    served.link_version = version;

    let certs = [
        CertEntry {
            cert_type: 1,
            body: &keys.link_der,
        },
        CertEntry {
            cert_type: 2,
            body: &keys.id_der,
        },
    ];
    let mut out = vec![0u8; 16 + keys.link_der.len() + keys.id_der.len()];
    let n = Certs::encode_list(link.link, &certs, &mut out)?;
    link.send(out.get(..n).unwrap_or_default())?;
    let mut challenge = [0u8; 32];
    OsRng.fill_bytes(&mut challenge);
    let mut out = [0u8; 64];
    // No methods: this relay has no Ed25519 identity, so C tor cannot use method 3
    // (Ed25519-SHA256-RFC5705) with it, and need not authenticate; it answers with NETINFO.
    let n = AuthChallenge::encode_parts(link.link, &challenge, &[], &mut out)?;
    link.send(out.get(..n).unwrap_or_default())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(0));
    let mut out = [0u8; 5 + PAYLOAD_LEN];
    let n = Netinfo::encode_parts(
        link.link,
        now,
        NetinfoAddr::Ipv4(Ipv4Addr::LOCALHOST),
        &[NetinfoAddr::Ipv4(Ipv4Addr::LOCALHOST)],
        &mut out,
    )?;
    link.send(out.get(..n).unwrap_or_default())?;

    let relay_keys = RelayOnionKeys::new()
        .with_ntor(&keys.ntor)
        .with_ntor_v3(&keys.ntor_v3);
    let mut hops: HashMap<u32, RelayHop> = HashMap::new();
    while served.destroys.len() < circuits {
        let (circ_id, command, body) = link.recv()?;
        let cell = ChannelCell::new(link.link, circ_id, command, &body)?;
        match cell.msg()? {
            ChannelMsg::Circuit(id, _) if command == Command::CREATE2 => {
                let body: &[u8; PAYLOAD_LEN] = body
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::new("CREATE2 body"))?;
                let mut created = [0u8; PAYLOAD_LEN];
                let answer = dispatch::relay_respond(
                    &mut OsRng,
                    &relay_keys,
                    command,
                    body,
                    grant_cc,
                    &mut created,
                )?;
                served.answered.push(answer.key_seed.handshake_type());
                hops.insert(id.get(), RelayHop::tor1(&answer.key_seed.circuit_keys()));
                link.send_cell(id.get(), answer.command, &created)?;
            }
            ChannelMsg::Circuit(id, _)
                if matches!(command, Command::RELAY | Command::RELAY_EARLY) =>
            {
                let hop = hops
                    .get_mut(&id.get())
                    .ok_or_else(|| Error::new("RELAY on an unknown circuit"))?;
                let mut payload: [u8; PAYLOAD_LEN] = body
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::new("RELAY body"))?;
                ensure!(
                    hop.decrypt_forward(&mut payload).is_some(),
                    "a relay cell this hop does not recognize"
                );
                let cell = RelayCell::decode(&payload)?;
                ensure!(
                    cell.command() == RelayCommand::BEGIN_DIR,
                    "unexpected relay command {:?}",
                    cell.command()
                );
                let mut reply = [0u8; PAYLOAD_LEN];
                RelayCell::new(RelayCommand::CONNECTED, cell.stream_id(), &[])?
                    .encode_into(&mut reply, &mut OsRng);
                hop.originate_backward(&mut reply);
                link.send_cell(id.get(), Command::RELAY, &reply)?;
                served.begin_dirs += 1;
            }
            ChannelMsg::Destroy(id, d) => {
                hops.remove(&id.get());
                served.destroys.push(d.reason());
            }
            _ if served.answered.is_empty() => served.handshake_cells.push(command),
            _ => {}
        }
    }
    Ok(served)
}
