//! Route hints: the private channels an invoice tells the payer about
//! (BOLT 11 `r` fields), added to a copy of the graph for one query.
//!
//! A hint route is a list of hops `(node, scid, base fee, ppm, CLTV delta)`
//! leading to the payee: hop `i` is the channel from `node_i` to `node_{i+1}`
//! (the last one to the payee), priced by `node_i`'s policy as given. Such
//! channels are unannounced, so the gossip graph does not know them, and a
//! payee behind only private channels is not in the graph at all.
//!
//! Rules:
//! 1. A channel the graph already knows, with a policy for that direction,
//!    keeps the graph's policy (gossip is newer than an invoice and is what
//!    LND forwards by); a known channel without that direction's policy gets
//!    the hint's.
//! 2. An unknown channel is added with [`HINT_CAPACITY_SAT`] as its capacity
//!    (the invoice does not say it; LND assumes the same 10 BTC for hop hints)
//!    and `htlc_max` equal to it, `htlc_min` 0.
//! 3. A hint hop whose scid the graph knows between *other* nodes, or which
//!    joins a node to itself, is ignored (a wrong or malicious hint cannot
//!    re-price a public channel).
//! 4. Nothing to add: no copy (`None`); the caller routes on the graph itself.
//!
//! Added channels are appended, so the original graph's node and edge numbers
//! stay valid in the copy (mission control built for one fits the other).

use super::model::{Graph, GraphUpdate, Policy, Pubkey};

/// The capacity assumed for a hinted channel, sats: 10 BTC, as LND does.
pub const HINT_CAPACITY_SAT: u64 = 1_000_000_000;

/// One hop of a route hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintHop {
    /// The node that forwards over the channel.
    pub src: Pubkey,
    /// The channel's short channel id.
    pub scid: u64,
    /// Base fee, msat.
    pub base_fee_msat: u32,
    /// Proportional fee, parts per million.
    pub fee_ppm: u32,
    /// CLTV delta `src` adds, blocks.
    pub cltv_delta: u16,
}

/// A copy of `g` with the hinted channels towards `payee` (rules 1–4 of the
/// module doc), or `None` when the hints add nothing.
pub fn with_route_hints(g: &Graph, hints: &[Vec<HintHop>], payee: &Pubkey) -> Option<Graph> {
    let mut updates = Vec::new();
    for route in hints {
        for (i, hop) in route.iter().enumerate() {
            let to = route.get(i + 1).map_or(payee, |next| &next.src);
            if &hop.src == to {
                continue;
            }
            let capacity_sat = match g.channel_by_scid(hop.scid) {
                Some(c) => {
                    let ch = g.channel(c);
                    let (from_idx, to_idx) = (g.node(&hop.src), g.node(to));
                    let dir = if Some(ch.node1) == from_idx && Some(ch.node2) == to_idx {
                        0
                    } else if Some(ch.node2) == from_idx && Some(ch.node1) == to_idx {
                        1
                    } else {
                        continue; // rule 3
                    };
                    if g.edge_policy(2 * c + dir).is_some() {
                        continue; // rule 1
                    }
                    ch.capacity_sat
                }
                None => HINT_CAPACITY_SAT,
            };
            updates.push(GraphUpdate::Policy {
                scid: hop.scid,
                advertising: hop.src,
                connecting: *to,
                capacity_sat,
                policy: Policy {
                    base_fee_msat: hop.base_fee_msat,
                    fee_ppm: hop.fee_ppm,
                    cltv_delta: hop.cltv_delta,
                    htlc_min_msat: 0,
                    htlc_max_msat: capacity_sat.saturating_mul(1000),
                    disabled: false,
                    last_update: 0,
                    inbound_base_msat: 0,
                    inbound_fee_ppm: 0,
                },
            });
        }
    }
    if updates.is_empty() {
        return None;
    }
    let mut copy = g.clone();
    for u in &updates {
        copy.apply(u);
    }
    Some(copy)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::graph::model::ChannelSpec;
    use crate::graph::router::{find_route, RouteRequest, RouterConfig, Scratch};
    use crate::graph::testkit::{key, policy};
    use crate::graph::MissionControl;

    fn public(scid: u64, a: u8, b: u8) -> ChannelSpec {
        ChannelSpec {
            scid,
            node1: key(a),
            node2: key(b),
            capacity_sat: 5_000_000,
            policy1: Some(policy(1000, 1)),
            policy2: Some(policy(1000, 1)),
        }
    }

    fn hop(src: u8, scid: u64, base: u32, ppm: u32) -> HintHop {
        HintHop {
            src: key(src),
            scid,
            base_fee_msat: base,
            fee_ppm: ppm,
            cltv_delta: 144,
        }
    }

    /// Us (1) — 2 — 3 public; the payee 9 sits behind a private channel from 3.
    fn graph() -> Graph {
        Graph::from_channels([public(100, 1, 2), public(200, 2, 3)])
    }

    fn route_to(g: &Graph, payee: u8, amount_msat: u64) -> Vec<u64> {
        let req = RouteRequest {
            source: g.node(&key(1)).unwrap(),
            target: g.node(&key(payee)).expect("payee in the graph"),
            amount_msat,
            ..RouteRequest::default()
        };
        let r = find_route(
            g,
            &req,
            &RouterConfig::fees_only(),
            &MissionControl::new(),
            &mut Scratch::new(),
        )
        .expect("route");
        r.hops.iter().map(|h| h.scid).collect()
    }

    #[test]
    fn a_payee_behind_a_private_channel_becomes_reachable() {
        let g = graph();
        assert!(g.node(&key(9)).is_none());
        let hinted = with_route_hints(&g, &[vec![hop(3, 300, 2000, 100)]], &key(9)).unwrap();
        assert_eq!(route_to(&hinted, 9, 1_000_000), vec![100, 200, 300]);
        // The hint's policy prices the last hop: what 3 charges for 1,000,000 msat.
        let req = RouteRequest {
            source: hinted.node(&key(1)).unwrap(),
            target: hinted.node(&key(9)).unwrap(),
            amount_msat: 1_000_000,
            ..RouteRequest::default()
        };
        let r = find_route(
            &hinted,
            &req,
            &RouterConfig::fees_only(),
            &MissionControl::new(),
            &mut Scratch::new(),
        )
        .unwrap();
        assert_eq!(
            r.hops[2].fee_msat,
            2000 + 100,
            "3 charges the hinted policy"
        );
        assert_eq!(r.hops[1].fee_msat, 1000 + 1, "2 charges its gossip policy");
        assert_eq!(r.hops[2].cltv_delta, 144);
        // The original graph is untouched, and its numbering holds in the copy.
        assert!(g.node(&key(9)).is_none());
        assert_eq!(hinted.node(&key(3)), g.node(&key(3)));
        assert_eq!(hinted.channel_by_scid(200), g.channel_by_scid(200));
    }

    #[test]
    fn multi_hop_hints_chain_to_the_payee() {
        let g = graph();
        // 3 → 7 → 9, both private.
        let hints = [vec![hop(3, 300, 0, 0), hop(7, 700, 0, 0)]];
        let hinted = with_route_hints(&g, &hints, &key(9)).unwrap();
        assert_eq!(route_to(&hinted, 9, 10_000), vec![100, 200, 300, 700]);
        let c = hinted.channel_by_scid(300).unwrap();
        assert_eq!(hinted.channel(c).capacity_sat, HINT_CAPACITY_SAT);
    }

    #[test]
    fn known_channels_keep_the_gossip_policy_and_bogus_hints_are_ignored() {
        let g = graph();
        // Channel 200 is 2–3 with policies both ways: a hint for it adds nothing.
        assert!(with_route_hints(&g, &[vec![hop(2, 200, 9, 9)]], &key(3)).is_none());
        // A hint claiming scid 200 joins 3 and 9 (it does not): ignored.
        assert!(with_route_hints(&g, &[vec![hop(3, 200, 0, 0)]], &key(9)).is_none());
        // A hop from a node to itself: ignored.
        assert!(with_route_hints(&g, &[vec![hop(9, 900, 0, 0)]], &key(9)).is_none());
        // No hints: no copy.
        assert!(with_route_hints(&g, &[], &key(9)).is_none());
    }

    #[test]
    fn a_known_channel_missing_one_direction_gets_the_hints_policy() {
        let mut spec = public(300, 3, 9);
        spec.policy1 = None; // 3's side unknown (node1 is the smaller key, 3)
        let g = Graph::from_channels([public(100, 1, 2), public(200, 2, 3), spec]);
        let hinted = with_route_hints(&g, &[vec![hop(3, 300, 5, 0)]], &key(9)).unwrap();
        let c = hinted.channel_by_scid(300).unwrap();
        assert_eq!(hinted.edge_policy(2 * c).map(|p| p.base_fee_msat), Some(5));
        assert_eq!(
            hinted.channel(c).capacity_sat,
            5_000_000,
            "known capacity kept"
        );
        assert_eq!(route_to(&hinted, 9, 10_000), vec![100, 200, 300]);
    }
}
