//! What a flood of circuit closures costs the onion queue.
//!
//! `cargo bench --bench onion_queue`. 100 000 CREATE2 requests wait in the queue (one ntor
//! per circuit, every tenth a TAP), then every circuit closes before a worker takes its
//! request, in a shuffled order: C tor removes each in constant time
//! (onion_queue.c `onion_pending_remove` through `or_circ->onionqueue_entry`), and so does
//! [`OnionQueue::remove`] with the handle from `enqueue`. For comparison, the predicate scan
//! `remove_where` on a tenth of the flood, which is quadratic in the number of closures.

#![allow(clippy::expect_used)]
// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use core::hint::black_box;
use core::time::Duration;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onionskin::HandshakeType;
use onionskin::relay::{HandshakeTiming, OnionQueue, OnionQueueConfig, QueueHandle, Timestamp};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// A queue that admits the whole flood: a learned cost of 1 µs per handshake.
fn flooded(n: u32) -> (OnionQueue<u32>, Vec<QueueHandle>) {
    let mut config = OnionQueueConfig::DEFAULT;
    config.max_len = 1 << 20;
    config.max_queue_delay = Duration::from_secs(3600);
    let mut timing = HandshakeTiming::new();
    for h in [HandshakeType::TAP, HandshakeType::NTOR] {
        for _ in 0..HandshakeTiming::MIN_SAMPLES {
            let _ = timing.record(h, Duration::from_micros(1), Duration::from_micros(1));
        }
    }
    let mut q = OnionQueue::with_timing(config, timing);
    let mut handles = Vec::with_capacity(n as usize);
    for circ in 0..n {
        let h = if circ % 10 == 0 {
            HandshakeType::TAP
        } else {
            HandshakeType::NTOR
        };
        let aged = q.enqueue(Timestamp::ZERO, h, circ).expect("admitted");
        handles.push(aged.handle().expect("named"));
    }
    // Close circuits in a random order (Fisher–Yates with a fixed seed).
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    for i in (1..handles.len()).rev() {
        let j = usize::try_from(rng.next_u32()).expect("32-bit usize") % (i + 1);
        handles.swap(i, j);
    }
    (q, handles)
}

fn closures(c: &mut Criterion) {
    let mut g = c.benchmark_group("onion_queue_closures");
    g.sample_size(10);
    let n = 100_000u32;
    g.throughput(Throughput::Elements(u64::from(n)));
    g.bench_function("remove_by_handle_100k", |b| {
        b.iter_batched(
            || flooded(n),
            |(mut q, handles)| {
                for h in handles {
                    black_box(q.remove(h));
                }
                assert!(q.is_empty());
            },
            BatchSize::LargeInput,
        );
    });
    let n = 10_000u32;
    g.throughput(Throughput::Elements(u64::from(n)));
    g.bench_function("remove_where_10k", |b| {
        b.iter_batched(
            || flooded(n),
            |(mut q, _)| {
                for circ in 0..n {
                    black_box(q.remove_where(|&r| r == circ));
                }
                assert!(q.is_empty());
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, closures);
criterion_main!(benches);
