//! The `arbitrary` generators make only well-formed values: on thousands of pseudo-random
//! fuzzer inputs of every length, each generated cell, onion skin and extension list decodes,
//! and re-encodes to the same bytes.

use arbitrary::{Arbitrary, Unstructured};
use onionskin::HandshakeType;
use onionskin::arbitrary::{Extensions, HandshakeCell, OnionSkin};
use onionskin::codec::extension::ExtensionList;
use onionskin::codec::{CellMsg, Create2};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

fn inputs() -> impl Iterator<Item = Vec<u8>> {
    let mut rng = ChaCha20Rng::seed_from_u64(0x0a5b);
    (0..4000).map(move |i| {
        let mut v = vec![0u8; i % 700];
        rng.fill_bytes(&mut v);
        v
    })
}

#[test]
fn cells_decode_and_reencode() {
    let mut seen = [0usize; 7];
    for data in inputs() {
        let g = HandshakeCell::arbitrary(&mut Unstructured::new(&data)).unwrap();
        let cell = g.decode().unwrap();
        let msg = cell.msg().unwrap();
        seen[match msg {
            CellMsg::Create(_) => 0,
            CellMsg::Created(_) => 1,
            CellMsg::CreateFast(_) => 2,
            CellMsg::CreatedFast(_) => 3,
            CellMsg::Create2(_) => 4,
            CellMsg::Created2(_) => 5,
            CellMsg::Destroy(_) => 6,
            other => panic!("generated a non-handshake cell: {other:?}"),
        }] += 1;
        let mut again = vec![0u8; g.frame().len()];
        let n = msg
            .encode_cell(cell.circ_id(), g.width(), &mut again)
            .unwrap();
        assert_eq!(&again[..n], g.frame());
    }
    assert!(
        seen.iter().all(|&n| n > 100),
        "every command is generated: {seen:?}"
    );
}

#[test]
fn onion_skins_have_their_handshakes_length() {
    let mut ntor_v3 = 0;
    for data in inputs() {
        let skin = OnionSkin::arbitrary(&mut Unstructured::new(&data)).unwrap();
        let len = skin.as_bytes().len();
        match skin.htype() {
            HandshakeType::TAP => assert_eq!(len, 186),
            HandshakeType::FAST => assert_eq!(len, 20),
            HandshakeType::NTOR => assert_eq!(len, 84),
            HandshakeType::NTOR_V3 => {
                ntor_v3 += 1;
                assert!(len >= onionskin::handshake::ntor_v3::ONION_SKIN_OVERHEAD);
            }
            _ => {}
        }
        if skin.htype() != HandshakeType::FAST {
            Create2::new(skin.htype(), skin.as_bytes()).unwrap();
        }
    }
    assert!(ntor_v3 > 100);
}

#[test]
fn extension_lists_decode_and_reencode() {
    let mut nonempty = 0;
    for data in inputs() {
        let g = Extensions::arbitrary(&mut Unstructured::new(&data)).unwrap();
        let list = g.list().unwrap();
        let fields: Vec<_> = list.iter().collect();
        assert_eq!(fields.len(), g.len());
        nonempty += usize::from(!g.is_empty());
        let mut again = vec![0u8; g.as_bytes().len()];
        let n = ExtensionList::encode(&fields, &mut again).unwrap();
        assert_eq!(&again[..n], g.as_bytes());
    }
    assert!(nonempty > 1000);
}
