//! Per-address circuit-creation rate limiting (C tor's dos.c, "circuit creation" mitigation).

use core::time::Duration;
use rand_core::RngCore;

use super::{DestroyReason, Timestamp};

#[cfg(feature = "alloc")]
use alloc::collections::{BTreeMap, BTreeSet};
#[cfg(feature = "alloc")]
use core::net::IpAddr;

/// Parameters of the circuit-creation DoS mitigation, with C tor's defaults (torrc options
/// `DoSCircuitCreation*`, which fall back to consensus parameters of the same names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CreateRateLimitConfig {
    /// `DoSCircuitCreationRate`: tokens added to an address's bucket per second. Default **3**.
    pub rate_per_sec: u32,
    /// `DoSCircuitCreationBurst`: bucket size. Default **90**.
    pub burst: u32,
    /// `DoSCircuitCreationMinConnections`: an address is only marked while it has at least
    /// this many concurrent connections. Default **3**.
    pub min_concurrent_connections: u32,
    /// `DoSCircuitCreationDefenseTimePeriod`: how long a marked address stays marked, before
    /// the random part (uniform whole seconds in `[1, period/2)`) is added. Default **3600 s**.
    pub defense_period: Duration,
    /// `DoSCircuitCreationDefenseType`: `true` for `REFUSE_CELL` (2, the default: answer
    /// creates from a marked address with DESTROY `RESOURCELIMIT`), `false` for `NONE` (1:
    /// detect and count only).
    pub refuse_cells: bool,
}

impl CreateRateLimitConfig {
    /// C tor's defaults.
    pub const DEFAULT: Self = Self {
        rate_per_sec: 3,
        burst: 90,
        min_concurrent_connections: 3,
        defense_period: Duration::from_secs(3600),
        refuse_cells: true,
    };
}

impl Default for CreateRateLimitConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What to do with a create cell from a client address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CreateDecision {
    /// Go on processing it.
    Allow,
    /// The address is marked: answer with DESTROY `RESOURCELIMIT` and do no crypto.
    Refuse,
}

impl CreateDecision {
    /// The DESTROY reason to send, if the create is refused.
    #[must_use]
    pub const fn destroy_reason(self) -> Option<DestroyReason> {
        match self {
            Self::Allow => None,
            Self::Refuse => Some(DestroyReason::RESOURCELIMIT),
        }
    }
}

/// Uniform in `[0, n)`, unbiased (rejection sampling); `n` must be non-zero.
fn uniform_below<R: RngCore + ?Sized>(rng: &mut R, n: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX - n + 1) % n;
    loop {
        let v = rng.next_u64();
        if v <= zone {
            return v % n;
        }
    }
}

/// The circuit-creation state of one client address: a token bucket and a "marked until"
/// time. This is C tor's per-address logic with no table around it, for callers that keep
/// their own (no allocation); [`CreateRateLimiter`] wraps it in a bounded table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AddressState {
    bucket: u32,
    /// Whole seconds of the last refill; `None` before the first create.
    last_refill_secs: Option<u64>,
    marked_until: Option<Timestamp>,
}

impl AddressState {
    /// An address never seen before (its bucket fills to the burst on first use).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            bucket: 0,
            last_refill_secs: None,
            marked_until: None,
        }
    }

    /// Tokens left in the bucket (as of the last create).
    #[must_use]
    pub const fn tokens(&self) -> u32 {
        self.bucket
    }

    /// Until when the address is marked, if it was ever marked.
    #[must_use]
    pub const fn marked_until(&self) -> Option<Timestamp> {
        self.marked_until
    }

    /// Whether the address is marked at `now` (the mark's last instant included, as in C tor).
    #[must_use]
    pub fn is_marked(&self, now: Timestamp) -> bool {
        self.marked_until.is_some_and(|t| t >= now)
    }

    /// C tor's `cc_stats_refill_bucket`: whole seconds since the last refill times the
    /// rate, capped at the burst. The first use, a clock that went backwards, or a gap too
    /// large to multiply fills the bucket.
    fn refill(&mut self, cfg: &CreateRateLimitConfig, now: Timestamp) {
        let now_s = now.as_secs();
        let tokens = match self.last_refill_secs {
            Some(last) if last == now_s => return,
            // C tor refills fully if the gap does not fit 32 bits (a clock jump).
            Some(last) if now_s > last && u32::try_from(now_s - last).is_ok() => {
                (now_s - last) * u64::from(cfg.rate_per_sec)
            }
            _ => u64::from(cfg.burst),
        };
        let filled = (u64::from(self.bucket) + tokens).min(u64::from(cfg.burst));
        self.bucket = u32::try_from(filled).unwrap_or(cfg.burst);
        self.last_refill_secs = Some(now_s);
    }

    /// A create cell arrived at `now` from this address, which has `concurrent_connections`
    /// open connections. In C tor's order: refill the bucket, take a token if there is one,
    /// mark the address if the bucket is empty and it has at least
    /// [`min_concurrent_connections`](CreateRateLimitConfig::min_concurrent_connections)
    /// (re-marking extends the mark, to `now + defense_period + [1, defense_period/2)` s
    /// drawn from `rng`), then refuse the cell if the address is marked and the defence is
    /// `REFUSE_CELL`.
    pub fn on_create<R: RngCore + ?Sized>(
        &mut self,
        cfg: &CreateRateLimitConfig,
        now: Timestamp,
        concurrent_connections: u32,
        rng: &mut R,
    ) -> CreateDecision {
        self.refill(cfg, now);
        self.bucket = self.bucket.saturating_sub(1);
        if self.bucket == 0 && concurrent_connections >= cfg.min_concurrent_connections {
            // crypto_rand_int_range(1, period/2): whole seconds in [1, period/2).
            let half = cfg.defense_period.as_secs() / 2;
            let extra = 1 + uniform_below(rng, half.max(2) - 1);
            let until = now.saturating_add(cfg.defense_period);
            self.marked_until = Some(Timestamp::from_micros(
                until
                    .as_micros()
                    .saturating_add(extra.saturating_mul(1_000_000)),
            ));
        }
        if cfg.refuse_cells && self.is_marked(now) {
            CreateDecision::Refuse
        } else {
            CreateDecision::Allow
        }
    }
}

/// Counters of a [`CreateRateLimiter`] (C tor reports the first two in its heartbeat's DoS
/// line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimiterCounters {
    /// Addresses marked for the first time while tracked (`cc_num_marked_addrs`).
    pub marked_addresses: u64,
    /// Create cells refused (`cc_num_rejected_cells`).
    pub rejected_cells: u64,
    /// Entries evicted to make room for a new address.
    pub evictions: u64,
}

/// An entry of the table.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug)]
struct Tracked {
    state: AddressState,
    last_use: u64,
}

/// C tor's circuit-creation rate limiter over a table of at most `capacity` client
/// addresses.
///
/// Call [`on_create`](Self::on_create) for every CREATE/CREATE2/CREATE_FAST received on a
/// channel *from a client* (C tor never limits relay-to-relay channels), before doing any
/// crypto; refuse the cell if it says so.
///
/// # Bounded memory
///
/// The table never holds more than `capacity` addresses: three ordered maps (by address, by
/// last use, by end of mark), about 150 bytes per address, allocated as addresses arrive.
/// When a new address arrives at a full table, one entry is evicted, chosen in this order:
///
/// 1. an entry whose mark has expired (earliest expiry first);
/// 2. the least recently used entry that was never marked;
/// 3. the marked entry whose defence ends soonest.
///
/// Why this order: forgetting an unmarked address costs little, because it comes back with a
/// full bucket, which is exactly what an address idle for `burst / rate` (30 s) would have
/// anyway, and an attacker rotating through fresh addresses gets a full bucket per address
/// whether or not we remember. Marked entries are the defence itself, so they go last; a
/// flood of new addresses can only push them out once the table holds nothing else, so
/// `capacity` is the number of simultaneously marked addresses the relay can remember. B-tree
/// maps (rather than hash maps) keep every operation `O(log capacity)` whatever addresses an
/// attacker picks, with no hash to flood and no randomness needed for the table.
///
/// ```
/// use core::net::{IpAddr, Ipv4Addr};
/// use onionskin::relay::{CreateDecision, CreateRateLimitConfig, CreateRateLimiter, Timestamp};
/// # use rand_chacha::rand_core::SeedableRng;
/// # let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
///
/// let mut limiter = CreateRateLimiter::new(CreateRateLimitConfig::DEFAULT, 100_000);
/// let addr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
/// let now = Timestamp::from_secs(1_000);
/// // An address with 3 connections sends 90 creates in one second: the 90th empties its
/// // bucket, the address is marked, and its creates are refused for about an hour.
/// let refused = (0..90)
///     .filter(|_| limiter.on_create(addr, now, 3, &mut rng) == CreateDecision::Refuse)
///     .count();
/// assert_eq!(refused, 1);
/// assert!(limiter.is_marked(addr, Timestamp::from_secs(4_600)));
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone, Debug)]
pub struct CreateRateLimiter {
    config: CreateRateLimitConfig,
    capacity: usize,
    entries: BTreeMap<IpAddr, Tracked>,
    /// Never-marked entries by last use.
    by_use: BTreeSet<(u64, IpAddr)>,
    /// Marked (possibly expired) entries by end of mark.
    by_mark: BTreeSet<(Timestamp, IpAddr)>,
    tick: u64,
    counters: RateLimiterCounters,
}

#[cfg(feature = "alloc")]
impl CreateRateLimiter {
    /// An empty limiter that will track at most `capacity` addresses (with capacity 0 it
    /// tracks none and allows everything).
    #[must_use]
    pub const fn new(config: CreateRateLimitConfig, capacity: usize) -> Self {
        Self {
            config,
            capacity,
            entries: BTreeMap::new(),
            by_use: BTreeSet::new(),
            by_mark: BTreeSet::new(),
            tick: 0,
            counters: RateLimiterCounters {
                marked_addresses: 0,
                rejected_cells: 0,
                evictions: 0,
            },
        }
    }

    /// The parameters in force.
    #[must_use]
    pub const fn config(&self) -> &CreateRateLimitConfig {
        &self.config
    }

    /// Replaces the parameters (e.g. after a new consensus); tracked state stays.
    pub fn set_config(&mut self, config: CreateRateLimitConfig) {
        self.config = config;
    }

    /// The most addresses tracked at once.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// Addresses tracked now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no address is tracked.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The counters so far.
    #[must_use]
    pub const fn counters(&self) -> RateLimiterCounters {
        self.counters
    }

    /// The state of `addr`, if tracked.
    #[must_use]
    pub fn state(&self, addr: IpAddr) -> Option<&AddressState> {
        self.entries.get(&addr).map(|t| &t.state)
    }

    /// Whether `addr` is marked at `now` (an untracked address is not).
    #[must_use]
    pub fn is_marked(&self, addr: IpAddr, now: Timestamp) -> bool {
        self.state(addr).is_some_and(|s| s.is_marked(now))
    }

    fn unindex(&mut self, addr: IpAddr, t: &Tracked) {
        match t.state.marked_until() {
            Some(until) => self.by_mark.remove(&(until, addr)),
            None => self.by_use.remove(&(t.last_use, addr)),
        };
    }

    fn index(&mut self, addr: IpAddr, t: &Tracked) {
        match t.state.marked_until() {
            Some(until) => self.by_mark.insert((until, addr)),
            None => self.by_use.insert((t.last_use, addr)),
        };
    }

    /// Evicts one entry, in the order documented on the type.
    fn evict(&mut self, now: Timestamp) {
        let expired = self
            .by_mark
            .first()
            .copied()
            .filter(|&(until, _)| until < now);
        let victim = expired
            .or_else(|| self.by_use.first().map(|&(_, a)| (Timestamp::ZERO, a)))
            .or_else(|| self.by_mark.first().copied());
        if let Some((_, addr)) = victim
            && let Some(t) = self.entries.remove(&addr)
        {
            self.unindex(addr, &t);
            self.counters.evictions = self.counters.evictions.saturating_add(1);
        }
    }

    /// A create cell arrived at `now` on a client channel from `addr`, which has
    /// `concurrent_connections` open connections to this relay. Updates the address's bucket
    /// and mark ([`AddressState::on_create`]) and says whether to refuse the cell.
    pub fn on_create<R: RngCore + ?Sized>(
        &mut self,
        addr: IpAddr,
        now: Timestamp,
        concurrent_connections: u32,
        rng: &mut R,
    ) -> CreateDecision {
        if self.capacity == 0 {
            return CreateDecision::Allow;
        }
        let mut tracked = match self.entries.get(&addr).copied() {
            Some(t) => {
                self.unindex(addr, &t);
                t
            }
            None => {
                if self.entries.len() >= self.capacity {
                    self.evict(now);
                }
                Tracked {
                    state: AddressState::new(),
                    last_use: 0,
                }
            }
        };
        let was_ever_marked = tracked.state.marked_until().is_some();
        let decision = tracked
            .state
            .on_create(&self.config, now, concurrent_connections, rng);
        if !was_ever_marked && tracked.state.marked_until().is_some() {
            self.counters.marked_addresses = self.counters.marked_addresses.saturating_add(1);
        }
        if decision == CreateDecision::Refuse {
            self.counters.rejected_cells = self.counters.rejected_cells.saturating_add(1);
        }
        tracked.last_use = self.tick;
        self.tick = self.tick.wrapping_add(1);
        self.index(addr, &tracked);
        self.entries.insert(addr, tracked);
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::impls;

    /// Deterministic counter RNG.
    struct Counter(u64);
    impl RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            u32::try_from(self.next_u64() >> 32).unwrap()
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            impls::fill_bytes_via_next(self, dest);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    const CFG: CreateRateLimitConfig = CreateRateLimitConfig::DEFAULT;

    fn secs(s: u64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    #[test]
    fn first_use_fills_to_burst() {
        let mut a = AddressState::new();
        let mut rng = Counter(1);
        assert_eq!(
            a.on_create(&CFG, secs(100), 1, &mut rng),
            CreateDecision::Allow
        );
        assert_eq!(a.tokens(), 89);
    }

    #[test]
    fn refill_is_whole_seconds_times_rate_capped_at_burst() {
        let mut a = AddressState::new();
        let mut rng = Counter(1);
        for _ in 0..90 {
            a.on_create(&CFG, secs(100), 1, &mut rng);
        }
        assert_eq!(a.tokens(), 0);
        // Same second: nothing added; the bucket stays empty.
        a.on_create(&CFG, Timestamp::from_micros(100_999_999), 1, &mut rng);
        assert_eq!(a.tokens(), 0);
        // 1 s later: +3, minus this create.
        a.on_create(&CFG, secs(101), 1, &mut rng);
        assert_eq!(a.tokens(), 2);
        // 10 s later: +30.
        a.on_create(&CFG, secs(111), 1, &mut rng);
        assert_eq!(a.tokens(), 31);
        // A long pause caps at the burst.
        a.on_create(&CFG, secs(10_000), 1, &mut rng);
        assert_eq!(a.tokens(), 89);
        // The clock going backwards fills the bucket (C tor: avoid punishing a valid client).
        for _ in 0..50 {
            a.on_create(&CFG, secs(10_000), 1, &mut rng);
        }
        a.on_create(&CFG, secs(5), 1, &mut rng);
        assert_eq!(a.tokens(), 89);
    }

    #[test]
    fn marks_only_with_enough_connections() {
        let mut rng = Counter(7);
        let mut a = AddressState::new();
        for _ in 0..200 {
            assert_eq!(
                a.on_create(&CFG, secs(100), 2, &mut rng),
                CreateDecision::Allow
            );
        }
        assert_eq!(a.marked_until(), None, "2 connections: never marked");
        let mut b = AddressState::new();
        for _ in 0..89 {
            assert_eq!(
                b.on_create(&CFG, secs(100), 3, &mut rng),
                CreateDecision::Allow
            );
        }
        assert!(!b.is_marked(secs(100)));
        // The 90th create empties the bucket: marked, and this very cell is refused.
        assert_eq!(
            b.on_create(&CFG, secs(100), 3, &mut rng),
            CreateDecision::Refuse
        );
        assert_eq!(
            CreateDecision::Refuse.destroy_reason(),
            Some(DestroyReason::RESOURCELIMIT)
        );
        let until = b.marked_until().expect("marked");
        // now + 3600 s + [1, 1800) s.
        assert!(until >= secs(100 + 3600 + 1) && until < secs(100 + 3600 + 1800));
        assert!(b.is_marked(until), "inclusive end");
        assert!(!b.is_marked(Timestamp::from_micros(until.as_micros() + 1)));
    }

    #[test]
    fn refused_while_marked_even_with_tokens_and_marks_extend() {
        let mut rng = Counter(3);
        let mut a = AddressState::new();
        for _ in 0..90 {
            a.on_create(&CFG, secs(0), 3, &mut rng);
        }
        let first = a.marked_until().expect("marked");
        // Much later, with a full bucket again, still marked: refused, not re-marked.
        assert_eq!(
            a.on_create(&CFG, secs(1000), 3, &mut rng),
            CreateDecision::Refuse
        );
        assert_eq!(a.marked_until(), Some(first));
        // Keep hammering: the bucket empties and the mark is extended.
        for _ in 0..100 {
            a.on_create(&CFG, secs(1000), 3, &mut rng);
        }
        assert!(a.marked_until().expect("marked") > first);
        // After the mark ends and the bucket refills, allowed again.
        let end = a.marked_until().expect("marked");
        let later = Timestamp::from_secs(end.as_secs() + 60);
        assert_eq!(a.on_create(&CFG, later, 3, &mut rng), CreateDecision::Allow);
    }

    #[test]
    fn defense_none_detects_but_allows() {
        let mut cfg = CFG;
        cfg.refuse_cells = false;
        let mut rng = Counter(3);
        let mut a = AddressState::new();
        for _ in 0..200 {
            assert_eq!(
                a.on_create(&cfg, secs(0), 3, &mut rng),
                CreateDecision::Allow
            );
        }
        assert!(a.is_marked(secs(0)));
    }

    #[test]
    fn random_part_is_within_range_and_varies() {
        use std::collections::BTreeSet;
        let mut rng = Counter(11);
        let mut seen = BTreeSet::new();
        for _ in 0..200 {
            let mut a = AddressState::new();
            for _ in 0..90 {
                a.on_create(&CFG, secs(0), 3, &mut rng);
            }
            let extra = a.marked_until().expect("marked").as_secs() - 3600;
            assert!((1..1800).contains(&extra), "{extra}");
            seen.insert(extra);
        }
        assert!(seen.len() > 100, "uniform draws should rarely collide");
        // A tiny period still works (random part exactly 1 s).
        let mut cfg = CFG;
        cfg.defense_period = Duration::from_secs(1);
        let mut a = AddressState::new();
        for _ in 0..90 {
            a.on_create(&cfg, secs(0), 3, &mut rng);
        }
        assert_eq!(a.marked_until(), Some(secs(2)));
    }

    #[test]
    fn uniform_below_covers_range() {
        let mut rng = Counter(5);
        let mut hit = [false; 7];
        for _ in 0..1000 {
            hit[usize::try_from(uniform_below(&mut rng, 7)).unwrap()] = true;
        }
        assert!(hit.iter().all(|&h| h));
        assert_eq!(uniform_below(&mut rng, 1), 0);
        let _ = uniform_below(&mut rng, u64::MAX);
    }

    #[cfg(feature = "alloc")]
    mod table {
        use super::*;
        use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

        fn v4(i: u32) -> IpAddr {
            IpAddr::V4(Ipv4Addr::from(i))
        }

        /// Drains `addr`'s bucket with 3 connections so it is marked.
        fn mark(l: &mut CreateRateLimiter, addr: IpAddr, now: Timestamp, rng: &mut Counter) {
            for _ in 0..90 {
                l.on_create(addr, now, 3, rng);
            }
            assert!(l.is_marked(addr, now));
        }

        #[test]
        fn tracks_and_refuses_per_address() {
            let mut rng = Counter(1);
            let mut l = CreateRateLimiter::new(CFG, 16);
            let bad = IpAddr::V6(Ipv6Addr::LOCALHOST);
            mark(&mut l, bad, secs(10), &mut rng);
            assert_eq!(
                l.on_create(bad, secs(11), 3, &mut rng),
                CreateDecision::Refuse
            );
            assert_eq!(
                l.on_create(v4(1), secs(11), 3, &mut rng),
                CreateDecision::Allow
            );
            let c = l.counters();
            assert_eq!(
                (c.marked_addresses, c.rejected_cells, c.evictions),
                (1, 2, 0)
            );
            assert_eq!(l.len(), 2);
            assert_eq!(l.state(v4(1)).map(AddressState::tokens), Some(89));
        }

        #[test]
        fn never_exceeds_capacity_under_a_flood_of_addresses() {
            let mut rng = Counter(2);
            let mut l = CreateRateLimiter::new(CFG, 100);
            for i in 0..100_000 {
                l.on_create(v4(i), secs(0), 1, &mut rng);
                assert!(l.len() <= 100);
            }
            assert_eq!(l.len(), 100);
            assert_eq!(l.counters().evictions, 99_900);
            // The most recent addresses are the ones kept.
            assert!(l.state(v4(99_999)).is_some());
            assert!(l.state(v4(0)).is_none());
        }

        #[test]
        fn marked_entries_survive_a_flood() {
            let mut rng = Counter(3);
            let mut l = CreateRateLimiter::new(CFG, 10);
            let bad = v4(0xdead_beef);
            mark(&mut l, bad, secs(0), &mut rng);
            for i in 0..10_000 {
                l.on_create(v4(i), secs(1), 1, &mut rng);
            }
            assert!(
                l.is_marked(bad, secs(2)),
                "a flood of fresh addresses cannot unmark"
            );
            assert_eq!(
                l.on_create(bad, secs(2), 3, &mut rng),
                CreateDecision::Refuse
            );
        }

        #[test]
        fn eviction_order() {
            let mut rng = Counter(4);
            let mut l = CreateRateLimiter::new(CFG, 3);
            mark(&mut l, v4(1), secs(0), &mut rng); // marked, ends ~3601..5400 s
            l.on_create(v4(2), secs(0), 1, &mut rng); // unmarked, older
            l.on_create(v4(3), secs(0), 1, &mut rng); // unmarked, newer
            l.on_create(v4(2), secs(1), 1, &mut rng); // 2 is now the most recent
            // New address: evicts the least recently used unmarked entry (3).
            l.on_create(v4(4), secs(2), 1, &mut rng);
            assert!(l.state(v4(3)).is_none());
            assert!(l.state(v4(1)).is_some() && l.state(v4(2)).is_some());
            // Once 1's mark has expired, it goes first.
            let end = l
                .state(v4(1))
                .and_then(AddressState::marked_until)
                .expect("marked");
            let later = Timestamp::from_secs(end.as_secs() + 1);
            l.on_create(v4(5), later, 1, &mut rng);
            assert!(l.state(v4(1)).is_none());
            assert!(l.state(v4(2)).is_some() && l.state(v4(4)).is_some());
        }

        #[test]
        fn all_marked_evicts_soonest_ending() {
            let mut rng = Counter(5);
            let mut l = CreateRateLimiter::new(CFG, 2);
            mark(&mut l, v4(1), secs(0), &mut rng);
            mark(&mut l, v4(2), secs(100), &mut rng);
            let end1 = l
                .state(v4(1))
                .and_then(AddressState::marked_until)
                .expect("marked");
            let end2 = l
                .state(v4(2))
                .and_then(AddressState::marked_until)
                .expect("marked");
            l.on_create(v4(3), secs(200), 1, &mut rng);
            let gone = if end1 <= end2 { v4(1) } else { v4(2) };
            assert!(l.state(gone).is_none());
            assert_eq!(l.len(), 2);
        }

        #[test]
        fn zero_capacity_allows_everything() {
            let mut rng = Counter(6);
            let mut l = CreateRateLimiter::new(CFG, 0);
            for _ in 0..500 {
                assert_eq!(
                    l.on_create(v4(1), secs(0), 9, &mut rng),
                    CreateDecision::Allow
                );
            }
            assert!(l.is_empty());
        }
    }
}
