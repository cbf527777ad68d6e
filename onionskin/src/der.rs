//! A small, strict reader for the PKCS#1 (RFC 8017 appendix A.1) RSA key encodings Tor uses:
//! DER `RSAPublicKey` / `RSAPrivateKey`, and their PEM armour (RFC 7468) with a constant-time
//! base64 decoder, into fixed buffers (no allocation).
//!
//! Strict means: definite minimal lengths, minimal non-negative INTEGERs, nothing trailing.
//! Key loading happens once, off the handshake path; it branches on the *lengths* of the
//! encoded integers (so, at most, on how many bytes a secret prime takes), never on their
//! bits beyond the sign and minimality checks of the first two bytes.

use crate::DecodeError;

/// DER tags used here.
const TAG_INTEGER: u8 = 0x02;
const TAG_SEQUENCE: u8 = 0x30;

/// A cursor over DER bytes.
pub(crate) struct Der<'a> {
    rest: &'a [u8],
}

fn bad(field: &'static str) -> DecodeError {
    DecodeError::InvalidValue { field }
}

impl<'a> Der<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// True when every byte has been consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::Truncated {
                needed: n - self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&b, tail) = self
            .rest
            .split_first()
            .ok_or(DecodeError::Truncated { needed: 1 })?;
        self.rest = tail;
        Ok(b)
    }

    /// Reads one element with tag `tag` and returns its contents. Lengths must be definite
    /// and minimal (X.690 10.1); two length bytes at most, plenty for RSA-1024 keys.
    pub(crate) fn element(
        &mut self,
        tag: u8,
        field: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        if self.byte()? != tag {
            return Err(bad(field));
        }
        let first = self.byte()?;
        let len = match first {
            0..=0x7f => usize::from(first),
            0x81 => {
                let l = self.byte()?;
                if l < 0x80 {
                    return Err(bad(field));
                }
                usize::from(l)
            }
            0x82 => {
                let hi = self.byte()?;
                let lo = self.byte()?;
                let l = usize::from(u16::from_be_bytes([hi, lo]));
                if l < 0x100 {
                    return Err(bad(field));
                }
                l
            }
            _ => return Err(bad(field)),
        };
        self.take(len)
    }

    /// A SEQUENCE's contents, as a new cursor.
    pub(crate) fn sequence(&mut self, field: &'static str) -> Result<Der<'a>, DecodeError> {
        Ok(Der::new(self.element(TAG_SEQUENCE, field)?))
    }

    /// A non-negative minimal INTEGER, returned as its big-endian magnitude without the sign
    /// byte (so zero is an empty slice).
    pub(crate) fn uint(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let body = self.element(TAG_INTEGER, field)?;
        match body {
            [] => Err(bad(field)),
            [b0, ..] if b0 & 0x80 != 0 => Err(bad(field)),
            [0, b1, ..] if b1 & 0x80 == 0 => Err(bad(field)),
            [0, rest @ ..] => Ok(rest),
            _ => Ok(body),
        }
    }
}

/// Finds the PEM block labelled `label` in `pem` and decodes its base64 body into `out`,
/// returning the number of bytes written. Header lines (RFC 1421 `Proc-Type:`) are refused:
/// Tor writes none, and encrypted keys are not supported.
///
/// # Errors
/// [`DecodeError::Missing`] without the BEGIN/END lines, [`DecodeError::InvalidValue`] for
/// bad base64, [`DecodeError::LengthOutOfRange`] if the body does not fit `out`.
pub(crate) fn pem_decode(pem: &str, label: &str, out: &mut [u8]) -> Result<usize, DecodeError> {
    let mut lines = pem.lines().map(str::trim);
    let is_boundary = |line: &str, kind: &str| {
        line.strip_prefix("-----")
            .and_then(|l| l.strip_prefix(kind))
            .and_then(|l| l.strip_prefix(' '))
            .and_then(|l| l.strip_suffix("-----"))
            == Some(label)
    };
    if !lines.by_ref().any(|l| is_boundary(l, "BEGIN")) {
        return Err(DecodeError::Missing {
            what: "PEM BEGIN line",
        });
    }
    let mut dec = Base64::new(out);
    let mut ended = false;
    for line in lines.by_ref() {
        if is_boundary(line, "END") {
            ended = true;
            break;
        }
        dec.push_line(line)?;
    }
    if !ended {
        return Err(DecodeError::Missing {
            what: "PEM END line",
        });
    }
    dec.finish()
}

/// Decodes one run of standard base64 (RFC 4648, `=` padding, no line breaks) into `out`
/// and returns the number of bytes written.
///
/// # Errors
/// [`DecodeError::InvalidValue`] for a bad character, misplaced padding or a length that is
/// not a multiple of four; [`DecodeError::LengthOutOfRange`] if it does not fit `out`.
pub(crate) fn base64_decode(text: &str, out: &mut [u8]) -> Result<usize, DecodeError> {
    let mut dec = Base64::new(out);
    dec.push_line(text)?;
    dec.finish()
}

/// Streaming strict base64 (RFC 4648, standard alphabet, `=` padding) into a fixed buffer.
/// Each character is mapped with arithmetic masks, not a table, so the time taken does not
/// depend on the (secret) key bytes.
struct Base64<'o> {
    out: &'o mut [u8],
    len: usize,
    quad: [u8; 4],
    in_quad: usize,
    padding: usize,
}

impl<'o> Base64<'o> {
    fn new(out: &'o mut [u8]) -> Self {
        Self {
            out,
            len: 0,
            quad: [0; 4],
            in_quad: 0,
            padding: 0,
        }
    }

    fn push_line(&mut self, line: &str) -> Result<(), DecodeError> {
        for &c in line.as_bytes() {
            // Padding can only end the data.
            if c == b'=' {
                self.padding += 1;
                if self.padding > 2 {
                    return Err(bad("base64"));
                }
                self.put(0)?;
                continue;
            }
            if self.padding > 0 {
                return Err(bad("base64"));
            }
            let (v, ok) = decode_char(c);
            if ok == 0 {
                return Err(bad("base64"));
            }
            self.put(v)?;
        }
        Ok(())
    }

    fn put(&mut self, v: u8) -> Result<(), DecodeError> {
        if let Some(slot) = self.quad.get_mut(self.in_quad) {
            *slot = v;
        }
        self.in_quad += 1;
        if self.in_quad == 4 {
            let [a, b, c, d] = self.quad;
            let bytes = [(a << 2) | (b >> 4), (b << 4) | (c >> 2), (c << 6) | d];
            let keep = 3 - self.padding;
            let limit = self.out.len();
            let dst = self.out.get_mut(self.len..self.len + keep).ok_or(
                DecodeError::LengthOutOfRange {
                    field: "PEM body",
                    value: self.len + keep,
                    limit,
                },
            )?;
            dst.copy_from_slice(bytes.get(..keep).unwrap_or_default());
            self.len += keep;
            self.in_quad = 0;
            self.quad = [0; 4];
        }
        Ok(())
    }

    fn finish(self) -> Result<usize, DecodeError> {
        if self.in_quad != 0 {
            return Err(bad("base64"));
        }
        Ok(self.len)
    }
}

impl Drop for Base64<'_> {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.quad);
    }
}

/// Maps one base64 character to its 6-bit value without a table or a branch on `c`:
/// returns (value, 1) for a valid character and (0, 0) otherwise.
fn decode_char(c: u8) -> (u8, u8) {
    let c = i16::from(c);
    // in(lo, hi) is -1 (all ones) when lo <= c <= hi, else 0.
    let within = |lo: i16, hi: i16| ((lo - 1 - c) & (c - hi - 1)) >> 8;
    let upper = within(0x41, 0x5a); // A-Z -> 0..25
    let lower = within(0x61, 0x7a); // a-z -> 26..51
    let digit = within(0x30, 0x39); // 0-9 -> 52..61
    let plus = within(0x2b, 0x2b); // + -> 62
    let slash = within(0x2f, 0x2f); // / -> 63
    let v = (upper & (c - 0x41))
        | (lower & (c - 0x61 + 26))
        | (digit & (c - 0x30 + 52))
        | (plus & 62)
        | (slash & 63);
    let ok = upper | lower | digit | plus | slash;
    // v and ok are in 0..=63 and {0, -1}.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    ((v & 0x3f) as u8, (ok & 1) as u8)
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    #[test]
    fn base64_alphabet() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (i, &c) in alphabet.iter().enumerate() {
            assert_eq!(decode_char(c), (i as u8, 1), "{}", c as char);
        }
        for c in 0..=255u8 {
            if !alphabet.contains(&c) {
                assert_eq!(decode_char(c).1, 0, "{c}");
            }
        }
    }

    #[test]
    fn pem_round() {
        let pem = "junk\n-----BEGIN TEST-----\nTWFu\nTWE=\n-----END TEST-----\n";
        let mut out = [0u8; 8];
        let n = pem_decode(pem, "TEST", &mut out).unwrap();
        assert_eq!(&out[..n], b"ManMa");
        let mut small = [0u8; 4];
        assert!(pem_decode(pem, "TEST", &mut small).is_err());
        assert!(pem_decode(pem, "OTHER", &mut out).is_err());
        for bad in [
            "-----BEGIN TEST-----\nTWF\n-----END TEST-----",
            "-----BEGIN TEST-----\nTW==TWFu\n-----END TEST-----",
            "-----BEGIN TEST-----\nTW*u\n-----END TEST-----",
            "-----BEGIN TEST-----\nTWFu\n",
        ] {
            assert!(pem_decode(bad, "TEST", &mut out).is_err(), "{bad}");
        }
    }

    #[test]
    fn der_integers() {
        // 0x7f, 0x0080 (128), 0 -> magnitudes.
        let der = [0x02, 0x01, 0x7f, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x00];
        let mut d = Der::new(&der);
        assert_eq!(d.uint("a").unwrap(), &[0x7f]);
        assert_eq!(d.uint("b").unwrap(), &[0x80]);
        assert_eq!(d.uint("c").unwrap(), &[] as &[u8]);
        assert!(d.is_empty());
        // Negative, non-minimal, empty, long-form length that should be short.
        for bad in [
            &[0x02, 0x01, 0x80][..],
            &[0x02, 0x02, 0x00, 0x7f],
            &[0x02, 0x00],
            &[0x02, 0x81, 0x01, 0x05],
            &[0x02, 0x05, 0x01],
            &[0x03, 0x01, 0x01],
        ] {
            assert!(Der::new(bad).uint("x").is_err(), "{bad:?}");
        }
    }
}
