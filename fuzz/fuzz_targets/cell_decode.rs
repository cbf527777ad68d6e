//! Every cell decoder on arbitrary bytes: never panics, and what decodes obeys the limits.
//!
//! Input: one byte choosing the circuit-ID width (low bit: 0 narrow, 1 wide), then a cell
//! frame. Besides the framing, every body view decodes the frame's first 509 bytes, whatever
//! the command, so each decoder sees every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onionskin::codec::{
    CREATE2_MAX_HLEN, CREATED2_MAX_HLEN, Cell, CellBody, CellMsg, CircIdWidth, Command, Create,
    Create2, CreateFast, Created, Created2, CreatedFast, Destroy, PAYLOAD_LEN,
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let width = if sel & 1 == 1 {
        CircIdWidth::Wide
    } else {
        CircIdWidth::Narrow
    };

    if let Ok((cell, rest)) = Cell::decode_prefix(frame, width) {
        assert_eq!(rest.len() + width.cell_len(), frame.len());
        assert_ne!(cell.circ_id().get(), 0);
        assert!(!cell.command().is_variable_length());
        assert_eq!(Cell::decode(&frame[..width.cell_len()], width), Ok(cell));
        let _ = cell.msg();
    } else {
        assert!(Cell::decode(frame, width).is_err());
    }

    let mut body = [0u8; PAYLOAD_LEN];
    let n = frame.len().min(PAYLOAD_LEN);
    body[..n].copy_from_slice(&frame[..n]);
    let _ = Create::decode(&body);
    let _ = Created::decode(&body);
    let _ = CreateFast::decode(&body);
    let _ = CreatedFast::decode(&body);
    let _ = Destroy::decode(&body);
    if let Ok(m) = Create2::decode(&body) {
        assert!(m.hdata().len() <= CREATE2_MAX_HLEN);
        assert!(m.htype().name().is_some() && m.htype().0 != 1);
    }
    if let Ok(m) = Created2::decode(&body) {
        assert!(m.hdata().len() <= CREATED2_MAX_HLEN);
    }
    let _ = CellMsg::decode(Command(sel), &body);
});
