//! `switchyard-bench swaps`: swaps on a fresh regtest network (our engine on
//! alice, our provider on carol, in this process): the time from "swap in"
//! to alice's channel balance holding the amount (a block is mined as soon as
//! the lockup is out, as a miner would), and the provider's throughput —
//! swaps created per second by concurrent clients, and swaps out in flight
//! at once driven to their end without an error.
//!
//! Secrets live in an in-memory keychain here (the bench needs no desktop
//! session); everything else is real: btcd, LND, SQLite files, HTTP.

use crate::{BenchError, Output};
use clap::Args;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchyard_core::amount::Sat;
use switchyard_core::keychain::MemoryKeychain;
use switchyard_core::node::{Connection, NodeService, NodeSource};
use switchyard_core::store::Store;
use switchyard_core::swap::api::{CreateReverseRequest, BTC};
use switchyard_core::swaps::{BoltzClient, EngineConfig, SwapEngine, SwapRequest};
use switchyard_core::wallet::{NewWallet, WalletService};
use switchyard_core::Network;
use switchyard_provider::{Config, Provider};
use switchyard_regtest::network::NetworkOptions;

/// Options of `swaps`.
#[derive(Args, Debug, Clone)]
pub struct SwapBenchArgs {
    /// Swaps in to time, one after the other.
    #[arg(long, default_value_t = 5)]
    swaps_in: usize,
    /// Swaps created against the provider (its throughput).
    #[arg(long, default_value_t = 200)]
    creates: usize,
    /// Concurrent clients creating them.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Swaps out in flight at once, driven to their end.
    #[arg(long, default_value_t = 10)]
    in_flight: usize,
}

fn err(e: impl std::fmt::Display) -> BenchError {
    BenchError(e.to_string())
}

fn source(net: &switchyard_regtest::Network, name: &str) -> Result<NodeSource, BenchError> {
    let p = net.node(name).map_err(err)?.profile().map_err(err)?;
    Ok(NodeSource::files(
        name,
        p.grpc_host,
        p.tls_cert_path,
        p.macaroon_path,
        Network::Regtest,
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the benchmark.
pub fn run(args: &SwapBenchArgs) -> Result<Output, BenchError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(err)?;
    rt.block_on(bench(args.clone()))
}

async fn bench(args: SwapBenchArgs) -> Result<Output, BenchError> {
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("swapbench"))
    })
    .await
    .map_err(err)?
    .map_err(err)?;
    let keychain = Arc::new(MemoryKeychain::default());
    let pdir = tempfile::tempdir().map_err(err)?;
    let cfg = Config {
        submarine_timeout_blocks: 300,
        reverse_timeout_blocks: 200,
        coop_claim_wait: Duration::from_secs(3),
        fee_rate: Some(2),
        ..Config::defaults(Network::Regtest)
    };
    let provider = Provider::start(
        cfg,
        pdir.path(),
        "bench",
        keychain.as_ref(),
        Arc::new(Connection::new(Some(source(&net, "carol")?))),
    )
    .await
    .map_err(err)?;
    let (addr, _server) = provider
        .serve("127.0.0.1:0".parse().map_err(err)?)
        .await
        .map_err(err)?;
    let url = format!("http://{addr}");

    let udir = tempfile::tempdir().map_err(err)?;
    let store = Store::open_in(udir.path()).await.map_err(err)?;
    let wallets = WalletService::new(store.clone(), keychain.clone());
    let words = switchyard_core::keys::generate_mnemonic(switchyard_core::keys::WordCount::Twelve)
        .to_string();
    let w = wallets
        .create(NewWallet {
            name: "bench".into(),
            network: Network::Regtest,
            words: SecretString::from(words),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .map_err(err)?;
    let alice = Arc::new(NodeService::new(Some(source(&net, "alice")?)));
    let engine = SwapEngine::new(
        store,
        wallets,
        alice.conn.clone(),
        EngineConfig {
            poll: Duration::from_millis(200),
            ..EngineConfig::default()
        },
    );
    let req = |amount: u64| SwapRequest {
        wallet: w.id.clone(),
        provider: url.clone(),
        amount: Sat::from_sat(amount),
        max_fee: Sat::from_sat(50_000),
        external_funding: false,
    };

    // 1. Swap in → channel balance.
    let mut latencies = Vec::new();
    for _ in 0..args.swaps_in {
        let before = alice
            .channels()
            .balances()
            .await
            .map_err(err)?
            .lightning_local_sat;
        let t0 = Instant::now();
        let v = engine.swap_in(&req(50_000)).await.map_err(err)?;
        loop {
            if !engine.view(&v.id).await.map_err(err)?.lockup.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::task::block_in_place(|| net.mine(1)).map_err(err)?;
        let target = before
            .checked_add(Sat::from_sat(50_000))
            .ok_or_else(|| err("overflow"))?;
        loop {
            let b = alice.channels().balances().await.map_err(err)?;
            if b.lightning_local_sat >= target {
                break;
            }
            if t0.elapsed() > Duration::from_secs(120) {
                return Err(err("a swap in did not complete within 120 s"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));

    // 2. Throughput: concurrent clients creating swaps out (hold invoice,
    // keys, tree, database row each).
    let api = BoltzClient::new(&url).map_err(err)?;
    let started = Instant::now();
    let per_client = args.creates.div_ceil(args.clients.max(1));
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0usize;
            let mut failed = 0usize;
            let mut times = Vec::new();
            for i in 0..per_client {
                let mut pre = [0u8; 32];
                pre[..8].copy_from_slice(&(c as u64).to_be_bytes());
                pre[8..16].copy_from_slice(&(i as u64).to_be_bytes());
                pre[16] = 0xb7;
                let hash = bitcoin::hashes::sha256::Hash::hash(&pre);
                let key = {
                    let secp = bitcoin::secp256k1::Secp256k1::new();
                    let sk = bitcoin::secp256k1::SecretKey::from_slice(
                        &bitcoin::hashes::sha256::Hash::hash(&pre[..17]).to_byte_array(),
                    )
                    .unwrap_or_else(|_| {
                        unreachable!("a hash is a valid key with overwhelming probability")
                    });
                    sk.public_key(&secp)
                };
                let t = Instant::now();
                let r = api
                    .create_reverse(&CreateReverseRequest {
                        from: BTC.into(),
                        to: BTC.into(),
                        preimage_hash: bitcoin::hex::DisplayHex::to_lower_hex_string(
                            &hash.to_byte_array()[..],
                        ),
                        claim_public_key: bitcoin::hex::DisplayHex::to_lower_hex_string(
                            &key.serialize()[..],
                        ),
                        invoice_amount: Some(20_000),
                        onchain_amount: None,
                        pair_hash: None,
                        description: None,
                        referral_id: None,
                    })
                    .await;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                match r {
                    Ok(_) => ok += 1,
                    Err(_) => failed += 1,
                }
            }
            (ok, failed, times)
        }));
    }
    let (mut created, mut create_errors, mut create_times) = (0usize, 0usize, Vec::new());
    for t in tasks {
        let (ok, failed, times) = t.await.map_err(err)?;
        created += ok;
        create_errors += failed;
        create_times.extend(times);
    }
    let create_secs = started.elapsed().as_secs_f64();
    create_times.sort_by(|a, b| a.total_cmp(b));

    // 3. Swaps out in flight at once, to their end.
    let t0 = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..args.in_flight {
        ids.push(engine.swap_out(&req(20_000)).await.map_err(err)?.id);
    }
    let mut done = 0usize;
    let mut failed = 0usize;
    for _ in 0..60 {
        tokio::task::block_in_place(|| net.mine(1)).map_err(err)?;
        tokio::time::sleep(Duration::from_millis(700)).await;
        let views = futures_join(&engine, &ids).await?;
        done = views.iter().filter(|v| v.is_final).count();
        failed = views
            .iter()
            .filter(|v| v.outcome.as_deref() == Some("failed"))
            .count();
        if done == ids.len() {
            break;
        }
    }
    let in_flight_secs = t0.elapsed().as_secs_f64();
    engine.stop();

    let text = format!(
        "swaps on regtest (engine on alice, provider on carol, {} build)\n\
         | measure | value |\n|---|---|\n\
         | swap in → channel balance, median | {:.0} ms |\n\
         | swap in → channel balance, max | {:.0} ms |\n\
         | swap in → channel balance, runs | {} |\n\
         | provider creates/s ({} clients) | {:.1} |\n\
         | provider create p50 / p99 | {:.0} / {:.0} ms |\n\
         | creates ok / errors | {} / {} |\n\
         | swaps out in flight at once | {} |\n\
         | of them final / failed | {} / {} |\n\
         | all final after | {:.1} s |\n",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "optimised"
        },
        percentile(&latencies, 0.5),
        latencies.last().copied().unwrap_or(0.0),
        latencies.len(),
        args.clients,
        created as f64 / create_secs.max(f64::EPSILON),
        percentile(&create_times, 0.5),
        percentile(&create_times, 0.99),
        created,
        create_errors,
        ids.len(),
        done,
        failed,
        in_flight_secs,
    );
    let json = serde_json::json!({
        "swap_in_ms": latencies,
        "creates_per_s": created as f64 / create_secs.max(f64::EPSILON),
        "create_ms_p50": percentile(&create_times, 0.5),
        "create_ms_p99": percentile(&create_times, 0.99),
        "creates_ok": created,
        "create_errors": create_errors,
        "in_flight": ids.len(),
        "in_flight_final": done,
        "in_flight_failed": failed,
        "in_flight_secs": in_flight_secs,
    })
    .to_string();
    drop(provider);
    Ok(Output { text, json })
}

async fn futures_join(
    engine: &SwapEngine,
    ids: &[String],
) -> Result<Vec<switchyard_core::swaps::SwapView>, BenchError> {
    let mut out = Vec::new();
    for id in ids {
        out.push(engine.view(id).await.map_err(err)?);
    }
    Ok(out)
}

use bitcoin::hashes::Hash;
