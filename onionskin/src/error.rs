//! One error type per layer: the codec (public bytes, so detailed) and the handshakes
//! (coarse where secrets are involved), and one for Tor's key file formats.

use core::fmt;

/// Why a cell or relay message could not be decoded.
///
/// Cells are public data, so this error says exactly what was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before a field: `needed` more bytes were required.
    Truncated {
        /// How many more bytes the field needed.
        needed: usize,
    },
    /// Bytes remained after a message whose length is exact.
    TrailingBytes {
        /// How many bytes were left over.
        extra: usize,
    },
    /// A length field is outside what the spec allows.
    LengthOutOfRange {
        /// Which field.
        field: &'static str,
        /// The value found.
        value: usize,
        /// The largest (or required) value.
        limit: usize,
    },
    /// A circuit ID of zero, which tor-spec 5.1.1 reserves.
    ZeroCircId,
    /// The cell's command is not the one this view decodes.
    WrongCommand {
        /// The command found.
        found: u8,
    },
    /// A handshake type that may not appear here (e.g. HTYPE 1 or an unknown one in CREATE2).
    BadHandshakeType {
        /// The HTYPE found.
        htype: u16,
    },
    /// A field holds a value the spec forbids (e.g. an all-zero identity).
    InvalidValue {
        /// Which field.
        field: &'static str,
    },
    /// A required item is missing (e.g. EXTEND2 without an RSA identity).
    Missing {
        /// What is missing.
        what: &'static str,
    },
    /// An item that may appear once appeared twice (e.g. two Ed25519 identities in EXTEND2).
    Duplicate {
        /// What was repeated.
        what: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed } => write!(f, "truncated: {needed} more bytes needed"),
            Self::TrailingBytes { extra } => write!(f, "{extra} unexpected trailing bytes"),
            Self::LengthOutOfRange {
                field,
                value,
                limit,
            } => write!(f, "{field} is {value}, outside the allowed {limit}"),
            Self::ZeroCircId => f.write_str("circuit ID 0 is reserved"),
            Self::WrongCommand { found } => write!(f, "unexpected cell command {found}"),
            Self::BadHandshakeType { htype } => {
                write!(f, "handshake type {htype} not allowed here")
            }
            Self::InvalidValue { field } => write!(f, "invalid value in {field}"),
            Self::Missing { what } => write!(f, "missing {what}"),
            Self::Duplicate { what } => write!(f, "duplicate {what}"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Why a cell or relay message could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small: `needed` bytes in all.
    BufferTooSmall {
        /// Total bytes the encoding needs.
        needed: usize,
    },
    /// A field is too long for its length prefix or for the cell.
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The maximum allowed.
        max: usize,
    },
    /// A value that may not be sent (e.g. circuit ID 0).
    InvalidValue {
        /// Which field.
        field: &'static str,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            Self::TooLong { field, len, max } => {
                write!(f, "{field} is {len} bytes, at most {max} allowed")
            }
            Self::InvalidValue { field } => write!(f, "invalid value for {field}"),
        }
    }
}

impl core::error::Error for EncodeError {}

/// Why a handshake failed. The same variants mean the same thing in every handshake.
///
/// Only *public* facts are reported precisely: the framing of the input
/// ([`Malformed`](Self::Malformed)), the relay identity the onion skin names
/// ([`WrongRelay`](Self::WrongRelay)) and whether the onion key it names is one the relay holds
/// ([`UnknownOnionKey`](Self::UnknownOnionKey)); NODEID and KEYID travel in the clear.
///
/// Every secret-dependent check (bad AUTH, MAC or KH, a non-contributory Diffie-Hellman
/// result, a bad OAEP block) is folded into one [`subtle::Choice`] and decided once, at the
/// end, and reported as the one coarse [`Failed`](Self::Failed), so neither this value nor the
/// time taken to produce it reveals which. Do not try to distinguish failures further in your
/// own code: an oracle about *why* a handshake failed is an attack tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The handshake failed its cryptographic checks (one coarse verdict, constant time).
    Failed,
    /// The input is malformed in a public way: the wrong length for this handshake, or an
    /// ntor-v3 extension list that does not parse.
    Malformed,
    /// The onion skin names a relay identity (NODEID) that is not ours. NODEID is public,
    /// so this is reported early, before any private-key operation (as C tor does).
    WrongRelay,
    /// The onion skin names an onion key (KEYID) that is none of the relay's. KEYID is public,
    /// so this may be reported; it is reported only after the same work a good onion skin
    /// costs, so its timing matches [`Failed`](Self::Failed). A relay can count these to see
    /// clients with stale descriptors. See
    /// [`UnknownKeyPolicy`](crate::handshake::UnknownKeyPolicy) for C tor's alternative.
    UnknownOnionKey,
    /// This handshake cannot carry the extensions the caller supplied (only ntor-v3 can).
    MessageNotSupported,
    /// A handshake type this relay does not run, or one that may not appear in this cell
    /// (e.g. TAP at a relay without TAP keys, as relays from C tor 0.4.9 on refuse it).
    UnsupportedHandshake(crate::HandshakeType),
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// More key material was requested than the KDF can produce.
    KeyMaterialTooLong,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Failed => "handshake failed",
            Self::Malformed => "handshake message is malformed",
            Self::WrongRelay => "handshake addressed to another relay",
            Self::UnknownOnionKey => "handshake names an onion key this relay does not hold",
            Self::MessageNotSupported => "this handshake cannot carry a message",
            Self::UnsupportedHandshake(t) => {
                return write!(f, "handshake type not supported here: {t}");
            }
            Self::BufferTooSmall => "output buffer too small",
            Self::KeyMaterialTooLong => "too much key material requested",
        })
    }
}

impl core::error::Error for HandshakeError {}

impl From<EncodeError> for HandshakeError {
    /// Encoding an extension list into a handshake message: a full buffer stays
    /// [`BufferTooSmall`](Self::BufferTooSmall), anything else (a body over 255 bytes, more
    /// than 255 fields) is [`Malformed`](Self::Malformed).
    fn from(e: EncodeError) -> Self {
        match e {
            EncodeError::BufferTooSmall { .. } => Self::BufferTooSmall,
            _ => Self::Malformed,
        }
    }
}

/// Why a key file or a key in a descriptor could not be read ([`crate::key_formats`]).
///
/// Key material is loaded once, off the handshake path; these errors say what was wrong with
/// the encoding, never anything about secret values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFormatError {
    /// The file does not start with the header C tor writes for this kind of key.
    WrongHeader,
    /// The input has the wrong length.
    WrongLength {
        /// The length this format has.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// Not valid base64 (a character outside the alphabet, misplaced padding).
    BadBase64,
    /// A DER or PEM encoding that does not parse, with the codec's reason.
    BadEncoding(DecodeError),
    /// The file's stored public key does not belong to its secret key.
    KeyMismatch,
}

impl fmt::Display for KeyFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongHeader => f.write_str("not the key file header C tor writes"),
            Self::WrongLength { expected, found } => {
                write!(f, "key is {found} bytes long, {expected} expected")
            }
            Self::BadBase64 => f.write_str("invalid base64"),
            Self::BadEncoding(e) => write!(f, "invalid key encoding: {e}"),
            Self::KeyMismatch => f.write_str("stored public key does not match the secret key"),
        }
    }
}

impl core::error::Error for KeyFormatError {}
