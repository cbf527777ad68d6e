//! The capacity calculator: measured relay costs turned into the load a client surge puts on
//! one relay (the seed's 2013 scenario: millions of new bot clients building circuits).
//!
//! Model, deliberately simple and stated in the report:
//! - the network builds `clients × circuits_per_client_hour / 3600` circuits per second;
//! - each circuit costs `hops` relay handshakes, spread evenly over `relays` relays;
//! - with `fast_first_hop`, the first hop is CREATE_FAST (2013 clients did this by default,
//!   until 0.3.1.1-alpha), the others are onion skins (TAP or ntor by the population's share);
//! - a relay handshake costs the single-thread median of its relay respond, in CPU-seconds;
//! - the relay saturates when the CPU-seconds it needs per second reach its core count.
//!
//! Load is linear in the client count, so saturation is a division.

use crate::args::Scenario;

/// The relay-side cost of each handshake kind, in seconds of one core.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Costs {
    pub(crate) tap: Option<f64>,
    pub(crate) ntor: Option<f64>,
    pub(crate) ntor_v3: Option<f64>,
    pub(crate) fast: Option<f64>,
}

/// Which onion skins a population of clients sends (the first hop aside).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Population {
    /// Every onion skin is TAP (2013 before ntor).
    TapOnly,
    /// This share of onion skins is TAP, the rest ntor.
    Mixed(f64),
    /// Every onion skin is ntor.
    NtorOnly,
    /// Every onion skin is ntor-v3 (today's clients).
    NtorV3Only,
}

impl Population {
    pub(crate) fn label(self) -> String {
        match self {
            Self::TapOnly => "TAP-only".to_owned(),
            Self::Mixed(s) => format!("mixed ({:.0} % TAP)", s * 100.0),
            Self::NtorOnly => "ntor-only".to_owned(),
            Self::NtorV3Only => "ntor-v3-only".to_owned(),
        }
    }

    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::TapOnly => "tap_only",
            Self::Mixed(_) => "mixed",
            Self::NtorOnly => "ntor_only",
            Self::NtorV3Only => "ntor_v3_only",
        }
    }

    /// Mean relay cost of one onion skin (not the first hop), if the handshakes it needs
    /// were measured.
    fn onion_skin_cost(self, c: &Costs) -> Option<f64> {
        match self {
            Self::TapOnly => c.tap,
            Self::NtorOnly => c.ntor,
            Self::NtorV3Only => c.ntor_v3,
            Self::Mixed(s) if s <= 0.0 => c.ntor,
            Self::Mixed(s) if s >= 1.0 => c.tap,
            Self::Mixed(s) => Some(s * c.tap? + (1.0 - s) * c.ntor?),
        }
    }
}

/// Handshake rates an average relay sees under a scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rates {
    /// Circuits per second over the whole network.
    pub(crate) network_circuits_per_s: f64,
    /// CREATE_FAST handshakes per second at one relay.
    pub(crate) fast_per_relay_s: f64,
    /// Onion skins (TAP/ntor) per second at one relay.
    pub(crate) onion_skins_per_relay_s: f64,
}

impl Rates {
    pub(crate) fn of(s: &Scenario) -> Self {
        let circuits = s.clients * s.circuits_per_client_hour / 3600.0;
        let hops = f64::from(s.hops);
        let fast_hops = if s.fast_first_hop { 1.0 } else { 0.0 };
        Self {
            network_circuits_per_s: circuits,
            fast_per_relay_s: circuits * fast_hops / s.relays,
            onion_skins_per_relay_s: circuits * (hops - fast_hops).max(0.0) / s.relays,
        }
    }
}

/// What a population does to one relay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Load {
    pub(crate) population: Population,
    /// CPU-seconds per second one relay spends on handshakes (= cores fully busy).
    pub(crate) cpu_s_per_s: f64,
    /// Share of the relay's cores that is.
    pub(crate) fraction_of_relay: f64,
    /// Mean relay cost of one handshake in this mix, in seconds.
    pub(crate) mean_handshake_s: f64,
    /// Handshakes per second the relay can answer with all its cores.
    pub(crate) relay_capacity_hs_per_s: f64,
    /// Client count at which the relay's cores are fully busy.
    pub(crate) saturation_clients: f64,
}

/// The load of `population` under `scenario` on a relay with `cores` cores.
pub(crate) fn load(
    s: &Scenario,
    cores: u32,
    costs: &Costs,
    population: Population,
) -> Option<Load> {
    let r = Rates::of(s);
    let skin = population.onion_skin_cost(costs)?;
    let fast = if r.fast_per_relay_s > 0.0 {
        costs.fast?
    } else {
        0.0
    };
    let cpu = r.fast_per_relay_s * fast + r.onion_skins_per_relay_s * skin;
    let hs = r.fast_per_relay_s + r.onion_skins_per_relay_s;
    let cores = f64::from(cores);
    // Per-client CPU demand, for the saturation point (independent of `clients` itself).
    let per_client = {
        let one = Scenario { clients: 1.0, ..*s };
        let r1 = Rates::of(&one);
        r1.fast_per_relay_s * fast + r1.onion_skins_per_relay_s * skin
    };
    let mean = if hs > 0.0 {
        cpu / hs
    } else {
        // No traffic: report the mix's cost per handshake anyway.
        let f = if s.fast_first_hop {
            1.0 / f64::from(s.hops)
        } else {
            0.0
        };
        f * fast + (1.0 - f) * skin
    };
    Some(Load {
        population,
        cpu_s_per_s: cpu,
        fraction_of_relay: cpu / cores,
        mean_handshake_s: mean,
        relay_capacity_hs_per_s: if mean > 0.0 {
            cores / mean
        } else {
            f64::INFINITY
        },
        saturation_clients: if per_client > 0.0 {
            cores / per_client
        } else {
            f64::INFINITY
        },
    })
}

/// The populations the report always shows, in order.
pub(crate) fn populations(s: &Scenario) -> [Population; 4] {
    [
        Population::TapOnly,
        Population::Mixed(s.tap_share),
        Population::NtorOnly,
        Population::NtorV3Only,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costs() -> Costs {
        Costs {
            tap: Some(1e-3),
            ntor: Some(2e-4),
            ntor_v3: Some(2.1e-4),
            fast: Some(2e-6),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn rates_of_the_example() {
        let s = Scenario::default();
        let r = Rates::of(&s);
        // 5e6 clients × 6/h = 8333.3 circuits/s; 3 hops over 4000 relays.
        assert!(close(r.network_circuits_per_s, 5e6 * 6.0 / 3600.0));
        assert!(close(r.fast_per_relay_s, r.network_circuits_per_s / 4000.0));
        assert!(close(
            r.onion_skins_per_relay_s,
            2.0 * r.network_circuits_per_s / 4000.0
        ));
    }

    #[test]
    fn tap_only_by_hand() {
        let s = Scenario {
            clients: 3600.0,
            circuits_per_client_hour: 1.0,
            relays: 1.0,
            hops: 3,
            fast_first_hop: false,
            ..Scenario::default()
        };
        // 1 circuit/s, 3 TAP handshakes/s at 1 ms each: 3 ms of CPU per second.
        let l = load(&s, 2, &costs(), Population::TapOnly).unwrap();
        assert!(close(l.cpu_s_per_s, 3e-3));
        assert!(close(l.fraction_of_relay, 1.5e-3));
        assert!(close(l.relay_capacity_hs_per_s, 2000.0));
        // 2 cores / (3 ms per 3600 clients) = 2.4 million clients.
        assert!(close(l.saturation_clients, 2.4e6));
    }

    #[test]
    fn saturation_scales_with_cores_and_mix() {
        let s = Scenario::default();
        let c = costs();
        let tap = load(&s, 2, &c, Population::TapOnly).unwrap();
        let tap4 = load(&s, 4, &c, Population::TapOnly).unwrap();
        let mixed = load(&s, 2, &c, Population::Mixed(0.9)).unwrap();
        let ntor = load(&s, 2, &c, Population::NtorOnly).unwrap();
        assert!(close(tap4.saturation_clients, 2.0 * tap.saturation_clients));
        assert!(tap.saturation_clients < mixed.saturation_clients);
        assert!(mixed.saturation_clients < ntor.saturation_clients);
        // At the saturation point the relay is exactly full.
        let at = Scenario {
            clients: tap.saturation_clients,
            ..s
        };
        let full = load(&at, 2, &c, Population::TapOnly).unwrap();
        assert!(close(full.fraction_of_relay, 1.0));
    }

    #[test]
    fn missing_costs_give_none() {
        let s = Scenario::default();
        let c = Costs {
            tap: None,
            ..costs()
        };
        assert!(load(&s, 2, &c, Population::TapOnly).is_none());
        assert!(load(&s, 2, &c, Population::Mixed(0.5)).is_none());
        assert!(load(&s, 2, &c, Population::NtorOnly).is_some());
        let nofast = Costs {
            fast: None,
            ..costs()
        };
        assert!(load(&s, 2, &nofast, Population::NtorOnly).is_none());
        let s2 = Scenario {
            fast_first_hop: false,
            ..s
        };
        assert!(load(&s2, 2, &nofast, Population::NtorOnly).is_some());
    }
}
