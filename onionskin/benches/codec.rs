//! Decode and encode cost of every cell and relay message the codec handles.
//!
//! `cargo bench --bench codec`. Inputs are the cells of `test-vectors/cells.json` (link
//! protocol 4, 514-byte cells), plus EXTEND and EXTENDED bodies assembled from the same TAP
//! fields. Decoding a cell means framing it and decoding its body (`decode_cell`); encoding
//! means writing the whole cell, padding included (`encode_cell`). Per-cell throughput is
//! reported against the 514 bytes on the wire.

// Bench set-up: a failed unwrap on the vectors is a broken bench, which should stop loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing
)]
// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use core::hint::black_box;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onionskin::codec::{
    CellBody, CircIdWidth, Create, Create2, CreateFast, Created, Created2, CreatedFast, Destroy,
    Extend, Extend2, Extended, Extended2, LegacyOnionSkin, RelayMsgBody,
};
use serde_json::Value;

/// The link-protocol-4 cell frames and relay bodies, by vector name.
struct Vectors {
    cells: Vec<(String, Vec<u8>)>,
    relay: Vec<(String, Vec<u8>)>,
}

fn vectors() -> Vectors {
    let doc: Value = serde_json::from_str(include_str!("../test-vectors/cells.json")).unwrap();
    let hex = |v: &Value| hex::decode(v.as_str().unwrap()).unwrap();
    let cells = doc["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["link_protocol"] == 4)
        .map(|c| {
            let name = c["name"].as_str().unwrap().trim_end_matches("/link4");
            (name.to_owned(), hex(&c["cell"]))
        })
        .collect();
    let relay = doc["relay_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap().to_owned(), hex(&m["body"])))
        .collect();
    Vectors { cells, relay }
}

fn frame<'v>(v: &'v Vectors, name: &str) -> &'v [u8] {
    &v.cells.iter().find(|(n, _)| n == name).expect(name).1
}

fn body<'v>(v: &'v Vectors, name: &str) -> &'v [u8] {
    &v.relay.iter().find(|(n, _)| n == name).expect(name).1
}

const W: CircIdWidth = CircIdWidth::Wide;

/// Benches `codec/<name>/decode` and `codec/<name>/encode` for one cell body type.
fn cell_pair<'v, B: CellBody<'v>>(c: &mut Criterion, name: &str, frame: &'v [u8]) {
    let mut g = c.benchmark_group(format!("codec/{name}"));
    g.throughput(Throughput::Bytes(514));
    g.bench_function("decode", |b| {
        b.iter(|| B::decode_cell(black_box(frame), W).unwrap());
    });
    let (id, msg) = B::decode_cell(frame, W).unwrap();
    let mut out = [0u8; 514];
    g.bench_function("encode", |b| {
        b.iter(|| {
            black_box(&msg)
                .encode_cell(id, W, black_box(&mut out))
                .unwrap()
        });
    });
    g.finish();
    assert_eq!(&out[..], frame, "{name}: the bench must round-trip");
}

/// The same for a relay message body; throughput is against the body's own length.
fn relay_pair<'v, B: RelayMsgBody<'v>>(c: &mut Criterion, name: &str, body: &'v [u8]) {
    let mut g = c.benchmark_group(format!("codec/{name}"));
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("decode", |b| b.iter(|| B::decode(black_box(body)).unwrap()));
    let msg = B::decode(body).unwrap();
    let mut out = [0u8; 498];
    g.bench_function("encode", |b| {
        b.iter(|| black_box(&msg).encode_into(black_box(&mut out)).unwrap());
    });
    g.finish();
    assert_eq!(
        &out[..body.len()],
        body,
        "{name}: the bench must round-trip"
    );
}

fn codec(c: &mut Criterion) {
    let v = vectors();
    cell_pair::<Create<'_>>(c, "create_tap", frame(&v, "create_tap"));
    cell_pair::<Created<'_>>(c, "created_tap", frame(&v, "created_tap"));
    cell_pair::<CreateFast<'_>>(c, "create_fast", frame(&v, "create_fast"));
    cell_pair::<CreatedFast<'_>>(c, "created_fast", frame(&v, "created_fast"));
    for name in ["create2_ntor", "create2_ntor_v3", "create2_tap"] {
        cell_pair::<Create2<'_>>(c, name, frame(&v, name));
    }
    for name in ["created2_ntor", "created2_ntor_v3"] {
        cell_pair::<Created2<'_>>(c, name, frame(&v, name));
    }
    cell_pair::<Destroy>(c, "destroy", frame(&v, "destroy_protocol"));

    let tap_skin: &[u8; 186] = frame(&v, "create_tap")[5..191].try_into().unwrap();
    let tap_reply: &[u8] = &frame(&v, "created_tap")[5..153];
    let rsa_id = [0x8d; 20];
    let extend = Extend::new(
        "192.0.2.17:9001".parse().unwrap(),
        LegacyOnionSkin::Tap(tap_skin),
        &rsa_id,
    )
    .unwrap();
    let mut extend_body = [0u8; 212];
    extend.encode_into(&mut extend_body).unwrap();
    relay_pair::<Extend<'_>>(c, "extend", &extend_body);
    relay_pair::<Extended<'_>>(c, "extended", tap_reply);
    for name in [
        "extend2_ntor",
        "extend2_ntor_v3",
        "extend2_ntor_ipv4_legacy_only",
    ] {
        relay_pair::<Extend2<'_>>(c, name, body(&v, name));
    }
    for name in ["extended2_ntor", "extended2_ntor_v3"] {
        relay_pair::<Extended2<'_>>(c, name, body(&v, name));
    }

    // Walking the lazily decoded link specifiers of an EXTEND2.
    let m = Extend2::decode(body(&v, "extend2_ntor")).unwrap();
    c.bench_function("codec/extend2_ntor/iterate_link_specs", |b| {
        b.iter(|| black_box(m).link_specs().iter().count());
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
