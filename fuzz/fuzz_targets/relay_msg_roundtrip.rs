//! decode → encode → decode on relay message bodies.
//!
//! Input: one byte, the relay command, then the body. Properties: a decoded message encodes
//! to exactly `encoded_len` bytes, which are the input's first bytes (bytes after the last
//! field are ignored on decode, and a tagged ntor skin's padding comes back as NUL), and
//! decoding them gives the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onionskin::HandshakeType;
use onionskin::codec::{RELAY_PAYLOAD_LEN, RelayCommand, RelayMsg};

fuzz_target!(|data: &[u8]| {
    let Some((&cmd, body)) = data.split_first() else {
        return;
    };
    let command = RelayCommand(cmd);
    let Ok(msg) = RelayMsg::decode(command, body) else {
        return;
    };
    assert_eq!(msg.command(), command);
    let len = msg.encoded_len();
    assert!(len <= body.len());
    let mut out = vec![0xa5u8; len + 1];
    assert_eq!(msg.encode_into(&mut out), Ok(len));
    assert_eq!(out[len], 0xa5, "wrote past encoded_len");
    let out = &out[..len];
    let tagged_ntor = matches!(msg, RelayMsg::Extend(e) if e.onion_skin().handshake_type() == HandshakeType::NTOR);
    if !tagged_ntor {
        assert_eq!(out, &body[..len], "re-encoding changed the message");
    }
    if !matches!(msg, RelayMsg::Other { .. }) {
        assert!(len <= RELAY_PAYLOAD_LEN);
    }
    assert_eq!(RelayMsg::decode(command, out), Ok(msg));
});
