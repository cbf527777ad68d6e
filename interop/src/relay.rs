//! A throwaway C tor relay on 127.0.0.1: its torrc, its start, its readiness, its stop.
//!
//! Every relay keeps all its traffic on loopback: it listens on 127.0.0.1 only, publishes
//! nothing, and knows no directory but a fake authority on 127.0.0.1 that nobody serves
//! (`UseDefaultFallbackDirs 0` drops the public fallbacks compiled into tor).

use crate::error::{Error, Result, bail};
use crate::keyfiles::RelayKeyFiles;
use core::fmt::Write as _;
use core::net::{Ipv4Addr, SocketAddrV4};
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// How long a relay may take to build its descriptor (about 1 s on loopback).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The info-log line C tor writes once its keys and descriptor exist
/// (`router_rebuild_descriptor`).
const READY_LINE: &str = "Rebuilding relay descriptor";

/// A started tor process and its directory. Dropping it kills the process by its PID, waits
/// for it and removes the directory, on success, on error and on panic alike.
#[derive(Debug)]
struct ProcessGuard {
    child: Child,
    dir: PathBuf,
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        // SIGKILL by PID: this child only, never a search by name.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A running C tor relay, ready to serve, with its key files read.
#[derive(Debug)]
pub(crate) struct TorRelay {
    process: ProcessGuard,
    or_port: u16,
    nickname: String,
    keys: RelayKeyFiles,
}

/// Picks `n` distinct free TCP ports on 127.0.0.1, holding each until all are chosen.
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// Prefix of every directory this check makes in the temporary directory.
const DIR_PREFIX: &str = "onionskin-interop-";

/// Removes directories left by earlier runs that were killed before they could clean up
/// (their relays exit by themselves: `__OwningControllerProcess`). Only directories whose
/// owning process is gone are touched.
pub(crate) fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && process_gone(pid) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` is gone (no `/proc/<pid>`, or only a zombie left).
pub(crate) fn process_gone(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(true, |s| s.split_whitespace().nth(2) == Some("Z"))
}

/// A fresh directory of mode 700 (tor refuses a DataDirectory others can read).
fn fresh_dir(nickname: &str) -> Result<PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "{DIR_PREFIX}{}-{}-{nanos:x}-{nickname}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
    ));
    fs::DirBuilder::new().mode(0o700).create(&dir)?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// 40 hex digits that name no real key (for the fake authority's v3ident and fingerprint).
fn random_hex40() -> String {
    let mut bytes = [0u8; 20];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// The torrc of a loopback-only relay.
fn torrc(data: &Path, log: &Path, nickname: &str, or_port: u16, auth_ports: [u16; 2]) -> String {
    let [auth_or, auth_dir] = auth_ports;
    format!(
        "DataDirectory {data}\n\
         ORPort 127.0.0.1:{or_port}\n\
         Address 127.0.0.1\n\
         AssumeReachable 1\n\
         PublishServerDescriptor 0\n\
         SocksPort 0\n\
         ExitRelay 0\n\
         ExitPolicy reject *:*\n\
         DirCache 1\n\
         Nickname {nickname}\n\
         ContactInfo none\n\
         Log info file {log}\n\
         # No public directories: a fake authority nobody listens on, and no default fallbacks.\n\
         DirAuthority fakeauth orport={auth_or} no-v2 v3ident={v3ident} 127.0.0.1:{auth_dir} {fp}\n\
         UseDefaultFallbackDirs 0\n\
         # Loopback is a private address; without this a relay refuses to extend to its neighbours.\n\
         ExtendAllowPrivateAddresses 1\n\
         # Exit on its own if this check dies without stopping it (C tor polls this PID).\n\
         __OwningControllerProcess {owner}\n",
        data = data.display(),
        log = log.display(),
        v3ident = random_hex40(),
        fp = random_hex40(),
        owner = std::process::id(),
    )
}

impl TorRelay {
    /// Starts `tor` as a relay called `nickname` on a free port of 127.0.0.1 and waits until
    /// it is ready.
    ///
    /// # Errors
    /// If tor cannot be started, exits, or is not ready within 30 s (the log's tail is in the
    /// error); its key files cannot be read.
    pub(crate) fn start(tor: &Path, nickname: &str) -> Result<Self> {
        let dir = fresh_dir(nickname)?;
        let data = dir.join("data");
        fs::DirBuilder::new().mode(0o700).create(&data)?;
        let log = dir.join("info.log");
        let ports = free_ports(3)?;
        let (or_port, auth_ports) = match ports.as_slice() {
            &[a, b, c] => (a, [b, c]),
            _ => bail!("port allocation returned {} ports", ports.len()),
        };
        let conf = dir.join("torrc");
        fs::write(&conf, torrc(&data, &log, nickname, or_port, auth_ports))?;
        let child = Command::new(tor)
            .arg("-f")
            .arg(&conf)
            // No torrc-defaults from /etc: this torrc is the whole configuration.
            .arg("--defaults-torrc")
            .arg(dir.join("no-defaults"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::new(format!("cannot run {}: {e}", tor.display())))?;
        // From here on, the guard stops the process whatever happens.
        let mut process = ProcessGuard { child, dir };
        wait_ready(
            &mut process,
            SocketAddrV4::new(Ipv4Addr::LOCALHOST, or_port),
        )?;
        let keys = RelayKeyFiles::read(&data.join("keys"), &data.join("fingerprint"))?;
        Ok(Self {
            process,
            or_port,
            nickname: nickname.to_owned(),
            keys,
        })
    }
}

/// Waits for the readiness log line, then for the ORPort to accept a connection.
fn wait_ready(process: &mut ProcessGuard, addr: SocketAddrV4) -> Result<()> {
    let log = process.dir.join("info.log");
    let start = Instant::now();
    loop {
        if let Some(status) = process.child.try_wait()? {
            bail!(
                "tor exited with {status} before it was ready; log tail:\n{}",
                log_tail(&log)
            );
        }
        let ready = fs::read_to_string(&log).is_ok_and(|s| s.contains(READY_LINE));
        if ready && TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        if start.elapsed() > READY_TIMEOUT {
            bail!(
                "tor not ready after {READY_TIMEOUT:?}; log tail:\n{}",
                log_tail(&log)
            );
        }
        sleep(Duration::from_millis(50));
    }
}

/// The last lines of a relay's info log, for error messages.
fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let mut tail: Vec<&str> = text.lines().rev().take(15).collect();
    tail.reverse();
    tail.join("\n")
}

impl TorRelay {
    /// The relay's ORPort.
    pub(crate) fn addr(&self) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.or_port)
    }

    /// The relay's nickname.
    pub(crate) fn nickname(&self) -> &str {
        &self.nickname
    }

    /// The relay's key files, as read once it was ready.
    pub(crate) fn keys(&self) -> &RelayKeyFiles {
        &self.keys
    }

    /// The last lines of the relay's info log (C tor's own account, for error messages).
    pub(crate) fn log_tail(&self) -> String {
        log_tail(&self.process.dir.join("info.log"))
    }

    /// The distinct `[warn]` messages the relay logged once it was ready (its start-up
    /// warnings about the test configuration left out), without their timestamps.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let text = fs::read_to_string(self.process.dir.join("info.log")).unwrap_or_default();
        let mut seen: Vec<String> = Vec::new();
        for line in text.lines().skip_while(|l| !l.contains(READY_LINE)) {
            if let Some((_, msg)) = line.split_once("[warn] ")
                && !seen.iter().any(|s| s == msg)
            {
                seen.push(msg.to_owned());
            }
        }
        seen
    }

    /// The process ID (for the report).
    pub(crate) fn pid(&self) -> u32 {
        self.process.child.id()
    }

    /// The relay's own directory (torrc, log, DataDirectory), removed on drop.
    pub(crate) fn dir(&self) -> &Path {
        &self.process.dir
    }
}

/// The version `tor --version` reports, as (major, minor, micro, patch).
///
/// # Errors
/// If tor cannot be run or prints no version.
pub(crate) fn tor_version(tor: &Path) -> Result<[u32; 4]> {
    let out = Command::new(tor).arg("--version").output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_tor_version(&text)
        .ok_or_else(|| Error::new(format!("no version in `tor --version`: {text}")))
}

/// The version in `Tor version 0.4.9.11.` (or `... 0.4.8.16 (git-...)`).
fn parse_tor_version(text: &str) -> Option<[u32; 4]> {
    let word = text
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)?;
    let mut parts = [0u32; 4];
    let mut pieces = word.trim_end_matches('.').split('.');
    for slot in &mut parts {
        let digits: String = pieces
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        *slot = digits.parse().ok()?;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torrc_keeps_the_relay_on_loopback() {
        let conf = torrc(
            Path::new("/d/data"),
            Path::new("/d/info.log"),
            "n",
            9001,
            [9002, 9003],
        );
        for required in [
            "ORPort 127.0.0.1:9001\n",
            "Address 127.0.0.1\n",
            "PublishServerDescriptor 0\n",
            "SocksPort 0\n",
            "UseDefaultFallbackDirs 0\n",
            "ExitPolicy reject *:*\n",
            "ExtendAllowPrivateAddresses 1\n",
        ] {
            assert!(conf.contains(required), "missing {required:?}");
        }
        let auth = conf
            .lines()
            .find(|l| l.starts_with("DirAuthority "))
            .expect("a DirAuthority line");
        assert!(auth.contains(" 127.0.0.1:9003 "), "{auth}");
        assert!(auth.contains("orport=9002"), "{auth}");
        // No address other than 127.0.0.1 anywhere.
        for word in conf.split(|c: char| c.is_whitespace() || c == ':') {
            if word.split('.').count() == 4 && word.split('.').all(|p| p.parse::<u8>().is_ok()) {
                assert_eq!(word, "127.0.0.1");
            }
        }
    }

    #[test]
    fn tor_versions_parse() {
        assert_eq!(
            parse_tor_version("Tor version 0.4.9.11.\nThis build of Tor is covered by"),
            Some([0, 4, 9, 11])
        );
        assert_eq!(
            parse_tor_version("Tor version 0.4.8.16 (git-0123abcd)."),
            Some([0, 4, 8, 16])
        );
        assert_eq!(parse_tor_version("no such thing"), None);
        assert!(parse_tor_version("Tor version 0.4.8.16.").expect("parses") < [0, 4, 9, 0]);
    }

    #[test]
    fn free_ports_are_distinct_and_nonzero() {
        let ports = free_ports(3).expect("three ports");
        assert_eq!(ports.len(), 3);
        assert!(ports.iter().all(|&p| p != 0));
        assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
    }

    #[test]
    fn our_own_process_is_not_gone() {
        assert!(!process_gone(std::process::id()));
        assert!(process_gone(u32::MAX));
    }
}
