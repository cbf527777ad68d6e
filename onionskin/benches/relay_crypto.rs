//! Relay-cell throughput: what relay-cell crypto (tor-spec 6.1) costs per 509-byte payload.
//!
//! `cargo bench --bench relay_crypto`. Throughput is reported in bytes of payload per second;
//! cells per second are 10^9 / (ns per iteration), one cell per iteration.
//!
//! | group | one iteration |
//! |---|---|
//! | `relay_hop/pass` | a middle relay passes a forward cell on: AES-128-CTR, `Recognized` check |
//! | `relay_hop/recognise` | a relay receives a cell meant for it: AES-128-CTR, SHA-1 digest, compare (with the client's encryption of it done outside the timing) |
//! | `relay_hop/originate` | a relay sends a cell backward: SHA-1 digest, AES-128-CTR |
//! | `relay_hop/relay_backward` | a relay adds its layer to a backward cell: AES-128-CTR |
//! | `client_3hop/forward_to_exit` | a client encrypts a cell for hop 3: digest, three AES layers |
//! | `client_3hop/backward_from_exit` | a client decrypts a cell from hop 3: three AES layers, three `Recognized` checks, digest (the relays' encryption outside the timing) |
//! | `hs_layer/originate` | the onion-service layer: SHA3-256 digest, AES-256-CTR |

// Bench set-up: a failed unwrap is a broken bench, which should stop loudly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use core::hint::black_box;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onionskin::CircuitKeys;
use onionskin::codec::{PAYLOAD_LEN, RelayCell, RelayCommand};
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};

fn keys(n: u8) -> CircuitKeys {
    CircuitKeys::split_kh_last(&core::array::from_fn(|i| {
        u8::try_from(i).unwrap().wrapping_mul(31) ^ n
    }))
}

fn data_cell() -> [u8; PAYLOAD_LEN] {
    let mut p = [0u8; PAYLOAD_LEN];
    RelayCell::new(RelayCommand::DATA, 1, &[0x42; 498])
        .unwrap()
        .encode_zero_padded(&mut p);
    p
}

fn relay_hop(c: &mut Criterion) {
    let mut g = c.benchmark_group("relay_hop");
    g.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    let k = keys(1);

    let mut relay = RelayHop::tor1(&k);
    let mut junk = [0x5au8; PAYLOAD_LEN];
    g.bench_function("pass", |b| {
        b.iter(|| black_box(relay.decrypt_forward(black_box(&mut junk))));
    });

    let mut client: ClientCircuit<1> = ClientCircuit::new();
    client.push(ClientHop::tor1(&k)).unwrap();
    let mut relay = RelayHop::tor1(&k);
    g.bench_function("recognise", |b| {
        b.iter_batched_ref(
            || {
                let mut p = data_cell();
                client.encrypt_forward(0, &mut p).unwrap();
                p
            },
            |p| assert!(relay.decrypt_forward(black_box(p)).is_some()),
            BatchSize::SmallInput,
        );
    });

    let mut relay = RelayHop::tor1(&k);
    let mut cell = data_cell();
    g.bench_function("originate", |b| {
        b.iter(|| black_box(relay.originate_backward(black_box(&mut cell))));
    });
    g.bench_function("relay_backward", |b| {
        b.iter(|| relay.relay_backward(black_box(&mut cell)));
    });
    g.finish();
}

fn client_3hop(c: &mut Criterion) {
    let mut g = c.benchmark_group("client_3hop");
    g.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    let ks = [keys(1), keys(2), keys(3)];
    let mut client: ClientCircuit = ClientCircuit::new();
    for k in &ks {
        client.push(ClientHop::tor1(k)).unwrap();
    }
    let mut cell = data_cell();
    g.bench_function("forward_to_exit", |b| {
        b.iter(|| black_box(client.encrypt_forward(2, black_box(&mut cell)).unwrap()));
    });

    let mut relays = ks.each_ref().map(RelayHop::tor1);
    g.bench_function("backward_from_exit", |b| {
        b.iter_batched_ref(
            || {
                let mut p = data_cell();
                relays[2].originate_backward(&mut p);
                relays[1].relay_backward(&mut p);
                relays[0].relay_backward(&mut p);
                p
            },
            |p| assert_eq!(client.decrypt_backward(black_box(p)).map(|r| r.0), Some(2)),
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn hs_layer(c: &mut Criterion) {
    let mut g = c.benchmark_group("hs_layer");
    g.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    let mut service: ClientCircuit<1> = ClientCircuit::new();
    service
        .push(ClientHop::hs_service(
            &[1; 32], &[2; 32], &[3; 32], &[4; 32],
        ))
        .unwrap();
    let mut cell = data_cell();
    g.bench_function("originate", |b| {
        b.iter(|| black_box(service.encrypt_forward(0, black_box(&mut cell)).unwrap()));
    });
    g.finish();
}

criterion_group!(benches, relay_hop, client_3hop, hs_layer);
criterion_main!(benches);
