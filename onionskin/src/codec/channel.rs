//! Every cell on a channel (tor-spec 3): fixed-size and variable-length cells, circuit ID 0,
//! and framing a byte stream into cells.
//!
//! Fixed-size: `CircID | Command | Body[509]`. Variable-length: `CircID | Command |
//! Length[2] | Body[Length]`. `CircID` is 2 bytes before link protocol 4 (and on the
//! VERSIONS cell, which comes before any protocol is agreed), 4 bytes from 4 on.

use super::{
    Cell, CellMsg, CircId, Command, Destroy, PAYLOAD_LEN, Reader, Writer,
    link::{AuthChallenge, Certs, Netinfo, Padding, Versions, Vpadding},
};
use crate::{DecodeError, EncodeError};

/// The longest header of a variable-length cell: 4-byte circuit ID, command, length (C tor
/// `VAR_CELL_MAX_HEADER_SIZE`).
pub const VAR_CELL_MAX_HEADER_LEN: usize = 7;

/// The link protocol a channel speaks, which fixes the width of circuit IDs and which commands
/// are variable-length (tor-spec 3, 4.1).
///
/// [`LinkProtocol::NEGOTIATING`] is the state before VERSIONS has been exchanged: 2-byte
/// circuit IDs, and VERSIONS plus every command from 128 up variable-length (C tor
/// `cell_command_is_var_length` with protocol 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkProtocol(u16);

impl LinkProtocol {
    /// Before VERSIONS has been exchanged.
    pub const NEGOTIATING: Self = Self(0);
    /// Link protocol 3: 2-byte circuit IDs, 512-byte cells.
    pub const V3: Self = Self(3);
    /// Link protocol 4: 4-byte circuit IDs, 514-byte cells.
    pub const V4: Self = Self(4);
    /// Link protocol 5: as 4, plus link padding negotiation (proposal 254).
    pub const V5: Self = Self(5);

    /// The protocol with this version number (0 means [`LinkProtocol::NEGOTIATING`]).
    ///
    /// ```
    /// use onionskin::codec::{CircIdWidth, LinkProtocol};
    /// assert_eq!(LinkProtocol::new(4).circ_id_width(), CircIdWidth::Wide);
    /// ```
    #[must_use]
    pub const fn new(version: u16) -> Self {
        Self(version)
    }

    /// The version number (0 while negotiating).
    #[must_use]
    pub const fn version(self) -> u16 {
        self.0
    }

    /// How wide circuit IDs are.
    #[must_use]
    pub const fn circ_id_width(self) -> super::CircIdWidth {
        super::CircIdWidth::for_link_protocol(self.0)
    }

    /// Whether `command` is variable-length on this protocol (C tor
    /// `cell_command_is_var_length`): none on 1, only VERSIONS on 2, VERSIONS and every
    /// command from 128 on 3 and up and while negotiating.
    ///
    /// ```
    /// use onionskin::codec::{Command, LinkProtocol};
    /// assert!(LinkProtocol::V4.is_variable_length(Command::CERTS));
    /// assert!(!LinkProtocol::V4.is_variable_length(Command::NETINFO));
    /// ```
    #[must_use]
    pub const fn is_variable_length(self, command: Command) -> bool {
        match self.0 {
            1 => false,
            2 => command.0 == Command::VERSIONS.0,
            _ => command.0 == Command::VERSIONS.0 || command.0 >= 128,
        }
    }
}

/// Whether a command belongs to a circuit and so needs a non-zero circuit ID (tor-spec 5.1.1:
/// 0 names no circuit). The others are link-level and are sent with circuit ID 0.
const fn is_circuit_command(command: Command) -> bool {
    matches!(command.0, 1..=6 | 9..=11)
}

/// Any cell read off a channel, borrowed from the input: circuit ID (possibly 0), command and
/// body (509 bytes for a fixed-size cell, `Length` bytes for a variable-length one).
///
/// Framing never looks inside the body; [`ChannelCell::msg`] decodes it and applies the
/// circuit-ID rules, so a reader can skip a bad cell and carry on, as C tor does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelCell<'a> {
    link: LinkProtocol,
    circ_id: u32,
    command: Command,
    body: &'a [u8],
}

impl<'a> ChannelCell<'a> {
    /// A cell to send. A fixed-size cell's body may be shorter than 509 bytes: it is padded
    /// with NUL when encoded (tor-spec 3).
    ///
    /// # Errors
    /// [`EncodeError::InvalidValue`] for circuit ID 0 on a circuit command (CREATE*, CREATED*,
    /// RELAY*, DESTROY) or a circuit ID too wide for the link; [`EncodeError::TooLong`] for a
    /// body over 509 bytes (fixed-size) or 65535 bytes (variable-length).
    ///
    /// ```
    /// use onionskin::codec::{ChannelCell, Command, LinkProtocol};
    /// let cell = ChannelCell::new(LinkProtocol::V4, 0, Command::VPADDING, &[0; 3])?;
    /// let mut out = [0u8; 16];
    /// assert_eq!(cell.encode_into(&mut out)?, 10);
    /// assert_eq!(out[..10], [0, 0, 0, 0, 128, 0, 3, 0, 0, 0]);
    /// assert!(ChannelCell::new(LinkProtocol::V4, 0, Command::CREATE2, &[]).is_err());
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn new(
        link: LinkProtocol,
        circ_id: u32,
        command: Command,
        body: &'a [u8],
    ) -> Result<Self, EncodeError> {
        if circ_id == 0 && is_circuit_command(command) {
            return Err(EncodeError::InvalidValue { field: "circ_id" });
        }
        if !CircId::new(circ_id).is_none_or(|id| id.fits(link.circ_id_width())) {
            return Err(EncodeError::InvalidValue { field: "circ_id" });
        }
        let max = if link.is_variable_length(command) {
            usize::from(u16::MAX)
        } else {
            PAYLOAD_LEN
        };
        if body.len() > max {
            return Err(EncodeError::TooLong {
                field: "cell body",
                len: body.len(),
                max,
            });
        }
        Ok(Self {
            link,
            circ_id,
            command,
            body,
        })
    }

    /// Frames the cell at the start of `bytes` and returns it with the bytes after it.
    ///
    /// # Errors
    /// Only [`DecodeError::Truncated`], when `bytes` holds less than a whole cell: `needed`
    /// more bytes are required. Before the header is complete that is what the header still
    /// lacks; after it, what the whole cell lacks. Nothing else can fail: a 2-byte length
    /// field bounds every cell to 65 542 bytes, and nothing is allocated.
    ///
    /// ```
    /// use onionskin::codec::{ChannelCell, Command, LinkProtocol};
    /// use onionskin::DecodeError;
    /// let stream = [0, 0, 7, 0, 4, 0, 4, 0, 5, 0xaa];
    /// let (cell, rest) = ChannelCell::frame(&stream, LinkProtocol::NEGOTIATING)?;
    /// assert_eq!((cell.command(), cell.body()), (Command::VERSIONS, &stream[5..9]));
    /// assert_eq!(rest, &[0xaa]);
    /// assert_eq!(
    ///     ChannelCell::frame(&stream[..6], LinkProtocol::NEGOTIATING),
    ///     Err(DecodeError::Truncated { needed: 3 })
    /// );
    /// # Ok::<(), DecodeError>(())
    /// ```
    pub fn frame(bytes: &'a [u8], link: LinkProtocol) -> Result<(Self, &'a [u8]), DecodeError> {
        let id_len = link.circ_id_width().circ_id_len();
        let mut r = Reader::new(bytes);
        if r.remaining() < id_len + 1 {
            return Err(DecodeError::Truncated {
                needed: id_len + 1 - r.remaining(),
            });
        }
        let circ_id = if id_len == 2 {
            u32::from(r.take_u16()?)
        } else {
            r.take_u32()?
        };
        let command = Command(r.take_u8()?);
        let body_len = if link.is_variable_length(command) {
            if r.remaining() < 2 {
                return Err(DecodeError::Truncated {
                    needed: 2 - r.remaining(),
                });
            }
            usize::from(r.take_u16()?)
        } else {
            PAYLOAD_LEN
        };
        let body = r.take(body_len)?;
        Ok((
            Self {
                link,
                circ_id,
                command,
                body,
            },
            r.take_rest(),
        ))
    }

    /// The link protocol the cell was framed with.
    #[must_use]
    pub const fn link_protocol(&self) -> LinkProtocol {
        self.link
    }

    /// The circuit ID, 0 for link-level cells.
    #[must_use]
    pub const fn circ_id(&self) -> u32 {
        self.circ_id
    }

    /// The command.
    #[must_use]
    pub const fn command(&self) -> Command {
        self.command
    }

    /// Whether this is a variable-length cell.
    #[must_use]
    pub const fn is_variable_length(&self) -> bool {
        self.link.is_variable_length(self.command)
    }

    /// The body: 509 bytes (padding included) for a fixed-size cell read off the wire,
    /// `Length` bytes for a variable-length one.
    #[must_use]
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The cell as a circuit [`Cell`], for the circuit-level codec.
    ///
    /// # Errors
    /// [`DecodeError::ZeroCircId`] for circuit ID 0, [`DecodeError::WrongCommand`] for a
    /// variable-length cell, [`DecodeError::Truncated`] for a fixed-size body made shorter
    /// than 509 bytes by [`ChannelCell::new`].
    ///
    /// ```
    /// use onionskin::codec::{ChannelCell, Command, LinkProtocol};
    /// let cell = ChannelCell::new(LinkProtocol::V4, 5, Command::DESTROY, &[0; 509])?;
    /// assert_eq!(cell.circuit_cell()?.circ_id().get(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn circuit_cell(&self) -> Result<Cell<'a>, DecodeError> {
        if self.is_variable_length() {
            return Err(DecodeError::WrongCommand {
                found: self.command.0,
            });
        }
        let circ_id = CircId::new(self.circ_id).ok_or(DecodeError::ZeroCircId)?;
        let body = Reader::new(self.body).take_array::<PAYLOAD_LEN>()?;
        Cell::new(circ_id, self.command, body).map_err(|_| DecodeError::WrongCommand {
            found: self.command.0,
        })
    }

    /// Decodes the body according to the command.
    ///
    /// # Errors
    /// [`DecodeError::ZeroCircId`] for a circuit command (CREATE*, CREATED*, RELAY*, DESTROY)
    /// on circuit ID 0 (C tor ignores such cells), and whatever the body's decoder reports.
    /// Link-level cells are decoded whatever their circuit ID (senders use 0; C tor's
    /// `channel_tls_handle_cell` does not look at it). Commands without a view here decode to
    /// [`ChannelMsg::Other`].
    ///
    /// ```
    /// use onionskin::codec::{ChannelCell, ChannelMsg, Command, LinkProtocol};
    /// let body = [0, 0, 0, 4, 0, 3, 0, 5];
    /// let cell = ChannelCell::new(LinkProtocol::NEGOTIATING, 0, Command::VERSIONS, &body)?;
    /// let ChannelMsg::Versions(v) = cell.msg()? else { panic!() };
    /// assert_eq!(v.iter().collect::<Vec<_>>(), [0, 4, 3, 5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn msg(&self) -> Result<ChannelMsg<'a>, DecodeError> {
        let variable = self.is_variable_length();
        Ok(match self.command {
            Command::VERSIONS if variable => ChannelMsg::Versions(Versions::decode(self.body)?),
            Command::VPADDING if variable => ChannelMsg::Vpadding(Vpadding::decode(self.body)),
            Command::CERTS if variable => ChannelMsg::Certs(Certs::decode(self.body)?),
            Command::AUTH_CHALLENGE if variable => {
                ChannelMsg::AuthChallenge(AuthChallenge::decode(self.body)?)
            }
            Command::PADDING if !variable => ChannelMsg::Padding(Padding),
            Command::NETINFO if !variable => ChannelMsg::Netinfo(Netinfo::decode(self.body)?),
            command if is_circuit_command(command) => {
                let cell = self.circuit_cell()?;
                match cell.msg()? {
                    CellMsg::Destroy(d) => ChannelMsg::Destroy(cell.circ_id(), d),
                    msg => ChannelMsg::Circuit(cell.circ_id(), msg),
                }
            }
            command => ChannelMsg::Other {
                circ_id: self.circ_id,
                command,
                body: self.body,
            },
        })
    }

    /// Bytes [`ChannelCell::encode_into`] writes.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        let id_len = self.link.circ_id_width().circ_id_len();
        if self.is_variable_length() {
            id_len + 3 + self.body.len()
        } else {
            id_len + 1 + PAYLOAD_LEN
        }
    }

    /// Writes the whole cell to the start of `out` (a fixed-size body padded with NUL) and
    /// returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is shorter than
    /// [`ChannelCell::encoded_len`]; nothing is written then.
    ///
    /// ```
    /// use onionskin::codec::{ChannelCell, Command, LinkProtocol};
    /// let cell = ChannelCell::new(LinkProtocol::V3, 0, Command::PADDING, &[])?;
    /// let mut out = [0xffu8; 512];
    /// assert_eq!(cell.encode_into(&mut out)?, 512);
    /// assert!(out.iter().all(|&b| b == 0));
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        write_cell(
            self.link,
            self.circ_id,
            self.command,
            self.body.len(),
            out,
            |w| w.put(self.body),
        )
    }
}

/// Writes a cell's header, then `body_len` bytes from `fill`, then (for a fixed-size cell)
/// NUL padding; checks the room first, so nothing is written if it does not fit. Returns the
/// cell's length.
pub(super) fn write_cell(
    link: LinkProtocol,
    circ_id: u32,
    command: Command,
    body_len: usize,
    out: &mut [u8],
    fill: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<usize, EncodeError> {
    let width = link.circ_id_width();
    let variable = link.is_variable_length(command);
    let total = if variable {
        width.circ_id_len() + 3 + body_len
    } else {
        width.cell_len()
    };
    let out = out
        .get_mut(..total)
        .ok_or(EncodeError::BufferTooSmall { needed: total })?;
    let mut w = Writer::new(out);
    match width {
        super::CircIdWidth::Narrow => w.put_u16(
            u16::try_from(circ_id).map_err(|_| EncodeError::InvalidValue { field: "circ_id" })?,
        )?,
        super::CircIdWidth::Wide => w.put_u32(circ_id)?,
    }
    w.put_u8(command.0)?;
    if variable {
        w.put_u16(super::len_u16(
            body_len,
            "cell body",
            usize::from(u16::MAX),
        )?)?;
    } else if body_len > PAYLOAD_LEN {
        return Err(EncodeError::TooLong {
            field: "cell body",
            len: body_len,
            max: PAYLOAD_LEN,
        });
    }
    fill(&mut w)?;
    let _ = w.finish_with_padding();
    Ok(total)
}

/// A cell's body, decoded according to its command: a link-level cell, a circuit cell, or
/// one this codec has no view for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelMsg<'a> {
    /// PADDING (command 0, fixed-size): link padding, body ignored.
    Padding(Padding),
    /// VERSIONS (command 7, variable-length).
    Versions(Versions<'a>),
    /// NETINFO (command 8, fixed-size).
    Netinfo(Netinfo<'a>),
    /// VPADDING (command 128, variable-length).
    Vpadding(Vpadding<'a>),
    /// CERTS (command 129, variable-length).
    Certs(Certs<'a>),
    /// AUTH_CHALLENGE (command 130, variable-length).
    AuthChallenge(AuthChallenge<'a>),
    /// DESTROY (command 4) on a circuit.
    Destroy(CircId, Destroy),
    /// Any other circuit cell (CREATE*, CREATED*, RELAY, RELAY_EARLY) on a circuit.
    Circuit(CircId, CellMsg<'a>),
    /// A command without a view here (AUTHENTICATE, AUTHORIZE, PADDING_NEGOTIATE, unknown).
    Other {
        /// The circuit ID (possibly 0).
        circ_id: u32,
        /// The command.
        command: Command,
        /// The whole body.
        body: &'a [u8],
    },
}

/// Frames a byte stream into cells, one at a time, without copying (C tor
/// `fetch_var_cell_from_buf` and the fixed-size check beside it).
///
/// The iterator ends when the input holds no whole cell; [`ChannelCells::needed`] then says
/// how many more bytes the next cell needs (0 if the input was used up exactly) and
/// [`ChannelCells::rest`] gives the bytes to keep for the next read. After a VERSIONS cell,
/// call [`ChannelCells::set_link_protocol`] with the negotiated version.
///
/// ```
/// use onionskin::codec::{ChannelCells, Command, LinkProtocol};
/// let mut stream = vec![0, 0, 7, 0, 2, 0, 5]; // VERSIONS: 5
/// stream.extend_from_slice(&[0, 0, 0, 0, 8]); // a NETINFO header on link protocol 5...
/// let mut cells = ChannelCells::new(&stream, LinkProtocol::NEGOTIATING);
/// let versions = cells.next().expect("whole cell");
/// assert_eq!(versions.command(), Command::VERSIONS);
/// cells.set_link_protocol(LinkProtocol::V5);
/// assert!(cells.next().is_none());
/// assert_eq!(cells.needed(), 509); // ...whose body has not arrived yet
/// assert_eq!(cells.rest().len(), 5);
/// ```
#[derive(Clone, Debug)]
pub struct ChannelCells<'a> {
    rest: &'a [u8],
    link: LinkProtocol,
    needed: usize,
}

impl<'a> ChannelCells<'a> {
    /// Cells framed from `bytes` on a channel speaking `link`.
    #[must_use]
    pub const fn new(bytes: &'a [u8], link: LinkProtocol) -> Self {
        Self {
            rest: bytes,
            link,
            needed: 0,
        }
    }

    /// Frames the cells that follow with another link protocol (after VERSIONS).
    pub const fn set_link_protocol(&mut self, link: LinkProtocol) {
        self.link = link;
    }

    /// The bytes not framed yet.
    #[must_use]
    pub const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// After the iterator ended: how many more bytes the next cell needs at least (0 if no
    /// bytes were left over).
    #[must_use]
    pub const fn needed(&self) -> usize {
        self.needed
    }
}

impl<'a> Iterator for ChannelCells<'a> {
    type Item = ChannelCell<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            self.needed = 0;
            return None;
        }
        match ChannelCell::frame(self.rest, self.link) {
            Ok((cell, rest)) => {
                self.rest = rest;
                self.needed = 0;
                Some(cell)
            }
            Err(e) => {
                self.needed = match e {
                    DecodeError::Truncated { needed } => needed,
                    _ => 1,
                };
                None
            }
        }
    }
}
