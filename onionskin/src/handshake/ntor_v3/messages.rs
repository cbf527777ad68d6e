//! Tor's ntor-v3 messages: congestion-control negotiation (proposal 324) over the
//! [extension list](crate::codec::extension).
//!
//! The client sends [`CC_REQUEST`] as its message; a relay that agrees answers with
//! [`cc_response`]`(sendme_inc)`, one that declines with an empty list (`[0]`). Parsing
//! follows C tor: bytes after the list are ignored, and unknown fields are skipped.
//!
//! ```
//! use onionskin::handshake::ntor_v3::messages;
//!
//! assert!(messages::requests_congestion_control(&messages::CC_REQUEST)?);
//! assert_eq!(messages::sendme_inc(&messages::cc_response(31))?, Some(31));
//! assert_eq!(messages::sendme_inc(&[0])?, None);
//! # Ok::<(), onionskin::DecodeError>(())
//! ```

use crate::DecodeError;
use crate::codec::extension::{CongestionControlResponse, ExtensionList, ExtensionType};

/// The client message asking for congestion control: one field, type 1, empty
/// (`01 01 00`), as C tor and Arti send it.
pub const CC_REQUEST: [u8; 3] = [1, ExtensionType::CC_REQUEST.0, 0];

/// The relay message accepting congestion control with `sendme_inc` cells per SENDME:
/// one field, type 2, one byte (`01 02 01 sendme_inc`).
#[must_use]
pub const fn cc_response(sendme_inc: u8) -> [u8; 4] {
    [1, ExtensionType::CC_RESPONSE.0, 1, sendme_inc]
}

/// Relay side: whether the client's message asks for congestion control.
///
/// # Errors
/// [`DecodeError::Truncated`] if the message is not an extension list (C tor then refuses
/// the circuit).
pub fn requests_congestion_control(client_message: &[u8]) -> Result<bool, DecodeError> {
    let (list, _) = ExtensionList::decode_prefix(client_message)?;
    Ok(list.congestion_control_request())
}

/// Client side: the relay's `sendme_inc` if its message accepts congestion control, `None`
/// if it declines.
///
/// The value is not range-checked: C tor's client refuses 0 and values more than 1 away
/// from the consensus `cc_sendme_inc`, which is the caller's policy.
///
/// # Errors
/// [`DecodeError::Truncated`] if the message is not an extension list, or its response
/// field is empty.
pub fn sendme_inc(server_message: &[u8]) -> Result<Option<u8>, DecodeError> {
    let (list, _) = ExtensionList::decode_prefix(server_message)?;
    Ok(list
        .congestion_control_response()?
        .map(|r: CongestionControlResponse| r.sendme_inc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::extension::{CongestionControlRequest, Extension};

    #[test]
    fn constants_match_the_codec() {
        let mut out = [0u8; 8];
        let n =
            ExtensionList::encode(&[CongestionControlRequest.to_extension()], &mut out).unwrap();
        assert_eq!(&out[..n], &CC_REQUEST);
        let r = CongestionControlResponse { sendme_inc: 31 };
        let n = ExtensionList::encode(&[r.to_extension()], &mut out).unwrap();
        assert_eq!(&out[..n], &cc_response(31));
    }

    #[test]
    fn parse_with_unknown_fields() {
        let unknown = Extension::new(ExtensionType(0x42), b"zz").unwrap();
        let mut out = [0u8; 16];
        let n = ExtensionList::encode(
            &[unknown, CongestionControlRequest.to_extension()],
            &mut out,
        )
        .unwrap();
        assert!(requests_congestion_control(&out[..n]).unwrap());
        assert!(!requests_congestion_control(&[1, 0x42, 0]).unwrap());
        assert!(!requests_congestion_control(&[0]).unwrap());
        assert!(requests_congestion_control(&[]).is_err());
        assert_eq!(
            sendme_inc(&[1, 2, 0]),
            Err(DecodeError::Truncated { needed: 1 })
        );
        assert_eq!(sendme_inc(&[2, 9, 0, 2, 1, 7]), Ok(Some(7)));
    }
}
