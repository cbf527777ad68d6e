//! A client circuit over a [`Channel`]: CREATE*/EXTEND2 with the crate's handshakes and
//! codec, the crate's tor1 relay crypto per hop (tor-spec 6.1, 6.5), and a directory fetch
//! over RELAY_BEGIN_DIR (tor-spec 6.2).

use crate::channel::{Channel, RawCell};
use crate::error::{Error, Result, bail, ensure};
use core::net::SocketAddrV4;
use onionskin::codec::extension::CircuitExtension;
use onionskin::codec::{
    CellBody, CellMsg, CircId, Command, Create2, Destroy, DestroyReason, Extend2, Extended2,
    LinkSpec, LinkSpecs, PAYLOAD_LEN, RelayCell, RelayCommand, RelayMsg, RelayMsgBody,
};
use onionskin::handshake::dispatch::{ClientHandshake, RelayTarget};
use onionskin::handshake::{CircuitHandshake, HandshakeType};
use onionskin::keys::CIRCUIT_KEY_MATERIAL_LEN;
use onionskin::relay_crypto::{ClientCircuit, ClientHop};
use onionskin::{CircuitKeys, HandshakeError, KeyMaterial};
use rand_core::OsRng;

/// Cap on what a directory fetch may return (a descriptor is about 2-3 KB).
const MAX_DIR_RESPONSE: usize = 256 * 1024;

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

/// `keys` with one bit of one key flipped, rebuilt through the crate's own key split.
fn flipped_keys(keys: &CircuitKeys, which: KeyFlip) -> CircuitKeys {
    // The ntor layout, `Df | Db | Kf | Kb | KH` (tor-spec 5.2.2).
    let mut material = [0u8; CIRCUIT_KEY_MATERIAL_LEN];
    let parts: [&[u8]; 5] = [keys.df(), keys.db(), keys.kf(), keys.kb(), keys.kh()];
    for (dst, src) in material.iter_mut().zip(parts.into_iter().flatten()) {
        *dst = *src;
    }
    let offset = match which {
        KeyFlip::Df => 0,
        KeyFlip::Db => 20,
        KeyFlip::Kf => 40,
        KeyFlip::Kb => 56,
    };
    if let Some(b) = material.get_mut(offset) {
        *b ^= 0x01;
    }
    CircuitKeys::split_kh_last(&material)
}

/// What came back for a CREATE*/EXTEND2.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The hop was added; the relay's message (an extension list for ntor-v3, else empty).
    Added {
        /// The relay's handshake message, as bytes.
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
    /// Ed25519 identity, if the relay has one to prove on its link.
    pub(crate) ed_id: Option<[u8; 32]>,
}

/// A client circuit that owns its channel.
pub(crate) struct Circuit {
    chan: Channel,
    id: CircId,
    crypto: ClientCircuit,
    /// RELAY_EARLY cells left (tor-spec 5.6: at most 8 per circuit).
    early_left: u8,
}

impl core::fmt::Debug for Circuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Circuit")
            .field("id", &self.id)
            .field("hops", &self.crypto.len())
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
            crypto: ClientCircuit::new(),
            early_left: 8,
        })
    }

    /// The number of hops built.
    pub(crate) fn len(&self) -> usize {
        self.crypto.len()
    }

    /// Adds a hop whose keys came from a handshake run elsewhere, with one key bit flipped if
    /// `flip` says so.
    ///
    /// # Errors
    /// More hops than the crate's circuit holds.
    pub(crate) fn push_hop(&mut self, keys: &CircuitKeys, flip: Option<KeyFlip>) -> Result<()> {
        let keys = match flip {
            Some(which) => flipped_keys(keys, which),
            None => keys.clone(),
        };
        Ok(self.crypto.push(ClientHop::tor1(&keys))?)
    }

    /// The first hop through the crate's one-call API ([`ClientHandshake`]): it picks the
    /// cell (CREATE, CREATE_FAST or CREATE2) for `relay`, and turns whatever comes back into
    /// keys.
    ///
    /// # Errors
    /// I/O and encoding failures, a circuit that already has hops, and replies that are
    /// neither a CREATED* cell nor DESTROY.
    pub(crate) fn create(
        &mut self,
        relay: &RelayTarget<'_>,
        extensions: &[CircuitExtension<'_>],
        flip: Option<KeyFlip>,
    ) -> Result<Outcome> {
        ensure!(self.len() == 0, "CREATE on a circuit that has hops");
        let mut body = [0u8; PAYLOAD_LEN];
        let (client, command) = ClientHandshake::start(&mut OsRng, relay, extensions, &mut body)?;
        self.chan.send_raw(self.id.get(), command, &body)?;
        let reply = self.recv_on_circuit()?;
        if reply.command == Command::DESTROY {
            return Ok(Outcome::Destroyed(
                Destroy::decode(reply.fixed_body()?)?.reason(),
            ));
        }
        let (seed, message) = match client.finish(reply.command, reply.fixed_body()?) {
            Ok(done) => done,
            Err(e) => return Ok(Outcome::FinishFailed(e)),
        };
        self.push_hop(&seed.circuit_keys(), flip)?;
        Ok(Outcome::Added {
            server_message: message.as_ref().to_vec(),
        })
    }

    /// Runs handshake `H` for the next hop through the crate's generic API
    /// ([`CircuitHandshake`]): CREATE2 for the first hop, EXTEND2 (in RELAY_EARLY) to
    /// `target` after that.
    ///
    /// # Errors
    /// I/O and encoding failures, and replies that are neither CREATED2/EXTENDED2 nor DESTROY.
    pub(crate) fn add_hop<H: CircuitHandshake>(
        &mut self,
        relay: &H::RelayPublicKey,
        extensions: &[CircuitExtension<'_>],
        target: Option<&Target>,
    ) -> Result<Outcome> {
        let (state, skin) = H::client_start(&mut OsRng, relay, extensions)?;
        let reply = if self.len() == 0 {
            self.create2_raw(H::HTYPE, skin.as_ref())?
        } else {
            let target = target.ok_or_else(|| Error::new("EXTEND2 needs a target"))?;
            self.extend(H::HTYPE, skin.as_ref(), target)?
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(reason) => return Ok(Outcome::Destroyed(reason)),
        };
        let (seed, message) = match H::client_finish(state, &reply) {
            Ok(done) => done,
            Err(e) => return Ok(Outcome::FinishFailed(e)),
        };
        self.push_hop(&seed.circuit_keys(), None)?;
        Ok(Outcome::Added {
            server_message: message.as_ref().to_vec(),
        })
    }

    /// Sends CREATE2 with handshake `htype` and `skin` as given, and returns the CREATED2
    /// HDATA or the DESTROY reason.
    ///
    /// # Errors
    /// I/O and encoding failures, unexpected replies.
    pub(crate) fn create2_raw(
        &mut self,
        htype: HandshakeType,
        skin: &[u8],
    ) -> Result<core::result::Result<Vec<u8>, DestroyReason>> {
        let msg = CellMsg::Create2(Create2::new(htype, skin)?);
        self.chan.send_msg(self.id, &msg)?;
        let cell = self.recv_on_circuit()?;
        Ok(match cell.msg()? {
            CellMsg::Created2(c) => Ok(c.hdata().to_vec()),
            CellMsg::Destroy(d) => Err(d.reason()),
            other => bail!("expected CREATED2, got {:?}", other.command()),
        })
    }

    fn extend(
        &mut self,
        htype: HandshakeType,
        skin: &[u8],
        target: &Target,
    ) -> Result<core::result::Result<Vec<u8>, DestroyReason>> {
        // tor-spec 5.1.2's recommended order: IPv4, legacy identity, Ed25519 identity.
        let mut specs = vec![
            LinkSpec::Ipv4(target.addr),
            LinkSpec::LegacyId(&target.rsa_id),
        ];
        if let Some(ed_id) = &target.ed_id {
            specs.push(LinkSpec::Ed25519Id(ed_id));
        }
        let extend2 = Extend2::new(LinkSpecs::from_slice(&specs)?, Create2::new(htype, skin)?)?;
        let mut payload = [0u8; PAYLOAD_LEN];
        RelayCell::encode_msg_into(&RelayMsg::Extend2(extend2), 0, &mut payload, &mut OsRng)?;
        let last = self.len() - 1;
        self.send_payload(last, &mut payload, true)?;
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

    /// Sends one relay message to hop `hop` in a RELAY cell (tor-spec 6.1), with the crate's
    /// relay header codec (random padding) and tor1 layers.
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
        let mut payload = [0u8; PAYLOAD_LEN];
        RelayCell::new(command, stream, data)?.encode_into(&mut payload, &mut OsRng);
        self.send_payload(hop, &mut payload, false)
    }

    /// Sets the digest for hop `hop`, encrypts with the layers of hops `hop`..=0 and sends, in
    /// RELAY_EARLY (what EXTEND2 needs, tor-spec 5.6) or RELAY.
    fn send_payload(
        &mut self,
        hop: usize,
        payload: &mut [u8; PAYLOAD_LEN],
        early: bool,
    ) -> Result<()> {
        self.crypto.encrypt_forward(hop, payload)?;
        let command = if early {
            ensure!(self.early_left > 0, "no RELAY_EARLY left");
            self.early_left -= 1;
            Command::RELAY_EARLY
        } else {
            Command::RELAY
        };
        self.chan.send_raw(self.id.get(), command, payload)
    }

    /// Receives the next relay message or DESTROY on this circuit, removing layers until a
    /// hop recognizes it (the crate's `ClientCircuit::decrypt_backward`).
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
        let Some((hop, _sendme_tag)) = self.crypto.decrypt_backward(&mut payload) else {
            return Ok(Incoming::Unrecognized);
        };
        let relay = RelayCell::decode(&payload)?;
        Ok(Incoming::Relay {
            hop,
            command: relay.command(),
            stream: relay.stream_id(),
            data: relay.data().to_vec(),
        })
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

/// The value of the first `keyword` line of a descriptor.
pub(crate) fn descriptor_line<'a>(descriptor: &'a str, keyword: &str) -> Option<&'a str> {
    descriptor.lines().find_map(|line| {
        line.strip_prefix(keyword)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::trim)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flip_changes_one_bit_of_one_key() {
        let material: [u8; CIRCUIT_KEY_MATERIAL_LEN] =
            core::array::from_fn(|i| u8::try_from(i).expect("small"));
        let keys = CircuitKeys::split_kh_last(&material);
        assert!(flipped_keys(&keys, KeyFlip::Df) != keys);
        for which in [KeyFlip::Df, KeyFlip::Db, KeyFlip::Kf, KeyFlip::Kb] {
            let f = flipped_keys(&keys, which);
            let diff = |a: &[u8], b: &[u8]| {
                a.iter()
                    .zip(b)
                    .map(|(x, y)| (x ^ y).count_ones())
                    .sum::<u32>()
            };
            let bits = [
                diff(f.df(), keys.df()),
                diff(f.db(), keys.db()),
                diff(f.kf(), keys.kf()),
                diff(f.kb(), keys.kb()),
                diff(f.kh(), keys.kh()),
            ];
            let expected = match which {
                KeyFlip::Df => [1, 0, 0, 0, 0],
                KeyFlip::Db => [0, 1, 0, 0, 0],
                KeyFlip::Kf => [0, 0, 1, 0, 0],
                KeyFlip::Kb => [0, 0, 0, 1, 0],
            };
            assert_eq!(bits, expected, "{which:?}");
        }
    }

    #[test]
    fn descriptor_lines_by_keyword() {
        let d = "router a 127.0.0.1 9001 0 0\nntor-onion-key abc=\nntor-onion-key-crosscert 1\n";
        assert_eq!(descriptor_line(d, "ntor-onion-key"), Some("abc="));
        assert_eq!(descriptor_line(d, "router"), Some("a 127.0.0.1 9001 0 0"));
        assert_eq!(descriptor_line(d, "onion-key"), None);
    }
}
