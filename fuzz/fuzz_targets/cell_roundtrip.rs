//! decode → encode → decode on whole cells.
//!
//! Input: one byte choosing the circuit-ID width, then a cell frame. Properties: a decoded
//! cell re-encodes to the same header and the same body bytes up to the end of its last field
//! (only padding may differ, and comes back as NUL; a tagged ntor skin's own padding is the
//! one other place), and decoding that encoding gives the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onionskin::HandshakeType;
use onionskin::codec::{Cell, CellMsg, CircIdWidth, PAYLOAD_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let width = if sel & 1 == 1 {
        CircIdWidth::Wide
    } else {
        CircIdWidth::Narrow
    };
    let Ok((cell, _)) = Cell::decode_prefix(frame, width) else {
        return;
    };
    let Ok(msg) = cell.msg() else {
        return;
    };
    let header = width.header_len();

    let mut out = [0xa5u8; 514];
    let len = msg
        .encode_cell(cell.circ_id(), width, &mut out)
        .expect("a decoded message encodes");
    assert_eq!(len, width.cell_len());
    let mut body = [0xa5u8; PAYLOAD_LEN];
    let used = msg
        .encode_into(&mut body)
        .expect("a decoded message encodes");
    assert_eq!(&out[header..len], &body[..]);
    assert_eq!(&out[..header], &frame[..header], "header changed");
    assert!(body[used..].iter().all(|&b| b == 0), "padding is not NUL");
    let tagged_ntor =
        matches!(msg, CellMsg::Create(c) if c.handshake_type() == HandshakeType::NTOR);
    if !tagged_ntor {
        assert_eq!(&body[..used], &frame[header..header + used], "body changed");
    }

    let again = Cell::decode(&out[..len], width).expect("re-encoded cell decodes");
    assert_eq!(again.circ_id(), cell.circ_id());
    assert_eq!(again.msg(), Ok(msg));
    // The raw cell encoder copies the frame back exactly.
    let mut raw = [0u8; 514];
    assert_eq!(cell.encode_into(width, &mut raw), Ok(len));
    assert_eq!(&raw[..len], &frame[..len]);
});
