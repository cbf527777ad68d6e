//! A zero-copy codec for the cells and relay messages that carry Tor's circuit handshakes.
//!
//! Every decoder returns a *view* that borrows from the input: no allocation, no copy, no
//! `unsafe`, and no panic on any input. Every encoder writes into a buffer the caller owns
//! and writes padding explicitly. Lengths are checked once, when a view is made, so the view's
//! accessors cannot fail afterwards.
//!
//! | layer | types | spec |
//! |---|---|---|
//! | fixed-size cell framing | [`Cell`], [`CircId`], [`CircIdWidth`], [`Command`] | tor-spec 3 |
//! | cell bodies ([`CellBody`]) | [`Create`], [`Created`], [`CreateFast`], [`CreatedFast`], [`Create2`], [`Created2`], [`Destroy`] | tor-spec 5.1, 5.4 |
//! | relay message bodies ([`RelayMsgBody`]) | [`Extend`], [`Extended`], [`Extend2`], [`Extended2`], [`LinkSpec`] | tor-spec 5.1.2, 6.1 |
//! | ntor-v3 extensions | [`extension`] | proposal 332 |
//! | the relay header of a decrypted relay cell | [`RelayCell`] | tor-spec 6.1 |
//! | every cell on a channel: fixed and variable-length, circuit ID 0, framing a byte stream | [`ChannelCell`], [`ChannelCells`], [`LinkProtocol`], [`ChannelMsg`] | tor-spec 3, 4 |
//! | link cells | [`Versions`], [`Netinfo`], [`Padding`], [`Vpadding`], [`Certs`], [`AuthChallenge`] | tor-spec 4 |
//!
//! [`CellMsg`] and [`RelayMsg`] decode any of these by command. The byte cursors the views
//! are built on are private to the crate, so they can change without breaking callers.
//!
//! # Decoding a cell
//!
//! ```
//! use onionskin::codec::{CellBody, CellMsg, CircId, CircIdWidth, Create2, Cell};
//! use onionskin::HandshakeType;
//!
//! // A client builds a CREATE2 cell for link protocol 4 (514 bytes, 4-byte circuit IDs)...
//! let onion_skin = [7u8; 84];
//! let create2 = Create2::new(HandshakeType::NTOR, &onion_skin)?;
//! let circ_id = CircId::new(0x8000_0001).expect("non-zero");
//! let mut frame = [0u8; 514];
//! create2.encode_cell(circ_id, CircIdWidth::Wide, &mut frame)?;
//!
//! // ...and the relay reads it back without copying the onion skin.
//! let cell = Cell::decode(&frame, CircIdWidth::for_link_protocol(4))?;
//! match cell.msg()? {
//!     CellMsg::Create2(c) => {
//!         assert_eq!(c.htype(), HandshakeType::NTOR);
//!         assert_eq!(c.hdata(), &onion_skin[..]);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Trailing bytes: padding or error
//!
//! tor-spec 3 says receivers MUST ignore the padding of fixed-size cells, and C tor (which
//! this crate follows where spec and implementation differ) ignores bytes after a relay
//! message's last field in most messages. The rules here:
//!
//! | input | after the last field |
//! |---|---|
//! | a whole cell given to [`Cell::decode`] | must be exactly 512 or 514 bytes: shorter is [`DecodeError::Truncated`], longer is [`DecodeError::TrailingBytes`] ([`Cell::decode_prefix`] reads one cell off a longer stream) |
//! | any cell body (509 bytes) | padding, ignored whatever its value; encoders write NUL (tor-spec 3) |
//! | tagged ntor skin in CREATE/EXTEND (`"ntorNTORntorNTOR"` + 84 bytes) | the rest of the 186-byte skin is padding, ignored; encoders write NUL |
//! | EXTEND (212 bytes) | ignored, as C tor's parser does |
//! | EXTENDED (148 bytes) | an error: C tor requires exactly 148 |
//! | EXTEND2, EXTENDED2 | ignored after HDATA, as C tor's parser does |
//! | any relay message body over 498 bytes | an error ([`DecodeError::LengthOutOfRange`]): it cannot fit a relay cell |
//!
//! Relay message encoders write exactly [`RelayMsgBody::encoded_len`] bytes and no padding:
//! relay-cell padding belongs to the relay layer, where it SHOULD be random (tor-spec 6.1).
//!
//! Decoding with `decode` and encoding again therefore gives the same bytes up to the end of
//! the last field; the only other difference is padding, which comes back as NUL.

use crate::{DecodeError, EncodeError};

mod cell;
mod channel;
mod create;
mod extend;
pub mod extension;
mod link;
mod relay_cell;

pub use cell::{Cell, CellBody, CellMsg, CircId, CircIdWidth, Command};
pub use channel::{ChannelCell, ChannelCells, ChannelMsg, LinkProtocol, VAR_CELL_MAX_HEADER_LEN};
pub use create::{
    Create, Create2, CreateFast, Created, Created2, CreatedFast, Destroy, DestroyReason,
    LegacyOnionSkin,
};
pub use extend::{
    Extend, Extend2, Extended, Extended2, LinkSpec, LinkSpecIter, LinkSpecType, LinkSpecs,
    RelayCommand, RelayMsg, RelayMsgBody,
};
pub use link::{
    AUTH_CHALLENGE_LEN, AuthChallenge, CertEntry, CertIter, Certs, Netinfo, NetinfoAddr,
    NetinfoAddrIter, Padding, Versions, Vpadding,
};
pub use relay_cell::{RELAY_HEADER_LEN, RELAY_PADDING_GAP, RelayCell};

/// Length of a fixed-size cell's body (tor-spec 0.2 `PAYLOAD_LEN`, C tor `CELL_PAYLOAD_SIZE`).
pub const PAYLOAD_LEN: usize = 509;
/// The most a relay message body can hold: 509 minus the 11-byte relay header
/// (tor-spec 6.1, C tor `RELAY_PAYLOAD_SIZE`).
pub const RELAY_PAYLOAD_LEN: usize = 498;
/// A TAP onion skin (tor-spec 5.1.3 `TAP_C_HANDSHAKE_LEN`): the body of CREATE.
pub const TAP_ONIONSKIN_LEN: usize = 186;
/// A TAP reply (tor-spec 5.1.3 `TAP_S_HANDSHAKE_LEN`): the body of CREATED and EXTENDED.
pub const TAP_REPLY_LEN: usize = 148;
/// An ntor onion skin (tor-spec 5.1.4): `NODEID | KEYID | X`.
pub const NTOR_ONIONSKIN_LEN: usize = 84;
/// The client's `X` in CREATE_FAST (tor-spec 5.1.5).
pub const CREATE_FAST_LEN: usize = 20;
/// The relay's `Y | KH` in CREATED_FAST (tor-spec 5.1.5).
pub const CREATED_FAST_LEN: usize = 40;
/// The largest CREATE2 HLEN: what fits a cell body after HTYPE and HLEN (C tor
/// `parse_create2_payload`).
pub const CREATE2_MAX_HLEN: usize = PAYLOAD_LEN - 4;
/// The largest CREATED2 HLEN: what fits an EXTENDED2 relay message after HLEN (C tor
/// `check_created_cell`), so a relay can always pass a reply back.
pub const CREATED2_MAX_HLEN: usize = RELAY_PAYLOAD_LEN - 2;
/// The body of a legacy EXTEND message (tor-spec 5.1.2): address, port, onion skin, identity.
pub const EXTEND_LEN: usize = 4 + 2 + TAP_ONIONSKIN_LEN + 20;

/// A cursor over untrusted bytes (crate-private: the views are the API). Every read is bounds-checked and returns
/// [`DecodeError::Truncated`] instead of panicking; what it returns borrows from the input.
///
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `bytes`.
    #[must_use]
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// How many bytes are left.
    #[must_use]
    pub(crate) const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The unread bytes, without consuming them.
    #[must_use]
    pub(crate) const fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    fn truncated(&self, wanted: usize) -> DecodeError {
        DecodeError::Truncated {
            needed: wanted.saturating_sub(self.rest.len()),
        }
    }

    /// Reads the next `n` bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than `n` remain; nothing is consumed then.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(self.truncated(n))?;
        self.rest = tail;
        Ok(head)
    }

    /// Reads the next `N` bytes as an array reference.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than `N` remain; nothing is consumed then.
    pub(crate) fn take_array<const N: usize>(&mut self) -> Result<&'a [u8; N], DecodeError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(self.truncated(N))?;
        self.rest = tail;
        Ok(head)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] at the end of the input.
    pub(crate) fn take_u8(&mut self) -> Result<u8, DecodeError> {
        self.take_array::<1>().map(|b| u8::from_be_bytes(*b))
    }

    /// Reads a big-endian `u16` (tor-spec 0.1.1: network order everywhere).
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 2 bytes remain.
    pub(crate) fn take_u16(&mut self) -> Result<u16, DecodeError> {
        self.take_array::<2>().map(|b| u16::from_be_bytes(*b))
    }

    /// Reads a big-endian `u32`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 4 bytes remain.
    pub(crate) fn take_u32(&mut self) -> Result<u32, DecodeError> {
        self.take_array::<4>().map(|b| u32::from_be_bytes(*b))
    }

    /// Reads everything that is left.
    pub(crate) fn take_rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Ends reading, insisting that nothing is left.
    ///
    /// # Errors
    /// [`DecodeError::TrailingBytes`] if bytes remain.
    pub(crate) const fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                extra: self.rest.len(),
            })
        }
    }
}

/// A cursor that writes into a caller-provided buffer. Every write is bounds-checked and
/// returns [`EncodeError::BufferTooSmall`] (naming the total length needed) instead of
/// panicking.
///
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    rest: &'a mut [u8],
    written: usize,
}

impl<'a> Writer<'a> {
    /// A writer positioned at the start of `out`.
    #[must_use]
    pub(crate) const fn new(out: &'a mut [u8]) -> Self {
        Self {
            rest: out,
            written: 0,
        }
    }

    /// How much room is left.
    #[cfg_attr(not(test), allow(dead_code))]
    #[must_use]
    pub(crate) const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Claims the next `n` bytes of the buffer for the caller to fill.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if fewer than `n` bytes are left; nothing is claimed then.
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&'a mut [u8], EncodeError> {
        let needed = self.written.saturating_add(n);
        if n > self.rest.len() {
            return Err(EncodeError::BufferTooSmall { needed });
        }
        // `n` fits, as just checked, so the split cannot panic.
        let (head, tail) = core::mem::take(&mut self.rest).split_at_mut(n);
        self.rest = tail;
        self.written = needed;
        Ok(head)
    }

    /// Claims the next `N` bytes as an array reference.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if fewer than `N` bytes are left.
    pub(crate) fn reserve_array<const N: usize>(&mut self) -> Result<&'a mut [u8; N], EncodeError> {
        let needed = self.written.saturating_add(N);
        self.reserve(N)?
            .try_into()
            .map_err(|_| EncodeError::BufferTooSmall { needed })
    }

    /// Writes `bytes`.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if they do not fit.
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.reserve(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// Writes one byte.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if the buffer is full.
    pub(crate) fn put_u8(&mut self, v: u8) -> Result<(), EncodeError> {
        self.put(&[v])
    }

    /// Writes a big-endian `u16`.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit.
    pub(crate) fn put_u16(&mut self, v: u16) -> Result<(), EncodeError> {
        self.put(&v.to_be_bytes())
    }

    /// Writes a big-endian `u32`.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit.
    pub(crate) fn put_u32(&mut self, v: u32) -> Result<(), EncodeError> {
        self.put(&v.to_be_bytes())
    }

    /// Ends writing: returns the number of bytes written and leaves the rest of the buffer
    /// untouched.
    #[must_use]
    pub(crate) const fn finish(self) -> usize {
        self.written
    }

    /// Ends writing: fills the rest of the buffer with NUL (tor-spec 3: padding SHOULD be NUL)
    /// and returns the number of bytes written *before* the padding.
    #[must_use]
    pub(crate) fn finish_with_padding(self) -> usize {
        self.rest.fill(0);
        self.written
    }
}

/// The `u16` form of a length already checked against a limit below `u16::MAX`.
fn len_u16(len: usize, field: &'static str, max: usize) -> Result<u16, EncodeError> {
    match u16::try_from(len) {
        Ok(v) if len <= max => Ok(v),
        _ => Err(EncodeError::TooLong { field, len, max }),
    }
}

/// The `u8` form of a length, for one-byte length fields.
fn len_u8(len: usize, field: &'static str) -> Result<u8, EncodeError> {
    u8::try_from(len).map_err(|_| EncodeError::TooLong {
        field,
        len,
        max: usize::from(u8::MAX),
    })
}

/// Defines an open newtype over an integer: named constants for the values the spec defines,
/// and any other value carried unchanged (so unknown values decode and re-encode losslessly).
macro_rules! open_newtype {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $( $(#[$cmeta:meta])* $konst:ident = $val:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: Self = Self($val); )*

            /// The spec's name for this value, or `None` for a value it does not define.
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some(stringify!($konst)), )*
                    _ => None,
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, concat!(stringify!($name), "::{}"), n),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "unknown ({})", self.0),
                }
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> Self {
                v.0
            }
        }
    };
}
use open_newtype;

#[cfg(test)]
mod cursor_tests {
    use super::*;

    #[test]
    fn reader_and_writer_never_overrun() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.take_u32(), Err(DecodeError::Truncated { needed: 1 }));
        assert_eq!(r.remaining(), 3, "a failed read consumes nothing");
        assert_eq!(
            r.take(usize::MAX),
            Err(DecodeError::Truncated {
                needed: usize::MAX - 3
            })
        );
        assert_eq!(r.take_u16(), Ok(0x0102));
        assert_eq!(
            r.clone().finish(),
            Err(DecodeError::TrailingBytes { extra: 1 })
        );
        assert_eq!(r.take_rest(), &[3]);
        assert_eq!(r.finish(), Ok(()));

        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.put_u32(1), Err(EncodeError::BufferTooSmall { needed: 4 }));
        assert_eq!(w.remaining(), 3, "a failed write claims nothing");
        assert_eq!(w.put(&[9, 9]), Ok(()));
        assert_eq!(
            w.put(&[1, 1]),
            Err(EncodeError::BufferTooSmall { needed: 4 })
        );
        assert_eq!(
            w.reserve(usize::MAX).err(),
            Some(EncodeError::BufferTooSmall { needed: usize::MAX })
        );
        assert_eq!(w.finish(), 2);
    }
}
