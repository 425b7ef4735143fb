//! Conversions between LND's wire forms and ours, shared by the node
//! modules: ids and amounts, the channel graph and its updates, routes and
//! what a payment attempt teaches mission control.

use crate::amount::{Msat, Sat};
use crate::graph::mission::Outcome;
use crate::graph::model::{ChannelSpec, GraphUpdate, Policy, Pubkey};
use crate::graph::Graph;
use fedimint_tonic_lnd::lnrpc;

/// LND returns txids as bytes in internal (reversed) order; shown as hex.
pub(crate) fn txid_from_bytes(b: &[u8]) -> String {
    b.iter().rev().map(|x| format!("{x:02x}")).collect()
}

/// A channel point as `txid:index`.
pub(crate) fn point_string(cp: &lnrpc::ChannelPoint) -> String {
    let txid = match &cp.funding_txid {
        Some(lnrpc::channel_point::FundingTxid::FundingTxidStr(s)) => s.clone(),
        Some(lnrpc::channel_point::FundingTxid::FundingTxidBytes(b)) => txid_from_bytes(b),
        None => String::new(),
    };
    format!("{txid}:{}", cp.output_index)
}

pub(crate) use crate::plan::hex;

/// LND's signed amounts and times, never negative where we read them.
pub(crate) fn non_negative(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// LND's signed sats, never negative where we read them.
pub(crate) fn sat(v: i64) -> Sat {
    Sat::from_sat(non_negative(v))
}

/// LND's signed msat, never negative where we read them.
pub(crate) fn msat(v: i64) -> Msat {
    Msat::from_msat(non_negative(v))
}

/// An amount for LND's signed fields (ours are checked against the
/// 21 million bitcoin supply, far below `i64::MAX`).
pub(crate) fn lnd_sat(a: Sat) -> i64 {
    i64::try_from(a.to_sat()).unwrap_or(i64::MAX)
}

/// The same in msat.
pub(crate) fn lnd_msat(a: Msat) -> i64 {
    i64::try_from(a.to_msat()).unwrap_or(i64::MAX)
}

/// Unix seconds now.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Parses a 33-byte hex public key.
pub fn parse_pubkey_hex(s: &str) -> Option<Pubkey> {
    crate::graph::model::pubkey_from_hex(s)
}

fn policy_of(p: &lnrpc::RoutingPolicy, capacity_sat: u64) -> Policy {
    Policy {
        base_fee_msat: u32::try_from(non_negative(p.fee_base_msat)).unwrap_or(u32::MAX),
        fee_ppm: u32::try_from(non_negative(p.fee_rate_milli_msat)).unwrap_or(u32::MAX),
        cltv_delta: u16::try_from(p.time_lock_delta).unwrap_or(u16::MAX),
        htlc_min_msat: non_negative(p.min_htlc),
        htlc_max_msat: if p.max_htlc_msat == 0 {
            capacity_sat.saturating_mul(1000)
        } else {
            p.max_htlc_msat
        },
        disabled: p.disabled,
        last_update: p.last_update,
        inbound_base_msat: p.inbound_fee_base_msat,
        inbound_fee_ppm: p.inbound_fee_rate_milli_msat,
    }
}

/// The graph from a `DescribeGraph` answer.
pub fn graph_from_lnd(g: &lnrpc::ChannelGraph) -> Graph {
    let specs = g.edges.iter().filter_map(|e| {
        let capacity_sat = non_negative(e.capacity);
        Some(ChannelSpec {
            scid: e.channel_id,
            node1: parse_pubkey_hex(&e.node1_pub)?,
            node2: parse_pubkey_hex(&e.node2_pub)?,
            capacity_sat,
            policy1: e.node1_policy.as_ref().map(|p| policy_of(p, capacity_sat)),
            policy2: e.node2_policy.as_ref().map(|p| policy_of(p, capacity_sat)),
        })
    });
    let mut graph = Graph::from_channels(specs);
    for n in &g.nodes {
        if let Some(pk) = parse_pubkey_hex(&n.pub_key) {
            if !n.alias.is_empty() && graph.node(&pk).is_some() {
                graph.apply(&GraphUpdate::Node {
                    pubkey: pk,
                    alias: n.alias.clone(),
                });
            }
        }
    }
    graph
}

/// The updates in one `SubscribeChannelGraph` message.
pub fn updates_from_lnd(u: &lnrpc::GraphTopologyUpdate) -> Vec<GraphUpdate> {
    let mut out = Vec::new();
    for n in &u.node_updates {
        if let Some(pk) = parse_pubkey_hex(&n.identity_key) {
            out.push(GraphUpdate::Node {
                pubkey: pk,
                alias: n.alias.clone(),
            });
        }
    }
    for c in &u.channel_updates {
        let (Some(adv), Some(conn), Some(p)) = (
            parse_pubkey_hex(&c.advertising_node),
            parse_pubkey_hex(&c.connecting_node),
            c.routing_policy.as_ref(),
        ) else {
            continue;
        };
        let capacity_sat = non_negative(c.capacity);
        out.push(GraphUpdate::Policy {
            scid: c.chan_id,
            advertising: adv,
            connecting: conn,
            capacity_sat,
            policy: policy_of(p, capacity_sat),
        });
    }
    for c in &u.closed_chans {
        out.push(GraphUpdate::Closed { scid: c.chan_id });
    }
    out
}

/// Each hop of an LND route as (scid, direction, amount carried), the way
/// mission control keys channels; `me` is the payer. Direction 0 is from the
/// channel's node1, the smaller key (BOLT 7), so it follows from the keys.
/// None if a hop's key is not a valid hex key.
pub fn route_dirs(me: &Pubkey, route: &lnrpc::Route) -> Option<Vec<(u64, u8, u64)>> {
    let mut from = *me;
    route
        .hops
        .iter()
        .map(|h| {
            let to = parse_pubkey_hex(&h.pub_key)?;
            let dir = u8::from(from > to);
            from = to;
            let carried =
                non_negative(h.amt_to_forward_msat).saturating_add(non_negative(h.fee_msat));
            Some((h.chan_id, dir, carried))
        })
        .collect()
}

/// What one HTLC attempt over `dirs` teaches mission control: on success,
/// every hop carried its amount; on failure reported by the node at index
/// `i` (0: us), the hops before it carried theirs, and a temporary channel
/// failure says hop `i` could not (other failures say nothing about
/// liquidity). An attempt still in flight teaches nothing.
pub fn attempt_outcomes(
    dirs: &[(u64, u8, u64)],
    attempt: &lnrpc::HtlcAttempt,
    now: u64,
) -> Vec<Outcome> {
    use lnrpc::htlc_attempt::HtlcStatus;
    let learned = |&(scid, direction, amount_msat): &(u64, u8, u64), success| Outcome {
        scid,
        direction,
        amount_msat,
        success,
        at: now,
    };
    if attempt.status == HtlcStatus::Succeeded as i32 {
        return dirs.iter().map(|d| learned(d, true)).collect();
    }
    let Some(f) = attempt
        .failure
        .as_ref()
        .filter(|_| attempt.status == HtlcStatus::Failed as i32)
    else {
        return Vec::new();
    };
    let idx = f.failure_source_index as usize;
    let mut out: Vec<Outcome> = dirs.iter().take(idx).map(|d| learned(d, true)).collect();
    let liquidity = f.code == lnrpc::failure::FailureCode::TemporaryChannelFailure as i32;
    if let (true, Some(d)) = (liquidity, dirs.get(idx)) {
        out.push(learned(d, false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txid_bytes_are_reversed() {
        assert_eq!(txid_from_bytes(&[1, 2, 3]), "030201");
        assert_eq!(hex(&[1, 2, 3]), "010203");
        assert_eq!(non_negative(-5), 0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod route_tests {
    use super::*;
    use lnrpc::htlc_attempt::HtlcStatus;

    fn key(b: u8) -> String {
        format!("02{}", format!("{b:02x}").repeat(32))
    }

    /// us (0x50) → 0x10 → 0x70: 2,000 msat fee at 0x10, 100,000 msat delivered.
    fn route() -> lnrpc::Route {
        let hop = |chan_id, b, amt, fee| lnrpc::Hop {
            chan_id,
            pub_key: key(b),
            amt_to_forward_msat: amt,
            fee_msat: fee,
            ..Default::default()
        };
        lnrpc::Route {
            hops: vec![hop(11, 0x10, 100_000, 2_000), hop(22, 0x70, 100_000, 0)],
            ..Default::default()
        }
    }

    fn attempt(
        status: HtlcStatus,
        failure: Option<(lnrpc::failure::FailureCode, u32)>,
    ) -> lnrpc::HtlcAttempt {
        lnrpc::HtlcAttempt {
            status: status as i32,
            failure: failure.map(|(code, idx)| lnrpc::Failure {
                code: code as i32,
                failure_source_index: idx,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn route_dirs_follow_the_keys_and_carry_amount_plus_fee() {
        let me = parse_pubkey_hex(&key(0x50)).unwrap();
        let dirs = route_dirs(&me, &route()).unwrap();
        // 0x50 → 0x10: the sender is the larger key, so direction 1; 0x10 → 0x70: 0.
        assert_eq!(dirs, vec![(11, 1, 102_000), (22, 0, 100_000)]);
        let mut bad = route();
        bad.hops[1].pub_key = "zz".into();
        assert_eq!(route_dirs(&me, &bad), None);
    }

    #[test]
    fn attempts_teach_what_they_prove() {
        use lnrpc::failure::FailureCode::{
            IncorrectOrUnknownPaymentDetails, TemporaryChannelFailure,
        };
        let dirs = [(11, 1, 102_000), (22, 0, 100_000)];
        let learned = |a: &lnrpc::HtlcAttempt| -> Vec<(u64, bool)> {
            attempt_outcomes(&dirs, a, 7)
                .iter()
                .map(|o| (o.scid, o.success))
                .collect()
        };
        assert_eq!(
            learned(&attempt(HtlcStatus::Succeeded, None)),
            [(11, true), (22, true)]
        );
        // 0x10 (index 1) could not forward over channel 22: 11 carried it, 22 did not.
        let t = attempt(HtlcStatus::Failed, Some((TemporaryChannelFailure, 1)));
        assert_eq!(learned(&t), [(11, true), (22, false)]);
        // The payee refused: both channels carried the amount.
        let p = attempt(
            HtlcStatus::Failed,
            Some((IncorrectOrUnknownPaymentDetails, 2)),
        );
        assert_eq!(learned(&p), [(11, true), (22, true)]);
        // Another failure at 0x10 proves channel 11 only.
        let o = attempt(
            HtlcStatus::Failed,
            Some((IncorrectOrUnknownPaymentDetails, 1)),
        );
        assert_eq!(learned(&o), [(11, true)]);
        // In flight: nothing yet.
        assert!(learned(&attempt(HtlcStatus::InFlight, None)).is_empty());
        assert!(
            attempt_outcomes(&dirs, &attempt(HtlcStatus::Succeeded, None), 7)
                .iter()
                .all(|o| o.at == 7)
        );
    }
}
