//! Generators for other projects' fuzzers (feature `arbitrary`): well-formed onion skins,
//! handshake cells and ntor-v3 extension lists built from a fuzzer's bytes with the
//! [`arbitrary`] crate, so that a harness spends its time past this crate's
//! length and framing checks.
//!
//! The codec's views borrow from their input, so the generators own their encoding and hand
//! out views of it. Every generated value decodes without error; the bytes that are not
//! framing (keys, MACs, encrypted messages) are the fuzzer's, so handshakes on them fail as
//! they would on a forged skin.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use onionskin::arbitrary::HandshakeCell;
//! use onionskin::codec::CellMsg;
//!
//! let fuzz_input = [7u8; 600];
//! let mut u = Unstructured::new(&fuzz_input);
//! let generated = HandshakeCell::arbitrary(&mut u)?;
//! let cell = generated.decode()?;
//! assert!(!matches!(cell.msg()?, CellMsg::Other { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use ::arbitrary::{Arbitrary, Result, Unstructured};

use crate::codec::extension::{Extension, ExtensionList, ExtensionType};
use crate::codec::{
    CREATE_FAST_LEN, CREATE2_MAX_HLEN, CREATED_FAST_LEN, CREATED2_MAX_HLEN, Cell, CellMsg, CircId,
    CircIdWidth, Create, Create2, CreateFast, Created, Created2, CreatedFast, Destroy,
    DestroyReason, LegacyOnionSkin, NTOR_ONIONSKIN_LEN, TAP_ONIONSKIN_LEN, TAP_REPLY_LEN,
};
use crate::handshake::{HandshakeType, ntor_v3};
use crate::{DecodeError, EncodeError};

/// `len` bytes from the fuzzer, zero-padded once its data runs out (the `arbitrary`
/// convention: generation never fails for lack of data).
fn bytes(u: &mut Unstructured<'_>, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let take = len.min(u.len());
    if let (Ok(src), Some(dst)) = (u.bytes(take), out.get_mut(..take)) {
        dst.copy_from_slice(src);
    }
    out
}

fn array<const N: usize>(u: &mut Unstructured<'_>) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes(u, N));
    out
}

/// A length in `lo..=hi` chosen by the fuzzer (`lo` when its data has run out).
fn len_in(u: &mut Unstructured<'_>, lo: usize, hi: usize) -> Result<usize> {
    if hi <= lo {
        return Ok(lo);
    }
    u.int_in_range(lo..=hi)
}

/// The handshake type of a generated skin or reply: one that a CREATE2 cell can carry
/// (tor-spec 5.1: a relay refuses a CREATE2 of a type it does not know, C tor's
/// `check_create_cell`), or with `unknown_ok` also any other that an EXTEND2 may carry.
fn create2_htype(u: &mut Unstructured<'_>, unknown_ok: bool) -> Result<HandshakeType> {
    let last = if unknown_ok { 3 } else { 2 };
    Ok(match u.int_in_range(0u8..=last)? {
        0 => HandshakeType::TAP,
        1 => HandshakeType::NTOR,
        2 => HandshakeType::NTOR_V3,
        // An HTYPE this crate does not speak: any value but CREATE_FAST's reserved 1.
        _ => match u16::arbitrary(u)? {
            1 => HandshakeType(0x0300),
            t => HandshakeType(t),
        },
    })
}

/// A well-formed onion skin: the handshake data a client puts in CREATE2 (or CREATE, or
/// CREATE_FAST), with the length its handshake type prescribes. TAP 186 bytes, CREATE_FAST 20,
/// ntor 84, ntor-v3 the 128 bytes of `NODEID | KEYID | X | MAC` plus an encrypted message of
/// any length that fits the cell; also types this crate does not know (which an EXTEND2 may
/// carry, but a CREATE2 cell may not), of any length that fits.
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use onionskin::arbitrary::OnionSkin;
/// use onionskin::HandshakeType;
///
/// let skin = OnionSkin::arbitrary(&mut Unstructured::new(&[1, 0, 2, 3]))?;
/// if skin.htype() == HandshakeType::NTOR {
///     assert_eq!(skin.as_bytes().len(), 84);
/// }
/// # Ok::<(), arbitrary::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OnionSkin {
    htype: HandshakeType,
    bytes: Vec<u8>,
}

impl OnionSkin {
    /// The handshake type ([`HandshakeType::FAST`] for a CREATE_FAST skin).
    #[must_use]
    pub fn htype(&self) -> HandshakeType {
        self.htype
    }

    /// The skin's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A skin for a CREATE2 cell, or with `unknown_ok` for an EXTEND2 (never CREATE_FAST's).
    fn create2(u: &mut Unstructured<'_>, unknown_ok: bool) -> Result<Self> {
        let htype = create2_htype(u, unknown_ok)?;
        let len = match htype {
            HandshakeType::TAP => TAP_ONIONSKIN_LEN,
            HandshakeType::NTOR => NTOR_ONIONSKIN_LEN,
            HandshakeType::NTOR_V3 => len_in(u, ntor_v3::ONION_SKIN_OVERHEAD, CREATE2_MAX_HLEN)?,
            _ => len_in(u, 0, CREATE2_MAX_HLEN)?,
        };
        Ok(Self {
            htype,
            bytes: bytes(u, len),
        })
    }
}

impl<'a> Arbitrary<'a> for OnionSkin {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(1u8, 5u8)? {
            return Ok(Self {
                htype: HandshakeType::FAST,
                bytes: bytes(u, CREATE_FAST_LEN),
            });
        }
        Self::create2(u, true)
    }
}

impl fmt::Debug for OnionSkin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnionSkin")
            .field("htype", &self.htype)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// A whole fixed-size cell of one of the handshake commands (CREATE, CREATED, CREATE_FAST,
/// CREATED_FAST, CREATE2, CREATED2, DESTROY), for either circuit ID width, with a circuit ID
/// that fits it and a well-formed body ([`OnionSkin`] for the create cells, replies of the
/// right length for the created cells).
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use onionskin::arbitrary::HandshakeCell;
///
/// let generated = HandshakeCell::arbitrary(&mut Unstructured::new(&[9; 64]))?;
/// assert_eq!(generated.frame().len(), generated.width().cell_len());
/// let cell = generated.decode()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct HandshakeCell {
    width: CircIdWidth,
    frame: Vec<u8>,
}

impl HandshakeCell {
    /// The circuit ID width the cell is framed for.
    #[must_use]
    pub fn width(&self) -> CircIdWidth {
        self.width
    }

    /// The encoded cell ([`CircIdWidth::cell_len`] bytes).
    #[must_use]
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// The cell, decoded from [`HandshakeCell::frame`].
    ///
    /// # Errors
    /// None by construction; the decoder's own error type is kept so that a harness can use
    /// `?` and would see a codec regression as an error.
    pub fn decode(&self) -> core::result::Result<Cell<'_>, DecodeError> {
        Cell::decode(&self.frame, self.width)
    }
}

impl<'a> Arbitrary<'a> for HandshakeCell {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let width = if bool::arbitrary(u)? {
            CircIdWidth::Wide
        } else {
            CircIdWidth::Narrow
        };
        let max_id = match width {
            CircIdWidth::Narrow => u32::from(u16::MAX),
            CircIdWidth::Wide => u32::MAX,
        };
        let circ_id =
            CircId::new(u.int_in_range(1..=max_id)?).ok_or(::arbitrary::Error::IncorrectFormat)?;
        let mut frame = vec![0u8; width.cell_len()];
        let encoded: core::result::Result<usize, EncodeError> = match u.int_in_range(0u8..=6)? {
            0 => {
                let skin = array::<TAP_ONIONSKIN_LEN>(u);
                CellMsg::Create(Create::new(LegacyOnionSkin::Tap(&skin)))
                    .encode_cell(circ_id, width, &mut frame)
            }
            1 => {
                let reply = array::<TAP_REPLY_LEN>(u);
                CellMsg::Created(Created::new(&reply)).encode_cell(circ_id, width, &mut frame)
            }
            2 => {
                let x = array::<CREATE_FAST_LEN>(u);
                CellMsg::CreateFast(CreateFast::new(&x)).encode_cell(circ_id, width, &mut frame)
            }
            3 => {
                let reply = array::<CREATED_FAST_LEN>(u);
                CellMsg::CreatedFast(CreatedFast::new(&reply))
                    .encode_cell(circ_id, width, &mut frame)
            }
            4 => {
                let skin = OnionSkin::create2(u, false)?;
                Create2::new(skin.htype, &skin.bytes)
                    .and_then(|m| CellMsg::Create2(m).encode_cell(circ_id, width, &mut frame))
            }
            5 => {
                let len = match create2_htype(u, false)? {
                    HandshakeType::TAP => TAP_REPLY_LEN,
                    HandshakeType::NTOR => crate::handshake::ntor::REPLY_LEN,
                    HandshakeType::NTOR_V3 => {
                        len_in(u, ntor_v3::REPLY_OVERHEAD, CREATED2_MAX_HLEN)?
                    }
                    _ => len_in(u, 0, CREATED2_MAX_HLEN)?,
                };
                let reply = bytes(u, len);
                Created2::new(&reply)
                    .and_then(|m| CellMsg::Created2(m).encode_cell(circ_id, width, &mut frame))
            }
            _ => CellMsg::Destroy(Destroy::new(DestroyReason(u8::arbitrary(u)?)))
                .encode_cell(circ_id, width, &mut frame),
        };
        // Every length above is within the codec's bounds; an error here is a bug in this
        // generator, reported to the fuzzer as an input it cannot use.
        encoded.map_err(|_| ::arbitrary::Error::IncorrectFormat)?;
        Ok(Self { width, frame })
    }
}

impl fmt::Debug for HandshakeCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeCell")
            .field("width", &self.width)
            .field("frame", &self.frame)
            .finish()
    }
}

/// An encoded ntor-v3 extension list (proposal 332): up to 16 fields, mostly of the types
/// Tor defines (congestion control request and response) with the bodies Tor sends, the
/// others of any type with a body of up to 64 bytes.
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use onionskin::arbitrary::Extensions;
///
/// let generated = Extensions::arbitrary(&mut Unstructured::new(&[2, 0, 1, 31]))?;
/// let list = generated.list()?;
/// assert_eq!(list.iter().count(), generated.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Extensions {
    fields: usize,
    bytes: Vec<u8>,
}

impl Extensions {
    /// The encoded list.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields
    }

    /// Whether the list has no fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields == 0
    }

    /// The list, decoded from [`Extensions::as_bytes`].
    ///
    /// # Errors
    /// None by construction (see [`HandshakeCell::decode`]).
    pub fn list(&self) -> core::result::Result<ExtensionList<'_>, DecodeError> {
        ExtensionList::decode_exact(&self.bytes)
    }
}

impl<'a> Arbitrary<'a> for Extensions {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let count = len_in(u, 0, 16)?;
        let mut parts: Vec<(ExtensionType, Vec<u8>)> = Vec::with_capacity(count);
        for _ in 0..count {
            let part = match u.int_in_range(0u8..=2)? {
                // Congestion control: the client's empty request, the relay's `sendme_inc`.
                0 => (ExtensionType::CC_REQUEST, Vec::new()),
                1 => (ExtensionType::CC_RESPONSE, bytes(u, 1)),
                _ => {
                    let ty = ExtensionType(u8::arbitrary(u)?);
                    let len = len_in(u, 0, 64)?;
                    (ty, bytes(u, len))
                }
            };
            parts.push(part);
        }
        let fields: Vec<Extension<'_>> = parts
            .iter()
            .map(|(ty, body)| Extension::new(*ty, body))
            .collect::<core::result::Result<_, _>>()
            .map_err(|_| ::arbitrary::Error::IncorrectFormat)?;
        let mut out = vec![0u8; 1 + parts.iter().map(|(_, b)| 2 + b.len()).sum::<usize>()];
        let n = ExtensionList::encode(&fields, &mut out)
            .map_err(|_| ::arbitrary::Error::IncorrectFormat)?;
        out.truncate(n);
        Ok(Self {
            fields: count,
            bytes: out,
        })
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("bytes", &self.bytes)
            .finish()
    }
}
