//! The ntor-v3 extension list through the public API: round trips and hostile input.

// Helper functions outside #[test] get the same leeway clippy.toml gives tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::DecodeError;
use onionskin::codec::extension::{Extension, ExtensionList, ExtensionType};
use proptest::prelude::*;

fn field() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..=255))
}

proptest! {
    #[test]
    fn encode_decode_roundtrip(fields in proptest::collection::vec(field(), 0..12)) {
        let exts: Vec<Extension<'_>> = fields
            .iter()
            .map(|(t, b)| Extension::new(ExtensionType(*t), b).unwrap())
            .collect();
        let mut out = vec![0u8; 4096];
        let n = ExtensionList::encode(&exts, &mut out).unwrap();
        let list = ExtensionList::decode_exact(&out[..n]).unwrap();
        prop_assert_eq!(list.len(), exts.len());
        prop_assert_eq!(list.iter().len(), exts.len());
        prop_assert_eq!(list.iter().collect::<Vec<_>>(), exts);
        prop_assert_eq!(list.as_bytes(), &out[..n]);
    }

    #[test]
    fn hostile_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        match ExtensionList::decode_prefix(&bytes) {
            Ok((list, rest)) => {
                // The view and the remainder partition the input.
                prop_assert_eq!(list.encoded_len() + rest.len(), bytes.len());
                prop_assert_eq!(list.as_bytes(), &bytes[..list.encoded_len()]);
                // Iteration yields exactly `len` in-bounds fields that re-encode to the input.
                let fields: Vec<_> = list.iter().collect();
                prop_assert_eq!(fields.len(), list.len());
                let mut out = vec![0u8; bytes.len()];
                let n = ExtensionList::encode(&fields, &mut out).unwrap();
                prop_assert_eq!(&out[..n], list.as_bytes());
                let _ = list.congestion_control_response();
            }
            Err(e) => {
                let ok = matches!(e, DecodeError::Truncated { needed } if needed > 0);
                prop_assert!(ok, "unexpected error {:?}", e);
            }
        }
    }
}

#[test]
fn tor_messages_from_the_vectors() {
    // test-vectors/ntor_v3.json, cases with i % 4 == 1.
    let cm_bytes = hex::decode("010100").unwrap();
    let cm = ExtensionList::decode_exact(&cm_bytes).unwrap();
    assert!(cm.congestion_control_request());
    let sm_bytes = hex::decode("0102011f").unwrap();
    let sm = ExtensionList::decode_exact(&sm_bytes).unwrap();
    assert_eq!(
        sm.congestion_control_response()
            .unwrap()
            .unwrap()
            .sendme_inc,
        31
    );
}
