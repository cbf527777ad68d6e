//! Kind `tor1` (tor-spec 6.1, 7.3.1; rend-spec-v3 5.2): relay-cell crypto replayed cell by
//! cell through `onionskin::relay_crypto`.
//!
//! Each entry of `cases` is a 1- or 3-hop circuit and each entry of `hs_cases` two circuits
//! joined at a rendezvous point with the onion-service layer on top. For every cell the
//! plaintext is rebuilt from its fields with `RelayCell` (the vector's random padding is fed
//! back as the RNG's output, so C tor's padding rule is checked too), encrypted by the side
//! that sends it, passed hop by hop (every link's 509 bytes are compared), and recognised by
//! the right side only, with the expected digest and SENDME tag.

// Hop indices are checked against the circuit's length before use, JSON integers are small
// by the schema (a wrong one fails the case through the comparisons), and `Replay` slices
// within `dest`.
#![allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::needless_range_loop
)]

use crate::util::{self, Checker, Report};
use onionskin::CircuitKeys;
use onionskin::codec::{PAYLOAD_LEN, RELAY_HEADER_LEN, RELAY_PADDING_GAP, RelayCell, RelayCommand};
use onionskin::relay_crypto::{ClientCircuit, ClientHop, HS_KEY_LEN, RelayHop, SendmeTag};
use rand_core::{CryptoRng, RngCore};
use serde_json::Value;

/// An "RNG" that hands out the padding recorded in a vector, to replay it exactly.
struct Replay<'a>(&'a [u8]);

impl RngCore for Replay<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let n = dest.len().min(self.0.len());
        let (now, later) = self.0.split_at(n);
        dest[..n].copy_from_slice(now);
        dest[n..].fill(0);
        self.0 = later;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for Replay<'_> {}

/// A hop's tor1 keys: `key_material` (72 bytes, Df|Db|Kf|Kb) with an unused KH after it.
fn tor1_keys(c: &mut Checker, hop: &Value) -> CircuitKeys {
    let material = util::hex_field(c, hop, "key_material");
    let mut full = [0u8; 92];
    if material.len() == 72 {
        full[..72].copy_from_slice(&material);
    } else {
        c.fail(format!(
            "key_material has {} bytes, expected 72",
            material.len()
        ));
    }
    let keys = CircuitKeys::split_kh_last(&full);
    let split = hop.get("keys").cloned().unwrap_or(Value::Null);
    let want: [&[u8]; 4] = [keys.df(), keys.db(), keys.kf(), keys.kb()];
    for (name, got) in ["Df", "Db", "Kf", "Kb"].into_iter().zip(want) {
        let expected = util::hex_field(c, &split, name);
        c.eq(&format!("keys.{name}"), got, &expected);
    }
    keys
}

/// The four 32-byte onion-service keys of an `hs_cases` entry.
fn hs_keys(c: &mut Checker, case: &Value) -> [[u8; HS_KEY_LEN]; 4] {
    let keys = case.get("keys").cloned().unwrap_or(Value::Null);
    let material = util::hex_field(c, case, "key_material");
    let parts = ["Df", "Db", "Kf", "Kb"].map(|n| util::hex_array::<HS_KEY_LEN>(c, &keys, n));
    c.eq("key_material (Df|Db|Kf|Kb)", &parts.concat(), &material);
    parts
}

/// What one cell says: its plaintext, rebuilt from the fields, and the expected outcomes.
struct CellCase {
    /// The plaintext as the sender builds it (digest field zero).
    built: [u8; PAYLOAD_LEN],
    /// The plaintext as the recognising side sees it (digest set).
    payload: Vec<u8>,
    tag: Vec<u8>,
    wire: Vec<Vec<u8>>,
    direction: String,
    hop: usize,
}

fn cell_case(c: &mut Checker, cell: &Value, padding_style: &str) -> CellCase {
    let command = util::int_field(c, cell, "relay_command");
    let stream_id = util::int_field(c, cell, "stream_id");
    let length = util::int_field(c, cell, "length");
    let data = util::hex_field(c, cell, "data");
    let padding = util::hex_field(c, cell, "padding");
    let payload = util::hex_field(c, cell, "payload");
    let digest = util::hex_field(c, cell, "digest");
    let running = util::hex_field(c, cell, "running_digest");
    let tag = util::hex_field(c, cell, "sendme_tag");
    c.eq(
        "digest (first 4 bytes of running_digest)",
        &digest,
        running.get(..4).unwrap_or(&[]),
    );
    c.eq(
        "sendme_tag (first 20 bytes of running_digest)",
        &tag,
        running.get(..20).unwrap_or(&[]),
    );
    if data.len() as u64 != length || data.len() + padding.len() != 498 {
        c.fail(format!(
            "length {length}, data {} and padding {} bytes",
            data.len(),
            padding.len()
        ));
    }
    let mut built = [0u8; PAYLOAD_LEN];
    match RelayCell::new(RelayCommand(command as u8), stream_id as u16, &data) {
        Ok(rc) => {
            let end = if padding_style == "zero" {
                rc.encode_zero_padded(&mut built)
            } else {
                // C tor's rule: RELAY_PADDING_GAP zero bytes, then the RNG's bytes.
                let random = padding.get(RELAY_PADDING_GAP..).unwrap_or(&[]);
                rc.encode_into(&mut built, &mut Replay(random))
            };
            c.eq(
                "header and data length",
                &end.to_be_bytes(),
                &(RELAY_HEADER_LEN + data.len()).to_be_bytes(),
            );
        }
        Err(e) => c.fail(format!("RelayCell::new: {e:?}")),
    }
    // Built and expected plaintext agree everywhere but the digest field.
    let mut expect_built = payload.clone();
    if let Some(d) = expect_built.get_mut(5..9) {
        d.fill(0);
    }
    c.eq(
        "plaintext (RelayCell::encode_*, digest zero)",
        &built,
        &expect_built,
    );
    c.eq(
        "payload digest field",
        payload.get(5..9).unwrap_or(&[]),
        &digest,
    );
    match <&[u8; PAYLOAD_LEN]>::try_from(payload.as_slice()).map(RelayCell::decode) {
        Ok(Ok(rc)) => {
            c.eq("decoded data", rc.data(), &data);
            c.eq("decoded digest", &rc.digest(), &digest);
            if u64::from(rc.command().0) != command
                || u64::from(rc.stream_id()) != stream_id
                || rc.recognized() != 0
            {
                c.fail("decoded header differs from the fields");
            }
        }
        other => c.fail(format!("payload does not decode: {other:?}")),
    }
    let wire = cell
        .get("wire")
        .and_then(Value::as_array)
        .map(|w| w.iter().map(|l| util::hex_field(c, l, "payload")).collect())
        .unwrap_or_default();
    CellCase {
        built,
        payload,
        tag,
        wire,
        direction: util::str_field(c, cell, "direction").to_owned(),
        // `hop` is absent from onion-service cells, whose ends are the two circuits' last layers.
        hop: cell
            .get("hop")
            .map_or(0, |_| util::int_field(c, cell, "hop") as usize),
    }
}

fn cells(case: &Value) -> Vec<&Value> {
    let mut cells: Vec<&Value> = case
        .get("cells")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    cells.sort_by_key(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0));
    cells
}

fn wire_at<'a>(c: &mut Checker, cell: &'a CellCase, i: usize) -> &'a [u8] {
    match cell.wire.get(i) {
        Some(w) => w,
        None => {
            c.fail(format!("no wire entry {i}"));
            &[]
        }
    }
}

fn check_tag(c: &mut Checker, what: &str, got: Option<SendmeTag>, want: &[u8]) {
    match got {
        Some(tag) => c.eq(what, &tag, want),
        None => c.fail(format!("{what}: not recognised")),
    }
}

fn check_tor1_case(case: &Value, c: &mut Checker) {
    let hop_keys: Vec<CircuitKeys> = case
        .get("hop_keys")
        .and_then(Value::as_array)
        .map(|hops| hops.iter().map(|h| tor1_keys(c, h)).collect())
        .unwrap_or_default();
    let n = util::int_field(c, case, "hops") as usize;
    if hop_keys.len() != n || n == 0 {
        c.fail(format!("{} hop_keys for {n} hops", hop_keys.len()));
        return;
    }
    let style = util::str_field(c, case, "padding_style").to_owned();
    let mut client: ClientCircuit = ClientCircuit::new();
    for k in &hop_keys {
        if let Err(e) = client.push(ClientHop::tor1(k)) {
            c.fail(format!("push: {e}"));
        }
    }
    let mut relays: Vec<RelayHop> = hop_keys.iter().map(RelayHop::tor1).collect();
    for cell in cells(case) {
        let idx = cell.get("index").and_then(Value::as_u64).unwrap_or(0);
        let cc = cell_case(c, cell, &style);
        let t = cc.hop;
        if t == 0 || t > n {
            c.fail(format!("cell {idx}: hop {t} of {n}"));
            continue;
        }
        let mut p = cc.built;
        match cc.direction.as_str() {
            "forward" => {
                let tag = client.encrypt_forward(t - 1, &mut p).ok();
                check_tag(c, &format!("cell {idx}: client sendme tag"), tag, &cc.tag);
                for i in 0..t {
                    let w = wire_at(c, &cc, i).to_vec();
                    c.eq(&format!("cell {idx}: wire into hop {}", i + 1), &p, &w);
                    let got = relays[i].decrypt_forward(&mut p);
                    if i + 1 < t {
                        if got.is_some() {
                            c.fail(format!("cell {idx}: recognised early at hop {}", i + 1));
                        }
                    } else {
                        check_tag(c, &format!("cell {idx}: hop {t} recognises"), got, &cc.tag);
                        c.eq(
                            &format!("cell {idx}: plaintext at hop {t}"),
                            &p,
                            &cc.payload,
                        );
                    }
                }
            }
            "backward" => {
                let tag = relays[t - 1].originate_backward(&mut p);
                c.eq(&format!("cell {idx}: hop {t} sendme tag"), &tag, &cc.tag);
                let w = wire_at(c, &cc, 0).to_vec();
                c.eq(&format!("cell {idx}: wire from hop {t}"), &p, &w);
                for (j, i) in (0..t - 1).rev().enumerate() {
                    relays[i].relay_backward(&mut p);
                    let w = wire_at(c, &cc, j + 1).to_vec();
                    c.eq(&format!("cell {idx}: wire from hop {}", i + 1), &p, &w);
                }
                match client.decrypt_backward(&mut p) {
                    Some((hop, tag)) => {
                        if hop + 1 != t {
                            c.fail(format!(
                                "cell {idx}: client recognised at layer {} not {t}",
                                hop + 1
                            ));
                        }
                        c.eq(&format!("cell {idx}: client sendme tag"), &tag, &cc.tag);
                        c.eq(&format!("cell {idx}: plaintext at client"), &p, &cc.payload);
                    }
                    None => c.fail(format!("cell {idx}: client recognised no layer")),
                }
            }
            d => c.fail(format!("cell {idx}: direction {d:?}")),
        }
    }
}

/// One side of an onion-service rendezvous: its circuit (tor1 hops, then the service layer)
/// and the relays on it, first hop first (the last is the rendezvous point).
struct Side {
    circuit: ClientCircuit,
    relays: Vec<RelayHop>,
}

fn side(c: &mut Checker, case: &Value, hops: &str, hs: ClientHop) -> Side {
    let keys: Vec<CircuitKeys> = case
        .get(hops)
        .and_then(Value::as_array)
        .map(|h| h.iter().map(|h| tor1_keys(c, h)).collect())
        .unwrap_or_default();
    let mut circuit = ClientCircuit::new();
    for k in &keys {
        let _ = circuit.push(ClientHop::tor1(k));
    }
    if let Err(e) = circuit.push(hs) {
        c.fail(format!("push: {e}"));
    }
    Side {
        circuit,
        relays: keys.iter().map(RelayHop::tor1).collect(),
    }
}

/// A cell from `from` to `to` across the rendezvous point; `w0` is the index of its first
/// wire entry.
fn hs_cell(c: &mut Checker, idx: u64, cc: &CellCase, e2e: &[u8], from: &mut Side, to: &mut Side) {
    let mut p = cc.built;
    let layer = from.circuit.len() - 1;
    let tag = from.circuit.encrypt_forward(layer, &mut p).ok();
    check_tag(c, &format!("cell {idx}: sender sendme tag"), tag, &cc.tag);
    let mut link = 0;
    let n_from = from.relays.len();
    for (i, relay) in from.relays.iter_mut().enumerate() {
        let w = wire_at(c, cc, link).to_vec();
        c.eq(&format!("cell {idx}: wire {link}"), &p, &w);
        link += 1;
        if relay.decrypt_forward(&mut p).is_some() {
            c.fail(format!(
                "cell {idx}: recognised at relay {} of the sender's circuit",
                i + 1
            ));
        }
    }
    c.eq(
        &format!("cell {idx}: e2e_ciphertext at the rendezvous point"),
        &p,
        e2e,
    );
    let _ = n_from;
    for relay in to.relays.iter_mut().rev() {
        relay.relay_backward(&mut p);
        let w = wire_at(c, cc, link).to_vec();
        c.eq(&format!("cell {idx}: wire {link}"), &p, &w);
        link += 1;
    }
    if link != cc.wire.len() {
        c.fail(format!(
            "cell {idx}: {} wire entries, path has {link} links",
            cc.wire.len()
        ));
    }
    match to.circuit.decrypt_backward(&mut p) {
        Some((hop, tag)) => {
            if hop != to.circuit.len() - 1 {
                c.fail(format!(
                    "cell {idx}: recognised at layer {hop}, not the service layer"
                ));
            }
            c.eq(&format!("cell {idx}: receiver sendme tag"), &tag, &cc.tag);
            c.eq(
                &format!("cell {idx}: plaintext at the receiver"),
                &p,
                &cc.payload,
            );
        }
        None => c.fail(format!("cell {idx}: receiver recognised no layer")),
    }
}

fn check_hs_case(case: &Value, c: &mut Checker) {
    let [df, db, kf, kb] = hs_keys(c, case);
    let mut client = side(
        c,
        case,
        "client_hops",
        ClientHop::hs_client(&df, &db, &kf, &kb),
    );
    let mut service = side(
        c,
        case,
        "service_hops",
        ClientHop::hs_service(&df, &db, &kf, &kb),
    );
    if client.relays.is_empty() || service.relays.is_empty() {
        c.fail("a circuit without hops");
        return;
    }
    for cell in cells(case) {
        let idx = cell.get("index").and_then(Value::as_u64).unwrap_or(0);
        let cc = cell_case(c, cell, "zero4_random");
        let e2e = util::hex_field(c, cell, "e2e_ciphertext");
        match cc.direction.as_str() {
            "client_to_service" => hs_cell(c, idx, &cc, &e2e, &mut client, &mut service),
            "service_to_client" => hs_cell(c, idx, &cc, &e2e, &mut service, &mut client),
            d => c.fail(format!("cell {idx}: direction {d:?}")),
        }
    }
}

pub(crate) fn check(doc: &Value, report: &mut Report) -> bool {
    for case in util::cases(doc) {
        let mut c = Checker::default();
        check_tor1_case(case, &mut c);
        report.case(&util::id(case), c.errors);
    }
    let hs = doc
        .get("hs_cases")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for case in hs {
        let mut c = Checker::default();
        check_hs_case(case, &mut c);
        report.case(&util::id(case), c.errors);
    }
    true
}
