//! Route planning: one query over the channel graph gives our routes as the
//! app and the CLI show them, and prices another router's route (LND's) on
//! the same graph for the side-by-side comparison.
//!
//! [`plan`] is the one entry point the app's preview, the CLI's offline
//! `route` and the benchmark share; the node layer only gathers its inputs
//! (our key, balances, the height, LND's answer) and sends what it returns.

use crate::amount::{Msat, Sat};
use crate::graph::hints::{with_route_hints, HintHop};
use crate::graph::mission::Outcome;
use crate::graph::model::{scid_string, Pubkey};
use crate::graph::router::{build_route, k_routes, Route, RouteRequest, RouterConfig, Scratch};
use crate::graph::{Graph, MissionControl, NodeIdx};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

/// One hop of a previewed route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PreviewHop {
    /// Short channel id, `block x tx x output`.
    pub scid: String,
    /// LND's numeric channel id.
    pub chan_id: String,
    /// Forwarding node (our node for the first hop).
    pub from: String,
    /// Its alias.
    pub from_alias: Option<String>,
    /// Receiving node.
    pub to: String,
    /// Its alias.
    pub to_alias: Option<String>,
    /// Amount over this channel, msat.
    pub amount_msat: Msat,
    /// Fee `from` charges, msat.
    pub fee_msat: Msat,
    /// CLTV delta `from` adds, blocks.
    pub cltv_delta: u16,
    /// Estimated probability this hop passes the amount.
    pub probability: f64,
}

/// A previewed route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PreviewRoute {
    /// Hops from us to the destination.
    pub hops: Vec<PreviewHop>,
    /// Delivered, msat.
    pub amount_msat: Msat,
    /// Sent (amount + fees), msat.
    pub total_amount_msat: Msat,
    /// Fees, msat.
    pub fee_msat: Msat,
    /// Total time lock, blocks.
    pub total_cltv: u32,
    /// Estimated success probability.
    pub probability: f64,
}

/// Bytes as hex, in order.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn alias(g: &Graph, n: NodeIdx) -> Option<String> {
    g.alias(n).map(String::from)
}

/// A route of ours as the UI and the CLI show it (keys in hex, aliases).
pub fn preview_route(g: &Graph, r: &Route) -> PreviewRoute {
    PreviewRoute {
        hops: r
            .hops
            .iter()
            .map(|h| PreviewHop {
                scid: scid_string(h.scid),
                chan_id: h.scid.to_string(),
                from: hex(g.pubkey(h.from)),
                from_alias: alias(g, h.from),
                to: hex(g.pubkey(h.to)),
                to_alias: alias(g, h.to),
                amount_msat: Msat::from_msat(h.amount_msat),
                fee_msat: Msat::from_msat(h.fee_msat),
                cltv_delta: h.cltv_delta,
                probability: h.probability,
            })
            .collect(),
        amount_msat: Msat::from_msat(r.amount_msat),
        total_amount_msat: Msat::from_msat(r.total_amount_msat),
        fee_msat: Msat::from_msat(r.fee_msat),
        total_cltv: r.total_cltv,
        probability: r.probability,
    }
}

/// Mission control from stored outcomes, mapped onto a graph's edges
/// (outcomes on channels the graph lacks are left out).
pub fn mission_from_outcomes(g: &Graph, outcomes: &[Outcome]) -> MissionControl {
    let mut mc = MissionControl::new();
    for o in outcomes {
        if let Some(c) = g.channel_by_scid(o.scid) {
            let e = 2 * c + u32::from(o.direction & 1);
            if o.success {
                mc.record_success(e, o.amount_msat, o.at);
            } else {
                mc.record_failure(e, o.amount_msat, o.at);
            }
        }
    }
    mc
}

/// One hop of another router's route, in its own figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignHop {
    /// The receiving node.
    pub pub_key: Pubkey,
    /// Short channel id.
    pub scid: u64,
    /// What the receiving node is asked to forward (or receive), msat.
    pub amt_to_forward_msat: Msat,
    /// The fee the receiving node keeps, msat.
    pub fee_msat: Msat,
}

/// Another router's route (LND's `QueryRoutes` answer), in its own figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignRoute {
    /// Hops from the payer.
    pub hops: Vec<ForeignHop>,
    /// Sent, msat.
    pub total_amt_msat: Msat,
    /// Fees, msat.
    pub total_fees_msat: Msat,
}

/// Another router's route priced on our graph, so that both are judged by
/// the same fee, time-lock and probability arithmetic; its own figures (and
/// probability 0, unknown) when our graph lacks one of its channels.
fn price_foreign(
    g: &Graph,
    foreign: &ForeignRoute,
    req: &RouteRequest,
    cfg: &RouterConfig,
    mc: &MissionControl,
    our: NodeIdx,
) -> PreviewRoute {
    let edges: Option<Vec<u32>> = {
        let mut from = our;
        foreign
            .hops
            .iter()
            .map(|h| {
                let to = g.node(&h.pub_key)?;
                let c = g.channel_by_scid(h.scid)?;
                let ch = g.channel(c);
                let e = if ch.node1 == from && ch.node2 == to {
                    2 * c
                } else if ch.node2 == from && ch.node1 == to {
                    2 * c + 1
                } else {
                    return None;
                };
                from = to;
                Some(e)
            })
            .collect()
    };
    if let Some(r) = edges.and_then(|e| build_route(g, &e, req, cfg, mc).ok()) {
        return preview_route(g, &r);
    }
    let mut from = hex(g.pubkey(our));
    let mut hops = Vec::new();
    let mut prev_fee = Msat::ZERO;
    for (i, h) in foreign.hops.iter().enumerate() {
        let to = hex(&h.pub_key);
        hops.push(PreviewHop {
            scid: scid_string(h.scid),
            chan_id: h.scid.to_string(),
            from: from.clone(),
            from_alias: None,
            to: to.clone(),
            to_alias: g.node(&h.pub_key).and_then(|n| alias(g, n)),
            amount_msat: h
                .amt_to_forward_msat
                .checked_add(h.fee_msat)
                .unwrap_or(h.amt_to_forward_msat),
            fee_msat: if i == 0 { Msat::ZERO } else { prev_fee },
            cltv_delta: 0,
            probability: 0.0,
        });
        prev_fee = h.fee_msat;
        from = to;
    }
    PreviewRoute {
        hops,
        amount_msat: Msat::from_msat(req.amount_msat),
        total_amount_msat: foreign.total_amt_msat,
        fee_msat: foreign.total_fees_msat,
        total_cltv: 0,
        probability: 0.0,
    }
}

/// How our route and another router's differ, in sentences.
pub fn differences(ours: Option<&PreviewRoute>, other: Option<&PreviewRoute>) -> Vec<String> {
    let (Some(o), Some(l)) = (ours, other) else {
        return Vec::new();
    };
    let path = |r: &PreviewRoute| r.hops.iter().map(|h| h.chan_id.clone()).collect::<Vec<_>>();
    let mut out = Vec::new();
    if path(o) == path(l) {
        out.push("Both routers chose the same route.".to_string());
        return out;
    }
    out.push(format!(
        "Different routes: ours has {} hop{}, LND's {}.",
        o.hops.len(),
        if o.hops.len() == 1 { "" } else { "s" },
        l.hops.len()
    ));
    match o.fee_msat.cmp(&l.fee_msat) {
        std::cmp::Ordering::Less => out.push(format!(
            "Ours costs {} msat less in fees.",
            l.fee_msat.saturating_sub(o.fee_msat).to_msat()
        )),
        std::cmp::Ordering::Greater => out.push(format!(
            "Ours costs {} msat more in fees.",
            o.fee_msat.saturating_sub(l.fee_msat).to_msat()
        )),
        std::cmp::Ordering::Equal => out.push("Same fee.".to_string()),
    }
    if l.probability > 0.0 && (o.probability - l.probability).abs() > 0.005 {
        out.push(format!(
            "Estimated success: ours {:.0}%, LND's {:.0}%.",
            o.probability * 100.0,
            l.probability * 100.0
        ));
    }
    if l.total_cltv > 0 && o.total_cltv != l.total_cltv {
        out.push(format!(
            "Time lock: ours {} blocks, LND's {}.",
            o.total_cltv, l.total_cltv
        ));
    }
    out
}

/// What to plan: the payer, the payee and everything the router weighs.
#[derive(Debug, Clone)]
pub struct PlanQuery {
    /// The payer (our node).
    pub source: Pubkey,
    /// The payee.
    pub destination: Pubkey,
    /// What the payee must receive, msat.
    pub amount_msat: Msat,
    /// How many routes: the best and alternatives (at least 1).
    pub routes: usize,
    /// Fee limit, CLTV limits, the height and the time (for mission decay).
    pub config: RouterConfig,
    /// Our channels' spendable balances, msat, by short channel id.
    pub local_balance_msat: HashMap<u64, u64>,
    /// The invoice's route hints (private channels to the payee).
    pub route_hints: Vec<Vec<HintHop>>,
    /// Another router's answer for the same payment, to price on our graph
    /// and compare with ours.
    pub compare_with: Option<ForeignRoute>,
}

/// Our routes for a query, and another router's priced beside them.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The payee's alias, if the graph knows it.
    pub destination_alias: Option<String>,
    /// Our best route first, then alternatives.
    pub routes: Vec<PreviewRoute>,
    /// Why our router found none.
    pub error: Option<String>,
    /// The other router's route priced on our graph (none without one, or
    /// when our node is not in the graph).
    pub other: Option<PreviewRoute>,
    /// How ours and the other differ, in sentences.
    pub differences: Vec<String>,
    /// Nodes in the graph used.
    pub graph_nodes: u32,
    /// Channels in the graph used (route hints included).
    pub graph_channels: u32,
    /// Private channels the route hints added.
    pub hint_channels: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Our routes for `q` over `graph` (with the query's route hints added),
/// weighing what `outcomes` taught mission control.
pub fn plan(graph: &Graph, q: &PlanQuery, outcomes: &[Outcome]) -> Plan {
    let hinted = with_route_hints(graph, &q.route_hints, &q.destination);
    let g = hinted.as_ref().unwrap_or(graph);
    let mission = mission_from_outcomes(g, outcomes);
    let source = g.node(&q.source);
    let target = g.node(&q.destination);
    let req = RouteRequest {
        source: source.unwrap_or(u32::MAX),
        target: target.unwrap_or(u32::MAX),
        amount_msat: q.amount_msat.to_msat(),
        local_balance_msat: q
            .local_balance_msat
            .iter()
            .filter_map(|(scid, b)| Some((g.channel_by_scid(*scid)?, *b)))
            .collect(),
        first_hop: None,
    };
    let ours = k_routes(
        g,
        &req,
        &q.config,
        &mission,
        &mut Scratch::new(),
        q.routes.max(1),
    );
    let routes: Vec<PreviewRoute> = ours
        .as_ref()
        .map(|rs| rs.iter().map(|r| preview_route(g, r)).collect())
        .unwrap_or_default();
    let other = match (&q.compare_with, source) {
        (Some(f), Some(s)) => Some(price_foreign(g, f, &req, &q.config, &mission, s)),
        _ => None,
    };
    Plan {
        destination_alias: target.and_then(|t| alias(g, t)),
        differences: differences(routes.first(), other.as_ref()),
        routes,
        error: ours.err().map(|e| e.to_string()),
        other,
        graph_nodes: count(g.node_count()),
        graph_channels: count(g.channel_count()),
        hint_channels: count(g.channel_count().saturating_sub(graph.channel_count())),
    }
}

/// A node in the neighbourhood picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HoodNode {
    /// Key (hex).
    pub key: String,
    /// Alias.
    pub alias: Option<String>,
    /// 0: our node, 1: a peer, 2: a peer's peer.
    pub ring: u8,
    /// Channels it has in the whole graph.
    pub channels: u32,
}

/// A channel in the neighbourhood picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HoodEdge {
    /// Index into `nodes`.
    pub a: u32,
    /// Index into `nodes`.
    pub b: u32,
    /// LND's channel id.
    pub chan_id: String,
    /// Capacity, sats.
    pub capacity_sat: Sat,
}

/// Our node, its peers and (some of) their peers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Neighbourhood {
    /// Nodes, ours first.
    pub nodes: Vec<HoodNode>,
    /// Channels among them.
    pub edges: Vec<HoodEdge>,
    /// Peers' peers left out of the picture.
    pub more: u32,
}

/// The neighbourhood of `me` in `g`: every peer, and up to `max_second`
/// second-ring nodes (the best connected first).
pub fn neighbourhood(g: &Graph, me: NodeIdx, max_second: usize) -> Neighbourhood {
    use std::collections::BTreeMap;
    let degree = |n: u32| count(g.outgoing(n).count());
    let mut index: BTreeMap<u32, u32> = BTreeMap::new();
    let mut nodes = Vec::new();
    let mut add = |index: &mut BTreeMap<u32, u32>, n: u32, ring: u8| {
        index.insert(n, count(nodes.len()));
        nodes.push(HoodNode {
            key: hex(g.pubkey(n)),
            alias: alias(g, n),
            ring,
            channels: degree(n),
        });
    };
    add(&mut index, me, 0);
    let peers: Vec<u32> = {
        let mut v: Vec<u32> = g.outgoing(me).map(|e| g.edge_to(e)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    for &p in &peers {
        add(&mut index, p, 1);
    }
    let mut second: Vec<u32> = peers
        .iter()
        .flat_map(|&p| g.outgoing(p).map(|e| g.edge_to(e)).collect::<Vec<_>>())
        .filter(|n| !index.contains_key(n))
        .collect();
    second.sort_unstable();
    second.dedup();
    let total_second = second.len();
    second.sort_by_key(|&n| std::cmp::Reverse(degree(n)));
    second.truncate(max_second);
    for &n in &second {
        add(&mut index, n, 2);
    }
    let mut edges = Vec::new();
    for (&n, &i) in &index {
        for e in g.outgoing(n) {
            let to = g.edge_to(e);
            if let Some(&j) = index.get(&to) {
                if i < j {
                    let ch = g.edge_channel(e);
                    edges.push(HoodEdge {
                        a: i,
                        b: j,
                        chan_id: ch.scid.to_string(),
                        capacity_sat: Sat::from_sat(ch.capacity_sat),
                    });
                }
            }
        }
    }
    Neighbourhood {
        nodes,
        edges,
        more: count(total_second - second.len()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::graph::model::ChannelSpec;
    use crate::graph::testkit::{key, policy};

    fn chan(scid: u64, a: u8, b: u8, fee_ppm: u32) -> ChannelSpec {
        ChannelSpec {
            scid,
            node1: key(a),
            node2: key(b),
            capacity_sat: 1_000_000,
            policy1: Some(policy(1000, fee_ppm)),
            policy2: Some(policy(1000, fee_ppm)),
        }
    }

    /// 1 → 2 → 4 (cheap) and 1 → 3 → 4 (dear); 5 knows 4 only privately.
    fn graph() -> Graph {
        Graph::from_channels(vec![
            chan(10, 1, 2, 100),
            chan(11, 2, 4, 100),
            chan(20, 1, 3, 5000),
            chan(21, 3, 4, 5000),
        ])
    }

    fn query(to: u8) -> PlanQuery {
        PlanQuery {
            source: key(1),
            destination: key(to),
            amount_msat: Msat::from_msat(100_000_000),
            routes: 3,
            config: RouterConfig {
                now: 1_000,
                ..RouterConfig::default()
            },
            local_balance_msat: HashMap::new(),
            route_hints: Vec::new(),
            compare_with: None,
        }
    }

    fn chans(r: &PreviewRoute) -> Vec<&str> {
        r.hops.iter().map(|h| h.chan_id.as_str()).collect()
    }

    #[test]
    fn the_cheapest_route_comes_first_with_its_alternative() {
        let p = plan(&graph(), &query(4), &[]);
        assert_eq!(p.error, None);
        assert_eq!(p.routes.len(), 2);
        assert_eq!(chans(&p.routes[0]), ["10", "11"]);
        assert_eq!(chans(&p.routes[1]), ["20", "21"]);
        let best = &p.routes[0];
        // Node 2 charges 1000 msat + 100 ppm of 100,000 sats = 11,000 msat.
        assert_eq!(best.fee_msat.to_msat(), 11_000);
        assert_eq!(best.total_amount_msat.to_msat(), 100_011_000);
        assert_eq!(best.hops[0].from, hex(&key(1)));
        assert_eq!(best.hops[0].scid, "0x0x10");
        assert_eq!(
            (p.graph_nodes, p.graph_channels, p.hint_channels),
            (4, 4, 0)
        );
    }

    #[test]
    fn our_balances_rule_out_a_channel_that_cannot_carry_the_amount() {
        let mut q = query(4);
        q.local_balance_msat.insert(10, 1_000);
        let p = plan(&graph(), &q, &[]);
        assert_eq!(chans(&p.routes[0]), ["20", "21"]);
    }

    #[test]
    fn failures_mission_control_learned_steer_the_router_away() {
        let failed = Outcome {
            scid: 11,
            direction: 0,
            amount_msat: 50_000_000,
            success: false,
            at: 990,
        };
        let p = plan(&graph(), &query(4), &[failed]);
        assert_eq!(chans(&p.routes[0]), ["20", "21"]);
    }

    #[test]
    fn route_hints_reach_a_private_payee_and_are_counted() {
        let none = plan(&graph(), &query(5), &[]);
        assert!(none.routes.is_empty());
        assert!(none.error.is_some());
        let mut q = query(5);
        q.route_hints = vec![vec![HintHop {
            src: key(4),
            scid: 30,
            base_fee_msat: 0,
            fee_ppm: 0,
            cltv_delta: 40,
        }]];
        let p = plan(&graph(), &q, &[]);
        assert_eq!(chans(&p.routes[0]), ["10", "11", "30"]);
        assert_eq!((p.graph_channels, p.hint_channels), (5, 1));
    }

    #[test]
    fn another_routers_route_is_priced_on_our_graph_and_compared() {
        let mut q = query(4);
        q.compare_with = Some(ForeignRoute {
            hops: vec![
                ForeignHop {
                    pub_key: key(3),
                    scid: 20,
                    amt_to_forward_msat: Msat::from_msat(100_000_000),
                    fee_msat: Msat::from_msat(501_000),
                },
                ForeignHop {
                    pub_key: key(4),
                    scid: 21,
                    amt_to_forward_msat: Msat::from_msat(100_000_000),
                    fee_msat: Msat::from_msat(0),
                },
            ],
            total_amt_msat: Msat::from_msat(100_501_000),
            total_fees_msat: Msat::from_msat(501_000),
        });
        let p = plan(&graph(), &q, &[]);
        let other = p.other.unwrap();
        assert_eq!(chans(&other), ["20", "21"]);
        assert_eq!(other.fee_msat.to_msat(), 501_000);
        assert!(other.probability > 0.0, "priced by our model");
        assert_eq!(
            p.differences[0],
            "Different routes: ours has 2 hops, LND's 2."
        );
        assert_eq!(p.differences[1], "Ours costs 490000 msat less in fees.");
    }

    #[test]
    fn a_route_over_channels_we_do_not_know_keeps_its_own_figures() {
        let mut q = query(4);
        q.compare_with = Some(ForeignRoute {
            hops: vec![ForeignHop {
                pub_key: key(4),
                scid: 99,
                amt_to_forward_msat: Msat::from_msat(100_000_000),
                fee_msat: Msat::from_msat(0),
            }],
            total_amt_msat: Msat::from_msat(100_000_000),
            total_fees_msat: Msat::from_msat(0),
        });
        let other = plan(&graph(), &q, &[]).other.unwrap();
        assert_eq!(chans(&other), ["99"]);
        assert_eq!(other.probability, 0.0);
        assert_eq!(other.hops[0].amount_msat.to_msat(), 100_000_000);
    }

    #[test]
    fn the_same_route_is_said_once() {
        let r = plan(&graph(), &query(4), &[]).routes.remove(0);
        assert_eq!(
            differences(Some(&r), Some(&r)),
            ["Both routers chose the same route."]
        );
        assert!(differences(Some(&r), None).is_empty());
    }

    #[test]
    fn the_neighbourhood_has_rings_and_leaves_out_what_does_not_fit() {
        let g = graph();
        let me = g.node(&key(1)).unwrap();
        let n = neighbourhood(&g, me, 0);
        assert_eq!(n.nodes[0].ring, 0);
        assert_eq!(n.nodes.iter().filter(|x| x.ring == 1).count(), 2);
        assert_eq!(n.more, 1, "node 4 is a peer's peer left out");
        assert_eq!(n.edges.len(), 2);
        let all = neighbourhood(&g, me, 10);
        assert_eq!((all.nodes.len(), all.edges.len(), all.more), (4, 4, 0));
        assert_eq!(all.nodes[3].ring, 2);
        assert_eq!(all.nodes[3].channels, 2);
    }
}
