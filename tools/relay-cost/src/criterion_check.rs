//! `--compare-criterion`: puts this run's medians next to the criterion benches'
//! (`cargo bench --bench handshakes` and `--bench x25519`, read from `<target dir>/criterion/*/new/estimates.json`),
//! so anyone can check that the two agree.
//!
//! Criterion times wall-clock samples of many iterations and cannot tell when the scheduler
//! took the CPU away, so on a busy machine its figures run high; compare on a quiet one.
//! Relay respond and client finish here include deriving the circuit keys, which criterion's
//! benches leave out; for CREATE_FAST, where that is most of the work, the criterion figure is
//! the sum of its `relay_respond` (or `client_finish`) and `circuit_keys`.

use crate::report::Report;
use std::path::Path;

/// One figure of this report and the criterion benchmarks that measure the same thing.
struct Pair {
    ours: &'static str,
    criterion: &'static [&'static str],
}

const PAIRS: &[Pair] = &[
    Pair {
        ours: "TAP/client_create",
        criterion: &["tap/client_create"],
    },
    Pair {
        ours: "TAP/relay_respond",
        criterion: &["tap/relay_respond"],
    },
    Pair {
        ours: "TAP/client_finish",
        criterion: &["tap/client_finish"],
    },
    Pair {
        ours: "ntor/client_create",
        criterion: &["ntor/client_start"],
    },
    Pair {
        ours: "ntor/relay_respond",
        criterion: &["ntor/relay_respond"],
    },
    Pair {
        ours: "ntor/client_finish",
        criterion: &["ntor/client_finish"],
    },
    Pair {
        ours: "ntor-v3/client_create",
        criterion: &["ntor_v3/client_start"],
    },
    Pair {
        ours: "ntor-v3/relay_respond",
        criterion: &["ntor_v3/relay_respond"],
    },
    Pair {
        ours: "ntor-v3/client_finish",
        criterion: &["ntor_v3/client_finish"],
    },
    Pair {
        ours: "CREATE_FAST/client_create",
        criterion: &["create_fast/client_start"],
    },
    Pair {
        ours: "CREATE_FAST/relay_respond",
        criterion: &["create_fast/relay_respond", "create_fast/circuit_keys"],
    },
    Pair {
        ours: "CREATE_FAST/client_finish",
        criterion: &["create_fast/client_finish", "create_fast/circuit_keys"],
    },
    Pair {
        ours: "prim/x25519_dalek_varbase",
        criterion: &["ntor/x25519_varbase"],
    },
    Pair {
        ours: "prim/onionskin_x25519_base",
        criterion: &["x25519/base"],
    },
    Pair {
        ours: "prim/onionskin_x25519_base_and_pair",
        criterion: &["x25519/base_and_pair"],
    },
    Pair {
        ours: "prim/onionskin_x25519_varbase",
        criterion: &["x25519/single"],
    },
    Pair {
        ours: "prim/crypto_bigint_modexp_1024_320",
        criterion: &["tap/yardstick_crypto_bigint_modexp_1024_e320"],
    },
    Pair {
        ours: "prim/tap_rsa1024_crt_private",
        criterion: &["tap/rsa1024_crt_private_op"],
    },
    Pair {
        ours: "prim/tap_dh1024_keygen",
        criterion: &["tap/dh_keygen_g_y"],
    },
    Pair {
        ours: "prim/tap_dh1024_shared",
        criterion: &["tap/dh_shared_secret_X_y"],
    },
];

/// One compared figure, in microseconds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) figure: &'static str,
    pub(crate) criterion: String,
    pub(crate) ours_us: f64,
    pub(crate) criterion_us: f64,
}

impl Row {
    pub(crate) fn ratio(&self) -> f64 {
        self.ours_us / self.criterion_us
    }
}

/// Criterion's median estimate for one benchmark, in µs.
fn criterion_median_us(dir: &Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join(id).join("new").join("estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.pointer("/median/point_estimate")?
        .as_f64()
        .map(|ns| ns * 1e-3)
}

/// Our median for a figure id (`<handshake>/<op>` or `prim/...`), in µs.
fn our_median_us(r: &Report, id: &str) -> Option<f64> {
    if let Some(p) = r.primitives.iter().find(|p| p.primitive.id == id) {
        return Some(p.summary.median);
    }
    let (name, op) = id.split_once('/')?;
    let h = r.handshakes.iter().find(|h| h.name == name)?;
    Some(match op {
        "client_create" => h.create.median,
        "relay_respond" => h.respond.median,
        "client_finish" => h.finish.median,
        _ => return None,
    })
}

/// Every figure both this report and the criterion results in `dir` have.
pub(crate) fn compare(r: &Report, dir: &Path) -> Vec<Row> {
    PAIRS
        .iter()
        .filter_map(|p| {
            let criterion_us = p
                .criterion
                .iter()
                .map(|c| criterion_median_us(dir, c))
                .sum::<Option<f64>>()?;
            Some(Row {
                figure: p.ours,
                criterion: p.criterion.join(" + "),
                ours_us: our_median_us(r, p.ours)?,
                criterion_us,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_median() {
        let dir = std::env::temp_dir().join(format!("relay_cost_crit_{}", std::process::id()));
        let est = dir.join("ntor").join("relay_respond").join("new");
        std::fs::create_dir_all(&est).unwrap();
        std::fs::write(
            est.join("estimates.json"),
            r#"{"mean":{"point_estimate":170000.0},"median":{"point_estimate":161008.5}}"#,
        )
        .unwrap();
        let got = criterion_median_us(&dir, "ntor/relay_respond").unwrap();
        assert!((got - 161.0085).abs() < 1e-9);
        assert!(criterion_median_us(&dir, "ntor/client_finish").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_pair_names_a_figure_of_the_report() {
        for p in PAIRS {
            let (h, op) = p.ours.split_once('/').unwrap();
            assert!(
                h == "prim" && crate::floor::primitives().iter().any(|x| x.id == p.ours)
                    || crate::report::ALL.contains(&h)
                        && ["client_create", "relay_respond", "client_finish"].contains(&op),
                "{}",
                p.ours
            );
        }
    }
}
