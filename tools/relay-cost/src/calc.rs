//! The calibrated capacity model: measured handshake costs turned into the client count at
//! which a relay of a given rank in the network is full. Shared by the relay cost report
//! (`cargo run --release -p relay-cost`) and the surge simulation (`cargo run --release -p surge`),
//! which takes the handshake rate a relay of a chosen rank sees from here.
//!
//! # Model
//!
//! 1. **Relays and their shares.** `relays` relays; the one of rank `r` (1 = busiest) carries
//!    a share `r^-a / Σ k^-a` of all handshakes (a Zipf law over ranks: clients pick relays
//!    weighted by bandwidth, dir-spec "bandwidth-weights"). The exponent `a` is solved from
//!    one documented number: the share of all handshakes the top 1 % of relays carry. A relay
//!    is assumed to carry its share in every position (the bandwidth-weights aim at equal
//!    load per unit of bandwidth in each position), so its position decides which handshake
//!    a hop costs, not how many hops it sees.
//! 2. **Circuits per client-hour.** Ordinary circuits (`circuits_per_client_hour`, times the
//!    `exploratory_factor` for preemptive and build-time-measurement circuits), each of `hops`
//!    hops: the first hop is the guard position, the last the exit, the rest middle.
//!    Onion-service rendezvous (`rendezvous_per_client_hour`, times the `retry_factor` for
//!    failed attempts tried again), each costing, per rend-spec (v2 in 2013, v3 today) and
//!    C tor's path lengths: the client's descriptor fetch (3 hops + HSDir), introduction
//!    circuit (3 hops + introduction point) and rendezvous circuit (3 hops, the last the
//!    rendezvous point), and the service's circuit to the rendezvous point (3 hops + the
//!    rendezvous point): 4 circuits, 15 handshakes, 4 of them first hops.
//! 3. **Cost of a hop.** A first hop is CREATE_FAST when `fast_first_hop` (clients before
//!    0.3.1.1-alpha), otherwise an onion skin; every other hop is an onion skin of the
//!    population's handshake (TAP, ntor, ntor-v3 or a TAP/ntor mix). Each handshake costs the
//!    relay respond median measured in this run, times the hardware profile's `cost_scale`.
//! 4. **Capacity.** A relay has `cores` cores, of which `handshake_cpu_share` is left for
//!    handshakes beside TLS, relay-cell crypto and everything else tor does; it is full when
//!    its handshakes need all of that. Load is linear in clients, so saturation is a division.
//!
//! Every number above is an [`Assumption`] with its source, printed in the report and its JSON.

/// The relay-side cost of each handshake kind, in seconds of one core.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Costs {
    pub(crate) tap: Option<f64>,
    pub(crate) ntor: Option<f64>,
    pub(crate) ntor_v3: Option<f64>,
    pub(crate) fast: Option<f64>,
}

impl Costs {
    /// Every cost times `k`.
    fn scaled(&self, k: f64) -> Self {
        Self {
            tap: self.tap.map(|c| c * k),
            ntor: self.ntor.map(|c| c * k),
            ntor_v3: self.ntor_v3.map(|c| c * k),
            fast: self.fast.map(|c| c * k),
        }
    }
}

/// Which onion skins a population of clients sends (the first hop aside).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Population {
    /// Every onion skin is TAP (2013 before ntor).
    TapOnly,
    /// This share of onion skins is TAP, the rest ntor (2013: TAP-only bots, ntor users).
    Mixed(f64),
    /// Every onion skin is ntor.
    NtorOnly,
    /// Every onion skin is ntor-v3 (today's clients).
    NtorV3Only,
    /// The mixed population at a relay that serves ntor first (`NumNTorsPerTAP` ntor per
    /// TAP, 0.2.4.17-rc): the ntor users are served until their own onion skins, plus the
    /// one TAP served per `NumNTorsPerTAP` ntors, fill the relay; the TAP excess is dropped.
    /// Its saturation point is where the ntor users start losing requests.
    MixedNtorFirst(f64),
}

/// C tor's `NumNTorsPerTAP` default, for [`Population::MixedNtorFirst`].
pub(crate) const NTORS_PER_TAP: f64 = 10.0;

impl Population {
    pub(crate) fn label(self) -> String {
        match self {
            Self::TapOnly => "TAP-only".to_owned(),
            Self::Mixed(s) => format!("mixed ({:.0} % TAP)", s * 100.0),
            Self::NtorOnly => "ntor-only".to_owned(),
            Self::NtorV3Only => "ntor-v3-only".to_owned(),
            Self::MixedNtorFirst(_) => "mixed, ntor first".to_owned(),
        }
    }

    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::TapOnly => "tap_only",
            Self::Mixed(_) => "mixed",
            Self::NtorOnly => "ntor_only",
            Self::NtorV3Only => "ntor_v3_only",
            Self::MixedNtorFirst(_) => "mixed_ntor_first",
        }
    }

    /// Mean relay cost of one onion skin, if the handshakes it needs were measured.
    pub(crate) fn onion_skin_cost(self, c: &Costs) -> Option<f64> {
        match self {
            Self::TapOnly => c.tap,
            Self::NtorOnly => c.ntor,
            Self::NtorV3Only => c.ntor_v3,
            Self::Mixed(s) if s <= 0.0 => c.ntor,
            Self::Mixed(s) if s >= 1.0 => c.tap,
            Self::Mixed(s) => Some(s * c.tap? + (1.0 - s) * c.ntor?),
            // The work done while every ntor is served: all ntor skins, and TAP only up to
            // one per NumNTorsPerTAP ntors.
            Self::MixedNtorFirst(s) => {
                let s = s.clamp(0.0, 1.0);
                let ntor = 1.0 - s;
                let tap = s.min(ntor / NTORS_PER_TAP);
                Some(ntor * c.ntor? + if tap > 0.0 { tap * c.tap? } else { 0.0 })
            }
        }
    }
}

/// Which world the model describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Era {
    /// Autumn 2013: the botnet surge against C tor 0.2.4.
    Y2013,
    /// Today: C tor 0.4.9 relays, ntor-v3 clients.
    Today,
}

impl Era {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Y2013 => "2013",
            Self::Today => "today",
        }
    }
}

/// How a handshake's cost on the modelled relay is derived from this run's measurements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CostBasis {
    /// The medians measured in this run, unchanged.
    Measured,
    /// Every measured cost scaled by one factor so that TAP costs this many seconds; the
    /// ratios between handshakes stay as measured.
    TapAt(f64),
}

/// The model's inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Model {
    pub(crate) era: Era,
    /// Relays in the consensus.
    pub(crate) relays: f64,
    /// Share of all handshakes carried by the top 1 % of relays.
    pub(crate) top1_share: f64,
    /// Hops of an ordinary circuit.
    pub(crate) hops: u32,
    /// Ordinary circuits a client builds per hour.
    pub(crate) circuits_per_client_hour: f64,
    /// Multiplier on ordinary circuits for preemptive and build-timeout measurement circuits.
    pub(crate) exploratory_factor: f64,
    /// Onion-service rendezvous a client makes per hour.
    pub(crate) rendezvous_per_client_hour: f64,
    /// Rendezvous attempts per rendezvous wanted (failed attempts retried).
    pub(crate) retry_factor: f64,
    /// The first hop is CREATE_FAST.
    pub(crate) fast_first_hop: bool,
    /// TAP share of onion skins in the mixed population.
    pub(crate) tap_share: f64,
    /// Cores of the modelled relay.
    pub(crate) cores: u32,
    /// Share of the relay's CPU left for handshakes.
    pub(crate) handshake_cpu_share: f64,
    /// Hardware profile of the handshake costs.
    pub(crate) cost_basis: CostBasis,
    /// Client count at which the loads are shown.
    pub(crate) clients: f64,
    /// Guards each client uses (only for the connection count a guard sees).
    pub(crate) guards_per_client: f64,
}

/// Handshakes of one onion-service rendezvous, per rend-spec and C tor's path lengths.
pub(crate) const RENDEZVOUS_CIRCUITS: [(&str, u32); 4] = [
    ("client descriptor fetch (3 hops + HSDir)", 4),
    (
        "client introduction circuit (3 hops + introduction point)",
        4,
    ),
    (
        "client rendezvous circuit (3 hops, the last the rendezvous point)",
        3,
    ),
    (
        "service circuit to the rendezvous point (3 hops + rendezvous point)",
        4,
    ),
];

/// Relays of interest, by rank: (label, key, rank as a fraction of the relay count).
pub(crate) const PERCENTILES: [(&str, &str, f64); 3] = [
    ("median relay", "median", 0.5),
    ("top 10 % relay", "top_10_percent", 0.1),
    ("top 1 % relay", "top_1_percent", 0.01),
];

impl Model {
    /// The 2013 surge. Fitted values are marked so in [`Model::assumptions`].
    pub(crate) fn y2013() -> Self {
        Self {
            era: Era::Y2013,
            relays: 4000.0,
            top1_share: 0.06,
            hops: 3,
            circuits_per_client_hour: 6.0,
            exploratory_factor: 1.5,
            rendezvous_per_client_hour: 6.0,
            retry_factor: 18.0,
            fast_first_hop: true,
            tap_share: 0.9,
            cores: 2,
            handshake_cpu_share: 0.5,
            cost_basis: CostBasis::TapAt(1e-3),
            clients: 5_000_000.0,
            guards_per_client: 3.0,
        }
    }

    /// Today's network, with this machine's measured costs.
    pub(crate) fn today(cores: u32) -> Self {
        Self {
            era: Era::Today,
            relays: 8000.0,
            top1_share: 0.06,
            hops: 3,
            circuits_per_client_hour: 6.0,
            exploratory_factor: 1.5,
            rendezvous_per_client_hour: 0.5,
            retry_factor: 1.2,
            fast_first_hop: false,
            tap_share: 0.0,
            cores,
            handshake_cpu_share: 0.5,
            cost_basis: CostBasis::Measured,
            clients: 2_500_000.0,
            guards_per_client: 1.0,
        }
    }

    /// The Zipf exponent that gives the top 1 % of relays `top1_share` of the load.
    pub(crate) fn zipf_exponent(&self) -> f64 {
        let n = self.relays.max(1.0).round();
        let k = (n / 100.0).round().max(1.0);
        let share = |a: f64| partial_zeta(k, a) / partial_zeta(n, a);
        let target = self.top1_share.clamp(0.0, 1.0);
        if target <= share(0.0) {
            return 0.0;
        }
        let (mut lo, mut hi) = (0.0_f64, 8.0_f64);
        if share(hi) <= target {
            return hi;
        }
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if share(mid) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// The relays' shares of all handshakes, by rank.
    pub(crate) fn rank_shares(&self) -> RankShares {
        let exponent = self.zipf_exponent();
        let relays = self.relays.max(1.0).round();
        RankShares {
            exponent,
            relays,
            norm: partial_zeta(relays, exponent),
        }
    }

    /// Handshakes per client-hour over the whole network, by position.
    pub(crate) fn hops_per_client_hour(&self) -> Hops {
        let ordinary = self.circuits_per_client_hour * self.exploratory_factor;
        let rendezvous = self.rendezvous_per_client_hour * self.retry_factor;
        let rv_circuits = f64::from(u32::try_from(RENDEZVOUS_CIRCUITS.len()).unwrap_or(0));
        let rv_hops: f64 = RENDEZVOUS_CIRCUITS.iter().map(|(_, h)| f64::from(*h)).sum();
        let hops = f64::from(self.hops);
        let exit = if self.hops >= 2 { ordinary } else { 0.0 };
        let guard = ordinary + rendezvous * rv_circuits;
        let total = ordinary * hops + rendezvous * rv_hops;
        Hops {
            guard,
            middle: total - guard - exit,
            exit,
            ordinary_circuits: ordinary,
            rendezvous_attempts: rendezvous,
        }
    }

    /// The costs this model charges, from this run's measurements.
    pub(crate) fn costs(&self, measured: &Costs) -> Option<Costs> {
        match self.cost_basis {
            CostBasis::Measured => Some(*measured),
            CostBasis::TapAt(t) => Some(measured.scaled(t / measured.tap?)),
        }
    }

    /// Core-seconds per second a relay carrying `share` of the network needs per client.
    fn cpu_per_client(&self, share: f64, costs: &Costs, p: Population) -> Option<f64> {
        let h = self.hops_per_client_hour();
        let skin = p.onion_skin_cost(costs)?;
        let first = if self.fast_first_hop {
            costs.fast?
        } else {
            skin
        };
        Some(share * (h.guard * first + (h.middle + h.exit) * skin) / 3600.0)
    }

    /// Core-seconds per second the relay can give to handshakes.
    pub(crate) fn handshake_cores(&self) -> f64 {
        f64::from(self.cores) * self.handshake_cpu_share
    }

    /// The capacity table: for each relay percentile and population, the load and the
    /// client count at which the relay is full.
    pub(crate) fn table(&self, measured: &Costs) -> Table {
        let costs = self.costs(measured);
        let n = self.relays.max(1.0).round();
        let shares = self.rank_shares();
        let h = self.hops_per_client_hour();
        let hs_per_client_s = (h.guard + h.middle + h.exit) / 3600.0;
        let rows = PERCENTILES
            .iter()
            .map(|&(label, key, q)| {
                let rank = (q * n).round().max(1.0);
                let share = shares.at(rank);
                let cells = self
                    .populations()
                    .into_iter()
                    .map(|p| {
                        let per_client = costs.and_then(|c| self.cpu_per_client(share, &c, p));
                        Cell {
                            population: p,
                            cores_per_client: per_client,
                            saturation_clients: per_client.map(|x| {
                                if x > 0.0 {
                                    self.handshake_cores() / x
                                } else {
                                    f64::INFINITY
                                }
                            }),
                            load_at_clients: per_client
                                .map(|x| x * self.clients / self.handshake_cores()),
                        }
                    })
                    .collect();
                Row {
                    label,
                    key,
                    rank,
                    share,
                    handshakes_per_s: share * hs_per_client_s * self.clients,
                    guard_connections: share * self.clients * self.guards_per_client,
                    cells,
                }
            })
            .collect();
        Table {
            model: *self,
            zipf_exponent: shares.exponent,
            hops: h,
            costs,
            rows,
        }
    }

    /// The populations the table always shows, in order.
    pub(crate) fn populations(&self) -> [Population; 5] {
        [
            Population::TapOnly,
            Population::Mixed(self.tap_share),
            Population::MixedNtorFirst(self.tap_share),
            Population::NtorOnly,
            Population::NtorV3Only,
        ]
    }

    /// Every input with its value, unit and source, for the report and its JSON.
    pub(crate) fn assumptions(&self) -> Vec<Assumption> {
        let y13 = self.era == Era::Y2013;
        let a = self.zipf_exponent();
        let mut v = vec![
            Assumption {
                key: "relays",
                value: self.relays,
                unit: "relays",
                source: if y13 {
                    "observed: about 4,000 relays in the 2013 consensus (Tor Metrics)"
                } else {
                    "assumption: about 8,000 relays in today's consensus (Tor Metrics order of magnitude)"
                },
            },
            Assumption {
                key: "top1_share",
                value: self.top1_share,
                unit: "share of all handshakes carried by the top 1 % of relays",
                source: if y13 {
                    "fitted: with it the top 1 % relay is full at ~3 million TAP-only clients (2013: users grew from ~0.5 to 4-5.5 million within weeks and the busiest relays were full, the rest were not)"
                } else {
                    "assumption: the same concentration as in 2013"
                },
            },
            Assumption {
                key: "zipf_exponent",
                value: a,
                unit: "exponent a of share(rank) ∝ rank^-a",
                source: "derived from relays and top1_share",
            },
            Assumption {
                key: "hops",
                value: f64::from(self.hops),
                unit: "hops per ordinary circuit",
                source: "tor-spec / path-spec: 3-hop circuits",
            },
            Assumption {
                key: "circuits_per_client_hour",
                value: self.circuits_per_client_hour,
                unit: "ordinary circuits per client-hour",
                source: "assumption: one new circuit per MaxCircuitDirtiness (10 min) of use",
            },
            Assumption {
                key: "exploratory_factor",
                value: self.exploratory_factor,
                unit: "× ordinary circuits (preemptive and build-timeout measurement circuits)",
                source: "assumption: path-spec 2.1 preemptive circuits and circuit build-timeout testing add half again",
            },
            Assumption {
                key: "rendezvous_per_client_hour",
                value: self.rendezvous_per_client_hour,
                unit: "onion-service rendezvous per client-hour",
                source: if y13 {
                    "assumption: the 2013 botnet reached its command servers over an onion service, about every 10 min per bot"
                } else {
                    "assumption: a small share of clients use onion services"
                },
            },
            Assumption {
                key: "retry_factor",
                value: self.retry_factor,
                unit: "rendezvous attempts per rendezvous wanted",
                source: if y13 {
                    "fitted: with it a guard is full when ~9,000 clients are connected to it (2013: a guard operator reported 100 % CPU at about 9,000 connections); a guard's connections at saturation = guards_per_client × 3600 × handshake cores / handshake core-seconds per client-hour, whatever its rank"
                } else {
                    "assumption: few failures on a healthy network"
                },
            },
            Assumption {
                key: "rendezvous_handshakes",
                value: RENDEZVOUS_CIRCUITS.iter().map(|(_, h)| f64::from(*h)).sum(),
                unit: "handshakes per rendezvous attempt, 4 of them first hops",
                source: "rend-spec: descriptor fetch, introduction and rendezvous circuits of the client, the service's circuit to the rendezvous point",
            },
            Assumption {
                key: "fast_first_hop",
                value: if self.fast_first_hop { 1.0 } else { 0.0 },
                unit: "1 = the first hop is CREATE_FAST",
                source: if y13 {
                    "2013 clients used CREATE_FAST to their guard (until 0.3.1.1-alpha)"
                } else {
                    "clients since 0.3.1.1-alpha send an onion skin to their guard"
                },
            },
            Assumption {
                key: "tap_share",
                value: self.tap_share,
                unit: "TAP share of onion skins in the mixed population",
                source: if y13 {
                    "observed: ~0.5 million ntor-capable users against ~4.5 million TAP-only bots"
                } else {
                    "C tor 0.4.9 relays refuse TAP"
                },
            },
            Assumption {
                key: "cores",
                value: f64::from(self.cores),
                unit: "cores of the modelled relay",
                source: if y13 {
                    "assumption: a 2-core relay server of 2013"
                } else {
                    "this machine's logical cores, or --cores"
                },
            },
            Assumption {
                key: "handshake_cpu_share",
                value: self.handshake_cpu_share,
                unit: "share of the relay's CPU left for handshakes",
                source: "assumption: TLS, relay-cell crypto and the main loop take the other half",
            },
            Assumption {
                key: "clients",
                value: self.clients,
                unit: "clients at which loads are shown",
                source: if y13 {
                    "observed: 4-5.5 million direct users at the 2013 peak"
                } else {
                    "assumption: about 2.5 million daily users"
                },
            },
            Assumption {
                key: "guards_per_client",
                value: self.guards_per_client,
                unit: "guards per client (for a guard's connection count)",
                source: if y13 {
                    "C tor 0.2.4: NumEntryGuards 3"
                } else {
                    "C tor since 0.3.0: one primary guard in use"
                },
            },
        ];
        v.push(match self.cost_basis {
            CostBasis::Measured => Assumption {
                key: "cost_basis_tap_us",
                value: 0.0,
                unit: "0 = this run's measured costs",
                source: "relay respond medians of this run, on this machine",
            },
            CostBasis::TapAt(t) => Assumption {
                key: "cost_basis_tap_us",
                value: t * 1e6,
                unit: "µs per TAP; other handshakes scaled by this run's measured ratios",
                source: "assumption: 2013 relays with OpenSSL 1.0.1 took ~1 ms per TAP, C tor's own prior for an unmeasured onion skin (cpuworker.c estimated_usec_for_onionskins)",
            },
        });
        v
    }
}

/// Share of all handshakes by relay rank: `rank^-exponent / norm`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RankShares {
    pub(crate) exponent: f64,
    pub(crate) relays: f64,
    norm: f64,
}

impl RankShares {
    /// The share the relay at `rank` (1 = busiest) carries.
    pub(crate) fn at(&self, rank: f64) -> f64 {
        rank.clamp(1.0, self.relays).powf(-self.exponent) / self.norm
    }
}

/// Σ_{k=1..n} k^-a.
fn partial_zeta(n: f64, a: f64) -> f64 {
    let mut s = 0.0;
    let mut k = 1.0;
    while k <= n {
        s += k.powf(-a);
        k += 1.0;
    }
    s
}

/// Network-wide handshakes per client-hour, by position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Hops {
    pub(crate) guard: f64,
    pub(crate) middle: f64,
    pub(crate) exit: f64,
    pub(crate) ordinary_circuits: f64,
    pub(crate) rendezvous_attempts: f64,
}

/// One input of the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Assumption {
    pub(crate) key: &'static str,
    pub(crate) value: f64,
    pub(crate) unit: &'static str,
    pub(crate) source: &'static str,
}

/// One population at one relay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cell {
    pub(crate) population: Population,
    /// Handshake core-seconds per second per client.
    pub(crate) cores_per_client: Option<f64>,
    /// Clients at which the relay's handshake cores are full.
    pub(crate) saturation_clients: Option<f64>,
    /// Share of the handshake cores in use at the model's client count.
    pub(crate) load_at_clients: Option<f64>,
}

/// One relay percentile.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) label: &'static str,
    pub(crate) key: &'static str,
    pub(crate) rank: f64,
    pub(crate) share: f64,
    /// Handshakes per second at the model's client count.
    pub(crate) handshakes_per_s: f64,
    /// Client connections if the relay is a guard, at the model's client count.
    pub(crate) guard_connections: f64,
    pub(crate) cells: Vec<Cell>,
}

/// The capacity table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    pub(crate) model: Model,
    pub(crate) zipf_exponent: f64,
    pub(crate) hops: Hops,
    /// The costs charged (after the hardware profile), if TAP was measured where needed.
    pub(crate) costs: Option<Costs>,
    pub(crate) rows: Vec<Row>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Roughly the README's measured costs (µs): TAP 354, ntor 58.8, ntor-v3 61.1, FAST 0.635.
    fn measured() -> Costs {
        Costs {
            tap: Some(354e-6),
            ntor: Some(58.8e-6),
            ntor_v3: Some(61.1e-6),
            fast: Some(0.635e-6),
        }
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs())
    }

    #[test]
    fn zipf_exponent_meets_the_top_share() {
        for top in [0.05, 0.2, 0.5] {
            let m = Model {
                top1_share: top,
                ..Model::y2013()
            };
            let sh = m.rank_shares();
            let carried: f64 = (1..=40).map(|r| sh.at(f64::from(r))).sum();
            assert!(close(carried, top, 1e-6), "{top}: {carried}");
            let all: f64 = (1..=4000).map(|r| sh.at(f64::from(r))).sum();
            assert!(close(all, 1.0, 1e-9));
        }
        // An even spread is exponent 0: every relay carries 1/N.
        let even = Model {
            top1_share: 0.01,
            ..Model::y2013()
        };
        assert_eq!(even.zipf_exponent(), 0.0);
        assert!(close(even.rank_shares().at(1.0), 1.0 / 4000.0, 1e-12));
    }

    #[test]
    fn rendezvous_and_positions_by_hand() {
        let m = Model {
            circuits_per_client_hour: 2.0,
            exploratory_factor: 1.5,
            rendezvous_per_client_hour: 1.0,
            retry_factor: 2.0,
            ..Model::y2013()
        };
        let h = m.hops_per_client_hour();
        // 3 ordinary circuits (9 hops), 2 rendezvous attempts (8 circuits, 30 hops).
        assert!(close(h.guard, 3.0 + 8.0, 1e-12));
        assert!(close(h.exit, 3.0, 1e-12));
        assert!(close(h.guard + h.middle + h.exit, 9.0 + 30.0, 1e-12));
    }

    #[test]
    fn saturation_by_hand() {
        // One relay, 1 circuit per client-hour of 3 TAP hops at 1 ms, 2 cores at half share.
        let m = Model {
            relays: 1.0,
            top1_share: 1.0,
            circuits_per_client_hour: 1.0,
            exploratory_factor: 1.0,
            rendezvous_per_client_hour: 0.0,
            fast_first_hop: false,
            cost_basis: CostBasis::TapAt(1e-3),
            ..Model::y2013()
        };
        let t = m.table(&measured());
        let cell = t.rows[0].cells[0];
        assert_eq!(cell.population, Population::TapOnly);
        // 3 ms per client-hour; 1 core-second per second: 1.2 million clients.
        assert!(close(cell.saturation_clients.unwrap(), 1.2e6, 1e-9));
    }

    #[test]
    fn ntor_first_mix_by_hand() {
        let c = measured();
        // 90 % TAP: ntor users' 10 % of skins and one TAP per ten of them (1 %).
        let got = Population::MixedNtorFirst(0.9).onion_skin_cost(&c).unwrap();
        assert!(close(got, 0.1 * 58.8e-6 + 0.01 * 354e-6, 1e-12));
        // Few TAP: all of it is served alongside.
        let got = Population::MixedNtorFirst(0.05)
            .onion_skin_cost(&c)
            .unwrap();
        assert!(close(got, 0.95 * 58.8e-6 + 0.05 * 354e-6, 1e-12));
        assert_eq!(Population::MixedNtorFirst(0.0).onion_skin_cost(&c), c.ntor);
    }

    #[test]
    fn hardware_profile_keeps_measured_ratios() {
        let m = Model::y2013();
        let c = m.costs(&measured()).unwrap();
        assert!(close(c.tap.unwrap(), 1e-3, 1e-12));
        assert!(close(c.ntor.unwrap() / c.tap.unwrap(), 58.8 / 354.0, 1e-12));
        let no_tap = Costs {
            tap: None,
            ..measured()
        };
        assert!(m.costs(&no_tap).is_none());
        assert_eq!(Model::today(2).costs(&no_tap), Some(no_tap));
    }

    /// The default 2013 scenario reproduces the observations it was fitted to: the busiest
    /// relays fill with a few million TAP clients, the median relay does not, and ntor
    /// moves saturation by the measured cost ratio.
    #[test]
    fn y2013_reproduces_the_surge() {
        let t = Model::y2013().table(&measured());
        let sat = |row: usize, col: usize| t.rows[row].cells[col].saturation_clients.unwrap();
        let top1_tap = sat(2, 0);
        assert!((2e6..5e6).contains(&top1_tap), "{top1_tap}");
        assert!(sat(0, 0) > 5.5e6, "median relay not full at the peak");
        assert!(sat(1, 0) < sat(0, 0));
        // Ordered: TAP-only < mix < ntor-only, and with ntor first the ntor users of the
        // mix keep being served well past the point where the relay is full.
        assert!(sat(2, 0) < sat(2, 1) && sat(2, 1) < sat(2, 3));
        assert!(sat(2, 2) > 2.0 * sat(2, 1));
        // ntor-only moves saturation by the measured TAP/ntor ratio (CREATE_FAST first hops
        // aside, which cost next to nothing).
        let ratio = sat(2, 3) / sat(2, 0);
        assert!(close(ratio, 354.0 / 58.8, 0.01), "{ratio}");
        // Guard connections at saturation near the operator's 9,000.
        let conns = t.rows[2].share * top1_tap * t.model.guards_per_client;
        assert!((5_000.0..15_000.0).contains(&conns), "{conns}");
        // Every input is stated.
        let keys: Vec<_> = Model::y2013().assumptions().iter().map(|a| a.key).collect();
        for k in [
            "relays",
            "top1_share",
            "retry_factor",
            "rendezvous_per_client_hour",
            "handshake_cpu_share",
            "cost_basis_tap_us",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
    }

    #[test]
    fn missing_costs_give_none() {
        let m = Model::today(2);
        let c = Costs {
            ntor_v3: None,
            ..measured()
        };
        let t = m.table(&c);
        assert!(t.rows[0].cells[4].saturation_clients.is_none());
        assert!(t.rows[0].cells[3].saturation_clients.is_some());
    }
}
