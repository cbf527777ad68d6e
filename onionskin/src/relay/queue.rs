//! The onion queue: where CREATE requests wait for a CPU worker (C tor's onion_queue.c).

use core::time::Duration;

use super::{DestroyReason, Timestamp};
use crate::HandshakeType;

#[cfg(feature = "alloc")]
use super::{HandshakeTiming, duration_micros};
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

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
    /// Whether TAP (HTYPE 0) requests are queued at all. C tor 0.4.9 refuses TAP before any
    /// work (the create cell fails to parse and the circuit is closed with DESTROY
    /// `PROTOCOL`), so its profile sets this to false and [`OnionQueue::enqueue`] answers a
    /// TAP request with [`Refusal::NotQueued`]. Default **true** (C tor up to 0.4.8).
    pub accept_tap: bool,
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
        accept_tap: true,
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
    /// CREATE_FAST, an unknown HTYPE, or TAP when [`OnionQueueConfig::accept_tap`] is off:
    /// these have no queue. Answer CREATE_FAST inline; an unknown HTYPE (and TAP at a relay
    /// that refuses it) should have been rejected when the cell was parsed.
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

/// Names one queued request, for [`OnionQueue::remove`]: C tor keeps a pointer from the
/// circuit to its queue entry (`or_circ->onionqueue_entry`) so that a circuit closed while
/// it waits leaves the queue in constant time (`onion_pending_remove`). Keep the handle with
/// the circuit.
///
/// A handle stays valid until its request leaves the queue (served, culled, removed or
/// cleared); after that it names nothing and [`OnionQueue::remove`] returns `None`, even if
/// the slot is reused (a generation count tells the uses apart).
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueueHandle {
    index: u32,
    generation: u32,
}

/// "No node" in the intrusive lists.
#[cfg(feature = "alloc")]
const NIL: u32 = u32::MAX;

/// One slot of the queue's storage: a queued request linked into its family's list, or a
/// free slot linked into the free list (through `next`).
#[cfg(feature = "alloc")]
#[derive(Debug)]
struct Node<T> {
    generation: u32,
    prev: u32,
    next: u32,
    entry: Option<Entry<T>>,
}

/// A FIFO threaded through the slab.
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug)]
struct List {
    head: u32,
    tail: u32,
    len: usize,
}

#[cfg(feature = "alloc")]
impl List {
    const EMPTY: Self = Self {
        head: NIL,
        tail: NIL,
        len: 0,
    };
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
///    keep its [`handle`](AgedOut::handle) with the circuit and answer every request of the
///    returned [`AgedOut`] iterator with DESTROY `RESOURCELIMIT`.
/// 2. A worker finishes: [`record`](HandshakeTiming::record) its timing (if
///    [`should_time`](HandshakeTiming::should_time) said so) in [`timing_mut`](Self::timing_mut),
///    then give it [`next_request`](Self::next_request), or a whole
///    [`next_batch`](Self::next_batch).
/// 3. A circuit closes while queued: [`remove`](Self::remove) its handle (constant time).
///
/// Memory: one slab of slots shared by both queues, each queue holding at most
/// [`OnionQueueConfig::max_len`] entries; the slab keeps its peak size. In practice
/// admission bounds each queue far lower: with costs `c` per request and `w` workers, about
/// `max_queue_delay × w / c` requests (≈ 17 500 ntor requests for one worker at 100 µs),
/// plus the 50 always admitted.
#[cfg(feature = "alloc")]
#[derive(Debug)]
pub struct OnionQueue<T> {
    config: OnionQueueConfig,
    timing: HandshakeTiming,
    nodes: Vec<Node<T>>,
    free: u32,
    tap: List,
    ntor: List,
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
            nodes: Vec::new(),
            free: NIL,
            tap: List::EMPTY,
            ntor: List::EMPTY,
            recently_chosen_ntors: 0,
            next_seq: 0,
        }
    }

    fn list(&self, kind: QueueKind) -> &List {
        match kind {
            QueueKind::Tap => &self.tap,
            QueueKind::Ntor => &self.ntor,
        }
    }

    fn list_mut(&mut self, kind: QueueKind) -> &mut List {
        match kind {
            QueueKind::Tap => &mut self.tap,
            QueueKind::Ntor => &mut self.ntor,
        }
    }

    fn node(&self, index: u32) -> Option<&Node<T>> {
        self.nodes.get(usize::try_from(index).ok()?)
    }

    fn node_mut(&mut self, index: u32) -> Option<&mut Node<T>> {
        self.nodes.get_mut(usize::try_from(index).ok()?)
    }

    /// The oldest request of `kind`'s queue.
    fn front(&self, kind: QueueKind) -> Option<&Entry<T>> {
        self.node(self.list(kind).head)?.entry.as_ref()
    }

    /// Appends to `kind`'s queue, handing the entry back only if the slab cannot grow
    /// (2^32 − 1 slots).
    fn push_back(&mut self, kind: QueueKind, entry: Entry<T>) -> Result<QueueHandle, Entry<T>> {
        let tail = self.list(kind).tail;
        let free = self.free;
        let index = if let Some(node) = self.node_mut(free) {
            let next_free = node.next;
            node.prev = tail;
            node.next = NIL;
            node.entry = Some(entry);
            self.free = next_free;
            free
        } else {
            let Some(index) = u32::try_from(self.nodes.len()).ok().filter(|&i| i != NIL) else {
                return Err(entry);
            };
            self.nodes.push(Node {
                generation: 0,
                prev: tail,
                next: NIL,
                entry: Some(entry),
            });
            index
        };
        if let Some(t) = self.node_mut(tail) {
            t.next = index;
        }
        let generation = self.node(index).map_or(0, |n| n.generation);
        let list = self.list_mut(kind);
        if list.head == NIL {
            list.head = index;
        }
        list.tail = index;
        list.len += 1;
        Ok(QueueHandle { index, generation })
    }

    /// Takes the request in slot `index` (which must be in `kind`'s queue) out of the queue
    /// and frees the slot, in constant time.
    fn unlink(&mut self, kind: QueueKind, index: u32) -> Option<Entry<T>> {
        let free = self.free;
        let node = self.node_mut(index)?;
        let entry = node.entry.take()?;
        let (prev, next) = (node.prev, node.next);
        node.generation = node.generation.wrapping_add(1);
        node.prev = NIL;
        node.next = free;
        self.free = index;
        match self.node_mut(prev) {
            Some(p) => p.next = next,
            None => self.list_mut(kind).head = next,
        }
        match self.node_mut(next) {
            Some(n) => n.prev = prev,
            None => self.list_mut(kind).tail = prev,
        }
        let list = self.list_mut(kind);
        list.len -= 1;
        Some(entry)
    }

    fn pop_front(&mut self, kind: QueueKind) -> Option<Entry<T>> {
        let head = self.list(kind).head;
        self.unlink(kind, head)
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

    /// Requests waiting in `kind`'s queue.
    #[must_use]
    pub fn len(&self, kind: QueueKind) -> usize {
        self.list(kind).len
    }

    /// Whether both queues are empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tap.len == 0 && self.ntor.len == 0
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
        let (n_tap, n_ntor) = (self.tap.len, self.ntor.len);
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
            && self.drain_usec(QueueKind::Tap, self.tap.len) / 1000 > max_ms * 2 / 3
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
        let Some(kind) = QueueKind::for_handshake(htype)
            .filter(|&k| k != QueueKind::Tap || self.config.accept_tap)
        else {
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
        let entry = Entry {
            queued_at: now,
            seq,
            htype,
            request,
        };
        let handle = match self.push_back(kind, entry) {
            Ok(h) => h,
            // Only with more than 2^32 − 2 requests queued at once.
            Err(e) => {
                return Err(Refused {
                    request: e.request,
                    htype,
                    reason: Refusal::QueueFull,
                });
            }
        };
        self.next_seq = self.next_seq.wrapping_add(1);
        Ok(AgedOut {
            queue: self,
            now,
            ntor: kind == QueueKind::Ntor,
            tap: kind == QueueKind::Tap,
            handle: Some(handle),
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
            handle: None,
        }
    }

    /// C tor's `decide_next_handshake_type`: the queue to serve next and the value of its
    /// `recently_chosen_ntors` counter once that request is taken. Changes nothing, so a
    /// batch can look ahead without committing.
    fn plan_next(&self) -> (QueueKind, u32) {
        let c = self.recently_chosen_ntors;
        match self.config.scheduling {
            Scheduling::Fifo => match (self.front(QueueKind::Tap), self.front(QueueKind::Ntor)) {
                (Some(t), Some(n)) if n.seq.wrapping_sub(t.seq) > u64::MAX / 2 => {
                    (QueueKind::Ntor, c)
                }
                (Some(_), _) => (QueueKind::Tap, c),
                (None, _) => (QueueKind::Ntor, c),
            },
            Scheduling::NtorPriority => {
                let k = self.config.effective_ntors_per_tap();
                if self.ntor.len == 0 {
                    return (QueueKind::Tap, c);
                }
                if self.tap.len == 0 {
                    // Counting on while only ntor waits lets a newly arrived TAP be served
                    // promptly (at the cost of jumping older ntors); C tor does the same.
                    return (QueueKind::Ntor, if c <= k { c + 1 } else { c });
                }
                let c = c.saturating_add(1);
                if c <= k {
                    (QueueKind::Ntor, c)
                } else {
                    (QueueKind::Tap, 0)
                }
            }
        }
    }

    fn take(&mut self, kind: QueueKind, counter: u32) -> Option<Dequeued<T>> {
        let e = self.pop_front(kind)?;
        self.recently_chosen_ntors = counter;
        Some(Dequeued {
            request: e.request,
            htype: e.htype,
            kind,
            queued_at: e.queued_at,
        })
    }

    /// The request a free worker should process next (C tor's `onion_next_task`), or `None`
    /// if both queues are empty. Count it as assigned in
    /// [`HandshakeStats`](super::HandshakeStats).
    pub fn next_request(&mut self) -> Option<Dequeued<T>> {
        let (kind, counter) = self.plan_next();
        self.take(kind, counter)
    }

    /// Up to `max` requests for a worker that answers several handshakes at once (e.g. with
    /// batched X25519), all of one handshake type.
    ///
    /// The batch is the next requests [`next_request`](Self::next_request) would hand out, in
    /// the same order, cut short where the type would change: ntor priority, the
    /// `NumNTorsPerTAP` interleaving, admission and culling are exactly as for single
    /// requests (taking a batch of `n` is taking `n` single requests). It never waits to fill
    /// up: with one request queued, the batch is that request. Requests the iterator does not
    /// yield stay queued, and a TAP due after `NumNTorsPerTAP` ntors ends an ntor batch, so
    /// TAP is not starved by large batches.
    ///
    /// ```
    /// # #[cfg(feature = "alloc")] {
    /// use onionskin::HandshakeType;
    /// use onionskin::relay::{OnionQueue, OnionQueueConfig, Timestamp};
    ///
    /// let mut queue: OnionQueue<u32> = OnionQueue::new(OnionQueueConfig::default());
    /// let now = Timestamp::ZERO;
    /// for circ in 0..3 {
    ///     let _ = queue.enqueue(now, HandshakeType::NTOR, circ).map(|aged| aged.count());
    /// }
    /// let _ = queue.enqueue(now, HandshakeType::NTOR_V3, 3).map(|aged| aged.count());
    /// let batch: Vec<u32> = queue.next_batch(8).map(|d| d.request).collect();
    /// assert_eq!(batch, [0, 1, 2]); // ntor-v3 starts the next batch
    /// assert_eq!(queue.next_batch(8).map(|d| d.request).collect::<Vec<_>>(), [3]);
    /// # }
    /// ```
    pub fn next_batch(&mut self, max: usize) -> Batch<'_, T> {
        Batch {
            queue: self,
            remaining: max,
            htype: None,
        }
    }

    /// Removes the request named by `handle` in constant time (C tor's
    /// `onion_pending_remove`, for a circuit closed while its CREATE waited) and hands it
    /// back, or `None` if it already left the queue.
    ///
    /// ```
    /// # #[cfg(feature = "alloc")] {
    /// use onionskin::HandshakeType;
    /// use onionskin::relay::{OnionQueue, OnionQueueConfig, Timestamp};
    ///
    /// let mut queue: OnionQueue<u32> = OnionQueue::new(OnionQueueConfig::default());
    /// let aged = queue.enqueue(Timestamp::ZERO, HandshakeType::NTOR, 7).expect("admitted");
    /// let handle = aged.handle().expect("enqueue names the request");
    /// drop(aged);
    /// // The circuit closed before a worker took its CREATE.
    /// assert_eq!(queue.remove(handle).map(|d| d.request), Some(7));
    /// assert!(queue.remove(handle).is_none());
    /// # }
    /// ```
    pub fn remove(&mut self, handle: QueueHandle) -> Option<Dequeued<T>> {
        let node = self.node(handle.index)?;
        if node.generation != handle.generation {
            return None;
        }
        let kind = QueueKind::for_handshake(node.entry.as_ref()?.htype)?;
        let e = self.unlink(kind, handle.index)?;
        Some(Dequeued {
            request: e.request,
            htype: e.htype,
            kind,
            queued_at: e.queued_at,
        })
    }

    /// Removes every queued request for which `matches` returns true and returns how many
    /// were removed. Linear in the queue length; prefer [`remove`](Self::remove) with the
    /// handle from [`enqueue`](Self::enqueue).
    pub fn remove_where<F: FnMut(&T) -> bool>(&mut self, mut matches: F) -> usize {
        let mut removed = 0;
        for kind in [QueueKind::Tap, QueueKind::Ntor] {
            let mut at = self.list(kind).head;
            while let Some(node) = self.node(at) {
                let next = node.next;
                if node.entry.as_ref().is_some_and(|e| matches(&e.request)) {
                    let _ = self.unlink(kind, at);
                    removed += 1;
                }
                at = next;
            }
        }
        removed
    }

    /// Empties both queues, dropping every request; handles given out before name nothing.
    pub fn clear(&mut self) {
        for kind in [QueueKind::Tap, QueueKind::Ntor] {
            while self.pop_front(kind).is_some() {}
        }
    }
}

/// A batch of requests of one handshake type; see [`OnionQueue::next_batch`]. Requests not
/// taken from the iterator stay queued.
#[cfg(feature = "alloc")]
#[must_use = "a batch hands requests out only as it is iterated"]
#[derive(Debug)]
pub struct Batch<'a, T> {
    queue: &'a mut OnionQueue<T>,
    remaining: usize,
    htype: Option<HandshakeType>,
}

#[cfg(feature = "alloc")]
impl<T> Iterator for Batch<'_, T> {
    type Item = Dequeued<T>;

    fn next(&mut self) -> Option<Dequeued<T>> {
        if self.remaining == 0 {
            return None;
        }
        let (kind, counter) = self.queue.plan_next();
        let htype = self.queue.front(kind)?.htype;
        if self.htype.is_some_and(|h| h != htype) {
            return None;
        }
        let d = self.queue.take(kind, counter)?;
        self.htype = Some(htype);
        self.remaining -= 1;
        Some(d)
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
    handle: Option<QueueHandle>,
}

#[cfg(feature = "alloc")]
impl<T> AgedOut<'_, T> {
    /// The handle of the request just queued, for [`OnionQueue::remove`]; `None` from
    /// [`OnionQueue::expire`]. (The request itself may be culled at once if the cutoff is
    /// zero, and then the handle names nothing.)
    #[must_use]
    pub const fn handle(&self) -> Option<QueueHandle> {
        self.handle
    }

    fn pop_if_old(&mut self, kind: QueueKind) -> Option<Aged<T>> {
        let cutoff = self.queue.config.wait_cutoff;
        let now = self.now;
        let head = self.queue.front(kind)?;
        if now.saturating_since(head.queued_at) < cutoff {
            return None;
        }
        self.queue.pop_front(kind).map(|e| Aged {
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

    fn handle_of<T: core::fmt::Debug>(
        q: &mut OnionQueue<T>,
        now: Timestamp,
        h: HandshakeType,
        r: T,
    ) -> QueueHandle {
        let aged = q.enqueue(now, h, r).expect("admitted");
        let handle = aged.handle().expect("named");
        assert_eq!(aged.count(), 0);
        handle
    }

    #[test]
    fn remove_by_handle_keeps_order_and_rejects_stale_handles() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        let mut handles = Vec::new();
        for i in 0..6u32 {
            let h = if i % 3 == 0 { TAP } else { NTOR };
            let ch = if h == TAP { 't' } else { 'n' };
            handles.push(handle_of(&mut q, T0, h, (ch, i)));
        }
        // Middle, head and tail of the ntor list; the only other TAP.
        for &i in &[2usize, 1, 5, 3] {
            let d = q.remove(handles[i]).expect("queued");
            assert_eq!(d.request.1, u32::try_from(i).unwrap());
        }
        assert!(q.remove(handles[2]).is_none(), "removed twice");
        assert_eq!((q.len(QueueKind::Ntor), q.len(QueueKind::Tap)), (1, 1));
        // Freed slots are reused; the old handles do not name the new requests.
        let fresh = handle_of(&mut q, T0, NTOR, ('n', 10));
        assert!(q.remove(handles[5]).is_none());
        assert!(q.remove(handles[1]).is_none());
        let order: Vec<u32> =
            core::iter::from_fn(|| q.next_request().map(|d| d.request.1)).collect();
        assert_eq!(order, [4, 10, 0]);
        // Served requests cannot be removed.
        assert!(q.remove(fresh).is_none());
        assert!(q.remove(handles[0]).is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn handles_die_with_clear_and_culling() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        let a = handle_of(&mut q, T0, TAP, 1);
        q.clear();
        let b = handle_of(&mut q, T0, TAP, 2);
        assert!(q.remove(a).is_none());
        let aged: Vec<_> = q
            .enqueue(Timestamp::from_secs(6), TAP, 3)
            .expect("admitted")
            .map(|a| a.request)
            .collect();
        assert_eq!(aged, [2]);
        assert!(q.remove(b).is_none());
        assert_eq!(q.len(QueueKind::Tap), 1);
        assert!(q.expire(T0).handle().is_none());
    }

    /// Removing by handle is the same as removing by predicate.
    #[test]
    fn remove_matches_remove_where() {
        let mut a = OnionQueue::new(OnionQueueConfig::default());
        let mut b = OnionQueue::new(OnionQueueConfig::default());
        let mut handles = Vec::new();
        for i in 0..200u32 {
            let h = if i % 7 == 0 { TAP } else { NTOR };
            handles.push(handle_of(&mut a, T0, h, i));
            push(&mut b, T0, h, i);
        }
        for (i, &h) in handles.iter().enumerate() {
            if i % 3 == 1 {
                assert!(a.remove(h).is_some());
            }
        }
        assert_eq!(b.remove_where(|&r| r % 3 == 1), 67);
        let drain = |q: &mut OnionQueue<u32>| -> Vec<u32> {
            core::iter::from_fn(|| q.next_request().map(|d| d.request)).collect()
        };
        assert_eq!(drain(&mut a), drain(&mut b));
    }

    /// Batches are the single-request order cut where the handshake type changes, never
    /// longer than asked, never waiting.
    #[test]
    fn batches_follow_the_single_request_order() {
        let fill = |q: &mut OnionQueue<(char, u32)>| {
            for i in 0..25 {
                push(q, T0, NTOR, ('n', i));
            }
            push(q, T0, HandshakeType::NTOR_V3, ('v', 0));
            for i in 0..3 {
                push(q, T0, TAP, ('t', i));
            }
        };
        let mut single = OnionQueue::new(OnionQueueConfig::default());
        fill(&mut single);
        let expected = order(&mut single);
        assert_eq!(expected, "nnnnnnnnnntnnnnnnnnnntnnnnnvt");
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        fill(&mut q);
        let mut batches = Vec::new();
        loop {
            let b: std::string::String = q.next_batch(4).map(|d| d.request.0).collect();
            if b.is_empty() {
                break;
            }
            batches.push(b);
        }
        assert_eq!(batches.concat(), expected);
        assert_eq!(
            batches,
            [
                "nnnn", "nnnn", "nn", "t", "nnnn", "nnnn", "nn", "t", "nnnn", "n", "v", "t"
            ]
        );
        // One request pending: handed out at once.
        push(&mut q, T0, NTOR, ('n', 99));
        assert_eq!(q.next_batch(64).count(), 1);
        assert_eq!(q.next_batch(64).count(), 0);
        assert_eq!(q.next_batch(0).count(), 0);
        // TAP alone comes in TAP batches.
        for i in 0..5 {
            push(&mut q, T0, TAP, ('t', i));
        }
        assert_eq!(q.next_batch(4).count(), 4);
        assert_eq!(q.next_batch(4).count(), 1);
    }

    #[test]
    fn unconsumed_batch_requests_stay_queued() {
        let mut q = OnionQueue::new(OnionQueueConfig::default());
        for i in 0..5 {
            push(&mut q, T0, NTOR, i);
        }
        let first = q.next_batch(5).next().map(|d| d.request);
        assert_eq!(first, Some(0));
        assert_eq!(q.len(QueueKind::Ntor), 4);
        let rest: Vec<_> = q.next_batch(5).map(|d| d.request).collect();
        assert_eq!(rest, [1, 2, 3, 4]);
    }

    #[test]
    fn refuses_tap_when_told_to() {
        let c = OnionQueueConfig {
            accept_tap: false,
            ..OnionQueueConfig::default()
        };
        let mut q = OnionQueue::new(c);
        let r = q.enqueue(T0, TAP, 1).map(|_| ()).expect_err("no TAP queue");
        assert_eq!(
            (r.reason, r.destroy_reason()),
            (Refusal::NotQueued, DestroyReason::PROTOCOL)
        );
        assert!(q.is_empty());
        push(&mut q, T0, NTOR, 2);
    }

    /// Random enqueues, removals by handle, single and batched dequeues against a plain
    /// reference (two `VecDeque`s and C tor's `decide_next_handshake_type` written out):
    /// the slab's links, free list and generations never go wrong.
    #[test]
    fn random_operations_match_a_reference() {
        use rand_chacha::ChaCha8Rng;
        use rand_chacha::rand_core::{RngCore, SeedableRng};
        use std::collections::VecDeque;

        struct Reference {
            tap: VecDeque<u32>,
            ntor: VecDeque<(u32, HandshakeType)>,
            counter: u32,
        }
        impl Reference {
            fn next(&mut self) -> Option<u32> {
                let k = 10;
                if self.ntor.is_empty() {
                    return self.tap.pop_front();
                }
                if self.tap.is_empty() {
                    if self.counter <= k {
                        self.counter += 1;
                    }
                    return self.ntor.pop_front().map(|e| e.0);
                }
                self.counter += 1;
                if self.counter <= k {
                    return self.ntor.pop_front().map(|e| e.0);
                }
                self.counter = 0;
                self.tap.pop_front()
            }
        }

        let mut rng = ChaCha8Rng::seed_from_u64(19);
        // A budget that admits everything: admission is tested elsewhere.
        let mut q = OnionQueue::new(OnionQueueConfig {
            max_queue_delay: Duration::from_secs(1_000_000),
            ..OnionQueueConfig::default()
        });
        let mut r = Reference {
            tap: VecDeque::new(),
            ntor: VecDeque::new(),
            counter: 0,
        };
        let mut handles: Vec<(u32, QueueHandle)> = Vec::new();
        let mut next_id = 0u32;
        for _ in 0..20_000 {
            match rng.next_u32() % 8 {
                0..=3 => {
                    let h = [TAP, NTOR, HandshakeType::NTOR_V3][(rng.next_u32() % 3) as usize];
                    let id = next_id;
                    next_id += 1;
                    handles.push((id, handle_of(&mut q, T0, h, id)));
                    if h == TAP {
                        r.tap.push_back(id);
                    } else {
                        r.ntor.push_back((id, h));
                    }
                }
                4 | 5 if !handles.is_empty() => {
                    let i = (rng.next_u32() as usize) % handles.len();
                    let (id, h) = handles.swap_remove(i);
                    let expected =
                        r.tap.iter().any(|&t| t == id) || r.ntor.iter().any(|&(n, _)| n == id);
                    r.tap.retain(|&t| t != id);
                    r.ntor.retain(|&(n, _)| n != id);
                    assert_eq!(q.remove(h).map(|d| d.request), expected.then_some(id));
                }
                6 => assert_eq!(q.next_request().map(|d| d.request), r.next()),
                _ => {
                    let n = 1 + (rng.next_u32() % 5) as usize;
                    let got: Vec<(u32, HandshakeType)> =
                        q.next_batch(n).map(|d| (d.request, d.htype)).collect();
                    assert!(got.len() <= n);
                    assert!(got.windows(2).all(|w| w[0].1 == w[1].1), "one type");
                    for (id, _) in &got {
                        assert_eq!(Some(*id), r.next());
                    }
                }
            }
            assert_eq!(q.len(QueueKind::Tap), r.tap.len());
            assert_eq!(q.len(QueueKind::Ntor), r.ntor.len());
        }
        // Drain what is left in the same order.
        while let Some(id) = r.next() {
            assert_eq!(q.next_request().map(|d| d.request), Some(id));
        }
        assert!(q.is_empty());
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
