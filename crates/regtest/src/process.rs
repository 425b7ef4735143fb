//! Daemons we start: spawned in their own process group with output to a log
//! file, identified by PID *and* start time (so a recycled PID is never
//! signalled), stopped with SIGTERM and, after a grace period, SIGKILL.

use crate::error::RegtestError;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What is persisted about a daemon so another process can stop it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonRecord {
    /// Display name (btcd, alice, …).
    pub name: String,
    /// Process id.
    pub pid: u32,
    /// Start time in clock ticks since boot (/proc/PID/stat field 22).
    pub start_ticks: u64,
    /// The log file its output goes to.
    pub log: PathBuf,
}

/// A running (or exited) daemon.
#[derive(Debug)]
pub struct Daemon {
    record: DaemonRecord,
    /// Present when this process spawned it: lets us reap it and read its status.
    child: Option<Child>,
}

/// (state, start ticks) from /proc/PID/stat.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    let after = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    // Field 22 overall is index 19 after the name (fields 3.. start at index 0).
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

impl Daemon {
    /// Starts `program` with `args`, appending its output to `log`.
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[String],
        log: &Path,
    ) -> Result<Daemon, RegtestError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(RegtestError::io("cannot open the log file", log))?;
        let err = file
            .try_clone()
            .map_err(RegtestError::io("cannot open the log file", log))?;
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            // Own process group: a Ctrl-C in the terminal that ran
            // `switchyard regtest up` does not reach the daemons.
            .process_group(0)
            .spawn()
            .map_err(|source| RegtestError::Spawn {
                name: name.to_string(),
                source,
            })?;
        let pid = child.id();
        let start_ticks = proc_stat(pid).map(|(_, t)| t).unwrap_or(0);
        tracing::debug!(%name, pid, "started");
        Ok(Daemon {
            record: DaemonRecord {
                name: name.to_string(),
                pid,
                start_ticks,
                log: log.to_path_buf(),
            },
            child: Some(child),
        })
    }

    /// A daemon another process started, from its record.
    pub fn from_record(record: DaemonRecord) -> Daemon {
        Daemon {
            record,
            child: None,
        }
    }

    /// What to persist.
    pub fn record(&self) -> &DaemonRecord {
        &self.record
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// Its PID.
    pub fn pid(&self) -> u32 {
        self.record.pid
    }

    /// Whether the process is still running (not exited, not a zombie, and
    /// the PID still belongs to the process we started).
    pub fn is_alive(&mut self) -> bool {
        if let Some(child) = &mut self.child {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
        }
        match proc_stat(self.record.pid) {
            Some((state, ticks)) => {
                state != 'Z' && (self.record.start_ticks == 0 || ticks == self.record.start_ticks)
            }
            None => false,
        }
    }

    /// How it exited, if it did and we spawned it.
    pub fn exit_status(&mut self) -> String {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => status.to_string(),
            _ => "exited".to_string(),
        }
    }

    /// The last `n` lines of its log.
    pub fn tail(&self, n: usize) -> String {
        tail_file(&self.record.log, n)
    }

    /// An error for a daemon that died while we waited on it.
    pub fn died(&mut self) -> RegtestError {
        RegtestError::DaemonDied {
            name: self.record.name.clone(),
            status: self.exit_status(),
            log: self.record.log.clone(),
            tail: self.tail(25),
        }
    }

    /// Sends SIGTERM without waiting (to stop several daemons at once).
    pub fn terminate(&mut self) {
        if self.is_alive() {
            let _ = kill(self.nix_pid(), Signal::SIGTERM);
        }
    }

    fn nix_pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.record.pid).unwrap_or(i32::MAX))
    }

    /// SIGKILL (a crash: no shutdown of any kind), and waits until it is gone.
    pub fn kill(&mut self) {
        if self.is_alive() {
            let _ = kill(self.nix_pid(), Signal::SIGKILL);
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.is_alive() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if let Some(child) = &mut self.child {
            let _ = child.wait();
        }
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL. Idempotent.
    pub fn stop(&mut self, grace: Duration) {
        if self.is_alive() {
            let pid = self.nix_pid();
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = Instant::now() + grace;
            while self.is_alive() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if self.is_alive() {
                tracing::warn!(name = %self.record.name, "did not stop on SIGTERM; killing");
                let _ = kill(pid, Signal::SIGKILL);
                let deadline = Instant::now() + Duration::from_secs(5);
                while self.is_alive() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        if let Some(child) = &mut self.child {
            let _ = child.wait();
        }
    }
}

/// The last `n` lines of a file (empty if it cannot be read).
pub fn tail_file(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Polls `check` every `every` until it returns `Some`, failing early if any
/// of `watch` dies, and with a timeout.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    watch: &mut [&mut Daemon],
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, RegtestError> {
    let deadline = Instant::now() + timeout;
    let mut every = Duration::from_millis(50);
    loop {
        if let Some(v) = check() {
            return Ok(v);
        }
        for d in watch.iter_mut() {
            if !d.is_alive() {
                return Err(d.died());
            }
        }
        if Instant::now() > deadline {
            let tail = watch
                .iter()
                .map(|d| format!("--- {} ---\n{}", d.name(), d.tail(8)))
                .collect::<Vec<_>>()
                .join("\n");
            return Err(RegtestError::Timeout {
                what: what.to_string(),
                seconds: timeout.as_secs(),
                tail,
            });
        }
        std::thread::sleep(every);
        every = (every * 2).min(Duration::from_millis(500));
    }
}

/// Lowest port we hand out.
const PORTS_FROM: u16 = 10_000;
/// A reservation older than this is stale (its daemon has bound the port
/// long since, or never will).
const RESERVATION_TTL: Duration = Duration::from_secs(15 * 60);

/// The kernel's range for ephemeral ports (`bind(0)` and the local side of
/// outgoing connections), from /proc; Linux's default if unreadable.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| {
            let mut it = t.split_whitespace().map(|w| w.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((32_768, 60_999))
}

/// `n` distinct free TCP ports on 127.0.0.1 for daemons that bind them
/// moments later.
///
/// Two races are closed here. A port from `bind(0)` comes from the
/// kernel's ephemeral range, which is also where the local side of every
/// outgoing connection comes from: in the seconds before the daemon binds
/// it, any connection on the machine (an LND dialing btcd) can take it.
/// So ports are chosen below that range. And concurrent tests choosing at
/// the same moment could pick the same port: each chosen port is reserved
/// with a file created exclusively in a shared directory (stale after
/// [`RESERVATION_TTL`]). Falls back to `bind(0)` when the range leaves no
/// room below it.
pub fn free_ports(n: usize) -> Result<Vec<u16>, RegtestError> {
    let (eph_lo, _) = ephemeral_range();
    if eph_lo < PORTS_FROM + 1_000 {
        return ephemeral_ports(n);
    }
    let dir = std::env::temp_dir().join("switchyard-port-reservations");
    std::fs::create_dir_all(&dir).map_err(RegtestError::io("cannot create", &dir))?;
    let span = u32::from(eph_lo - PORTS_FROM);
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
    let start = seed % span;
    let mut chosen = Vec::with_capacity(n);
    for k in 0..span {
        if chosen.len() == n {
            break;
        }
        let Ok(port) = u16::try_from(u32::from(PORTS_FROM) + (start + k) % span) else {
            continue;
        };
        if reserve(&dir, port) {
            chosen.push(port);
        }
    }
    if chosen.len() < n {
        return Err(RegtestError::io("cannot find a free port on", "127.0.0.1")(
            std::io::Error::other(format!("only {} of {n} ports free", chosen.len())),
        ));
    }
    Ok(chosen)
}

/// Reserves `port` if nothing listens on it and nobody reserved it lately.
fn reserve(dir: &Path, port: u16) -> bool {
    let file = dir.join(port.to_string());
    if let Ok(meta) = std::fs::metadata(&file) {
        let fresh = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age < RESERVATION_TTL);
        if fresh {
            return false;
        }
        // Stale: whoever wins the exclusive create below takes it.
        let _ = std::fs::remove_file(&file);
    }
    if port_in_use(port) {
        return false;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .and_then(|mut f| {
            use std::io::Write;
            writeln!(f, "{}", std::process::id())
        })
        .is_ok()
}

/// `n` ports from `bind(0)` (bound and released).
fn ephemeral_ports(n: usize) -> Result<Vec<u16>, RegtestError> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(RegtestError::io("cannot find a free port on", "127.0.0.1"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(RegtestError::io("cannot find a free port on", "127.0.0.1"))
}

/// Whether something already listens on 127.0.0.1:`port`.
pub fn port_in_use(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_err()
}

/// PIDs of live (non-zombie) processes whose command line mentions `needle`,
/// e.g. a network directory: how tests prove nothing was left running.
pub fn live_pids_mentioning(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let live = proc_stat(*pid).is_some_and(|(state, _)| state != 'Z');
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            live && String::from_utf8_lossy(&cmd).contains(needle)
        })
        .collect()
}

/// Runs a daemon's command-line client (`btcctl`, `lncli`) with `fixed`
/// connection arguments, returning its stdout; a failure carries its stderr.
pub fn run_client(
    name: &str,
    program: &Path,
    fixed: &[String],
    args: &[&str],
) -> Result<String, RegtestError> {
    let out = Command::new(program)
        .args(fixed)
        .args(args)
        .output()
        .map_err(|source| RegtestError::Spawn {
            name: name.to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(RegtestError::Command {
            command: format!("{name} {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// Stops every live process whose command line mentions `dir` (SIGTERM, then
/// SIGKILL after `grace`). Catches a daemon that an interrupted `up` spawned
/// in the instant before recording it; the directory paths are unique to one
/// network, so nothing else matches.
pub fn stop_strays(dir: &Path, grace: Duration) {
    let needle = dir.to_string_lossy().to_string();
    // Only the daemons: the command that runs this (`switchyard regtest up
    // --dir …`) mentions the directory too.
    let daemons = |pids: Vec<u32>| -> Vec<u32> {
        pids.into_iter()
            .filter(|p| {
                let cmd = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
                let exe = cmd.split(|b| *b == 0).next().unwrap_or_default();
                let base = exe.rsplit(|b| *b == b'/').next().unwrap_or_default();
                base == b"lnd" || base == b"btcd" || base == b"etcd"
            })
            .collect()
    };
    let strays = daemons(live_pids_mentioning(&needle));
    if strays.is_empty() {
        return;
    }
    tracing::warn!(count = strays.len(), dir = %needle, "stopping untracked daemons");
    let pid = |p: u32| Pid::from_raw(i32::try_from(p).unwrap_or(i32::MAX));
    for p in &strays {
        let _ = kill(pid(*p), Signal::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !daemons(live_pids_mentioning(&needle)).is_empty() {
        std::thread::sleep(Duration::from_millis(50));
    }
    for p in daemons(live_pids_mentioning(&needle)) {
        let _ = kill(pid(p), Signal::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_distinct_outside_the_ephemeral_range_and_reserved() {
        let (eph_lo, _) = ephemeral_range();
        // Two callers at once (like two tests starting networks) never share a port.
        let a = std::thread::spawn(|| free_ports(30));
        let b = std::thread::spawn(|| free_ports(30));
        let mut all: Vec<u16> = a.join().unwrap().unwrap();
        all.extend(b.join().unwrap().unwrap());
        let distinct: std::collections::BTreeSet<u16> = all.iter().copied().collect();
        assert_eq!(distinct.len(), 60, "{all:?}");
        for p in &all {
            assert!(!port_in_use(*p), "port {p} is taken");
            if eph_lo >= PORTS_FROM + 1_000 {
                assert!(
                    (PORTS_FROM..eph_lo).contains(p),
                    "port {p} is in the ephemeral range"
                );
            }
        }
    }
}
