//! A client circuit over a [`Channel`]: CREATE*/EXTEND2 with the crate's handshakes and
//! codec, tor1 relay crypto per hop (tor-spec 6.1, 6.5), and a directory fetch over
//! RELAY_BEGIN_DIR (tor-spec 6.2).

use crate::channel::{Channel, RawCell};
use crate::error::{Error, Result, bail, ensure};
use aes::cipher::{KeyIvInit, StreamCipher};
use onionskin::codec::{
    CellBody, CellMsg, CircId, Command, Create, Create2, CreateFast, Destroy, DestroyReason,
    Extend2, Extended2, LinkSpec, LinkSpecs, PAYLOAD_LEN, RELAY_PAYLOAD_LEN, Reader, RelayCommand,
    RelayMsg, RelayMsgBody, Writer,
};
use onionskin::handshake::{CircuitHandshake, HandshakeType};
use onionskin::{HandshakeError, KeyMaterial};
use sha1::{Digest, Sha1};
use std::net::SocketAddrV4;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// Relay header length (tor-spec 6.1): command, recognized, stream ID, digest, length.
const RELAY_HEADER_LEN: usize = 11;
/// Cap on what a directory fetch may return (a descriptor is about 2-3 KB).
const MAX_DIR_RESPONSE: usize = 256 * 1024;

/// The four tor1 keys of one hop, taken from the crate's [`onionskin::CircuitKeys`].
#[derive(Clone)]
pub(crate) struct HopKeys {
    /// Forward digest seed.
    pub(crate) df: [u8; 20],
    /// Backward digest seed.
    pub(crate) db: [u8; 20],
    /// Forward AES-128 key.
    pub(crate) kf: [u8; 16],
    /// Backward AES-128 key.
    pub(crate) kb: [u8; 16],
}

impl std::fmt::Debug for HopKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HopKeys").finish_non_exhaustive()
    }
}

/// Which key a negative control corrupts (one bit of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyFlip {
    /// The forward digest seed.
    Df,
    /// The forward cipher key.
    Kf,
    /// The backward digest seed.
    Db,
    /// The backward cipher key.
    Kb,
}

impl HopKeys {
    fn from_keys(keys: &onionskin::CircuitKeys) -> Self {
        Self {
            df: *keys.df(),
            db: *keys.db(),
            kf: *keys.kf(),
            kb: *keys.kb(),
        }
    }

    fn flip(&mut self, which: KeyFlip) {
        let byte = match which {
            KeyFlip::Df => &mut self.df[0],
            KeyFlip::Kf => &mut self.kf[0],
            KeyFlip::Db => &mut self.db[0],
            KeyFlip::Kb => &mut self.kb[0],
        };
        *byte ^= 0x01;
    }
}

/// One hop's tor1 state: running digests and AES-CTR streams, each direction its own.
struct Hop {
    fwd_digest: Sha1,
    bwd_digest: Sha1,
    fwd_cipher: Aes128Ctr,
    bwd_cipher: Aes128Ctr,
}

impl Hop {
    fn new(keys: &HopKeys) -> Self {
        let iv = [0u8; 16];
        Self {
            fwd_digest: Sha1::new_with_prefix(keys.df),
            bwd_digest: Sha1::new_with_prefix(keys.db),
            fwd_cipher: Aes128Ctr::new(&keys.kf.into(), &iv.into()),
            bwd_cipher: Aes128Ctr::new(&keys.kb.into(), &iv.into()),
        }
    }
}

/// What came back for a CREATE*/EXTEND2.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The hop was added; the relay's message (ntor-v3 only, else empty).
    Added {
        /// The relay's handshake message.
        server_message: Vec<u8>,
    },
    /// The relay answered DESTROY with this reason.
    Destroyed(DestroyReason),
    /// The relay answered, but the client's finish refused the reply.
    FinishFailed(HandshakeError),
}

/// A relay message received on the circuit.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A relay cell recognized by hop `hop` (0 = first).
    Relay {
        /// The hop whose keys recognized it.
        hop: usize,
        /// Relay command.
        command: RelayCommand,
        /// Stream ID.
        stream: u16,
        /// The message body.
        data: Vec<u8>,
    },
    /// A DESTROY cell.
    Destroyed(DestroyReason),
    /// A relay cell that no hop recognizes: `recognized` not zero or the digest wrong after
    /// every layer (what a wrong Db or Kb produces).
    Unrecognized,
}

/// How a relay is reached and named in EXTEND2.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// IPv4 ORPort.
    pub(crate) addr: SocketAddrV4,
    /// RSA identity fingerprint.
    pub(crate) rsa_id: [u8; 20],
    /// Ed25519 identity.
    pub(crate) ed_id: [u8; 32],
}

/// A client circuit that owns its channel.
pub(crate) struct Circuit {
    chan: Channel,
    id: CircId,
    hops: Vec<Hop>,
    /// RELAY_EARLY cells left (tor-spec 5.6: at most 8 per circuit).
    early_left: u8,
}

impl std::fmt::Debug for Circuit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Circuit")
            .field("id", &self.id)
            .field("hops", &self.hops.len())
            .finish_non_exhaustive()
    }
}

impl Circuit {
    /// A circuit with no hops yet, on `chan`, with a fresh circuit ID.
    ///
    /// # Errors
    /// Never in practice (the ID has its top bit set, so it is not zero).
    pub(crate) fn new(chan: Channel) -> Result<Self> {
        Ok(Self {
            chan,
            id: Channel::new_circ_id()?,
            hops: Vec::new(),
            early_left: 8,
        })
    }

    /// The number of hops built.
    pub(crate) fn len(&self) -> usize {
        self.hops.len()
    }

    /// Adds a hop whose handshake was run outside [`Self::add_hop`].
    pub(crate) fn push_hop(&mut self, keys: &onionskin::CircuitKeys) {
        self.hops.push(Hop::new(&HopKeys::from_keys(keys)));
    }

    /// Runs handshake `H` for the next hop through the crate's generic API: CREATE_FAST or
    /// CREATE2 for the first hop, EXTEND2 (in RELAY_EARLY) to `target` after that.
    /// `flip` corrupts one bit of one of the derived keys (negative controls).
    ///
    /// # Errors
    /// I/O and encoding failures, and replies that are neither the expected CREATED* nor
    /// DESTROY.
    pub(crate) fn add_hop<H: CircuitHandshake>(
        &mut self,
        relay: &H::RelayPublicKey,
        message: &[u8],
        target: Option<&Target>,
        flip: Option<KeyFlip>,
    ) -> Result<Outcome> {
        let (state, skin) = H::client_start(&mut rand_core::OsRng, relay, message)?;
        let skin = skin.as_ref();
        let reply = match self.hops.last() {
            None => self.create_first(H::HTYPE, skin)?,
            Some(_) => {
                let target = target.ok_or_else(|| Error::new("EXTEND2 needs a target"))?;
                self.extend(H::HTYPE, skin, target)?
            }
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(reason) => return Ok(Outcome::Destroyed(reason)),
        };
        let mut server_message = vec![0u8; RELAY_PAYLOAD_LEN];
        let (seed, n) = match H::client_finish(state, &reply, &mut server_message) {
            Ok(done) => done,
            Err(e) => return Ok(Outcome::FinishFailed(e)),
        };
        server_message.truncate(n);
        let mut keys = HopKeys::from_keys(&seed.circuit_keys());
        if let Some(which) = flip {
            keys.flip(which);
        }
        self.hops.push(Hop::new(&keys));
        Ok(Outcome::Added { server_message })
    }

    /// Sends the first hop's CREATE_FAST, CREATE (TAP) or CREATE2 and returns the reply's
    /// handshake bytes, or the DESTROY reason.
    fn create_first(
        &mut self,
        htype: HandshakeType,
        skin: &[u8],
    ) -> Result<std::result::Result<Vec<u8>, DestroyReason>> {
        let msg = if htype == HandshakeType::FAST {
            CellMsg::CreateFast(CreateFast::new(
                skin.try_into()
                    .map_err(|_| Error::new("CREATE_FAST skin of the wrong length"))?,
            ))
        } else {
            CellMsg::Create2(Create2::new(htype, skin)?)
        };
        self.chan.send_msg(self.id, &msg)?;
        self.await_created()
    }

    /// Sends TAP in the legacy CREATE cell (tor-spec 5.1) and returns the reply or the DESTROY
    /// reason. Only for checking how a relay treats it; [`Self::add_hop`] uses CREATE2.
    ///
    /// # Errors
    /// I/O failures and unexpected replies.
    pub(crate) fn send_legacy_create(
        &mut self,
        skin: &[u8; onionskin::codec::TAP_ONIONSKIN_LEN],
    ) -> Result<std::result::Result<Vec<u8>, DestroyReason>> {
        self.chan
            .send_msg(self.id, &CellMsg::Create(Create::tap(skin)))?;
        self.await_created()
    }

    fn await_created(&mut self) -> Result<std::result::Result<Vec<u8>, DestroyReason>> {
        let cell = self.recv_on_circuit()?;
        Ok(match cell.msg()? {
            CellMsg::Created2(c) => Ok(c.hdata().to_vec()),
            CellMsg::CreatedFast(c) => Ok(c.reply().to_vec()),
            CellMsg::Created(c) => Ok(c.reply().to_vec()),
            CellMsg::Destroy(d) => Err(d.reason()),
            other => bail!("expected CREATED*, got {:?}", other.command()),
        })
    }

    fn extend(
        &mut self,
        htype: HandshakeType,
        skin: &[u8],
        target: &Target,
    ) -> Result<std::result::Result<Vec<u8>, DestroyReason>> {
        // tor-spec 5.1.2's recommended order: IPv4, legacy identity, Ed25519 identity.
        let specs = [
            LinkSpec::Ipv4(target.addr),
            LinkSpec::LegacyId(&target.rsa_id),
            LinkSpec::Ed25519Id(&target.ed_id),
        ];
        let extend2 = Extend2::new(LinkSpecs::from_slice(&specs)?, Create2::new(htype, skin)?)?;
        let mut body = [0u8; RELAY_PAYLOAD_LEN];
        let n = RelayMsg::Extend2(extend2).encode_into(&mut body)?;
        let last = self.hops.len() - 1;
        self.send_relay(last, RelayCommand::EXTEND2, 0, body.get(..n).unwrap_or(&[]))?;
        match self.recv_relay()? {
            Incoming::Relay {
                hop,
                command: RelayCommand::EXTENDED2,
                data,
                ..
            } if hop == last => Ok(Ok(Extended2::decode(&data)?.hdata().to_vec())),
            Incoming::Destroyed(reason) => Ok(Err(reason)),
            other => bail!("expected EXTENDED2 from hop {last}, got {other:?}"),
        }
    }

    /// Sends one relay message to hop `hop` (tor-spec 6.1): the digest over the whole payload
    /// (digest field zero) goes into the header, then each layer's AES-CTR from that hop back
    /// to the first. EXTEND2 goes in RELAY_EARLY (tor-spec 5.6), everything else in RELAY.
    ///
    /// # Errors
    /// No such hop, data too long, or an I/O failure.
    pub(crate) fn send_relay(
        &mut self,
        hop: usize,
        command: RelayCommand,
        stream: u16,
        data: &[u8],
    ) -> Result<()> {
        ensure!(hop < self.hops.len(), "no hop {hop}");
        ensure!(data.len() <= RELAY_PAYLOAD_LEN, "relay data too long");
        let mut payload = [0u8; PAYLOAD_LEN];
        let mut w = Writer::new(&mut payload);
        w.put_u8(command.0)?;
        w.put_u16(0)?; // recognized
        w.put_u16(stream)?;
        w.put_u32(0)?; // digest, filled in below
        w.put_u16(u16::try_from(data.len()).map_err(|_| Error::new("relay data too long"))?)?;
        w.put(data)?;
        // Padding: four zero bytes, then random (tor-spec 6.1).
        w.put_u32(0)?;
        let pad = w.reserve(PAYLOAD_LEN - RELAY_HEADER_LEN - data.len() - 4)?;
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, pad);
        let layers = self.hops.get_mut(..=hop).unwrap_or_default();
        if let Some(target) = layers.last_mut() {
            target.fwd_digest.update(payload);
            payload[5..9].copy_from_slice(&digest4(&target.fwd_digest));
        }
        for layer in layers.iter_mut().rev() {
            layer.fwd_cipher.apply_keystream(&mut payload);
        }
        let command = if command == RelayCommand::EXTEND2 {
            ensure!(self.early_left > 0, "no RELAY_EARLY left");
            self.early_left -= 1;
            Command::RELAY_EARLY
        } else {
            Command::RELAY
        };
        self.chan.send_raw(self.id.get(), command, &payload)
    }

    /// Receives the next relay message or DESTROY on this circuit, peeling layers until a hop
    /// recognizes it: `recognized` zero and the running digest matching (tor-spec 6.1).
    ///
    /// # Errors
    /// A cell other than RELAY or DESTROY, an I/O failure or timeout.
    pub(crate) fn recv_relay(&mut self) -> Result<Incoming> {
        let cell = self.recv_on_circuit()?;
        if cell.command == Command::DESTROY {
            return Ok(Incoming::Destroyed(
                Destroy::decode(cell.fixed_body()?)?.reason(),
            ));
        }
        ensure!(
            cell.command == Command::RELAY,
            "expected RELAY or DESTROY, got {:?}",
            cell.command
        );
        let mut payload = *cell.fixed_body()?;
        for (i, hop) in self.hops.iter_mut().enumerate() {
            hop.bwd_cipher.apply_keystream(&mut payload);
            if payload[1..3] != [0, 0] {
                continue;
            }
            let mut zeroed = payload;
            zeroed[5..9].fill(0);
            let mut digest = hop.bwd_digest.clone();
            digest.update(zeroed);
            if digest4(&digest) != payload[5..9] {
                continue;
            }
            hop.bwd_digest = digest;
            let mut r = Reader::new(&payload);
            let command = RelayCommand(r.take_u8()?);
            let _recognized = r.take_u16()?;
            let stream = r.take_u16()?;
            let _digest = r.take_array::<4>()?;
            let len = r.take_u16()?;
            ensure!(
                usize::from(len) <= RELAY_PAYLOAD_LEN,
                "relay length {len} too long"
            );
            return Ok(Incoming::Relay {
                hop: i,
                command,
                stream,
                data: r.take(usize::from(len))?.to_vec(),
            });
        }
        Ok(Incoming::Unrecognized)
    }

    fn recv_on_circuit(&mut self) -> Result<RawCell> {
        let cell = self.chan.recv()?;
        ensure!(
            cell.circ_id == self.id.get(),
            "cell {:?} for circuit {:#x}, expected {}",
            cell.command,
            cell.circ_id,
            self.id
        );
        Ok(cell)
    }

    /// Opens a directory stream to hop `hop` with RELAY_BEGIN_DIR, fetches
    /// `GET /tor/server/authority` (the relay's own descriptor) and returns the body.
    ///
    /// # Errors
    /// No RELAY_CONNECTED, a DESTROY, a reply no hop recognizes, or an HTTP status other
    /// than 200.
    pub(crate) fn fetch_own_descriptor(&mut self, hop: usize, stream: u16) -> Result<String> {
        self.send_relay(hop, RelayCommand::BEGIN_DIR, stream, &[])?;
        match self.recv_relay()? {
            Incoming::Relay {
                hop: h,
                command: RelayCommand::CONNECTED,
                stream: s,
                ..
            } if h == hop && s == stream => {}
            Incoming::Destroyed(reason) => {
                bail!("DESTROY ({reason:?}) instead of RELAY_CONNECTED")
            }
            other => bail!("expected RELAY_CONNECTED, got {other:?}"),
        }
        let request = b"GET /tor/server/authority HTTP/1.0\r\n\r\n";
        self.send_relay(hop, RelayCommand::DATA, stream, request)?;
        let mut response = Vec::new();
        loop {
            match self.recv_relay()? {
                Incoming::Relay {
                    command: RelayCommand::DATA,
                    stream: s,
                    data,
                    ..
                } if s == stream => {
                    response.extend_from_slice(&data);
                    ensure!(
                        response.len() <= MAX_DIR_RESPONSE,
                        "directory response too long"
                    );
                }
                Incoming::Relay {
                    command: RelayCommand::END,
                    stream: s,
                    ..
                } if s == stream => break,
                Incoming::Relay {
                    command: RelayCommand::SENDME,
                    ..
                } => {}
                Incoming::Destroyed(reason) => bail!("DESTROY ({reason:?}) during the fetch"),
                other => bail!("unexpected {other:?} during the fetch"),
            }
        }
        let text = String::from_utf8(response)
            .map_err(|_| Error::new("directory response is not UTF-8"))?;
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| Error::new("directory response without a header"))?;
        let status = head.lines().next().unwrap_or_default();
        ensure!(
            status.starts_with("HTTP/1.0 200"),
            "directory answered {status:?}"
        );
        Ok(body.to_owned())
    }

    /// Sends DESTROY (reason NONE, as clients do: tor-spec 5.4).
    ///
    /// # Errors
    /// An I/O failure.
    pub(crate) fn destroy(mut self) -> Result<()> {
        let msg = CellMsg::Destroy(Destroy::new(DestroyReason::NONE));
        self.chan.send_msg(self.id, &msg)
    }
}

/// The first four bytes of a running digest's current value (the relay header's digest).
fn digest4(running: &Sha1) -> [u8; 4] {
    let full: [u8; 20] = running.clone().finalize().into();
    let [a, b, c, d, ..] = full;
    [a, b, c, d]
}

/// The value of the first `keyword` line of a descriptor.
pub(crate) fn descriptor_line<'a>(descriptor: &'a str, keyword: &str) -> Option<&'a str> {
    descriptor.lines().find_map(|line| {
        line.strip_prefix(keyword)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::trim)
    })
}
