//! Every entry of `test-vectors/cells.json` decodes to exactly the listed fields and
//! re-encodes byte for byte (tor-spec 3, 5.1, 5.1.2, 5.4, 6.1).

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::panic
)]

use onionskin::HandshakeType;
use onionskin::codec::{
    Cell, CellBody, CellMsg, CircIdWidth, Create, Create2, CreateFast, Created, Created2,
    CreatedFast, Destroy, Extend2, Extended2, LinkSpec, PAYLOAD_LEN, RelayCommand, RelayMsg,
    RelayMsgBody,
};
use serde_json::Value;

const CELLS: &str = include_str!("../test-vectors/cells.json");

fn doc() -> Value {
    serde_json::from_str(CELLS).unwrap()
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn int(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn every_cell_decodes_to_its_fields_and_reencodes() {
    let doc = doc();
    let cells = doc["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 24);
    for case in cells {
        let name = case["name"].as_str().unwrap();
        let width = CircIdWidth::for_link_protocol(int(&case["link_protocol"]) as u16);
        assert_eq!(
            width.circ_id_len() as u64,
            int(&case["circ_id_len"]),
            "{name}"
        );
        assert_eq!(width.cell_len() as u64, int(&case["cell_len"]), "{name}");
        let frame = hex(&case["cell"]);
        let cell = Cell::decode(&frame, width).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            u64::from(cell.circ_id().get()),
            int(&case["circ_id"]),
            "{name}"
        );
        assert_eq!(u64::from(cell.command().0), int(&case["command"]), "{name}");
        assert_eq!(
            cell.command().name(),
            case["command_name"].as_str(),
            "{name}"
        );

        let f = &case["fields"];
        let msg = cell.msg().unwrap_or_else(|e| panic!("{name}: {e}"));
        match msg {
            CellMsg::Create(m) => {
                assert_eq!(m.handshake_type(), HandshakeType::TAP, "{name}");
                assert_eq!(
                    m.onion_skin().handshake_data(),
                    hex(&f["onionskin"]),
                    "{name}"
                );
            }
            CellMsg::Created(m) => {
                assert_eq!(m.gy(), hex(&f["gy"]), "{name}");
                assert_eq!(m.kh(), hex(&f["kh"]), "{name}");
            }
            CellMsg::CreateFast(m) => assert_eq!(m.x().as_slice(), hex(&f["X"]), "{name}"),
            CellMsg::CreatedFast(m) => {
                assert_eq!(m.y(), hex(&f["Y"]), "{name}");
                assert_eq!(m.kh(), hex(&f["kh"]), "{name}");
            }
            CellMsg::Create2(m) => {
                assert_eq!(u64::from(m.htype().0), int(&f["htype"]), "{name}");
                assert_eq!(m.hdata().len() as u64, int(&f["hlen"]), "{name}");
                assert_eq!(m.hdata(), hex(&f["hdata"]), "{name}");
            }
            CellMsg::Created2(m) => {
                assert_eq!(m.hdata().len() as u64, int(&f["hlen"]), "{name}");
                assert_eq!(m.hdata(), hex(&f["hdata"]), "{name}");
            }
            CellMsg::Destroy(m) => {
                assert_eq!(u64::from(m.reason().0), int(&f["reason"]), "{name}");
                assert_eq!(m.reason().name(), f["reason_name"].as_str(), "{name}");
            }
            other => panic!("{name}: unexpected {other:?}"),
        }

        // The body up to its last field, then NUL padding.
        let mut body = [0xffu8; PAYLOAD_LEN];
        let used = msg.encode_into(&mut body).unwrap();
        assert_eq!(used as u64, int(&case["payload_used_len"]), "{name}");
        assert_eq!(&body[..used], hex(&case["payload_used"]), "{name}");
        assert!(
            body[used..].iter().all(|&b| b == 0),
            "{name}: padding not NUL"
        );

        // The whole cell, byte for byte, through both encoders.
        let mut out = vec![0xffu8; width.cell_len()];
        assert_eq!(
            msg.encode_cell(cell.circ_id(), width, &mut out).unwrap(),
            width.cell_len()
        );
        assert_eq!(out, frame, "{name}");
        let mut out2 = vec![0u8; width.cell_len()];
        cell.encode_into(width, &mut out2).unwrap();
        assert_eq!(out2, frame, "{name}");
    }
}

/// The typed entry points agree with the generic one.
#[test]
fn typed_decoders_agree_with_cell_msg() {
    let doc = doc();
    for case in doc["cells"].as_array().unwrap() {
        let width = CircIdWidth::for_link_protocol(int(&case["link_protocol"]) as u16);
        let frame = hex(&case["cell"]);
        let cell = Cell::decode(&frame, width).unwrap();
        let mut out = vec![0u8; width.cell_len()];
        macro_rules! roundtrip {
            ($ty:ty, $variant:ident) => {{
                let (id, m) = <$ty>::decode_cell(&frame, width).unwrap();
                assert_eq!(id, cell.circ_id());
                assert_eq!(CellMsg::$variant(m), cell.msg().unwrap());
                m.encode_cell(id, width, &mut out).unwrap();
                assert_eq!(out, frame);
            }};
        }
        match cell.command().name().unwrap() {
            "CREATE" => roundtrip!(Create<'_>, Create),
            "CREATED" => roundtrip!(Created<'_>, Created),
            "CREATE_FAST" => roundtrip!(CreateFast<'_>, CreateFast),
            "CREATED_FAST" => roundtrip!(CreatedFast<'_>, CreatedFast),
            "CREATE2" => roundtrip!(Create2<'_>, Create2),
            "CREATED2" => roundtrip!(Created2<'_>, Created2),
            "DESTROY" => roundtrip!(Destroy, Destroy),
            other => panic!("unexpected command {other}"),
        }
    }
}

#[test]
fn every_relay_message_decodes_to_its_fields_and_reencodes() {
    let doc = doc();
    let msgs = doc["relay_messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 5);
    for case in msgs {
        let name = case["name"].as_str().unwrap();
        let body = hex(&case["body"]);
        assert_eq!(body.len() as u64, int(&case["body_len"]), "{name}");
        assert_eq!(int(&case["stream_id"]), 0, "{name}");
        let command = RelayCommand(int(&case["relay_command"]) as u8);
        assert_eq!(
            command.name(),
            case["relay_command_name"].as_str(),
            "{name}"
        );
        let msg = RelayMsg::decode(command, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(msg.command(), command);
        let f = &case["fields"];
        match msg {
            RelayMsg::Extend2(m) => {
                assert_eq!(m.link_specs().len() as u64, int(&f["nspec"]), "{name}");
                let want = f["link_specifiers"].as_array().unwrap();
                assert_eq!(m.link_specs().iter().len(), want.len(), "{name}");
                for (got, want) in m.link_specs().iter().zip(want) {
                    check_link_spec(name, &got, want);
                }
                assert_eq!(u64::from(m.htype().0), int(&f["htype"]), "{name}");
                assert_eq!(m.hdata().len() as u64, int(&f["hlen"]), "{name}");
                assert_eq!(m.hdata(), hex(&f["hdata"]), "{name}");
                // Every EXTEND2 vector names the relay by RSA id and IPv4.
                let rsa = want.iter().find(|s| s["lstype"] == 2).unwrap();
                assert_eq!(m.rsa_id().as_slice(), hex(&rsa["lspec"]));
                assert_eq!(m.ipv4().unwrap().to_string(), "192.0.2.17:9001");
                let typed = Extend2::decode(&body).unwrap();
                assert_eq!(RelayMsg::Extend2(typed), msg);
            }
            RelayMsg::Extended2(m) => {
                assert_eq!(m.hdata().len() as u64, int(&f["hlen"]), "{name}");
                assert_eq!(m.hdata(), hex(&f["hdata"]), "{name}");
                let typed = Extended2::decode(&body).unwrap();
                assert_eq!(RelayMsg::Extended2(typed), msg);
            }
            other => panic!("{name}: unexpected {other:?}"),
        }
        assert_eq!(msg.encoded_len(), body.len(), "{name}");
        let mut out = vec![0xffu8; body.len()];
        assert_eq!(msg.encode_into(&mut out).unwrap(), body.len());
        assert_eq!(out, body, "{name}");
    }
}

fn check_link_spec(name: &str, got: &LinkSpec<'_>, want: &Value) {
    assert_eq!(u64::from(got.lstype().0), int(&want["lstype"]), "{name}");
    assert_eq!(got.lslen() as u64, int(&want["lslen"]), "{name}");
    let lspec = hex(&want["lspec"]);
    let d = &want["decoded"];
    match got {
        LinkSpec::Ipv4(a) => {
            assert_eq!(a.ip().to_string(), d["addr"].as_str().unwrap(), "{name}");
            assert_eq!(u64::from(a.port()), int(&d["port"]), "{name}");
            assert_eq!(a.ip().octets(), lspec[..4], "{name}");
        }
        LinkSpec::Ipv6(a) => {
            assert_eq!(a.ip().to_string(), d["addr"].as_str().unwrap(), "{name}");
            assert_eq!(u64::from(a.port()), int(&d["port"]), "{name}");
            assert_eq!(a.ip().octets(), lspec[..16], "{name}");
        }
        LinkSpec::LegacyId(id) => {
            assert_eq!(id.as_slice(), lspec, "{name}");
            assert_eq!(id.as_slice(), hex(&d["rsa_id_sha1"]), "{name}");
        }
        LinkSpec::Ed25519Id(id) => {
            assert_eq!(id.as_slice(), lspec, "{name}");
            assert_eq!(id.as_slice(), hex(&d["ed25519_id"]), "{name}");
        }
        other => panic!("{name}: unexpected {other:?}"),
    }
}
