//! A small interleaving sampler: every measurement is timed in batches with `Instant`, and
//! all measurements take turns, round after round, so that noise from the rest of the
//! machine (other processes, frequency changes) falls on all of them alike.
//!
//! On a shared machine the scheduler often takes the CPU away in the middle of a sample,
//! which adds another process's time slice to it (on the 2-core machines this was written on,
//! that made medians jump by 2×). On Linux each sample therefore reads the thread's
//! scheduler statistics (`/proc/thread-self/schedstat`) before and after: a sample during
//! which the thread was switched out is taken again, up to [`MAX_ATTEMPTS`] times; the last
//! attempt is kept with the time spent waiting for the CPU subtracted (the kernel accounts
//! that wait to the nanosecond). The report says how many samples needed either.
//!
//! Why not criterion: criterion measures one function at a time, minutes apart, so a ratio
//! between two of its figures mixes two different machine states. Here the handshakes and the
//! primitives they are compared with are sampled side by side in one process.

use crate::Error;
use crate::stats::{Summary, median};
use core::time::Duration;
use indicatif::ProgressBar;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use std::time::Instant;

/// Runs `iters` operations and returns the time they took (from a [`Stopwatch`]), leaving
/// untimed set-up (such as creating the client states a `client_finish` consumes) outside.
pub(crate) type Routine = Box<dyn FnMut(u64) -> Result<Timed, Error>>;

/// How often a sample the scheduler interrupted is taken again before it is corrected instead.
pub(crate) const MAX_ATTEMPTS: usize = 8;

/// The thread's scheduler statistics (Linux `schedstat`): CPU time, time spent waiting for a
/// CPU while runnable, and the number of times it was put on a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SchedStat {
    pub(crate) run_ns: u64,
    pub(crate) wait_ns: u64,
    pub(crate) slices: u64,
}

impl SchedStat {
    /// This thread's statistics, or `None` where the kernel does not provide them.
    pub(crate) fn now() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/thread-self/schedstat").ok()?)
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        let mut f = s.split_ascii_whitespace().map(str::parse::<u64>);
        Some(Self {
            run_ns: f.next()?.ok()?,
            wait_ns: f.next()?.ok()?,
            slices: f.next()?.ok()?,
        })
    }
}

/// One timed batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timed {
    /// Wall-clock time of the batch.
    pub(crate) elapsed: Duration,
    /// The thread was switched out during the batch.
    pub(crate) preempted: bool,
    /// Time spent runnable but waiting for a CPU during the batch.
    pub(crate) waited: Duration,
}

/// Times a batch and notices whether the scheduler interrupted it.
pub(crate) struct Stopwatch {
    sched: Option<SchedStat>,
    start: Instant,
}

impl Stopwatch {
    pub(crate) fn start() -> Self {
        let sched = SchedStat::now();
        Self {
            sched,
            start: Instant::now(),
        }
    }

    pub(crate) fn stop(self) -> Timed {
        let elapsed = self.start.elapsed();
        match (self.sched, SchedStat::now()) {
            (Some(a), Some(b)) => Timed {
                elapsed,
                preempted: a.slices != b.slices,
                waited: Duration::from_nanos(b.wait_ns.saturating_sub(a.wait_ns)),
            },
            _ => Timed {
                elapsed,
                preempted: false,
                waited: Duration::ZERO,
            },
        }
    }
}

/// One timed operation and the samples taken of it.
pub(crate) struct Measurement {
    /// Stable identifier, e.g. `ntor/relay_respond` or `prim/x25519_dalek_varbase`.
    pub(crate) id: String,
    routine: Routine,
    /// Operations per sample, chosen in the warm-up.
    pub(crate) batch: u64,
    /// Per-operation nanoseconds, one vector per round.
    pub(crate) rounds: Vec<Vec<f64>>,
    /// Attempts thrown away because the scheduler interrupted them.
    pub(crate) retaken: u64,
    /// Samples kept after [`MAX_ATTEMPTS`] interrupted attempts, with the wait subtracted.
    pub(crate) corrected: u64,
}

impl Measurement {
    pub(crate) fn new(id: impl Into<String>, routine: Routine) -> Self {
        Self {
            id: id.into(),
            routine,
            batch: 1,
            rounds: Vec::new(),
            retaken: 0,
            corrected: 0,
        }
    }

    /// All samples, in nanoseconds per operation.
    pub(crate) fn samples(&self) -> Vec<f64> {
        self.rounds.iter().flatten().copied().collect()
    }

    /// Median and spread over all samples, in microseconds per operation.
    pub(crate) fn summary_us(&self) -> Option<Summary> {
        Summary::of(&self.samples()).map(|s| s.scaled(1e-3))
    }

    /// Median per round, in nanoseconds (for ratios taken within a round).
    pub(crate) fn round_medians(&self) -> Vec<f64> {
        self.rounds.iter().filter_map(|r| median(r)).collect()
    }

    fn time(&mut self, iters: u64) -> Result<Timed, Error> {
        (self.routine)(iters)
    }

    /// One sample in nanoseconds per operation, retaken while the scheduler interrupts it.
    fn sample(&mut self) -> Result<f64, Error> {
        let mut attempt = 1;
        let t = loop {
            let t = self.time(self.batch)?;
            if !t.preempted {
                break t.elapsed;
            }
            if attempt >= MAX_ATTEMPTS {
                self.corrected += 1;
                break t.elapsed.saturating_sub(t.waited);
            }
            self.retaken += 1;
            attempt += 1;
        };
        #[allow(clippy::cast_precision_loss)] // nanosecond totals stay below 2^52
        Ok(t.as_nanos() as f64 / self.batch as f64)
    }
}

/// How long and how often to sample.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Warm-up per measurement (also calibrates the batch size).
    pub(crate) warmup: Duration,
    /// Aim for samples of about this long.
    pub(crate) target_sample: Duration,
    /// Rounds over all measurements.
    pub(crate) rounds: usize,
    /// Consecutive samples of one measurement per visit in a round.
    pub(crate) samples_per_visit: usize,
}

impl Plan {
    /// Samples each measurement ends with.
    pub(crate) fn samples(&self) -> usize {
        self.rounds * self.samples_per_visit
    }
}

/// Warms every measurement up and picks its batch size so a sample lasts about
/// `plan.target_sample`.
///
/// # Errors
/// Whatever a routine returns (a handshake that fails is a bug worth stopping for).
pub(crate) fn warm_up(ms: &mut [Measurement], plan: &Plan, bar: &ProgressBar) -> Result<(), Error> {
    for m in ms.iter_mut() {
        bar.set_message(format!("warm-up {}", m.id));
        let start = Instant::now();
        let mut iters = 1u64;
        // The fastest batch sets the estimate: a batch the scheduler interrupted is slower,
        // never faster, than the operation.
        let mut per_op = Duration::MAX;
        loop {
            let t = m.time(iters)?;
            per_op = per_op.min(t.elapsed / u32::try_from(iters).unwrap_or(u32::MAX));
            if start.elapsed() >= plan.warmup {
                break;
            }
            if t.elapsed < plan.target_sample / 2 && iters < 1 << 24 {
                iters *= 2;
            }
        }
        let per_op_ns = per_op.as_nanos().max(1);
        let batch = plan.target_sample.as_nanos().div_ceil(per_op_ns);
        m.batch = u64::try_from(batch).unwrap_or(1).clamp(1, 1 << 24);
        m.rounds = Vec::with_capacity(plan.rounds);
        bar.inc(1);
    }
    Ok(())
}

/// Samples all measurements in `plan.rounds` rounds; each round visits them in a fresh random
/// order, so no measurement always follows the same neighbour.
///
/// # Errors
/// Whatever a routine returns.
pub(crate) fn sample(
    ms: &mut [Measurement],
    plan: &Plan,
    rng: &mut ChaCha20Rng,
    bar: &ProgressBar,
) -> Result<(), Error> {
    let mut order: Vec<usize> = (0..ms.len()).collect();
    for round in 0..plan.rounds {
        shuffle(&mut order, rng);
        for &i in &order {
            let Some(m) = ms.get_mut(i) else { continue };
            bar.set_message(format!("round {}/{} {}", round + 1, plan.rounds, m.id));
            let mut samples = Vec::with_capacity(plan.samples_per_visit);
            for _ in 0..plan.samples_per_visit {
                samples.push(m.sample()?);
            }
            m.rounds.push(samples);
            bar.inc(1);
        }
    }
    Ok(())
}

/// Fisher–Yates shuffle driven by the bench's own RNG (no extra dependency).
pub(crate) fn shuffle<T>(v: &mut [T], rng: &mut impl RngCore) {
    for i in (1..v.len()).rev() {
        let bound = u64::try_from(i + 1).unwrap_or(u64::MAX);
        // Modulo bias is irrelevant for ordering measurements.
        let j = usize::try_from(rng.next_u64() % bound).unwrap_or(0);
        v.swap(i, j);
    }
}

/// Ratio `a / b` of two measurements, taken round by round (both were sampled in the same
/// round, so they saw the same machine state), then summarised over rounds.
pub(crate) fn ratio(a: &Measurement, b: &Measurement) -> Option<Summary> {
    ratio_of(&a.round_medians(), &b.round_medians(), 1.0)
}

/// Round-by-round ratio of `a` to `k * b` (for floors made of `k` primitives the like).
pub(crate) fn ratio_of(a: &[f64], b: &[f64], k: f64) -> Option<Summary> {
    let r: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(_, y)| **y > 0.0)
        .map(|(x, y)| x / (k * y))
        .collect();
    Summary::of(&r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut v: Vec<usize> = (0..50).collect();
        shuffle(&mut v, &mut rng);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted, "50 elements should not stay in order");
    }

    #[test]
    fn preempted_samples_are_retaken_then_corrected() {
        // Every attempt is interrupted: 8 attempts, then 100 µs minus 40 µs of waiting.
        let routine: Routine = Box::new(|iters| {
            Ok(Timed {
                elapsed: Duration::from_micros(100 * iters),
                preempted: true,
                waited: Duration::from_micros(40 * iters),
            })
        });
        let mut m = Measurement::new("interrupted", routine);
        let ns = m.sample().unwrap();
        assert_eq!(m.retaken, u64::try_from(MAX_ATTEMPTS - 1).unwrap());
        assert_eq!(m.corrected, 1);
        assert!((ns - 60_000.0).abs() < 1e-6);
    }

    #[test]
    fn schedstat_parses() {
        let s = SchedStat::parse("99246 3523960 2\n").unwrap();
        assert_eq!((s.run_ns, s.wait_ns, s.slices), (99_246, 3_523_960, 2));
        assert!(SchedStat::parse("1 2").is_none());
        assert!(SchedStat::parse("a b c").is_none());
    }

    #[test]
    fn ratio_by_round() {
        let r = ratio_of(&[200.0, 220.0, 180.0], &[100.0, 100.0, 100.0], 1.0).unwrap();
        assert!((r.median - 2.0).abs() < 1e-12);
        assert!((r.min - 1.8).abs() < 1e-12);
        let r2 = ratio_of(&[200.0], &[50.0], 2.0).unwrap();
        assert!((r2.median - 2.0).abs() < 1e-12);
        assert!(ratio_of(&[1.0], &[0.0], 1.0).is_none());
    }

    #[test]
    fn warm_up_and_sample_fill_rounds() {
        let routine: Routine = Box::new(move |iters| {
            // Pretend each operation takes 1 µs; no real time passes in the maths.
            Ok(Timed {
                elapsed: Duration::from_micros(iters),
                preempted: false,
                waited: Duration::ZERO,
            })
        });
        let mut ms = vec![Measurement::new("fake", routine)];
        let plan = Plan {
            warmup: Duration::from_millis(1),
            target_sample: Duration::from_micros(100),
            rounds: 3,
            samples_per_visit: 4,
        };
        let bar = ProgressBar::hidden();
        warm_up(&mut ms, &plan, &bar).unwrap();
        assert_eq!(ms[0].batch, 100);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        sample(&mut ms, &plan, &mut rng, &bar).unwrap();
        assert_eq!(ms[0].rounds.len(), 3);
        assert_eq!(ms[0].samples().len(), plan.samples());
        let s = ms[0].summary_us().unwrap();
        assert!((s.median - 1.0).abs() < 1e-9);
    }
}
