//! Why the regtest network could not do what was asked; each message says
//! what to do, and daemon failures carry the tail of the daemon's log.

use std::path::PathBuf;

/// Errors of the regtest harness.
#[derive(Debug, thiserror::Error)]
pub enum RegtestError {
    /// A daemon binary is not where we looked.
    #[error("{name} was not found in {dir}. Build the regtest binaries with tools/regtest/build.sh (scripts/run.sh and scripts/test.sh do), or point SWITCHYARD_REGTEST_BIN at a directory with lnd, lncli, btcd and btcctl.")]
    MissingBinary {
        /// lnd, lncli, btcd or btcctl.
        name: &'static str,
        /// Where we looked.
        dir: PathBuf,
    },
    /// A daemon could not be spawned.
    #[error("Could not start {name}: {source}")]
    Spawn {
        /// Which daemon.
        name: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A daemon exited while we were waiting for it.
    #[error("{name} exited during start-up ({status}). Last lines of its log ({log}):\n{tail}")]
    DaemonDied {
        /// Which daemon.
        name: String,
        /// Its exit status.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },
    /// A condition did not become true in time.
    #[error("Timed out after {seconds} s waiting for {what}.{}", if tail.is_empty() { String::new() } else { format!(" Last log lines:\n{tail}") })]
    Timeout {
        /// What we waited for.
        what: String,
        /// How long.
        seconds: u64,
        /// Log lines that may explain it.
        tail: String,
    },
    /// A client command (lncli, btcctl) failed.
    #[error("`{command}` failed: {stderr}")]
    Command {
        /// The command line (without secrets; there are none on regtest).
        command: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A client command printed something we could not read.
    #[error("Unexpected output from `{command}`: {detail}")]
    Output {
        /// The command line.
        command: String,
        /// What was wrong.
        detail: String,
    },
    /// The data directory is in a state we cannot use.
    #[error("The regtest data directory {dir} cannot be used: {reason}")]
    DataDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// No network is running in the directory.
    #[error("No regtest network is running in {dir}. Start one with `switchyard regtest up`.")]
    NotRunning {
        /// The directory.
        dir: PathBuf,
    },
    /// A node name that does not exist.
    #[error("There is no node named {name}; the nodes are {known}.")]
    UnknownNode {
        /// The name given.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// A bad argument.
    #[error("{0}")]
    BadRequest(String),
    /// File system trouble.
    #[error("{what} {path}: {source}")]
    Io {
        /// What we were doing.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

impl RegtestError {
    /// An I/O error with its context.
    pub fn io(what: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| RegtestError::Io { what, path, source }
    }
}
