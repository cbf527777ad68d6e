//! The bodies of the cells that create and destroy circuits (tor-spec 5.1, 5.4):
//! CREATE/CREATED, CREATE_FAST/CREATED_FAST, CREATE2/CREATED2 and DESTROY.

use super::{
    CREATE_FAST_LEN, CREATE2_MAX_HLEN, CREATED_FAST_LEN, CREATED2_MAX_HLEN, CellBody, Command,
    NTOR_ONIONSKIN_LEN, PAYLOAD_LEN, Reader, TAP_ONIONSKIN_LEN, TAP_REPLY_LEN, Writer, len_u16,
    open_newtype,
};
use crate::{DecodeError, EncodeError, HandshakeType};

/// The onion skin of a legacy CREATE cell or EXTEND message: 186 bytes holding either a TAP
/// onion skin, or the tag `"ntorNTORntorNTOR"`, an 84-byte ntor onion skin and padding.
///
/// The tagged form (tor-spec 5.1.2) let clients extend with ntor through relays that did not
/// know EXTEND2. C tor tells the two apart by the tag alone, and so does this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyOnionSkin<'a> {
    /// A TAP onion skin (tor-spec 5.1.3).
    Tap(&'a [u8; TAP_ONIONSKIN_LEN]),
    /// An ntor onion skin (tor-spec 5.1.4) behind the tag.
    Ntor(&'a [u8; NTOR_ONIONSKIN_LEN]),
}

impl<'a> LegacyOnionSkin<'a> {
    /// The 16 bytes that mark an ntor onion skin in a CREATE cell or EXTEND message.
    pub const NTOR_TAG: &'static [u8; 16] = b"ntorNTORntorNTOR";

    /// Reads the 186-byte skin: tagged ntor if it starts with [`Self::NTOR_TAG`], else TAP.
    /// Bytes after a tagged ntor skin are padding and ignored.
    #[must_use]
    pub fn parse(skin: &'a [u8; TAP_ONIONSKIN_LEN]) -> Self {
        let mut r = Reader::new(skin);
        match (r.take_array::<16>(), r.take_array::<NTOR_ONIONSKIN_LEN>()) {
            (Ok(tag), Ok(ntor)) if tag == Self::NTOR_TAG => Self::Ntor(ntor),
            _ => Self::Tap(skin),
        }
    }

    /// The handshake the skin is for: [`HandshakeType::TAP`] or [`HandshakeType::NTOR`].
    #[must_use]
    pub const fn handshake_type(self) -> HandshakeType {
        match self {
            Self::Tap(_) => HandshakeType::TAP,
            Self::Ntor(_) => HandshakeType::NTOR,
        }
    }

    /// The handshake's own bytes: the TAP skin (186), or the ntor skin without tag (84).
    #[must_use]
    pub const fn handshake_data(self) -> &'a [u8] {
        match self {
            Self::Tap(skin) => skin,
            Self::Ntor(skin) => skin,
        }
    }

    /// Writes the 186-byte skin (NUL after a tagged ntor skin) and returns how many bytes
    /// come before that padding.
    ///
    /// # Errors
    /// [`EncodeError::InvalidValue`] for a TAP skin that starts with [`Self::NTOR_TAG`]: a
    /// receiver would read it as ntor.
    pub fn encode_into(&self, out: &mut [u8; TAP_ONIONSKIN_LEN]) -> Result<usize, EncodeError> {
        match self {
            Self::Tap(skin) => {
                if skin.starts_with(Self::NTOR_TAG) {
                    return Err(EncodeError::InvalidValue {
                        field: "TAP onion skin",
                    });
                }
                out.copy_from_slice(*skin);
                Ok(TAP_ONIONSKIN_LEN)
            }
            Self::Ntor(skin) => {
                let mut w = Writer::new(out);
                w.put(Self::NTOR_TAG)?;
                w.put(*skin)?;
                Ok(w.finish_with_padding())
            }
        }
    }
}

/// CREATE (command 1, tor-spec 5.1): a legacy onion skin, then padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Create<'a> {
    skin: LegacyOnionSkin<'a>,
}

impl<'a> Create<'a> {
    /// A CREATE body carrying `skin`.
    #[must_use]
    pub const fn new(skin: LegacyOnionSkin<'a>) -> Self {
        Self { skin }
    }

    /// A CREATE body carrying a TAP onion skin.
    #[must_use]
    pub const fn tap(skin: &'a [u8; TAP_ONIONSKIN_LEN]) -> Self {
        Self::new(LegacyOnionSkin::Tap(skin))
    }

    /// The onion skin.
    #[must_use]
    pub const fn onion_skin(&self) -> LegacyOnionSkin<'a> {
        self.skin
    }

    /// The handshake type the skin is for (TAP, or ntor if tagged).
    #[must_use]
    pub const fn handshake_type(&self) -> HandshakeType {
        self.skin.handshake_type()
    }
}

impl<'a> CellBody<'a> for Create<'a> {
    const COMMAND: Command = Command::CREATE;

    fn decode(body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        let skin = Reader::new(body).take_array::<TAP_ONIONSKIN_LEN>()?;
        Ok(Self::new(LegacyOnionSkin::parse(skin)))
    }

    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(body);
        let used = self.skin.encode_into(w.reserve_array()?)?;
        let _ = w.finish_with_padding();
        Ok(used)
    }
}

/// CREATED (command 2, tor-spec 5.1): the 148-byte TAP reply `g^y | KH`, then padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Created<'a> {
    reply: &'a [u8; TAP_REPLY_LEN],
}

impl<'a> Created<'a> {
    /// A CREATED body carrying `reply`.
    #[must_use]
    pub const fn new(reply: &'a [u8; TAP_REPLY_LEN]) -> Self {
        Self { reply }
    }

    /// The whole reply, as the TAP client consumes it.
    #[must_use]
    pub const fn reply(&self) -> &'a [u8; TAP_REPLY_LEN] {
        self.reply
    }

    /// The relay's Diffie-Hellman public value `g^y` (128 bytes).
    #[must_use]
    pub fn gy(&self) -> &'a [u8] {
        // A constant split inside a fixed-size array: cannot panic.
        self.reply.split_at(128).0
    }

    /// `KH`, the 20-byte key confirmation (tor-spec 5.2.1).
    #[must_use]
    pub fn kh(&self) -> &'a [u8] {
        self.reply.split_at(128).1
    }
}

impl<'a> CellBody<'a> for Created<'a> {
    const COMMAND: Command = Command::CREATED;

    fn decode(body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        Ok(Self::new(Reader::new(body).take_array()?))
    }

    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(body);
        w.put(self.reply)?;
        Ok(w.finish_with_padding())
    }
}

/// CREATE_FAST (command 5, tor-spec 5.1.5): the client's 20 random bytes `X`, then padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreateFast<'a> {
    x: &'a [u8; CREATE_FAST_LEN],
}

impl<'a> CreateFast<'a> {
    /// A CREATE_FAST body carrying `x`.
    #[must_use]
    pub const fn new(x: &'a [u8; CREATE_FAST_LEN]) -> Self {
        Self { x }
    }

    /// The client's `X`.
    #[must_use]
    pub const fn x(&self) -> &'a [u8; CREATE_FAST_LEN] {
        self.x
    }
}

impl<'a> CellBody<'a> for CreateFast<'a> {
    const COMMAND: Command = Command::CREATE_FAST;

    fn decode(body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        Ok(Self::new(Reader::new(body).take_array()?))
    }

    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(body);
        w.put(self.x)?;
        Ok(w.finish_with_padding())
    }
}

/// CREATED_FAST (command 6, tor-spec 5.1.5): the relay's `Y | KH` (40 bytes), then padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreatedFast<'a> {
    reply: &'a [u8; CREATED_FAST_LEN],
}

impl<'a> CreatedFast<'a> {
    /// A CREATED_FAST body carrying `reply` (`Y | KH`).
    #[must_use]
    pub const fn new(reply: &'a [u8; CREATED_FAST_LEN]) -> Self {
        Self { reply }
    }

    /// The whole reply, as the CREATE_FAST client consumes it.
    #[must_use]
    pub const fn reply(&self) -> &'a [u8; CREATED_FAST_LEN] {
        self.reply
    }

    /// The relay's 20 random bytes `Y`.
    #[must_use]
    pub fn y(&self) -> &'a [u8] {
        // A constant split inside a fixed-size array: cannot panic.
        self.reply.split_at(20).0
    }

    /// `KH`, the 20-byte key confirmation.
    #[must_use]
    pub fn kh(&self) -> &'a [u8] {
        self.reply.split_at(20).1
    }
}

impl<'a> CellBody<'a> for CreatedFast<'a> {
    const COMMAND: Command = Command::CREATED_FAST;

    fn decode(body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        Ok(Self::new(Reader::new(body).take_array()?))
    }

    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(body);
        w.put(self.reply)?;
        Ok(w.finish_with_padding())
    }
}

/// What HLEN a CREATE2 handshake type must have (C tor `check_create_cell`).
enum HlenRule {
    /// HTYPE 1 (CREATE_FAST) may not appear in CREATE2 or EXTEND2.
    Forbidden,
    /// TAP must be 186 bytes, ntor 84.
    Exact(usize),
    /// ntor-v3: any length; its own parser checks the minimum.
    Any,
    /// A type this crate does not know.
    Unknown,
}

const fn hlen_rule(htype: HandshakeType) -> HlenRule {
    match htype {
        HandshakeType::FAST => HlenRule::Forbidden,
        HandshakeType::TAP => HlenRule::Exact(TAP_ONIONSKIN_LEN),
        HandshakeType::NTOR => HlenRule::Exact(NTOR_ONIONSKIN_LEN),
        HandshakeType::NTOR_V3 => HlenRule::Any,
        _ => HlenRule::Unknown,
    }
}

/// CREATE2 (command 10, tor-spec 5.1): `HTYPE | HLEN | HDATA[HLEN]`, then padding. Also the
/// tail of an [`Extend2`](super::Extend2) message.
///
/// A `Create2` always satisfies C tor's rules (`parse_create2_payload`, `check_create_cell`):
/// HLEN at most 505, HTYPE 1 never, 186 bytes for TAP and 84 for ntor. A received CREATE2
/// must also have a known HTYPE; one taken from an EXTEND2 may have any other, because a
/// relay forwards it unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Create2<'a> {
    htype: HandshakeType,
    hdata: &'a [u8],
}

impl<'a> Create2<'a> {
    /// A CREATE2 body for handshake `htype` with onion skin `hdata`. Unknown handshake types
    /// are allowed, so that a relay can forward what an EXTEND2 carried.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if `hdata` exceeds 505 bytes, and
    /// [`EncodeError::InvalidValue`] for HTYPE 1 or a TAP/ntor skin of the wrong length.
    pub fn new(htype: HandshakeType, hdata: &'a [u8]) -> Result<Self, EncodeError> {
        len_u16(hdata.len(), "HDATA", CREATE2_MAX_HLEN)?;
        match hlen_rule(htype) {
            HlenRule::Forbidden => Err(EncodeError::InvalidValue { field: "HTYPE" }),
            HlenRule::Exact(n) if n != hdata.len() => {
                Err(EncodeError::InvalidValue { field: "HLEN" })
            }
            _ => Ok(Self { htype, hdata }),
        }
    }

    /// The handshake type.
    #[must_use]
    pub const fn htype(&self) -> HandshakeType {
        self.htype
    }

    /// The onion skin (HDATA).
    #[must_use]
    pub const fn hdata(&self) -> &'a [u8] {
        self.hdata
    }

    /// Reads `HTYPE | HLEN | HDATA`. `unknown_ok` says whether an unknown HTYPE is allowed
    /// (inside EXTEND2) or not (a received CREATE2).
    pub(crate) fn read(r: &mut Reader<'a>, unknown_ok: bool) -> Result<Self, DecodeError> {
        let htype = HandshakeType(r.take_u16()?);
        let hlen = usize::from(r.take_u16()?);
        if hlen > CREATE2_MAX_HLEN {
            return Err(DecodeError::LengthOutOfRange {
                field: "HLEN",
                value: hlen,
                limit: CREATE2_MAX_HLEN,
            });
        }
        match hlen_rule(htype) {
            HlenRule::Forbidden => return Err(DecodeError::BadHandshakeType { htype: htype.0 }),
            HlenRule::Unknown if !unknown_ok => {
                return Err(DecodeError::BadHandshakeType { htype: htype.0 });
            }
            HlenRule::Exact(n) if n != hlen => {
                return Err(DecodeError::LengthOutOfRange {
                    field: "HLEN",
                    value: hlen,
                    limit: n,
                });
            }
            _ => {}
        }
        let hdata = r.take(hlen)?;
        Ok(Self { htype, hdata })
    }

    /// Bytes this body takes before any padding: 4 + HLEN.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        4 + self.hdata.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.put_u16(self.htype.0)?;
        w.put_u16(len_u16(self.hdata.len(), "HDATA", CREATE2_MAX_HLEN)?)?;
        w.put(self.hdata)
    }
}

impl<'a> CellBody<'a> for Create2<'a> {
    const COMMAND: Command = Command::CREATE2;

    /// Decodes a received CREATE2: unknown handshake types are rejected here (C tor answers
    /// them with DESTROY, reason PROTOCOL).
    fn decode(body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(body), false)
    }

    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(body);
        self.write(&mut w)?;
        Ok(w.finish_with_padding())
    }
}

/// CREATED2 (command 11, tor-spec 5.1): `HLEN | HDATA[HLEN]`, then padding. Also the body of
/// an [`Extended2`](super::Extended2) message.
///
/// HLEN is at most 496 so that the reply always fits an EXTENDED2 (C tor
/// `check_created_cell`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Created2<'a> {
    hdata: &'a [u8],
}

impl<'a> Created2<'a> {
    /// A CREATED2 body carrying the relay's reply `hdata`.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if `hdata` exceeds 496 bytes.
    pub fn new(hdata: &'a [u8]) -> Result<Self, EncodeError> {
        len_u16(hdata.len(), "HDATA", CREATED2_MAX_HLEN)?;
        Ok(Self { hdata })
    }

    /// The relay's reply (HDATA).
    #[must_use]
    pub const fn hdata(&self) -> &'a [u8] {
        self.hdata
    }

    /// Bytes this body takes before any padding: 2 + HLEN.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        2 + self.hdata.len()
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let hlen = usize::from(r.take_u16()?);
        if hlen > CREATED2_MAX_HLEN {
            return Err(DecodeError::LengthOutOfRange {
                field: "HLEN",
                value: hlen,
                limit: CREATED2_MAX_HLEN,
            });
        }
        Ok(Self {
            hdata: r.take(hlen)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.put_u16(len_u16(self.hdata.len(), "HDATA", CREATED2_MAX_HLEN)?)?;
        w.put(self.hdata)
    }
}

impl<'a> CellBody<'a> for Created2<'a> {
    const COMMAND: Command = Command::CREATED2;

    fn decode(body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(body))
    }

    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(body);
        self.write(&mut w)?;
        Ok(w.finish_with_padding())
    }
}

open_newtype! {
    /// Why a circuit is torn down (tor-spec 5.4). An open newtype: reasons this crate does not
    /// know decode and re-encode unchanged.
    DestroyReason(u8) {
        /// No reason given (what a client sends, so as not to leak anything).
        NONE = 0,
        /// Tor protocol violation.
        PROTOCOL = 1,
        /// Internal error.
        INTERNAL = 2,
        /// A client sent a TRUNCATE command.
        REQUESTED = 3,
        /// Not currently operating; trying to save bandwidth.
        HIBERNATING = 4,
        /// Out of memory, sockets or circuit IDs.
        RESOURCELIMIT = 5,
        /// Unable to reach the relay.
        CONNECTFAILED = 6,
        /// Connected to the relay, but its identity was not as expected.
        OR_IDENTITY = 7,
        /// The connection carrying this circuit died.
        CHANNEL_CLOSED = 8,
        /// The circuit has expired for being dirty or old.
        FINISHED = 9,
        /// Circuit construction took too long.
        TIMEOUT = 10,
        /// The circuit was destroyed without a client TRUNCATE (what a relay passes on).
        DESTROYED = 11,
        /// Request for an unknown onion service.
        NOSUCHSERVICE = 12,
    }
}

/// DESTROY (command 4, tor-spec 5.4): one reason byte, then padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Destroy {
    reason: DestroyReason,
}

impl Destroy {
    /// A DESTROY body giving `reason`.
    #[must_use]
    pub const fn new(reason: DestroyReason) -> Self {
        Self { reason }
    }

    /// The reason, unknown values included.
    #[must_use]
    pub const fn reason(&self) -> DestroyReason {
        self.reason
    }
}

impl CellBody<'_> for Destroy {
    const COMMAND: Command = Command::DESTROY;

    fn decode(body: &[u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        Ok(Self::new(DestroyReason(Reader::new(body).take_u8()?)))
    }

    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(body);
        w.put_u8(self.reason.0)?;
        Ok(w.finish_with_padding())
    }
}
