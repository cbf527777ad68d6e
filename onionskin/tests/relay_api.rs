//! The relay tools through the public API only, wired together as a relay would wire them
//! (C tor's command.c → cpuworker.c → onion_queue.c pipeline).

use core::net::{IpAddr, Ipv6Addr};
use core::time::Duration;

use onionskin::HandshakeType;
use onionskin::relay::{
    CreateDecision, CreateRateLimitConfig, CreateRateLimiter, DestroyReason, HandshakeStats,
    HandshakeTiming, OnionQueue, OnionQueueConfig, QueueKind, Refusal, Timestamp,
};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// A relay with one worker that is always busy: every CREATE goes through the queue, and
/// requests are taken out at a fixed service rate.
#[test]
fn queue_stats_and_timing_together() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut queue: OnionQueue<(HandshakeType, u32)> = OnionQueue::new(OnionQueueConfig::DEFAULT);
    let mut stats = HandshakeStats::default();
    let mut destroyed = Vec::new();
    let cost = |h: HandshakeType| {
        if h == HandshakeType::TAP {
            Duration::from_micros(2_000)
        } else {
            Duration::from_micros(200)
        }
    };
    // 10 s of arrivals: every ms one ntor, every 2 ms one TAP; the worker does 1 ms of work
    // per ms, so TAP alone already saturates it.
    let mut worker_free_at = Timestamp::ZERO;
    for ms in 0..10_000u32 {
        let now = Timestamp::from_millis(u64::from(ms));
        let mut arrivals = vec![(HandshakeType::NTOR, ms)];
        if ms % 2 == 0 {
            arrivals.push((HandshakeType::TAP, ms));
        }
        for (h, id) in arrivals {
            let _ = stats.note_requested(h, now);
            match queue.enqueue(now, h, (h, id)) {
                Ok(aged) => destroyed.extend(aged.map(|a| (a.request, a.destroy_reason()))),
                Err(refused) => {
                    assert_eq!(refused.reason, Refusal::Overloaded);
                    stats.note_dropped(h);
                    destroyed.push((refused.request, refused.destroy_reason()));
                }
            }
        }
        while worker_free_at <= now {
            let Some(next) = queue.next_request() else {
                break;
            };
            stats.note_assigned(next.htype);
            let c = cost(next.htype);
            if queue.timing().should_time(next.htype, &mut rng) {
                let roundtrip = now.saturating_since(next.queued_at) + c;
                let _ = queue.timing_mut().record(next.htype, c, roundtrip);
            }
            worker_free_at = worker_free_at + c;
        }
    }
    let beat = stats.heartbeat();
    // ntor is served first and never dropped; TAP takes the drops.
    assert_eq!(beat.requested(HandshakeType::NTOR), 10_000);
    assert_eq!(beat.dropped(HandshakeType::NTOR), 0);
    // 12 s of work offered to 10 s of worker time: about 2 s of TAP (~1000 requests) cannot
    // be served; the queue keeps up to 2/3 × 1750 ms of it, the rest is dropped.
    let tap_dropped = beat.dropped(HandshakeType::TAP);
    assert!((200..1_000).contains(&tap_dropped), "{tap_dropped}");
    let culled = u64::try_from(destroyed.len()).unwrap() - tap_dropped;
    assert_eq!(
        beat.assigned(HandshakeType::TAP)
            + tap_dropped
            + culled
            + u64::try_from(queue.len(QueueKind::Tap)).unwrap(),
        5_000,
        "every TAP request is accounted for"
    );
    assert!(beat.assigned(HandshakeType::NTOR) > 9_900);
    assert!(
        destroyed
            .iter()
            .all(|(_, reason)| *reason == DestroyReason::RESOURCELIMIT)
    );
    // The queue learned the costs, so its estimates match the workload.
    assert_eq!(
        queue.timing().mean_internal(HandshakeType::TAP),
        Some(Duration::from_micros(2_000))
    );
    assert_eq!(
        queue.timing().estimate_micros(HandshakeType::NTOR, 10),
        2_000
    );
    // TAP is held to 2/3 of the 1750 ms budget.
    assert!(queue.expected_wait(QueueKind::Tap) <= Duration::from_millis(1_750));
    let line = beat.to_string();
    assert!(line.starts_with("Circuit handshake stats since last time: "));
    assert!(line.ends_with("/10000 NTor."));
    assert!(stats.last_overload().is_none());
}

#[test]
fn start_up_measurements_seed_the_queue() {
    let mut timing = HandshakeTiming::new();
    for _ in 0..HandshakeTiming::MIN_SAMPLES {
        let _ = timing.record(
            HandshakeType::NTOR,
            Duration::from_micros(50),
            Duration::from_micros(60),
        );
    }
    let queue: OnionQueue<()> = OnionQueue::with_timing(OnionQueueConfig::with_workers(4), timing);
    assert_eq!(queue.timing().estimate_micros(HandshakeType::NTOR, 4), 200);
    assert_eq!(queue.config().workers, 4);
}

/// A million-address flood (here 200 000, IPv6) against a small table: memory stays at the
/// table's capacity and a marked address stays marked.
#[test]
fn rate_limiter_under_address_flood() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut limiter = CreateRateLimiter::new(CreateRateLimitConfig::DEFAULT, 1_000);
    let attacker = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    let t0 = Timestamp::from_secs(1_000);
    let mut refused = 0;
    for _ in 0..200 {
        if limiter.on_create(attacker, t0, 5, &mut rng) == CreateDecision::Refuse {
            refused += 1;
        }
    }
    assert_eq!(
        refused,
        200 - 89,
        "90 tokens: the 90th empties the bucket and is refused"
    );
    for i in 0..200_000u32 {
        let a = IpAddr::V6(Ipv6Addr::from(u128::from(i) | (0x2001_0db8_0001 << 80)));
        let d = limiter.on_create(a, t0 + Duration::from_secs(1), 1, &mut rng);
        assert_eq!(d, CreateDecision::Allow);
        assert!(limiter.len() <= limiter.capacity());
    }
    assert!(limiter.is_marked(attacker, t0 + Duration::from_secs(3_600)));
    assert!(!limiter.is_marked(attacker, t0 + Duration::from_secs(5_401)));
    let c = limiter.counters();
    assert_eq!(c.marked_addresses, 1);
    assert_eq!(c.rejected_cells, 111);
    assert_eq!(c.evictions, 200_000 + 1 - 1_000);
}
