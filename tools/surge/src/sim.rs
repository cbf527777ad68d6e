//! A deterministic discrete-event simulation of one relay under a client surge, driving this
//! crate's [`OnionQueue`], [`HandshakeStats`] and [`CreateRateLimiter`] exactly as a relay
//! would (C tor's cpuworker.c pipeline).
//!
//! # Model
//!
//! - **The network is a mean field.** Every relay is assumed to be as loaded as this one, so
//!   a circuit's three hops are three CREATEs to this same relay, sent one after another: hop
//!   `k+1` is sent one round trip after hop `k` was answered. Only hop 1 arrives on a client
//!   channel (the rate limiter sees it; the statistics do not, as in C tor); hops 2 and 3
//!   come from relays.
//! - **Clients** launch circuits as a Poisson process. A share of launches are *exploratory*
//!   (preemptive and timeout-measurement circuits): not retried when they fail. The others
//!   are wanted: a failed attempt (DESTROY, or no answer within the attempt timeout) is
//!   retried after `retry_delay`, until the circuit is built or `give_up` has passed since it
//!   was wanted. Retries are the seed's vicious cycle: failures add load.
//! - **Users** are ntor-capable (0.2.4) or TAP-only (0.2.3) depending on the scenario; **bots**
//!   are always TAP-only (the 2013 botnet ran 0.2.3). Each user has its own address with one
//!   connection; bots sit `bots_per_address` to an address, each with its own connection.
//! - **The relay** has `cores` CPU workers. As in C tor, up to `cores × 64` requests are
//!   handed to the worker pool (served FIFO) and the rest wait in the [`OnionQueue`], which
//!   refuses, culls and schedules them. A handshake occupies a core for its measured cost;
//!   refusals (queue, cull, rate limiter) cost nothing. Costs are learned by the queue from
//!   the simulated worker timings, as C tor learns them.
//! - Circuits whose attempt timed out are cancelled lazily: their queued requests are
//!   skipped at no cost when they reach the head (C tor removes them at once).
//!
//! Everything is driven by one seeded ChaCha RNG and integer microseconds, so a run is a
//! pure function of its [`Config`].

// Simulation bookkeeping: ids index the vectors they were allocated from, and the float
// conversions below are of small, non-negative quantities (times, rates, counts).
#![allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    dead_code
)]

use core::cmp::Reverse;
use core::net::{IpAddr, Ipv4Addr};
use core::time::Duration;
use std::collections::{BinaryHeap, VecDeque};

use onionskin::HandshakeType;
use onionskin::relay::{
    ConsensusParams, CreateDecision, CreateRateLimitConfig, CreateRateLimiter, HandshakeStats,
    Heartbeat, OnionQueue, OverloadConfig, RelayProfile, Scheduling, Timestamp,
};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Relay-side CPU time of one handshake.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Costs {
    /// One ntor handshake (server side).
    pub(crate) ntor: Duration,
    /// One TAP handshake (server side).
    pub(crate) tap: Duration,
}

/// What differs between the scenarios of the surge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scenario {
    /// Short label for tables and the plot.
    pub(crate) name: &'static str,
    /// Handshake the (human) users speak: ntor once they run 0.2.4, else TAP.
    pub(crate) user_handshake: HandshakeType,
    /// Ntor first (C tor since 0.2.4.17-rc) or oldest first.
    pub(crate) scheduling: Scheduling,
    /// Per-address create rate limiting (C tor's DoS mitigation) on client channels, with
    /// the parameters the live consensus sets today (`ConsensusParams::LIVE_2026_07`:
    /// rate 2/s, burst 60, at least 2 connections).
    pub(crate) rate_limit: bool,
    /// Multiplier on the exploratory share of circuit launches (1 = as usual).
    pub(crate) exploratory_factor: f64,
    /// Bots sharing one address (each holding its own connection from it). Only the rate
    /// limiter looks at addresses.
    pub(crate) bots_per_address: u32,
}

/// A simulation run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Config {
    /// The scenario.
    pub(crate) scenario: Scenario,
    /// CPU workers at the relay.
    pub(crate) cores: u32,
    /// Handshake costs.
    pub(crate) costs: Costs,
    /// Human users (ntor-capable or not, per scenario).
    pub(crate) users: u32,
    /// Bots (TAP-only).
    pub(crate) bots: u32,
    /// Mean time between circuit launches of one client, before exploratory scaling.
    pub(crate) launch_interval: Duration,
    /// Share of launches that are exploratory, before `exploratory_factor`.
    pub(crate) exploratory_share: f64,
    /// Bots launch this many times as often as users (the 2013 bots reached their command
    /// servers over an onion service, and retried; see the capacity model's retry factor).
    pub(crate) bot_launch_factor: f64,
    /// Hops per circuit.
    pub(crate) hops: u8,
    /// Client ↔ relay round trip.
    pub(crate) rtt: Duration,
    /// Pause before a failed wanted circuit is retried.
    pub(crate) retry_delay: Duration,
    /// An attempt not finished after this long is abandoned (circuit build timeout).
    pub(crate) attempt_timeout: Duration,
    /// A wanted circuit not built after this long is given up.
    pub(crate) give_up: Duration,
    /// Requests handed to the worker pool per core before the onion queue is used (C tor's
    /// `max_pending_tasks_per_cpu`).
    pub(crate) max_pending_per_core: u32,
    /// Simulated time before measuring.
    pub(crate) warmup: Duration,
    /// Simulated time measured.
    pub(crate) measure: Duration,
    /// RNG seed.
    pub(crate) seed: u64,
}

impl Config {
    /// Defaults for everything but the population and costs.
    pub(crate) fn new(scenario: Scenario, costs: Costs, users: u32, bots: u32) -> Self {
        Self {
            scenario,
            cores: 2,
            costs,
            users,
            bots,
            launch_interval: Duration::from_secs(30),
            exploratory_share: 0.5,
            bot_launch_factor: 1.0,
            hops: 3,
            rtt: Duration::from_millis(100),
            retry_delay: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(10),
            give_up: Duration::from_secs(30),
            max_pending_per_core: 64,
            warmup: Duration::from_secs(30),
            measure: Duration::from_secs(30),
            seed: 1,
        }
    }

    /// The mean time between launches of one client under this scenario.
    fn effective_interval_us(&self) -> f64 {
        let s = self.exploratory_share.clamp(0.0, 1.0);
        let rate_factor = (1.0 - s) + s * self.scenario.exploratory_factor.max(0.0);
        micros(self.launch_interval) / rate_factor.max(1e-9)
    }

    fn exploratory_probability(&self) -> f64 {
        let s = self.exploratory_share.clamp(0.0, 1.0);
        let e = s * self.scenario.exploratory_factor.max(0.0);
        e / ((1.0 - s) + e).max(1e-12)
    }
}

/// Attempt counts of one class of clients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Attempts {
    /// Attempts that built the circuit.
    pub(crate) ok: u64,
    /// Attempts that failed (DESTROY or timeout).
    pub(crate) failed: u64,
    /// Of the failed, those that timed out rather than being answered with DESTROY.
    pub(crate) timed_out: u64,
}

impl Attempts {
    /// Share of finished attempts that succeeded (1 when there were none).
    pub(crate) fn success(&self) -> f64 {
        let n = self.ok + self.failed;
        if n == 0 {
            1.0
        } else {
            self.ok as f64 / n as f64
        }
    }
}

/// Queue delays of served requests of one family, in microseconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Delays(Vec<u64>);

impl Delays {
    /// Number of samples.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
    /// Mean delay in milliseconds (0 without samples).
    pub(crate) fn mean_ms(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.iter().sum::<u64>() as f64 / self.0.len() as f64 / 1000.0
        }
    }
    /// The `p`-quantile in milliseconds (0 without samples).
    pub(crate) fn quantile_ms(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut v = self.0.clone();
        v.sort_unstable();
        let i = ((v.len() - 1) as f64 * p.clamp(0.0, 1.0)).round() as usize;
        v[i] as f64 / 1000.0
    }
}

/// What one run measured (over the measurement window).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Report {
    /// CREATEs arriving at the relay per second (all hops, retries included).
    pub(crate) creates_per_sec: f64,
    /// Circuits launched per second (first attempts only).
    pub(crate) launches_per_sec: f64,
    /// Share of arriving CREATEs answered with DESTROY (refused, culled or rate-limited).
    pub(crate) dropped_share: f64,
    /// CREATEs refused by the rate limiter.
    pub(crate) rate_limited: u64,
    /// Of those, CREATEs from users.
    pub(crate) users_rate_limited: u64,
    /// Addresses the rate limiter marked (over the whole run).
    pub(crate) marked_addresses: u64,
    /// CREATEs culled for waiting too long.
    pub(crate) culled: u64,
    /// Attempts by users.
    pub(crate) users: Attempts,
    /// Attempts by bots.
    pub(crate) bots: Attempts,
    /// Share of users' wanted circuits built before they gave up.
    pub(crate) user_built_share: f64,
    /// Queue delay (arrival to start of processing) of served ntor requests.
    pub(crate) ntor_delay: Delays,
    /// Queue delay of served TAP requests.
    pub(crate) tap_delay: Delays,
    /// Busy core time / available core time.
    pub(crate) cpu_utilisation: f64,
    /// The relay's heartbeat over the window (relay-channel creates only, as C tor counts).
    pub(crate) heartbeat: Heartbeat,
}

impl Report {
    /// Share of all finished attempts that succeeded.
    pub(crate) fn circuit_success(&self) -> f64 {
        Attempts {
            ok: self.users.ok + self.bots.ok,
            failed: self.users.failed + self.bots.failed,
            timed_out: self.users.timed_out + self.bots.timed_out,
        }
        .success()
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// One circuit-building attempt. Slots are reused; `epoch` tells stale events apart.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    epoch: u32,
    alive: bool,
    client: u32,
    hop: u8,
    exploratory: bool,
    wanted_at: u64,
}

/// A CREATE inside the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Job {
    att: u32,
    epoch: u32,
    htype: HandshakeType,
    arrived: u64,
    dispatched: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    /// The next circuit launch of a client class (a merged Poisson process).
    Launch { bot: bool },
    /// A CREATE for the attempt's current hop reaches the relay.
    Arrive { att: u32, epoch: u32 },
    /// A core finished a job.
    Done { job: Job },
    /// The client hears that its attempt failed.
    Failed { att: u32, epoch: u32 },
    /// The client's circuit is built.
    Built { att: u32, epoch: u32 },
    /// The attempt's build timeout fires.
    Timeout { att: u32, epoch: u32 },
    /// A new attempt for a wanted circuit.
    Retry { client: u32, wanted_at: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Event {
    at: u64,
    seq: u64,
    ev: Ev,
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

struct Sim<'c> {
    cfg: &'c Config,
    rng: ChaCha8Rng,
    now: u64,
    seq: u64,
    events: BinaryHeap<Reverse<Event>>,
    timeouts: VecDeque<Event>,
    attempts: Vec<Attempt>,
    free: Vec<u32>,
    // Relay.
    queue: OnionQueue<Job>,
    pool: VecDeque<Job>,
    pending: u32,
    max_pending: u32,
    idle_cores: u32,
    limiter: Option<CreateRateLimiter>,
    stats: HandshakeStats,
    culled_buf: Vec<Job>,
    // Measurement.
    win_start: u64,
    win_end: u64,
    arrivals: u64,
    launches: u64,
    destroyed: u64,
    rate_limited: u64,
    users_rate_limited: u64,
    culled: u64,
    users: Attempts,
    bots: Attempts,
    user_wanted_built: u64,
    user_wanted_given_up: u64,
    ntor_delay: Vec<u64>,
    tap_delay: Vec<u64>,
    busy_us: u64,
}

impl Sim<'_> {
    fn in_window(&self) -> bool {
        self.now >= self.win_start && self.now < self.win_end
    }

    fn push(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.events.push(Reverse(Event {
            at,
            seq: self.seq,
            ev,
        }));
    }

    fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn exponential(&mut self, mean_us: f64) -> u64 {
        let u = self.uniform();
        (-mean_us * (1.0 - u).ln()).round().max(1.0) as u64
    }

    /// One network crossing: half the round trip, with uniform ±50 % jitter (without jitter,
    /// runs of fast handshakes would send their next hops in lockstep).
    fn one_way(&mut self) -> u64 {
        let half = micros(self.cfg.rtt) / 2.0;
        (half * (0.5 + self.uniform())).round() as u64
    }

    fn is_bot(&self, client: u32) -> bool {
        client >= self.cfg.users
    }

    fn htype(&self, client: u32) -> HandshakeType {
        if self.is_bot(client) {
            HandshakeType::TAP
        } else {
            self.cfg.scenario.user_handshake
        }
    }

    fn cost(&self, htype: HandshakeType) -> u64 {
        if htype == HandshakeType::TAP {
            us(self.cfg.costs.tap)
        } else {
            us(self.cfg.costs.ntor)
        }
    }

    /// A client's address and how many connections it holds from there.
    fn address(&self, client: u32) -> (IpAddr, u32) {
        let users = self.cfg.users;
        if client < users {
            (IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + client)), 1)
        } else {
            let per = self.cfg.scenario.bots_per_address.max(1);
            let group = (client - users) / per;
            let first = group * per;
            let conns = per.min(self.cfg.bots - first);
            (IpAddr::V4(Ipv4Addr::from(0x6440_0000 + group)), conns)
        }
    }

    fn start_attempt(&mut self, client: u32, exploratory: bool, wanted_at: u64) {
        let a = Attempt {
            epoch: 0,
            alive: true,
            client,
            hop: 0,
            exploratory,
            wanted_at,
        };
        let id = if let Some(id) = self.free.pop() {
            let epoch = self.attempts[id as usize].epoch.wrapping_add(1);
            self.attempts[id as usize] = Attempt { epoch, ..a };
            id
        } else {
            self.attempts.push(a);
            (self.attempts.len() - 1) as u32
        };
        let epoch = self.attempts[id as usize].epoch;
        let now = self.now;
        let d = self.one_way();
        self.push(now + d, Ev::Arrive { att: id, epoch });
        // Every attempt has the same timeout, so timeouts fire in the order they were set: a
        // FIFO keeps them out of the heap.
        self.seq += 1;
        let at = now + us(self.cfg.attempt_timeout);
        self.timeouts.push_back(Event {
            at,
            seq: self.seq,
            ev: Ev::Timeout { att: id, epoch },
        });
    }

    fn live(&self, att: u32, epoch: u32) -> Option<Attempt> {
        let a = self.attempts[att as usize];
        (a.alive && a.epoch == epoch).then_some(a)
    }

    /// Ends an attempt, counts it, and retries a wanted circuit if there is time.
    fn finish_attempt(&mut self, att: u32, ok: bool) {
        let a = self.attempts[att as usize];
        self.attempts[att as usize].alive = false;
        self.free.push(att);
        let bot = self.is_bot(a.client);
        if self.in_window() {
            let class = if bot { &mut self.bots } else { &mut self.users };
            if ok {
                class.ok += 1;
            } else {
                class.failed += 1;
            }
        }
        if a.exploratory {
            return;
        }
        if ok {
            if !bot && self.in_window() {
                self.user_wanted_built += 1;
            }
            return;
        }
        let retry_at = self.now + us(self.cfg.retry_delay);
        if retry_at < a.wanted_at + us(self.cfg.give_up) {
            self.push(
                retry_at,
                Ev::Retry {
                    client: a.client,
                    wanted_at: a.wanted_at,
                },
            );
        } else if !bot && self.in_window() {
            self.user_wanted_given_up += 1;
        }
    }

    /// The relay answers a CREATE with DESTROY.
    fn destroy(&mut self, att: u32, epoch: u32) {
        if self.in_window() {
            self.destroyed += 1;
        }
        let at = self.now + self.one_way();
        self.push(at, Ev::Failed { att, epoch });
    }

    fn arrive(&mut self, att: u32, epoch: u32) {
        let Some(a) = self.live(att, epoch) else {
            return;
        };
        if self.in_window() {
            self.arrivals += 1;
        }
        let htype = self.htype(a.client);
        let from_client = a.hop == 0;
        if from_client {
            let (addr, conns) = self.address(a.client);
            if let Some(limiter) = self.limiter.as_mut() {
                let now = Timestamp::from_micros(self.now);
                if limiter.on_create(addr, now, conns, &mut self.rng) == CreateDecision::Refuse {
                    if self.now >= self.win_start && self.now < self.win_end {
                        self.rate_limited += 1;
                        if a.client < self.cfg.users {
                            self.users_rate_limited += 1;
                        }
                    }
                    self.destroy(att, epoch);
                    return;
                }
            }
        } else {
            let _ = self
                .stats
                .note_requested(htype, Timestamp::from_micros(self.now));
        }
        let job = Job {
            att,
            epoch,
            htype,
            arrived: self.now,
            dispatched: self.now,
        };
        if self.pending < self.max_pending {
            self.dispatch(job);
            self.run_cores();
            return;
        }
        let now = Timestamp::from_micros(self.now);
        let mut culled = core::mem::take(&mut self.culled_buf);
        match self.queue.enqueue(now, htype, job) {
            Ok(aged) => culled.extend(aged.map(|a| a.request)),
            Err(refused) => {
                if !from_client {
                    self.stats.note_dropped(htype);
                }
                self.destroy(refused.request.att, refused.request.epoch);
            }
        }
        for old in culled.drain(..) {
            if self.live(old.att, old.epoch).is_some() {
                if self.in_window() {
                    self.culled += 1;
                }
                self.destroy(old.att, old.epoch);
            }
        }
        self.culled_buf = culled;
    }

    fn dispatch(&mut self, mut job: Job) {
        let hop0 = self.attempts[job.att as usize].hop == 0;
        if !hop0 {
            self.stats.note_assigned(job.htype);
        }
        job.dispatched = self.now;
        self.pending += 1;
        self.pool.push_back(job);
    }

    /// Idle cores take jobs from the worker pool; cancelled ones are dropped for free.
    fn run_cores(&mut self) {
        while self.idle_cores > 0 {
            let Some(job) = self.pool.pop_front() else {
                return;
            };
            if self.live(job.att, job.epoch).is_none() {
                self.pending -= 1;
                self.refill();
                continue;
            }
            self.idle_cores -= 1;
            let cost = self.cost(job.htype);
            let (start, end) = (self.now, self.now + cost);
            let lo = start.max(self.win_start);
            let hi = end.min(self.win_end);
            self.busy_us += hi.saturating_sub(lo);
            if self.in_window() {
                let wait = self.now - job.arrived;
                if job.htype == HandshakeType::TAP {
                    self.tap_delay.push(wait);
                } else {
                    self.ntor_delay.push(wait);
                }
            }
            self.push(end, Ev::Done { job });
        }
    }

    /// Moves requests from the onion queue to the worker pool while there is room.
    fn refill(&mut self) {
        while self.pending < self.max_pending {
            let Some(d) = self.queue.next_request() else {
                return;
            };
            if self.live(d.request.att, d.request.epoch).is_some() {
                self.dispatch(d.request);
            }
        }
    }

    fn done(&mut self, job: Job) {
        self.idle_cores += 1;
        self.pending -= 1;
        let timing_wanted = self.queue.timing().should_time(job.htype, &mut self.rng);
        if timing_wanted {
            let internal = Duration::from_micros(self.cost(job.htype));
            let roundtrip = Duration::from_micros(self.now - job.dispatched);
            self.queue
                .timing_mut()
                .record(job.htype, internal, roundtrip);
        }
        if let Some(a) = self.live(job.att, job.epoch) {
            if a.hop + 1 < self.cfg.hops {
                self.attempts[job.att as usize].hop += 1;
                let d = self.one_way() + self.one_way();
                self.push(
                    self.now + d,
                    Ev::Arrive {
                        att: job.att,
                        epoch: job.epoch,
                    },
                );
            } else {
                let d = self.one_way();
                self.push(
                    self.now + d,
                    Ev::Built {
                        att: job.att,
                        epoch: job.epoch,
                    },
                );
            }
        }
        self.refill();
        self.run_cores();
    }

    fn launch(&mut self, bot: bool) {
        let (n, first) = if bot {
            (self.cfg.bots, self.cfg.users)
        } else {
            (self.cfg.users, 0)
        };
        if n == 0 {
            return;
        }
        let factor = if bot {
            self.cfg.bot_launch_factor.max(1e-9)
        } else {
            1.0
        };
        let mean = self.cfg.effective_interval_us() / f64::from(n) / factor;
        let next = self.now + self.exponential(mean);
        self.push(next, Ev::Launch { bot });
        let client = first + (self.rng.next_u64() % u64::from(n)) as u32;
        let exploratory = self.uniform() < self.cfg.exploratory_probability();
        if self.in_window() {
            self.launches += 1;
        }
        self.start_attempt(client, exploratory, self.now);
    }

    fn run(mut self) -> Report {
        let end = self.win_end;
        self.push(0, Ev::Launch { bot: false });
        self.push(0, Ev::Launch { bot: true });
        let mut window_open = false;
        loop {
            let from_heap = match (self.events.peek(), self.timeouts.front()) {
                (Some(Reverse(h)), Some(t)) => h < t,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let next = if from_heap {
                self.events.pop().map(|Reverse(e)| e)
            } else {
                self.timeouts.pop_front()
            };
            let Some(e) = next else { break };
            if e.at >= end {
                break;
            }
            self.now = e.at;
            if !window_open && self.now >= self.win_start {
                // The heartbeat covers the window only.
                window_open = true;
                let _ = self.stats.heartbeat();
            }
            match e.ev {
                Ev::Launch { bot } => self.launch(bot),
                Ev::Arrive { att, epoch } => self.arrive(att, epoch),
                Ev::Done { job } => self.done(job),
                Ev::Failed { att, epoch } => {
                    if self.live(att, epoch).is_some() {
                        self.finish_attempt(att, false);
                    }
                }
                Ev::Built { att, epoch } => {
                    if self.live(att, epoch).is_some() {
                        self.finish_attempt(att, true);
                    }
                }
                Ev::Timeout { att, epoch } => {
                    if let Some(a) = self.live(att, epoch) {
                        if self.in_window() {
                            if self.is_bot(a.client) {
                                self.bots.timed_out += 1;
                            } else {
                                self.users.timed_out += 1;
                            }
                        }
                        self.finish_attempt(att, false);
                    }
                }
                Ev::Retry { client, wanted_at } => self.start_attempt(client, false, wanted_at),
            }
        }
        let secs = (self.win_end - self.win_start) as f64 / 1e6;
        let given = self.user_wanted_built + self.user_wanted_given_up;
        Report {
            creates_per_sec: self.arrivals as f64 / secs,
            launches_per_sec: self.launches as f64 / secs,
            dropped_share: if self.arrivals == 0 {
                0.0
            } else {
                self.destroyed as f64 / self.arrivals as f64
            },
            rate_limited: self.rate_limited,
            users_rate_limited: self.users_rate_limited,
            marked_addresses: self
                .limiter
                .as_ref()
                .map_or(0, |l| l.counters().marked_addresses),
            culled: self.culled,
            users: self.users,
            bots: self.bots,
            user_built_share: if given == 0 {
                1.0
            } else {
                self.user_wanted_built as f64 / given as f64
            },
            ntor_delay: Delays(self.ntor_delay),
            tap_delay: Delays(self.tap_delay),
            cpu_utilisation: self.busy_us as f64
                / (f64::from(self.cfg.cores.max(1)) * (self.win_end - self.win_start) as f64),
            heartbeat: self.stats.current(),
        }
    }
}

/// Runs one simulation.
pub(crate) fn run(cfg: &Config) -> Report {
    let cores = cfg.cores.max(1);
    // C tor 0.2.4 as in 2013, with the consensus parameters at their code defaults.
    let queue_cfg = {
        let mut q =
            RelayProfile::Tor0_2_4.onion_queue_config(&ConsensusParams::CODE_DEFAULTS, cores);
        q.scheduling = cfg.scenario.scheduling;
        q
    };
    let limiter = cfg.scenario.rate_limit.then(|| {
        let config = ConsensusParams::LIVE_2026_07
            .create_rate_limit()
            .unwrap_or(CreateRateLimitConfig::DEFAULT);
        CreateRateLimiter::new(config, 1 << 20)
    });
    let win_start = us(cfg.warmup);
    let sim = Sim {
        cfg,
        rng: ChaCha8Rng::seed_from_u64(cfg.seed),
        now: 0,
        seq: 0,
        events: BinaryHeap::new(),
        timeouts: VecDeque::new(),
        attempts: Vec::new(),
        free: Vec::new(),
        queue: OnionQueue::new(queue_cfg),
        pool: VecDeque::new(),
        pending: 0,
        max_pending: cores * cfg.max_pending_per_core.max(1),
        idle_cores: cores,
        limiter,
        stats: HandshakeStats::for_profile(RelayProfile::Tor0_2_4, OverloadConfig::DEFAULT),
        culled_buf: Vec::new(),
        win_start,
        win_end: win_start + us(cfg.measure),
        arrivals: 0,
        launches: 0,
        destroyed: 0,
        rate_limited: 0,
        users_rate_limited: 0,
        culled: 0,
        users: Attempts::default(),
        bots: Attempts::default(),
        user_wanted_built: 0,
        user_wanted_given_up: 0,
        ntor_delay: Vec::new(),
        tap_delay: Vec::new(),
        busy_us: 0,
    };
    sim.run()
}
