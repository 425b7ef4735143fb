//! `switchyard-bench route`: our router against LDK's (`lightning` crate,
//! `find_route` with its default `ProbabilisticScorer`) on the same graph and
//! the same queries, in this process. Prints a table (or `--json`).
//!
//! Measured, per router: graph load time (build from the channel list; for a
//! snapshot file, parsing is timed separately), graph memory (our exact heap
//! bytes; for both, the process's resident-set growth while building), policy
//! updates per second, and route time p50/p99 over the queries; then how
//! often each found a route and how their fees compare when both did.
//! Build with `--profile bench` (every crate at `opt-level = 3`, LDK included:
//! the release profile optimises dependencies for size); debug builds say
//! nothing about speed.

use crate::{BenchError, Output};
use bitcoin::secp256k1::PublicKey;
use clap::Args;
use lightning::ln::msgs::UnsignedChannelUpdate;
use lightning::routing::gossip::{NetworkGraph, NodeId};
use lightning::routing::router::{
    find_route as ldk_find_route, CandidateRouteHop, PaymentParameters, RouteParameters,
};
use lightning::routing::scoring::{
    ChannelUsage, ProbabilisticScorer, ProbabilisticScoringDecayParameters,
    ProbabilisticScoringFeeParameters, ScoreLookUp,
};
use lightning::types::features::ChannelFeatures;
use lightning::util::logger::{Logger, Record};
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use switchyard_pure::amount::Msat;
use switchyard_pure::graph::import::parse_describegraph;
use switchyard_pure::graph::model::{ChannelSpec, GraphUpdate, Policy};
use switchyard_pure::graph::synth::{self, SplitMix64, SynthParams};
use switchyard_pure::graph::{
    find_route, Graph, MissionControl, RouteRequest, RouterConfig, Scratch,
};
use switchyard_pure::plan::{plan, PlanQuery};

/// Options of `bench route`.
#[derive(Args, Debug, Clone)]
pub struct RouteBenchArgs {
    /// Nodes of the synthetic graph.
    #[arg(long, default_value_t = 15_000)]
    pub nodes: usize,
    /// Channels of the synthetic graph.
    #[arg(long, default_value_t = 60_000)]
    pub channels: usize,
    /// Random (source, destination, amount) queries.
    #[arg(long, default_value_t = 1_000)]
    pub queries: usize,
    /// Policy updates applied for the updates/s figure.
    #[arg(long, default_value_t = 1_000_000)]
    pub updates: usize,
    /// Seed of the graph and the queries.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A real snapshot instead: `lncli describegraph` JSON.
    #[arg(long)]
    pub graph: Option<PathBuf>,
    /// Or a BOLT 7 gossip file (u16-length-prefixed messages).
    #[arg(long, conflicts_with = "graph")]
    pub gossip: Option<PathBuf>,
    /// Our reliability weight, msat per unit of −ln P (default: the router's).
    #[arg(long)]
    pub probability_weight: Option<f64>,
    /// Our time-lock risk factor, ppb (default: the router's).
    #[arg(long)]
    pub risk_factor_ppb: Option<u64>,
}

/// LDK's default scorer, plus the constraint our router applies and LDK
/// lacks: no forwarding hop with a CLTV delta below the floor (the payer's
/// own channel is exempt, as in ours). Such hops get a prohibitive penalty,
/// and a route that still uses one counts as not found.
struct CltvFloor<'a, S> {
    inner: &'a S,
    min_delta: u32,
    payer: NodeId,
}

impl<S: ScoreLookUp> ScoreLookUp for CltvFloor<'_, S> {
    type ScoreParams = S::ScoreParams;
    fn channel_penalty_msat(
        &self,
        candidate: &CandidateRouteHop,
        usage: ChannelUsage,
        params: &Self::ScoreParams,
    ) -> u64 {
        if candidate.source() != self.payer && candidate.cltv_expiry_delta() < self.min_delta {
            return u64::MAX / 4;
        }
        self.inner.channel_penalty_msat(candidate, usage, params)
    }
}

struct NoLog;
impl Logger for NoLog {
    fn log(&self, _record: Record) {}
}
static NO_LOG: NoLog = NoLog;

/// One router's figures.
#[derive(Debug, Clone, Serialize)]
pub struct RouterFigures {
    /// Graph build time, ms.
    pub load_ms: f64,
    /// Resident-set growth while building, MiB.
    pub rss_mib: f64,
    /// Heap bytes of the graph as the structure counts them, MiB (ours only).
    pub heap_mib: Option<f64>,
    /// Policy updates applied per second.
    pub updates_per_sec: f64,
    /// Route time, median, µs.
    pub p50_us: f64,
    /// Route time, 99th percentile, µs.
    pub p99_us: f64,
    /// Queries with a route.
    pub found: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct RouteBench {
    /// What graph.
    pub graph: String,
    /// Nodes.
    pub nodes: usize,
    /// Channels.
    pub channels: usize,
    /// Parse time of the snapshot file, ms.
    pub parse_ms: Option<f64>,
    /// The optimisation level both routers were built at ("3" in the
    /// `bench` profile; anything else is not a fair comparison).
    pub opt_level: &'static str,
    /// Queries run.
    pub queries: usize,
    /// Ours.
    pub ours: RouterFigures,
    /// LDK's.
    pub ldk: RouterFigures,
    /// ours p50 / LDK p50.
    pub p50_ratio: f64,
    /// The app's preview (`plan`: our router and the shaping the UI shows),
    /// median, µs.
    pub plan_p50_us: f64,
    /// … 99th percentile, µs.
    pub plan_p99_us: f64,
    /// Queries where `plan`'s best route has the router's fee (all of them).
    pub plan_agrees: usize,
    /// Queries where both found a route.
    pub both_found: usize,
    /// … and ours cost less in fees.
    pub ours_cheaper: usize,
    /// … and fees were equal.
    pub same_fee: usize,
    /// … and ours cost more than LDK's by more than 1%.
    pub ours_worse_over_1pct: usize,
    /// Worst case of ours over LDK's fee, percent (negative: ours always cheaper or equal).
    pub worst_fee_excess_pct: f64,
    /// Median fee of ours / LDK's over the queries both found, msat.
    pub median_fee_ours_msat: u64,
    /// LDK's.
    pub median_fee_ldk_msat: u64,
    /// The queries where ours cost more than 1% over LDK's, for inspection.
    pub worse_cases: Vec<WorseCase>,
}

/// A query where our fee exceeded LDK's by more than 1%.
#[derive(Debug, Clone, Serialize)]
pub struct WorseCase {
    /// Query number.
    pub query: usize,
    /// Amount, msat.
    pub amount_msat: u64,
    /// Our fee, msat.
    pub ours_fee_msat: u64,
    /// Our fee with fees as the only cost, msat.
    pub ours_fees_only_msat: Option<u64>,
    /// LDK's fee, msat.
    pub ldk_fee_msat: u64,
    /// Our hops.
    pub ours_hops: usize,
    /// LDK's hops.
    pub ldk_hops: usize,
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn ldk_update(scid: u64, dir: u8, p: &Policy, timestamp: u32) -> UnsignedChannelUpdate {
    UnsignedChannelUpdate {
        chain_hash: bitcoin::constants::ChainHash::using_genesis_block(bitcoin::Network::Bitcoin),
        short_channel_id: scid,
        timestamp,
        message_flags: 1,
        channel_flags: dir | if p.disabled { 2 } else { 0 },
        cltv_expiry_delta: p.cltv_delta,
        htlc_minimum_msat: p.htlc_min_msat,
        htlc_maximum_msat: p.htlc_max_msat,
        fee_base_msat: p.base_fee_msat,
        fee_proportional_millionths: p.fee_ppm,
        excess_data: Vec::new(),
    }
}

fn build_ldk(specs: &[ChannelSpec], now: u32) -> NetworkGraph<&'static NoLog> {
    let g = NetworkGraph::new(bitcoin::Network::Bitcoin, &NO_LOG);
    for s in specs {
        // LDK wants node_1 < node_2 (channel_flags bit 0 = direction from node_2).
        let (n1, n2, p1, p2) = if s.node1 < s.node2 {
            (&s.node1, &s.node2, &s.policy1, &s.policy2)
        } else {
            (&s.node2, &s.node1, &s.policy2, &s.policy1)
        };
        let (Ok(a), Ok(b)) = (NodeId::from_slice(n1), NodeId::from_slice(n2)) else {
            continue;
        };
        if g.add_channel_from_partial_announcement(
            s.scid,
            Some(s.capacity_sat),
            u64::from(now),
            ChannelFeatures::empty(),
            a,
            b,
        )
        .is_err()
        {
            continue;
        }
        for (dir, p) in [(0u8, p1), (1u8, p2)] {
            if let Some(p) = p {
                let _ = g.update_channel_unsigned(&ldk_update(s.scid, dir, p, now));
            }
        }
    }
    g
}

/// Runs the benchmark.
pub fn run(a: &RouteBenchArgs) -> Result<Output, BenchError> {
    let bad = BenchError;
    let (specs, label, parse_ms) = match (&a.graph, &a.gossip) {
        (None, Some(path)) => {
            let bytes = std::fs::read(path)
                .map_err(|e| bad(format!("Could not read {}: {e}", path.display())))?;
            let t = Instant::now();
            let imp = switchyard_pure::graph::gossip::parse_gossip(&bytes)
                .map_err(|e| bad(e.to_string()))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            (imp.channels, path.display().to_string(), Some(ms))
        }
        (Some(path), _) => {
            let bytes = std::fs::read(path)
                .map_err(|e| bad(format!("Could not read {}: {e}", path.display())))?;
            let t = Instant::now();
            let specs = parse_describegraph(&bytes).map_err(|e| bad(e.to_string()))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            (specs, path.display().to_string(), Some(ms))
        }
        (None, None) => {
            if a.nodes < 3 || a.channels < a.nodes {
                return Err(bad(
                    "Use at least 3 nodes and as many channels as nodes.".into()
                ));
            }
            let p = SynthParams {
                nodes: a.nodes,
                channels: a.channels,
                seed: a.seed,
                ..SynthParams::default()
            };
            (
                synth::channels(&p),
                format!("synthetic (seed {})", a.seed),
                None,
            )
        }
    };
    let now = u32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
    .unwrap_or(u32::MAX);

    // Load: ours, then LDK's.
    let rss0 = rss_kib();
    let t = Instant::now();
    let mut ours = Graph::from_channels(specs.iter().cloned());
    let our_load = t.elapsed();
    let our_rss = rss_kib().saturating_sub(rss0);
    let rss1 = rss_kib();
    let t = Instant::now();
    let ldk = build_ldk(&specs, now);
    let ldk_load = t.elapsed();
    let ldk_rss = rss_kib().saturating_sub(rss1);

    // Queries over nodes that have channels: log-uniform 1,000–500,000 sats.
    let n = ours.node_count();
    let mut rng = SplitMix64::new(a.seed ^ 0x7175_6572);
    let queries: Vec<(u32, u32, u64)> = (0..a.queries)
        .map(|_| {
            let s = rng.below(n as u64) as u32;
            let mut t = rng.below(n as u64) as u32;
            if t == s {
                t = (t + 1) % n as u32;
            }
            let sats = (1_000f64 * 500f64.powf(rng.unit())) as u64;
            (s, t, sats * 1000)
        })
        .collect();
    let defaults = RouterConfig::default();
    let cfg = RouterConfig {
        current_height: 870_000,
        probability_weight_msat: a
            .probability_weight
            .unwrap_or(defaults.probability_weight_msat),
        risk_factor_ppb: a.risk_factor_ppb.unwrap_or(defaults.risk_factor_ppb),
        ..defaults
    };
    let mc = MissionControl::new();
    let mut scratch = Scratch::new();
    let mut our_times = Vec::with_capacity(queries.len());
    let mut our_fees: Vec<Option<u64>> = Vec::with_capacity(queries.len());
    let mut our_hops: Vec<usize> = Vec::with_capacity(queries.len());
    for &(s, t, amt) in &queries {
        let req = RouteRequest {
            source: s,
            target: t,
            amount_msat: amt,
            ..Default::default()
        };
        let t0 = Instant::now();
        let r = find_route(&ours, &req, &cfg, &mc, &mut scratch);
        our_times.push(t0.elapsed());
        our_hops.push(r.as_ref().map_or(0, |r| r.hops.len()));
        our_fees.push(r.ok().map(|r| r.fee_msat));
    }

    // The app's preview path over the same queries: `plan` (our router plus
    // the shaping the UI shows: keys in hex, aliases, per-hop figures). Its
    // best route must be the router's own.
    let mut plan_times = Vec::with_capacity(queries.len());
    let mut plan_agrees = 0usize;
    for (i, &(s, t, amt)) in queries.iter().enumerate() {
        let q = PlanQuery {
            source: *ours.pubkey(s),
            destination: *ours.pubkey(t),
            amount_msat: Msat::from_msat(amt),
            routes: 1,
            config: cfg.clone(),
            local_balance_msat: Default::default(),
            route_hints: Vec::new(),
            compare_with: None,
        };
        let t0 = Instant::now();
        let p = plan(&ours, &q, &[]);
        plan_times.push(t0.elapsed());
        if p.routes.first().map(|r| r.fee_msat.to_msat()) == our_fees[i] {
            plan_agrees += 1;
        }
    }
    plan_times.sort();

    // (Not timed) the cheapest route by fees alone, to explain any case where
    // ours costs more than LDK's.
    let fees_only = RouterConfig {
        current_height: cfg.current_height,
        ..RouterConfig::fees_only()
    };
    let our_fees_only: Vec<Option<u64>> = queries
        .iter()
        .map(|&(s, t, amt)| {
            let req = RouteRequest {
                source: s,
                target: t,
                amount_msat: amt,
                ..Default::default()
            };
            find_route(&ours, &req, &fees_only, &mc, &mut scratch)
                .ok()
                .map(|r| r.fee_msat)
        })
        .collect();

    let scorer = ProbabilisticScorer::new(
        ProbabilisticScoringDecayParameters::default(),
        &ldk,
        &NO_LOG,
    );
    let fee_params = ProbabilisticScoringFeeParameters::default();
    let mut ldk_times = Vec::with_capacity(queries.len());
    let mut ldk_fees: Vec<Option<u64>> = Vec::with_capacity(queries.len());
    let mut ldk_hops: Vec<usize> = Vec::with_capacity(queries.len());
    for &(s, t, amt) in &queries {
        let (Ok(src), Ok(dst)) = (
            PublicKey::from_slice(ours.pubkey(s)),
            PublicKey::from_slice(ours.pubkey(t)),
        ) else {
            ldk_times.push(Duration::ZERO);
            ldk_fees.push(None);
            ldk_hops.push(0);
            continue;
        };
        let mut pp = PaymentParameters::from_node_id(dst, cfg.final_cltv_delta);
        pp.max_path_count = 1;
        pp.max_total_cltv_expiry_delta = cfg.max_total_cltv;
        let rp = RouteParameters {
            payment_params: pp,
            final_value_msat: amt,
            max_total_routing_fee_msat: None,
        };
        let floor = CltvFloor {
            inner: &scorer,
            min_delta: u32::from(cfg.min_cltv_delta),
            payer: NodeId::from_pubkey(&src),
        };
        let t0 = Instant::now();
        let r = ldk_find_route(
            &src,
            &rp,
            &ldk,
            None,
            &NO_LOG,
            &floor,
            &fee_params,
            &[7u8; 32],
        );
        ldk_times.push(t0.elapsed());
        // Each hop's delta is the one its node adds to forward (the last:
        // the final delta); all must respect the floor.
        let valid = r.ok().filter(|r| {
            r.paths.iter().all(|p| {
                p.hops
                    .iter()
                    .all(|h| h.cltv_expiry_delta >= u32::from(cfg.min_cltv_delta))
            })
        });
        ldk_hops.push(valid.as_ref().map_or(0, |r| r.paths[0].hops.len()));
        ldk_fees.push(valid.map(|r| r.get_total_fees()));
    }

    // Updates: policy changes on existing channels.
    let chans: Vec<&ChannelSpec> = specs.iter().collect();
    let mut urng = SplitMix64::new(a.seed ^ 0x7570_6474);
    let updates: Vec<GraphUpdate> = (0..a.updates)
        .map(|i| {
            let c = chans[urng.below(chans.len() as u64) as usize];
            let p = Policy {
                base_fee_msat: urng.below(2000) as u32,
                fee_ppm: urng.below(2000) as u32,
                cltv_delta: 40 + urng.below(100) as u16,
                htlc_min_msat: 1000,
                htlc_max_msat: c.capacity_sat * 990,
                disabled: false,
                last_update: now.wrapping_add(i as u32),
                inbound_base_msat: 0,
                inbound_fee_ppm: 0,
            };
            GraphUpdate::Policy {
                scid: c.scid,
                advertising: if i % 2 == 0 { c.node1 } else { c.node2 },
                connecting: if i % 2 == 0 { c.node2 } else { c.node1 },
                capacity_sat: c.capacity_sat,
                policy: p,
            }
        })
        .collect();
    let t = Instant::now();
    for u in &updates {
        ours.apply(u);
    }
    let our_ups = updates.len() as f64 / t.elapsed().as_secs_f64().max(1e-9);
    // LDK checks and stores each update under a lock; fewer suffice for a rate.
    let ldk_n = (updates.len() / 10).max(1).min(updates.len());
    let ldk_updates: Vec<UnsignedChannelUpdate> = updates[..ldk_n]
        .iter()
        .enumerate()
        .filter_map(|(i, u)| match u {
            GraphUpdate::Policy {
                scid,
                advertising,
                connecting,
                policy,
                ..
            } => {
                let dir = u8::from(advertising > connecting);
                Some(ldk_update(*scid, dir, policy, now + 1 + i as u32))
            }
            _ => None,
        })
        .collect();
    let t = Instant::now();
    for u in &ldk_updates {
        let _ = ldk.update_channel_unsigned(u);
    }
    let ldk_ups = ldk_updates.len() as f64 / t.elapsed().as_secs_f64().max(1e-9);

    our_times.sort();
    ldk_times.sort();
    let figures = |load: Duration,
                   rss: u64,
                   heap: Option<usize>,
                   ups: f64,
                   times: &[Duration],
                   fees: &[Option<u64>]| RouterFigures {
        load_ms: load.as_secs_f64() * 1e3,
        rss_mib: rss as f64 / 1024.0,
        heap_mib: heap.map(|b| b as f64 / 1048576.0),
        updates_per_sec: ups,
        p50_us: pct(times, 0.5),
        p99_us: pct(times, 0.99),
        found: fees.iter().filter(|f| f.is_some()).count(),
    };
    let o = figures(
        our_load,
        our_rss,
        Some(ours.heap_bytes()),
        our_ups,
        &our_times,
        &our_fees,
    );
    let l = figures(ldk_load, ldk_rss, None, ldk_ups, &ldk_times, &ldk_fees);
    let mut both = Vec::new();
    for (of, lf) in our_fees.iter().zip(&ldk_fees) {
        if let (Some(o), Some(l)) = (of, lf) {
            both.push((*o, *l));
        }
    }
    let excess = |o: u64, l: u64| {
        if l == 0 {
            if o == 0 {
                0.0
            } else {
                100.0
            }
        } else {
            (o as f64 - l as f64) / l as f64 * 100.0
        }
    };
    let worse_cases: Vec<WorseCase> = (0..queries.len())
        .filter_map(|i| {
            let (o, l) = (our_fees[i]?, ldk_fees[i]?);
            (excess(o, l) > 1.0).then(|| {
                let amt = queries[i].2;
                WorseCase {
                    query: i,
                    amount_msat: amt,
                    ours_fee_msat: o,
                    ours_fees_only_msat: our_fees_only[i],
                    ldk_fee_msat: l,
                    ours_hops: our_hops[i],
                    ldk_hops: ldk_hops[i],
                }
            })
        })
        .collect();
    let mut our_sorted: Vec<u64> = both.iter().map(|b| b.0).collect();
    let mut ldk_sorted: Vec<u64> = both.iter().map(|b| b.1).collect();
    our_sorted.sort_unstable();
    ldk_sorted.sort_unstable();
    let report = RouteBench {
        graph: label,
        nodes: ours.node_count(),
        channels: specs.len(),
        parse_ms,
        opt_level: env!("SWITCHYARD_BENCH_OPT_LEVEL"),
        queries: queries.len(),
        p50_ratio: if l.p50_us > 0.0 {
            o.p50_us / l.p50_us
        } else {
            0.0
        },
        plan_p50_us: pct(&plan_times, 0.5),
        plan_p99_us: pct(&plan_times, 0.99),
        plan_agrees,
        both_found: both.len(),
        ours_cheaper: both.iter().filter(|(o, l)| o < l).count(),
        same_fee: both.iter().filter(|(o, l)| o == l).count(),
        ours_worse_over_1pct: both.iter().filter(|(o, l)| excess(*o, *l) > 1.0).count(),
        worst_fee_excess_pct: both
            .iter()
            .map(|(o, l)| excess(*o, *l))
            .fold(f64::NEG_INFINITY, f64::max),
        median_fee_ours_msat: our_sorted.get(our_sorted.len() / 2).copied().unwrap_or(0),
        median_fee_ldk_msat: ldk_sorted.get(ldk_sorted.len() / 2).copied().unwrap_or(0),
        ours: o,
        ldk: l,
        worse_cases,
    };
    let text = table(&report);
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| BenchError(format!("Could not encode the report: {e}")))?;
    Ok(Output { text, json })
}

fn table(r: &RouteBench) -> String {
    let row = |name: &str, ours: String, ldk: String, ratio: String| {
        format!("{name:<26} {ours:>14} {ldk:>14} {ratio:>10}\n")
    };
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.2}×", a / b)
        } else {
            "—".into()
        }
    };
    let level = r.opt_level;
    let mut s = format!(
        "Route benchmark: {} — {} nodes, {} channels, {} queries (1,000–500,000 sats){}; built at opt-level {level}\n{}\n",
        r.graph,
        r.nodes,
        r.channels,
        r.queries,
        r.parse_ms
            .map(|m| format!(", file parsed in {m:.0} ms"))
            .unwrap_or_default(),
        if level == "3" {
            ""
        } else {
            "Not a fair measure: both routers must be built at opt-level 3 (`cargo run --profile bench -p switchyard-bench -- route`).\n"
        }
    );
    s += &row(
        "",
        "Switchyard".into(),
        "LDK 0.2.7".into(),
        "ours/LDK".into(),
    );
    s += &row(
        "graph load (ms)",
        format!("{:.1}", r.ours.load_ms),
        format!("{:.1}", r.ldk.load_ms),
        ratio(r.ours.load_ms, r.ldk.load_ms),
    );
    s += &row(
        "graph memory, RSS (MiB)",
        format!("{:.1}", r.ours.rss_mib),
        format!("{:.1}", r.ldk.rss_mib),
        ratio(r.ours.rss_mib, r.ldk.rss_mib),
    );
    s += &row(
        "graph heap, counted (MiB)",
        r.ours
            .heap_mib
            .map(|m| format!("{m:.1}"))
            .unwrap_or_default(),
        "—".into(),
        String::new(),
    );
    s += &row(
        "updates per second",
        format!("{:.0}", r.ours.updates_per_sec),
        format!("{:.0}", r.ldk.updates_per_sec),
        ratio(r.ours.updates_per_sec, r.ldk.updates_per_sec),
    );
    s += &row(
        "route p50 (µs)",
        format!("{:.0}", r.ours.p50_us),
        format!("{:.0}", r.ldk.p50_us),
        ratio(r.ours.p50_us, r.ldk.p50_us),
    );
    s += &row(
        "route p99 (µs)",
        format!("{:.0}", r.ours.p99_us),
        format!("{:.0}", r.ldk.p99_us),
        ratio(r.ours.p99_us, r.ldk.p99_us),
    );
    s += &row(
        "preview (plan) p50 (µs)",
        format!("{:.0}", r.plan_p50_us),
        "—".into(),
        String::new(),
    );
    s += &row(
        "preview (plan) p99 (µs)",
        format!("{:.0}", r.plan_p99_us),
        "—".into(),
        String::new(),
    );
    s += &row(
        "routes found",
        r.ours.found.to_string(),
        r.ldk.found.to_string(),
        String::new(),
    );
    s += &row(
        "median fee, both found (msat)",
        r.median_fee_ours_msat.to_string(),
        r.median_fee_ldk_msat.to_string(),
        ratio(r.median_fee_ours_msat as f64, r.median_fee_ldk_msat as f64),
    );
    s += &format!(
        "\nBoth found a route: {}. Ours cheaper: {}, same fee: {}, ours more than 1% dearer: {} (worst: {:+.2}%).",
        r.both_found, r.ours_cheaper, r.same_fee, r.ours_worse_over_1pct, r.worst_fee_excess_pct
    );
    for w in &r.worse_cases {
        s += &format!(
            "\n  query {}: {} msat, ours {} msat over {} hops (fees-only: {:?}), LDK {} msat over {} hops",
            w.query, w.amount_msat, w.ours_fee_msat, w.ours_hops, w.ours_fees_only_msat, w.ldk_fee_msat, w.ldk_hops
        );
    }
    s
}
