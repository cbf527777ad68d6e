//! The extension list carried inside ntor-v3's encrypted messages (proposal 332 A.2).
//!
//! Both the client message (CM) and the server message (SM) of an
//! [ntor-v3](crate::handshake::ntor_v3) handshake are, in Tor, an *extension list*:
//!
//! ```text
//! N                u8                  number of fields
//! N times:
//!   EXT_FIELD_TYPE u8
//!   EXT_FIELD_LEN  u8
//!   EXT_FIELD      [EXT_FIELD_LEN]
//! ```
//!
//! Proposal 332's text shows only the repeated fields; C tor (trunnel `trn_extension`) and
//! today's tor-spec put the one-byte count `N` first, and so does this module.
//!
//! Defined field types (`congestion_control.trunnel`, proposal 324):
//!
//! | type | name | body |
//! |---|---|---|
//! | 1 | [`CongestionControlRequest`] | empty: the client asks for congestion control |
//! | 2 | [`CongestionControlResponse`] | `sendme_inc` (u8): the relay agrees, with this SENDME increment |
//! | 3 | [`SubprotocolRequest`] | pairs `protocol_id` (u8), capability (u8): proposal 346 |
//!
//! [`CircuitExtension`] is the typed form of one field (unknown types carried through as
//! [`Extension`]); [`ExtensionWriter`] writes a list of them into a caller's buffer, and
//! [`ExtensionList::typed`] reads them back. The handshake API speaks these types; the raw
//! [`Extension`] form is for research and for types this crate does not know.
//!
//! Unknown types are kept: [`ExtensionList`] yields every field with its raw body and
//! re-encodes byte for byte. Where a type appears twice, the typed accessors use the first
//! one, as tor does.
//!
//! [`ExtensionList`] is a borrowed view: it is validated once by
//! [`decode_exact`](ExtensionList::decode_exact) or [`decode_prefix`](ExtensionList::decode_prefix),
//! after which iterating it cannot fail and allocates nothing.
//!
//! ```
//! use onionskin::codec::extension::{
//!     CongestionControlRequest, CongestionControlResponse, Extension, ExtensionList,
//! };
//!
//! // Client: ask for congestion control.
//! let mut cm = [0u8; 16];
//! let n = ExtensionList::encode(&[CongestionControlRequest.to_extension()], &mut cm)?;
//! assert_eq!(&cm[..n], &[1, 1, 0]);
//!
//! // Relay: see the request, answer with sendme_inc = 31.
//! let request = ExtensionList::decode_exact(&cm[..n])?;
//! assert!(request.congestion_control_request());
//! let response = CongestionControlResponse { sendme_inc: 31 };
//! let mut sm = [0u8; 16];
//! let m = ExtensionList::encode(&[response.to_extension()], &mut sm)?;
//!
//! // Client: read the answer.
//! let reply = ExtensionList::decode_exact(&sm[..m])?;
//! assert_eq!(reply.congestion_control_response()?, Some(response));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{DecodeError, EncodeError};
use core::fmt;
use core::iter::FusedIterator;

/// The most bytes one field's body can hold (its length is one byte).
pub const MAX_FIELD_BODY_LEN: usize = 255;
/// The most fields one list can hold (its count is one byte).
pub const MAX_FIELDS: usize = 255;

/// An extension field type (`EXT_FIELD_TYPE`). An open newtype: unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtensionType(pub u8);

impl ExtensionType {
    /// `CC_FIELD_REQUEST` (1): the client asks for congestion control (proposal 324).
    pub const CC_REQUEST: Self = Self(1);
    /// `CC_FIELD_RESPONSE` (2): the relay accepts congestion control and names its
    /// `sendme_inc` (proposal 324).
    pub const CC_RESPONSE: Self = Self(2);
    /// `SUBPROTOCOL_REQUEST` (3): the client asks for subprotocol capabilities on this
    /// circuit (proposal 346; C tor 0.4.9 and Arti know it).
    pub const SUBPROTOCOL_REQUEST: Self = Self(3);

    /// Tor's name for a known type, or `None`.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            1 => Some("CC_FIELD_REQUEST"),
            2 => Some("CC_FIELD_RESPONSE"),
            3 => Some("SUBPROTOCOL_REQUEST"),
            _ => None,
        }
    }
}

impl fmt::Debug for ExtensionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "ExtensionType::{n}"),
            None => write!(f, "ExtensionType({})", self.0),
        }
    }
}

/// One field of an extension list: its type and raw body, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Extension<'a> {
    ty: ExtensionType,
    body: &'a [u8],
}

impl<'a> Extension<'a> {
    /// A field of type `ty` with body `body`.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if `body` is longer than [`MAX_FIELD_BODY_LEN`].
    pub fn new(ty: ExtensionType, body: &'a [u8]) -> Result<Self, EncodeError> {
        if body.len() > MAX_FIELD_BODY_LEN {
            return Err(EncodeError::TooLong {
                field: "EXT_FIELD",
                len: body.len(),
                max: MAX_FIELD_BODY_LEN,
            });
        }
        Ok(Self { ty, body })
    }

    /// The field's type.
    #[must_use]
    pub const fn ty(&self) -> ExtensionType {
        self.ty
    }

    /// The field's body, exactly as on the wire.
    #[must_use]
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Bytes this field takes on the wire: type, length, body.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        2 + self.body.len()
    }
}

/// A validated, borrowed extension list (count byte, then the fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtensionList<'a> {
    /// The whole encoding: count byte and every field, nothing after.
    encoded: &'a [u8],
    count: u8,
}

impl<'a> ExtensionList<'a> {
    /// The empty list (a single zero count byte), which tor's relays send when they decline
    /// every extension.
    pub const EMPTY: ExtensionList<'static> = ExtensionList {
        encoded: &[0],
        count: 0,
    };

    /// Decodes a list at the start of `bytes` and returns it with the bytes after it.
    ///
    /// C tor parses an ntor-v3 message this way and ignores anything after the list.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if the count or a field runs past the end of `bytes`.
    pub fn decode_prefix(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), DecodeError> {
        let (&count, mut rest) = bytes
            .split_first()
            .ok_or(DecodeError::Truncated { needed: 1 })?;
        for _ in 0..count {
            let (&[_, len], after) =
                rest.split_first_chunk::<2>()
                    .ok_or_else(|| DecodeError::Truncated {
                        needed: 2usize.saturating_sub(rest.len()),
                    })?;
            let len = usize::from(len);
            rest = after.get(len..).ok_or_else(|| DecodeError::Truncated {
                needed: len.saturating_sub(after.len()),
            })?;
        }
        let used = bytes.len() - rest.len();
        let (encoded, rest) = bytes.split_at(used);
        Ok((Self { encoded, count }, rest))
    }

    /// Decodes a list that must fill `bytes` exactly.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] as for [`decode_prefix`](Self::decode_prefix), and
    /// [`DecodeError::TrailingBytes`] if bytes follow the list.
    pub fn decode_exact(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let (list, rest) = Self::decode_prefix(bytes)?;
        if rest.is_empty() {
            Ok(list)
        } else {
            Err(DecodeError::TrailingBytes { extra: rest.len() })
        }
    }

    /// Encodes `fields` into `out` as a list and returns the number of bytes written.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] for more than [`MAX_FIELDS`] fields, and
    /// [`EncodeError::BufferTooSmall`] if `out` cannot hold the encoding. On error, `out`
    /// may have been partly written.
    pub fn encode(fields: &[Extension<'_>], out: &mut [u8]) -> Result<usize, EncodeError> {
        let count = u8::try_from(fields.len()).map_err(|_| EncodeError::TooLong {
            field: "extension count",
            len: fields.len(),
            max: MAX_FIELDS,
        })?;
        let needed = 1 + fields.iter().map(Extension::encoded_len).sum::<usize>();
        let out = out
            .get_mut(..needed)
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        let (first, mut rest) = out
            .split_first_mut()
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        *first = count;
        for field in fields {
            // `Extension::new` bounded the body, so this cannot fail for a built field.
            let len = u8::try_from(field.body.len()).map_err(|_| EncodeError::TooLong {
                field: "EXT_FIELD",
                len: field.body.len(),
                max: MAX_FIELD_BODY_LEN,
            })?;
            let (header, after) = rest
                .split_first_chunk_mut::<2>()
                .ok_or(EncodeError::BufferTooSmall { needed })?;
            *header = [field.ty.0, len];
            let (body, after) = after.split_at_mut(field.body.len());
            body.copy_from_slice(field.body);
            rest = after;
        }
        Ok(needed)
    }

    /// Copies this list's encoding into `out`, byte for byte (unknown fields included), and
    /// returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is shorter than [`encoded_len`](Self::encoded_len).
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let needed = self.encoded.len();
        out.get_mut(..needed)
            .ok_or(EncodeError::BufferTooSmall { needed })?
            .copy_from_slice(self.encoded);
        Ok(needed)
    }

    /// The list's encoding: count byte and fields.
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.encoded
    }

    /// Bytes the list takes on the wire.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        self.encoded.len()
    }

    /// Number of fields (the count byte).
    #[must_use]
    pub const fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the list has no fields.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The fields in wire order.
    #[must_use]
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            remaining: self.count,
            // Skip the count byte; `encoded` always has one.
            rest: self.encoded.get(1..).unwrap_or_default(),
        }
    }

    /// The first field of type `ty`, if any.
    #[must_use]
    pub fn get(&self, ty: ExtensionType) -> Option<Extension<'a>> {
        self.iter().find(|e| e.ty == ty)
    }

    /// Whether the list holds a congestion-control request (type 1).
    ///
    /// Like C tor, only the field's presence counts; its body is ignored.
    #[must_use]
    pub fn congestion_control_request(&self) -> bool {
        self.get(ExtensionType::CC_REQUEST).is_some()
    }

    /// The fields in wire order, typed. A known type whose body does not parse (a
    /// congestion-control response without `sendme_inc`, an odd-length subprotocol request)
    /// gives an error for that field only.
    pub fn typed(&self) -> impl Iterator<Item = Result<CircuitExtension<'a>, DecodeError>> + 'a {
        self.iter().map(CircuitExtension::from_extension)
    }

    /// The first subprotocol request (type 3), if any.
    ///
    /// # Errors
    /// [`DecodeError::InvalidValue`] if that field's body is not a whole number of pairs.
    pub fn subprotocol_request(&self) -> Result<Option<SubprotocolRequest<'a>>, DecodeError> {
        self.get(ExtensionType::SUBPROTOCOL_REQUEST)
            .map(|e| SubprotocolRequest::from_extension(&e))
            .transpose()
    }

    /// The first congestion-control response (type 2), if any.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if that field's body is empty (it must carry `sendme_inc`).
    pub fn congestion_control_response(
        &self,
    ) -> Result<Option<CongestionControlResponse>, DecodeError> {
        self.get(ExtensionType::CC_RESPONSE)
            .map(|e| CongestionControlResponse::from_extension(&e))
            .transpose()
    }
}

impl<'a> IntoIterator for ExtensionList<'a> {
    type Item = Extension<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &ExtensionList<'a> {
    type Item = Extension<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over the fields of an [`ExtensionList`], in wire order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    remaining: u8,
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        self.remaining = self.remaining.checked_sub(1)?;
        // The list was validated when decoded, so these splits always succeed; if they did
        // not, the iterator would simply end.
        let Some((&[ty, len], after)) = self.rest.split_first_chunk::<2>() else {
            self.remaining = 0;
            return None;
        };
        let Some((body, rest)) = after.split_at_checked(usize::from(len)) else {
            self.remaining = 0;
            return None;
        };
        self.rest = rest;
        Some(Extension {
            ty: ExtensionType(ty),
            body,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.remaining);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

/// Congestion-control request (type 1, empty body): the client wants congestion control
/// on this circuit (proposal 324).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CongestionControlRequest;

impl CongestionControlRequest {
    /// This field's type.
    pub const TYPE: ExtensionType = ExtensionType::CC_REQUEST;

    /// The field, ready for [`ExtensionList::encode`].
    #[must_use]
    pub const fn to_extension(self) -> Extension<'static> {
        Extension {
            ty: Self::TYPE,
            body: &[],
        }
    }

    /// Reads the field. Like C tor, any body is accepted and ignored.
    ///
    /// # Errors
    /// [`DecodeError::InvalidValue`] if `ext` is not of type 1.
    pub fn from_extension(ext: &Extension<'_>) -> Result<Self, DecodeError> {
        if ext.ty == Self::TYPE {
            Ok(Self)
        } else {
            Err(DecodeError::InvalidValue {
                field: "EXT_FIELD_TYPE",
            })
        }
    }
}

/// Congestion-control response (type 2): the relay agrees to congestion control and
/// announces its SENDME increment (proposal 324).
///
/// The codec accepts any `sendme_inc`; C tor's client then refuses 0 and values more than 1
/// away from the consensus `cc_sendme_inc`, which is policy for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CongestionControlResponse {
    /// Cells per SENDME the relay will use.
    pub sendme_inc: u8,
}

impl CongestionControlResponse {
    /// This field's type.
    pub const TYPE: ExtensionType = ExtensionType::CC_RESPONSE;

    /// The field, borrowing its one-byte body from `self`, ready for [`ExtensionList::encode`].
    #[must_use]
    pub fn to_extension(&self) -> Extension<'_> {
        Extension {
            ty: Self::TYPE,
            body: core::slice::from_ref(&self.sendme_inc),
        }
    }

    /// Reads the field: the first body byte is `sendme_inc`. Like C tor's trunnel parser,
    /// bytes after it are ignored.
    ///
    /// # Errors
    /// [`DecodeError::InvalidValue`] if `ext` is not of type 2, [`DecodeError::Truncated`] if
    /// its body is empty.
    pub fn from_extension(ext: &Extension<'_>) -> Result<Self, DecodeError> {
        if ext.ty != Self::TYPE {
            return Err(DecodeError::InvalidValue {
                field: "EXT_FIELD_TYPE",
            });
        }
        let &sendme_inc = ext
            .body
            .first()
            .ok_or(DecodeError::Truncated { needed: 1 })?;
        Ok(Self { sendme_inc })
    }
}

/// A subprotocol named in a [`SubprotocolRequest`] by its number (proposal 346, tor-spec
/// "Subprotocol versioning"). An open newtype.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolId(pub u8);

impl ProtocolId {
    /// `Link`.
    pub const LINK: Self = Self(0);
    /// `LinkAuth`.
    pub const LINK_AUTH: Self = Self(1);
    /// `Relay`.
    pub const RELAY: Self = Self(2);
    /// `DirCache`.
    pub const DIR_CACHE: Self = Self(3);
    /// `HSDir`.
    pub const HS_DIR: Self = Self(4);
    /// `HSIntro`.
    pub const HS_INTRO: Self = Self(5);
    /// `HSRend`.
    pub const HS_REND: Self = Self(6);
    /// `Desc`.
    pub const DESC: Self = Self(7);
    /// `Microdesc`.
    pub const MICRODESC: Self = Self(8);
    /// `Cons`.
    pub const CONS: Self = Self(9);
    /// `Padding`.
    pub const PADDING: Self = Self(10);
    /// `FlowCtrl`.
    pub const FLOW_CTRL: Self = Self(11);
    /// `Conflux`.
    pub const CONFLUX: Self = Self(12);
}

impl fmt::Debug for ProtocolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProtocolId({})", self.0)
    }
}

/// One requested capability: a subprotocol and its capability number (`Relay=5` is
/// `ProtocolId::RELAY`, 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubprotocolCapability {
    /// The subprotocol.
    pub protocol: ProtocolId,
    /// The capability (version) number.
    pub capability: u8,
}

/// `SUBPROTOCOL_REQUEST` (type 3, proposal 346): the client asks the relay to use these
/// subprotocol capabilities on this circuit. The body is pairs of bytes, `protocol_id` then
/// capability number. Borrowed, never copied.
///
/// ```
/// use onionskin::codec::extension::{CircuitExtension, ProtocolId, SubprotocolRequest};
///
/// // Ask for Relay=5 (proposal 340's packed and fragmented cells).
/// let request = SubprotocolRequest::new(&[[ProtocolId::RELAY.0, 5]]);
/// let mut out = [0u8; 8];
/// let n = CircuitExtension::encode_list(&[CircuitExtension::SubprotocolRequest(request)], &mut out)?;
/// assert_eq!(&out[..n], &[1, 3, 2, 2, 5]);
/// # Ok::<(), onionskin::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubprotocolRequest<'a> {
    body: &'a [u8],
}

impl<'a> SubprotocolRequest<'a> {
    /// This field's type.
    pub const TYPE: ExtensionType = ExtensionType::SUBPROTOCOL_REQUEST;

    /// A request for the `[protocol_id, capability]` pairs in `pairs` (send them sorted,
    /// proposal 346).
    #[must_use]
    pub fn new(pairs: &'a [[u8; 2]]) -> Self {
        Self {
            body: pairs.as_flattened(),
        }
    }

    /// The requested capabilities, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = SubprotocolCapability> + 'a {
        self.body.chunks_exact(2).filter_map(|pair| match *pair {
            [protocol, capability] => Some(SubprotocolCapability {
                protocol: ProtocolId(protocol),
                capability,
            }),
            _ => None,
        })
    }

    /// Whether `capability` of `protocol` is requested.
    #[must_use]
    pub fn contains(&self, protocol: ProtocolId, capability: u8) -> bool {
        self.iter()
            .any(|c| c.protocol == protocol && c.capability == capability)
    }

    /// The field, borrowing its body, ready for [`ExtensionList::encode`].
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] for more than 127 pairs (the body's length is one byte).
    pub fn to_extension(&self) -> Result<Extension<'a>, EncodeError> {
        Extension::new(Self::TYPE, self.body)
    }

    /// Reads the field.
    ///
    /// # Errors
    /// [`DecodeError::InvalidValue`] if `ext` is not of type 3 or its body is not a whole
    /// number of pairs.
    pub fn from_extension(ext: &Extension<'a>) -> Result<Self, DecodeError> {
        if ext.ty != Self::TYPE || !ext.body.len().is_multiple_of(2) {
            return Err(DecodeError::InvalidValue {
                field: "SUBPROTOCOL_REQUEST",
            });
        }
        Ok(Self { body: ext.body })
    }
}

/// One ntor-v3 extension field, typed. What the handshake API takes from a client, hands to
/// a relay's callback, and hands back to the client from the relay.
///
/// Types this crate does not know are carried through unchanged as
/// [`Unknown`](Self::Unknown).
///
/// ```
/// use onionskin::codec::extension::{CircuitExtension, Extension, ExtensionList, ExtensionType};
///
/// let fields = [
///     CircuitExtension::CongestionControlRequest,
///     CircuitExtension::Unknown(Extension::new(ExtensionType(0x42), b"hi")?),
/// ];
/// let mut out = [0u8; 16];
/// let n = CircuitExtension::encode_list(&fields, &mut out)?;
/// assert_eq!(&out[..n], &[2, 1, 0, 0x42, 2, b'h', b'i']);
///
/// let list = ExtensionList::decode_exact(&out[..n])?;
/// let back: Vec<_> = list.typed().collect::<Result<_, _>>()?;
/// assert_eq!(back, fields);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CircuitExtension<'a> {
    /// Type 1, client to relay: use congestion control (proposal 324).
    CongestionControlRequest,
    /// Type 2, relay to client: congestion control accepted, with this `sendme_inc`.
    CongestionControlResponse(CongestionControlResponse),
    /// Type 3, client to relay: use these subprotocol capabilities (proposal 346).
    SubprotocolRequest(SubprotocolRequest<'a>),
    /// Any other type, with its raw body.
    Unknown(Extension<'a>),
}

impl<'a> CircuitExtension<'a> {
    /// The field on the wire.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if the body does not fit a field (over 255 bytes).
    pub fn to_extension(&self) -> Result<Extension<'_>, EncodeError> {
        match self {
            Self::CongestionControlRequest => Ok(CongestionControlRequest.to_extension()),
            Self::CongestionControlResponse(r) => Ok(r.to_extension()),
            Self::SubprotocolRequest(r) => r.to_extension(),
            Self::Unknown(e) => Ok(*e),
        }
    }

    /// Reads one field. A field of a type this crate does not know becomes
    /// [`Unknown`](Self::Unknown); a known type is always read into its typed variant, the way
    /// C tor reads it: a congestion-control request's body and the bytes after a response's
    /// `sendme_inc` are ignored. Such a field writes back in its canonical form; to pass a
    /// list on byte for byte, use [`ExtensionList::iter`] and [`ExtensionWriter::push_raw`].
    ///
    /// # Errors
    /// As the typed field's `from_extension`.
    pub fn from_extension(ext: Extension<'a>) -> Result<Self, DecodeError> {
        Ok(match ext.ty {
            ExtensionType::CC_REQUEST => {
                CongestionControlRequest::from_extension(&ext)?;
                Self::CongestionControlRequest
            }
            ExtensionType::CC_RESPONSE => {
                Self::CongestionControlResponse(CongestionControlResponse::from_extension(&ext)?)
            }
            ExtensionType::SUBPROTOCOL_REQUEST => {
                Self::SubprotocolRequest(SubprotocolRequest::from_extension(&ext)?)
            }
            _ => Self::Unknown(ext),
        })
    }

    /// Encodes `fields` as an extension list into `out` and returns its length. An empty
    /// slice encodes as the one byte `00`, the empty list C tor requires.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is too short, [`EncodeError::TooLong`] for
    /// more than [`MAX_FIELDS`] fields or a body over [`MAX_FIELD_BODY_LEN`] bytes.
    pub fn encode_list(
        fields: &[CircuitExtension<'_>],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let mut w = ExtensionWriter::new(out)?;
        for field in fields {
            w.push(field)?;
        }
        Ok(w.len())
    }
}

/// Writes an extension list into a caller's buffer, one typed field at a time: the count
/// byte first (so an untouched writer holds the empty list `00`), then each field.
///
/// ```
/// use onionskin::codec::extension::{CircuitExtension, CongestionControlResponse, ExtensionWriter};
///
/// let mut buf = [0u8; 8];
/// let mut w = ExtensionWriter::new(&mut buf)?;
/// assert_eq!(w.as_bytes(), &[0]);
/// w.push(&CircuitExtension::CongestionControlResponse(CongestionControlResponse { sendme_inc: 31 }))?;
/// assert_eq!(w.as_bytes(), &[1, 2, 1, 31]);
/// # Ok::<(), onionskin::EncodeError>(())
/// ```
#[derive(Debug)]
pub struct ExtensionWriter<'a> {
    out: &'a mut [u8],
    len: usize,
    count: u8,
}

impl<'a> ExtensionWriter<'a> {
    /// A writer over `out`, holding the empty list.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` is empty.
    pub fn new(out: &'a mut [u8]) -> Result<Self, EncodeError> {
        *out.first_mut()
            .ok_or(EncodeError::BufferTooSmall { needed: 1 })? = 0;
        Ok(Self {
            out,
            len: 1,
            count: 0,
        })
    }

    /// Appends one field.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit (the list is unchanged),
    /// [`EncodeError::TooLong`] past [`MAX_FIELDS`] fields or for a body over
    /// [`MAX_FIELD_BODY_LEN`] bytes.
    pub fn push(&mut self, field: &CircuitExtension<'_>) -> Result<(), EncodeError> {
        let ext = field.to_extension()?;
        self.push_raw(&ext)
    }

    /// Appends one raw field (any type, any body), for research and for types this crate
    /// does not know.
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub fn push_raw(&mut self, ext: &Extension<'_>) -> Result<(), EncodeError> {
        let count = self.count.checked_add(1).ok_or(EncodeError::TooLong {
            field: "extension count",
            len: MAX_FIELDS + 1,
            max: MAX_FIELDS,
        })?;
        let len = u8::try_from(ext.body.len()).map_err(|_| EncodeError::TooLong {
            field: "EXT_FIELD",
            len: ext.body.len(),
            max: MAX_FIELD_BODY_LEN,
        })?;
        let needed = self.len + ext.encoded_len();
        let dst = self
            .out
            .get_mut(self.len..needed)
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        let (header, body) = dst
            .split_first_chunk_mut::<2>()
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        *header = [ext.ty.0, len];
        body.copy_from_slice(ext.body);
        if let Some(c) = self.out.first_mut() {
            *c = count;
        }
        self.count = count;
        self.len = needed;
        Ok(())
    }

    /// Bytes written so far (at least 1, the count byte).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no field has been written (the buffer holds `00`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The list written so far.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.out.get(..self.len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_tor_messages() {
        // The congestion-control messages of test-vectors/ntor_v3.json.
        let cm = ExtensionList::decode_exact(&[1, 1, 0]).unwrap();
        assert_eq!(cm.len(), 1);
        assert!(cm.congestion_control_request());
        assert_eq!(cm.congestion_control_response(), Ok(None));
        let sm = ExtensionList::decode_exact(&[1, 2, 1, 31]).unwrap();
        assert!(!sm.congestion_control_request());
        assert_eq!(
            sm.congestion_control_response(),
            Ok(Some(CongestionControlResponse { sendme_inc: 31 }))
        );
    }

    #[test]
    fn empty_and_truncated() {
        let e = ExtensionList::decode_exact(&[0]).unwrap();
        assert!(e.is_empty());
        assert_eq!(e, ExtensionList::EMPTY);
        assert_eq!(e.iter().count(), 0);
        assert_eq!(
            ExtensionList::decode_exact(&[]),
            Err(DecodeError::Truncated { needed: 1 })
        );
        assert_eq!(
            ExtensionList::decode_exact(&[1]),
            Err(DecodeError::Truncated { needed: 2 })
        );
        assert_eq!(
            ExtensionList::decode_exact(&[1, 7]),
            Err(DecodeError::Truncated { needed: 1 })
        );
        assert_eq!(
            ExtensionList::decode_exact(&[1, 7, 3, 0]),
            Err(DecodeError::Truncated { needed: 2 })
        );
        assert_eq!(
            ExtensionList::decode_exact(&[2, 7, 0]),
            Err(DecodeError::Truncated { needed: 2 })
        );
    }

    #[test]
    fn trailing_bytes() {
        assert_eq!(
            ExtensionList::decode_exact(&[0, 9, 9]),
            Err(DecodeError::TrailingBytes { extra: 2 })
        );
        let (l, rest) = ExtensionList::decode_prefix(&[1, 1, 0, 9]).unwrap();
        assert_eq!(l.as_bytes(), &[1, 1, 0]);
        assert_eq!(rest, &[9]);
    }

    #[test]
    fn unknown_types_preserved_and_first_wins() {
        let bytes = [4, 0x77, 2, 0xaa, 0xbb, 2, 1, 5, 1, 0, 2, 1, 9];
        let l = ExtensionList::decode_exact(&bytes).unwrap();
        let fields: std::vec::Vec<_> = l.iter().collect();
        assert_eq!(fields.len(), 4);
        assert_eq!(fields[0].ty(), ExtensionType(0x77));
        assert_eq!(fields[0].body(), &[0xaa, 0xbb]);
        assert_eq!(
            l.congestion_control_response(),
            Ok(Some(CongestionControlResponse { sendme_inc: 5 }))
        );
        let mut out = [0u8; 32];
        let n = ExtensionList::encode(&fields, &mut out).unwrap();
        assert_eq!(&out[..n], &bytes);
        let mut copy = [0u8; 13];
        assert_eq!(l.encode_into(&mut copy), Ok(13));
        assert_eq!(copy, bytes);
        assert_eq!(
            l.encode_into(&mut [0u8; 12]),
            Err(EncodeError::BufferTooSmall { needed: 13 })
        );
    }

    #[test]
    fn encode_limits() {
        let big = [0u8; 256];
        assert!(matches!(
            Extension::new(ExtensionType(9), &big),
            Err(EncodeError::TooLong { .. })
        ));
        let ok = Extension::new(ExtensionType(9), &big[..255]).unwrap();
        let mut out = [0u8; 258];
        assert_eq!(ExtensionList::encode(&[ok], &mut out), Ok(258));
        assert_eq!(
            ExtensionList::encode(&[ok], &mut out[..257]),
            Err(EncodeError::BufferTooSmall { needed: 258 })
        );
        let many = [CongestionControlRequest.to_extension(); 256];
        assert!(matches!(
            ExtensionList::encode(&many, &mut [0u8; 1024]),
            Err(EncodeError::TooLong { .. })
        ));
        assert_eq!(
            ExtensionList::encode(&many[..255], &mut [0u8; 1024]),
            Ok(511)
        );
    }

    #[test]
    fn typed_fields() {
        let r = CongestionControlResponse { sendme_inc: 31 };
        assert_eq!(
            CongestionControlResponse::from_extension(&r.to_extension()),
            Ok(r)
        );
        let empty = Extension::new(ExtensionType::CC_RESPONSE, &[]).unwrap();
        assert_eq!(
            CongestionControlResponse::from_extension(&empty),
            Err(DecodeError::Truncated { needed: 1 })
        );
        assert!(
            CongestionControlResponse::from_extension(&CongestionControlRequest.to_extension())
                .is_err()
        );
        assert!(CongestionControlRequest::from_extension(&r.to_extension()).is_err());
        let with_body = Extension::new(ExtensionType::CC_REQUEST, &[1]).unwrap();
        assert_eq!(
            CongestionControlRequest::from_extension(&with_body),
            Ok(CongestionControlRequest)
        );
    }
}
