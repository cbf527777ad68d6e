//! The seed's claims, reproduced on small, fast configurations of the surge simulation
//! (`src/sim.rs`, shared with `cargo run --release -p surge`).
//!
//! Costs are fixed here (ntor 100 µs, TAP 1000 µs) so the outcomes do not depend on the
//! machine; the simulation is deterministic, so these are exact reruns, not samples.

#[path = "../src/sim.rs"]
mod sim;

use core::time::Duration;

use onionskin::HandshakeType;
use onionskin::relay::Scheduling;
use sim::{Config, Costs, Report, Scenario};

const COSTS: Costs = Costs {
    ntor: Duration::from_micros(100),
    tap: Duration::from_micros(1000),
};

const TAP_ONLY: Scenario = Scenario {
    name: "TAP-only",
    user_handshake: HandshakeType::TAP,
    scheduling: Scheduling::NtorPriority,
    rate_limit: false,
    exploratory_factor: 1.0,
    bots_per_address: 8,
};

const MIX_PRIORITY: Scenario = Scenario {
    name: "mix, ntor first",
    user_handshake: HandshakeType::NTOR,
    ..TAP_ONLY
};

const MIX_FIFO: Scenario = Scenario {
    name: "mix, oldest first",
    scheduling: Scheduling::Fifo,
    ..MIX_PRIORITY
};

/// One core, 300 users whose TAP circuits use 30 % of it: a circuit every 3 s per user
/// (300 users × 3 hops × 1 ms / 3 s = 0.3). 10 s warm-up, 10 s measured.
fn small(scenario: Scenario, bots: u32) -> Config {
    let mut c = Config::new(scenario, COSTS, 300, bots);
    c.cores = 1;
    c.launch_interval = Duration::from_secs(3);
    c.give_up = Duration::from_secs(10);
    c.warmup = Duration::from_secs(10);
    c.measure = Duration::from_secs(10);
    c
}

fn failure(r: &Report) -> f64 {
    1.0 - r.circuit_success()
}

#[test]
fn no_surge_no_drops() {
    let r = sim::run(&small(TAP_ONLY, 0));
    assert_eq!(r.dropped_share, 0.0);
    assert_eq!(r.circuit_success(), 1.0);
    assert_eq!(r.user_built_share, 1.0);
    assert!(
        (0.2..0.4).contains(&r.cpu_utilisation),
        "designed for 30 % CPU, got {}",
        r.cpu_utilisation
    );
    // No overload: served straight from the worker pool.
    assert!(r.tap_delay.quantile_ms(0.95) < 50.0);
    assert_eq!(r.ntor_delay.len(), 0, "TAP-only world");
}

/// The seed: "when a relay drops half of the requests, more than half of the circuits
/// fail". Each circuit needs three hops, every relay is as loaded, and failed circuits are
/// retried, which adds load: circuit failure exceeds the drop rate.
#[test]
fn dropping_half_the_requests_fails_more_than_half_the_circuits() {
    let mut near_half = false;
    for bots in [900, 1200, 1500, 2400] {
        let r = sim::run(&small(TAP_ONLY, bots));
        if r.dropped_share > 0.05 {
            assert!(
                failure(&r) > r.dropped_share,
                "bots {bots}: {:.3} of creates dropped but only {:.3} of circuits failed",
                r.dropped_share,
                failure(&r)
            );
        }
        if (0.35..=0.65).contains(&r.dropped_share) {
            near_half = true;
            assert!(failure(&r) > 0.5, "bots {bots}: failure {:.3}", failure(&r));
        }
    }
    assert!(
        near_half,
        "no configuration dropped about half of the requests"
    );
}

/// The vicious cycle: once circuits fail, retries push the offered load far beyond what
/// clients launch (3 creates per launched circuit without failures).
#[test]
fn retries_amplify_the_load() {
    let calm = sim::run(&small(TAP_ONLY, 0));
    assert!(calm.creates_per_sec < 3.05 * calm.launches_per_sec);
    let storm = sim::run(&small(TAP_ONLY, 1500));
    assert!(storm.dropped_share > 0.3);
    assert!(
        storm.creates_per_sec > 4.0 * storm.launches_per_sec,
        "{} creates/s for {} launches/s",
        storm.creates_per_sec,
        storm.launches_per_sec
    );
}

/// 0.2.4.17-rc: with ntor priority, ntor clients are served ahead of TAP clients, so an
/// overload made of TAP requests leaves ntor users almost untouched.
#[test]
fn ntor_priority_serves_ntor_clients_ahead_of_tap_clients() {
    let bots = 1500;
    let prio = sim::run(&small(MIX_PRIORITY, bots));
    assert!(prio.dropped_share > 0.3, "the relay must be overloaded");
    assert!(prio.ntor_delay.mean_ms() < prio.tap_delay.mean_ms() / 5.0);
    assert!(
        prio.users.success() > 0.95,
        "ntor users: {}",
        prio.users.success()
    );
    assert!(
        prio.bots.success() < 0.5,
        "TAP bots: {}",
        prio.bots.success()
    );

    // Without priority, everyone waits in the same line and users fail like bots.
    let fifo = sim::run(&small(MIX_FIFO, bots));
    assert!(fifo.dropped_share > 0.3);
    assert!(
        fifo.users.success() < 0.5,
        "ntor users, oldest first: {}",
        fifo.users.success()
    );
    let gap = (fifo.ntor_delay.mean_ms() - fifo.tap_delay.mean_ms()).abs();
    assert!(
        gap < 0.1 * fifo.tap_delay.mean_ms(),
        "same queue, same delay"
    );
    assert!(prio.users.success() > fifo.users.success() + 0.4);
}

/// Per-address rate limiting (C tor's defaults) marks addresses that keep more than 3
/// connections busy creating circuits, never a user on one connection.
#[test]
fn rate_limiting_refuses_concentrated_bots_only() {
    let scenario = Scenario {
        rate_limit: true,
        bots_per_address: 64,
        ..MIX_PRIORITY
    };
    let r = sim::run(&small(scenario, 1500));
    assert!(
        r.rate_limited > 0,
        "bots sharing addresses exceed 3 creates/s"
    );
    assert!(r.marked_addresses > 0);
    assert_eq!(
        r.users_rate_limited, 0,
        "one connection per user: never marked"
    );
    assert!(r.users.success() > 0.95);
}

/// Fewer exploratory circuits lower the load, and with it the drops.
#[test]
fn fewer_exploratory_circuits_lower_the_load() {
    let base = sim::run(&small(TAP_ONLY, 1200));
    let fewer = sim::run(&small(
        Scenario {
            exploratory_factor: 0.25,
            ..TAP_ONLY
        },
        1200,
    ));
    assert!(fewer.launches_per_sec < 0.7 * base.launches_per_sec);
    assert!(fewer.dropped_share < base.dropped_share);
    assert!(fewer.circuit_success() > base.circuit_success());
}

#[test]
fn deterministic() {
    let c = small(MIX_PRIORITY, 1200);
    assert_eq!(sim::run(&c), sim::run(&c));
    let mut other = c.clone();
    other.seed = 2;
    assert_ne!(sim::run(&c), sim::run(&other), "the seed matters");
}

/// Bots that launch k times as often load the relay like k times as many bots (the surge
/// example sets the factor from the capacity model's rendezvous and retry rates).
#[test]
fn bot_launch_factor_scales_bot_load() {
    let mut fast = small(TAP_ONLY, 300);
    fast.bot_launch_factor = 3.0;
    let many = small(TAP_ONLY, 900);
    let (a, b) = (sim::run(&fast), sim::run(&many));
    assert!(
        (a.launches_per_sec / b.launches_per_sec - 1.0).abs() < 0.1,
        "{} vs {}",
        a.launches_per_sec,
        b.launches_per_sec
    );
    let base = sim::run(&small(TAP_ONLY, 300));
    assert!(a.launches_per_sec > 1.8 * base.launches_per_sec);
}
