//! `switchyard-bench cluster`: an LND cluster on etcd (`regtest up
//! --cluster`: three LND instances of one node on a three-member etcd
//! cluster) on a fresh regtest network, the app's node layer connected to it.
//!
//! - Failover: the leading instance is SIGKILLed; measured from the kill to
//!   the app's first successful call on the new leader (the header's check),
//!   and to the first successful payment through it. The killed instance is
//!   then started again as a standby, and the next kill follows.
//! - The cost of etcd: payments of the same size to bob, one at a time, from
//!   alice (LND on bbolt) and from the cluster's leader (LND on etcd), taken
//!   in turns in one run: latency (median, p90) and throughput, as ratios.
//!
//! The time here is LND's and etcd's: our code only waits on them, so the
//! build profile does not change the figures.

use crate::{BenchError, Output};
use clap::Args;
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchyard_core::node::payments::PayInvoiceRequest;
use switchyard_core::node::{NodeService, NodeSource};
use switchyard_core::Network;
use switchyard_regtest::network::NetworkOptions;

/// Options of `cluster`.
#[derive(Args, Debug, Clone)]
pub struct ClusterBenchArgs {
    /// Leaders to kill, one after the other.
    #[arg(long, default_value_t = 10)]
    kills: usize,
    /// Payments from each node (bbolt and etcd) for the cost comparison.
    #[arg(long, default_value_t = 40)]
    payments: usize,
}

fn err(e: impl std::fmt::Display) -> BenchError {
    BenchError(e.to_string())
}

fn files(net: &switchyard_regtest::Network, name: &str) -> Result<NodeSource, BenchError> {
    let p = net
        .profiles()
        .map_err(err)?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| err(format!("no profile {name}")))?;
    let mut s = NodeSource::files(
        name,
        p.grpc_host,
        p.tls_cert_path,
        p.macaroon_path,
        Network::Regtest,
    );
    if !p.endpoints.is_empty() {
        s.endpoints = p.endpoints;
        s.etcd_endpoints = p.etcd_endpoints;
    }
    Ok(s)
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| {
        if v.is_empty() {
            return 0.0;
        }
        v[(((v.len() - 1) as f64) * p).round() as usize]
    };
    (at(0.5), at(0.9), v.last().copied().unwrap_or(0.0))
}

/// Runs the benchmark.
pub fn run(args: &ClusterBenchArgs) -> Result<Output, BenchError> {
    if args.kills == 0 || args.payments == 0 {
        return Err(err("--kills and --payments must be at least 1"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(err)?;
    rt.block_on(bench(args.clone()))
}

async fn invoice(net: &switchyard_regtest::Network, sat: u64) -> Result<String, BenchError> {
    let v = tokio::task::block_in_place(|| {
        net.node("bob")
            .and_then(|b| b.cli(&["addinvoice", "--amt", &sat.to_string()]))
    })
    .map_err(err)?;
    v["payment_request"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| err("bob made no invoice"))
}

async fn pay(node: &NodeService, invoice: String) -> Result<(), String> {
    node.payments()
        .pay_invoice(&PayInvoiceRequest {
            invoice,
            amount_msat: None,
            fee_limit_sat: None,
            timeout_secs: Some(30),
        })
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn bench(args: ClusterBenchArgs) -> Result<Output, BenchError> {
    let mut opts = NetworkOptions::temp("clusterbench");
    opts.cluster = true;
    let mut net = tokio::task::spawn_blocking(move || switchyard_regtest::Network::up(opts))
        .await
        .map_err(err)?
        .map_err(err)?;
    let cluster = Arc::new(NodeService::new(Some(files(&net, "cluster")?)));
    let alice = Arc::new(NodeService::new(Some(files(&net, "alice")?)));
    cluster.conn.check().await.map_err(err)?;
    alice.conn.check().await.map_err(err)?;

    // 1. Failover.
    let mut to_call = Vec::new();
    let mut to_payment = Vec::new();
    for _ in 0..args.kills {
        let next = invoice(&net, 1_000).await?;
        let started = Instant::now();
        let killed = tokio::task::block_in_place(|| net.kill_leader()).map_err(err)?;
        loop {
            if cluster.conn.check().await.is_ok() {
                break;
            }
            if started.elapsed() > Duration::from_secs(120) {
                return Err(err("no instance took over within 120 s"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        to_call.push(started.elapsed().as_secs_f64());
        loop {
            match pay(&cluster, next.clone()).await {
                Ok(()) => break,
                Err(e) if started.elapsed() > Duration::from_secs(180) => {
                    return Err(err(format!("no payment after the failover: {e}")))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        to_payment.push(started.elapsed().as_secs_f64());
        tokio::task::block_in_place(|| {
            net.start_instance(&killed)?;
            let c = net.cluster_mut()?;
            let i = c.instance_index(&killed)?;
            let cli = c.instances[i].cli_handle();
            let deadline = Instant::now() + Duration::from_secs(60);
            while cli
                .json(&["state"])
                .ok()
                .and_then(|v| v["state"].as_str().map(String::from))
                .as_deref()
                != Some("WAITING_TO_START")
            {
                if Instant::now() > deadline {
                    return Err(switchyard_regtest::RegtestError::BadRequest(format!(
                        "{killed} did not come back as a standby"
                    )));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        })
        .map_err(err)?;
    }

    // 2. The cost of etcd: the same payments from a bbolt node and the
    // cluster, in turns.
    let mut invoices = Vec::new();
    for _ in 0..2 * args.payments {
        invoices.push(invoice(&net, 1_000).await?);
    }
    let mut bbolt = Vec::new();
    let mut etcd = Vec::new();
    let (mut bbolt_total, mut etcd_total) = (Duration::ZERO, Duration::ZERO);
    for (i, inv) in invoices.into_iter().enumerate() {
        let (node, lat, total) = if i % 2 == 0 {
            (&alice, &mut bbolt, &mut bbolt_total)
        } else {
            (&cluster, &mut etcd, &mut etcd_total)
        };
        let t = Instant::now();
        pay(node, inv).await.map_err(err)?;
        let d = t.elapsed();
        *total += d;
        lat.push(d.as_secs_f64() * 1000.0);
    }
    let n = args.payments as f64;
    let (b50, b90, _) = stats(bbolt);
    let (e50, e90, _) = stats(etcd);
    let (bt, et) = (n / bbolt_total.as_secs_f64(), n / etcd_total.as_secs_f64());
    let (c50, _, cmax) = stats(to_call.clone());
    let (p50, _, pmax) = stats(to_payment.clone());
    let text = format!(
        "LND cluster on etcd (3 instances, 3 etcd members, leader session TTL {ttl} s), regtest, this machine\n\n\
         Failover after SIGKILL of the leader ({kills} kills)   median    max\n\
         kill → first successful call (new leader)          {c50:>6.2} s {cmax:>6.2} s\n\
         kill → first successful payment                    {p50:>6.2} s {pmax:>6.2} s\n\n\
         Payments of 1000 sat to bob, {np} each, in turns     bbolt (alice)  etcd (cluster)  etcd/bbolt\n\
         latency median                                     {b50:>8.1} ms   {e50:>8.1} ms   {r50:>6.2}×\n\
         latency p90                                        {b90:>8.1} ms   {e90:>8.1} ms   {r90:>6.2}×\n\
         throughput (one at a time)                         {bt:>8.1} /s   {et:>8.1} /s   {rt:>6.2}×",
        ttl = switchyard_regtest::cluster::LEADER_SESSION_TTL,
        kills = args.kills,
        np = args.payments,
        r50 = e50 / b50,
        r90 = e90 / b90,
        rt = et / bt,
    );
    let json = serde_json::json!({
        "leader_session_ttl_s": switchyard_regtest::cluster::LEADER_SESSION_TTL,
        "failover": {
            "kills": args.kills,
            "to_first_call_s": to_call,
            "to_first_payment_s": to_payment,
            "to_first_call_median_s": c50, "to_first_call_max_s": cmax,
            "to_first_payment_median_s": p50, "to_first_payment_max_s": pmax,
        },
        "payments": {
            "each": args.payments,
            "bbolt_median_ms": b50, "bbolt_p90_ms": b90, "bbolt_per_s": bt,
            "etcd_median_ms": e50, "etcd_p90_ms": e90, "etcd_per_s": et,
            "etcd_over_bbolt_median": e50 / b50, "etcd_over_bbolt_throughput": et / bt,
        }
    })
    .to_string();
    drop(net);
    Ok(Output { text, json })
}
