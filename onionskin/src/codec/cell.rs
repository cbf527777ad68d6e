//! Fixed-size cell framing (tor-spec 3): `CircID | Command | Body[509]`.

use super::{
    Create, Create2, CreateFast, Created, Created2, CreatedFast, Destroy, PAYLOAD_LEN, Reader,
    Writer, open_newtype,
};
use crate::{DecodeError, EncodeError};
use core::num::NonZeroU32;

/// How wide circuit IDs are on a link, which fixes the cell size (tor-spec 3).
///
/// Link protocols 1 to 3 use 2-byte circuit IDs and 512-byte cells; link protocol 4 and later
/// use 4-byte IDs and 514-byte cells. (A VERSIONS cell always has a 2-byte ID, but it is a
/// variable-length cell, which this framing does not cover.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CircIdWidth {
    /// 2-byte circuit IDs, 512-byte cells: link protocol 3 and below.
    Narrow,
    /// 4-byte circuit IDs, 514-byte cells: link protocol 4 and up.
    Wide,
}

impl CircIdWidth {
    /// The width a negotiated link protocol version uses.
    #[must_use]
    pub const fn for_link_protocol(version: u16) -> Self {
        if version >= 4 {
            Self::Wide
        } else {
            Self::Narrow
        }
    }

    /// Length of the circuit ID field: 2 or 4.
    #[must_use]
    pub const fn circ_id_len(self) -> usize {
        match self {
            Self::Narrow => 2,
            Self::Wide => 4,
        }
    }

    /// Length of the cell header: circuit ID and command byte.
    #[must_use]
    pub const fn header_len(self) -> usize {
        self.circ_id_len() + 1
    }

    /// Length of a whole fixed-size cell: 512 or 514 (C tor `get_cell_network_size`).
    #[must_use]
    pub const fn cell_len(self) -> usize {
        self.header_len() + PAYLOAD_LEN
    }
}

/// A circuit ID. Zero is reserved and never names a circuit (tor-spec 5.1.1), so it cannot be
/// represented; a cell carrying it fails to decode with [`DecodeError::ZeroCircId`].
///
/// On link protocol 4 and up the connection's initiator sets the most significant bit and the
/// responder clears it; which side sent a cell is the caller's business, not the codec's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CircId(NonZeroU32);

impl CircId {
    /// The circuit ID `id`, or `None` for the reserved 0.
    #[must_use]
    pub const fn new(id: u32) -> Option<Self> {
        match NonZeroU32::new(id) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The numeric value.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0.get()
    }

    /// Whether this ID can be sent on a link of the given width (a narrow link carries at
    /// most `0xffff`).
    #[must_use]
    pub const fn fits(self, width: CircIdWidth) -> bool {
        match width {
            CircIdWidth::Narrow => self.get() <= 0xffff,
            CircIdWidth::Wide => true,
        }
    }
}

impl core::fmt::Display for CircId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#x}", self.get())
    }
}

open_newtype! {
    /// A cell command (tor-spec 3). An open newtype: commands this crate does not know decode
    /// and re-encode unchanged.
    Command(u8) {
        /// Link padding (circuit ID 0).
        PADDING = 0,
        /// Create a circuit with TAP (or a tagged ntor skin): [`Create`].
        CREATE = 1,
        /// Reply to CREATE: [`Created`].
        CREATED = 2,
        /// An end-to-end relay cell.
        RELAY = 3,
        /// Tear down a circuit: [`Destroy`].
        DESTROY = 4,
        /// Create a circuit without public-key cryptography: [`CreateFast`].
        CREATE_FAST = 5,
        /// Reply to CREATE_FAST: [`CreatedFast`].
        CREATED_FAST = 6,
        /// Link protocol negotiation (variable-length).
        VERSIONS = 7,
        /// Time and address information (circuit ID 0).
        NETINFO = 8,
        /// A relay cell that may carry EXTEND/EXTEND2.
        RELAY_EARLY = 9,
        /// Create a circuit with any handshake type: [`Create2`].
        CREATE2 = 10,
        /// Reply to CREATE2: [`Created2`].
        CREATED2 = 11,
        /// Link padding negotiation (circuit ID 0).
        PADDING_NEGOTIATE = 12,
        /// Variable-length padding.
        VPADDING = 128,
        /// Certificates (variable-length).
        CERTS = 129,
        /// Authentication challenge (variable-length).
        AUTH_CHALLENGE = 130,
        /// Authentication (variable-length).
        AUTHENTICATE = 131,
        /// Reserved (variable-length).
        AUTHORIZE = 132,
    }
}

impl Command {
    /// Whether cells with this command are variable-length (tor-spec 3: VERSIONS, and every
    /// command of 128 or more on link protocol 3 and later). Such cells have a length field
    /// and are not fixed-size [`Cell`]s.
    #[must_use]
    pub const fn is_variable_length(self) -> bool {
        self.0 == Self::VERSIONS.0 || self.0 >= 128
    }
}

/// A fixed-size cell (tor-spec 3): circuit ID, command and a 509-byte body, borrowed from the
/// input.
///
/// Only circuit cells are represented: circuit ID 0 (used by link-level cells such as
/// PADDING and NETINFO) is rejected with [`DecodeError::ZeroCircId`], and variable-length
/// commands with [`DecodeError::WrongCommand`], so a caller reading a stream checks
/// [`Command::is_variable_length`] before framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell<'a> {
    circ_id: CircId,
    command: Command,
    body: &'a [u8; PAYLOAD_LEN],
}

impl<'a> Cell<'a> {
    /// A cell with the given header and body.
    ///
    /// # Errors
    /// [`EncodeError::InvalidValue`] for a variable-length command, which has no fixed-size form.
    pub const fn new(
        circ_id: CircId,
        command: Command,
        body: &'a [u8; PAYLOAD_LEN],
    ) -> Result<Self, EncodeError> {
        if command.is_variable_length() {
            return Err(EncodeError::InvalidValue { field: "command" });
        }
        Ok(Self {
            circ_id,
            command,
            body,
        })
    }

    /// Decodes one whole cell: `frame` must be exactly [`CircIdWidth::cell_len`] bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] or [`DecodeError::TrailingBytes`] if `frame` has the wrong
    /// length, [`DecodeError::WrongCommand`] for a variable-length command, and
    /// [`DecodeError::ZeroCircId`] for circuit ID 0.
    pub fn decode(frame: &'a [u8], width: CircIdWidth) -> Result<Self, DecodeError> {
        // Check the length before the contents, so a frame of the wrong size is reported as such.
        let extra = frame.len().saturating_sub(width.cell_len());
        if extra > 0 {
            return Err(DecodeError::TrailingBytes { extra });
        }
        Self::read(&mut Reader::new(frame), width)
    }

    /// Decodes the cell at the start of `bytes` and returns it with the bytes after it.
    ///
    /// # Errors
    /// As [`Cell::decode`], except that bytes after the cell are returned, not an error.
    pub fn decode_prefix(
        bytes: &'a [u8],
        width: CircIdWidth,
    ) -> Result<(Self, &'a [u8]), DecodeError> {
        let mut r = Reader::new(bytes);
        let cell = Self::read(&mut r, width)?;
        Ok((cell, r.take_rest()))
    }

    /// Reads one cell from `r`.
    ///
    /// # Errors
    /// As [`Cell::decode`]; on error nothing useful is left in `r`.
    pub(crate) fn read(r: &mut Reader<'a>, width: CircIdWidth) -> Result<Self, DecodeError> {
        // Check the whole length first, so a short input reports the whole shortfall.
        if r.remaining() < width.cell_len() {
            return Err(DecodeError::Truncated {
                needed: width.cell_len() - r.remaining(),
            });
        }
        let circ_id = match width {
            CircIdWidth::Narrow => u32::from(r.take_u16()?),
            CircIdWidth::Wide => r.take_u32()?,
        };
        let command = Command(r.take_u8()?);
        let body = r.take_array::<PAYLOAD_LEN>()?;
        if command.is_variable_length() {
            return Err(DecodeError::WrongCommand { found: command.0 });
        }
        let circ_id = CircId::new(circ_id).ok_or(DecodeError::ZeroCircId)?;
        Ok(Self {
            circ_id,
            command,
            body,
        })
    }

    /// The circuit ID.
    #[must_use]
    pub const fn circ_id(&self) -> CircId {
        self.circ_id
    }

    /// The command.
    #[must_use]
    pub const fn command(&self) -> Command {
        self.command
    }

    /// The 509-byte body, padding included.
    #[must_use]
    pub const fn body(&self) -> &'a [u8; PAYLOAD_LEN] {
        self.body
    }

    /// Decodes the body as `B`, checking that the command is `B`'s.
    ///
    /// # Errors
    /// [`DecodeError::WrongCommand`] if the command is not [`CellBody::COMMAND`], else
    /// whatever `B`'s decoder reports.
    pub fn body_as<B: CellBody<'a>>(&self) -> Result<B, DecodeError> {
        if self.command != B::COMMAND {
            return Err(DecodeError::WrongCommand {
                found: self.command.0,
            });
        }
        B::decode(self.body)
    }

    /// Decodes the body according to the command.
    ///
    /// # Errors
    /// Whatever the body's decoder reports. Commands without a view here decode to
    /// [`CellMsg::Other`] and never fail.
    pub fn msg(&self) -> Result<CellMsg<'a>, DecodeError> {
        CellMsg::decode(self.command, self.body)
    }

    /// Writes the whole cell ([`CircIdWidth::cell_len`] bytes) to the start of `out` and
    /// returns that length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is shorter than a cell, and
    /// [`EncodeError::InvalidValue`] if the circuit ID does not fit a narrow link.
    pub fn encode_into(&self, width: CircIdWidth, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = start_cell(out, self.circ_id, self.command, width)?;
        w.put(self.body)?;
        Ok(w.finish())
    }
}

/// Checks room for a whole cell, then writes its header.
fn start_cell(
    out: &mut [u8],
    circ_id: CircId,
    command: Command,
    width: CircIdWidth,
) -> Result<Writer<'_>, EncodeError> {
    if out.len() < width.cell_len() {
        return Err(EncodeError::BufferTooSmall {
            needed: width.cell_len(),
        });
    }
    if command.is_variable_length() {
        return Err(EncodeError::InvalidValue { field: "command" });
    }
    let mut w = Writer::new(out);
    match width {
        CircIdWidth::Narrow => {
            let id = u16::try_from(circ_id.get())
                .map_err(|_| EncodeError::InvalidValue { field: "circ_id" })?;
            w.put_u16(id)?;
        }
        CircIdWidth::Wide => w.put_u32(circ_id.get())?,
    }
    w.put_u8(command.0)?;
    Ok(w)
}

/// The body of a fixed-size cell with a known command: decoded from and encoded into the
/// 509-byte body, with the header handled by the provided methods.
pub trait CellBody<'a>: Sized {
    /// The command that carries this body.
    const COMMAND: Command;

    /// Decodes a cell body (tor-spec 3). Bytes after the body's last field are padding and
    /// are ignored.
    ///
    /// # Errors
    /// A [`DecodeError`] saying which field is malformed.
    fn decode(body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError>;

    /// Writes the body, then NUL padding to the end of `body`, and returns how many bytes
    /// come before the padding.
    ///
    /// # Errors
    /// Only [`Create`] can fail, with [`EncodeError::InvalidValue`] for a TAP skin that starts
    /// with the ntor tag (a receiver would misread it); the other views' constructors already
    /// checked everything.
    fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError>;

    /// Decodes a whole cell and its body, checking the command.
    ///
    /// # Errors
    /// As [`Cell::decode`] and [`Cell::body_as`].
    fn decode_cell(frame: &'a [u8], width: CircIdWidth) -> Result<(CircId, Self), DecodeError> {
        let cell = Cell::decode(frame, width)?;
        Ok((cell.circ_id(), cell.body_as()?))
    }

    /// Writes a whole cell with this body to the start of `out` and returns its length
    /// ([`CircIdWidth::cell_len`]). The body is encoded in place, not copied.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is shorter than a cell, and
    /// [`EncodeError::InvalidValue`] if the circuit ID does not fit a narrow link.
    fn encode_cell(
        &self,
        circ_id: CircId,
        width: CircIdWidth,
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let mut w = start_cell(out, circ_id, Self::COMMAND, width)?;
        self.encode_into(w.reserve_array::<PAYLOAD_LEN>()?)?;
        Ok(w.finish())
    }
}

/// Any fixed-size cell body, decoded according to its command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CellMsg<'a> {
    /// CREATE (command 1).
    Create(Create<'a>),
    /// CREATED (command 2).
    Created(Created<'a>),
    /// CREATE_FAST (command 5).
    CreateFast(CreateFast<'a>),
    /// CREATED_FAST (command 6).
    CreatedFast(CreatedFast<'a>),
    /// CREATE2 (command 10).
    Create2(Create2<'a>),
    /// CREATED2 (command 11).
    Created2(Created2<'a>),
    /// DESTROY (command 4).
    Destroy(Destroy),
    /// A command this codec has no view for (RELAY, PADDING, or one it does not know); the
    /// body is left as it is.
    Other {
        /// The command.
        command: Command,
        /// The whole body.
        body: &'a [u8; PAYLOAD_LEN],
    },
}

impl<'a> CellMsg<'a> {
    /// Decodes `body` as the body of a `command` cell.
    ///
    /// # Errors
    /// Whatever that body's decoder reports; [`CellMsg::Other`] never fails.
    pub fn decode(command: Command, body: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        Ok(match command {
            Command::CREATE => Self::Create(Create::decode(body)?),
            Command::CREATED => Self::Created(Created::decode(body)?),
            Command::CREATE_FAST => Self::CreateFast(CreateFast::decode(body)?),
            Command::CREATED_FAST => Self::CreatedFast(CreatedFast::decode(body)?),
            Command::CREATE2 => Self::Create2(Create2::decode(body)?),
            Command::CREATED2 => Self::Created2(Created2::decode(body)?),
            Command::DESTROY => Self::Destroy(Destroy::decode(body)?),
            command => Self::Other { command, body },
        })
    }

    /// The command that carries this body.
    #[must_use]
    pub const fn command(&self) -> Command {
        match self {
            Self::Create(_) => Create::COMMAND,
            Self::Created(_) => Created::COMMAND,
            Self::CreateFast(_) => CreateFast::COMMAND,
            Self::CreatedFast(_) => CreatedFast::COMMAND,
            Self::Create2(_) => Create2::COMMAND,
            Self::Created2(_) => Created2::COMMAND,
            Self::Destroy(_) => Destroy::COMMAND,
            Self::Other { command, .. } => *command,
        }
    }

    /// Writes the body and its NUL padding; returns the length before the padding (509 for
    /// [`CellMsg::Other`], whose body is copied whole).
    ///
    /// # Errors
    /// As [`CellBody::encode_into`].
    pub fn encode_into(&self, body: &mut [u8; PAYLOAD_LEN]) -> Result<usize, EncodeError> {
        match self {
            Self::Create(m) => m.encode_into(body),
            Self::Created(m) => m.encode_into(body),
            Self::CreateFast(m) => m.encode_into(body),
            Self::CreatedFast(m) => m.encode_into(body),
            Self::Create2(m) => m.encode_into(body),
            Self::Created2(m) => m.encode_into(body),
            Self::Destroy(m) => m.encode_into(body),
            Self::Other { body: b, .. } => {
                body.copy_from_slice(*b);
                Ok(PAYLOAD_LEN)
            }
        }
    }

    /// Writes a whole cell with this body to the start of `out` and returns its length.
    ///
    /// # Errors
    /// As [`CellBody::encode_cell`], and [`EncodeError::InvalidValue`] for an
    /// [`CellMsg::Other`] with a variable-length command.
    pub fn encode_cell(
        &self,
        circ_id: CircId,
        width: CircIdWidth,
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let mut w = start_cell(out, circ_id, self.command(), width)?;
        self.encode_into(w.reserve_array::<PAYLOAD_LEN>()?)?;
        Ok(w.finish())
    }
}
