//! The relay header (tor-spec 6.1): the first 11 bytes of a decrypted RELAY or RELAY_EARLY
//! cell body, then the message data and padding.
//!
//! `Command[1] | Recognized[2] | StreamID[2] | Digest[4] | Length[2] | Data[Length] | Padding`

use super::{PAYLOAD_LEN, RELAY_PAYLOAD_LEN, Reader, RelayCommand, RelayMsg, Writer, len_u16};
use crate::{DecodeError, EncodeError};
use rand_core::{CryptoRng, RngCore};

/// Length of the relay header (C tor `RELAY_HEADER_SIZE`).
pub const RELAY_HEADER_LEN: usize = 11;
/// Zero bytes left after the data before random padding starts (C tor
/// `RELAY_CELL_PADDING_GAP`, `relay_cell_pad_payload`).
pub const RELAY_PADDING_GAP: usize = 4;

/// A relay cell's plaintext: the relay header and the message data it frames, borrowed from a
/// decrypted 509-byte cell body.
///
/// `Recognized` and `Digest` belong to relay cryptography ([`crate::relay_crypto`]), which
/// checks and sets them; this view only carries them. [`RelayCell::new`] makes a cell with both
/// zero, ready for [`crate::relay_crypto`] to set the digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayCell<'a> {
    command: RelayCommand,
    recognized: u16,
    stream_id: u16,
    digest: [u8; 4],
    data: &'a [u8],
}

impl<'a> RelayCell<'a> {
    /// A relay cell to send: `Recognized` and `Digest` zero.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if `data` is over 498 bytes.
    ///
    /// ```
    /// use onionskin::codec::{RelayCell, RelayCommand};
    /// let cell = RelayCell::new(RelayCommand::DATA, 7, b"hello")?;
    /// assert_eq!(cell.data(), b"hello");
    /// assert!(RelayCell::new(RelayCommand::DATA, 7, &[0; 499]).is_err());
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn new(command: RelayCommand, stream_id: u16, data: &'a [u8]) -> Result<Self, EncodeError> {
        len_u16(data.len(), "relay data", RELAY_PAYLOAD_LEN)?;
        Ok(Self {
            command,
            recognized: 0,
            stream_id,
            digest: [0; 4],
            data,
        })
    }

    /// Decodes a decrypted relay cell body. Bytes after the data are padding and are ignored.
    ///
    /// # Errors
    /// [`DecodeError::LengthOutOfRange`] if `Length` is over 498 (C tor
    /// `relay_msg_decode_cell` rejects it as a protocol violation).
    ///
    /// ```
    /// use onionskin::codec::{RelayCell, RelayCommand};
    /// let mut body = [0u8; 509];
    /// body[0] = 2; // DATA
    /// body[10] = 3; // Length
    /// body[11..14].copy_from_slice(b"abc");
    /// let cell = RelayCell::decode(&body)?;
    /// assert_eq!((cell.command(), cell.data()), (RelayCommand::DATA, &b"abc"[..]));
    /// # Ok::<(), onionskin::DecodeError>(())
    /// ```
    pub fn decode(payload: &'a [u8; PAYLOAD_LEN]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(payload);
        let command = RelayCommand(r.take_u8()?);
        let recognized = r.take_u16()?;
        let stream_id = r.take_u16()?;
        let digest = *r.take_array::<4>()?;
        let len = usize::from(r.take_u16()?);
        if len > RELAY_PAYLOAD_LEN {
            return Err(DecodeError::LengthOutOfRange {
                field: "relay Length",
                value: len,
                limit: RELAY_PAYLOAD_LEN,
            });
        }
        let data = r.take(len)?;
        Ok(Self {
            command,
            recognized,
            stream_id,
            digest,
            data,
        })
    }

    /// The relay command.
    #[must_use]
    pub const fn command(&self) -> RelayCommand {
        self.command
    }

    /// The `Recognized` field (zero in every cell meant for the hop that decrypted it).
    #[must_use]
    pub const fn recognized(&self) -> u16 {
        self.recognized
    }

    /// The stream ID (0 for messages about the whole circuit).
    #[must_use]
    pub const fn stream_id(&self) -> u16 {
        self.stream_id
    }

    /// The `Digest` field.
    #[must_use]
    pub const fn digest(&self) -> [u8; 4] {
        self.digest
    }

    /// The message data (`Length` bytes).
    #[must_use]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Decodes the data as the relay message its command names.
    ///
    /// # Errors
    /// Whatever that message's decoder reports; commands without a view decode to
    /// [`RelayMsg::Other`] and never fail.
    ///
    /// ```
    /// use onionskin::codec::{RelayCell, RelayCommand, RelayMsg};
    /// let cell = RelayCell::new(RelayCommand::DATA, 1, b"x")?;
    /// assert!(matches!(cell.msg(), Ok(RelayMsg::Other { .. })));
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn msg(&self) -> Result<RelayMsg<'a>, DecodeError> {
        RelayMsg::decode(self.command, self.data)
    }

    /// Writes the header and data, leaving the rest of `payload` as it is; returns the offset
    /// where padding starts.
    fn write_head(&self, payload: &mut [u8; PAYLOAD_LEN]) -> usize {
        let mut w = Writer::new(payload);
        // The body is 509 bytes and the data at most 498 (checked when `self` was made), so
        // none of these writes can fail.
        let _ = w.put_u8(self.command.0);
        let _ = w.put_u16(self.recognized);
        let _ = w.put_u16(self.stream_id);
        let _ = w.put(&self.digest);
        let _ = w.put_u16(u16::try_from(self.data.len()).unwrap_or(0));
        let _ = w.put(self.data);
        w.finish()
    }

    /// Writes the cell into a 509-byte body with C tor's padding (tor-spec 6.1, proposal 289;
    /// C tor `relay_cell_pad_payload`): four zero bytes after the data, then random bytes from
    /// `rng` to the end; a cell with fewer than five bytes to spare is zero-padded. Random
    /// padding keeps the far end from predicting a whole cell, and so its SENDME tag. Returns
    /// the length of header and data.
    ///
    /// ```
    /// use onionskin::codec::{RelayCell, RelayCommand};
    /// let mut body = [0u8; 509];
    /// let n = RelayCell::new(RelayCommand::DATA, 1, b"hi")?
    ///     .encode_into(&mut body, &mut rand_core::OsRng);
    /// assert_eq!(n, 13);
    /// assert_eq!(&body[13..17], &[0, 0, 0, 0]);
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_into<R: RngCore + CryptoRng>(
        &self,
        payload: &mut [u8; PAYLOAD_LEN],
        rng: &mut R,
    ) -> usize {
        let end = self.write_head(payload);
        let (gap, random) = payload
            .get_mut(end..)
            .unwrap_or_default()
            .split_at_mut(RELAY_PADDING_GAP.min(PAYLOAD_LEN - end));
        gap.fill(0);
        if random.is_empty() {
            return end;
        }
        rng.fill_bytes(random);
        end
    }

    /// Writes the cell into a 509-byte body with all-zero padding (what tor-spec 6.1 allows
    /// and C tor did before proposal 289; deterministic, for tests and known answers).
    /// Returns the length of header and data.
    ///
    /// ```
    /// use onionskin::codec::{RelayCell, RelayCommand};
    /// let mut body = [0xffu8; 509];
    /// let n = RelayCell::new(RelayCommand::BEGIN_DIR, 1, &[])?.encode_zero_padded(&mut body);
    /// assert_eq!(&body[..n], &[13, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    /// assert!(body[n..].iter().all(|&b| b == 0));
    /// # Ok::<(), onionskin::EncodeError>(())
    /// ```
    pub fn encode_zero_padded(&self, payload: &mut [u8; PAYLOAD_LEN]) -> usize {
        let end = self.write_head(payload);
        payload.get_mut(end..).unwrap_or_default().fill(0);
        end
    }

    /// Encodes relay message `msg` on stream `stream_id` straight into a 509-byte body with
    /// C tor's padding (see [`RelayCell::encode_into`]). Returns the length of header and
    /// data.
    ///
    /// # Errors
    /// [`EncodeError::TooLong`] if the message is over 498 bytes.
    ///
    /// ```
    /// use onionskin::codec::{Extended2, RelayCell, RelayCommand, RelayMsg};
    /// let mut body = [0u8; 509];
    /// let msg = RelayMsg::Extended2(Extended2::new(&[1, 2, 3])?);
    /// RelayCell::encode_msg_into(&msg, 0, &mut body, &mut rand_core::OsRng)?;
    /// assert_eq!(RelayCell::decode(&body)?.msg()?, msg);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_msg_into<R: RngCore + CryptoRng>(
        msg: &RelayMsg<'_>,
        stream_id: u16,
        payload: &mut [u8; PAYLOAD_LEN],
        rng: &mut R,
    ) -> Result<usize, EncodeError> {
        let len = msg.encoded_len();
        let len16 = len_u16(len, "relay data", RELAY_PAYLOAD_LEN)?;
        let (head, rest) = payload.split_at_mut(RELAY_HEADER_LEN);
        let data = rest.get_mut(..len).ok_or(EncodeError::BufferTooSmall {
            needed: PAYLOAD_LEN,
        })?;
        msg.encode_into(data)?;
        let mut w = Writer::new(head);
        w.put_u8(msg.command().0)?;
        w.put_u16(0)?;
        w.put_u16(stream_id)?;
        w.put(&[0; 4])?;
        w.put_u16(len16)?;
        let end = RELAY_HEADER_LEN + len;
        let (gap, random) = payload
            .get_mut(end..)
            .unwrap_or_default()
            .split_at_mut(RELAY_PADDING_GAP.min(PAYLOAD_LEN - end));
        gap.fill(0);
        rng.fill_bytes(random);
        Ok(end)
    }
}
