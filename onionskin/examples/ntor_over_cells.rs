//! A client and a relay run ntor over CREATE2 and CREATED2 cells, and both end up with the
//! same circuit keys.
//!
//! ```text
//! cargo run -p onionskin --example ntor_over_cells
//! ```

// An example program: printing is its job.
#![allow(clippy::print_stdout)]

use onionskin::codec::{Cell, CellBody, CellMsg, CircId, CircIdWidth, Create2, Created2};
use onionskin::handshake::ntor::{self, ClientState, RelayKeys, RelaySecretKey};
use onionskin::{HandshakeType, KeyMaterial};
use rand_core::OsRng;

fn main() -> Result<(), Box<dyn core::error::Error>> {
    // Link protocol 4 and later: 4-byte circuit IDs, 514-byte cells.
    let width = CircIdWidth::for_link_protocol(5);
    let circ_id = CircId::new(0x8000_0001).ok_or("circuit ID 0")?;

    // The relay's keys; a client learns the public half from the relay's descriptor.
    let relay = RelayKeys::new([0x42; 20], RelaySecretKey::generate(&mut OsRng));

    // Client: start the handshake and send a CREATE2 cell.
    let (client, onion_skin) = ClientState::start(&mut OsRng, &relay.public_key());
    let mut create2_frame = vec![0u8; width.cell_len()];
    Create2::new(HandshakeType::NTOR, &onion_skin)?.encode_cell(
        circ_id,
        width,
        &mut create2_frame,
    )?;

    // Relay: read the cell without copying, answer, send CREATED2.
    let cell = Cell::decode(&create2_frame, width)?;
    let CellMsg::Create2(create2) = cell.msg()? else {
        return Err("expected a CREATE2 cell".into());
    };
    let skin: &[u8; ntor::ONION_SKIN_LEN] = create2.hdata().try_into()?;
    let (relay_seed, reply) = ntor::relay_respond(&mut OsRng, &relay, skin)?;
    let mut created2_frame = vec![0u8; width.cell_len()];
    Created2::new(&reply)?.encode_cell(cell.circ_id(), width, &mut created2_frame)?;

    // Client: read CREATED2, check the relay's reply, derive the keys.
    let cell = Cell::decode(&created2_frame, width)?;
    let CellMsg::Created2(created2) = cell.msg()? else {
        return Err("expected a CREATED2 cell".into());
    };
    let reply: &[u8; ntor::REPLY_LEN] = created2.hdata().try_into()?;
    let client_seed = client.finish(reply)?;

    let same = client_seed.circuit_keys() == relay_seed.circuit_keys();
    println!(
        "circuit {:#x}: both ends derived the same keys: {same}",
        circ_id.get()
    );
    if same {
        Ok(())
    } else {
        Err("the keys differ".into())
    }
}
