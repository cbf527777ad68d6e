//! The onion-service relay messages that carry hs-ntor (rend-spec-v3 3.2, 3.3, 4.2):
//! INTRODUCE1/INTRODUCE2, the plaintext inside their ENCRYPTED section, and
//! RENDEZVOUS1/RENDEZVOUS2.
//!
//! | message | layout | here |
//! |---|---|---|
//! | INTRODUCE1 (34), INTRODUCE2 (35) | `LEGACY_KEY_ID[20] \| AUTH_KEY_TYPE \| AUTH_KEY_LEN[2] \| AUTH_KEY \| N_EXTENSIONS \| extensions \| ENCRYPTED` | [`Introduce1`], [`Introduce2`] |
//! | ENCRYPTED | `CLIENT_PK[32] \| ENCRYPTED_DATA \| MAC[32]` | [`Introduce1::encrypted`] and its parts |
//! | the decrypted ENCRYPTED_DATA | `RENDEZVOUS_COOKIE[20] \| N_EXTENSIONS \| extensions \| ONION_KEY_TYPE \| ONION_KEY_LEN[2] \| ONION_KEY \| NSPEC \| link specifiers \| PAD` | [`IntroducePlaintext`] |
//! | RENDEZVOUS1 (36) | `RENDEZVOUS_COOKIE[20] \| HANDSHAKE_INFO` | [`Rendezvous1`] |
//! | RENDEZVOUS2 (37) | `HANDSHAKE_INFO[64]` | [`Rendezvous2`] |
//!
//! The hs-ntor MAC covers every byte of INTRODUCE1 before ENCRYPTED (as C tor's
//! `compute_introduce_mac` and rend-spec-v3 appendix G.1 do), which the views hand out as
//! [`Introduce1::header`]. The introduction point relays INTRODUCE1 unchanged as INTRODUCE2,
//! so the two views read the same bytes.
//!
//! As in C tor (`validate_introduce1_parsed_cell`, `hs_cell_parse_introduce2`), the views
//! accept only what a v3 service can use: an all-zero LEGACY_KEY_ID, an Ed25519 AUTH_KEY
//! (type 2, 32 bytes), an ENCRYPTED section of at least 64 bytes, and an ntor onion key
//! (type 1, 32 bytes) in the plaintext. Bytes after RENDEZVOUS2's HANDSHAKE_INFO are ignored
//! (C tor's parser does), and the rendezvous point relays everything after RENDEZVOUS1's
//! cookie, so [`Rendezvous1::handshake_info`] is the rest of the body.
//!
//! ```
//! use onionskin::codec::hs::{Introduce1, Introduce2, Rendezvous1, Rendezvous2};
//! use onionskin::codec::extension::ExtensionList;
//! use onionskin::codec::RelayMsgBody;
//!
//! let auth_key = [7u8; 32];
//! let encrypted = [1u8; 100];
//! let intro1 = Introduce1::new(&auth_key, ExtensionList::EMPTY, &encrypted)?;
//! let mut body = [0u8; 498];
//! let n = intro1.encode_into(&mut body)?;
//! let intro2 = Introduce2::decode(&body[..n])?;
//! assert_eq!(intro2.auth_key(), &auth_key);
//! assert_eq!(intro2.header().len(), 56);
//! assert_eq!(intro2.encrypted(), &encrypted[..]);
//!
//! let rend1 = Rendezvous1::new(&[3; 20], &[9; 64]);
//! let n = rend1.encode_into(&mut body)?;
//! let rend2 = Rendezvous2::decode(Rendezvous1::decode(&body[..n])?.handshake_info())?;
//! assert_eq!(rend2.handshake_info(), &[9; 64]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::extend::{RelayCommand, RelayMsgBody, check_relay_len, writer_for};
use super::extension::ExtensionList;
use super::{LinkSpecs, Reader, Writer};
use crate::{DecodeError, EncodeError};

/// Length of LEGACY_KEY_ID (zero in every v3 cell).
pub const LEGACY_KEY_ID_LEN: usize = 20;
/// AUTH_KEY_TYPE of an Ed25519 auth key, the only one v3 uses (rend-spec-v3 3.2.1).
pub const AUTH_KEY_TYPE_ED25519: u8 = 2;
/// Length of an Ed25519 AUTH_KEY.
pub const AUTH_KEY_LEN: usize = 32;
/// Length of the rendezvous cookie (rend-spec-v3 3.3, 4.2).
pub const RENDEZVOUS_COOKIE_LEN: usize = 20;
/// ONION_KEY_TYPE of an ntor (X25519) onion key, the only one v3 uses (rend-spec-v3 3.3).
pub const ONION_KEY_TYPE_NTOR: u8 = 1;
/// Length of an ntor onion key.
pub const ONION_KEY_LEN: usize = 32;
/// Length of HANDSHAKE_INFO: `SERVER_PK | AUTH_INPUT_MAC`.
pub const HANDSHAKE_INFO_LEN: usize = 64;
/// The shortest ENCRYPTED section: `CLIENT_PK | MAC` with an empty ENCRYPTED_DATA.
pub const MIN_ENCRYPTED_LEN: usize = 64;
/// C tor pads the plaintext so that INTRODUCE1 without the ENCRYPTED section's `CLIENT_PK`
/// and `MAC` is at least this long (`HS_CELL_INTRODUCE1_MIN_SIZE`), to hide which fields the
/// client sent.
pub const INTRODUCE1_MIN_PADDED_LEN: usize = 246;

/// Reads the header of INTRODUCE1/INTRODUCE2 and splits off ENCRYPTED.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IntroduceParts<'a> {
    header: &'a [u8],
    auth_key: &'a [u8; AUTH_KEY_LEN],
    extensions: ExtensionList<'a>,
    encrypted: &'a [u8],
}

impl<'a> IntroduceParts<'a> {
    fn decode(body: &'a [u8], what: &'static str) -> Result<Self, DecodeError> {
        check_relay_len(body, what)?;
        let mut r = Reader::new(body);
        let legacy = r.take_array::<LEGACY_KEY_ID_LEN>()?;
        // A non-zero LEGACY_KEY_ID marks the retired v2 format (C tor `cell_is_legacy`).
        if legacy.iter().any(|&b| b != 0) {
            return Err(DecodeError::InvalidValue {
                field: "LEGACY_KEY_ID",
            });
        }
        if r.take_u8()? != AUTH_KEY_TYPE_ED25519 {
            return Err(DecodeError::InvalidValue {
                field: "AUTH_KEY_TYPE",
            });
        }
        let auth_key_len = usize::from(r.take_u16()?);
        if auth_key_len != AUTH_KEY_LEN {
            return Err(DecodeError::LengthOutOfRange {
                field: "AUTH_KEY_LEN",
                value: auth_key_len,
                limit: AUTH_KEY_LEN,
            });
        }
        let auth_key = r.take_array::<AUTH_KEY_LEN>()?;
        let (extensions, rest) = ExtensionList::decode_prefix(r.peek_rest())?;
        let (header, encrypted) = body.split_at(body.len() - rest.len());
        if encrypted.len() < MIN_ENCRYPTED_LEN {
            return Err(DecodeError::Truncated {
                needed: MIN_ENCRYPTED_LEN - encrypted.len(),
            });
        }
        Ok(Self {
            header,
            auth_key,
            extensions,
            encrypted,
        })
    }

    fn header_len(extensions: &ExtensionList<'_>) -> usize {
        LEGACY_KEY_ID_LEN + 1 + 2 + AUTH_KEY_LEN + extensions.encoded_len()
    }

    fn write_header(
        auth_key: &[u8; AUTH_KEY_LEN],
        extensions: &ExtensionList<'_>,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        w.put(&[0; LEGACY_KEY_ID_LEN])?;
        w.put_u8(AUTH_KEY_TYPE_ED25519)?;
        // 32 fits a u16.
        #[allow(clippy::cast_possible_truncation)]
        w.put_u16(AUTH_KEY_LEN as u16)?;
        w.put(auth_key)?;
        w.put(extensions.as_bytes())
    }
}

/// Declares INTRODUCE1 and INTRODUCE2, which share one layout.
macro_rules! introduce {
    ($(#[$doc:meta])* $name:ident, $command:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name<'a> {
            parts: IntroduceParts<'a>,
        }

        impl<'a> $name<'a> {
            /// A message to encode: an all-zero LEGACY_KEY_ID, `auth_key` (Ed25519),
            /// `extensions`, then `encrypted` (as written by
            /// [`hs_ntor::ClientState::start_into`](crate::handshake::hs_ntor::ClientState::start_into)
            /// over the header [`Self::encode_header`] writes).
            ///
            /// # Errors
            /// [`EncodeError::TooLong`] if the body would not fit a relay message, and
            /// [`EncodeError::InvalidValue`] if `encrypted` is shorter than
            /// [`MIN_ENCRYPTED_LEN`].
            pub fn new(
                auth_key: &'a [u8; AUTH_KEY_LEN],
                extensions: ExtensionList<'a>,
                encrypted: &'a [u8],
            ) -> Result<Self, EncodeError> {
                let len = IntroduceParts::header_len(&extensions) + encrypted.len();
                if len > super::RELAY_PAYLOAD_LEN {
                    return Err(EncodeError::TooLong {
                        field: $what,
                        len,
                        max: super::RELAY_PAYLOAD_LEN,
                    });
                }
                if encrypted.len() < MIN_ENCRYPTED_LEN {
                    return Err(EncodeError::InvalidValue { field: "ENCRYPTED" });
                }
                Ok(Self {
                    parts: IntroduceParts {
                        // Not kept for an encoder: the header is written from the fields.
                        header: &[],
                        auth_key,
                        extensions,
                        encrypted,
                    },
                })
            }

            /// Writes only the header (everything before ENCRYPTED), which the client must
            /// have before it can compute ENCRYPTED's MAC, and returns its length.
            ///
            /// # Errors
            /// [`EncodeError::BufferTooSmall`] if it does not fit `out`.
            pub fn encode_header(
                auth_key: &[u8; AUTH_KEY_LEN],
                extensions: ExtensionList<'_>,
                out: &mut [u8],
            ) -> Result<usize, EncodeError> {
                let mut w = writer_for(out, IntroduceParts::header_len(&extensions))?;
                IntroduceParts::write_header(auth_key, &extensions, &mut w)?;
                Ok(w.finish())
            }

            /// Every byte before ENCRYPTED, as received: what the hs-ntor MAC covers.
            /// (Empty for a message made by [`Self::new`].)
            #[must_use]
            pub const fn header(&self) -> &'a [u8] {
                self.parts.header
            }

            /// AUTH_KEY: the introduction point's Ed25519 auth key (`KP_hs_ipt_sid`).
            #[must_use]
            pub const fn auth_key(&self) -> &'a [u8; AUTH_KEY_LEN] {
                self.parts.auth_key
            }

            /// The cell extensions (rend-spec-v3 3.2.1; e.g. proof-of-work, proposal 327).
            #[must_use]
            pub const fn extensions(&self) -> ExtensionList<'a> {
                self.parts.extensions
            }

            /// The ENCRYPTED section: `CLIENT_PK | ENCRYPTED_DATA | MAC`.
            #[must_use]
            pub const fn encrypted(&self) -> &'a [u8] {
                self.parts.encrypted
            }

            /// CLIENT_PK (`X`), the first 32 bytes of ENCRYPTED.
            #[must_use]
            pub fn client_pk(&self) -> &'a [u8; 32] {
                self.parts
                    .encrypted
                    .first_chunk::<32>()
                    .unwrap_or(&[0; 32])
            }

            /// ENCRYPTED_DATA, between CLIENT_PK and MAC.
            #[must_use]
            pub fn encrypted_data(&self) -> &'a [u8] {
                let e = self.parts.encrypted;
                e.get(32..e.len().saturating_sub(32)).unwrap_or_default()
            }

            /// MAC, the last 32 bytes of ENCRYPTED.
            #[must_use]
            pub fn mac(&self) -> &'a [u8; 32] {
                self.parts.encrypted.last_chunk::<32>().unwrap_or(&[0; 32])
            }
        }

        impl<'a> RelayMsgBody<'a> for $name<'a> {
            const COMMAND: RelayCommand = RelayCommand::$command;

            fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
                Ok(Self {
                    parts: IntroduceParts::decode(body, $what)?,
                })
            }

            fn encoded_len(&self) -> usize {
                IntroduceParts::header_len(&self.parts.extensions) + self.parts.encrypted.len()
            }

            fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
                let mut w = writer_for(out, self.encoded_len())?;
                IntroduceParts::write_header(self.parts.auth_key, &self.parts.extensions, &mut w)?;
                w.put(self.parts.encrypted)?;
                Ok(w.finish())
            }
        }
    };
}

introduce!(
    /// INTRODUCE1 (relay command 34, rend-spec-v3 3.2.1): the client's introduction, sent to
    /// the introduction point.
    Introduce1,
    INTRODUCE1,
    "INTRODUCE1 body"
);
introduce!(
    /// INTRODUCE2 (relay command 35, rend-spec-v3 3.2.2): INTRODUCE1 as the introduction
    /// point relays it to the service, byte for byte.
    Introduce2,
    INTRODUCE2,
    "INTRODUCE2 body"
);

impl<'a> From<Introduce1<'a>> for Introduce2<'a> {
    fn from(m: Introduce1<'a>) -> Self {
        Self { parts: m.parts }
    }
}

/// The plaintext of INTRODUCE1's ENCRYPTED_DATA (rend-spec-v3 3.3): where to meet the
/// client and how to reach it.
///
/// ```
/// use onionskin::codec::hs::IntroducePlaintext;
/// use onionskin::codec::extension::ExtensionList;
/// use onionskin::codec::{LinkSpec, LinkSpecs};
///
/// let specs = [LinkSpec::LegacyId(&[5; 20])];
/// let p = IntroducePlaintext::new(&[1; 20], ExtensionList::EMPTY, &[2; 32], LinkSpecs::from_slice(&specs)?);
/// let mut buf = [0u8; 300];
/// // Padded as C tor pads it, after a 56-byte INTRODUCE1 header.
/// let n = p.encode_padded(56, &mut buf)?;
/// assert_eq!(56 + n, 246);
/// let back = IntroducePlaintext::decode(&buf[..n])?;
/// assert_eq!(back.rendezvous_cookie(), &[1; 20]);
/// assert_eq!(back.link_specifiers().iter().next(), Some(LinkSpec::LegacyId(&[5; 20])));
/// assert_eq!(back.pad().len(), n - p.encoded_len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntroducePlaintext<'a> {
    rendezvous_cookie: &'a [u8; RENDEZVOUS_COOKIE_LEN],
    extensions: ExtensionList<'a>,
    onion_key: &'a [u8; ONION_KEY_LEN],
    link_specifiers: LinkSpecs<'a>,
    pad: &'a [u8],
}

impl<'a> IntroducePlaintext<'a> {
    /// A plaintext to encode, with the rendezvous point's ntor `onion_key` and
    /// `link_specifiers`.
    #[must_use]
    pub const fn new(
        rendezvous_cookie: &'a [u8; RENDEZVOUS_COOKIE_LEN],
        extensions: ExtensionList<'a>,
        onion_key: &'a [u8; ONION_KEY_LEN],
        link_specifiers: LinkSpecs<'a>,
    ) -> Self {
        Self {
            rendezvous_cookie,
            extensions,
            onion_key,
            link_specifiers,
            pad: &[],
        }
    }

    /// Decodes a decrypted plaintext. What follows the link specifiers is PAD, whatever its
    /// bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if a field runs past the end;
    /// [`DecodeError::InvalidValue`] for an ONION_KEY_TYPE other than ntor (1) and
    /// [`DecodeError::LengthOutOfRange`] for an ONION_KEY_LEN other than 32 (C tor refuses
    /// both); [`DecodeError::LengthOutOfRange`] too for a known link specifier type with the
    /// wrong LSLEN.
    pub fn decode(plaintext: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(plaintext);
        let rendezvous_cookie = r.take_array()?;
        let (extensions, rest) = ExtensionList::decode_prefix(r.peek_rest())?;
        let mut r = Reader::new(rest);
        if r.take_u8()? != ONION_KEY_TYPE_NTOR {
            return Err(DecodeError::InvalidValue {
                field: "ONION_KEY_TYPE",
            });
        }
        let len = usize::from(r.take_u16()?);
        if len != ONION_KEY_LEN {
            return Err(DecodeError::LengthOutOfRange {
                field: "ONION_KEY_LEN",
                value: len,
                limit: ONION_KEY_LEN,
            });
        }
        let onion_key = r.take_array()?;
        let link_specifiers = LinkSpecs::read_each(&mut r, |_| Ok(()))?;
        Ok(Self {
            rendezvous_cookie,
            extensions,
            onion_key,
            link_specifiers,
            pad: r.take_rest(),
        })
    }

    /// RENDEZVOUS_COOKIE: the rendezvous point matches RENDEZVOUS1 to the client's circuit by it.
    #[must_use]
    pub const fn rendezvous_cookie(&self) -> &'a [u8; RENDEZVOUS_COOKIE_LEN] {
        self.rendezvous_cookie
    }

    /// The plaintext's extensions (rend-spec-v3 3.3; e.g. congestion control, proposal 324).
    #[must_use]
    pub const fn extensions(&self) -> ExtensionList<'a> {
        self.extensions
    }

    /// ONION_KEY: the rendezvous point's ntor onion key.
    #[must_use]
    pub const fn onion_key(&self) -> &'a [u8; ONION_KEY_LEN] {
        self.onion_key
    }

    /// The rendezvous point's link specifiers, for the service's EXTEND2.
    #[must_use]
    pub const fn link_specifiers(&self) -> LinkSpecs<'a> {
        self.link_specifiers
    }

    /// PAD: whatever followed the link specifiers (empty for a plaintext made by
    /// [`Self::new`]).
    #[must_use]
    pub const fn pad(&self) -> &'a [u8] {
        self.pad
    }

    /// Bytes of the fields, without PAD.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        RENDEZVOUS_COOKIE_LEN
            + self.extensions.encoded_len()
            + 3
            + ONION_KEY_LEN
            + self.link_specifiers.encoded_len()
    }

    /// Writes the fields (no PAD) and returns their length.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if they do not fit `out`.
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = writer_for(out, self.encoded_len())?;
        w.put(self.rendezvous_cookie)?;
        w.put(self.extensions.as_bytes())?;
        w.put_u8(ONION_KEY_TYPE_NTOR)?;
        // 32 fits a u16.
        #[allow(clippy::cast_possible_truncation)]
        w.put_u16(ONION_KEY_LEN as u16)?;
        w.put(self.onion_key)?;
        self.link_specifiers.write(&mut w)?;
        Ok(w.finish())
    }

    /// Writes the fields and then zero PAD as C tor does: enough that the INTRODUCE1 header
    /// (`header_len` bytes) and the plaintext together reach [`INTRODUCE1_MIN_PADDED_LEN`].
    /// Returns the plaintext's length, PAD included.
    ///
    /// # Errors
    /// [`EncodeError::BufferTooSmall`] if it does not fit `out`.
    pub fn encode_padded(&self, header_len: usize, out: &mut [u8]) -> Result<usize, EncodeError> {
        let fields = self.encoded_len();
        let len = fields.max(INTRODUCE1_MIN_PADDED_LEN.saturating_sub(header_len));
        let out = out
            .get_mut(..len)
            .ok_or(EncodeError::BufferTooSmall { needed: len })?;
        let n = self.encode_into(out)?;
        out.get_mut(n..).unwrap_or_default().fill(0);
        Ok(len)
    }
}

/// RENDEZVOUS1 (relay command 36, rend-spec-v3 4.2): the service's half of the handshake,
/// sent to the rendezvous point with the client's cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rendezvous1<'a> {
    rendezvous_cookie: &'a [u8; RENDEZVOUS_COOKIE_LEN],
    handshake_info: &'a [u8],
}

impl<'a> Rendezvous1<'a> {
    /// A message to encode: the cookie from the client's plaintext, and hs-ntor's
    /// HANDSHAKE_INFO.
    #[must_use]
    pub const fn new(
        rendezvous_cookie: &'a [u8; RENDEZVOUS_COOKIE_LEN],
        handshake_info: &'a [u8; HANDSHAKE_INFO_LEN],
    ) -> Self {
        Self {
            rendezvous_cookie,
            handshake_info,
        }
    }

    /// RENDEZVOUS_COOKIE.
    #[must_use]
    pub const fn rendezvous_cookie(&self) -> &'a [u8; RENDEZVOUS_COOKIE_LEN] {
        self.rendezvous_cookie
    }

    /// Everything after the cookie: HANDSHAKE_INFO, which the rendezvous point relays
    /// unread as the body of RENDEZVOUS2 (C tor `rend_mid_rendezvous`).
    #[must_use]
    pub const fn handshake_info(&self) -> &'a [u8] {
        self.handshake_info
    }
}

impl<'a> RelayMsgBody<'a> for Rendezvous1<'a> {
    const COMMAND: RelayCommand = RelayCommand::RENDEZVOUS1;

    fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        check_relay_len(body, "RENDEZVOUS1 body")?;
        let mut r = Reader::new(body);
        Ok(Self {
            rendezvous_cookie: r.take_array()?,
            handshake_info: r.take_rest(),
        })
    }

    fn encoded_len(&self) -> usize {
        RENDEZVOUS_COOKIE_LEN + self.handshake_info.len()
    }

    fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = writer_for(out, self.encoded_len())?;
        w.put(self.rendezvous_cookie)?;
        w.put(self.handshake_info)?;
        Ok(w.finish())
    }
}

/// RENDEZVOUS2 (relay command 37, rend-spec-v3 4.2): the service's HANDSHAKE_INFO as the
/// rendezvous point hands it to the client. Bytes after it are ignored, as C tor does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rendezvous2<'a> {
    handshake_info: &'a [u8; HANDSHAKE_INFO_LEN],
}

impl<'a> Rendezvous2<'a> {
    /// A message to encode.
    #[must_use]
    pub const fn new(handshake_info: &'a [u8; HANDSHAKE_INFO_LEN]) -> Self {
        Self { handshake_info }
    }

    /// HANDSHAKE_INFO: `SERVER_PK | AUTH_INPUT_MAC`, for
    /// [`hs_ntor::ClientState::finish`](crate::handshake::hs_ntor::ClientState::finish).
    #[must_use]
    pub const fn handshake_info(&self) -> &'a [u8; HANDSHAKE_INFO_LEN] {
        self.handshake_info
    }
}

impl<'a> RelayMsgBody<'a> for Rendezvous2<'a> {
    const COMMAND: RelayCommand = RelayCommand::RENDEZVOUS2;

    fn decode(body: &'a [u8]) -> Result<Self, DecodeError> {
        check_relay_len(body, "RENDEZVOUS2 body")?;
        Ok(Self {
            handshake_info: Reader::new(body).take_array()?,
        })
    }

    fn encoded_len(&self) -> usize {
        HANDSHAKE_INFO_LEN
    }

    fn encode_into(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = writer_for(out, HANDSHAKE_INFO_LEN)?;
        w.put(self.handshake_info)?;
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::LinkSpec;

    fn intro_body(out: &mut [u8; 200]) -> usize {
        let ext = [1, 5, 2, 0xaa, 0xbb];
        let (list, _) = ExtensionList::decode_prefix(&ext).unwrap();
        let m = Introduce1::new(&[7; 32], list, &[9; 70]).unwrap();
        m.encode_into(out).unwrap()
    }

    #[test]
    fn introduce_roundtrip_and_header() {
        let mut out = [0u8; 200];
        let n = intro_body(&mut out);
        assert_eq!(n, 20 + 1 + 2 + 32 + 5 + 70);
        let m = Introduce2::decode(&out[..n]).unwrap();
        assert_eq!(m.header(), &out[..60]);
        assert_eq!(m.extensions().len(), 1);
        assert_eq!(m.encrypted(), &[9; 70][..]);
        assert_eq!(m.client_pk(), &[9; 32]);
        assert_eq!(m.encrypted_data(), &[9; 6][..]);
        assert_eq!(m.mac(), &[9; 32]);
        let mut again = [0u8; 200];
        assert_eq!(m.encode_into(&mut again), Ok(n));
        assert_eq!(again, out);
        let mut h = [0u8; 60];
        let (list, _) = ExtensionList::decode_prefix(&[1, 5, 2, 0xaa, 0xbb]).unwrap();
        assert_eq!(Introduce1::encode_header(&[7; 32], list, &mut h), Ok(60));
        assert_eq!(&h[..], m.header());
    }

    #[test]
    fn introduce_rejects_what_c_tor_rejects() {
        let mut out = [0u8; 200];
        let n = intro_body(&mut out);
        let mut legacy = out;
        legacy[3] = 1;
        assert_eq!(
            Introduce1::decode(&legacy[..n]),
            Err(DecodeError::InvalidValue {
                field: "LEGACY_KEY_ID"
            })
        );
        let mut ty = out;
        ty[20] = 1;
        assert!(matches!(
            Introduce1::decode(&ty[..n]),
            Err(DecodeError::InvalidValue { .. })
        ));
        let mut len = out;
        len[22] = 31;
        assert!(matches!(
            Introduce1::decode(&len[..n]),
            Err(DecodeError::LengthOutOfRange { .. })
        ));
        assert_eq!(
            Introduce1::decode(&out[..n - 7]),
            Err(DecodeError::Truncated { needed: 1 })
        );
        for cut in 0..60 {
            assert!(Introduce1::decode(&out[..cut]).is_err());
        }
        assert!(Introduce1::decode(&[0u8; 499]).is_err());
        assert!(Introduce1::new(&[0; 32], ExtensionList::EMPTY, &[0; 63]).is_err());
        assert!(Introduce1::new(&[0; 32], ExtensionList::EMPTY, &[0; 443]).is_err());
        assert!(Introduce1::new(&[0; 32], ExtensionList::EMPTY, &[0; 442]).is_ok());
    }

    #[test]
    fn plaintext_roundtrip_and_rejects() {
        let specs = [
            LinkSpec::Ipv4("192.0.2.1:9001".parse().unwrap()),
            LinkSpec::Ed25519Id(&[3; 32]),
        ];
        let p = IntroducePlaintext::new(
            &[1; 20],
            ExtensionList::EMPTY,
            &[2; 32],
            LinkSpecs::from_slice(&specs).unwrap(),
        );
        let mut buf = [0u8; 300];
        let n = p.encode_into(&mut buf).unwrap();
        assert_eq!(n, 20 + 1 + 3 + 32 + 1 + 8 + 34);
        let back = IntroducePlaintext::decode(&buf[..n + 5]).unwrap();
        assert_eq!(back.onion_key(), &[2; 32]);
        assert_eq!(back.link_specifiers(), p.link_specifiers());
        assert_eq!(back.pad(), &[0; 5][..]);
        // A long header needs no padding.
        assert_eq!(p.encode_padded(300, &mut buf), Ok(n));
        let mut bad = buf;
        bad[21] = 2;
        assert!(IntroducePlaintext::decode(&bad[..n]).is_err());
        let mut bad = buf;
        bad[23] = 33;
        assert!(IntroducePlaintext::decode(&bad[..n]).is_err());
        for cut in 0..n {
            assert!(IntroducePlaintext::decode(&buf[..cut]).is_err(), "{cut}");
        }
    }

    #[test]
    fn rendezvous_messages() {
        let mut out = [0u8; 100];
        let n = Rendezvous1::new(&[1; 20], &[2; 64])
            .encode_into(&mut out)
            .unwrap();
        assert_eq!(n, 84);
        let r1 = Rendezvous1::decode(&out[..n]).unwrap();
        assert_eq!(r1.rendezvous_cookie(), &[1; 20]);
        assert_eq!(
            Rendezvous2::decode(r1.handshake_info())
                .unwrap()
                .handshake_info(),
            &[2; 64]
        );
        assert_eq!(
            Rendezvous2::decode(&[0; 63]),
            Err(DecodeError::Truncated { needed: 1 })
        );
        assert!(Rendezvous1::decode(&[0; 19]).is_err());
        assert_eq!(
            Rendezvous2::decode(&[5; 70]).unwrap().handshake_info(),
            &[5; 64]
        );
    }
}
