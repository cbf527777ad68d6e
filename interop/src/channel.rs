//! A client channel to a relay (tor-spec 2, 4): TLS, VERSIONS, CERTS, AUTH_CHALLENGE, NETINFO,
//! then fixed-size cells with 4-byte circuit IDs (link protocol 4 and 5).
//!
//! The client does not authenticate (it sends no CERTS), as a Tor client does not.

use crate::error::{Error, Result, bail, ensure};
use crate::keyfiles::{RelayKeyFiles, hex};
use core::net::{Ipv4Addr, SocketAddrV4};
use core::time::Duration;
use onionskin::DecodeError;
use onionskin::codec::{
    AuthChallenge, CellMsg, Certs, ChannelCell, CircId, Command, LinkProtocol, Netinfo,
    NetinfoAddr, PAYLOAD_LEN, Versions,
};
use onionskin::key_formats::RsaIdentity;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use sha2::{Digest as _, Sha256};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use x509_cert::der::Decode;

/// Link protocols this client speaks (tor-spec 4.1): 4 and 5 both use 4-byte circuit IDs.
const LINK_VERSIONS: [u16; 2] = [4, 5];
/// How long a read may block before the case fails (a relay that drops a cell answers nothing).
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts the relay's self-signed certificate (tor-spec 2: the TLS certificates carry no
/// authority; the CERTS cell does) but still checks the handshake signature, so the peer
/// holds the key of the certificate that CERTS must then name.
#[derive(Debug)]
struct RelayCertVerifier {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for RelayCertVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> core::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The TLS configuration for every relay link.
fn tls_config() -> Result<Arc<ClientConfig>> {
    // `ring` has no post-quantum key exchange, hence the deprecation; these links stay on
    // loopback and carry nothing secret, and `ring` builds without cmake.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = RelayCertVerifier {
        algorithms: provider.signature_verification_algorithms,
    };
    let config = ClientConfig::builder_with_provider(Arc::<CryptoProvider>::clone(&provider))
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// One cell as received: circuit ID (0 for channel cells), command, body.
#[derive(Debug)]
pub(crate) struct RawCell {
    pub(crate) circ_id: u32,
    pub(crate) command: Command,
    pub(crate) body: Vec<u8>,
}

impl RawCell {
    /// The body of a fixed-size cell.
    pub(crate) fn fixed_body(&self) -> Result<&[u8; PAYLOAD_LEN]> {
        self.body
            .as_slice()
            .try_into()
            .map_err(|_| Error::new(format!("{:?} is not a fixed-size cell", self.command)))
    }

    /// The body decoded by the crate's codec.
    pub(crate) fn msg(&self) -> Result<CellMsg<'_>> {
        Ok(CellMsg::decode(self.command, self.fixed_body()?)?)
    }
}

/// What the link handshake established about the relay.
#[derive(Debug)]
pub(crate) struct LinkFacts {
    /// The negotiated link protocol.
    pub(crate) version: u16,
    /// Cert types in the CERTS cell, in order.
    pub(crate) cert_types: Vec<u8>,
    /// The fingerprint taken from the type-2 (RSA identity) certificate.
    pub(crate) fingerprint: [u8; 20],
}

/// An open channel to one relay.
pub(crate) struct Channel {
    tls: StreamOwned<ClientConnection, TcpStream>,
    facts: LinkFacts,
    link: LinkProtocol,
    /// Bytes read from TLS and not yet framed into cells.
    inbuf: Vec<u8>,
}

impl core::fmt::Debug for Channel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Channel")
            .field("facts", &self.facts)
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// Connects to the relay at `addr` and runs the link handshake, checking that the CERTS
    /// cell names the identities in `keys`.
    ///
    /// # Errors
    /// Any TLS or protocol failure, and a CERTS cell whose identities are not the relay's.
    pub(crate) fn open(addr: SocketAddrV4, keys: &RelayKeyFiles) -> Result<Self> {
        let tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(READ_TIMEOUT))?;
        tcp.set_nodelay(true)?;
        // An IP address as server name: rustls then sends no SNI, as Tor clients do not.
        let name = ServerName::IpAddress(core::net::IpAddr::V4(*addr.ip()).into());
        let conn = ClientConnection::new(tls_config()?, name)?;
        let mut chan = Self {
            tls: StreamOwned::new(conn, tcp),
            facts: LinkFacts {
                version: 0,
                cert_types: Vec::new(),
                fingerprint: [0; 20],
            },
            link: LinkProtocol::NEGOTIATING,
            inbuf: Vec::new(),
        };
        chan.handshake(addr, keys)?;
        Ok(chan)
    }

    /// What the link handshake found.
    pub(crate) fn facts(&self) -> &LinkFacts {
        &self.facts
    }

    fn handshake(&mut self, addr: SocketAddrV4, keys: &RelayKeyFiles) -> Result<()> {
        // VERSIONS always travels with a 2-byte circuit ID (tor-spec 4.1).
        let mut out = [0u8; 16];
        let n = Versions::encode_list(&LINK_VERSIONS, &mut out)?;
        self.write(out.get(..n).unwrap_or_default())?;
        let cell = self.recv_any()?;
        ensure!(
            cell.command == Command::VERSIONS,
            "expected VERSIONS, got {:?}",
            cell.command
        );
        let version = Versions::decode(&cell.body)?
            .highest_common(&LINK_VERSIONS)
            .ok_or_else(|| Error::new("no common link protocol"))?;
        self.link = LinkProtocol::new(version);
        self.facts.version = version;

        // CERTS, AUTH_CHALLENGE, NETINFO, with padding cells possibly in between.
        let mut seen_certs = false;
        loop {
            let cell = self.recv_any()?;
            match cell.command {
                Command::CERTS => {
                    self.check_certs(&cell.body, keys)?;
                    seen_certs = true;
                }
                Command::AUTH_CHALLENGE => {
                    AuthChallenge::decode(&cell.body)?;
                }
                Command::VPADDING | Command::PADDING => {}
                Command::NETINFO => {
                    ensure!(seen_certs, "NETINFO before CERTS");
                    check_netinfo(&Netinfo::decode(&cell.body)?, *addr.ip())?;
                    break;
                }
                other => bail!("unexpected {other:?} during the link handshake"),
            }
        }
        // Our NETINFO: timestamp 0 (clients need not reveal their clock), the relay's address,
        // and our one address.
        let mut out = [0u8; 5 + PAYLOAD_LEN];
        let n = Netinfo::encode_parts(
            self.link,
            0,
            NetinfoAddr::Ipv4(*addr.ip()),
            &[NetinfoAddr::Ipv4(Ipv4Addr::LOCALHOST)],
            &mut out,
        )?;
        self.write(out.get(..n).unwrap_or_default())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.tls.write_all(bytes)?;
        Ok(self.tls.flush()?)
    }

    /// Checks the CERTS cell (tor-spec 4.2): the RSA identity certificate (type 2) must hash to
    /// the relay's fingerprint, the RSA-to-Ed25519 cross-certificate (type 7) must name its
    /// Ed25519 identity, the signing key certificate (type 4) must be signed by that identity,
    /// and the link certificate (type 5), signed by the signing key, must cover the
    /// certificate the TLS handshake presented. Ed25519 signatures are verified; RSA ones
    /// are not.
    fn check_certs(&mut self, body: &[u8], keys: &RelayKeyFiles) -> Result<()> {
        let tls_cert = self
            .tls
            .conn
            .peer_certificates()
            .and_then(|c| c.first())
            .ok_or_else(|| Error::new("no TLS peer certificate"))?
            .as_ref()
            .to_vec();
        let mut types = Vec::new();
        let mut checked = 0u8;
        let (mut signing_cert, mut link_cert) = (None, None);
        for entry in Certs::decode(body)?.iter() {
            let (cert_type, cert) = (entry.cert_type, entry.body);
            types.push(cert_type);
            match cert_type {
                2 => {
                    let x509 = x509_cert::Certificate::from_der(cert)
                        .map_err(|e| Error::new(format!("type-2 certificate: {e}")))?;
                    let spki = &x509.tbs_certificate.subject_public_key_info;
                    let identity =
                        RsaIdentity::from_pkcs1_der(spki.subject_public_key.raw_bytes())?;
                    let fp = *identity.as_bytes();
                    ensure!(
                        fp == keys.node_id,
                        "CERTS identity {identity} is not the relay's fingerprint {}",
                        hex(&keys.node_id)
                    );
                    self.facts.fingerprint = fp;
                    checked |= 1;
                }
                7 => {
                    // RSA->Ed25519 cross-certificate: ED25519_KEY first (its RSA signature is
                    // not checked here).
                    ensure!(
                        cert.get(..32) == Some(&keys.ed25519_id[..]),
                        "type-7 cross-certificate names another Ed25519 identity"
                    );
                    checked |= 2;
                }
                4 => signing_cert = Some(Ed25519Cert::parse(cert)?),
                5 => link_cert = Some(Ed25519Cert::parse(cert)?),
                _ => {}
            }
        }
        // Type 4: the identity key signs the signing key; type 5: the signing key signs the
        // SHA-256 of the TLS certificate (tor-spec 4.2, cert-spec 2.1).
        if let Some(c) = signing_cert {
            ensure!(
                c.cert_type == 4 && c.signed_with == Some(keys.ed25519_id),
                "type-4 certificate is not signed by the relay's Ed25519 identity"
            );
            c.verify(&keys.ed25519_id)?;
            let link = link_cert.ok_or_else(|| Error::new("CERTS has no type-5 certificate"))?;
            link.verify(&c.certified)?;
            let tls_digest: [u8; 32] = Sha256::digest(&tls_cert).into();
            ensure!(
                link.cert_type == 5 && link.certified == tls_digest,
                "type-5 link certificate does not cover the TLS certificate"
            );
            checked |= 4 | 8;
        }
        ensure!(
            checked == 15,
            "CERTS lacks one of types 2, 4, 5, 7 (has {types:?})"
        );
        self.facts.cert_types = types;
        Ok(())
    }

    /// A fresh circuit ID with the most significant bit set, as the side that opened the link
    /// must use (tor-spec 5.1.1).
    pub(crate) fn new_circ_id() -> Result<CircId> {
        let id = rand_core::RngCore::next_u32(&mut rand_core::OsRng) | 0x8000_0000;
        CircId::new(id).ok_or_else(|| Error::new("zero circuit ID"))
    }

    /// Sends a fixed-size cell whose body the crate's codec encodes.
    ///
    /// # Errors
    /// An encoding or I/O failure.
    pub(crate) fn send_msg(&mut self, circ_id: CircId, msg: &CellMsg<'_>) -> Result<()> {
        let mut body = [0u8; PAYLOAD_LEN];
        msg.encode_into(&mut body)?;
        self.send_raw(circ_id.get(), msg.command(), &body)
    }

    /// Sends a fixed-size cell with a body built elsewhere (RELAY, RELAY_EARLY, CREATE*).
    ///
    /// # Errors
    /// An encoding or I/O failure.
    pub(crate) fn send_raw(
        &mut self,
        circ_id: u32,
        command: Command,
        body: &[u8; PAYLOAD_LEN],
    ) -> Result<()> {
        let mut out = [0u8; 5 + PAYLOAD_LEN];
        let n = ChannelCell::new(self.link, circ_id, command, body)?.encode_into(&mut out)?;
        self.write(out.get(..n).unwrap_or_default())
    }

    /// Receives the next cell that is not padding.
    ///
    /// # Errors
    /// An I/O failure or timeout.
    pub(crate) fn recv(&mut self) -> Result<RawCell> {
        loop {
            let cell = self.recv_any()?;
            if !matches!(cell.command, Command::PADDING | Command::VPADDING) {
                return Ok(cell);
            }
        }
    }

    /// Frames the next cell with the crate's channel codec, reading from TLS as it needs.
    fn recv_any(&mut self) -> Result<RawCell> {
        loop {
            match ChannelCell::frame(&self.inbuf, self.link) {
                Ok((cell, rest)) => {
                    let raw = RawCell {
                        circ_id: cell.circ_id(),
                        command: cell.command(),
                        body: cell.body().to_vec(),
                    };
                    let used = self.inbuf.len() - rest.len();
                    self.inbuf.drain(..used);
                    return Ok(raw);
                }
                Err(DecodeError::Truncated { .. }) => {
                    let mut chunk = [0u8; 4096];
                    let n = self.tls.read(&mut chunk)?;
                    ensure!(n > 0, "the relay closed the link");
                    self.inbuf
                        .extend_from_slice(chunk.get(..n).unwrap_or_default());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        // Give the relay a moment to act on a DESTROY before the link closes, or it logs the
        // close (reason CHANNEL_CLOSED) instead of the reason sent.
        std::thread::sleep(Duration::from_millis(30));
        self.tls.conn.send_close_notify();
        let _ = self.tls.flush();
    }
}

/// An Ed25519 certificate (cert-spec 2.1): `VERSION | CERT_TYPE | EXPIRATION_DATE (4) |
/// CERT_KEY_TYPE | CERTIFIED_KEY (32) | N_EXTENSIONS | EXTENSIONS | SIGNATURE (64)`.
#[derive(Debug)]
struct Ed25519Cert<'a> {
    cert_type: u8,
    certified: [u8; 32],
    /// The "signed-with-ed25519-key" extension (type 4), if present.
    signed_with: Option<[u8; 32]>,
    /// Everything the signature covers.
    signed: &'a [u8],
    signature: [u8; 64],
}

impl<'a> Ed25519Cert<'a> {
    fn parse(cert: &'a [u8]) -> Result<Self> {
        let truncated = || Error::new("Ed25519 certificate truncated");
        let split = cert.len().checked_sub(64).ok_or_else(truncated)?;
        let (signed, signature) = cert.split_at(split);
        let (&[version, cert_type, _, _, _, _, _], rest) =
            signed.split_first_chunk::<7>().ok_or_else(truncated)?;
        ensure!(version == 1, "Ed25519 certificate version {version}");
        let (certified, rest) = rest.split_first_chunk::<32>().ok_or_else(truncated)?;
        let (&n, mut rest) = rest.split_first().ok_or_else(truncated)?;
        let mut signed_with = None;
        for _ in 0..n {
            // ExtLength (2), ExtType, ExtFlags, ExtData
            let (&[l0, l1, ext_type, _flags], tail) =
                rest.split_first_chunk::<4>().ok_or_else(truncated)?;
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            let data = tail.get(..len).ok_or_else(truncated)?;
            if ext_type == 4 {
                signed_with = Some(data.try_into().map_err(|_| truncated())?);
            }
            rest = tail.get(len..).unwrap_or_default();
        }
        ensure!(
            rest.is_empty(),
            "bytes after the Ed25519 certificate's extensions"
        );
        Ok(Self {
            cert_type,
            certified: *certified,
            signed_with,
            signed,
            signature: signature.try_into().map_err(|_| truncated())?,
        })
    }

    /// Checks the signature with `key`.
    fn verify(&self, key: &[u8; 32]) -> Result<()> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(key)
            .map_err(|e| Error::new(format!("Ed25519 key: {e}")))?;
        key.verify_strict(
            self.signed,
            &ed25519_dalek::Signature::from_bytes(&self.signature),
        )
        .map_err(|_| {
            Error::new(format!(
                "type-{} certificate: bad Ed25519 signature",
                self.cert_type
            ))
        })
    }
}

/// Checks the relay's NETINFO (tor-spec 4.5): it must see us at 127.0.0.1 and list its own
/// address.
fn check_netinfo(netinfo: &Netinfo<'_>, relay_ip: Ipv4Addr) -> Result<()> {
    ensure!(
        netinfo.other_addr() == NetinfoAddr::Ipv4(Ipv4Addr::LOCALHOST),
        "relay's NETINFO sees us at {:?}",
        netinfo.other_addr()
    );
    ensure!(
        netinfo.my_addrs().any(|a| a == NetinfoAddr::Ipv4(relay_ip)),
        "relay's NETINFO does not list {relay_ip}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A type-4 certificate of `certified`, signed by `signer`, with `extensions`.
    fn cert(
        signer: &ed25519_dalek::SigningKey,
        certified: [u8; 32],
        extensions: &[(u8, &[u8])],
    ) -> Vec<u8> {
        use ed25519_dalek::Signer as _;
        let mut c = vec![1, 4, 0, 0, 0, 0, 1];
        c.extend_from_slice(&certified);
        c.push(u8::try_from(extensions.len()).expect("few"));
        for (ty, data) in extensions {
            c.extend_from_slice(&u16::try_from(data.len()).expect("short").to_be_bytes());
            c.extend_from_slice(&[*ty, 0]);
            c.extend_from_slice(data);
        }
        let signature = signer.sign(&c);
        c.extend_from_slice(&signature.to_bytes());
        c
    }

    #[test]
    fn ed25519_certificate_parses_and_verifies() {
        let signer = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        let public = signer.verifying_key().to_bytes();
        let c = cert(&signer, [0xcc; 32], &[(7, &[1, 2, 3]), (4, &public)]);
        let parsed = Ed25519Cert::parse(&c).expect("parses");
        assert_eq!(parsed.cert_type, 4);
        assert_eq!(parsed.certified, [0xcc; 32]);
        assert_eq!(parsed.signed_with, Some(public));
        assert!(parsed.verify(&public).is_ok());
        let other = ed25519_dalek::SigningKey::from_bytes(&[6; 32]).verifying_key();
        assert!(parsed.verify(&other.to_bytes()).is_err());
    }

    #[test]
    fn tampered_or_truncated_certificate_fails() {
        let signer = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        let public = signer.verifying_key().to_bytes();
        let mut c = cert(&signer, [0xcc; 32], &[(4, &public)]);
        c[10] ^= 1;
        let parsed = Ed25519Cert::parse(&c).expect("still parses");
        assert!(parsed.verify(&public).is_err());
        assert!(Ed25519Cert::parse(&c[..50]).is_err());
        assert!(Ed25519Cert::parse(&c[..100]).is_err());
    }

    #[test]
    fn netinfo_must_see_us_on_loopback() {
        let relay = Ipv4Addr::new(127, 0, 0, 1);
        let mut out = [0u8; 514];
        let n = Netinfo::encode_parts(
            LinkProtocol::V5,
            0,
            NetinfoAddr::Ipv4(Ipv4Addr::LOCALHOST),
            &[NetinfoAddr::Ipv4(relay)],
            &mut out,
        )
        .expect("encodes");
        let good = Netinfo::decode(&out[5..n]).expect("decodes");
        assert!(check_netinfo(&good, relay).is_ok());
        assert!(check_netinfo(&good, Ipv4Addr::new(127, 0, 0, 2)).is_err());
    }
}
