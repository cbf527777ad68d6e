//! Which C tor the relay tools behave like, and the consensus parameters that tune them.

use core::time::Duration;

use super::{CreateRateLimitConfig, DestroyReason, OnionQueueConfig, OverloadConfig, QueueKind};
use crate::HandshakeType;

/// The C tor release whose relay-side handling of CREATE cells the tools reproduce.
///
/// | | [`Tor0_2_4`](Self::Tor0_2_4) (2013) | [`Tor0_4_8`](Self::Tor0_4_8) | [`Tor0_4_9`](Self::Tor0_4_9) (today) |
/// |---|---|---|---|
/// | TAP (CREATE, CREATE2 type 0) | queued | queued | refused before any work, DESTROY `PROTOCOL` |
/// | ntor-v3 (CREATE2 type 3) | unknown type, DESTROY `PROTOCOL` | ntor queue | ntor queue |
/// | ntor-v3 in the statistics | – | counted as ntor | counted apart, own heartbeat column |
/// | CREATE_FAST | answered inline | answered inline | answered inline |
/// | `MaxOnionQueueDelay` | torrc only | torrc, else consensus | torrc, else consensus |
/// | `onion_queue_wait_cutoff` | fixed 5 s | consensus | consensus |
///
/// All three serve ntor before TAP with `NumNTorsPerTAP` (0.2.4.17-rc, ticket 9574).
/// Sources: command.c `command_process_create_cell` (the order: DoS accounting, parse,
/// count as requested, CREATE_FAST inline, the rest to `assign_onionskin_to_cpuworker`),
/// onion.c `parse_create2_payload` / `check_create_cell` (which handshake types parse),
/// onion_queue.c `onion_pending_add` / `decide_next_handshake_type`, rephist.c
/// `onionskin_type_to_stat` and `rep_hist_log_circuit_handshake_stats`. For 0.4.9 the
/// heartbeat format is the string in Debian's tor 0.4.9 binary, and the TAP refusal was
/// observed against a live 0.4.9 relay (CREATE and CREATE2 type 0 answered with DESTROY
/// reason 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RelayProfile {
    /// C tor 0.2.4.17-rc and later 0.2.4 (autumn 2013): TAP and ntor, ntor first.
    Tor0_2_4,
    /// C tor 0.4.8: TAP, ntor and ntor-v3; ntor-v3 shares ntor's queue and statistics.
    Tor0_4_8,
    /// C tor 0.4.9 (Debian's tor today): TAP refused, ntor-v3 counted apart.
    Tor0_4_9,
}

/// What a relay does with a create cell of a given handshake type, before any handshake
/// work (command.c `command_process_create_cell`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CreateHandling {
    /// Count it as requested (from relays' channels) and hand it to a CPU worker, or queue
    /// it in this queue when all workers are busy.
    Queue(QueueKind),
    /// CREATE_FAST: answered at once on the main thread (a few SHA-1 calls), never queued.
    /// C tor counts it in its own, unlogged statistics slot.
    Inline,
    /// Refused before any work, and not counted as requested: the create cell does not
    /// parse for this relay, and the circuit is closed with this DESTROY reason.
    Refuse(DestroyReason),
}

impl RelayProfile {
    /// What this relay does with a create cell of type `htype`.
    ///
    /// ```
    /// use onionskin::HandshakeType;
    /// use onionskin::relay::{CreateHandling, DestroyReason, QueueKind, RelayProfile};
    ///
    /// assert_eq!(
    ///     RelayProfile::Tor0_4_9.create_handling(HandshakeType::TAP),
    ///     CreateHandling::Refuse(DestroyReason::PROTOCOL)
    /// );
    /// assert_eq!(
    ///     RelayProfile::Tor0_2_4.create_handling(HandshakeType::TAP),
    ///     CreateHandling::Queue(QueueKind::Tap)
    /// );
    /// ```
    #[must_use]
    pub const fn create_handling(self, htype: HandshakeType) -> CreateHandling {
        match (self, htype.0) {
            (Self::Tor0_2_4 | Self::Tor0_4_8, 0) => CreateHandling::Queue(QueueKind::Tap),
            (_, 1) => CreateHandling::Inline,
            (_, 2) | (Self::Tor0_4_8 | Self::Tor0_4_9, 3) => CreateHandling::Queue(QueueKind::Ntor),
            // 0.4.9 no longer parses TAP; 0.2.4 never knew ntor-v3; nobody knows other types.
            _ => CreateHandling::Refuse(DestroyReason::PROTOCOL),
        }
    }

    /// Whether ntor-v3 has its own statistics slot and heartbeat column (0.4.9).
    #[must_use]
    pub const fn counts_ntor_v3_apart(self) -> bool {
        matches!(self, Self::Tor0_4_9)
    }

    /// The onion queue's configuration under `params` for a relay with `workers` CPU
    /// workers, as this release reads it (onion_queue.c `onion_queue_update_params`
    /// since 0.4.8; 0.2.4 read only `NumNTorsPerTAP` from the consensus and took
    /// `MaxOnionQueueDelay` from torrc, default 1750 ms, with a fixed 5 s cutoff).
    ///
    /// ```
    /// use core::time::Duration;
    /// use onionskin::relay::{ConsensusParams, RelayProfile};
    ///
    /// let mut params = ConsensusParams::CODE_DEFAULTS;
    /// params.onion_queue_wait_cutoff = Duration::from_secs(2);
    /// let today = RelayProfile::Tor0_4_9.onion_queue_config(&params, 4);
    /// assert_eq!((today.wait_cutoff, today.workers, today.accept_tap), (Duration::from_secs(2), 4, false));
    /// let then = RelayProfile::Tor0_2_4.onion_queue_config(&params, 4);
    /// assert_eq!((then.wait_cutoff, then.accept_tap), (Duration::from_secs(5), true));
    /// ```
    #[must_use]
    pub const fn onion_queue_config(
        self,
        params: &ConsensusParams,
        workers: u32,
    ) -> OnionQueueConfig {
        let mut c = OnionQueueConfig::with_workers(workers);
        c.ntors_per_tap = params.num_ntors_per_tap;
        match self {
            Self::Tor0_2_4 => {
                c.max_queue_delay = OnionQueueConfig::DEFAULT.max_queue_delay;
                c.wait_cutoff = OnionQueueConfig::DEFAULT.wait_cutoff;
            }
            Self::Tor0_4_8 | Self::Tor0_4_9 => {
                c.max_queue_delay = params.max_onion_queue_delay;
                c.wait_cutoff = params.onion_queue_wait_cutoff;
            }
        }
        c.accept_tap = !matches!(self, Self::Tor0_4_9);
        c
    }
}

/// Consensus parameters (dir-spec "params", param-spec) that tune a relay's handling of
/// create cells, as C tor reads them: each value clamped to C tor's range by
/// [`set`](Self::set), and the code default where the consensus is silent.
///
/// Two sets are provided: [`CODE_DEFAULTS`](Self::CODE_DEFAULTS) (no parameter in the
/// consensus) and [`LIVE_2026_07`](Self::LIVE_2026_07) (what the live consensus set in
/// July 2026).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ConsensusParams {
    /// `NumNTorsPerTAP` (1…100 000, default 10): onion_queue.c.
    pub num_ntors_per_tap: u32,
    /// `MaxOnionQueueDelay` in ms (1…`INT32_MAX`, default 1750): onion_queue.c. A
    /// non-zero torrc value overrides it.
    pub max_onion_queue_delay: Duration,
    /// `onion_queue_wait_cutoff` in s (0…`INT32_MAX`, default 5): onion_queue.c.
    pub onion_queue_wait_cutoff: Duration,
    /// `max_pending_tasks_per_cpu` (1…`INT32_MAX`, default 64): cpuworker.c; handshakes in
    /// flight per CPU before requests wait in the onion queue.
    pub max_pending_tasks_per_cpu: u32,
    /// `overload_onionskin_ntor_scale_percent` (0…100 000 thousandths of a percent,
    /// default 1000 = 1 %): rephist.c.
    pub overload_onionskin_ntor_scale_percent: u32,
    /// `overload_onionskin_ntor_period_secs` (0…`INT32_MAX`, default 21 600 = 6 h).
    pub overload_onionskin_ntor_period: Duration,
    /// `DoSCircuitCreationEnabled` (0/1, default 0): dos.c.
    pub dos_circuit_creation_enabled: bool,
    /// `DoSCircuitCreationMinConnections` (1…`INT32_MAX`, default 3).
    pub dos_circuit_creation_min_connections: u32,
    /// `DoSCircuitCreationRate` per second (1…`INT32_MAX`, default 3).
    pub dos_circuit_creation_rate: u32,
    /// `DoSCircuitCreationBurst` (1…`INT32_MAX`, default 90).
    pub dos_circuit_creation_burst: u32,
    /// `DoSCircuitCreationDefenseType` (1 = none, 2 = refuse cell; default 2).
    pub dos_circuit_creation_defense_type: u8,
    /// `DoSCircuitCreationDefenseTimePeriod` in s (0…`INT32_MAX`, default 3600).
    pub dos_circuit_creation_defense_time_period: Duration,
}

impl ConsensusParams {
    /// C tor's code defaults: the values a relay uses when the consensus sets none of these.
    pub const CODE_DEFAULTS: Self = Self {
        num_ntors_per_tap: 10,
        max_onion_queue_delay: Duration::from_millis(1750),
        onion_queue_wait_cutoff: Duration::from_secs(5),
        max_pending_tasks_per_cpu: 64,
        overload_onionskin_ntor_scale_percent: 1000,
        overload_onionskin_ntor_period: Duration::from_secs(21_600),
        dos_circuit_creation_enabled: false,
        dos_circuit_creation_min_connections: 3,
        dos_circuit_creation_rate: 3,
        dos_circuit_creation_burst: 90,
        dos_circuit_creation_defense_type: 2,
        dos_circuit_creation_defense_time_period: Duration::from_secs(3600),
    };

    /// The live consensus of July 2026: `DoSCircuitCreationEnabled=1`
    /// `DoSCircuitCreationRate=2` `DoSCircuitCreationBurst=60`
    /// `DoSCircuitCreationMinConnections=2`, and the general-overload signal at 0.5 % of
    /// ntor requests dropped (`overload_onionskin_ntor_scale_percent=500`) over 3 hours
    /// (`overload_onionskin_ntor_period_secs=10800`). Parameters it does not set keep their
    /// code defaults.
    pub const LIVE_2026_07: Self = Self {
        overload_onionskin_ntor_scale_percent: 500,
        overload_onionskin_ntor_period: Duration::from_secs(10_800),
        dos_circuit_creation_enabled: true,
        dos_circuit_creation_min_connections: 2,
        dos_circuit_creation_rate: 2,
        dos_circuit_creation_burst: 60,
        ..Self::CODE_DEFAULTS
    };

    /// Sets the parameter `name` from a consensus `params` entry, clamped to C tor's range
    /// for it as `networkstatus_get_param` clamps. Returns false (and changes nothing) for
    /// a name these tools do not use.
    ///
    /// ```
    /// use onionskin::relay::ConsensusParams;
    ///
    /// let mut p = ConsensusParams::CODE_DEFAULTS;
    /// assert!(p.set("NumNTorsPerTAP", 0)); // clamped to the minimum, 1
    /// assert_eq!(p.num_ntors_per_tap, 1);
    /// assert!(!p.set("CircuitPriorityHalflifeMsec", 30_000));
    /// ```
    pub fn set(&mut self, name: &str, value: i32) -> bool {
        let clamp =
            |min: i32, max: i32| -> u32 { u32::try_from(value.clamp(min, max)).unwrap_or(0) };
        let secs = |v: u32| Duration::from_secs(u64::from(v));
        match name {
            "NumNTorsPerTAP" => self.num_ntors_per_tap = clamp(1, 100_000),
            "MaxOnionQueueDelay" => {
                self.max_onion_queue_delay = Duration::from_millis(u64::from(clamp(1, i32::MAX)));
            }
            "onion_queue_wait_cutoff" => self.onion_queue_wait_cutoff = secs(clamp(0, i32::MAX)),
            "max_pending_tasks_per_cpu" => self.max_pending_tasks_per_cpu = clamp(1, i32::MAX),
            "overload_onionskin_ntor_scale_percent" => {
                self.overload_onionskin_ntor_scale_percent = clamp(0, 100_000);
            }
            "overload_onionskin_ntor_period_secs" => {
                self.overload_onionskin_ntor_period = secs(clamp(0, i32::MAX));
            }
            "DoSCircuitCreationEnabled" => self.dos_circuit_creation_enabled = clamp(0, 1) == 1,
            "DoSCircuitCreationMinConnections" => {
                self.dos_circuit_creation_min_connections = clamp(1, i32::MAX);
            }
            "DoSCircuitCreationRate" => self.dos_circuit_creation_rate = clamp(1, i32::MAX),
            "DoSCircuitCreationBurst" => self.dos_circuit_creation_burst = clamp(1, i32::MAX),
            "DoSCircuitCreationDefenseType" => {
                self.dos_circuit_creation_defense_type = if clamp(1, 2) == 2 { 2 } else { 1 };
            }
            "DoSCircuitCreationDefenseTimePeriod" => {
                self.dos_circuit_creation_defense_time_period = secs(clamp(0, i32::MAX));
            }
            _ => return false,
        }
        true
    }

    /// The `overload-general` signal's threshold and period.
    #[must_use]
    pub const fn overload_config(&self) -> OverloadConfig {
        OverloadConfig::with_threshold(
            self.overload_onionskin_ntor_scale_percent,
            self.overload_onionskin_ntor_period,
        )
    }

    /// The circuit-creation DoS mitigation's parameters, or `None` when
    /// `DoSCircuitCreationEnabled` is off (then every create is let through).
    #[must_use]
    pub const fn create_rate_limit(&self) -> Option<CreateRateLimitConfig> {
        if !self.dos_circuit_creation_enabled {
            return None;
        }
        let mut c = CreateRateLimitConfig::DEFAULT;
        c.rate_per_sec = self.dos_circuit_creation_rate;
        c.burst = self.dos_circuit_creation_burst;
        c.min_concurrent_connections = self.dos_circuit_creation_min_connections;
        c.defense_period = self.dos_circuit_creation_defense_time_period;
        c.refuse_cells = self.dos_circuit_creation_defense_type == 2;
        Some(c)
    }

    /// Handshakes in flight inside the worker pool before requests wait in the onion queue
    /// (cpuworker.c `max_pending_tasks`: CPUs × `max_pending_tasks_per_cpu`).
    #[must_use]
    pub const fn max_pending_tasks(&self, cpus: u32) -> u64 {
        let cpus = if cpus == 0 { 1 } else { cpus };
        cpus as u64 * self.max_pending_tasks_per_cpu as u64
    }
}

impl Default for ConsensusParams {
    fn default() -> Self {
        Self::CODE_DEFAULTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [HandshakeType; 5] = [
        HandshakeType::TAP,
        HandshakeType::FAST,
        HandshakeType::NTOR,
        HandshakeType::NTOR_V3,
        HandshakeType(4),
    ];

    fn handling(p: RelayProfile) -> [CreateHandling; 5] {
        ALL.map(|h| p.create_handling(h))
    }

    #[test]
    fn create_handling_per_release() {
        use CreateHandling::{Inline, Queue, Refuse};
        let proto = Refuse(DestroyReason::PROTOCOL);
        let (tap, ntor) = (Queue(QueueKind::Tap), Queue(QueueKind::Ntor));
        assert_eq!(
            handling(RelayProfile::Tor0_2_4),
            [tap, Inline, ntor, proto, proto]
        );
        assert_eq!(
            handling(RelayProfile::Tor0_4_8),
            [tap, Inline, ntor, ntor, proto]
        );
        assert_eq!(
            handling(RelayProfile::Tor0_4_9),
            [proto, Inline, ntor, ntor, proto]
        );
    }

    #[test]
    fn code_defaults_and_live_values() {
        let d = ConsensusParams::CODE_DEFAULTS;
        assert_eq!(d, ConsensusParams::default());
        assert_eq!(d.num_ntors_per_tap, 10);
        assert_eq!(d.max_onion_queue_delay, Duration::from_millis(1750));
        assert_eq!(d.onion_queue_wait_cutoff, Duration::from_secs(5));
        assert_eq!(d.max_pending_tasks(2), 128);
        assert_eq!(d.overload_config(), OverloadConfig::DEFAULT);
        assert_eq!(d.create_rate_limit(), None);

        let live = ConsensusParams::LIVE_2026_07;
        let o = live.overload_config();
        assert_eq!(
            (o.scale_percent, o.period, o.min_requests),
            (500, Duration::from_secs(10_800), 1000)
        );
        let cc = live
            .create_rate_limit()
            .expect("enabled in the live consensus");
        assert_eq!(
            (cc.rate_per_sec, cc.burst, cc.min_concurrent_connections),
            (2, 60, 2)
        );
        assert_eq!(cc.defense_period, Duration::from_secs(3600));
        assert!(cc.refuse_cells);
        // The live set is the code defaults plus exactly these entries.
        let mut p = ConsensusParams::CODE_DEFAULTS;
        for (k, v) in [
            ("DoSCircuitCreationEnabled", 1),
            ("DoSCircuitCreationRate", 2),
            ("DoSCircuitCreationBurst", 60),
            ("DoSCircuitCreationMinConnections", 2),
            ("overload_onionskin_ntor_scale_percent", 500),
            ("overload_onionskin_ntor_period_secs", 10_800),
        ] {
            assert!(p.set(k, v), "{k}");
        }
        assert_eq!(p, live);
    }

    #[test]
    fn set_clamps_like_networkstatus_get_param() {
        let mut p = ConsensusParams::CODE_DEFAULTS;
        assert!(p.set("NumNTorsPerTAP", 1_000_000));
        assert_eq!(p.num_ntors_per_tap, 100_000);
        assert!(p.set("MaxOnionQueueDelay", -5));
        assert_eq!(p.max_onion_queue_delay, Duration::from_millis(1));
        assert!(p.set("DoSCircuitCreationEnabled", 7));
        assert!(p.dos_circuit_creation_enabled);
        assert!(p.set("DoSCircuitCreationDefenseType", 1));
        assert!(!p.create_rate_limit().expect("enabled").refuse_cells);
        assert!(p.set("DoSCircuitCreationBurst", 0));
        assert_eq!(p.dos_circuit_creation_burst, 1);
        assert!(p.set("overload_onionskin_ntor_scale_percent", 200_000));
        assert_eq!(p.overload_onionskin_ntor_scale_percent, 100_000);
        let before = p;
        assert!(!p.set("nonexistent", 1));
        assert_eq!(p, before);
    }

    #[test]
    fn queue_config_per_release() {
        let mut p = ConsensusParams::CODE_DEFAULTS;
        assert!(p.set("MaxOnionQueueDelay", 900));
        assert!(p.set("onion_queue_wait_cutoff", 1));
        assert!(p.set("NumNTorsPerTAP", 4));
        let c = RelayProfile::Tor0_4_9.onion_queue_config(&p, 8);
        assert_eq!(
            (c.max_queue_delay, c.wait_cutoff, c.ntors_per_tap, c.workers),
            (Duration::from_millis(900), Duration::from_secs(1), 4, 8)
        );
        assert!(!c.accept_tap);
        assert!(RelayProfile::Tor0_4_8.onion_queue_config(&p, 1).accept_tap);
        // 0.2.4 read only NumNTorsPerTAP from the consensus.
        let c = RelayProfile::Tor0_2_4.onion_queue_config(&p, 1);
        assert_eq!(
            (c.max_queue_delay, c.wait_cutoff, c.ntors_per_tap),
            (Duration::from_millis(1750), Duration::from_secs(5), 4)
        );
    }
}
