//! The relay tools through the public API only, wired together as a relay would wire them
//! (C tor's command.c → cpuworker.c → onion_queue.c pipeline).

use core::net::{IpAddr, Ipv6Addr};
use core::time::Duration;

use onionskin::HandshakeType;
use onionskin::relay::{
    ConsensusParams, CreateDecision, CreateHandling, CreateRateLimitConfig, CreateRateLimiter,
    DestroyReason, HandshakeStats, HandshakeTiming, OnionQueue, OnionQueueConfig, QueueKind,
    Refusal, RelayProfile, Timestamp,
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

/// What a relay of `profile` answers to one create cell from another relay's channel, wired
/// as command.c `command_process_create_cell` wires it: refuse before any work, else count
/// it as requested, answer CREATE_FAST inline, queue the rest (every worker busy).
fn process_create(
    profile: RelayProfile,
    stats: &mut HandshakeStats,
    queue: &mut OnionQueue<u32>,
    now: Timestamp,
    htype: HandshakeType,
    circ: u32,
) -> Result<&'static str, DestroyReason> {
    match profile.create_handling(htype) {
        CreateHandling::Refuse(reason) => Err(reason),
        CreateHandling::Inline => {
            let _ = stats.note_requested(htype, now);
            stats.note_assigned(htype);
            Ok("CREATED_FAST")
        }
        CreateHandling::Queue(_) => {
            let _ = stats.note_requested(htype, now);
            match queue.enqueue(now, htype, circ) {
                Ok(aged) => {
                    assert_eq!(aged.count(), 0);
                    Ok("queued")
                }
                Err(refused) => {
                    stats.note_dropped(htype);
                    Err(refused.destroy_reason())
                }
            }
        }
        _ => unreachable!("no other handling"),
    }
}

/// C tor 0.4.9: TAP is answered with DESTROY PROTOCOL before any work and never counted,
/// CREATE_FAST never waits, ntor-v3 shares ntor's queue but has its own heartbeat column.
#[test]
fn tor_0_4_9_refuses_tap_and_counts_ntor_v3_apart() {
    let profile = RelayProfile::Tor0_4_9;
    let params = ConsensusParams::LIVE_2026_07;
    let mut stats = HandshakeStats::for_profile(profile, params.overload_config());
    let mut queue = OnionQueue::new(profile.onion_queue_config(&params, 2));
    let now = Timestamp::from_secs(1);
    let mut answers = Vec::new();
    for (circ, htype) in [
        HandshakeType::TAP,
        HandshakeType::NTOR,
        HandshakeType::NTOR_V3,
        HandshakeType::FAST,
        HandshakeType::NTOR_V3,
        HandshakeType::TAP,
    ]
    .into_iter()
    .enumerate()
    {
        let circ = u32::try_from(circ).unwrap();
        answers.push(process_create(
            profile, &mut stats, &mut queue, now, htype, circ,
        ));
    }
    assert_eq!(
        answers,
        [
            Err(DestroyReason::PROTOCOL),
            Ok("queued"),
            Ok("queued"),
            Ok("CREATED_FAST"),
            Ok("queued"),
            Err(DestroyReason::PROTOCOL),
        ]
    );
    assert_eq!(queue.len(QueueKind::Tap), 0);
    assert_eq!(queue.len(QueueKind::Ntor), 3);
    // Even a caller that skips the profile cannot queue TAP at this relay.
    let refused = queue
        .enqueue(now, HandshakeType::TAP, 99)
        .map(|_| ())
        .expect_err("no TAP queue");
    assert_eq!(refused.destroy_reason(), DestroyReason::PROTOCOL);
    while let Some(d) = queue.next_request() {
        stats.note_assigned(d.htype);
    }
    assert_eq!(
        stats.heartbeat().to_string(),
        "Circuit handshake stats since last time: 0/0 TAP, 1/1 NTor, 2/2 NTor (v3)."
    );
}

/// C tor 0.2.4 (2013): TAP is queued behind ntor at NumNTorsPerTAP, ntor-v3 does not parse,
/// and the heartbeat has two columns.
#[test]
fn tor_0_2_4_queues_tap_behind_ntor() {
    let profile = RelayProfile::Tor0_2_4;
    let params = ConsensusParams::CODE_DEFAULTS;
    let mut stats = HandshakeStats::for_profile(profile, params.overload_config());
    let mut queue = OnionQueue::new(profile.onion_queue_config(&params, 1));
    let now = Timestamp::ZERO;
    let mut circ = 0;
    let mut send = |stats: &mut HandshakeStats, queue: &mut OnionQueue<u32>, h| {
        circ += 1;
        process_create(profile, stats, queue, now, h, circ)
    };
    assert_eq!(
        send(&mut stats, &mut queue, HandshakeType::NTOR_V3),
        Err(DestroyReason::PROTOCOL)
    );
    for _ in 0..3 {
        assert_eq!(
            send(&mut stats, &mut queue, HandshakeType::TAP),
            Ok("queued")
        );
    }
    for _ in 0..20 {
        assert_eq!(
            send(&mut stats, &mut queue, HandshakeType::NTOR),
            Ok("queued")
        );
    }
    let order: String = core::iter::from_fn(|| queue.next_request())
        .map(|d| {
            stats.note_assigned(d.htype);
            if d.htype == HandshakeType::TAP {
                't'
            } else {
                'n'
            }
        })
        .collect();
    assert_eq!(order, "nnnnnnnnnntnnnnnnnnnntt");
    assert_eq!(
        stats.heartbeat().to_string(),
        "Circuit handshake stats since last time: 3/3 TAP, 20/20 NTor."
    );
}

/// 100 000 circuits close while their CREATEs wait: each leaves the queue by its handle in
/// constant time (the cost is a benchmark figure: `cargo bench --bench onion_queue`).
#[test]
fn flood_of_100k_closures() {
    let mut config = OnionQueueConfig::DEFAULT;
    config.max_len = 200_000;
    config.max_queue_delay = Duration::from_secs(3600);
    let mut timing = HandshakeTiming::new();
    for _ in 0..HandshakeTiming::MIN_SAMPLES {
        let _ = timing.record(
            HandshakeType::NTOR,
            Duration::from_micros(1),
            Duration::from_micros(1),
        );
    }
    let mut queue = OnionQueue::with_timing(config, timing);
    let mut handles = Vec::new();
    for circ in 0..100_000u32 {
        let aged = queue
            .enqueue(Timestamp::ZERO, HandshakeType::NTOR, circ)
            .expect("admitted");
        handles.push((circ, aged.handle().expect("named")));
    }
    // Close every other circuit, from the back, then serve the rest in order.
    for &(circ, h) in handles.iter().rev().step_by(2) {
        assert_eq!(queue.remove(h).map(|d| d.request), Some(circ));
    }
    assert_eq!(queue.len(QueueKind::Ntor), 50_000);
    let served: Vec<u32> = core::iter::from_fn(|| queue.next_batch(64).next())
        .map(|d| d.request)
        .collect();
    assert_eq!(served, (0..100_000).step_by(2).collect::<Vec<_>>());
    assert!(handles.iter().all(|&(_, h)| queue.remove(h).is_none()));
}
