//! The report, generic over [`CircuitHandshake`]: one [`Spec`] per handshake builds its three
//! timed operations and runs its multi-core throughput test.
//!
//! Relay respond and client finish include deriving the hop's 92 bytes of circuit keys
//! ([`KeyMaterial::circuit_keys`]): every relay and client does it, and the handshakes differ
//! in how much of their KDF runs eagerly (CREATE_FAST, for one, computes only `KH` before
//! the keys are asked for), so leaving it out would compare unlike work.

use crate::Error;
use crate::floor::FloorKind;
use crate::sampler::{Measurement, Routine, SchedStat, Stopwatch};
use core::hint::black_box;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use onionskin::codec::extension::{CircuitExtension, ExtensionList, ExtensionWriter};
use onionskin::handshake::CircuitHandshake;
use onionskin::{HandshakeError, KeyMaterial};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use std::rc::Rc;
use std::sync::Barrier;
use std::time::Instant;

/// Makes a relay's keys and what a client knows of them.
pub(crate) type Fixture<H> = fn(
    &mut ChaCha20Rng,
) -> Result<
    (
        <H as CircuitHandshake>::RelayPublicKey,
        <H as CircuitHandshake>::RelayKeys,
    ),
    Error,
>;

/// One handshake in the report, with its types erased.
pub(crate) trait Case {
    /// The handshake's name in the table.
    fn name(&self) -> &'static str;
    /// Its HTYPE (1 stands for CREATE_FAST).
    fn htype(&self) -> u16;
    /// Which primitives bound its relay side from below.
    fn floor(&self) -> FloorKind;
    /// The three timed operations: `<name>/client_create`, `<name>/relay_respond`,
    /// `<name>/client_finish`. Runs one full handshake first and checks both ends agree.
    ///
    /// # Errors
    /// If a handshake fails or the two ends derive different keys.
    fn measurements(&self, rng: &mut ChaCha20Rng) -> Result<Vec<Measurement>, Error>;
    /// Relay handshakes answered in `duration` by `threads` threads, each on its own core
    /// if there are enough.
    ///
    /// # Errors
    /// If a relay handshake fails.
    fn throughput(&self, threads: usize, duration: Duration) -> Result<Run, Error>;
}

/// What a throughput run did, summed over its threads.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Run {
    /// Relay handshakes answered.
    pub(crate) handshakes: u64,
    /// Wall-clock seconds, summed over threads.
    pub(crate) wall_s: f64,
    /// CPU seconds the threads got (Linux schedstat; 0 where unavailable).
    pub(crate) cpu_s: f64,
}

impl Run {
    /// Adds another run's figures to these.
    pub(crate) fn add(&mut self, o: &Self) {
        self.handshakes += o.handshakes;
        self.wall_s += o.wall_s;
        self.cpu_s += o.cpu_s;
    }
}

/// A handshake, as the report runs it.
pub(crate) struct Spec<H: CircuitHandshake> {
    name: &'static str,
    floor: FloorKind,
    keys: Fixture<H>,
    /// What the client asks for (ntor-v3 only).
    message: &'static [CircuitExtension<'static>],
    /// What the relay answers (ntor-v3 only).
    reply: &'static [CircuitExtension<'static>],
    _h: PhantomData<fn() -> H>,
}

impl<H: CircuitHandshake> Spec<H> {
    pub(crate) fn new(name: &'static str, floor: FloorKind, keys: Fixture<H>) -> Self {
        Self {
            name,
            floor,
            keys,
            message: &[],
            reply: &[],
            _h: PhantomData,
        }
    }

    /// Messages for handshakes that carry them (ntor-v3).
    pub(crate) fn with_messages(
        mut self,
        message: &'static [CircuitExtension<'static>],
        reply: &'static [CircuitExtension<'static>],
    ) -> Self {
        self.message = message;
        self.reply = reply;
        self
    }
}

/// The relay's extension callback: writes `reply`, whatever the client asked for.
fn answer(
    reply: &'static [CircuitExtension<'static>],
) -> impl FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError> {
    move |_client_extensions, out| {
        for field in reply {
            out.push(field)?;
        }
        Ok(())
    }
}

/// Onion skins prepared per relay measurement, cycled through.
const SKINS: usize = 16;

impl<H> Case for Spec<H>
where
    H: CircuitHandshake + 'static,
    H::RelayPublicKey: 'static,
    H::RelayKeys: Sync + 'static,
    H::ClientState: 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn htype(&self) -> u16 {
        H::HTYPE.0
    }

    fn floor(&self) -> FloorKind {
        self.floor
    }

    fn measurements(&self, rng: &mut ChaCha20Rng) -> Result<Vec<Measurement>, Error> {
        let (public, keys) = (self.keys)(rng)?;
        let fixture = Rc::new((public, keys));
        check_agreement::<H>(rng, &fixture.0, &fixture.1, self.message, self.reply)?;
        let (message, reply) = (self.message, self.reply);

        let create: Routine = {
            let f = Rc::clone(&fixture);
            let mut rng = ChaCha20Rng::seed_from_u64(rng.next_u64());
            Box::new(move |iters| {
                let sw = Stopwatch::start();
                for _ in 0..iters {
                    black_box(H::client_start(&mut rng, &f.0, black_box(message))?);
                }
                Ok(sw.stop())
            })
        };

        let respond: Routine = {
            let f = Rc::clone(&fixture);
            let mut rng = ChaCha20Rng::seed_from_u64(rng.next_u64());
            let skins = skins::<H>(&mut rng, &f.0, message)?;
            Box::new(move |iters| {
                let sw = Stopwatch::start();
                for skin in skins.iter().cycle().take(usize::try_from(iters)?) {
                    let (seed, relay_reply) =
                        H::relay_respond(&mut rng, &f.1, black_box(skin), answer(reply))?;
                    black_box((seed.circuit_keys(), relay_reply));
                }
                Ok(sw.stop())
            })
        };

        let finish: Routine = {
            let f = Rc::clone(&fixture);
            let mut rng = ChaCha20Rng::seed_from_u64(rng.next_u64());
            Box::new(move |iters| {
                // Untimed: the client states and replies this batch consumes.
                let n = usize::try_from(iters)?;
                let mut ready = Vec::with_capacity(n);
                for _ in 0..n {
                    let (state, skin) = H::client_start(&mut rng, &f.0, message)?;
                    let (_, relay_reply) =
                        H::relay_respond(&mut rng, &f.1, skin.as_ref(), answer(reply))?;
                    ready.push((state, relay_reply));
                }
                let sw = Stopwatch::start();
                for (state, relay_reply) in ready {
                    let (seed, server_message) =
                        H::client_finish(state, black_box(relay_reply.as_ref()))?;
                    black_box((seed.circuit_keys(), server_message));
                }
                Ok(sw.stop())
            })
        };

        Ok(vec![
            Measurement::new(format!("{}/client_create", self.name), create),
            Measurement::new(format!("{}/relay_respond", self.name), respond),
            Measurement::new(format!("{}/client_finish", self.name), finish),
        ])
    }

    fn throughput(&self, threads: usize, duration: Duration) -> Result<Run, Error> {
        let mut rng = ChaCha20Rng::seed_from_u64(0x7468_726f_7567_6870);
        let (public, keys) = (self.keys)(&mut rng)?;
        let skins = skins::<H>(&mut rng, &public, self.message)?;
        let reply = self.reply;
        let stop = AtomicBool::new(false);
        let start = Barrier::new(threads + 1);
        let results = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (keys, skins, stop, start) = (&keys, &skins, &stop, &start);
                    let seed = rng.next_u64() ^ u64::try_from(t).unwrap_or(0);
                    s.spawn(move || -> Result<Run, Error> {
                        let mut rng = ChaCha20Rng::seed_from_u64(seed);
                        start.wait();
                        let cpu0 = SchedStat::now();
                        let t0 = Instant::now();
                        let mut n = 0u64;
                        'run: loop {
                            for skin in skins {
                                if stop.load(Ordering::Relaxed) {
                                    break 'run;
                                }
                                let (seed, r) =
                                    H::relay_respond(&mut rng, keys, skin, answer(reply))?;
                                black_box((seed.circuit_keys(), r));
                                n += 1;
                            }
                        }
                        let wall_s = t0.elapsed().as_secs_f64();
                        let cpu_ns = cpu0
                            .zip(SchedStat::now())
                            .map_or(0, |(a, b)| b.run_ns.saturating_sub(a.run_ns));
                        #[allow(clippy::cast_precision_loss)] // nanoseconds of one run
                        Ok(Run {
                            handshakes: n,
                            wall_s,
                            cpu_s: cpu_ns as f64 * 1e-9,
                        })
                    })
                })
                .collect();
            start.wait();
            std::thread::sleep(duration);
            stop.store(true, Ordering::Relaxed);
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .map_err(|_| Error::from("throughput thread panicked"))?
                })
                .collect::<Result<Vec<_>, Error>>()
        })?;
        let mut total = Run::default();
        for r in &results {
            total.add(r);
        }
        Ok(total)
    }
}

/// Onion skins for relay-side measurements (public data, so kept as plain bytes).
fn skins<H: CircuitHandshake>(
    rng: &mut ChaCha20Rng,
    public: &H::RelayPublicKey,
    message: &[CircuitExtension<'_>],
) -> Result<Vec<Vec<u8>>, Error> {
    (0..SKINS)
        .map(|_| Ok(H::client_start(rng, public, message)?.1.as_ref().to_vec()))
        .collect()
}

/// One full handshake: both ends must derive the same circuit keys, and the relay's message
/// must arrive. A report on a broken handshake would be worthless.
fn check_agreement<H: CircuitHandshake>(
    rng: &mut ChaCha20Rng,
    public: &H::RelayPublicKey,
    keys: &H::RelayKeys,
    message: &[CircuitExtension<'_>],
    reply: &'static [CircuitExtension<'static>],
) -> Result<(), Error> {
    let (state, skin) = H::client_start(rng, public, message)?;
    let (relay_seed, relay_reply) = H::relay_respond(rng, keys, skin.as_ref(), answer(reply))?;
    let (client_seed, server_message) = H::client_finish(state, relay_reply.as_ref())?;
    if client_seed.circuit_keys() != relay_seed.circuit_keys() {
        return Err(Error::from(
            "client and relay derived different circuit keys",
        ));
    }
    let arrived: Vec<CircuitExtension<'_>> = server_message
        .extensions()
        .typed()
        .collect::<Result<_, _>>()
        .map_err(|_| Error::from("the relay's message is not an extension list"))?;
    if arrived != reply {
        return Err(Error::from("the relay's message did not arrive intact"));
    }
    Ok(())
}
