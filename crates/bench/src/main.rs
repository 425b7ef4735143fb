//! `switchyard-bench`: benchmarks that compare Switchyard with a peer, kept
//! out of the shipped binaries (the peer, LDK, is linked here only).
//!
//! `switchyard-bench route …` prints a table; `--json` the same figures for
//! scripts, and errors as `{"error": {"code", "message"}}` like `switchyard`.
//! Build with `--profile bench` (every crate at `opt-level = 3`, LDK included:
//! the release profile optimises dependencies for size); debug builds say
//! nothing about speed.

mod cluster;
mod route;
mod swaps;
mod zk;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "switchyard-bench",
    version,
    about = "Switchyard against its peers, side by side"
)]
struct Cli {
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Our router against LDK's on the same graph and queries: load time,
    /// memory, updates/s, route p50/p99, routes found, fees.
    Route(route::RouteBenchArgs),
    /// Swaps on a fresh regtest network: swap in → channel balance, the
    /// provider's creates per second, swaps in flight at once.
    Swaps(swaps::SwapBenchArgs),
    /// The audit log's zero-knowledge proofs: keys, prove, verify, size.
    Zk(zk::ZkBenchArgs),
    /// An LND cluster on etcd: failover time after the leader's death (to
    /// the app's first call, to a payment) and etcd's cost against bbolt.
    Cluster(cluster::ClusterBenchArgs),
}

/// A benchmark that could not run: bad input (a graph file that is not one).
#[derive(Debug)]
pub struct BenchError(pub String);

/// A finished benchmark: the table and the same figures as JSON.
pub struct Output {
    text: String,
    json: String,
}

fn print_out(s: &str) {
    // A closed pipe (`switchyard-bench … | head`) is not an error.
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{s}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Route(args) => route::run(args),
        Command::Swaps(args) => swaps::run(args),
        Command::Zk(args) => zk::run(args),
        Command::Cluster(args) => cluster::run(args),
    };
    match result {
        Ok(out) => {
            print_out(if cli.json { &out.json } else { &out.text });
            ExitCode::SUCCESS
        }
        Err(BenchError(message)) => {
            if cli.json {
                let e = serde_json::json!({
                    "error": { "code": "invalid_request", "message": message, "detail": null }
                });
                print_out(&e.to_string());
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::FAILURE
        }
    }
}
