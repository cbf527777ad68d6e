//! Every relay message decoder on arbitrary bytes: never panics, stays within the input.
//!
//! Input: one byte, the relay command, then the message body. Every view decodes the body
//! whatever the command; anything borrowed from it must point inside it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onionskin::codec::{
    Extend, Extend2, Extended, Extended2, LinkSpec, RELAY_PAYLOAD_LEN, RelayCommand, RelayMsg,
    RelayMsgBody,
};

fn inside(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cmd, body)) = data.split_first() else {
        return;
    };
    let _ = RelayMsg::decode(RelayCommand(cmd), body);
    if body.len() > RELAY_PAYLOAD_LEN {
        assert!(Extend2::decode(body).is_err());
        assert!(Extended2::decode(body).is_err());
    }
    if let Ok(m) = Extend::decode(body) {
        assert!(inside(body, m.identity()));
        assert!(inside(body, m.onion_skin().handshake_data()));
    }
    if let Ok(m) = Extended::decode(body) {
        assert!(inside(body, m.reply()));
    }
    if let Ok(m) = Extended2::decode(body) {
        assert!(inside(body, m.hdata()));
    }
    if let Ok(m) = Extend2::decode(body) {
        assert!(inside(body, m.hdata()));
        assert!(inside(body, m.rsa_id()));
        for spec in m.link_specs() {
            match spec {
                LinkSpec::LegacyId(id) => assert!(inside(body, id)),
                LinkSpec::Ed25519Id(id) => assert!(inside(body, id)),
                LinkSpec::Unrecognized { data, .. } => assert!(inside(body, data)),
                _ => {}
            }
        }
    }
});
