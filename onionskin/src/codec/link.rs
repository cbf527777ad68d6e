//! Link-level cells (tor-spec 4): VERSIONS, NETINFO, PADDING, VPADDING, CERTS and
//! AUTH_CHALLENGE. All are sent with circuit ID 0.
//!
//! Each view borrows from the cell body and is checked once, when made; each has an
//! `encode_cell` that writes it back as a whole cell, and an associated function that
//! builds the cell from its parts.

use super::channel::{LinkProtocol, write_cell};
use super::{Command, Reader, Writer, len_u8, len_u16};
use crate::{DecodeError, EncodeError};
use core::iter::FusedIterator;
use core::net::{Ipv4Addr, Ipv6Addr};

/// Length of the challenge in AUTH_CHALLENGE (tor-spec 4.3).
pub const AUTH_CHALLENGE_LEN: usize = 32;

const MAX_VAR_BODY: usize = u16::MAX as usize;

/// PADDING (command 0): a fixed-size cell whose body is ignored (tor-spec 4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Padding;

impl Padding {
    /// Writes a PADDING cell (circuit ID 0, NUL body) and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` cannot hold a fixed-size cell.
    ///
    /// ```
    /// use onionskin::codec::{LinkProtocol, Padding};
    /// let mut out = [0xffu8; 514];
    /// assert_eq!(Padding.encode_cell(LinkProtocol::V4, &mut out)?, 514);
    /// assert!(out.iter().all(|&b| b == 0));
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_cell(&self, link: LinkProtocol, out: &mut [u8]) -> Result<usize, EncodeError> {
        write_cell(link, 0, Command::PADDING, 0, out, |_| Ok(()))
    }
}

/// VPADDING (command 128): a variable-length cell whose body is ignored (tor-spec 4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vpadding<'a> {
    body: &'a [u8],
}

impl<'a> Vpadding<'a> {
    /// Any body is a valid VPADDING body.
    #[must_use]
    pub const fn decode(body: &'a [u8]) -> Self {
        Self { body }
    }

    /// The body.
    #[must_use]
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Writes a VPADDING cell with a NUL body of `len` bytes and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit `out`.
    ///
    /// ```
    /// use onionskin::codec::{LinkProtocol, Vpadding};
    /// let mut out = [0xffu8; 10];
    /// assert_eq!(Vpadding::encode_zeros(LinkProtocol::V4, 3, &mut out)?, 10);
    /// assert_eq!(out, [0, 0, 0, 0, 128, 0, 3, 0, 0, 0]);
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_zeros(
        link: LinkProtocol,
        len: u16,
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        write_cell(link, 0, Command::VPADDING, usize::from(len), out, |w| {
            w.reserve(usize::from(len))?.fill(0);
            Ok(())
        })
    }

    /// Writes this cell back and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit `out`, [`EncodeError::TooLong`] if
    /// the body is over 65535 bytes.
    ///
    /// ```
    /// use onionskin::codec::{LinkProtocol, Vpadding};
    /// let mut out = [0u8; 9];
    /// assert_eq!(Vpadding::decode(&[1, 2]).encode_cell(LinkProtocol::V4, &mut out)?, 9);
    /// assert_eq!(out[7..], [1, 2]);
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_cell(&self, link: LinkProtocol, out: &mut [u8]) -> Result<usize, EncodeError> {
        write_cell(link, 0, Command::VPADDING, self.body.len(), out, |w| {
            w.put(self.body)
        })
    }
}

/// VERSIONS (command 7, tor-spec 4.1): the link protocol versions a side supports, as
/// big-endian `u16`s. Always framed with a 2-byte circuit ID.
///
/// A trailing odd byte is ignored, as C tor's `channel_tls_process_versions_cell` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions<'a> {
    raw: &'a [u8],
}

impl<'a> Versions<'a> {
    /// Decodes a VERSIONS body.
    ///
    /// # Errors
    /// None today (every body lists some versions, possibly none); kept fallible so that a
    /// stricter rule can come without breaking callers.
    ///
    /// ```
    /// use onionskin::codec::Versions;
    /// let v = Versions::decode(&[0, 4, 0, 5, 9])?;
    /// assert_eq!(v.iter().collect::<Vec<_>>(), [4, 5]);
    /// # Ok::<(), onionskin::DecodeError>(())
    /// ```
    pub fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        let even = body.len() & !1;
        Ok(Self {
            raw: body.get(..even).unwrap_or_default(),
        })
    }

    /// How many versions are listed.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.raw.len() / 2
    }

    /// Whether no version is listed.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The versions, in the order listed.
    #[must_use]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u16> + use<'a> {
        self.raw.chunks_exact(2).map(|p| {
            u16::from_be_bytes([
                p.first().copied().unwrap_or(0),
                p.last().copied().unwrap_or(0),
            ])
        })
    }

    /// The highest version both this cell and `ours` list (tor-spec 4.1), if any.
    ///
    /// ```
    /// use onionskin::codec::Versions;
    /// let theirs = Versions::decode(&[0, 3, 0, 4, 0, 5])?;
    /// assert_eq!(theirs.highest_common(&[4, 5, 6]), Some(5));
    /// assert_eq!(theirs.highest_common(&[2]), None);
    /// # Ok::<(), onionskin::DecodeError>(())
    /// ```
    #[must_use]
    pub fn highest_common(&self, ours: &[u16]) -> Option<u16> {
        self.iter().filter(|v| ours.contains(v)).max()
    }

    /// Writes a VERSIONS cell listing `versions` (2-byte circuit ID 0) and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit `out`, [`EncodeError::TooLong`] for
    /// more versions than a cell can hold.
    ///
    /// ```
    /// use onionskin::codec::Versions;
    /// let mut out = [0u8; 9];
    /// assert_eq!(Versions::encode_list(&[4, 5], &mut out)?, 9);
    /// assert_eq!(out, [0, 0, 7, 0, 4, 0, 4, 0, 5]);
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_list(versions: &[u16], out: &mut [u8]) -> Result<usize, EncodeError> {
        let len = versions.len().saturating_mul(2);
        len_u16(len, "versions", MAX_VAR_BODY)?;
        write_cell(
            LinkProtocol::NEGOTIATING,
            0,
            Command::VERSIONS,
            len,
            out,
            |w| versions.iter().try_for_each(|v| w.put_u16(*v)),
        )
    }

    /// Writes this cell back (2-byte circuit ID 0) and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit `out`.
    ///
    /// ```
    /// use onionskin::codec::Versions;
    /// let mut out = [0u8; 7];
    /// assert_eq!(Versions::decode(&[0, 5])?.encode_cell(&mut out)?, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_cell(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        write_cell(
            LinkProtocol::NEGOTIATING,
            0,
            Command::VERSIONS,
            self.raw.len(),
            out,
            |w| w.put(self.raw),
        )
    }
}

/// One address in a NETINFO cell (tor-spec 4.4): `ATYPE | ALEN | AVAL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetinfoAddr<'a> {
    /// Type 4, 4 bytes.
    Ipv4(Ipv4Addr),
    /// Type 6, 16 bytes.
    Ipv6(Ipv6Addr),
    /// Any other type, carried unchanged (receivers ignore it).
    Other {
        /// ATYPE.
        atype: u8,
        /// AVAL.
        value: &'a [u8],
    },
}

impl<'a> NetinfoAddr<'a> {
    /// ATYPE of an IPv4 address.
    pub const IPV4: u8 = 4;
    /// ATYPE of an IPv6 address.
    pub const IPV6: u8 = 6;

    fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let atype = r.take_u8()?;
        let alen = usize::from(r.take_u8()?);
        let value = r.take(alen)?;
        let exact = |want: usize| {
            if alen == want {
                Ok(())
            } else {
                Err(DecodeError::LengthOutOfRange {
                    field: "NETINFO address length",
                    value: alen,
                    limit: want,
                })
            }
        };
        Ok(match atype {
            Self::IPV4 => {
                exact(4)?;
                let mut a = [0u8; 4];
                a.copy_from_slice(value);
                Self::Ipv4(Ipv4Addr::from(a))
            }
            Self::IPV6 => {
                exact(16)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(value);
                Self::Ipv6(Ipv6Addr::from(a))
            }
            atype => Self::Other { atype, value },
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Self::Ipv4(a) => {
                w.put(&[Self::IPV4, 4])?;
                w.put(&a.octets())
            }
            Self::Ipv6(a) => {
                w.put(&[Self::IPV6, 16])?;
                w.put(&a.octets())
            }
            Self::Other { atype, value } => {
                w.put_u8(*atype)?;
                w.put_u8(len_u8(value.len(), "NETINFO address")?)?;
                w.put(value)
            }
        }
    }

    const fn encoded_len(&self) -> usize {
        2 + match self {
            Self::Ipv4(_) => 4,
            Self::Ipv6(_) => 16,
            Self::Other { value, .. } => value.len(),
        }
    }
}

/// The sender's own addresses in a NETINFO cell, checked when the cell was decoded.
#[derive(Clone, Debug)]
pub struct NetinfoAddrIter<'a> {
    r: Reader<'a>,
    left: u8,
}

impl<'a> Iterator for NetinfoAddrIter<'a> {
    type Item = NetinfoAddr<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        NetinfoAddr::read(&mut self.r).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::from(self.left), Some(usize::from(self.left)))
    }
}

impl ExactSizeIterator for NetinfoAddrIter<'_> {}
impl FusedIterator for NetinfoAddrIter<'_> {}

/// NETINFO (command 8, tor-spec 4.4): `TIME | OTHERADDR | NMYADDR | MYADDRS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Netinfo<'a> {
    timestamp: u32,
    other: NetinfoAddr<'a>,
    my_count: u8,
    my_raw: &'a [u8],
}

impl<'a> Netinfo<'a> {
    /// Decodes a NETINFO body; bytes after the last address are padding.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if an address runs past the body, and
    /// [`DecodeError::LengthOutOfRange`] for an IPv4 address that is not 4 bytes or an IPv6
    /// address that is not 16 (trunnel's `netinfo_addr` rejects both).
    ///
    /// ```
    /// use onionskin::codec::{Netinfo, NetinfoAddr};
    /// use std::net::Ipv4Addr;
    /// let body = [0, 0, 0, 9, 4, 4, 127, 0, 0, 1, 0];
    /// let n = Netinfo::decode(&body)?;
    /// assert_eq!(n.timestamp(), 9);
    /// assert_eq!(n.other_addr(), NetinfoAddr::Ipv4(Ipv4Addr::LOCALHOST));
    /// assert_eq!(n.my_addrs().count(), 0);
    /// # Ok::<(), onionskin::DecodeError>(())
    /// ```
    pub fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let timestamp = r.take_u32()?;
        let other = NetinfoAddr::read(&mut r)?;
        let my_count = r.take_u8()?;
        let start = r.peek_rest();
        for _ in 0..my_count {
            NetinfoAddr::read(&mut r)?;
        }
        let used = start.len() - r.remaining();
        Ok(Self {
            timestamp,
            other,
            my_count,
            my_raw: start.get(..used).unwrap_or_default(),
        })
    }

    /// TIME: the sender's clock, seconds since the epoch (relays fill it in; clients send 0).
    #[must_use]
    pub const fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// OTHERADDR: the receiver's address as the sender sees it.
    #[must_use]
    pub const fn other_addr(&self) -> NetinfoAddr<'a> {
        self.other
    }

    /// MYADDRS: the sender's own addresses.
    #[must_use]
    pub fn my_addrs(&self) -> NetinfoAddrIter<'a> {
        NetinfoAddrIter {
            r: Reader::new(self.my_raw),
            left: self.my_count,
        }
    }

    /// Writes a NETINFO cell (circuit ID 0) from its parts and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` cannot hold a fixed-size cell,
    /// [`EncodeError::TooLong`] if the addresses do not fit a cell body or there are more than
    /// 255 of them.
    ///
    /// ```
    /// use onionskin::codec::{LinkProtocol, Netinfo, NetinfoAddr};
    /// use std::net::Ipv4Addr;
    /// let relay = NetinfoAddr::Ipv4(Ipv4Addr::LOCALHOST);
    /// let mut out = [0u8; 514];
    /// Netinfo::encode_parts(LinkProtocol::V5, 0, relay, &[], &mut out)?;
    /// assert_eq!(out[4], 8);
    /// assert_eq!(Netinfo::decode(&out[5..])?.other_addr(), relay);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_parts(
        link: LinkProtocol,
        timestamp: u32,
        other: NetinfoAddr<'_>,
        mine: &[NetinfoAddr<'_>],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let count = len_u8(mine.len(), "NETINFO addresses")?;
        let len =
            4 + other.encoded_len() + 1 + mine.iter().map(NetinfoAddr::encoded_len).sum::<usize>();
        write_cell(link, 0, Command::NETINFO, len, out, |w| {
            w.put_u32(timestamp)?;
            other.write(w)?;
            w.put_u8(count)?;
            mine.iter().try_for_each(|a| a.write(w))
        })
    }

    /// Writes this cell back (circuit ID 0, NUL padding) and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if `out` cannot hold a fixed-size cell.
    ///
    /// ```
    /// use onionskin::codec::{LinkProtocol, Netinfo};
    /// let mut out = [0u8; 512];
    /// Netinfo::decode(&[0, 0, 0, 1, 9, 0, 0])?.encode_cell(LinkProtocol::V3, &mut out)?;
    /// assert_eq!(out[..10], [0, 0, 8, 0, 0, 0, 1, 9, 0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_cell(&self, link: LinkProtocol, out: &mut [u8]) -> Result<usize, EncodeError> {
        let len = 4 + self.other.encoded_len() + 1 + self.my_raw.len();
        write_cell(link, 0, Command::NETINFO, len, out, |w| {
            w.put_u32(self.timestamp)?;
            self.other.write(w)?;
            w.put_u8(self.my_count)?;
            w.put(self.my_raw)
        })
    }
}

/// One certificate in a CERTS cell (tor-spec 4.2): `CertType | CLEN | Certificate`. Not
/// parsed or validated here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CertEntry<'a> {
    /// CertType (1 to 3: X.509; 4 to 7: Tor certificates, cert-spec).
    pub cert_type: u8,
    /// The certificate's bytes.
    pub body: &'a [u8],
}

impl<'a> CertEntry<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let cert_type = r.take_u8()?;
        let len = usize::from(r.take_u16()?);
        Ok(Self {
            cert_type,
            body: r.take(len)?,
        })
    }
}

/// The certificates of a CERTS cell, checked when the cell was decoded.
#[derive(Clone, Debug)]
pub struct CertIter<'a> {
    r: Reader<'a>,
    left: u8,
}

impl<'a> Iterator for CertIter<'a> {
    type Item = CertEntry<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        CertEntry::read(&mut self.r).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::from(self.left), Some(usize::from(self.left)))
    }
}

impl ExactSizeIterator for CertIter<'_> {}
impl FusedIterator for CertIter<'_> {}

/// CERTS (command 129, tor-spec 4.2): `N | N × (CertType | CLEN | Certificate)`. The list
/// only; certificate validation is the caller's.
///
/// Bytes after the last certificate are ignored, as C tor's `certs_cell_parse` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Certs<'a> {
    count: u8,
    raw: &'a [u8],
}

impl<'a> Certs<'a> {
    /// Decodes a CERTS body.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if a certificate runs past the body.
    ///
    /// ```
    /// use onionskin::codec::{CertEntry, Certs};
    /// let certs = Certs::decode(&[1, 7, 0, 2, 0xaa, 0xbb])?;
    /// let all: Vec<_> = certs.iter().collect();
    /// assert_eq!(all, [CertEntry { cert_type: 7, body: &[0xaa, 0xbb] }]);
    /// # Ok::<(), onionskin::DecodeError>(())
    /// ```
    pub fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let count = r.take_u8()?;
        let start = r.peek_rest();
        for _ in 0..count {
            CertEntry::read(&mut r)?;
        }
        let used = start.len() - r.remaining();
        Ok(Self {
            count,
            raw: start.get(..used).unwrap_or_default(),
        })
    }

    /// How many certificates the cell holds.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the cell holds none.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The certificates, in order.
    #[must_use]
    pub fn iter(&self) -> CertIter<'a> {
        CertIter {
            r: Reader::new(self.raw),
            left: self.count,
        }
    }

    /// Writes a CERTS cell (circuit ID 0) listing `certs` and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] for more than 255 certificates, a certificate over 65535
    /// bytes or a body over 65535 bytes; [`EncodeError::BufferTooSmall`] if it does not fit.
    ///
    /// ```
    /// use onionskin::codec::{CertEntry, Certs, LinkProtocol};
    /// let mut out = [0u8; 16];
    /// let n = Certs::encode_list(LinkProtocol::V4, &[CertEntry { cert_type: 4, body: &[1] }], &mut out)?;
    /// assert_eq!(out[..n], [0, 0, 0, 0, 129, 0, 5, 1, 4, 0, 1, 1]);
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_list(
        link: LinkProtocol,
        certs: &[CertEntry<'_>],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let count = len_u8(certs.len(), "certificates")?;
        let mut len = 1usize;
        for c in certs {
            len_u16(c.body.len(), "certificate", MAX_VAR_BODY)?;
            len = len.saturating_add(3 + c.body.len());
        }
        len_u16(len, "CERTS body", MAX_VAR_BODY)?;
        write_cell(link, 0, Command::CERTS, len, out, |w| {
            w.put_u8(count)?;
            for c in certs {
                w.put_u8(c.cert_type)?;
                w.put_u16(len_u16(c.body.len(), "certificate", MAX_VAR_BODY)?)?;
                w.put(c.body)?;
            }
            Ok(())
        })
    }

    /// Writes this cell back and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit `out`.
    ///
    /// ```
    /// use onionskin::codec::{Certs, LinkProtocol};
    /// let mut out = [0u8; 8];
    /// assert_eq!(Certs::decode(&[0])?.encode_cell(LinkProtocol::V4, &mut out)?, 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_cell(&self, link: LinkProtocol, out: &mut [u8]) -> Result<usize, EncodeError> {
        write_cell(link, 0, Command::CERTS, 1 + self.raw.len(), out, |w| {
            w.put_u8(self.count)?;
            w.put(self.raw)
        })
    }
}

/// AUTH_CHALLENGE (command 130, tor-spec 4.3): `Challenge[32] | N_Methods | Methods`.
///
/// Bytes after the methods are ignored, as C tor's `auth_challenge_cell_parse` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthChallenge<'a> {
    challenge: &'a [u8; AUTH_CHALLENGE_LEN],
    methods: &'a [u8],
}

impl<'a> AuthChallenge<'a> {
    /// Decodes an AUTH_CHALLENGE body.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if the body ends before the challenge or the methods.
    ///
    /// ```
    /// use onionskin::codec::AuthChallenge;
    /// let mut body = [0u8; 38];
    /// body[33] = 2; // N_Methods
    /// body[35] = 1;
    /// body[37] = 3;
    /// let c = AuthChallenge::decode(&body)?;
    /// assert_eq!(c.methods().collect::<Vec<_>>(), [1, 3]);
    /// # Ok::<(), onionskin::DecodeError>(())
    /// ```
    pub fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let challenge = r.take_array::<AUTH_CHALLENGE_LEN>()?;
        let n = usize::from(r.take_u16()?);
        let methods = r.take(n * 2)?;
        Ok(Self { challenge, methods })
    }

    /// The challenge.
    #[must_use]
    pub const fn challenge(&self) -> &'a [u8; AUTH_CHALLENGE_LEN] {
        self.challenge
    }

    /// The authentication methods offered (1: RSA-SHA256-TLSSecret, 3: Ed25519-SHA256-RFC5705).
    #[must_use]
    pub fn methods(&self) -> impl ExactSizeIterator<Item = u16> + use<'a> {
        self.methods.chunks_exact(2).map(|p| {
            u16::from_be_bytes([
                p.first().copied().unwrap_or(0),
                p.last().copied().unwrap_or(0),
            ])
        })
    }

    /// Writes an AUTH_CHALLENGE cell (circuit ID 0) from its parts and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] for too many methods, [`EncodeError::BufferTooSmall`] if it
    /// does not fit.
    ///
    /// ```
    /// use onionskin::codec::{AuthChallenge, LinkProtocol};
    /// let mut out = [0u8; 64];
    /// let n = AuthChallenge::encode_parts(LinkProtocol::V4, &[9; 32], &[3], &mut out)?;
    /// assert_eq!(n, 7 + 32 + 4);
    /// assert_eq!(out[39..43], [0, 1, 0, 3]);
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_parts(
        link: LinkProtocol,
        challenge: &[u8; AUTH_CHALLENGE_LEN],
        methods: &[u16],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let n = len_u16(
            methods.len(),
            "methods",
            (MAX_VAR_BODY - AUTH_CHALLENGE_LEN - 2) / 2,
        )?;
        let len = AUTH_CHALLENGE_LEN + 2 + methods.len() * 2;
        write_cell(link, 0, Command::AUTH_CHALLENGE, len, out, |w| {
            w.put(challenge)?;
            w.put_u16(n)?;
            methods.iter().try_for_each(|m| w.put_u16(*m))
        })
    }

    /// Writes this cell back and returns its length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit `out`.
    ///
    /// ```
    /// use onionskin::codec::{AuthChallenge, LinkProtocol};
    /// let mut out = [0u8; 41];
    /// assert_eq!(AuthChallenge::decode(&[0; 34])?.encode_cell(LinkProtocol::V4, &mut out)?, 41);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_cell(&self, link: LinkProtocol, out: &mut [u8]) -> Result<usize, EncodeError> {
        let len = AUTH_CHALLENGE_LEN + 2 + self.methods.len();
        let n = u16::try_from(self.methods.len() / 2)
            .map_err(|_| EncodeError::InvalidValue { field: "methods" })?;
        write_cell(link, 0, Command::AUTH_CHALLENGE, len, out, |w| {
            w.put(self.challenge)?;
            w.put_u16(n)?;
            w.put(self.methods)
        })
    }
}
