//! Ledger's Bitcoin app under Speculos, Ledger's device emulator: real
//! device firmware (the ARM build of the app, run through
//! `qemu-user-static`) for the hardware-wallet tests.
//!
//! `scripts/test.sh` and `scripts/run.sh` install it (see `ensure_speculos`
//! in `scripts/lib.sh`): Speculos 0.25.5 in a venv under
//! `~/.cache/switchyard/speculos`, with the app build its PyPI source
//! distribution ships (`nanosp#btc-test#1.0.3`, Ledger's app-bitcoin-new
//! 2.0.x for testnet). The emulator speaks APDUs on one port (HWI connects
//! there) and a REST API on another: the screens it shows (`/events`) and
//! its two buttons (`/button/left|right|both`), which is how a test reads
//! what the device displayed and approves it.

use crate::process::{free_ports, wait_for, Daemon};
use crate::RegtestError;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Speculos's default seed (its master fingerprint is `f5acc2fd`), passed
/// explicitly so the tests can derive the same keys in software.
pub const SPECULOS_SEED: &str = "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin";

/// The app build used (from speculos 0.25.5's source distribution).
pub const LEDGER_APP: &str = "nanosp#btc-test#1.0.3#17bf7619.elf";

/// Where the emulator and its app are.
#[derive(Debug, Clone)]
pub struct SpeculosBins {
    /// The `speculos` program.
    pub speculos: PathBuf,
    /// The app's ELF.
    pub app: PathBuf,
}

impl SpeculosBins {
    /// From `SWITCHYARD_SPECULOS_DIR`, else `~/.cache/switchyard/speculos`.
    pub fn find() -> Result<SpeculosBins, RegtestError> {
        let dir = std::env::var_os("SWITCHYARD_SPECULOS_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(".cache/switchyard/speculos"))
            })
            .unwrap_or_default();
        let bins = SpeculosBins {
            speculos: dir.join("venv/bin/speculos"),
            app: dir.join("apps").join(LEDGER_APP),
        };
        for (name, p) in [("speculos", &bins.speculos), ("the Ledger app", &bins.app)] {
            if !p.is_file() {
                return Err(RegtestError::Command {
                    command: format!("looking for {name}"),
                    stderr: format!(
                        "{} is missing: scripts/test.sh installs Speculos and the app (ensure_speculos in scripts/lib.sh), or set SWITCHYARD_SPECULOS_DIR",
                        p.display()
                    ),
                });
            }
        }
        Ok(bins)
    }
}

/// A device's button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// The left one (back, reject).
    Left,
    /// The right one (next).
    Right,
    /// Both at once (select, approve).
    Both,
}

/// A running emulated Ledger; stopped on drop.
pub struct Speculos {
    daemon: Daemon,
    apdu_port: u16,
    api_port: u16,
}

impl Speculos {
    /// Starts the emulator with its log in `dir`, and waits until the app
    /// shows its home screen.
    pub fn start(dir: &Path) -> Result<Speculos, RegtestError> {
        let bins = SpeculosBins::find()?;
        let ports = free_ports(2)?;
        let (apdu_port, api_port) = (ports[0], ports[1]);
        let args: Vec<String> = [
            "--model",
            "nanosp",
            "--sdk",
            "1.0.3",
            "--display",
            "headless",
            "--seed",
            SPECULOS_SEED,
            "--apdu-port",
            &apdu_port.to_string(),
            "--api-port",
            &api_port.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([bins.app.display().to_string()])
        .collect();
        let mut daemon =
            Daemon::spawn("speculos", &bins.speculos, &args, &dir.join("speculos.log"))?;
        let ready = wait_for(
            "the Ledger app's home screen",
            Duration::from_secs(60),
            &mut [&mut daemon],
            || {
                texts_at(api_port, "/events?currentscreenonly=true")
                    .ok()
                    .filter(|t| t.iter().any(|l| l.contains("is ready")))
            },
        );
        if let Err(e) = ready {
            daemon.stop(Duration::from_secs(5));
            return Err(e);
        }
        Ok(Speculos {
            daemon,
            apdu_port,
            api_port,
        })
    }

    /// HWI's device path for it.
    pub fn device_path(&self) -> String {
        format!("tcp:127.0.0.1:{}", self.apdu_port)
    }

    /// The texts on the screen now.
    pub fn screen(&self) -> Result<Vec<String>, RegtestError> {
        self.texts("/events?currentscreenonly=true")
    }

    /// Every text shown since the start (or the last [`Speculos::clear`]).
    pub fn events(&self) -> Result<Vec<String>, RegtestError> {
        self.texts("/events")
    }

    /// Forgets the texts shown so far.
    pub fn clear(&self) -> Result<(), RegtestError> {
        self.http("DELETE", "/events", None).map(|_| ())
    }

    /// Presses and releases a button.
    pub fn press(&self, b: Button) -> Result<(), RegtestError> {
        let which = match b {
            Button::Left => "left",
            Button::Right => "right",
            Button::Both => "both",
        };
        self.http(
            "POST",
            &format!("/button/{which}"),
            Some(r#"{"action":"press-and-release"}"#),
        )
        .map(|_| ())
    }

    fn texts(&self, path: &str) -> Result<Vec<String>, RegtestError> {
        texts_at(self.api_port, path)
    }

    fn http(&self, method: &str, path: &str, body: Option<&str>) -> Result<String, RegtestError> {
        http_at(self.api_port, method, path, body)
    }

    /// The tail of its log.
    pub fn log_tail(&self) -> String {
        self.daemon.tail(20)
    }
}

impl Drop for Speculos {
    fn drop(&mut self) {
        self.daemon.stop(Duration::from_secs(5));
    }
}

fn texts_at(port: u16, path: &str) -> Result<Vec<String>, RegtestError> {
    let body = http_at(port, "GET", path, None)?;
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| RegtestError::Output {
        command: format!("speculos {path}"),
        detail: e.to_string(),
    })?;
    Ok(v["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["text"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// One HTTP/1.0 exchange with the REST API (a request, the whole answer).
fn http_at(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<String, RegtestError> {
    let fail = |detail: String| RegtestError::Command {
        command: format!("speculos {method} {path}"),
        stderr: detail,
    };
    let mut conn = TcpStream::connect(("127.0.0.1", port)).map_err(|e| fail(e.to_string()))?;
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| fail(e.to_string()))?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(request.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)
        .map_err(|e| fail(e.to_string()))?;
    let (head, rest) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail("no HTTP answer".into()))?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return Err(fail(head.lines().next().unwrap_or("").to_string()));
    }
    Ok(rest.to_string())
}
