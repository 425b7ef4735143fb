//! Where the daemon binaries are: `$SWITCHYARD_REGTEST_BIN`, else the newest
//! complete build under `~/.cache/switchyard/regtest-bin/` (where
//! `tools/regtest/build.sh` puts them).

use crate::error::RegtestError;
use std::path::{Path, PathBuf};

/// Environment variable naming the directory with lnd, lncli, btcd, btcctl, etcd.
pub const BIN_ENV: &str = "SWITCHYARD_REGTEST_BIN";

/// Paths of the five binaries.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The LND daemon.
    pub lnd: PathBuf,
    /// LND's client.
    pub lncli: PathBuf,
    /// The btcd daemon.
    pub btcd: PathBuf,
    /// btcd's client.
    pub btcctl: PathBuf,
    /// The etcd server (the LND cluster's database).
    pub etcd: PathBuf,
}

const NAMES: [&str; 5] = ["lnd", "lncli", "btcd", "btcctl", "etcd"];

impl Binaries {
    /// The binaries in `dir`, each checked to exist.
    pub fn in_dir(dir: &Path) -> Result<Binaries, RegtestError> {
        for name in NAMES {
            if !dir.join(name).is_file() {
                return Err(RegtestError::MissingBinary {
                    name,
                    dir: dir.to_path_buf(),
                });
            }
        }
        Ok(Binaries {
            lnd: dir.join("lnd"),
            lncli: dir.join("lncli"),
            btcd: dir.join("btcd"),
            btcctl: dir.join("btcctl"),
            etcd: dir.join("etcd"),
        })
    }

    /// `$SWITCHYARD_REGTEST_BIN`, else the newest complete build in the cache.
    pub fn locate() -> Result<Binaries, RegtestError> {
        if let Some(dir) = std::env::var_os(BIN_ENV).filter(|d| !d.is_empty()) {
            return Binaries::in_dir(Path::new(&dir));
        }
        let root = cache_root();
        let mut builds: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| !p.to_string_lossy().contains(".partial."))
            .filter(|p| NAMES.iter().all(|n| p.join(n).is_file()))
            .filter_map(|p| Some((p.join("lnd").metadata().ok()?.modified().ok()?, p)))
            .collect();
        builds.sort();
        match builds.pop() {
            Some((_, dir)) => Binaries::in_dir(&dir),
            None => Err(RegtestError::MissingBinary {
                name: "lnd",
                dir: root,
            }),
        }
    }
}

fn cache_root() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".cache/switchyard/regtest-bin")
}
