//! `switchyard-bench zk`: the audit log's zero-knowledge proofs on this
//! machine — making the keys, proving, verifying, and the proof's size —
//! over a synthetic log of `--entries` entries (the proof's cost does not
//! depend on the log's size: the tree always has 2^32 leaves; building the
//! Poseidon tree natively does, and is timed apart).

use crate::{BenchError, Output};
use clap::Args;
use std::time::Instant;
use switchyard_pure::audit::{Entry, Kind};
use switchyard_zk::audit as zk;
use switchyard_zk::{Prover, Verifier};

/// Options of `zk`.
#[derive(Args, Debug, Clone)]
pub struct ZkBenchArgs {
    /// Entries in the synthetic log.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,
    /// Proofs made and checked.
    #[arg(long, default_value_t = 10)]
    proofs: usize,
}

fn err(e: impl std::fmt::Display) -> BenchError {
    BenchError(e.to_string())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

pub fn run(args: &ZkBenchArgs) -> Result<Output, BenchError> {
    let proofs = args.proofs.max(1);
    let actors = ["desktop:alice".to_string(), "cli:alice".to_string()];
    let t0 = 1_790_000_000_000u64;
    let lines: Vec<String> = (0..args.entries.max(1) as u64)
        .map(|i| {
            Entry {
                index: i,
                at_ms: t0 + i * 1000,
                actor: actors[(i % 2) as usize].clone(),
                kind: Kind::ALL[(i as usize) % Kind::ALL.len()],
                subject: Some(format!("wallet:w_{i:016x}")),
                ok: true,
                detail: Default::default(),
            }
            .line()
        })
        .collect();
    let started = Instant::now();
    let log = zk::SaltedLog::new(&lines, &[9; 32]).map_err(err)?;
    let tree = log.tree().map_err(err)?;
    let root = switchyard_zk::field::to_repr(&tree.root());
    let entries = &log.entries;
    let tree_s = started.elapsed().as_secs_f64();
    // A head signed with a throwaway key (the bench has no log keys).
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let keypair = bitcoin::secp256k1::Keypair::from_seckey_slice(&secp, &[7; 32]).map_err(err)?;
    let head = switchyard_pure::audit::ZkHead::sign(&keypair, lines.len() as u64, &root, t0);

    let started = Instant::now();
    let verifier = Verifier::new().map_err(err)?;
    let vk_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let prover = Prover::new().map_err(err)?;
    let pk_s = started.elapsed().as_secs_f64();

    let (mut prove, mut verify, mut size) = (vec![], vec![], 0usize);
    for p in 0..proofs {
        let index = (p * entries.len() / proofs) as u64;
        let at = entries[index as usize].at_ms;
        let started = Instant::now();
        let file = zk::prove(
            &prover,
            &log,
            &tree,
            &head,
            index,
            at - 5_000,
            at + 5_000,
            &actors,
        )
        .map_err(err)?;
        prove.push(started.elapsed().as_secs_f64());
        let text = serde_json::to_string(&file).map_err(err)?;
        size = file.proof.len() / 2;
        let started = Instant::now();
        let report = zk::check(&verifier, &text, None, None).map_err(err)?;
        verify.push(started.elapsed().as_secs_f64());
        if !report.ok {
            return Err(BenchError(format!(
                "proof {p} did not verify: {}",
                report.summary
            )));
        }
    }
    let (prove_med, verify_med) = (median(prove.clone()), median(verify.clone()));
    let prove_max = prove.iter().copied().fold(0.0, f64::max);
    let verify_max = verify.iter().copied().fold(0.0, f64::max);
    let text = format!(
        "Zero-knowledge proofs of the audit log ({circuit}; {n} entries, {proofs} proofs)\n\
         | measure | value |\n|---|---|\n\
         | Poseidon tree of the log (native) | {tree:.2} s |\n\
         | verifier keys (parameters + vk) | {vk:.2} s |\n\
         | prover keys (parameters + vk + pk) | {pk:.2} s |\n\
         | prove, median / max | {pm:.2} s / {px:.2} s |\n\
         | verify (whole file: head, set, proof), median / max | {vm:.0} ms / {vx:.0} ms |\n\
         | proof size | {size} bytes |",
        circuit = switchyard_zk::CIRCUIT,
        n = entries.len(),
        tree = tree_s,
        vk = vk_s,
        pk = pk_s,
        pm = prove_med,
        px = prove_max,
        vm = verify_med * 1000.0,
        vx = verify_max * 1000.0,
    );
    let json = serde_json::json!({
        "circuit": switchyard_zk::CIRCUIT,
        "entries": entries.len(),
        "proofs": proofs,
        "tree_s": tree_s,
        "verifier_keys_s": vk_s,
        "prover_keys_s": pk_s,
        "prove_s": { "median": prove_med, "max": prove_max },
        "verify_s": { "median": verify_med, "max": verify_max },
        "proof_bytes": size,
    })
    .to_string();
    Ok(Output { text, json })
}
