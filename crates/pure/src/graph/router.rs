//! Our pathfinder: fee-sensitive, reliability-aware, pure (no I/O).
//!
//! ### Algorithm
//! 0. With penalties on and a fee premium bound (default 1%), first find the
//!    cheapest fee `F*` with fees as the only cost (steps 1–5), then search
//!    again with the full cost and a fee limit of `F*·(1 + premium)`; keep
//!    the cheapest route if that search finds nothing cheaper by cost. So a
//!    route never pays more than 1% over the cheapest for its reliability.
//! 1. Check the request: source and destination known and different,
//!    amount > 0.
//! 2. Label the destination with (cost 0, amount = the payment amount,
//!    CLTV = the final CLTV delta, 0 hops) and push it on a min-heap.
//! 3. Pop the cheapest node `v` (skip stale heap entries). If it is the
//!    source, stop: its label chain is the cheapest route.
//! 4. For every live edge `u → v` arriving at `v` (the channel `u` would
//!    forward over):
//!    - `a`, the amount `v` must receive over it: for the destination the
//!      amount; for a forwarding `v`, which passes on `f` for an outbound fee
//!      `o` (its label), `a = f + max(0, o + inbound(f + o))`, its inbound fee
//!      on this channel (LND 0.18+, from `v`'s own policy for the channel)
//!      included: see [`super::model::node_fee_msat`]; where `u` and `v`
//!      share several channels, the least favourable of their inbound fees
//!      (forwarding is non-strict: `u` may use any of them);
//!    - the source pays no fee to itself: for `u = source` the hop costs only
//!      the balance penalty and needs `a ≤` our local balance when known;
//!    - any other `u` charges `fee = base + a·ppm/10⁶` (integer msat, exactly
//!      LND's formula), adds its CLTV delta, and the edge is refused when:
//!      disabled, no policy, `a` above capacity or `htlc_max`, `a` below
//!      `htlc_min`, CLTV delta below [`RouterConfig::min_cltv_delta`], total
//!      CLTV above [`RouterConfig::max_total_cltv`], more than
//!      [`RouterConfig::max_hops`] hops, fees downstream of `u` above the fee
//!      limit, or a success probability of 0;
//!    - `cost(u) = cost(v) + surcharge + fee + risk + reliability` (see
//!      [`RouterConfig`]), where `surcharge` is a positive inbound fee of `v`
//!      (a discount lowers the amounts and the fees shown, not the cost: the
//!      cost must never fall along a path for step 3's stop to be right, so a
//!      discount does not steer the choice); if lower than `u`'s label,
//!      relabel `u` (amount `a + fee`, outbound fee `fee`) and push it.
//! 5. Heap empty before the source: no route; say which constraint refused
//!    the most edges (and, when every channel into the destination is too
//!    small, the largest one).
//!
//! Walking backwards is what makes amounts exact: when `u` is labelled, the
//! amount it must forward (downstream fees included) is already known.
//! [`k_routes`] adds alternatives with Yen's algorithm; [`build_route`] prices
//! any path the same way (used by Yen, by tests, and to check routes).

use super::mission::MissionControl;
use super::model::{node_fee_msat, EdgeIdx, Graph, NodeIdx};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// Weights and limits. Every term of the per-hop cost, in msat-equivalents:
///
/// `cost = fee`
/// `     + amount_msat × cltv_delta × risk_factor_ppb / 10⁹`   (capital locked × time)
/// `     + young_channel_penalty_msat × max(0, 1 − age_blocks / young_channel_blocks)`
/// `     + probability_weight_msat × −ln(P(success))`           (mission control)
/// `     + balance_penalty_msat × 10⁹ … / local_balance_msat`   (our own first hop only:
///                                                             `balance_penalty_numerator / local_balance_msat`)
#[derive(Debug, Clone, PartialEq)]
pub struct RouterConfig {
    /// Refuse hops whose CLTV delta is below this (default 20).
    pub min_cltv_delta: u16,
    /// Refuse routes whose total CLTV (final delta included) exceeds this (default 2016).
    pub max_total_cltv: u32,
    /// Refuse routes longer than this many hops (default 20).
    pub max_hops: usize,
    /// CLTV delta the recipient asks for (from the invoice; default 40).
    pub final_cltv_delta: u32,
    /// Most the payment may pay in fees, msat (None: no limit).
    pub fee_limit_msat: Option<u64>,
    /// Time-lock risk, parts per billion (LND's default risk factor: 15).
    pub risk_factor_ppb: u64,
    /// Penalty for a brand-new channel, msat, fading to 0 at `young_channel_blocks`.
    pub young_channel_penalty_msat: f64,
    /// Age at which a channel counts as established (default 4320 ≈ 30 days).
    pub young_channel_blocks: u32,
    /// Weight of the reliability term, msat per unit of −ln(P) (default 1000).
    pub probability_weight_msat: f64,
    /// Numerator of the first-hop balance penalty (default 10⁹ msat²).
    pub balance_penalty_numerator: f64,
    /// Chain height, for channel ages (0: ignore age).
    pub current_height: u32,
    /// Unix seconds, for mission control's fading.
    pub now: u64,
    /// Most the penalties may add to the fee, in parts per million of the
    /// cheapest route's fee (default 10,000: pay at most 1% more than the
    /// cheapest route for a more reliable one). None: no bound.
    pub max_fee_premium_ppm: Option<u64>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            min_cltv_delta: 20,
            max_total_cltv: 2016,
            max_hops: 20,
            final_cltv_delta: 40,
            fee_limit_msat: None,
            risk_factor_ppb: 15,
            young_channel_penalty_msat: 100.0,
            young_channel_blocks: 4320,
            probability_weight_msat: 1000.0,
            balance_penalty_numerator: 1e9,
            current_height: 0,
            now: 0,
            max_fee_premium_ppm: Some(10_000),
        }
    }
}

impl RouterConfig {
    fn has_penalties(&self) -> bool {
        self.risk_factor_ppb > 0
            || self.young_channel_penalty_msat > 0.0
            || self.probability_weight_msat > 0.0
            || self.balance_penalty_numerator > 0.0
    }

    /// Fees only: no risk, age, reliability or balance terms (for tests
    /// against brute force, and to show the cheapest route).
    pub fn fees_only() -> RouterConfig {
        RouterConfig {
            risk_factor_ppb: 0,
            young_channel_penalty_msat: 0.0,
            probability_weight_msat: 0.0,
            balance_penalty_numerator: 0.0,
            max_fee_premium_ppm: None,
            ..RouterConfig::default()
        }
    }
}

/// One route request.
#[derive(Debug, Clone, Default)]
pub struct RouteRequest {
    /// The payer (our node).
    pub source: NodeIdx,
    /// The payee.
    pub target: NodeIdx,
    /// What the payee must receive, msat.
    pub amount_msat: u64,
    /// Our channels' spendable balances, msat, by channel number (known
    /// exactly for our own node; unknown channels are assumed usable).
    pub local_balance_msat: HashMap<u32, u64>,
    /// Leave through this channel only (a rebalance's outgoing channel).
    pub first_hop: Option<u32>,
}

/// One hop: the channel from `from` to `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteHop {
    /// The directed edge.
    pub edge: EdgeIdx,
    /// Short channel id.
    pub scid: u64,
    /// The forwarding node (the payer for the first hop).
    pub from: NodeIdx,
    /// The receiving node.
    pub to: NodeIdx,
    /// Amount carried over this channel (what `to` receives), msat.
    pub amount_msat: u64,
    /// Fee `from` charges for forwarding it (0 for the payer), msat.
    pub fee_msat: u64,
    /// CLTV delta `from` adds (0 for the payer), blocks.
    pub cltv_delta: u16,
    /// Blocks of CLTV at `to` (the final delta plus deltas downstream of `to`).
    pub cltv_at_to: u32,
    /// Estimated probability that this hop passes the amount.
    pub probability: f64,
}

/// A priced route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Hops from the payer to the payee.
    pub hops: Vec<RouteHop>,
    /// What the payee receives, msat.
    pub amount_msat: u64,
    /// What the payer sends (amount + fees), msat.
    pub total_amount_msat: u64,
    /// Fees, msat.
    pub fee_msat: u64,
    /// Total CLTV delta (the payer's HTLC expiry minus the current height).
    pub total_cltv: u32,
    /// Estimated success probability (product over hops).
    pub probability: f64,
    /// The router's cost (fees plus penalties), msat-equivalents.
    pub cost: f64,
}

impl Route {
    /// The nodes along the route, payer first.
    pub fn nodes(&self) -> Vec<NodeIdx> {
        let mut v: Vec<NodeIdx> = self.hops.iter().map(|h| h.from).collect();
        if let Some(last) = self.hops.last() {
            v.push(last.to);
        }
        v
    }
}

/// Why an edge was refused (counted to explain a missing route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Refusal {
    /// Channel smaller than the amount.
    Capacity,
    /// Amount above the channel's `htlc_max`.
    HtlcMax,
    /// Amount below the channel's `htlc_min`.
    HtlcMin,
    /// Disabled by its node, or no policy known.
    Disabled,
    /// CLTV delta below the minimum.
    CltvDelta,
    /// Total CLTV above the limit.
    TotalCltv,
    /// Too many hops.
    Hops,
    /// Fees above the limit.
    FeeLimit,
    /// Mission control says it cannot carry the amount.
    Liquidity,
    /// Our own channel's balance is too small.
    LocalBalance,
}

impl Refusal {
    fn words(self) -> &'static str {
        match self {
            Refusal::Capacity => "channels too small for the amount",
            Refusal::HtlcMax => "channels whose largest HTLC is below the amount",
            Refusal::HtlcMin => "channels whose smallest HTLC is above the amount",
            Refusal::Disabled => "disabled channels",
            Refusal::CltvDelta => "hops with a time-lock delta below the minimum",
            Refusal::TotalCltv => "paths over the total time-lock limit",
            Refusal::Hops => "paths over the hop limit",
            Refusal::FeeLimit => "paths over the fee limit",
            Refusal::Liquidity => "channels that recently failed to carry this much",
            Refusal::LocalBalance => "of our channels without enough balance",
        }
    }
}

/// Why no route was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouteError {
    /// The payer is not in the graph.
    #[error("Our node is not in the channel graph yet (it has no announced channels).")]
    UnknownSource,
    /// The payee is not in the graph.
    #[error("The destination is not in the channel graph: no channel to it is known.")]
    UnknownDestination,
    /// Paying oneself without a circular route.
    #[error("The destination is our own node.")]
    SameNode,
    /// Nothing to pay.
    #[error("The amount must be more than 0.")]
    ZeroAmount,
    /// The recipient's final time lock alone is over the route's limit.
    #[error("The recipient asks for a final time lock of {final_cltv} blocks, more than the {max_total_cltv} blocks a payment may lock funds for.")]
    FinalCltvTooLarge {
        /// The final delta asked for.
        final_cltv: u32,
        /// The limit ([`RouterConfig::max_total_cltv`]).
        max_total_cltv: u32,
    },
    /// Every channel into the destination is smaller than the amount.
    #[error("The amount, {amount_msat} msat, is more than any channel into the destination can carry (the largest takes {largest_msat} msat).")]
    AmountTooLarge {
        /// Asked.
        amount_msat: u64,
        /// The most one channel into the destination carries.
        largest_msat: u64,
    },
    /// No route within the constraints.
    #[error("No route for {amount_msat} msat within the limits: {}.", describe(.refused))]
    NoRoute {
        /// Asked.
        amount_msat: u64,
        /// Edges refused, by reason, most first.
        refused: Vec<(Refusal, u32)>,
    },
}

fn describe(refused: &[(Refusal, u32)]) -> String {
    if refused.is_empty() {
        return "the destination cannot be reached from our node".into();
    }
    refused
        .iter()
        .take(3)
        .map(|(r, n)| format!("{n} {}", r.words()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Copy)]
struct Label {
    cost: f64,
    /// What the node must receive before its inbound fee: what it forwards
    /// plus its outbound fee (the payee: the amount).
    amt: u64,
    /// Its outbound fee (part of `amt`), msat; 0 for the payee.
    fout: u64,
    cltv: u32,
    hops: u16,
    next: EdgeIdx,
    prob: f64,
    stamp: u32,
}

/// Reusable search memory (labels for every node), so repeated queries do
/// not allocate.
#[derive(Default)]
pub struct Scratch {
    labels: Vec<Label>,
    stamp: u32,
    heap: BinaryHeap<(Reverse<u64>, NodeIdx)>,
}

impl Scratch {
    /// Empty; grows to the graph on first use.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    fn reset(&mut self, n: usize) {
        if self.labels.len() < n {
            self.labels.resize(
                n,
                Label {
                    cost: f64::INFINITY,
                    amt: 0,
                    fout: 0,
                    cltv: 0,
                    hops: 0,
                    next: u32::MAX,
                    prob: 1.0,
                    stamp: 0,
                },
            );
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            for l in &mut self.labels {
                l.stamp = 0;
            }
            self.stamp = 1;
        }
        self.heap.clear();
    }

    #[inline]
    fn cost(&self, n: NodeIdx) -> f64 {
        let l = &self.labels[n as usize];
        if l.stamp == self.stamp {
            l.cost
        } else {
            f64::INFINITY
        }
    }
}

/// Extra bans for Yen's spur searches.
#[derive(Default)]
struct Bans {
    edges: HashSet<EdgeIdx>,
    nodes: HashSet<NodeIdx>,
}

struct Hop {
    fee: u64,
    cltv_add: u16,
    cost: f64,
    prob: f64,
}

/// Prices one hop `u → v` over `e` carrying `amt` (what `v` receives), or
/// says why it is refused. `payer`: whether `u` is the payer.
#[inline]
#[allow(clippy::too_many_arguments)]
fn price_hop(
    g: &Graph,
    e: EdgeIdx,
    amt: u64,
    payer: bool,
    req: &RouteRequest,
    cfg: &RouterConfig,
    mc: &MissionControl,
) -> Result<Hop, Refusal> {
    let ch = g.edge_channel(e);
    let cap_msat = ch.capacity_sat.saturating_mul(1000);
    if amt > cap_msat {
        return Err(Refusal::Capacity);
    }
    if payer {
        // Our own channel: no fee; its balance is known exactly if given.
        let mut cost = 0.0;
        if let Some(&bal) = req.local_balance_msat.get(&(e >> 1)) {
            if bal < amt {
                return Err(Refusal::LocalBalance);
            }
            if cfg.balance_penalty_numerator > 0.0 {
                cost = cfg.balance_penalty_numerator / bal.max(1) as f64;
            }
        }
        return Ok(Hop {
            fee: 0,
            cltv_add: 0,
            cost,
            prob: 1.0,
        });
    }
    let Some(p) = g.edge_policy(e) else {
        return Err(Refusal::Disabled);
    };
    if p.disabled {
        return Err(Refusal::Disabled);
    }
    if amt > p.htlc_max_msat {
        return Err(Refusal::HtlcMax);
    }
    if amt < p.htlc_min_msat {
        return Err(Refusal::HtlcMin);
    }
    if p.cltv_delta < cfg.min_cltv_delta {
        return Err(Refusal::CltvDelta);
    }
    let fee = p.fee_msat(amt);
    let prob = mc.probability(e, cap_msat, amt, cfg.now);
    if prob <= 0.0 {
        return Err(Refusal::Liquidity);
    }
    let mut cost = fee as f64;
    if cfg.risk_factor_ppb > 0 {
        cost += amt as f64 * f64::from(p.cltv_delta) * cfg.risk_factor_ppb as f64 / 1e9;
    }
    if cfg.young_channel_penalty_msat > 0.0 && cfg.current_height > 0 {
        let age = cfg.current_height.saturating_sub(ch.block_height());
        if age < cfg.young_channel_blocks {
            cost += cfg.young_channel_penalty_msat
                * (1.0 - f64::from(age) / f64::from(cfg.young_channel_blocks.max(1)));
        }
    }
    if cfg.probability_weight_msat > 0.0 && prob < 1.0 {
        cost += cfg.probability_weight_msat * -prob.ln();
    }
    Ok(Hop {
        fee,
        cltv_add: p.cltv_delta,
        cost,
        prob,
    })
}

fn check_request(g: &Graph, req: &RouteRequest, cfg: &RouterConfig) -> Result<(), RouteError> {
    if cfg.final_cltv_delta > cfg.max_total_cltv {
        return Err(RouteError::FinalCltvTooLarge {
            final_cltv: cfg.final_cltv_delta,
            max_total_cltv: cfg.max_total_cltv,
        });
    }
    let n = g.node_count() as u32;
    if req.source >= n {
        return Err(RouteError::UnknownSource);
    }
    if req.target >= n {
        return Err(RouteError::UnknownDestination);
    }
    if req.source == req.target {
        return Err(RouteError::SameNode);
    }
    if req.amount_msat == 0 {
        return Err(RouteError::ZeroAmount);
    }
    Ok(())
}

/// The best route (steps 0–5 of the module doc).
pub fn find_route(
    g: &Graph,
    req: &RouteRequest,
    cfg: &RouterConfig,
    mc: &MissionControl,
    scratch: &mut Scratch,
) -> Result<Route, RouteError> {
    check_request(g, req, cfg)?;
    let none = Bans::default();
    let Some(premium) = cfg.max_fee_premium_ppm.filter(|_| cfg.has_penalties()) else {
        let edges = search(g, req, cfg, mc, scratch, req.source, &none)?;
        return build_route(g, &edges, req, cfg, mc);
    };
    // Step 0: the cheapest fee, then the weighted search within the premium.
    let cheap_cfg = RouterConfig {
        risk_factor_ppb: 0,
        young_channel_penalty_msat: 0.0,
        probability_weight_msat: 0.0,
        balance_penalty_numerator: 0.0,
        max_fee_premium_ppm: None,
        ..cfg.clone()
    };
    let cheapest = search(g, req, &cheap_cfg, mc, scratch, req.source, &none)?;
    let cheapest = build_route(g, &cheapest, req, cfg, mc)?;
    let bound = cheapest
        .fee_msat
        .saturating_add(cheapest.fee_msat.saturating_mul(premium) / 1_000_000);
    let bounded = RouterConfig {
        fee_limit_msat: Some(cfg.fee_limit_msat.map_or(bound, |l| l.min(bound))),
        ..cfg.clone()
    };
    match search(g, req, &bounded, mc, scratch, req.source, &none)
        .and_then(|edges| build_route(g, &edges, req, cfg, mc))
    {
        Ok(r) if r.cost <= cheapest.cost => Ok(r),
        // The bounded search settled nodes on labels it could not extend:
        // the cheapest route is the answer.
        _ => Ok(cheapest),
    }
}

/// Backwards Dijkstra from `req.target` until `stop` is settled; returns the
/// edges from `stop` to the target. The payer (no fee) is `req.source`.
fn search(
    g: &Graph,
    req: &RouteRequest,
    cfg: &RouterConfig,
    mc: &MissionControl,
    s: &mut Scratch,
    stop: NodeIdx,
    bans: &Bans,
) -> Result<Vec<EdgeIdx>, RouteError> {
    s.reset(g.node_count());
    let stamp = s.stamp;
    let t = req.target as usize;
    s.labels[t] = Label {
        cost: 0.0,
        amt: req.amount_msat,
        fout: 0,
        cltv: cfg.final_cltv_delta,
        hops: 0,
        next: u32::MAX,
        prob: 1.0,
        stamp,
    };
    s.heap.push((Reverse(0f64.to_bits()), req.target));
    let mut refused: HashMap<Refusal, u32> = HashMap::new();
    let mut into_target = 0u32;
    let mut largest_into_target = 0u64;
    while let Some((Reverse(bits), v)) = s.heap.pop() {
        let lv = s.labels[v as usize];
        if f64::from_bits(bits) > lv.cost {
            continue;
        }
        if v == stop {
            let mut path = Vec::with_capacity(lv.hops as usize);
            let mut n = v;
            while n != req.target {
                let e = s.labels[n as usize].next;
                path.push(e);
                n = g.edge_to(e);
            }
            return Ok(path);
        }
        for e in g.incoming(v) {
            let ch = g.edge_channel(e);
            if !ch.alive || bans.edges.contains(&e) {
                continue;
            }
            let u = g.edge_from(e);
            if !bans.nodes.is_empty() && bans.nodes.contains(&u) {
                continue;
            }
            if v == req.target {
                into_target += 1;
                let cap = ch.capacity_sat.saturating_mul(1000);
                let max = g.edge_policy(e).map_or(cap, |p| p.htlc_max_msat.min(cap));
                largest_into_target = largest_into_target.max(max);
            }
            let payer = u == req.source;
            if payer && req.first_hop.is_some_and(|c| c != e >> 1) {
                continue;
            }
            // What `v` receives over this channel: its inbound fee on it applies.
            let carried = if v == req.target {
                lv.amt
            } else {
                carried_into(g, v, e, lv.amt, lv.fout)
            };
            let hop = match price_hop(g, e, carried, payer, req, cfg, mc) {
                Ok(h) => h,
                Err(r) => {
                    *refused.entry(r).or_default() += 1;
                    continue;
                }
            };
            let hops = lv.hops + 1;
            if usize::from(hops) > cfg.max_hops {
                *refused.entry(Refusal::Hops).or_default() += 1;
                continue;
            }
            let Some(cltv) = lv
                .cltv
                .checked_add(u32::from(hop.cltv_add))
                .filter(|c| *c <= cfg.max_total_cltv)
            else {
                *refused.entry(Refusal::TotalCltv).or_default() += 1;
                continue;
            };
            // An amount past u64 cannot exist (21 M BTC is 2.1·10¹⁸ msat).
            let Some(amt) = carried.checked_add(hop.fee) else {
                *refused.entry(Refusal::Capacity).or_default() += 1;
                continue;
            };
            // Every fee downstream of `u` is known; `u`'s own may still shrink
            // by its inbound discount, so the limit is checked without it (at
            // the payer, `carried` is the whole route's).
            if let Some(limit) = cfg.fee_limit_msat {
                if carried.saturating_sub(req.amount_msat) > limit {
                    *refused.entry(Refusal::FeeLimit).or_default() += 1;
                    continue;
                }
            }
            let cost = lv.cost + surcharge(carried, lv.amt) + hop.cost;
            if cost < s.cost(u) {
                s.labels[u as usize] = Label {
                    cost,
                    amt,
                    fout: hop.fee,
                    cltv,
                    hops,
                    next: e,
                    prob: lv.prob * hop.prob,
                    stamp,
                };
                s.heap.push((Reverse(cost.to_bits()), u));
            }
        }
    }
    if into_target > 0 && largest_into_target < req.amount_msat {
        return Err(RouteError::AmountTooLarge {
            amount_msat: req.amount_msat,
            largest_msat: largest_into_target,
        });
    }
    let mut refused: Vec<(Refusal, u32)> = refused.into_iter().collect();
    refused.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Err(RouteError::NoRoute {
        amount_msat: req.amount_msat,
        refused,
    })
}

/// Prices a path given as edges from the payer to the payee, checking every
/// constraint the search checks.
pub fn build_route(
    g: &Graph,
    edges: &[EdgeIdx],
    req: &RouteRequest,
    cfg: &RouterConfig,
    mc: &MissionControl,
) -> Result<Route, RouteError> {
    let no = |r: Refusal| RouteError::NoRoute {
        amount_msat: req.amount_msat,
        refused: vec![(r, 1)],
    };
    if edges.is_empty() || edges.len() > cfg.max_hops {
        return Err(no(Refusal::Hops));
    }
    let mut hops: Vec<RouteHop> = Vec::with_capacity(edges.len());
    // What the next node must receive before its inbound fee, and its outbound fee.
    let mut recv = req.amount_msat;
    let mut fout = 0u64;
    if cfg.final_cltv_delta > cfg.max_total_cltv {
        return Err(RouteError::FinalCltvTooLarge {
            final_cltv: cfg.final_cltv_delta,
            max_total_cltv: cfg.max_total_cltv,
        });
    }
    let mut cltv = cfg.final_cltv_delta;
    let mut cost = 0.0;
    let mut prob = 1.0;
    let last = edges.len() - 1;
    for (i, &e) in edges.iter().enumerate().rev() {
        if !g.edge_channel(e).alive {
            return Err(no(Refusal::Disabled));
        }
        let from = g.edge_from(e);
        let to = g.edge_to(e);
        if i == 0 && from != req.source {
            return Err(no(Refusal::Hops));
        }
        let carried = if i == last {
            recv
        } else {
            carried_into(g, to, e, recv, fout)
        };
        let h = price_hop(g, e, carried, i == 0, req, cfg, mc).map_err(no)?;
        hops.push(RouteHop {
            edge: e,
            scid: g.edge_channel(e).scid,
            from,
            to,
            amount_msat: carried,
            fee_msat: 0, // below, once what `from` receives is known
            cltv_delta: h.cltv_add,
            cltv_at_to: cltv,
            probability: h.prob,
        });
        cltv = cltv
            .checked_add(u32::from(h.cltv_add))
            .filter(|c| *c <= cfg.max_total_cltv)
            .ok_or(no(Refusal::TotalCltv))?;
        cost += surcharge(carried, recv) + h.cost;
        prob *= h.prob;
        recv = carried.checked_add(h.fee).ok_or(no(Refusal::Capacity))?;
        fout = h.fee;
    }
    hops.reverse();
    if hops.last().map(|h| h.to) != Some(req.target) {
        return Err(no(Refusal::Hops));
    }
    // A forwarding node's fee, inbound part included: what it receives
    // minus what it passes on.
    for i in 1..hops.len() {
        hops[i].fee_msat = hops[i - 1]
            .amount_msat
            .checked_sub(hops[i].amount_msat)
            .ok_or(no(Refusal::Capacity))?;
    }
    let total = hops[0].amount_msat;
    let fee = total
        .checked_sub(req.amount_msat)
        .ok_or(no(Refusal::Capacity))?;
    if cfg.fee_limit_msat.is_some_and(|l| fee > l) {
        return Err(no(Refusal::FeeLimit));
    }
    Ok(Route {
        hops,
        amount_msat: req.amount_msat,
        total_amount_msat: total,
        fee_msat: fee,
        total_cltv: cltv,
        probability: prob,
        cost,
    })
}

/// What a forwarding node `v` must receive over `e` (`u → v`): what it
/// forwards (`recv − fout`) plus its total fee, its inbound fee on this
/// channel (from `v`'s own policy for it, edge `e ^ 1`) included. Where
/// `u` and `v` share several channels, the least favourable inbound fee
/// among them counts: forwarding is non-strict, `u` may send over any of
/// them (seen on regtest: the discount of the channel named was lost).
#[inline]
fn carried_into(g: &Graph, v: NodeIdx, e: EdgeIdx, recv: u64, fout: u64) -> u64 {
    if !g.has_inbound_fees(v) {
        return recv;
    }
    let forward = recv.saturating_sub(fout);
    let fee = if g.has_parallel(e >> 1) {
        let u = g.edge_from(e);
        g.incoming(v)
            .filter(|&x| g.edge_channel(x).alive && g.edge_from(x) == u)
            .map(|x| node_fee_msat(fout, forward, g.edge_policy(x ^ 1)))
            .max()
            .unwrap_or(fout)
    } else {
        node_fee_msat(fout, forward, g.edge_policy(e ^ 1))
    };
    forward.saturating_add(fee)
}

/// A positive inbound fee counts in the cost like any fee; a discount does
/// not lower it (costs stay non-negative, which the search's early stop
/// needs), though the amounts and the fee shown include it.
#[inline]
fn surcharge(carried: u64, recv: u64) -> f64 {
    carried.saturating_sub(recv) as f64
}

/// A circular route for a rebalance: out of our channel `out_channel`,
/// through the network, back in over `in_channel` (its other end forwards the
/// last hop), delivering `amount_msat` to ourselves. `cfg.final_cltv_delta` is
/// our own invoice's.
#[allow(clippy::too_many_arguments)]
pub fn circular_route(
    g: &Graph,
    me: NodeIdx,
    out_channel: u32,
    in_channel: u32,
    amount_msat: u64,
    local_balance_msat: HashMap<u32, u64>,
    cfg: &RouterConfig,
    mc: &MissionControl,
    scratch: &mut Scratch,
) -> Result<Route, RouteError> {
    let no = |r: Refusal| RouteError::NoRoute {
        amount_msat,
        refused: vec![(r, 1)],
    };
    if out_channel == in_channel {
        return Err(RouteError::SameNode);
    }
    let ch_in = *g.channel(in_channel);
    let ch_out = *g.channel(out_channel);
    if !ch_in.alive
        || !ch_out.alive
        || (ch_in.node1 != me && ch_in.node2 != me)
        || (ch_out.node1 != me && ch_out.node2 != me)
    {
        return Err(RouteError::UnknownSource);
    }
    // The last hop: from the in-channel's peer to us, priced by the peer.
    let last = if ch_in.node2 == me {
        2 * in_channel
    } else {
        2 * in_channel + 1
    };
    let peer = g.edge_from(last);
    let p = g.edge_policy(last).ok_or(no(Refusal::Disabled))?;
    if p.disabled {
        return Err(no(Refusal::Disabled));
    }
    let last_fee = p.fee_msat(amount_msat);
    let into_peer = amount_msat
        .checked_add(last_fee)
        .ok_or(no(Refusal::Capacity))?;
    let head_cfg = RouterConfig {
        final_cltv_delta: cfg
            .final_cltv_delta
            .checked_add(u32::from(p.cltv_delta))
            .filter(|c| *c <= cfg.max_total_cltv)
            .ok_or(no(Refusal::TotalCltv))?,
        fee_limit_msat: cfg.fee_limit_msat.map(|l| l.saturating_sub(last_fee)),
        ..cfg.clone()
    };
    let head_req = RouteRequest {
        source: me,
        target: peer,
        amount_msat: into_peer,
        local_balance_msat: local_balance_msat.clone(),
        first_hop: Some(out_channel),
    };
    let mut edges = if g.edge_to(2 * out_channel) == peer || g.edge_to(2 * out_channel + 1) == peer
    {
        // The out-channel's peer is the in-channel's peer: one hop out, one back.
        vec![if ch_out.node1 == me {
            2 * out_channel
        } else {
            2 * out_channel + 1
        }]
    } else {
        search(g, &head_req, &head_cfg, mc, scratch, me, &Bans::default())?
    };
    edges.push(last);
    let req = RouteRequest {
        source: me,
        target: me,
        amount_msat,
        local_balance_msat,
        first_hop: Some(out_channel),
    };
    build_route(g, &edges, &req, cfg, mc)
}

/// Up to `k` loopless routes (Yen's algorithm over `search`): first
/// [`find_route`]'s answer (the best within the fee premium), then the
/// alternatives, cheapest by cost first: route `i+1` is the cheapest that
/// leaves route `i` at some node (the spur) and never repeats an earlier
/// route's prefix with the same next edge.
pub fn k_routes(
    g: &Graph,
    req: &RouteRequest,
    cfg: &RouterConfig,
    mc: &MissionControl,
    scratch: &mut Scratch,
    k: usize,
) -> Result<Vec<Route>, RouteError> {
    let best = find_route(g, req, cfg, mc, scratch)?;
    let mut found: Vec<Route> = vec![best];
    let mut seen: HashSet<Vec<EdgeIdx>> = HashSet::new();
    seen.insert(edges_of(&found[0]));
    let mut candidates: Vec<Route> = Vec::new();
    while found.len() < k {
        let Some(prev) = found.last().cloned() else {
            break;
        };
        let prev_edges = edges_of(&prev);
        let prev_nodes = prev.nodes();
        for i in 0..prev_edges.len() {
            let spur = prev_nodes[i];
            let root = &prev_edges[..i];
            let mut bans = Bans::default();
            for r in &found {
                let re = edges_of(r);
                if re.len() > i && re[..i] == *root {
                    bans.edges.insert(re[i]);
                }
            }
            for &n in &prev_nodes[..i] {
                bans.nodes.insert(n);
            }
            let Ok(spur_path) = search(g, req, cfg, mc, scratch, spur, &bans) else {
                continue;
            };
            let mut path = root.to_vec();
            path.extend(spur_path);
            if seen.contains(&path) {
                continue;
            }
            if let Ok(r) = build_route(g, &path, req, cfg, mc) {
                seen.insert(path);
                candidates.push(r);
            }
        }
        let Some((idx, _)) = candidates
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.cost.total_cmp(&b.1.cost))
        else {
            break;
        };
        found.push(candidates.swap_remove(idx));
    }
    Ok(found)
}

fn edges_of(r: &Route) -> Vec<EdgeIdx> {
    r.hops.iter().map(|h| h.edge).collect()
}
