//! Property tests for the onion-service messages (`codec::hs`): arbitrary bytes never make a
//! view panic, a decoded message re-encodes to the bytes it was read from, and encode →
//! decode gives the same fields back.

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::codec::extension::ExtensionList;
use onionskin::codec::hs::{Introduce1, Introduce2, IntroducePlaintext, Rendezvous1, Rendezvous2};
use onionskin::codec::{LinkSpec, LinkSpecs, RELAY_PAYLOAD_LEN, RelayMsgBody};
use proptest::prelude::*;

fn bytes(len: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), len)
}

/// An extension list's encoding: a count, then that many type-length-value fields.
fn extension_list() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), bytes(0..20)), 0..4).prop_map(|fields| {
        let mut out = vec![u8::try_from(fields.len()).unwrap()];
        for (ty, body) in fields {
            out.push(ty);
            out.push(u8::try_from(body.len()).unwrap());
            out.extend(body);
        }
        out
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in bytes(0..600)) {
        if let Ok(m) = Introduce2::decode(&body) {
            let mut out = vec![0u8; body.len()];
            prop_assert_eq!(m.encode_into(&mut out), Ok(body.len()));
            prop_assert_eq!(&out, &body);
            prop_assert_eq!(m.header().len() + m.encrypted().len(), body.len());
            prop_assert_eq!(m.encrypted().len(), 64 + m.encrypted_data().len());
        }
        if let Ok(p) = IntroducePlaintext::decode(&body) {
            let mut out = vec![0u8; p.encoded_len()];
            prop_assert_eq!(p.encode_into(&mut out), Ok(out.len()));
            prop_assert_eq!(&out[..], &body[..out.len()]);
            prop_assert_eq!(p.pad(), &body[out.len()..]);
        }
        if let Ok(m) = Rendezvous1::decode(&body) {
            prop_assert_eq!(m.handshake_info(), &body[20..]);
        }
        match Rendezvous2::decode(&body) {
            Ok(m) => prop_assert_eq!(&m.handshake_info()[..], &body[..64]),
            Err(_) => prop_assert!(body.len() < 64 || body.len() > RELAY_PAYLOAD_LEN),
        }
    }

    #[test]
    fn introduce_roundtrip(
        auth_key in any::<[u8; 32]>(),
        ext in extension_list(),
        encrypted in bytes(64..300),
    ) {
        let list = ExtensionList::decode_exact(&ext).unwrap();
        let m = Introduce1::new(&auth_key, list, &encrypted).unwrap();
        let mut out = vec![0u8; m.encoded_len()];
        prop_assert_eq!(m.encode_into(&mut out), Ok(out.len()));
        let back = Introduce1::decode(&out).unwrap();
        prop_assert_eq!(back.auth_key(), &auth_key);
        prop_assert_eq!(back.extensions(), list);
        prop_assert_eq!(back.encrypted(), &encrypted[..]);
        let mut header = vec![0u8; back.header().len()];
        prop_assert_eq!(Introduce1::encode_header(&auth_key, list, &mut header), Ok(header.len()));
        prop_assert_eq!(&header[..], back.header());
    }

    #[test]
    fn plaintext_roundtrip(
        cookie in any::<[u8; 20]>(),
        ext in extension_list(),
        onion_key in any::<[u8; 32]>(),
        legacy in any::<[u8; 20]>(),
        header_len in 0usize..300,
    ) {
        let list = ExtensionList::decode_exact(&ext).unwrap();
        let specs = [LinkSpec::LegacyId(&legacy)];
        let p = IntroducePlaintext::new(&cookie, list, &onion_key, LinkSpecs::from_slice(&specs).unwrap());
        let mut out = [0u8; 400];
        let n = p.encode_padded(header_len, &mut out).unwrap();
        prop_assert_eq!(n, p.encoded_len().max(246usize.saturating_sub(header_len)));
        let back = IntroducePlaintext::decode(&out[..n]).unwrap();
        prop_assert_eq!(back.rendezvous_cookie(), &cookie);
        prop_assert_eq!(back.extensions(), list);
        prop_assert_eq!(back.onion_key(), &onion_key);
        prop_assert_eq!(back.link_specifiers(), p.link_specifiers());
        prop_assert!(back.pad().iter().all(|&b| b == 0));
    }
}
