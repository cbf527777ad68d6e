//! The onion queue: where CREATE requests wait for a CPU worker (C tor's onion_queue.c).

use core::time::Duration;

use super::{DestroyReason, Timestamp};
use crate::HandshakeType;

#[cfg(feature = "alloc")]
use super::{HandshakeTiming, duration_micros};
#[cfg(feature = "alloc")]
use alloc::collections::VecDeque;

/// Which queue a handshake waits in. C tor keeps TAP and ntor apart so that it can serve ntor
/// first; ntor-v3 (HTYPE 3) shares the ntor queue. CREATE_FAST is never queued: it costs a
/// few SHA-1 calls, so C tor answers it inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum QueueKind {
    /// TAP (HTYPE 0).
    Tap,
    /// ntor (HTYPE 2) and ntor-v3 (HTYPE 3).
    Ntor,
}

impl QueueKind {
    /// The queue for `htype`, or `None` for CREATE_FAST and unknown types.
    #[must_use]
    pub const fn for_handshake(htype: HandshakeType) -> Option<Self> {
        match htype.0 {
            0 => Some(Self::Tap),
            2 | 3 => Some(Self::Ntor),
            _ => None,
        }
    }
}

/// How the next request is chosen when both queues hold requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheduling {
    /// C tor since 0.2.4.17-rc (ticket 9574): up to
    /// [`ntors_per_tap`](OnionQueueConfig::ntors_per_tap) ntor requests, then one TAP, exactly
    /// as `decide_next_handshake_type` does; FIFO within each queue. Admission budgets each
    /// family for the interleaving and keeps TAP to 2/3 of the delay budget.
    NtorPriority,
    /// Oldest request first, whatever its type: the relay before ntor priority. Admission
    /// compares the time to drain *both* queues with the delay budget, and TAP has no separate
    /// cap. Not C tor's behaviour today; kept for comparisons such as the surge simulation.
    Fifo,
}

/// Configuration of an [`OnionQueue`], with C tor's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OnionQueueConfig {
    /// `MaxOnionQueueDelay` (torrc, and consensus since 0.4.8): a request is refused if the
    /// queue is not expected to drain within this. Default **1750 ms**; C tor compares whole
    /// milliseconds.
    pub max_queue_delay: Duration,
    /// Requests that have waited this long are culled when another request of their family
    /// is queued (`onion_queue_wait_cutoff`). Default **5 s**.
    pub wait_cutoff: Duration,
    /// `NumNTorsPerTAP` (consensus): ntor requests served per TAP request when both wait.
    /// Default **10**; clamped to C tor's range 1…100000.
    pub ntors_per_tap: u32,
    /// A queue holding fewer than this many requests always admits one more. C tor: **50**.
    pub always_admit_below: usize,
    /// The divisor that turns expected CPU time into expected delay: the number of
    /// handshakes the relay runs in parallel. C tor divides by `NumCPUs`. Default **1**;
    /// values below 1 are treated as 1.
    pub workers: u32,
    /// Ntor first or oldest first. Default [`Scheduling::NtorPriority`].
    pub scheduling: Scheduling,
    /// C tor estimates the ntor queue from ntor (HTYPE 2) samples only, so ntor-v3 timings
    /// never inform it (and with no ntor traffic the estimate stays at the 1000 µs default).
    /// Set this to pool ntor and ntor-v3 samples instead. Default **false** (C tor).
    pub ntor_v3_feeds_ntor_estimate: bool,
    /// A hard cap on each queue's length, whatever the estimates say: with a cost estimate
    /// near zero the delay budget alone would admit without bound. Not in C tor. Default
    /// **100 000** requests per queue.
    pub max_len: usize,
}

impl OnionQueueConfig {
    /// C tor's defaults (see each field).
    pub const DEFAULT: Self = Self {
        max_queue_delay: Duration::from_millis(1750),
        wait_cutoff: Duration::from_secs(5),
        ntors_per_tap: 10,
        always_admit_below: 50,
        workers: 1,
        scheduling: Scheduling::NtorPriority,
        ntor_v3_feeds_ntor_estimate: false,
        max_len: 100_000,
    };

    /// C tor's defaults for a relay with `workers` CPU workers.
    #[must_use]
    pub const fn with_workers(workers: u32) -> Self {
        let mut c = Self::DEFAULT;
        c.workers = workers;
        c
    }

    /// [`ntors_per_tap`](Self::ntors_per_tap) clamped to C tor's range 1…100000, as used.
    #[must_use]
    pub const fn effective_ntors_per_tap(&self) -> u32 {
        if self.ntors_per_tap < 1 {
            1
        } else if self.ntors_per_tap > 100_000 {
            100_000
        } else {
            self.ntors_per_tap
        }
    }
}

impl Default for OnionQueueConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a request was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The queue is not expected to drain within the delay budget (C tor's
    /// `have_room_for_onionskin` said no). Count it as dropped in [`HandshakeStats`](super::HandshakeStats).
    Overloaded,
    /// The queue reached [`OnionQueueConfig::max_len`].
    QueueFull,
    /// CREATE_FAST or an unknown HTYPE: these have no queue. Answer CREATE_FAST inline; an
    /// unknown HTYPE should have been rejected when the cell was parsed.
    NotQueued,
}

impl Refusal {
    /// The DESTROY reason to send: `RESOURCELIMIT` for overload, `PROTOCOL` for a type
    /// that cannot be queued.
    #[must_use]
    pub const fn destroy_reason(self) -> DestroyReason {
        match self {
            Self::Overloaded | Self::QueueFull => DestroyReason::RESOURCELIMIT,
            Self::NotQueued => DestroyReason::PROTOCOL,
        }
    }
}

/// A request the queue would not take, handed back to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refused<T> {
    /// The caller's request, returned unchanged.
    pub request: T,
    /// Its handshake type.
    pub htype: HandshakeType,
    /// Why it was refused.
    pub reason: Refusal,
}

impl<T> Refused<T> {
    /// The DESTROY reason to answer with ([`Refusal::destroy_reason`]).
    #[must_use]
    pub const fn destroy_reason(&self) -> DestroyReason {
        self.reason.destroy_reason()
    }
}

/// A request culled because it waited longer than the cutoff.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Aged<T> {
    /// The caller's request.
    pub request: T,
    /// Its handshake type.
    pub htype: HandshakeType,
    /// When it was queued.
    pub queued_at: Timestamp,
}

impl<T> Aged<T> {
    /// Always `RESOURCELIMIT`: C tor closes such circuits with that reason ("Circuit create
    /// request is too old; canceling due to overload.").
    #[must_use]
    pub const fn destroy_reason(&self) -> DestroyReason {
        DestroyReason::RESOURCELIMIT
    }
}

/// The request a worker should process next.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dequeued<T> {
    /// The caller's request.
    pub request: T,
    /// Its handshake type.
    pub htype: HandshakeType,
    /// The queue it came from.
    pub kind: QueueKind,
    /// When it was queued (so the caller can measure queue delay).
    pub queued_at: Timestamp,
}

#[cfg(feature = "alloc")]
#[derive(Debug)]
struct Entry<T> {
    queued_at: Timestamp,
    seq: u64,
    htype: HandshakeType,
    request: T,
}

/// CREATE requests waiting for a CPU worker, in C tor's design: one FIFO per
/// [`QueueKind`], ntor served ahead of TAP, admission by expected drain time, culling of
/// requests that waited too long, and costs learned from measured handshake times.
///
/// `T` is whatever the caller needs to resume the request later (a circuit handle, the
/// parsed CREATE2, …). Typical use, as in C tor's cpuworker.c:
///
/// 1. A CREATE arrives while all workers are busy: [`enqueue`](Self::enqueue) it. If it is
///    [`Refused`], answer with its [`destroy_reason`](Refused::destroy_reason); otherwise
///    answer every request of the returned [`AgedOut`] iterator with DESTROY `RESOURCELIMIT`.
/// 2. A worker finishes: [`record`](HandshakeTiming::record) its timing (if
///    [`should_time`](HandshakeTiming::should_time) said so) in [`timing_mut`](Self::timing_mut),
///    then give it [`next_request`](Self::next_request).
/// 3. A circuit closes while queued: [`remove_where`](Self::remove_where).
///
/// Memory: two `VecDeque`s, each holding at most [`OnionQueueConfig::max_len`] entries. In
/// practice admission bounds each queue far lower: with costs `c` per request and `w`
/// workers, about `max_queue_delay × w / c` requests (≈ 17 500 ntor requests for one worker
/// at 100 µs), plus the 50 always admitted.
#[cfg(feature = "alloc")]
#[derive(Debug)]
pub struct OnionQueue<T> {
    config: OnionQueueConfig,
    timing: HandshakeTiming,
    tap: VecDeque<Entry<T>>,
    ntor: VecDeque<Entry<T>>,
    /// C tor's `recently_chosen_ntors`.
    recently_chosen_ntors: u32,
    next_seq: u64,
}

#[cfg(feature = "alloc")]
impl<T> OnionQueue<T> {
    /// An empty queue with no timing samples.
    #[must_use]
    pub fn new(config: OnionQueueConfig) -> Self {
        Self::with_timing(config, HandshakeTiming::new())
    }

    /// An empty queue that starts from existing timing samples (e.g. measured at start-up).
    #[must_use]
    pub fn with_timing(config: OnionQueueConfig, timing: HandshakeTiming) -> Self {
        Self {
            config,
            timing,
            tap: VecDeque::new(),
            ntor: VecDeque::new(),
            recently_chosen_ntors: 0,
            next_seq: 0,
        }
    }

    /// The configuration in force.
    #[must_use]
    pub const fn config(&self) -> &OnionQueueConfig {
        &self.config
    }

    /// Replaces the configuration (e.g. after a new consensus). Queued requests stay.
    pub fn set_config(&mut self, config: OnionQueueConfig) {
        self.config = config;
    }

    /// The learned handshake costs.
    #[must_use]
    pub const fn timing(&self) -> &HandshakeTiming {
        &self.timing
    }

    /// The learned handshake costs, to record new samples.
    pub fn timing_mut(&mut self) -> &mut HandshakeTiming {
        &mut self.timing
    }

    fn queue(&self, kind: QueueKind) -> &VecDeque<Entry<T>> {
        match kind {
            QueueKind::Tap => &self.tap,
            QueueKind::Ntor => &self.ntor,
        }
    }

    fn queue_mut(&mut self, kind: QueueKind) -> &mut VecDeque<Entry<T>> {
        match kind {
            QueueKind::Tap => &mut self.tap,
            QueueKind::Ntor => &mut self.ntor,
        }
    }

    /// Requests waiting in `kind`'s queue.
    #[must_use]
    pub fn len(&self, kind: QueueKind) -> usize {
        self.queue(kind).len()
    }

    /// Whether both queues are empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tap.is_empty() && self.ntor.is_empty()
    }

    /// Expected CPU time, in µs, for `n` requests of `kind`, divided among the workers.
    fn drain_usec(&self, kind: QueueKind, n: usize) -> u64 {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        let cpu = match kind {
            QueueKind::Tap => self.timing.estimate_micros(HandshakeType::TAP, n),
            QueueKind::Ntor if self.config.ntor_v3_feeds_ntor_estimate => self
                .timing
                .estimate_pooled_micros(HandshakeType::NTOR, HandshakeType::NTOR_V3, n),
            QueueKind::Ntor => self.timing.estimate_micros(HandshakeType::NTOR, n),
        };
        cpu / u64::from(self.config.workers.max(1))
    }

    /// The expected wait, in µs, of a request of `kind` queued now, as admission computes it
    /// (before rounding to milliseconds).
    fn expected_wait_usec(&self, kind: QueueKind) -> u64 {
        let (n_tap, n_ntor) = (self.tap.len(), self.ntor.len());
        match self.config.scheduling {
            Scheduling::Fifo => self
                .drain_usec(QueueKind::Tap, n_tap)
                .saturating_add(self.drain_usec(QueueKind::Ntor, n_ntor)),
            Scheduling::NtorPriority => {
                let k =
                    usize::try_from(self.config.effective_ntors_per_tap()).unwrap_or(usize::MAX);
                match kind {
                    // Draining the ntor queue also serves one TAP per k ntors.
                    QueueKind::Ntor => self
                        .drain_usec(QueueKind::Ntor, n_ntor)
                        .saturating_add(self.drain_usec(QueueKind::Tap, n_tap.min(n_ntor / k))),
                    // Draining the TAP queue also serves k ntors per TAP.
                    QueueKind::Tap => self.drain_usec(QueueKind::Tap, n_tap).saturating_add(
                        self.drain_usec(QueueKind::Ntor, n_ntor.min(n_tap.saturating_mul(k))),
                    ),
                }
            }
        }
    }

    /// How long a request of `kind` queued now is expected to wait, by the same estimate
    /// admission uses.
    #[must_use]
    pub fn expected_wait(&self, kind: QueueKind) -> Duration {
        Duration::from_micros(self.expected_wait_usec(kind))
    }

    /// Whether a request of `kind` would be admitted now (C tor's `have_room_for_onionskin`,
    /// plus [`OnionQueueConfig::max_len`]).
    #[must_use]
    pub fn has_room(&self, kind: QueueKind) -> bool {
        self.admission(kind).is_none()
    }

    fn admission(&self, kind: QueueKind) -> Option<Refusal> {
        let len = self.len(kind);
        if len >= self.config.max_len {
            return Some(Refusal::QueueFull);
        }
        if len < self.config.always_admit_below {
            return None;
        }
        // C tor compares whole milliseconds, rounding the estimate down.
        let max_ms = duration_micros(self.config.max_queue_delay) / 1000;
        if self.expected_wait_usec(kind) / 1000 > max_ms {
            return Some(Refusal::Overloaded);
        }
        // "Don't let TAP use more than 2/3 of the space on the queue."
        if kind == QueueKind::Tap
            && self.config.scheduling == Scheduling::NtorPriority
            && self.drain_usec(QueueKind::Tap, self.tap.len()) / 1000 > max_ms * 2 / 3
        {
            return Some(Refusal::Overloaded);
        }
        None
    }

    /// Queues `request`, a CREATE of type `htype` received at `now`.
    ///
    /// On success, returns the requests of the same queue that have now waited at least
    /// [`wait_cutoff`](OnionQueueConfig::wait_cutoff), oldest first (C tor culls them here,
    /// from the head of the queue just added to); answer each with DESTROY `RESOURCELIMIT`.
    /// Requests the iterator does not yield stay queued.
    ///
    /// # Errors
    /// [`Refused`] hands the request back: [`Refusal::Overloaded`] or
    /// [`Refusal::QueueFull`] (answer DESTROY `RESOURCELIMIT` and count it as dropped), or
    /// [`Refusal::NotQueued`] for CREATE_FAST and unknown types.
    pub fn enqueue(
        &mut self,
        now: Timestamp,
        htype: HandshakeType,
        request: T,
    ) -> Result<AgedOut<'_, T>, Refused<T>> {
        let Some(kind) = QueueKind::for_handshake(htype) else {
            return Err(Refused {
                request,
                htype,
                reason: Refusal::NotQueued,
            });
        };
        if let Some(reason) = self.admission(kind) {
            return Err(Refused {
                request,
                htype,
                reason,
            });
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.queue_mut(kind).push_back(Entry {
            queued_at: now,
            seq,
            htype,
            request,
        });
        Ok(AgedOut {
            queue: self,
            now,
            ntor: kind == QueueKind::Ntor,
            tap: kind == QueueKind::Tap,
        })
    }

    /// Culls every request, in either queue, that has waited at least the cutoff at `now`.
    ///
    /// C tor culls only on [`enqueue`](Self::enqueue); call this too if your relay may go a
    /// long time without new requests of one family.
    pub fn expire(&mut self, now: Timestamp) -> AgedOut<'_, T> {
        AgedOut {
            queue: self,
            now,
            ntor: true,
            tap: true,
        }
    }

    /// C tor's `decide_next_handshake_type`, which also updates the ntor counter.
    fn decide_next(&mut self) -> QueueKind {
        match self.config.scheduling {
            Scheduling::Fifo => match (self.tap.front(), self.ntor.front()) {
                (Some(t), Some(n)) if n.seq.wrapping_sub(t.seq) > u64::MAX / 2 => QueueKind::Ntor,
                (Some(_), _) => QueueKind::Tap,
                (None, _) => QueueKind::Ntor,
            },
            Scheduling::NtorPriority => {
                let k = self.config.effective_ntors_per_tap();
                if self.ntor.is_empty() {
                    return QueueKind::Tap;
                }
                if self.tap.is_empty() {
                    // Counting on while only ntor waits lets a newly arrived TAP be served
                    // promptly (at the cost of jumping older ntors); C tor does the same.
                    if self.recently_chosen_ntors <= k {
                        self.recently_chosen_ntors += 1;
                    }
                    return QueueKind::Ntor;
                }
                self.recently_chosen_ntors = self.recently_chosen_ntors.saturating_add(1);
                if self.recently_chosen_ntors <= k {
                    return QueueKind::Ntor;
                }
                self.recently_chosen_ntors = 0;
                QueueKind::Tap
            }
        }
    }

    /// The request a free worker should process next (C tor's `onion_next_task`), or `None`
    /// if both queues are empty. Count it as assigned in
    /// [`HandshakeStats`](super::HandshakeStats).
    pub fn next_request(&mut self) -> Option<Dequeued<T>> {
        let kind = self.decide_next();
        let e = self.queue_mut(kind).pop_front()?;
        Some(Dequeued {
            request: e.request,
            htype: e.htype,
            kind,
            queued_at: e.queued_at,
        })
    }

    /// Removes every queued request for which `matches` returns true (C tor's
    /// `onion_pending_remove`, for a circuit closed while it waited) and returns how many
    /// were removed. Linear in the queue length.
    pub fn remove_where<F: FnMut(&T) -> bool>(&mut self, mut matches: F) -> usize {
        let before = self.tap.len() + self.ntor.len();
        self.tap.retain(|e| !matches(&e.request));
        self.ntor.retain(|e| !matches(&e.request));
        before - (self.tap.len() + self.ntor.len())
    }

    /// Empties both queues, dropping every request.
    pub fn clear(&mut self) {
        self.tap.clear();
        self.ntor.clear();
    }
}

/// Requests culled for waiting too long; see [`OnionQueue::enqueue`] and
/// [`OnionQueue::expire`]. Each must be answered with DESTROY
/// ([`Aged::destroy_reason`]). Requests not taken from the iterator stay queued.
#[cfg(feature = "alloc")]
#[must_use = "culled requests must be answered with DESTROY; unconsumed ones stay queued"]
#[derive(Debug)]
pub struct AgedOut<'a, T> {
    queue: &'a mut OnionQueue<T>,
    now: Timestamp,
    ntor: bool,
    tap: bool,
}

#[cfg(feature = "alloc")]
impl<T> AgedOut<'_, T> {
    fn pop_if_old(&mut self, kind: QueueKind) -> Option<Aged<T>> {
        let cutoff = self.queue.config.wait_cutoff;
        let now = self.now;
        let q = self.queue.queue_mut(kind);
        let head = q.front()?;
        if now.saturating_since(head.queued_at) < cutoff {
            return None;
        }
        q.pop_front().map(|e| Aged {
            request: e.request,
            htype: e.htype,
            queued_at: e.queued_at,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T> Iterator for AgedOut<'_, T> {
    type Item = Aged<T>;

    fn next(&mut self) -> Option<Aged<T>> {
        if self.ntor {
            if let Some(a) = self.pop_if_old(QueueKind::Ntor) {
                return Some(a);
            }
            self.ntor = false;
        }
        if self.tap {
            if let Some(a) = self.pop_if_old(QueueKind::Tap) {
                return Some(a);
            }
            self.tap = false;
        }
        None
    }
}

#[cfg(test)]
#[cfg(feature = "alloc")]
mod tests {
    use super::*;
    use std::vec::Vec;

    const NTOR: HandshakeType = HandshakeType::NTOR;
    const TAP: HandshakeType = HandshakeType::TAP;
    const T0: Timestamp = Timestamp::ZERO;

    /// Queues without caring about culling.
    fn push<T: core::fmt::Debug>(q: &mut OnionQueue<T>, now: Timestamp, h: HandshakeType, r: T) {
        let aged: Vec<_> = q.enqueue(now, h, r).expect("admitted").collect();
        assert!(aged.is_empty());
    }

    /// Teaches the queue that each handshake of `h` costs `us` microseconds.
    fn learn<T>(q: &mut OnionQueue<T>, h: HandshakeType, us: u64) {
        for _ in 0..HandshakeTiming::MIN_SAMPLES {
            q.timing_mut()
                .record(h, Duration::from_micros(us), Duration::from_micros(us));
        }
    }

    fn order(q: &mut OnionQueue<(char, u32)>) -> std::string::String {
        core::iter::from_fn(|| q.next_request().map(|d| d.request.0)).collect()
    }

    #[test]
    fn queue_kinds() {
        assert_eq!(QueueKind::for_handshake(TAP), Some(QueueKind::Tap));
        assert_eq!(QueueKind::for_handshake(NTOR), Some(QueueKind::Ntor));
        assert_eq!(
            QueueKind::for_handshake(HandshakeType::NTOR_V3),
            Some(QueueKind::Ntor)
        );
        assert_eq!(QueueKind::for_handshake(HandshakeType::FAST), None);
        assert_eq!(QueueKind::for_handshake(HandshakeType(4)), None);
    }

    #[test]
    fn ten_ntor_per_tap_when_both_wait() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        for i in 0..30 {
            push(&mut q, T0, NTOR, ('n', i));
        }
        for i in 0..3 {
            push(&mut q, T0, TAP, ('t', i));
        }
        assert_eq!(order(&mut q), "nnnnnnnnnntnnnnnnnnnntnnnnnnnnnnt");
    }

    #[test]
    fn interleaving_follows_ntors_per_tap() {
        let mut c = OnionQueueConfig {
            ntors_per_tap: 2,
            ..OnionQueueConfig::default()
        };
        let mut q = OnionQueue::new(c);
        for i in 0..5 {
            push(&mut q, T0, NTOR, ('n', i));
            push(&mut q, T0, TAP, ('t', i));
        }
        assert_eq!(order(&mut q), "nntnntnttt");
        c.ntors_per_tap = 0; // clamped to 1
        let mut q = OnionQueue::new(c);
        for i in 0..3 {
            push(&mut q, T0, NTOR, ('n', i));
            push(&mut q, T0, TAP, ('t', i));
        }
        assert_eq!(order(&mut q), "ntntnt");
    }

    #[test]
    fn ntor_v3_shares_the_ntor_queue_and_fifo_order_within_a_queue() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        push(&mut q, T0, NTOR, ('a', 0));
        push(&mut q, T0, HandshakeType::NTOR_V3, ('b', 0));
        push(&mut q, T0, NTOR, ('c', 0));
        assert_eq!(q.len(QueueKind::Ntor), 3);
        let d = q.next_request().expect("queued");
        assert_eq!((d.request.0, d.htype, d.kind), ('a', NTOR, QueueKind::Ntor));
        let d = q.next_request().expect("queued");
        assert_eq!((d.request.0, d.htype), ('b', HandshakeType::NTOR_V3));
    }

    /// C tor's counter keeps counting while only ntor waits (up to k+1), so a TAP arriving
    /// after a run of lone ntors is served next.
    #[test]
    fn tap_arriving_after_lone_ntors_jumps_ahead() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        for i in 0..11 {
            push(&mut q, T0, NTOR, ('n', i));
        }
        for _ in 0..11 {
            assert_eq!(q.next_request().map(|d| d.request.0), Some('n'));
        }
        push(&mut q, T0, NTOR, ('n', 99));
        push(&mut q, T0, TAP, ('t', 0));
        assert_eq!(order(&mut q), "tn");
        // Fresh queue: the counter starts at 0, so ten ntors go first.
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        for i in 0..11 {
            push(&mut q, T0, NTOR, ('n', i));
        }
        push(&mut q, T0, TAP, ('t', 0));
        assert_eq!(order(&mut q), "nnnnnnnnnntn");
    }

    #[test]
    fn fifo_scheduling_serves_oldest_first() {
        let c = OnionQueueConfig {
            scheduling: Scheduling::Fifo,
            ..OnionQueueConfig::default()
        };
        let mut q = OnionQueue::new(c);
        for (i, h) in [TAP, NTOR, NTOR, TAP, NTOR].into_iter().enumerate() {
            let ch = if h == TAP { 't' } else { 'n' };
            push(
                &mut q,
                Timestamp::from_micros(u64::try_from(i).unwrap()),
                h,
                (ch, 0),
            );
        }
        assert_eq!(order(&mut q), "tnntn");
    }

    #[test]
    fn always_admits_below_fifty() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        // Teach a cost so high that any queue would exceed the budget.
        learn(&mut q, NTOR, 1_000_000);
        for i in 0..50 {
            push(&mut q, T0, NTOR, i);
        }
        let r = q
            .enqueue(T0, NTOR, 50)
            .map(|_| ())
            .expect_err("51st refused");
        assert_eq!(r.reason, Refusal::Overloaded);
        assert_eq!(r.request, 50);
        assert_eq!(r.destroy_reason(), DestroyReason::RESOURCELIMIT);
        // The TAP queue has its own floor.
        push(&mut q, T0, TAP, 0);
    }

    /// ntor at the 1000 µs default, one worker: with n queued ntors, the estimate is n ms,
    /// refused once n ms > 1750 ms (integer milliseconds, as C tor compares).
    #[test]
    fn ntor_admission_threshold() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        for i in 0..1750 {
            push(&mut q, T0, NTOR, i);
        }
        assert_eq!(
            q.expected_wait(QueueKind::Ntor),
            Duration::from_millis(1750)
        );
        push(&mut q, T0, NTOR, 1750); // 1750 ms is not above the budget
        assert!(!q.has_room(QueueKind::Ntor)); // 1751 ms is
        assert!(q.enqueue(T0, NTOR, 0).is_err());
        // Two workers halve the estimate.
        let mut c = *q.config();
        c.workers = 2;
        q.set_config(c);
        assert!(q.has_room(QueueKind::Ntor));
    }

    /// Learned costs replace the default: at 100 µs, 17 500 ntors fit in 1750 ms.
    #[test]
    fn admission_uses_learned_cost() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        learn(&mut q, NTOR, 100);
        for i in 0..17_510 {
            push(&mut q, T0, NTOR, i);
        }
        assert!(!q.has_room(QueueKind::Ntor));
        assert_eq!(q.len(QueueKind::Ntor), 17_510);
    }

    /// TAP may not use more than 2/3 of the budget on its own: with TAP at 1000 µs, the
    /// 1167th TAP is refused (1167 ms > 1750 × 2/3 = 1166 ms) though 1750 ms would fit.
    #[test]
    fn tap_limited_to_two_thirds() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        for i in 0..1166 {
            push(&mut q, T0, TAP, i);
        }
        assert!(q.has_room(QueueKind::Tap));
        push(&mut q, T0, TAP, 1166);
        assert!(!q.has_room(QueueKind::Tap));
        assert!(
            q.has_room(QueueKind::Ntor),
            "ntor is not limited by TAP's 2/3"
        );
        // Oldest-first scheduling has no TAP cap.
        let mut c = *q.config();
        c.scheduling = Scheduling::Fifo;
        q.set_config(c);
        assert!(q.has_room(QueueKind::Tap));
    }

    /// The cross terms: ntor's estimate includes one TAP per 10 queued ntors, TAP's includes
    /// 10 ntors per queued TAP.
    #[test]
    fn admission_counts_interleaved_work() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        learn(&mut q, NTOR, 100);
        learn(&mut q, TAP, 1000);
        for i in 0..1000 {
            push(&mut q, T0, NTOR, i);
        }
        for i in 0..200 {
            push(&mut q, T0, TAP, i);
        }
        // ntor: 1000 × 100 µs + min(200, 1000/10) × 1000 µs = 100 ms + 100 ms.
        assert_eq!(q.expected_wait(QueueKind::Ntor), Duration::from_millis(200));
        // TAP: 200 × 1000 µs + min(1000, 200 × 10) × 100 µs = 200 ms + 100 ms.
        assert_eq!(q.expected_wait(QueueKind::Tap), Duration::from_millis(300));
        let mut c = *q.config();
        c.max_queue_delay = Duration::from_millis(250);
        q.set_config(c);
        assert!(q.has_room(QueueKind::Ntor));
        assert!(!q.has_room(QueueKind::Tap));
        c.scheduling = Scheduling::Fifo; // both: 100 ms + 200 ms
        q.set_config(c);
        assert_eq!(q.expected_wait(QueueKind::Ntor), Duration::from_millis(300));
        assert!(!q.has_room(QueueKind::Ntor));
    }

    #[test]
    fn ntor_v3_timing_feeds_estimate_only_when_asked() {
        let mut q: OnionQueue<u8> = OnionQueue::new(OnionQueueConfig::default());
        learn(&mut q, HandshakeType::NTOR_V3, 100);
        assert_eq!(q.drain_usec(QueueKind::Ntor, 10), 10_000);
        let mut c = *q.config();
        c.ntor_v3_feeds_ntor_estimate = true;
        q.set_config(c);
        assert_eq!(q.drain_usec(QueueKind::Ntor, 10), 1_000);
    }

    #[test]
    fn hard_cap_and_unqueued_types() {
        let c = OnionQueueConfig {
            max_len: 3,
            ..OnionQueueConfig::default()
        };
        let mut q = OnionQueue::new(c);
        for i in 0..3 {
            push(&mut q, T0, NTOR, i);
        }
        let r = q.enqueue(T0, NTOR, 3).map(|_| ()).expect_err("full");
        assert_eq!(r.reason, Refusal::QueueFull);
        let r = q
            .enqueue(T0, HandshakeType::FAST, 4)
            .map(|_| ())
            .expect_err("fast");
        assert_eq!(
            (r.reason, r.destroy_reason()),
            (Refusal::NotQueued, DestroyReason::PROTOCOL)
        );
    }

    #[test]
    fn culls_old_requests_from_the_queue_added_to() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        push(&mut q, Timestamp::from_secs(0), NTOR, 'a');
        push(&mut q, Timestamp::from_secs(1), TAP, 'T');
        push(&mut q, Timestamp::from_secs(2), NTOR, 'b');
        // At 4.999999 s nothing has waited 5 s.
        push(&mut q, Timestamp::from_micros(4_999_999), NTOR, 'c');
        // At 6.5 s 'a' (6.5 s) and 'T' (5.5 s) are too old; only the ntor queue is culled.
        let aged: Vec<_> = q
            .enqueue(Timestamp::from_millis(6_500), NTOR, 'd')
            .expect("admitted")
            .collect();
        assert_eq!(aged.len(), 1);
        assert_eq!(aged[0].request, 'a');
        assert_eq!(aged[0].queued_at, Timestamp::ZERO);
        assert_eq!(aged[0].destroy_reason(), DestroyReason::RESOURCELIMIT);
        assert_eq!(q.len(QueueKind::Tap), 1);
        // Culling stops at the first young enough request: 'b' (4.5 s) stays, and so does
        // everything behind it.
        assert_eq!(q.len(QueueKind::Ntor), 3);
        // expire() culls both queues.
        let aged: Vec<_> = q
            .expire(Timestamp::from_secs(7))
            .map(|a| a.request)
            .collect();
        assert_eq!(aged, ['b', 'T']);
    }

    #[test]
    fn exactly_cutoff_is_culled() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        push(&mut q, T0, TAP, 1);
        let aged: Vec<_> = q
            .enqueue(Timestamp::from_secs(5), TAP, 2)
            .expect("admitted")
            .map(|a| a.request)
            .collect();
        assert_eq!(aged, [1]);
    }

    #[test]
    fn unconsumed_aged_requests_stay_queued() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        push(&mut q, T0, TAP, 1);
        let _ = q
            .enqueue(Timestamp::from_secs(9), TAP, 2)
            .expect("admitted");
        assert_eq!(q.len(QueueKind::Tap), 2);
    }

    #[test]
    fn remove_and_clear() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        for i in 0..6 {
            push(&mut q, T0, if i % 2 == 0 { NTOR } else { TAP }, i);
        }
        assert_eq!(q.remove_where(|&r| r >= 3), 3);
        assert_eq!(q.len(QueueKind::Ntor) + q.len(QueueKind::Tap), 3);
        q.clear();
        assert!(q.is_empty());
        assert!(q.next_request().is_none());
    }
}
