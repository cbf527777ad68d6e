//! Live interoperability check of `onionskin` against C tor relays started on 127.0.0.1.
//!
//! Starts three throwaway relays (loopback only, fresh DataDirectories), runs every case
//! against them — link handshake, each circuit handshake with its keys proven by a directory
//! fetch through tor1 relay crypto, negative controls, 3-hop circuits, the crate's relay side
//! with the relays' own key files, and a relay built on the crate that a C tor relay extends
//! to — prints one line per case and `N passed, N failed`, stops the relays by PID and exits
//! non-zero on any failure.
//!
//! Usage: `cargo run -p onionskin-interop [-- --tor /path/to/tor]` (default `/usr/sbin/tor`,
//! or `$ONIONSKIN_INTEROP_TOR`).

mod cases;
mod channel;
mod circuit;
mod crate_relay;
mod error;
mod keyfiles;
mod relay;

use core::panic::AssertUnwindSafe;
use error::{Error, Result};
use relay::TorRelay;
use std::panic::catch_unwind;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn tor_path() -> Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    let mut tor = std::env::var_os("ONIONSKIN_INTEROP_TOR")
        .map_or_else(|| PathBuf::from("/usr/sbin/tor"), PathBuf::from);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tor" => {
                tor = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or_else(|| Error::new("--tor needs a path"))?;
            }
            other => return Err(Error::new(format!("unknown argument {other:?}"))),
        }
    }
    Ok(tor)
}

/// Starts the three relays.
fn start_network(tor: &std::path::Path) -> Result<cases::Network> {
    let version = relay::tor_version(tor)?;
    let relays = ["onionskinA", "onionskinB", "onionskinC"]
        .iter()
        .map(|name| TorRelay::start(tor, name).map_err(|e| e.context(name)))
        .collect::<Result<Vec<_>>>()?;
    Ok(cases::Network { relays, version })
}

fn main() -> ExitCode {
    let started = Instant::now();
    let mut passed = 0usize;
    let mut failed = 0usize;
    let mut report = |name: &str, result: Result<String>| match result {
        Ok(detail) => {
            passed += 1;
            println!("ok   {name}: {detail}");
        }
        Err(e) => {
            failed += 1;
            println!("FAIL {name}: {e}");
        }
    };

    relay::remove_stale_dirs();
    let network = tor_path().and_then(|tor| {
        let net = start_network(&tor)?;
        let version = net.version.map(|v| v.to_string()).join(".");
        println!("tor {version} at {}", tor.display());
        for r in &net.relays {
            println!(
                "relay {} pid {} ORPort {} fingerprint {}",
                r.nickname(),
                r.pid(),
                r.addr(),
                keyfiles::hex(&r.keys().node_id)
            );
        }
        Ok(net)
    });
    match network {
        Err(e) => report("start relays on 127.0.0.1", Err(e)),
        Ok(net) => {
            for (name, case) in cases::CASES {
                let result = catch_unwind(AssertUnwindSafe(|| case(&net)))
                    .unwrap_or_else(|_| Err(Error::new("panicked")));
                report(name, result);
            }
            // C tor's own complaints while the cases ran, for the reader.
            for r in &net.relays {
                for warning in r.warnings() {
                    println!("note: {} warned: {warning}", r.nickname());
                }
            }
            let pids: Vec<u32> = net.relays.iter().map(TorRelay::pid).collect();
            let dirs: Vec<PathBuf> = net.relays.iter().map(|r| r.dir().to_owned()).collect();
            drop(net);
            let running: Vec<u32> = pids
                .iter()
                .copied()
                .filter(|&p| !relay::process_gone(p))
                .collect();
            let left: Vec<&PathBuf> = dirs.iter().filter(|d| d.exists()).collect();
            report(
                "relays stopped by PID",
                if running.is_empty() && left.is_empty() {
                    Ok(format!("pids {pids:?} gone, their directories removed"))
                } else {
                    Err(Error::new(format!(
                        "still running: {running:?}; left behind: {left:?}"
                    )))
                },
            );
        }
    }
    println!("interop run took {:.1} s", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
