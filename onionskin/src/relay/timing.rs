//! C tor's model of what a handshake costs, learned from measured handshake times
//! (cpuworker.c: `should_time_request`, `estimated_usec_for_onionskins`).

use crate::HandshakeType;
use core::time::Duration;
use rand_core::RngCore;

use super::duration_micros;

/// Per-type running totals. C tor keeps one slot per handshake type it knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    n_processed: u64,
    usec_internal: u64,
    usec_roundtrip: u64,
}

/// Measured handshake costs, per handshake type, in C tor's model.
///
/// - Time the first [`ALWAYS_TIME_FIRST`](Self::ALWAYS_TIME_FIRST) handshakes of each type,
///   then a random 1 in [`SAMPLE_ONE_IN`](Self::SAMPLE_ONE_IN) ([`should_time`](Self::should_time)).
/// - For each timed, successful handshake, [`record`](Self::record) the time spent inside the
///   handshake ("internal") and from hand-off to a worker until its reply ("round trip").
///   Samples whose round trip reaches [`MAX_BELIEVABLE_DELAY`](Self::MAX_BELIEVABLE_DELAY)
///   (2 s) are discarded, internal times are clipped to it, and all totals of a type are
///   halved when it reaches [`HALVE_AT`](Self::HALVE_AT) samples, so old samples fade.
/// - [`estimate_micros`](Self::estimate_micros)`(t, n)` is `n × 1000 µs` until
///   [`MIN_SAMPLES`](Self::MIN_SAMPLES) (100) samples of `t` exist, then `n ×` the mean
///   internal time.
///
/// Types are kept apart as C tor keeps them: TAP, CREATE_FAST, ntor and ntor-v3 each have
/// their own totals (so by default ntor-v3 samples do not feed the ntor queue's estimate;
/// see [`OnionQueueConfig::ntor_v3_feeds_ntor_estimate`](super::OnionQueueConfig)).
/// Unknown types are never timed and are estimated at the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandshakeTiming {
    slots: [Slot; 4],
}

impl HandshakeTiming {
    /// Every handshake of a type is timed until this many have been recorded.
    pub const ALWAYS_TIME_FIRST: u64 = 4096;
    /// After that, one handshake in this many is timed.
    pub const SAMPLE_ONE_IN: u32 = 128;
    /// Below this many samples, a type is assumed to cost [`DEFAULT_COST`](Self::DEFAULT_COST).
    pub const MIN_SAMPLES: u64 = 100;
    /// The assumed cost of a handshake before enough samples exist: 1000 µs.
    pub const DEFAULT_COST: Duration = Duration::from_micros(1000);
    /// Round trips this long or longer are not believed and not recorded (C tor's
    /// `MAX_BELIEVABLE_ONIONSKIN_DELAY`).
    pub const MAX_BELIEVABLE_DELAY: Duration = Duration::from_secs(2);
    /// When a type reaches this many samples, its totals are halved.
    pub const HALVE_AT: u64 = 500_000;

    /// No samples yet.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            slots: [Slot {
                n_processed: 0,
                usec_internal: 0,
                usec_roundtrip: 0,
            }; 4],
        }
    }

    fn slot(&self, htype: HandshakeType) -> Option<&Slot> {
        self.slots.get(usize::from(htype.0))
    }

    /// Whether the caller should time the next handshake of `htype` (C tor's
    /// `should_time_request`). Draws from `rng` only once the first
    /// [`ALWAYS_TIME_FIRST`](Self::ALWAYS_TIME_FIRST) have been recorded.
    pub fn should_time<R: RngCore + ?Sized>(&self, htype: HandshakeType, rng: &mut R) -> bool {
        match self.slot(htype) {
            None => false,
            Some(s) if s.n_processed < Self::ALWAYS_TIME_FIRST => true,
            // 128 divides 2^32, so this is an exact 1-in-128 draw.
            Some(_) => rng.next_u32().is_multiple_of(Self::SAMPLE_ONE_IN),
        }
    }

    /// Records one timed, successful handshake of `htype`: `internal` is the time spent in
    /// the handshake itself, `roundtrip` the time from hand-off to a worker until its reply
    /// was back. Returns whether the sample was kept (it is not if `roundtrip` is at least
    /// [`MAX_BELIEVABLE_DELAY`](Self::MAX_BELIEVABLE_DELAY) or `htype` is unknown).
    pub fn record(
        &mut self,
        htype: HandshakeType,
        internal: Duration,
        roundtrip: Duration,
    ) -> bool {
        let Some(s) = self.slots.get_mut(usize::from(htype.0)) else {
            return false;
        };
        if roundtrip >= Self::MAX_BELIEVABLE_DELAY {
            return false;
        }
        let internal = duration_micros(internal.min(Self::MAX_BELIEVABLE_DELAY));
        s.n_processed = s.n_processed.saturating_add(1);
        s.usec_internal = s.usec_internal.saturating_add(internal);
        s.usec_roundtrip = s.usec_roundtrip.saturating_add(duration_micros(roundtrip));
        if s.n_processed >= Self::HALVE_AT {
            s.n_processed /= 2;
            s.usec_internal /= 2;
            s.usec_roundtrip /= 2;
        }
        true
    }

    /// How many samples of `htype` are held (after halving).
    #[must_use]
    pub fn samples(&self, htype: HandshakeType) -> u64 {
        self.slot(htype).map_or(0, |s| s.n_processed)
    }

    /// Expected CPU time, in microseconds, for `n` handshakes of `htype` (C tor's
    /// `estimated_usec_for_onionskins`).
    #[must_use]
    pub fn estimate_micros(&self, htype: HandshakeType, n: u64) -> u64 {
        match self.slot(htype) {
            Some(s) if s.n_processed >= Self::MIN_SAMPLES => {
                let total = u128::from(n) * u128::from(s.usec_internal) / u128::from(s.n_processed);
                u64::try_from(total).unwrap_or(u64::MAX)
            }
            _ => n.saturating_mul(duration_micros(Self::DEFAULT_COST)),
        }
    }

    /// Like [`estimate_micros`](Self::estimate_micros), over the samples of two types pooled
    /// (used to let ntor-v3 samples inform the ntor queue's estimate).
    #[must_use]
    pub fn estimate_pooled_micros(&self, a: HandshakeType, b: HandshakeType, n: u64) -> u64 {
        let (Some(sa), Some(sb)) = (self.slot(a), self.slot(b)) else {
            return self.estimate_micros(a, n);
        };
        let count = sa.n_processed.saturating_add(sb.n_processed);
        if count < Self::MIN_SAMPLES {
            return n.saturating_mul(duration_micros(Self::DEFAULT_COST));
        }
        let usec = u128::from(sa.usec_internal) + u128::from(sb.usec_internal);
        u64::try_from(u128::from(n) * usec / u128::from(count)).unwrap_or(u64::MAX)
    }

    /// Mean time inside the handshake for `htype`, if any sample exists.
    #[must_use]
    pub fn mean_internal(&self, htype: HandshakeType) -> Option<Duration> {
        let s = self.slot(htype)?;
        (s.n_processed > 0).then(|| Duration::from_micros(s.usec_internal / s.n_processed))
    }

    /// Mean round trip minus mean internal time for `htype` (C tor's heartbeat
    /// "onionskins have averaged … usec overhead"), if any sample exists.
    #[must_use]
    pub fn mean_overhead(&self, htype: HandshakeType) -> Option<Duration> {
        let s = self.slot(htype)?;
        (s.n_processed > 0).then(|| {
            Duration::from_micros(s.usec_roundtrip.saturating_sub(s.usec_internal) / s.n_processed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::impls;

    /// An RNG that returns a fixed value, to drive the 1-in-128 draw.
    struct Fixed(u32);
    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            self.0
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.0)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            impls::fill_bytes_via_next(self, dest);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    const US: fn(u64) -> Duration = Duration::from_micros;

    #[test]
    fn default_cost_until_100_samples() {
        let mut t = HandshakeTiming::new();
        assert_eq!(t.estimate_micros(HandshakeType::NTOR, 7), 7_000);
        for _ in 0..99 {
            assert!(t.record(HandshakeType::NTOR, US(200), US(250)));
        }
        assert_eq!(
            t.estimate_micros(HandshakeType::NTOR, 7),
            7_000,
            "99 samples: still the default"
        );
        assert!(t.record(HandshakeType::NTOR, US(200), US(250)));
        assert_eq!(
            t.estimate_micros(HandshakeType::NTOR, 7),
            1_400,
            "100 samples: the mean"
        );
        assert_eq!(
            t.estimate_micros(HandshakeType::TAP, 2),
            2_000,
            "other types unaffected"
        );
        assert_eq!(t.mean_internal(HandshakeType::NTOR), Some(US(200)));
        assert_eq!(t.mean_overhead(HandshakeType::NTOR), Some(US(50)));
        assert_eq!(t.mean_internal(HandshakeType::TAP), None);
    }

    #[test]
    fn unbelievable_round_trips_are_discarded_and_internal_clipped() {
        let mut t = HandshakeTiming::new();
        assert!(!t.record(HandshakeType::TAP, US(10), Duration::from_secs(2)));
        assert_eq!(t.samples(HandshakeType::TAP), 0);
        assert!(t.record(HandshakeType::TAP, Duration::from_secs(5), US(1_999_999)));
        assert_eq!(
            t.mean_internal(HandshakeType::TAP),
            Some(Duration::from_secs(2))
        );
        assert!(!t.record(HandshakeType(9), US(1), US(1)), "unknown type");
        assert_eq!(t.estimate_micros(HandshakeType(9), 3), 3_000);
    }

    #[test]
    fn halves_at_500000() {
        let mut t = HandshakeTiming::new();
        for _ in 0..HandshakeTiming::HALVE_AT - 1 {
            t.record(HandshakeType::NTOR, US(100), US(100));
        }
        assert_eq!(t.samples(HandshakeType::NTOR), 499_999);
        t.record(HandshakeType::NTOR, US(100), US(100));
        assert_eq!(t.samples(HandshakeType::NTOR), 250_000);
        assert_eq!(t.mean_internal(HandshakeType::NTOR), Some(US(100)));
    }

    #[test]
    fn sampling_policy() {
        let mut t = HandshakeTiming::new();
        // Never draws while under 4096: a "never" RNG still says yes.
        assert!(t.should_time(HandshakeType::NTOR, &mut Fixed(1)));
        for _ in 0..4096 {
            t.record(HandshakeType::NTOR, US(1), US(1));
        }
        assert!(!t.should_time(HandshakeType::NTOR, &mut Fixed(1)));
        assert!(t.should_time(HandshakeType::NTOR, &mut Fixed(128 * 5)));
        assert!(t.should_time(HandshakeType::TAP, &mut Fixed(1)));
        assert!(!t.should_time(HandshakeType(77), &mut Fixed(0)));
    }

    #[test]
    fn pooled_estimate() {
        let mut t = HandshakeTiming::new();
        for _ in 0..60 {
            t.record(HandshakeType::NTOR, US(100), US(100));
            t.record(HandshakeType::NTOR_V3, US(300), US(300));
        }
        assert_eq!(t.estimate_micros(HandshakeType::NTOR, 10), 10_000);
        assert_eq!(
            t.estimate_pooled_micros(HandshakeType::NTOR, HandshakeType::NTOR_V3, 10),
            2_000
        );
    }
}
