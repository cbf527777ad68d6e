//! Kind `cells`: fixed-size cells for link protocols 3 and 4, and relay message bodies.
//!
//! Every case is decoded with the crate, every expected value is compared with what the crate
//! reports (an expected field the crate does not produce is a failure too, so nothing is
//! silently skipped), and the message is re-encoded and compared byte for byte. Only `name`
//! (the case's label) and `fields.source_case` (provenance) are not compared.

use crate::util::{Checker, Report, hex_field, id, int_field};
use onionskin::codec::{
    Cell, CellMsg, CircIdWidth, LinkSpec, LinkSpecs, PAYLOAD_LEN, RelayCommand, RelayMsg,
};
use serde_json::{Map, Value, json};

/// Fields that record where a case came from; nothing in the crate corresponds to them.
const INFORMATIONAL: &[&str] = &["source_case"];

pub(crate) fn check(doc: &Value, report: &mut Report) -> bool {
    for case in array(doc, "cells") {
        let mut c = Checker::default();
        check_cell(&mut c, case);
        report.case(&id(case), c.errors);
    }
    for case in array(doc, "relay_messages") {
        let mut c = Checker::default();
        check_relay_msg(&mut c, case);
        report.case(&id(case), c.errors);
    }
    true
}

#[allow(dead_code)]
pub(crate) fn check_reject(_doc: &Value, _report: &mut Report) -> bool {
    false
}

fn array<'a>(doc: &'a Value, name: &str) -> &'a [Value] {
    doc.get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn check_cell(c: &mut Checker, case: &Value) {
    let link = int_field(c, case, "link_protocol");
    let Ok(link) = u16::try_from(link) else {
        c.fail(format!("link_protocol {link} out of range"));
        return;
    };
    // The name is `<what>/link<v>`: it must agree with the link protocol it is checked under.
    let name = case.get("name").and_then(Value::as_str).unwrap_or("");
    if !name.ends_with(&format!("/link{link}")) {
        c.fail(format!("name {name:?} does not match link_protocol {link}"));
    }
    let width = CircIdWidth::for_link_protocol(link);
    let frame = hex_field(c, case, "cell");
    let Some(cell) = c.ok("Cell::decode", Cell::decode(&frame, width)) else {
        return;
    };
    let Some(msg) = c.ok("Cell::msg", cell.msg()) else {
        return;
    };
    if let CellMsg::Other { command, .. } = msg {
        c.fail(format!("command {command} has no view in the codec"));
        return;
    }

    let mut reencoded = vec![0u8; width.cell_len()];
    let mut body = [0u8; PAYLOAD_LEN];
    let (Some(_), Some(used)) = (
        c.ok(
            "CellMsg::encode_cell",
            msg.encode_cell(cell.circ_id(), width, &mut reencoded),
        ),
        c.ok("CellMsg::encode_into", msg.encode_into(&mut body)),
    ) else {
        return;
    };
    let used_bytes = body.get(..used).unwrap_or_default();

    let got = json!({
        "link_protocol": link,
        "circ_id_len": width.circ_id_len(),
        "cell_len": width.cell_len(),
        "circ_id": cell.circ_id().get(),
        "command": cell.command().0,
        "command_name": cell.command().name(),
        "payload_used_len": used,
        "payload_used": hex::encode(used_bytes),
        "fields": cell_fields(&msg),
        "cell": hex::encode(&reencoded),
    });
    compare(c, "", &got, case);
}

fn cell_fields(msg: &CellMsg<'_>) -> Value {
    match msg {
        CellMsg::Create(m) => {
            let mut skin = [0u8; 186];
            match m.onion_skin().encode_into(&mut skin) {
                Ok(_) => json!({ "onionskin": hex::encode(skin) }),
                Err(e) => json!({ "error": format!("{e}") }),
            }
        }
        CellMsg::Created(m) => json!({ "gy": hex::encode(m.gy()), "kh": hex::encode(m.kh()) }),
        CellMsg::CreateFast(m) => json!({ "X": hex::encode(m.x()) }),
        CellMsg::CreatedFast(m) => json!({ "Y": hex::encode(m.y()), "kh": hex::encode(m.kh()) }),
        CellMsg::Create2(m) => json!({
            "htype": m.htype().0,
            "hlen": m.hdata().len(),
            "hdata": hex::encode(m.hdata()),
        }),
        CellMsg::Created2(m) => json!({
            "hlen": m.hdata().len(),
            "hdata": hex::encode(m.hdata()),
        }),
        CellMsg::Destroy(m) => json!({
            "reason": m.reason().0,
            "reason_name": m.reason().name(),
        }),
        _ => json!({}),
    }
}

fn check_relay_msg(c: &mut Checker, case: &Value) {
    let command = int_field(c, case, "relay_command");
    let Ok(command) = u8::try_from(command).map(RelayCommand) else {
        c.fail(format!("relay_command {command} out of range"));
        return;
    };
    let body = hex_field(c, case, "body");
    let Some(msg) = c.ok("RelayMsg::decode", RelayMsg::decode(command, &body)) else {
        return;
    };
    let fields = match &msg {
        RelayMsg::Extend2(m) => json!({
            "nspec": m.link_specs().len(),
            "link_specifiers": link_specs_json(&m.link_specs()),
            "htype": m.htype().0,
            "hlen": m.hdata().len(),
            "hdata": hex::encode(m.hdata()),
        }),
        RelayMsg::Extended2(m) => json!({
            "hlen": m.hdata().len(),
            "hdata": hex::encode(m.hdata()),
        }),
        _ => {
            c.fail(format!(
                "relay command {command} is not checked by this kind"
            ));
            return;
        }
    };
    let mut reencoded = vec![0u8; msg.encoded_len()];
    let Some(len) = c.ok("RelayMsg::encode_into", msg.encode_into(&mut reencoded)) else {
        return;
    };
    let got = json!({
        "relay_command": msg.command().0,
        "relay_command_name": msg.command().name(),
        // EXTEND2 and EXTENDED2 are circuit-level control messages: stream ID 0 (tor-spec 6.1).
        "stream_id": 0,
        "body": hex::encode(&reencoded),
        "body_len": len,
        "fields": fields,
    });
    compare(c, "", &got, case);
}

fn link_specs_json(specs: &LinkSpecs<'_>) -> Value {
    specs
        .iter()
        .map(|s| {
            let mut buf = [0u8; 2 + 255];
            let lspec = match s.encode_into(&mut buf) {
                Ok(n) => hex::encode(buf.get(2..n).unwrap_or_default()),
                Err(e) => format!("encode error: {e}"),
            };
            let decoded = match s {
                LinkSpec::Ipv4(a) => json!({ "addr": a.ip().to_string(), "port": a.port() }),
                LinkSpec::Ipv6(a) => json!({ "addr": a.ip().to_string(), "port": a.port() }),
                LinkSpec::LegacyId(id) => json!({ "rsa_id_sha1": hex::encode(id) }),
                LinkSpec::Ed25519Id(id) => json!({ "ed25519_id": hex::encode(id) }),
                _ => json!({}),
            };
            json!({
                "lstype": s.lstype().0,
                "lslen": s.lslen(),
                "lspec": lspec,
                "decoded": decoded,
            })
        })
        .collect()
}

/// Compares every value in `want` with `got`, recursively. Keys of `want` that `got` lacks
/// are failures (except `name` at the top and the informational ones), so an expected value
/// cannot go unchecked.
fn compare(c: &mut Checker, path: &str, got: &Value, want: &Value) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => compare_objects(c, path, g, w),
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                c.fail(format!("{path}: {} entries, expected {}", g.len(), w.len()));
            }
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                compare(c, &format!("{path}[{i}]"), g, w);
            }
        }
        _ => {
            if got != want {
                c.fail(format!("{path}: got {got}, expected {want}"));
            }
        }
    }
}

fn compare_objects(
    c: &mut Checker,
    path: &str,
    got: &Map<String, Value>,
    want: &Map<String, Value>,
) {
    for (key, w) in want {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if (path.is_empty() && key == "name") || INFORMATIONAL.contains(&key.as_str()) {
            continue;
        }
        match got.get(key) {
            Some(g) => compare(c, &here, g, w),
            None => c.fail(format!("{here}: expected field not produced by the codec")),
        }
    }
}
