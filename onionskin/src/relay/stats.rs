//! Handshake counters, the heartbeat line and the `overload-general` signal (C tor's
//! rephist.c).

use core::fmt;
use core::time::Duration;

use super::Timestamp;
use crate::HandshakeType;

/// C tor's statistics slots (rephist.c `onionskin_type_to_stat`): TAP, CREATE_FAST, ntor,
/// and ntor-v3 in a slot of its own (0.4.9) or folded into ntor (up to 0.4.8).
const fn stat_index(htype: HandshakeType, ntor_v3_apart: bool) -> Option<usize> {
    match htype.0 {
        0 => Some(0),
        1 => Some(1),
        2 => Some(2),
        3 if ntor_v3_apart => Some(3),
        3 => Some(2),
        _ => None,
    }
}

/// Whether `htype` feeds the `overload-general` assessment: requests for the ntor queue,
/// which ntor-v3 shares (rephist.c counts what goes to that queue).
const fn feeds_overload(htype: HandshakeType) -> bool {
    matches!(htype.0, 2 | 3)
}

/// Counters of one statistics slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    requested: u64,
    assigned: u64,
    dropped: u64,
}

/// When to raise the `overload-general` signal from dropped ntor requests (consensus
/// parameters `overload_onionskin_ntor_scale_percent` and
/// `overload_onionskin_ntor_period_secs`, since tor 0.4.7.5-alpha). Both are
/// configurable; [`ConsensusParams`](super::ConsensusParams) holds C tor's code defaults
/// (1 % over 6 h) and the values a live consensus sets (0.5 % over 3 h in July 2026).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OverloadConfig {
    /// Length of an assessment period. Default **21 600 s** (6 h).
    pub period: Duration,
    /// The dropped fraction that signals overload, in thousandths of a percent: default
    /// **1000** = 1 %. C tor's range is 0…100 000.
    pub scale_percent: u32,
    /// Periods with fewer ntor requests than this are not assessed; their counts carry over
    /// into the next period. C tor: **1000** (its percent scale, hard-coded).
    pub min_requests: u64,
}

impl OverloadConfig {
    /// C tor's defaults.
    pub const DEFAULT: Self = Self {
        period: Duration::from_secs(21_600),
        scale_percent: 1000,
        min_requests: 1000,
    };

    /// The defaults with another threshold (thousandths of a percent, as the consensus
    /// gives it: 500 = 0.5 %) and assessment period.
    #[must_use]
    pub const fn with_threshold(scale_percent: u32, period: Duration) -> Self {
        Self {
            period,
            scale_percent,
            min_requests: Self::DEFAULT.min_requests,
        }
    }
}

impl Default for OverloadConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// An `overload-general` signal: in the period that just ended, at least the configured
/// fraction of ntor requests was dropped. A relay publishes `overload-general` with the time
/// in its descriptor (dir-spec "overload-general") and C tor logs "General overload -> Ntor
/// dropped (…) fraction …% is above threshold of …%".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OverloadGeneral {
    /// When the period was assessed.
    pub at: Timestamp,
    /// ntor requests dropped in the period.
    pub dropped: u64,
    /// ntor requests received in the period.
    pub requested: u64,
}

/// The ntor assessment period in progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Assessment {
    requested: u64,
    dropped: u64,
    next_assessment: Option<Timestamp>,
}

/// Counts of circuit handshakes by type, as a relay reports them (C tor's rephist.c).
///
/// - [`note_requested`](Self::note_requested): a CREATE arrived (C tor counts only creates
///   from other relays, never from clients' channels; which to count is the caller's choice).
/// - [`note_assigned`](Self::note_assigned): it was handed to a CPU worker.
/// - [`note_dropped`](Self::note_dropped): the onion queue refused it ([`Refusal::Overloaded`](super::Refusal)).
///
/// ntor-v3 is counted as ntor, as C tor up to 0.4.8 does, unless the statistics are made
/// with [`for_profile`](Self::for_profile)`(`[`RelayProfile::Tor0_4_9`](super::RelayProfile)`, …)`:
/// C tor 0.4.9 counts ntor-v3 apart and its heartbeat line gains
/// `, c/d NTor (v3).` [`heartbeat`](Self::heartbeat) returns the
/// counts since the previous heartbeat and starts a new interval; assigned and dropped are
/// also kept for the relay's lifetime. Every ntor request also feeds the `overload-general`
/// assessment ([`OverloadConfig`]).
///
/// ```
/// use onionskin::HandshakeType;
/// use onionskin::relay::{HandshakeStats, Timestamp};
///
/// let mut stats = HandshakeStats::default();
/// let now = Timestamp::from_secs(60);
/// stats.note_requested(HandshakeType::TAP, now);
/// stats.note_assigned(HandshakeType::TAP);
/// stats.note_requested(HandshakeType::NTOR_V3, now); // counted as ntor
/// stats.note_dropped(HandshakeType::NTOR_V3);
/// assert_eq!(
///     stats.heartbeat().to_string(),
///     "Circuit handshake stats since last time: 1/1 TAP, 0/1 NTor."
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeStats {
    since_heartbeat: [Counts; 4],
    lifetime: [Counts; 4],
    ntor_v3_apart: bool,
    overload_config: OverloadConfig,
    assessment: Assessment,
    last_overload: Option<OverloadGeneral>,
}

impl Default for HandshakeStats {
    fn default() -> Self {
        Self::new(OverloadConfig::DEFAULT)
    }
}

impl HandshakeStats {
    /// All counts zero, ntor-v3 folded into ntor (C tor up to 0.4.8).
    #[must_use]
    pub const fn new(overload_config: OverloadConfig) -> Self {
        Self::for_profile(super::RelayProfile::Tor0_4_8, overload_config)
    }

    /// All counts zero, counting and logging as `profile`'s C tor does (ntor-v3 apart for
    /// [`RelayProfile::Tor0_4_9`](super::RelayProfile)).
    ///
    /// ```
    /// use onionskin::HandshakeType;
    /// use onionskin::relay::{HandshakeStats, OverloadConfig, RelayProfile, Timestamp};
    ///
    /// let mut stats = HandshakeStats::for_profile(RelayProfile::Tor0_4_9, OverloadConfig::DEFAULT);
    /// stats.note_requested(HandshakeType::NTOR_V3, Timestamp::ZERO);
    /// stats.note_assigned(HandshakeType::NTOR_V3);
    /// assert_eq!(
    ///     stats.heartbeat().to_string(),
    ///     "Circuit handshake stats since last time: 0/0 TAP, 0/0 NTor, 1/1 NTor (v3)."
    /// );
    /// ```
    #[must_use]
    pub const fn for_profile(
        profile: super::RelayProfile,
        overload_config: OverloadConfig,
    ) -> Self {
        let zero = Counts {
            requested: 0,
            assigned: 0,
            dropped: 0,
        };
        Self {
            since_heartbeat: [zero; 4],
            lifetime: [zero; 4],
            ntor_v3_apart: profile.counts_ntor_v3_apart(),
            overload_config,
            assessment: Assessment {
                requested: 0,
                dropped: 0,
                next_assessment: None,
            },
            last_overload: None,
        }
    }

    fn bump(&mut self, htype: HandshakeType, f: fn(&mut Counts) -> &mut u64) {
        if let Some(i) = stat_index(htype, self.ntor_v3_apart) {
            if let Some(c) = self.since_heartbeat.get_mut(i) {
                let v = f(c);
                *v = v.saturating_add(1);
            }
            if let Some(c) = self.lifetime.get_mut(i) {
                let v = f(c);
                *v = v.saturating_add(1);
            }
        }
    }

    /// A CREATE of type `htype` arrived at `now`. For ntor (and ntor-v3) this first assesses
    /// the `overload-general` signal if the assessment period has ended, returning the signal
    /// if it was raised (C tor assesses here, before counting the new request, so that the
    /// requested and dropped counts always cover the same requests).
    pub fn note_requested(
        &mut self,
        htype: HandshakeType,
        now: Timestamp,
    ) -> Option<OverloadGeneral> {
        self.bump(htype, |c| &mut c.requested);
        if !feeds_overload(htype) {
            return None;
        }
        let signal = self.assess(now);
        self.assessment.requested = self.assessment.requested.saturating_add(1);
        signal
    }

    fn assess(&mut self, now: Timestamp) -> Option<OverloadGeneral> {
        let a = &mut self.assessment;
        let mut signal = None;
        if let Some(next) = a.next_assessment {
            if next > now || a.requested < self.overload_config.min_requests {
                return None;
            }
            // dropped / requested >= scale_percent / 1000 %, in integers.
            let lhs = u128::from(a.dropped) * 100_000;
            let rhs = u128::from(a.requested) * u128::from(self.overload_config.scale_percent);
            if lhs >= rhs {
                let s = OverloadGeneral {
                    at: now,
                    dropped: a.dropped,
                    requested: a.requested,
                };
                self.last_overload = Some(s);
                signal = Some(s);
            }
        }
        *a = Assessment {
            requested: 0,
            dropped: 0,
            next_assessment: Some(now + self.overload_config.period),
        };
        signal
    }

    /// A request of type `htype` was handed to a CPU worker.
    pub fn note_assigned(&mut self, htype: HandshakeType) {
        self.bump(htype, |c| &mut c.assigned);
    }

    /// A request of type `htype` was dropped because the relay was overloaded.
    pub fn note_dropped(&mut self, htype: HandshakeType) {
        self.bump(htype, |c| &mut c.dropped);
        if feeds_overload(htype) {
            self.assessment.dropped = self.assessment.dropped.saturating_add(1);
        }
    }

    /// The most recent `overload-general` signal, if any was ever raised.
    #[must_use]
    pub const fn last_overload(&self) -> Option<OverloadGeneral> {
        self.last_overload
    }

    /// The counts since the last heartbeat, without resetting them.
    #[must_use]
    pub fn current(&self) -> Heartbeat {
        Heartbeat {
            counts: self.since_heartbeat,
            ntor_v3_apart: self.ntor_v3_apart,
        }
    }

    /// The counts since the last heartbeat; starts a new interval. Display the result for
    /// C tor's heartbeat line.
    pub fn heartbeat(&mut self) -> Heartbeat {
        let h = self.current();
        self.since_heartbeat = [Counts::default(); 4];
        h
    }

    /// Requests of `htype` assigned to a worker over the relay's lifetime (published in
    /// extra-info/metrics).
    #[must_use]
    pub fn lifetime_assigned(&self, htype: HandshakeType) -> u64 {
        stat_index(htype, self.ntor_v3_apart)
            .and_then(|i| self.lifetime.get(i))
            .map_or(0, |c| c.assigned)
    }

    /// Requests of `htype` dropped over the relay's lifetime.
    #[must_use]
    pub fn lifetime_dropped(&self, htype: HandshakeType) -> u64 {
        stat_index(htype, self.ntor_v3_apart)
            .and_then(|i| self.lifetime.get(i))
            .map_or(0, |c| c.dropped)
    }
}

/// Handshake counts over one heartbeat interval. Its `Display` is C tor's heartbeat line
/// (rephist.c `rep_hist_log_circuit_handshake_stats`), assigned/requested per family,
/// written through `core::fmt` so it needs no allocation:
///
/// - up to 0.4.8: `Circuit handshake stats since last time: a/b TAP, c/d NTor.`
/// - 0.4.9: `Circuit handshake stats since last time: a/b TAP, c/d NTor, e/f NTor (v3).`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    counts: [Counts; 4],
    ntor_v3_apart: bool,
}

impl Heartbeat {
    fn get(&self, htype: HandshakeType) -> Counts {
        stat_index(htype, self.ntor_v3_apart)
            .and_then(|i| self.counts.get(i))
            .copied()
            .unwrap_or_default()
    }

    /// Requests of `htype` received (ntor-v3 counts as ntor unless counted apart).
    #[must_use]
    pub fn requested(&self, htype: HandshakeType) -> u64 {
        self.get(htype).requested
    }

    /// Requests of `htype` handed to a worker.
    #[must_use]
    pub fn assigned(&self, htype: HandshakeType) -> u64 {
        self.get(htype).assigned
    }

    /// Requests of `htype` dropped for overload.
    #[must_use]
    pub fn dropped(&self, htype: HandshakeType) -> u64 {
        self.get(htype).dropped
    }
}

impl fmt::Display for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tap = self.get(HandshakeType::TAP);
        let ntor = self.get(HandshakeType::NTOR);
        write!(
            f,
            "Circuit handshake stats since last time: {}/{} TAP, {}/{} NTor",
            tap.assigned, tap.requested, ntor.assigned, ntor.requested
        )?;
        if self.ntor_v3_apart {
            let v3 = self.get(HandshakeType::NTOR_V3);
            write!(f, ", {}/{} NTor (v3)", v3.assigned, v3.requested)?;
        }
        f.write_str(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    const NTOR: HandshakeType = HandshakeType::NTOR;
    const TAP: HandshakeType = HandshakeType::TAP;

    #[test]
    fn heartbeat_line_matches_c_tor() {
        let mut s = HandshakeStats::default();
        let now = Timestamp::ZERO;
        assert_eq!(
            s.current().to_string(),
            "Circuit handshake stats since last time: 0/0 TAP, 0/0 NTor."
        );
        s.note_requested(TAP, now);
        s.note_assigned(TAP);
        for _ in 0..3 {
            s.note_requested(NTOR, now);
        }
        s.note_requested(HandshakeType::NTOR_V3, now);
        s.note_assigned(NTOR);
        s.note_assigned(HandshakeType::NTOR_V3);
        s.note_dropped(NTOR);
        s.note_requested(HandshakeType::FAST, now);
        let h = s.heartbeat();
        assert_eq!(
            h.to_string(),
            "Circuit handshake stats since last time: 1/1 TAP, 2/4 NTor."
        );
        assert_eq!(h.dropped(NTOR), 1);
        assert_eq!(h.requested(HandshakeType::FAST), 1);
        assert_eq!(h.requested(HandshakeType(9)), 0);
        // Reset after the heartbeat; lifetime counts stay.
        assert_eq!(
            s.heartbeat().to_string(),
            "Circuit handshake stats since last time: 0/0 TAP, 0/0 NTor."
        );
        assert_eq!(s.lifetime_assigned(NTOR), 2);
        assert_eq!(s.lifetime_dropped(NTOR), 1);
        assert_eq!(s.lifetime_dropped(TAP), 0);
    }

    /// C tor 0.4.9 (rephist.c `rep_hist_log_circuit_handshake_stats`; the format string
    /// in Debian's 0.4.9 binary): ntor-v3 has its own column, TAP stays in the line.
    #[test]
    fn heartbeat_line_of_0_4_9() {
        let mut s = HandshakeStats::for_profile(
            super::super::RelayProfile::Tor0_4_9,
            OverloadConfig::DEFAULT,
        );
        let now = Timestamp::ZERO;
        assert_eq!(
            s.current().to_string(),
            "Circuit handshake stats since last time: 0/0 TAP, 0/0 NTor, 0/0 NTor (v3)."
        );
        for _ in 0..3 {
            s.note_requested(NTOR, now);
        }
        s.note_assigned(NTOR);
        for _ in 0..5 {
            s.note_requested(HandshakeType::NTOR_V3, now);
        }
        for _ in 0..4 {
            s.note_assigned(HandshakeType::NTOR_V3);
        }
        s.note_dropped(HandshakeType::NTOR_V3);
        s.note_requested(HandshakeType::FAST, now);
        let h = s.heartbeat();
        assert_eq!(
            h.to_string(),
            "Circuit handshake stats since last time: 0/0 TAP, 1/3 NTor, 4/5 NTor (v3)."
        );
        assert_eq!(h.requested(NTOR), 3);
        assert_eq!(h.requested(HandshakeType::NTOR_V3), 5);
        assert_eq!(h.dropped(HandshakeType::NTOR_V3), 1);
        assert_eq!(s.lifetime_dropped(HandshakeType::NTOR_V3), 1);
        assert_eq!(s.lifetime_dropped(NTOR), 0);
        assert_eq!(
            s.heartbeat().to_string(),
            "Circuit handshake stats since last time: 0/0 TAP, 0/0 NTor, 0/0 NTor (v3)."
        );
    }

    /// ntor-v3 requests and drops feed the overload assessment whether or not they are
    /// counted apart: they wait in the ntor queue.
    #[test]
    fn ntor_v3_drops_feed_overload_when_counted_apart() {
        let mut s = HandshakeStats::for_profile(
            super::super::RelayProfile::Tor0_4_9,
            OverloadConfig::DEFAULT,
        );
        assert_eq!(
            s.note_requested(HandshakeType::NTOR_V3, Timestamp::ZERO),
            None
        );
        for i in 0..999 {
            s.note_requested(HandshakeType::NTOR_V3, Timestamp::ZERO);
            if i < 10 {
                s.note_dropped(HandshakeType::NTOR_V3);
            }
        }
        let got = s
            .note_requested(NTOR, Timestamp::from_secs(21_600))
            .expect("1 % dropped");
        assert_eq!((got.dropped, got.requested), (10, 1000));
    }

    #[test]
    fn live_threshold_half_a_percent_over_three_hours() {
        let cfg = OverloadConfig::with_threshold(500, Duration::from_secs(10_800));
        let run = |dropped: u64| {
            let mut s = HandshakeStats::new(cfg);
            let _ = s.note_requested(NTOR, Timestamp::ZERO);
            for i in 0..1999 {
                let _ = s.note_requested(NTOR, Timestamp::ZERO);
                if i < dropped {
                    s.note_dropped(NTOR);
                }
            }
            (
                s.note_requested(NTOR, Timestamp::from_secs(10_799)),
                s.note_requested(NTOR, Timestamp::from_secs(10_800)),
            )
        };
        // The probe at 10 799 s counts too: 11 of 2001 (0.55 %) is signalled at 3 h, not
        // before; 10 of 2001 (0.4998 %) is just below the threshold.
        let (early, late) = run(11);
        assert_eq!(early, None);
        assert_eq!(late.map(|o| (o.dropped, o.requested)), Some((11, 2001)));
        assert_eq!(run(10).1, None);
    }

    /// Drives one assessment period: `n` ntor requests of which `d` dropped, then one more
    /// request after the period ends.
    fn period(s: &mut HandshakeStats, start: u64, n: u64, d: u64) -> Option<OverloadGeneral> {
        let mut signal = None;
        for i in 0..n {
            signal = signal.or(s.note_requested(NTOR, Timestamp::from_secs(start)));
            if i < d {
                s.note_dropped(NTOR);
            }
        }
        signal.or(s.note_requested(NTOR, Timestamp::from_secs(start + 21_600)))
    }

    #[test]
    fn overload_at_one_percent() {
        let mut s = HandshakeStats::default();
        // The first request only starts the first period.
        assert_eq!(s.note_requested(NTOR, Timestamp::ZERO), None);
        // 1000 requests (incl. the first), 10 dropped: exactly 1 % -> signal.
        let got = period(&mut s, 0, 999, 10).expect("1 % of 1000 signals");
        assert_eq!((got.dropped, got.requested), (10, 1000));
        assert_eq!(got.at, Timestamp::from_secs(21_600));
        assert_eq!(s.last_overload(), Some(got));
    }

    #[test]
    fn no_overload_below_one_percent() {
        let mut s = HandshakeStats::default();
        assert_eq!(s.note_requested(NTOR, Timestamp::ZERO), None);
        assert_eq!(period(&mut s, 0, 1099, 10), None, "10/1100 < 1 %");
        assert_eq!(s.last_overload(), None);
    }

    #[test]
    fn too_few_requests_carry_over() {
        let mut s = HandshakeStats::default();
        assert_eq!(s.note_requested(NTOR, Timestamp::ZERO), None);
        // 500 requests, all dropped: too few to assess; counts carry on.
        assert_eq!(period(&mut s, 0, 499, 499), None);
        // 500 more (plus the one that probed): now 1001 requests, 499 + 0 dropped.
        let got = period(&mut s, 21_600, 499, 0).expect("assessed with 1000+ requests");
        assert_eq!(got.requested, 1000);
        assert_eq!(got.dropped, 499);
    }

    #[test]
    fn tap_drops_never_signal() {
        let mut s = HandshakeStats::default();
        for _ in 0..5000 {
            assert_eq!(s.note_requested(TAP, Timestamp::ZERO), None);
            s.note_dropped(TAP);
        }
        assert_eq!(s.note_requested(TAP, Timestamp::from_secs(99_999)), None);
    }

    #[test]
    fn configurable_threshold() {
        let mut cfg = OverloadConfig::DEFAULT;
        cfg.scale_percent = 50_000; // 50 %
        cfg.min_requests = 10;
        cfg.period = Duration::from_secs(60);
        let mut s = HandshakeStats::new(cfg);
        s.note_requested(NTOR, Timestamp::ZERO);
        for _ in 0..9 {
            s.note_requested(NTOR, Timestamp::ZERO);
            s.note_dropped(NTOR);
        }
        // 9 dropped of 10: signal at the next request after 60 s.
        assert_eq!(s.note_requested(NTOR, Timestamp::from_secs(59)), None);
        assert!(s.note_requested(NTOR, Timestamp::from_secs(60)).is_some());
    }
}
