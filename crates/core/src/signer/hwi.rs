//! Hardware wallets through HWI (Bitcoin Core's hardware wallet interface,
//! 3.2.0), run as a subprocess with JSON output: Ledger, Trezor, BitBox02,
//! Coldcard, Jade, KeepKey — and their emulators (`--emulators`), which is
//! how the tests reach Ledger's Bitcoin app under Speculos.
//!
//! Nothing secret crosses this boundary: HWI gets PSBTs, paths and
//! descriptors, and returns public keys, addresses and signatures. A call
//! that waits for the user's confirmation on the device has no time limit;
//! dropping its future kills the subprocess.

use super::{AddressKind, Signer, SignerError};
use async_trait::async_trait;
use bitcoin::bip32::{DerivationPath, Fingerprint, Xpub};
use bitcoin::psbt::Psbt;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use ts_rs::TS;

/// A device as HWI enumerates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DeviceInfo {
    /// HWI's device type: `ledger`, `trezor`, `bitbox02`, `coldcard`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The model, e.g. `ledger_nano_s_plus`.
    pub model: String,
    /// How to reach it (a USB path, or `tcp:127.0.0.1:9999` for an
    /// emulator).
    pub path: String,
    /// Its master key's fingerprint (hex), once it is unlocked.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// It waits for its PIN.
    #[serde(default, rename = "needs_pin_sent")]
    pub needs_pin: bool,
    /// It waits for a passphrase.
    #[serde(default, rename = "needs_passphrase_sent")]
    pub needs_passphrase: bool,
    /// What HWI could not do with it (e.g. the app is not open).
    #[serde(default)]
    pub error: Option<String>,
    /// How Switchyard reaches it.
    #[serde(default)]
    pub bridge: Bridge,
}

/// How a device is reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Bridge {
    /// Through HWI, a subprocess.
    #[default]
    Hwi,
    /// Spoken to directly (Ledgers with a Bitcoin app 2.0 or later).
    Native,
}

impl DeviceInfo {
    /// "Ledger Nano S Plus" from `ledger_nano_s_plus` (the simulator suffix
    /// kept as "(emulator)").
    pub fn display_name(&self) -> String {
        DeviceInfo::name_of_model(&self.model)
    }

    /// "Ledger Nano S Plus" from `ledger_nano_s_plus`.
    pub fn name_of_model(model: &str) -> String {
        let (model, emulated) = match model.strip_suffix("_simulator") {
            Some(m) => (m, true),
            None => (model, false),
        };
        let words: Vec<String> = model
            .split('_')
            .map(|w| match w {
                "bitbox02" => "BitBox02".into(),
                "s" | "x" => w.to_uppercase(),
                _ => {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                }
            })
            .collect();
        let name = words.join(" ");
        if emulated {
            format!("{name} (emulator)")
        } else {
            name
        }
    }
}

/// HWI, the program.
#[derive(Debug, Clone)]
pub struct Hwi {
    program: PathBuf,
    chain: &'static str,
}

/// Where `scripts/run.sh` installs HWI.
pub fn default_hwi_path() -> Option<PathBuf> {
    dirs::cache_dir().map(|c| c.join("switchyard/hwi/bin/hwi"))
}

impl Hwi {
    /// HWI from `SWITCHYARD_HWI`, then `hwi` on the PATH, then the copy
    /// `scripts/run.sh` installs under the cache, for `network`.
    pub fn find(network: bitcoin::Network) -> Result<Hwi, SignerError> {
        let candidates: Vec<PathBuf> = std::env::var_os("SWITCHYARD_HWI")
            .map(PathBuf::from)
            .into_iter()
            .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("hwi"))
                    .collect::<Vec<_>>()
            }))
            .chain(default_hwi_path())
            .collect();
        let program = candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .ok_or_else(|| {
                SignerError::HwiMissing(
                    candidates
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        Ok(Hwi::at(&program, network))
    }

    /// HWI at `program`, for `network`.
    pub fn at(program: &Path, network: bitcoin::Network) -> Hwi {
        let chain = match network {
            bitcoin::Network::Bitcoin => "main",
            bitcoin::Network::Regtest => "regtest",
            bitcoin::Network::Signet => "signet",
            _ => "test",
        };
        Hwi {
            program: program.to_path_buf(),
            chain,
        }
    }

    /// The connected devices (`emulators`: also those on the emulators'
    /// local ports).
    pub async fn enumerate(&self, emulators: bool) -> Result<Vec<DeviceInfo>, SignerError> {
        let mut args = vec!["--chain", self.chain];
        if emulators {
            args.push("--emulators");
        }
        args.push("enumerate");
        let out = self.run("HWI", &args).await?;
        serde_json::from_value(out).map_err(|e| SignerError::Device {
            device: "HWI".into(),
            message: format!("unreadable device list: {e}"),
        })
    }

    /// The device whose fingerprint is `fingerprint` (or the only one).
    pub async fn device(
        &self,
        fingerprint: Option<&str>,
        emulators: bool,
    ) -> Result<HwiSigner, SignerError> {
        let all = self.enumerate(emulators).await?;
        let mut matching = all.into_iter().filter(|d| match fingerprint {
            Some(f) => d.fingerprint.as_deref() == Some(f),
            None => true,
        });
        let what = fingerprint
            .map(|f| format!("with fingerprint {f}"))
            .unwrap_or_default();
        match (matching.next(), matching.next()) {
            (Some(d), None) => Ok(HwiSigner::new(self.clone(), d)),
            (None, _) => Err(SignerError::NoDevice(what)),
            (Some(_), Some(_)) => Err(SignerError::Invalid(
                "Several hardware wallets are connected: choose one by its fingerprint (--fingerprint)."
                    .into(),
            )),
        }
    }

    async fn run(&self, device: &str, args: &[&str]) -> Result<serde_json::Value, SignerError> {
        let out = tokio::process::Command::new(&self.program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| SignerError::HwiMissing(format!("{}: {e}", self.program.display())))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let value: serde_json::Value =
            serde_json::from_str(text.trim()).map_err(|_| SignerError::Device {
                device: device.to_string(),
                message: format!(
                    "HWI printed no answer ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            })?;
        if let Some(message) = value.get("error").and_then(|e| e.as_str()) {
            let code = value.get("code").and_then(|c| c.as_i64()).unwrap_or(0);
            // The device's own "denied by the user" status word (0x6985),
            // from HWI's debug log of the APDUs: with Ledger's legacy
            // protocol HWI goes on after the denial and reports the next
            // command's failure ("Bad argument") instead.
            let denied = String::from_utf8_lossy(&out.stderr)
                .lines()
                .any(|l| l.contains("<=") && l.trim_end().ends_with("6985"));
            return Err(match code {
                -14 => SignerError::Declined(device.to_string()),
                _ if denied => SignerError::Declined(device.to_string()),
                -12 | -6 | -18 => SignerError::NotReady(device.to_string()),
                -3 => SignerError::NoDevice(format!("at this path ({message})")),
                _ => SignerError::Device {
                    device: device.to_string(),
                    message: message.to_string(),
                },
            });
        }
        Ok(value)
    }
}

/// One hardware wallet as a [`Signer`].
#[derive(Debug, Clone)]
pub struct HwiSigner {
    hwi: Hwi,
    device: DeviceInfo,
}

impl HwiSigner {
    /// The device `device` through `hwi`.
    pub fn new(hwi: Hwi, device: DeviceInfo) -> HwiSigner {
        HwiSigner { hwi, device }
    }

    /// The device.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }

    async fn call(&self, args: &[&str]) -> Result<serde_json::Value, SignerError> {
        let mut all = vec![
            // APDUs on stderr (public data only): how a denial is told
            // apart from a bad request (see `run`).
            "--debug",
            "--chain",
            self.hwi.chain,
            "--device-type",
            &self.device.kind,
            "--device-path",
            &self.device.path,
        ];
        all.extend_from_slice(args);
        self.hwi.run(&self.device.display_name(), &all).await
    }

    fn field(&self, v: &serde_json::Value, name: &str) -> Result<String, SignerError> {
        v.get(name)
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or_else(|| SignerError::Device {
                device: self.label(),
                message: format!("its answer has no {name}"),
            })
    }
}

#[async_trait]
impl Signer for HwiSigner {
    fn label(&self) -> String {
        self.device.display_name()
    }

    async fn fingerprint(&self) -> Result<Fingerprint, SignerError> {
        match &self.device.fingerprint {
            Some(f) => Fingerprint::from_str(f).map_err(|e| SignerError::Invalid(e.to_string())),
            // Not enumerated (a device reached by its path): the master key's.
            None => Ok(self.xpub(&DerivationPath::master()).await?.fingerprint()),
        }
    }

    async fn xpub(&self, path: &DerivationPath) -> Result<Xpub, SignerError> {
        let v = self
            .call(&["getxpub", &crate::keys::format_path(path)])
            .await?;
        let text = self.field(&v, "xpub")?;
        Xpub::from_str(&text).map_err(|e| SignerError::Device {
            device: self.label(),
            message: format!("an extended key that does not parse: {e}"),
        })
    }

    async fn display_address(
        &self,
        path: &DerivationPath,
        kind: AddressKind,
    ) -> Result<String, SignerError> {
        let addr_type = match kind {
            AddressKind::Wpkh => "wit",
            AddressKind::ShWpkh => "sh_wit",
            AddressKind::Tr => "tap",
            AddressKind::Pkh => "legacy",
        };
        let v = self
            .call(&[
                "displayaddress",
                "--path",
                &crate::keys::format_path(path),
                "--addr-type",
                addr_type,
            ])
            .await?;
        self.field(&v, "address")
    }

    async fn register_wallet(
        &self,
        _name: &str,
        descriptor: &str,
    ) -> Result<Option<Vec<u8>>, SignerError> {
        // Single-key BIP44/49/84/86 accounts are every device's default
        // policy: nothing to register. HWI 3.2.0 has no command to register
        // anything else.
        let single = ["wpkh(", "sh(wpkh(", "tr(", "pkh("]
            .iter()
            .any(|p| descriptor.starts_with(p))
            && !descriptor.contains("multi");
        if single {
            return Ok(None);
        }
        Err(SignerError::Device {
            device: self.label(),
            message: "registering a multi-key wallet policy is not available through HWI 3.2.0"
                .into(),
        })
    }

    async fn sign(&self, psbt: &Psbt) -> Result<Psbt, SignerError> {
        let v = self.call(&["signtx", &psbt.to_string()]).await?;
        let text = self.field(&v, "psbt")?;
        Psbt::from_str(&text).map_err(|e| SignerError::Device {
            device: self.label(),
            message: format!("a PSBT that does not parse: {e}"),
        })
    }
}
