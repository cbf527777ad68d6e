//! Order statistics over timing samples: median and spread, no distribution assumed.
//!
//! Timings on a shared machine have a long right tail (preemption, frequency changes), so the
//! report gives medians and quantiles rather than means and standard deviations.

/// Summary of one set of samples (per-operation times in nanoseconds, or ratios).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Summary {
    /// Number of samples.
    pub(crate) n: usize,
    /// Smallest sample.
    pub(crate) min: f64,
    /// 10th percentile.
    pub(crate) p10: f64,
    /// First quartile.
    pub(crate) q1: f64,
    /// Median.
    pub(crate) median: f64,
    /// Third quartile.
    pub(crate) q3: f64,
    /// 90th percentile.
    pub(crate) p90: f64,
    /// Largest sample.
    pub(crate) max: f64,
    /// Arithmetic mean (for reference; the report leads with the median).
    pub(crate) mean: f64,
}

impl Summary {
    /// Summarises `samples`; `None` if there are none or any is not finite.
    pub(crate) fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() || samples.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let q = |p| quantile_sorted(&sorted, p);
        Some(Self {
            n: sorted.len(),
            min: *sorted.first()?,
            p10: q(0.10)?,
            q1: q(0.25)?,
            median: q(0.50)?,
            q3: q(0.75)?,
            p90: q(0.90)?,
            max: *sorted.last()?,
            #[allow(clippy::cast_precision_loss)] // sample counts are far below 2^52
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        })
    }

    /// Every figure multiplied by `k` (e.g. nanoseconds to microseconds).
    pub(crate) fn scaled(&self, k: f64) -> Self {
        Self {
            n: self.n,
            min: self.min * k,
            p10: self.p10 * k,
            q1: self.q1 * k,
            median: self.median * k,
            q3: self.q3 * k,
            p90: self.p90 * k,
            max: self.max * k,
            mean: self.mean * k,
        }
    }
}

/// Quantile `p` (0..=1) of sorted data, interpolating linearly between order statistics
/// (Hyndman and Fan type 7, the default of R and NumPy).
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 <= lo < len
    let i = lo as usize;
    let a = *sorted.get(i)?;
    let b = sorted.get(i + 1).copied().unwrap_or(a);
    Some(a + (h - lo) * (b - a))
}

/// Median of unsorted data.
pub(crate) fn median(samples: &[f64]) -> Option<f64> {
    Summary::of(samples).map(|s| s.median)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_one_to_five() {
        let s = Summary::of(&[5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.q1, 2.0);
        assert_eq!(s.q3, 4.0);
        assert_eq!(s.max, 5.0);
        assert!((s.p10 - 1.4).abs() < 1e-12);
        assert!((s.p90 - 4.6).abs() < 1e-12);
        assert!((s.mean - 3.0).abs() < 1e-12);
    }

    #[test]
    fn even_count_median_interpolates() {
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), Some(2.5));
    }

    #[test]
    fn outlier_moves_mean_not_median() {
        let mut v = vec![100.0; 99];
        v.push(1e6);
        let s = Summary::of(&v).unwrap();
        assert_eq!(s.median, 100.0);
        assert!(s.mean > 10_000.0);
        assert_eq!(s.q3 - s.q1, 0.0);
    }

    #[test]
    fn rejects_empty_and_nan() {
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
        assert!(quantile_sorted(&[1.0], 1.5).is_none());
    }

    #[test]
    fn scaling_scales_everything() {
        let s = Summary::of(&[1000.0, 2000.0, 3000.0]).unwrap().scaled(1e-3);
        assert_eq!(s.median, 2.0);
        assert_eq!(s.max, 3.0);
        assert_eq!(s.n, 3);
    }
}
