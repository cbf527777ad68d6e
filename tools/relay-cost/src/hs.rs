//! hs-ntor in the report: an onion service's side of a rendezvous, which the generic
//! [`crate::cases::Spec`] cannot run (hs-ntor is not a CREATE2 handshake: it has a header to
//! MAC, subcredentials to try, and no HTYPE).
//!
//! The three timed operations, in the columns of the other handshakes:
//! - client create: the client encrypts and MACs INTRODUCE1's ENCRYPTED section;
//! - relay respond: the **service** handles one INTRODUCE2: tries each of its
//!   subcredentials, decrypts the plaintext, makes RENDEZVOUS1's HANDSHAKE_INFO and derives
//!   the hs relay keys (the service's cost per rendezvous, the figure a rendezvous flood
//!   multiplies);
//! - client finish: the client checks RENDEZVOUS2 and derives the hs relay keys.
//!
//! The INTRODUCE1 is C tor's shape: a 56-byte header (no extensions) and a plaintext padded
//! to 246 bytes with the header (rend-spec-v3 3.3; `HS_CELL_INTRODUCE1_MIN_SIZE`).

use crate::Error;
use crate::cases::{Case, Run};
use crate::floor::FloorKind;
use crate::sampler::{Measurement, Routine, SchedStat, Stopwatch};
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use onionskin::handshake::hs_ntor::{
    self, ClientState, MAX_INTRODUCE_BODY_LEN, ServiceKeys, ServicePublicKey, ServiceSecretKey,
    Subcredential,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use std::rc::Rc;
use std::sync::Barrier;
use std::time::Instant;

/// A v3 INTRODUCE1 header without extensions.
const HEADER_LEN: usize = 56;
/// C tor's padded plaintext for that header: 246 − 56.
const PLAINTEXT_LEN: usize = 190;
/// INTRODUCE2 cells prepared per measurement, cycled through.
const CELLS: usize = 16;

/// The service's keys, the subcredentials it holds, and what a client knows.
struct Fixture {
    public: ServicePublicKey,
    service: ServiceKeys,
    subcredentials: Vec<Subcredential>,
    header: [u8; HEADER_LEN],
    plaintext: [u8; PLAINTEXT_LEN],
}

impl Fixture {
    /// `n` subcredentials, the client's last, so that every case tries all of them before it
    /// matches (the loop runs them all anyway).
    fn new(rng: &mut ChaCha20Rng, n: usize) -> Self {
        let mut auth_key = [0u8; 32];
        rng.fill_bytes(&mut auth_key);
        let service = ServiceKeys::new(auth_key, ServiceSecretKey::generate(rng));
        let subcredentials: Vec<Subcredential> = (0..n)
            .map(|_| {
                let mut s = [0u8; 32];
                rng.fill_bytes(&mut s);
                Subcredential::new(s)
            })
            .collect();
        let used = subcredentials
            .last()
            .cloned()
            .unwrap_or(Subcredential::new([0; 32]));
        let mut header = [0u8; HEADER_LEN];
        header[20] = 2;
        header[22] = 32;
        header[23..55].copy_from_slice(&auth_key);
        let mut plaintext = [0u8; PLAINTEXT_LEN];
        rng.fill_bytes(&mut plaintext[..120]);
        Self {
            public: service.public_key(used),
            service,
            subcredentials,
            header,
            plaintext,
        }
    }

    fn introduce<R: RngCore + rand_core::CryptoRng>(
        &self,
        rng: &mut R,
    ) -> Result<(ClientState, Vec<u8>), Error> {
        let (state, enc) = ClientState::start(rng, &self.public, &self.header, &self.plaintext)?;
        Ok((state, enc.as_bytes().to_vec()))
    }

    /// The service's whole answer to one INTRODUCE2, keys included.
    fn respond<R: RngCore + rand_core::CryptoRng>(
        &self,
        rng: &mut R,
        encrypted: &[u8],
        plaintext: &mut [u8],
    ) -> Result<hs_ntor::ServiceHandshake, Error> {
        Ok(hs_ntor::service_respond(
            rng,
            &self.service,
            &self.subcredentials,
            &self.header,
            encrypted,
            plaintext,
        )?)
    }
}

/// What section 7 times the service's batch on: a service holding `subcredentials`
/// subcredentials (the client's last), the INTRODUCE2 header, and `cells` ENCRYPTED sections
/// from distinct clients.
pub(crate) struct ServiceBatch {
    pub(crate) service: ServiceKeys,
    pub(crate) subcredentials: Vec<Subcredential>,
    pub(crate) header: [u8; HEADER_LEN],
    pub(crate) encrypted: Vec<Vec<u8>>,
}

impl ServiceBatch {
    pub(crate) fn new(
        rng: &mut ChaCha20Rng,
        subcredentials: usize,
        cells: usize,
    ) -> Result<Self, Error> {
        let f = Fixture::new(rng, subcredentials);
        let encrypted = (0..cells)
            .map(|_| f.introduce(rng).map(|(_, e)| e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            service: f.service,
            subcredentials: f.subcredentials,
            header: f.header,
            encrypted,
        })
    }

    /// The cells as the batch entry point takes them.
    pub(crate) fn introductions(&self) -> Vec<hs_ntor::Introduction<'_>> {
        self.encrypted
            .iter()
            .map(|e| hs_ntor::Introduction {
                header: &self.header,
                encrypted: e,
            })
            .collect()
    }
}

/// hs-ntor with a service that holds `subcredentials` subcredentials.
pub(crate) struct HsNtor {
    name: &'static str,
    subcredentials: usize,
}

impl HsNtor {
    pub(crate) const fn new(name: &'static str, subcredentials: usize) -> Self {
        Self {
            name,
            subcredentials,
        }
    }
}

impl Case for HsNtor {
    fn name(&self) -> &'static str {
        self.name
    }

    /// No HTYPE: hs-ntor travels in INTRODUCE1/RENDEZVOUS1, not CREATE2. The report's JSON
    /// carries 0xffff for it.
    fn htype(&self) -> u16 {
        u16::MAX
    }

    /// The service's X25519 work is a relay's: `Y`, `EXP(X,y)`, `EXP(X,b)` on the paired
    /// ladders.
    fn floor(&self) -> FloorKind {
        FloorKind::X25519
    }

    fn measurements(&self, rng: &mut ChaCha20Rng) -> Result<Vec<Measurement>, Error> {
        let f = Rc::new(Fixture::new(rng, self.subcredentials));
        check_agreement(rng, &f)?;

        let create: Routine = {
            let f = Rc::clone(&f);
            let mut rng = ChaCha20Rng::seed_from_u64(rng.next_u64());
            Box::new(move |iters| {
                let sw = Stopwatch::start();
                for _ in 0..iters {
                    black_box(ClientState::start(
                        &mut rng,
                        &f.public,
                        black_box(&f.header),
                        black_box(&f.plaintext),
                    )?);
                }
                Ok(sw.stop())
            })
        };

        let respond: Routine = {
            let f = Rc::clone(&f);
            let mut rng = ChaCha20Rng::seed_from_u64(rng.next_u64());
            let cells = (0..CELLS)
                .map(|_| Ok(f.introduce(&mut rng)?.1))
                .collect::<Result<Vec<_>, Error>>()?;
            let mut plaintext = vec![0u8; MAX_INTRODUCE_BODY_LEN];
            Box::new(move |iters| {
                let sw = Stopwatch::start();
                for cell in cells.iter().cycle().take(usize::try_from(iters)?) {
                    let a = f.respond(&mut rng, black_box(cell), &mut plaintext)?;
                    black_box((a.key_seed.relay_keys(), a.handshake_info));
                }
                Ok(sw.stop())
            })
        };

        let finish: Routine = {
            let f = Rc::clone(&f);
            let mut rng = ChaCha20Rng::seed_from_u64(rng.next_u64());
            let mut plaintext = vec![0u8; MAX_INTRODUCE_BODY_LEN];
            Box::new(move |iters| {
                // Untimed: the client states and HANDSHAKE_INFOs this batch consumes.
                let n = usize::try_from(iters)?;
                let mut ready = Vec::with_capacity(n);
                for _ in 0..n {
                    let (state, cell) = f.introduce(&mut rng)?;
                    let a = f.respond(&mut rng, &cell, &mut plaintext)?;
                    ready.push((state, a.handshake_info));
                }
                let sw = Stopwatch::start();
                for (state, info) in ready {
                    let seed = state.finish(black_box(info.as_bytes()))?;
                    black_box(seed.relay_keys());
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
        let mut rng = ChaCha20Rng::seed_from_u64(0x7268_6f75_6768_7073);
        let f = Fixture::new(&mut rng, self.subcredentials);
        let cells = (0..CELLS)
            .map(|_| Ok(f.introduce(&mut rng)?.1))
            .collect::<Result<Vec<_>, Error>>()?;
        let stop = AtomicBool::new(false);
        let start = Barrier::new(threads + 1);
        let results = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (f, cells, stop, start) = (&f, &cells, &stop, &start);
                    let seed = rng.next_u64() ^ u64::try_from(t).unwrap_or(0);
                    s.spawn(move || -> Result<Run, Error> {
                        let mut rng = ChaCha20Rng::seed_from_u64(seed);
                        let mut plaintext = vec![0u8; MAX_INTRODUCE_BODY_LEN];
                        start.wait();
                        let cpu0 = SchedStat::now();
                        let t0 = Instant::now();
                        let mut n = 0u64;
                        'run: loop {
                            for cell in cells {
                                if stop.load(Ordering::Relaxed) {
                                    break 'run;
                                }
                                let a = f.respond(&mut rng, cell, &mut plaintext)?;
                                black_box((a.key_seed.relay_keys(), a.handshake_info));
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

/// One whole introduction and rendezvous: the service finds the client's subcredential and
/// plaintext, and both ends derive the same hs relay keys.
fn check_agreement(rng: &mut ChaCha20Rng, f: &Fixture) -> Result<(), Error> {
    let (state, cell) = f.introduce(rng)?;
    let mut plaintext = vec![0u8; MAX_INTRODUCE_BODY_LEN];
    let a = f.respond(rng, &cell, &mut plaintext)?;
    if a.subcredential_index + 1 != f.subcredentials.len()
        || plaintext.get(..a.plaintext_len) != Some(&f.plaintext[..])
    {
        return Err(Error::from("hs-ntor service misread the INTRODUCE2"));
    }
    let client = state.finish(a.handshake_info.as_bytes())?;
    if client.relay_keys() != a.key_seed.relay_keys() {
        return Err(Error::from(
            "hs-ntor client and service derived different keys",
        ));
    }
    Ok(())
}
