//! Relay-side defences against a flood of circuit-creation requests, modelled on C tor.
//!
//! When a relay's CPU cannot keep up with CREATE/CREATE2 cells, something has to decide who is
//! served. C tor's answers, all reproduced here with its defaults:
//!
//! - [`OnionQueue`]: a queue per handshake family (ntor-v3 shares ntor's) that serves ntor
//!   before TAP (at most `NumNTorsPerTAP` ntor requests per TAP when both wait), admits a
//!   request only if the queue is expected to drain within `MaxOnionQueueDelay`, culls requests
//!   that waited too long, and learns each family's cost from measured handshake times
//!   ([`HandshakeTiming`]).
//! - [`HandshakeStats`]: requested / assigned / dropped counters, the heartbeat line
//!   ("Circuit handshake stats since last time: …") and the `overload-general` signal raised
//!   when too many ntor requests are dropped.
//! - [`CreateRateLimiter`] (feature `alloc`): the per-address token bucket of C tor's
//!   circuit-creation DoS mitigation, with bounded memory. [`AddressState`] is the per-address
//!   logic alone, for callers who keep their own table (no allocation).
//! - [`RelayProfile`]: which C tor to behave like — 0.2.4 as in the 2013 botnet surge, 0.4.8,
//!   or 0.4.9 as relays run today (TAP refused before any work, ntor-v3 counted apart) — and
//!   [`ConsensusParams`], the consensus parameters that tune all of the above, with C tor's
//!   code defaults and the values of the live consensus.
//!
//! Nothing here has a clock, a thread or a global: the caller passes the time in as a
//! [`Timestamp`] and randomness as a [`rand_core::RngCore`], so every decision is deterministic
//! and testable. All overload rejections are answered on the wire with DESTROY reason
//! [`DestroyReason::RESOURCELIMIT`] (tor-spec 5.4).
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use onionskin::HandshakeType;
//! use onionskin::relay::{OnionQueue, OnionQueueConfig, Timestamp};
//!
//! let mut queue: OnionQueue<u32> = OnionQueue::new(OnionQueueConfig::default());
//! let now = Timestamp::from_secs(100);
//! // A CREATE2 for circuit 7 arrives and no worker is free: queue it.
//! match queue.enqueue(now, HandshakeType::NTOR, 7) {
//!     Ok(aged_out) => {
//!         // Requests that waited longer than the cutoff: answer each with DESTROY.
//!         for old in aged_out {
//!             let _ = (old.request, old.destroy_reason());
//!         }
//!     }
//!     Err(refused) => { let _ = (refused.request, refused.destroy_reason()); }
//! }
//! // A worker became free: hand it the next request.
//! let next = queue.next_request().map(|d| d.request);
//! assert_eq!(next, Some(7));
//! # }
//! ```

use core::ops::Add;
use core::time::Duration;

mod profile;
mod queue;
mod ratelimit;
mod stats;
mod timing;

pub use profile::{ConsensusParams, CreateHandling, RelayProfile};
pub use queue::{Aged, Dequeued, OnionQueueConfig, QueueKind, Refusal, Refused, Scheduling};
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use queue::{AgedOut, Batch, OnionQueue, QueueHandle};
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use ratelimit::CreateRateLimiter;
pub use ratelimit::{AddressState, CreateDecision, CreateRateLimitConfig, RateLimiterCounters};
pub use stats::{HandshakeStats, Heartbeat, OverloadConfig, OverloadGeneral};
pub use timing::HandshakeTiming;

/// A point in time, in microseconds since an epoch of the caller's choosing.
///
/// The relay tools never read a clock: every call that depends on time takes one of these.
/// Use a monotonic source (e.g. microseconds since the process started); the tools tolerate
/// time standing still and, where C tor does, time going backwards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The epoch.
    pub const ZERO: Self = Self(0);

    /// `us` microseconds after the epoch.
    #[must_use]
    pub const fn from_micros(us: u64) -> Self {
        Self(us)
    }

    /// `ms` milliseconds after the epoch (saturating).
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms.saturating_mul(1_000))
    }

    /// `s` seconds after the epoch (saturating).
    #[must_use]
    pub const fn from_secs(s: u64) -> Self {
        Self(s.saturating_mul(1_000_000))
    }

    /// Microseconds since the epoch.
    #[must_use]
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch (C tor's `time_t` granularity).
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    #[must_use]
    pub const fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, saturating at the largest representable time.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_micros(d)))
    }
}

impl Add<Duration> for Timestamp {
    type Output = Self;
    /// Saturating addition (see [`Timestamp::saturating_add`]).
    fn add(self, d: Duration) -> Self {
        self.saturating_add(d)
    }
}

/// A duration in whole microseconds, saturating at `u64::MAX`.
pub(crate) fn duration_micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The DESTROY reason the overload tools hand back (tor-spec 5.4); the codec's open newtype.
pub use crate::codec::DestroyReason;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_arithmetic() {
        let t = Timestamp::from_secs(3);
        assert_eq!(t.as_micros(), 3_000_000);
        assert_eq!(Timestamp::from_millis(1_500).as_secs(), 1);
        assert_eq!(
            t + Duration::from_millis(250),
            Timestamp::from_micros(3_250_000)
        );
        assert_eq!(t.saturating_since(Timestamp::from_secs(5)), Duration::ZERO);
        assert_eq!(
            Timestamp::from_secs(5).saturating_since(t),
            Duration::from_secs(2)
        );
        assert_eq!(
            Timestamp::from_micros(u64::MAX) + Duration::from_secs(1),
            Timestamp::from_micros(u64::MAX)
        );
        assert_eq!(Timestamp::from_secs(u64::MAX).as_micros(), u64::MAX);
    }

    #[test]
    fn destroy_reason_codes() {
        assert_eq!(DestroyReason::RESOURCELIMIT.0, 5);
        assert_eq!(DestroyReason::PROTOCOL.0, 1);
        assert_eq!(
            std::format!("{:?}", DestroyReason(200)),
            "DestroyReason(200)"
        );
    }
}
