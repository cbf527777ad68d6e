//! The relay message bodies that extend a circuit (tor-spec 5.1.2, 6.1): EXTEND/EXTENDED,
//! EXTEND2/EXTENDED2 and the link specifiers EXTEND2 carries.
//!
//! Only the message body is handled here, without the 11-byte relay header (its `Recognized`
//! and `Digest` fields belong to relay cryptography).

use super::{
    Create2, Created2, EXTEND_LEN, LegacyOnionSkin, RELAY_PAYLOAD_LEN, Reader, TAP_REPLY_LEN,
    Writer, len_u8, open_newtype,
};
use crate::{DecodeError, EncodeError, HandshakeType};
use core::fmt;
use core::iter::FusedIterator;
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

open_newtype! {
    /// A relay command (tor-spec 6.1). An open newtype: commands this crate does not know
    /// decode and re-encode unchanged.
    RelayCommand(u8) {
        /// Open a stream.
        BEGIN = 1,
        /// Stream data.
        DATA = 2,
        /// Close a stream.
        END = 3,
        /// Reply to BEGIN.
        CONNECTED = 4,
        /// Flow control.
        SENDME = 5,
        /// Extend a circuit (legacy, TAP or tagged ntor): [`Extend`].
        EXTEND = 6,
        /// Reply to EXTEND: [`Extended`].
        EXTENDED = 7,
        /// Remove hops from a circuit.
        TRUNCATE = 8,
        /// Reply to TRUNCATE.
        TRUNCATED = 9,
        /// Long-range padding.
        DROP = 10,
        /// Resolve a hostname.
        RESOLVE = 11,
        /// Reply to RESOLVE.
        RESOLVED = 12,
        /// Open a directory stream.
        BEGIN_DIR = 13,
        /// Extend a circuit with any handshake: [`Extend2`].
        EXTEND2 = 14,
        /// Reply to EXTEND2: [`Extended2`].
        EXTENDED2 = 15,
        /// Link circuits into a conflux set (proposal 329).
        CONFLUX_LINK = 19,
        /// Reply to CONFLUX_LINK.
        CONFLUX_LINKED = 20,
        /// Acknowledge CONFLUX_LINKED.
        CONFLUX_LINKED_ACK = 21,
        /// Switch conflux legs.
        CONFLUX_SWITCH = 22,
        /// Onion services: establish an introduction point.
        ESTABLISH_INTRO = 32,
        /// Onion services: establish a rendezvous point.
        ESTABLISH_RENDEZVOUS = 33,
        /// Onion services: introduction from the client.
        INTRODUCE1 = 34,
        /// Onion services: introduction relayed to the service.
        INTRODUCE2 = 35,
        /// Onion services: rendezvous from the service.
        RENDEZVOUS1 = 36,
        /// Onion services: rendezvous relayed to the client.
        RENDEZVOUS2 = 37,
        /// Onion services: reply to ESTABLISH_INTRO.
        INTRO_ESTABLISHED = 38,
        /// Onion services: reply to ESTABLISH_RENDEZVOUS.
        RENDEZVOUS_ESTABLISHED = 39,
        /// Onion services: reply to INTRODUCE1.
        INTRODUCE_ACK = 40,
        /// Circuit padding negotiation.
        PADDING_NEGOTIATE = 41,
        /// Reply to PADDING_NEGOTIATE.
        PADDING_NEGOTIATED = 42,
        /// Stream flow control: stop sending (proposal 324).
        XOFF = 43,
        /// Stream flow control: resume sending.
        XON = 44,
    }
}

open_newtype! {
    /// A link specifier type in EXTEND2 (tor-spec 5.1.2). An open newtype: unknown types are
    /// carried through untouched.
    LinkSpecType(u8) {
        /// TLS over TCP, IPv4: address (4) and port (2).
        IPV4 = 0,
        /// TLS over TCP, IPv6: address (16) and port (2).
        IPV6 = 1,
        /// The legacy identity: SHA-1 of the relay's DER-encoded RSA identity key (20).
        LEGACY_ID = 2,
        /// The relay's Ed25519 identity key (32).
        ED25519_ID = 3,
    }
}

impl LinkSpecType {
    /// The exact LSLEN a known type must have, or `None` for an unknown type.
    #[must_use]
    pub const fn expected_len(self) -> Option<usize> {
        match self {
            Self::IPV4 => Some(6),
            Self::IPV6 => Some(18),
            Self::LEGACY_ID => Some(20),
            Self::ED25519_ID => Some(32),
            _ => None,
        }
    }
}

/// One link specifier of an EXTEND2 message (tor-spec 5.1.2): `LSTYPE | LSLEN | LSPEC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkSpec<'a> {
    /// An IPv4 address and ORPort (type 0).
    Ipv4(SocketAddrV4),
    /// An IPv6 address and ORPort (type 1). The wire format has no flow label or scope ID:
    /// they decode as 0 and are not encoded.
    Ipv6(SocketAddrV6),
    /// The legacy RSA identity fingerprint (type 2).
    LegacyId(&'a [u8; 20]),
    /// The Ed25519 identity key (type 3).
    Ed25519Id(&'a [u8; 32]),
    /// A type this crate does not know, carried unread. Its `lstype` must not be one of the
    /// known types.
    Unrecognized {
        /// The link specifier type.
        lstype: LinkSpecType,
        /// The specifier's bytes (LSPEC), at most 255.
        data: &'a [u8],
    },
}

impl<'a> LinkSpec<'a> {
    /// Builds a link specifier from its type and contents.
    ///
    /// # Errors
    /// [`DecodeError::LengthOutOfRange`] (field `LSLEN`) if a known type has the wrong length.
    pub fn from_parts(lstype: LinkSpecType, data: &'a [u8]) -> Result<Self, DecodeError> {
        if let Some(n) = lstype.expected_len()
            && data.len() != n
        {
            return Err(DecodeError::LengthOutOfRange {
                field: "LSLEN",
                value: data.len(),
                limit: n,
            });
        }
        let mut r = Reader::new(data);
        Ok(match lstype {
            LinkSpecType::IPV4 => {
                let addr = Ipv4Addr::from(*r.take_array::<4>()?);
                Self::Ipv4(SocketAddrV4::new(addr, r.take_u16()?))
            }
            LinkSpecType::IPV6 => {
                let addr = Ipv6Addr::from(*r.take_array::<16>()?);
                Self::Ipv6(SocketAddrV6::new(addr, r.take_u16()?, 0, 0))
            }
            LinkSpecType::LEGACY_ID => Self::LegacyId(r.take_array()?),
            LinkSpecType::ED25519_ID => Self::Ed25519Id(r.take_array()?),
            lstype => Self::Unrecognized { lstype, data },
        })
    }

    /// Reads `LSTYPE | LSLEN | LSPEC`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if LSPEC runs past the input, and as
    /// [`LinkSpec::from_parts`].
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let lstype = LinkSpecType(r.take_u8()?);
        let lslen = usize::from(r.take_u8()?);
        Self::from_parts(lstype, r.take(lslen)?)
    }

    /// Writes `LSTYPE | LSLEN | LSPEC` at the start of `out` and returns its length
    /// ([`encoded_len`](Self::encoded_len)).
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit; for [`LinkSpec::Unrecognized`],
    /// [`EncodeError::InvalidValue`] for a known type and [`EncodeError::TooLong`] for more
    /// than 255 bytes.
    ///
    /// ```
    /// use onionskin::codec::LinkSpec;
    /// let mut out = [0u8; 22];
    /// assert_eq!(LinkSpec::LegacyId(&[7; 20]).encode_into(&mut out)?, 22);
    /// assert_eq!(&out[..3], &[2, 20, 7]);
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(out);
        self.write(&mut w)?;
        Ok(w.finish())
    }

    /// The link specifier type.
    #[must_use]
    pub const fn lstype(&self) -> LinkSpecType {
        match self {
            Self::Ipv4(_) => LinkSpecType::IPV4,
            Self::Ipv6(_) => LinkSpecType::IPV6,
            Self::LegacyId(_) => LinkSpecType::LEGACY_ID,
            Self::Ed25519Id(_) => LinkSpecType::ED25519_ID,
            Self::Unrecognized { lstype, .. } => *lstype,
        }
    }

    /// LSLEN: the length of the specifier's contents.
    #[must_use]
    pub const fn lslen(&self) -> usize {
        match self {
            Self::Ipv4(_) => 6,
            Self::Ipv6(_) => 18,
            Self::LegacyId(_) => 20,
            Self::Ed25519Id(_) => 32,
            Self::Unrecognized { data, .. } => data.len(),
        }
    }

    /// Bytes this specifier takes on the wire: 2 + LSLEN.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        2 + self.lslen()
    }

    /// Checks what the type system cannot: an unrecognized specifier has an unknown type and
    /// at most 255 bytes.
    fn check(&self) -> Result<(), EncodeError> {
        if let Self::Unrecognized { lstype, data } = self {
            if lstype.expected_len().is_some() {
                return Err(EncodeError::InvalidValue { field: "LSTYPE" });
            }
            len_u8(data.len(), "LSPEC")?;
        }
        Ok(())
    }

    /// Writes `LSTYPE | LSLEN | LSPEC`.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit; for [`LinkSpec::Unrecognized`],
    /// [`EncodeError::InvalidValue`] for a known type and [`EncodeError::TooLong`] for more
    /// than 255 bytes.
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        self.check()?;
        w.put_u8(self.lstype().0)?;
        w.put_u8(len_u8(self.lslen(), "LSPEC")?)?;
        match self {
            Self::Ipv4(a) => {
                w.put(&a.ip().octets())?;
                w.put_u16(a.port())
            }
            Self::Ipv6(a) => {
                w.put(&a.ip().octets())?;
                w.put_u16(a.port())
            }
            Self::LegacyId(id) => w.put(*id),
            Self::Ed25519Id(id) => w.put(*id),
            Self::Unrecognized { data, .. } => w.put(data),
        }
    }
}

/// The link specifiers of an EXTEND2 message: `NSPEC`, then NSPEC specifiers.
///
/// Either the wire bytes of a decoded message, checked once when decoded and then iterated
/// lazily, or a slice of [`LinkSpec`]s to encode. Two lists are equal when they hold the same
/// specifiers in the same order, whichever form they are in.
#[derive(Clone, Copy)]
pub struct LinkSpecs<'a> {
    repr: SpecsRepr<'a>,
}

#[derive(Clone, Copy)]
enum SpecsRepr<'a> {
    /// `count` specifiers, already validated, in `bytes` (without the NSPEC byte).
    Wire {
        count: u8,
        bytes: &'a [u8],
    },
    List(&'a [LinkSpec<'a>]),
}

impl<'a> LinkSpecs<'a> {
    /// A list to encode.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] for more than 255 specifiers or an unrecognized specifier over
    /// 255 bytes, and [`EncodeError::InvalidValue`] for an unrecognized specifier with a known
    /// type.
    pub fn from_slice(specs: &'a [LinkSpec<'a>]) -> Result<Self, EncodeError> {
        len_u8(specs.len(), "NSPEC")?;
        for s in specs {
            s.check()?;
        }
        Ok(Self {
            repr: SpecsRepr::List(specs),
        })
    }

    /// Reads `NSPEC` and the specifiers, checking every length once and handing each
    /// specifier to `each` as it is read.
    pub(super) fn read_each(
        r: &mut Reader<'a>,
        mut each: impl FnMut(LinkSpec<'a>) -> Result<(), DecodeError>,
    ) -> Result<Self, DecodeError> {
        let count = r.take_u8()?;
        let start = r.peek_rest();
        for _ in 0..count {
            each(LinkSpec::read(r)?)?;
        }
        let used = start.len() - r.remaining();
        let bytes = Reader::new(start).take(used)?;
        Ok(Self {
            repr: SpecsRepr::Wire { count, bytes },
        })
    }

    /// NSPEC: the number of specifiers.
    #[must_use]
    pub const fn len(&self) -> usize {
        match self.repr {
            SpecsRepr::Wire { count, .. } => count as usize,
            SpecsRepr::List(l) => l.len(),
        }
    }

    /// Whether there are no specifiers.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The specifiers, in order.
    #[must_use]
    pub fn iter(&self) -> LinkSpecIter<'a> {
        LinkSpecIter {
            repr: match self.repr {
                SpecsRepr::Wire { count, bytes } => IterRepr::Wire {
                    left: count,
                    r: Reader::new(bytes),
                },
                SpecsRepr::List(l) => IterRepr::List(l.iter()),
            },
        }
    }

    /// Bytes the list takes on the wire, NSPEC included.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        match self.repr {
            SpecsRepr::Wire { bytes, .. } => 1 + bytes.len(),
            SpecsRepr::List(l) => 1 + l.iter().map(LinkSpec::encoded_len).sum::<usize>(),
        }
    }

    /// Writes `NSPEC` and the specifiers.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if they do not fit.
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.put_u8(len_u8(self.len(), "NSPEC")?)?;
        match self.repr {
            SpecsRepr::Wire { bytes, .. } => w.put(bytes),
            SpecsRepr::List(l) => l.iter().try_for_each(|s| s.write(w)),
        }
    }
}

impl PartialEq for LinkSpecs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for LinkSpecs<'_> {}

impl fmt::Debug for LinkSpecs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for LinkSpecs<'a> {
    type Item = LinkSpec<'a>;
    type IntoIter = LinkSpecIter<'a>;
    fn into_iter(self) -> LinkSpecIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &LinkSpecs<'a> {
    type Item = LinkSpec<'a>;
    type IntoIter = LinkSpecIter<'a>;
    fn into_iter(self) -> LinkSpecIter<'a> {
        self.iter()
    }
}

/// An iterator over [`LinkSpecs`]. It cannot fail: the list was checked when it was made.
#[derive(Clone, Debug)]
pub struct LinkSpecIter<'a> {
    repr: IterRepr<'a>,
}

#[derive(Clone, Debug)]
enum IterRepr<'a> {
    Wire { left: u8, r: Reader<'a> },
    List(core::slice::Iter<'a, LinkSpec<'a>>),
}

impl<'a> Iterator for LinkSpecIter<'a> {
    type Item = LinkSpec<'a>;

    fn next(&mut self) -> Option<LinkSpec<'a>> {
        match &mut self.repr {
            IterRepr::Wire { left, r } => {
                *left = left.checked_sub(1)?;
                // Validated when the list was read, so this cannot fail; if it somehow did,
                // ending the iteration is the safe answer.
                let spec = LinkSpec::read(r).ok();
                if spec.is_none() {
                    *left = 0;
                }
                spec
            }
            IterRepr::List(it) => it.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.repr {
            IterRepr::Wire { left, .. } => usize::from(*left),
            IterRepr::List(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for LinkSpecIter<'_> {}
impl FusedIterator for LinkSpecIter<'_> {}

/// The bodies of relay messages with a known command: decoded from and encoded into exactly
/// the relay message's data (the relay header's `Length` bytes).
pub trait RelayMsgBody<'a>: Sized {
    /// The relay command that carries this body.
    const COMMAND: RelayCommand;

    /// Decodes a relay message body.
    ///
    /// # Errors
    /// [`DecodeError::LengthOutOfRange`] for a body over 498 bytes, and a [`DecodeError`]
    /// saying which field is malformed.
    fn decode(body: &'a [u8]) -> Result<Self, DecodeError>;

    /// Bytes [`RelayMsgBody::encode_into`] writes.
    fn encoded_len(&self) -> usize;

    /// Writes the body (no padding) to the start of `out` and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is shorter than [`RelayMsgBody::encoded_len`];
    /// nothing is written then.
    fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError>;
}

/// Rejects a relay message body that cannot fit a relay cell (C tor `extend_cell_parse`,
/// `extended_cell_parse`).
pub(super) const fn check_relay_len(body: &[u8], field: &'static str) -> Result<(), DecodeError> {
    if body.len() > RELAY_PAYLOAD_LEN {
        return Err(DecodeError::LengthOutOfRange {
            field,
            value: body.len(),
            limit: RELAY_PAYLOAD_LEN,
        });
    }
    Ok(())
}

/// Checks room for `len` bytes before anything is written.
pub(super) fn writer_for(out: &mut [u8], len: usize) -> Result<Writer<'_>, EncodeError> {
    if out.len() < len {
        return Err(EncodeError::BufferTooSmall { needed: len });
    }
    Ok(Writer::new(out))
}

/// Whether C tor would use this address to extend: neither the address nor the port is zero
/// (`tor_addr_port_is_valid_ap` with `for_listening = 0`).
fn usable_v4(a: &SocketAddrV4) -> bool {
    !a.ip().is_unspecified() && a.port() != 0
}

fn usable_v6(a: &SocketAddrV6) -> bool {
    !a.ip().is_unspecified() && a.port() != 0
}

/// EXTEND (relay command 6, tor-spec 5.1.2): the legacy extend request.
/// `IPv4 address | ORPort | onion skin[186] | identity fingerprint[20]` (212 bytes).
///
/// As in C tor (`check_extend_cell`), the identity is not all-zero and the address and port
/// are not zero. Bytes after the 212 are ignored, as C tor's parser does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extend<'a> {
    orport: SocketAddrV4,
    skin: LegacyOnionSkin<'a>,
    identity: &'a [u8; 20],
}

impl<'a> Extend<'a> {
    /// An EXTEND body asking to extend to `orport`, the relay with RSA identity fingerprint
    /// `identity`, with onion skin `skin`.
    ///
    /// # Errors
    /// [`EncodeError::InvalidValue`] for an all-zero identity or a zero address or port.
    pub fn new(
        orport: SocketAddrV4,
        skin: LegacyOnionSkin<'a>,
        identity: &'a [u8; 20],
    ) -> Result<Self, EncodeError> {
        if identity == &[0; 20] {
            return Err(EncodeError::InvalidValue { field: "identity" });
        }
        if !usable_v4(&orport) {
            return Err(EncodeError::InvalidValue { field: "ORPort" });
        }
        Ok(Self {
            orport,
            skin,
            identity,
        })
    }

    /// The address and ORPort to extend to.
    #[must_use]
    pub const fn orport(&self) -> SocketAddrV4 {
        self.orport
    }

    /// The onion skin: TAP, or a tagged ntor skin.
    #[must_use]
    pub const fn onion_skin(&self) -> LegacyOnionSkin<'a> {
        self.skin
    }

    /// The next relay's RSA identity fingerprint (SHA-1 of its DER-encoded identity key).
    #[must_use]
    pub const fn identity(&self) -> &'a [u8; 20] {
        self.identity
    }
}

impl<'a> RelayMsgBody<'a> for Extend<'a> {
    const COMMAND: RelayCommand = RelayCommand::EXTEND;

    fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        check_relay_len(body, "EXTEND body")?;
        let mut r = Reader::new(body);
        let addr = Ipv4Addr::from(*r.take_array::<4>()?);
        let port = r.take_u16()?;
        let skin = LegacyOnionSkin::parse(r.take_array()?);
        let identity = r.take_array::<20>()?;
        // Whatever follows is ignored, as C tor's trunnel parser does.
        if identity == &[0; 20] {
            return Err(DecodeError::InvalidValue { field: "identity" });
        }
        let orport = SocketAddrV4::new(addr, port);
        if !usable_v4(&orport) {
            return Err(DecodeError::InvalidValue { field: "ORPort" });
        }
        Ok(Self {
            orport,
            skin,
            identity,
        })
    }

    fn encoded_len(&self) -> usize {
        EXTEND_LEN
    }

    fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = writer_for(out, EXTEND_LEN)?;
        w.put(&self.orport.ip().octets())?;
        w.put_u16(self.orport.port())?;
        let _ = self.skin.encode_into(w.reserve_array()?)?;
        w.put(self.identity)?;
        Ok(w.finish())
    }
}

/// EXTENDED (relay command 7, tor-spec 5.1.2): the 148-byte TAP reply, exactly (C tor
/// rejects any other length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extended<'a> {
    reply: &'a [u8; TAP_REPLY_LEN],
}

impl<'a> Extended<'a> {
    /// An EXTENDED body carrying `reply`.
    #[must_use]
    pub const fn new(reply: &'a [u8; TAP_REPLY_LEN]) -> Self {
        Self { reply }
    }

    /// The TAP reply `g^y | KH`.
    #[must_use]
    pub const fn reply(&self) -> &'a [u8; TAP_REPLY_LEN] {
        self.reply
    }
}

impl<'a> RelayMsgBody<'a> for Extended<'a> {
    const COMMAND: RelayCommand = RelayCommand::EXTENDED;

    fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        check_relay_len(body, "EXTENDED body")?;
        let mut r = Reader::new(body);
        let reply = r.take_array()?;
        r.finish()?;
        Ok(Self { reply })
    }

    fn encoded_len(&self) -> usize {
        TAP_REPLY_LEN
    }

    fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = writer_for(out, TAP_REPLY_LEN)?;
        w.put(self.reply)?;
        Ok(w.finish())
    }
}

/// What the link specifiers say, gathered once when an [`Extend2`] is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Summary<'a> {
    rsa_id: &'a [u8; 20],
    ed25519_id: Option<&'a [u8; 32]>,
    ipv4: Option<SocketAddrV4>,
    ipv6: Option<SocketAddrV6>,
}

/// Why a link specifier list cannot extend a circuit (C tor
/// `extend_cell_from_extend2_cell_body`, `check_extend_cell`).
enum SpecProblem {
    DuplicateRsaId,
    DuplicateEd25519Id,
    MissingRsaId,
    ZeroRsaId,
    MissingAddress,
    UnusableAddress,
}

impl SpecProblem {
    const fn decode_error(self) -> DecodeError {
        match self {
            Self::DuplicateRsaId => DecodeError::Duplicate {
                what: "legacy RSA identity link specifier",
            },
            Self::DuplicateEd25519Id => DecodeError::Duplicate {
                what: "Ed25519 identity link specifier",
            },
            Self::MissingRsaId => DecodeError::Missing {
                what: "legacy RSA identity link specifier",
            },
            Self::ZeroRsaId => DecodeError::InvalidValue {
                field: "legacy RSA identity (all zero)",
            },
            Self::MissingAddress => DecodeError::Missing {
                what: "IPv4 or IPv6 link specifier",
            },
            Self::UnusableAddress => DecodeError::InvalidValue {
                field: "link specifier address (zero address or port)",
            },
        }
    }

    const fn encode_error(self) -> EncodeError {
        EncodeError::InvalidValue {
            field: match self {
                Self::DuplicateRsaId => "link specifiers: duplicate legacy RSA identity",
                Self::DuplicateEd25519Id => "link specifiers: duplicate Ed25519 identity",
                Self::MissingRsaId => "link specifiers: no legacy RSA identity",
                Self::ZeroRsaId => "link specifiers: all-zero legacy RSA identity",
                Self::MissingAddress => "link specifiers: no IPv4 or IPv6 address",
                Self::UnusableAddress => "link specifiers: zero address or port",
            },
        }
    }
}

/// Applies C tor's rules, one specifier at a time: exactly one legacy RSA identity, not all
/// zero; at most one Ed25519 identity; and a usable address in the first IPv4 or the first
/// IPv6 specifier (C tor uses only the first of each and ignores the rest). Unknown types are
/// ignored.
#[derive(Default)]
struct SummaryBuilder<'a> {
    rsa_id: Option<&'a [u8; 20]>,
    ed25519_id: Option<&'a [u8; 32]>,
    ipv4: Option<SocketAddrV4>,
    ipv6: Option<SocketAddrV6>,
}

impl<'a> SummaryBuilder<'a> {
    fn add(&mut self, spec: LinkSpec<'a>) -> Result<(), SpecProblem> {
        match spec {
            LinkSpec::Ipv4(a) => {
                self.ipv4.get_or_insert(a);
            }
            LinkSpec::Ipv6(a) => {
                self.ipv6.get_or_insert(a);
            }
            LinkSpec::LegacyId(id) => {
                if self.rsa_id.replace(id).is_some() {
                    return Err(SpecProblem::DuplicateRsaId);
                }
            }
            LinkSpec::Ed25519Id(id) => {
                if self.ed25519_id.replace(id).is_some() {
                    return Err(SpecProblem::DuplicateEd25519Id);
                }
            }
            LinkSpec::Unrecognized { .. } => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<Summary<'a>, SpecProblem> {
        let rsa_id = self.rsa_id.ok_or(SpecProblem::MissingRsaId)?;
        if rsa_id == &[0; 20] {
            return Err(SpecProblem::ZeroRsaId);
        }
        let (ipv4, ipv6) = (self.ipv4, self.ipv6);
        if ipv4.is_none() && ipv6.is_none() {
            return Err(SpecProblem::MissingAddress);
        }
        if !ipv4.as_ref().is_some_and(usable_v4) && !ipv6.as_ref().is_some_and(usable_v6) {
            return Err(SpecProblem::UnusableAddress);
        }
        Ok(Summary {
            rsa_id,
            ed25519_id: self.ed25519_id,
            ipv4,
            ipv6,
        })
    }
}

/// EXTEND2 (relay command 14, tor-spec 5.1.2): link specifiers, then a CREATE2 body.
/// `NSPEC | NSPEC × (LSTYPE | LSLEN | LSPEC) | HTYPE | HLEN | HDATA`.
///
/// An `Extend2` always satisfies C tor's rules: known link specifier types have their exact
/// lengths; exactly one legacy RSA identity, not all zero; at most one Ed25519 identity; a
/// usable IPv4 or IPv6 address; and a [`Create2`] that may have an unknown HTYPE (the relay
/// forwards it unread) but never HTYPE 1. Bytes after HDATA are ignored, as C tor's parser
/// does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extend2<'a> {
    link_specs: LinkSpecs<'a>,
    create2: Create2<'a>,
    summary: Summary<'a>,
}

impl<'a> Extend2<'a> {
    /// An EXTEND2 body with these link specifiers and CREATE2 body. The specifiers are sent
    /// in the order given; tor-spec 5.1.2 recommends IPv4, legacy identity, Ed25519 identity,
    /// IPv6, which is what C tor sends.
    ///
    /// # Errors
    /// [`EncodeError::InvalidValue`] if the link specifiers break a rule above, and
    /// [`EncodeError::TooLong`] if the message exceeds 498 bytes.
    pub fn new(link_specs: LinkSpecs<'a>, create2: Create2<'a>) -> Result<Self, EncodeError> {
        let mut summary = SummaryBuilder::default();
        link_specs
            .iter()
            .try_for_each(|spec| summary.add(spec))
            .map_err(SpecProblem::encode_error)?;
        let summary = summary.finish().map_err(SpecProblem::encode_error)?;
        let len = link_specs.encoded_len() + create2.encoded_len();
        if len > RELAY_PAYLOAD_LEN {
            return Err(EncodeError::TooLong {
                field: "EXTEND2 body",
                len,
                max: RELAY_PAYLOAD_LEN,
            });
        }
        Ok(Self {
            link_specs,
            create2,
            summary,
        })
    }

    /// The link specifiers, in order, unknown types included.
    #[must_use]
    pub const fn link_specs(&self) -> LinkSpecs<'a> {
        self.link_specs
    }

    /// The CREATE2 body to send to the next relay.
    #[must_use]
    pub const fn create2(&self) -> Create2<'a> {
        self.create2
    }

    /// The handshake type (HTYPE), possibly one this crate does not know.
    #[must_use]
    pub const fn htype(&self) -> HandshakeType {
        self.create2.htype()
    }

    /// The onion skin (HDATA).
    #[must_use]
    pub const fn hdata(&self) -> &'a [u8] {
        self.create2.hdata()
    }

    /// The next relay's legacy RSA identity fingerprint (always present).
    #[must_use]
    pub const fn rsa_id(&self) -> &'a [u8; 20] {
        self.summary.rsa_id
    }

    /// The next relay's Ed25519 identity, if given.
    #[must_use]
    pub const fn ed25519_id(&self) -> Option<&'a [u8; 32]> {
        self.summary.ed25519_id
    }

    /// The first IPv4 address and ORPort, if any (C tor ignores later ones). At least one
    /// of this and [`Extend2::ipv6`] has a non-zero address and port.
    #[must_use]
    pub const fn ipv4(&self) -> Option<SocketAddrV4> {
        self.summary.ipv4
    }

    /// The first IPv6 address and ORPort, if any.
    #[must_use]
    pub const fn ipv6(&self) -> Option<SocketAddrV6> {
        self.summary.ipv6
    }
}

impl<'a> RelayMsgBody<'a> for Extend2<'a> {
    const COMMAND: RelayCommand = RelayCommand::EXTEND2;

    fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        check_relay_len(body, "EXTEND2 body")?;
        let mut r = Reader::new(body);
        // One pass: each specifier is checked as it is read.
        let mut summary = SummaryBuilder::default();
        let link_specs = LinkSpecs::read_each(&mut r, |spec| {
            summary.add(spec).map_err(SpecProblem::decode_error)
        })?;
        // An unknown HTYPE is allowed here: the relay forwards it (C tor `unknown_ok`).
        let create2 = Create2::read(&mut r, true)?;
        // Whatever follows HDATA is ignored, as C tor's trunnel parser does.
        let summary = summary.finish().map_err(SpecProblem::decode_error)?;
        Ok(Self {
            link_specs,
            create2,
            summary,
        })
    }

    fn encoded_len(&self) -> usize {
        self.link_specs.encoded_len() + self.create2.encoded_len()
    }

    fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = writer_for(out, self.encoded_len())?;
        self.link_specs.write(&mut w)?;
        self.create2.write(&mut w)?;
        Ok(w.finish())
    }
}

/// EXTENDED2 (relay command 15, tor-spec 5.1.2): a CREATED2 body, `HLEN | HDATA`.
/// HLEN is at most 496; bytes after HDATA are ignored, as C tor's parser does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extended2<'a> {
    created2: Created2<'a>,
}

impl<'a> Extended2<'a> {
    /// An EXTENDED2 body carrying the relay's reply `hdata`.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if `hdata` exceeds 496 bytes.
    pub fn new(hdata: &'a [u8]) -> Result<Self, EncodeError> {
        Ok(Self {
            created2: Created2::new(hdata)?,
        })
    }

    /// The relay's reply (HDATA).
    #[must_use]
    pub const fn hdata(&self) -> &'a [u8] {
        self.created2.hdata()
    }
}

/// A relay passes a CREATED2 back as an EXTENDED2 unchanged (tor-spec 5.1.2).
impl<'a> From<Created2<'a>> for Extended2<'a> {
    fn from(created2: Created2<'a>) -> Self {
        Self { created2 }
    }
}

impl<'a> From<Extended2<'a>> for Created2<'a> {
    fn from(e: Extended2<'a>) -> Self {
        e.created2
    }
}

impl<'a> RelayMsgBody<'a> for Extended2<'a> {
    const COMMAND: RelayCommand = RelayCommand::EXTENDED2;

    fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        check_relay_len(body, "EXTENDED2 body")?;
        // Whatever follows HDATA is ignored, as C tor's parser does.
        Ok(Self {
            created2: Created2::read(&mut Reader::new(body))?,
        })
    }

    fn encoded_len(&self) -> usize {
        self.created2.encoded_len()
    }

    fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = writer_for(out, self.encoded_len())?;
        self.created2.write(&mut w)?;
        Ok(w.finish())
    }
}

/// Any relay message body, decoded according to its relay command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayMsg<'a> {
    /// EXTEND (relay command 6).
    Extend(Extend<'a>),
    /// EXTENDED (relay command 7).
    Extended(Extended<'a>),
    /// EXTEND2 (relay command 14).
    Extend2(Extend2<'a>),
    /// EXTENDED2 (relay command 15).
    Extended2(Extended2<'a>),
    /// A relay command this codec has no view for; the body is left as it is.
    Other {
        /// The relay command.
        command: RelayCommand,
        /// The whole body.
        body: &'a [u8],
    },
}

impl<'a> RelayMsg<'a> {
    /// Decodes `body` as the body of a `command` relay message.
    ///
    /// # Errors
    /// Whatever that body's decoder reports; [`RelayMsg::Other`] never fails.
    pub fn decode(command: RelayCommand, body: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(match command {
            RelayCommand::EXTEND => Self::Extend(Extend::decode(body)?),
            RelayCommand::EXTENDED => Self::Extended(Extended::decode(body)?),
            RelayCommand::EXTEND2 => Self::Extend2(Extend2::decode(body)?),
            RelayCommand::EXTENDED2 => Self::Extended2(Extended2::decode(body)?),
            command => Self::Other { command, body },
        })
    }

    /// The relay command that carries this body.
    #[must_use]
    pub const fn command(&self) -> RelayCommand {
        match self {
            Self::Extend(_) => Extend::COMMAND,
            Self::Extended(_) => Extended::COMMAND,
            Self::Extend2(_) => Extend2::COMMAND,
            Self::Extended2(_) => Extended2::COMMAND,
            Self::Other { command, .. } => *command,
        }
    }

    /// Bytes [`RelayMsg::encode_into`] writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Extend(m) => m.encoded_len(),
            Self::Extended(m) => m.encoded_len(),
            Self::Extend2(m) => m.encoded_len(),
            Self::Extended2(m) => m.encoded_len(),
            Self::Other { body, .. } => body.len(),
        }
    }

    /// Writes the body to the start of `out` and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is too short.
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        match self {
            Self::Extend(m) => m.encode_into(out),
            Self::Extended(m) => m.encode_into(out),
            Self::Extend2(m) => m.encode_into(out),
            Self::Extended2(m) => m.encode_into(out),
            Self::Other { body, .. } => {
                let mut w = writer_for(out, body.len())?;
                w.put(body)?;
                Ok(w.finish())
            }
        }
    }
}
