//! Route preview on the node: the channel graph from LND (`DescribeGraph`,
//! then kept current from the graph stream with O(1) updates), our router's
//! best route and alternatives beside LND's `QueryRoutes` answer, and paying
//! along a previewed route with `SendToRouteV2`.
//!
//! LND's route format, from ours (hop `i` goes from `from_i` to `to_i`):
//! LND's hop `i` names `to_i`; its `amt_to_forward_msat` and `fee_msat` are
//! what `to_i` forwards and charges on the *next* channel (for the last hop:
//! the payment amount and 0); its `expiry` is the CLTV of the HTLC `to_i`
//! sends on (for the last hop: height + the final delta). LND's inbound fees
//! (0.18+) are not modelled: they are zero unless a node sets them.

use super::client::{LndClient, CALL_TIMEOUT};
use super::connection::Connection;
use super::convert::{
    attempt_outcomes, graph_from_lnd, hex, lnd_msat, lnd_sat, msat, non_negative, parse_pubkey_hex,
};
use super::error::NodeError;
use super::events::GraphFeed;
use super::invoice::DecodedInvoice;
use crate::amount::{Msat, Sat};
use crate::graph::hints::{with_route_hints, HintHop};
use crate::graph::mission::Outcome;
use crate::graph::model::{parse_scid, GraphUpdate, Pubkey};
use crate::graph::router::{build_route, Route, RouteRequest, RouterConfig, Scratch};
use crate::graph::{Graph, MissionControl};
pub use crate::plan::{
    mission_from_outcomes, neighbourhood, plan, preview_route, ForeignHop, ForeignRoute, HoodEdge,
    HoodNode, Neighbourhood, PlanQuery, PreviewHop, PreviewRoute,
};
use fedimint_tonic_lnd::{lnrpc, routerrpc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ts_rs::TS;

/// What to preview.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoutePreviewRequest {
    /// A node key (hex) or a BOLT 11 invoice.
    pub to: String,
    /// Amount, sats (needed for a node key or an invoice without amount).
    #[serde(default)]
    pub amount_sat: Option<Sat>,
    /// How many routes (best plus alternatives), 1–10; default 3.
    #[serde(default)]
    pub routes: Option<u32>,
    /// Most to pay in fees, sats.
    #[serde(default)]
    pub fee_limit_sat: Option<Sat>,
}

/// The preview: ours beside LND's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoutePreview {
    /// Destination key.
    pub destination: String,
    /// Its alias, if known.
    pub destination_alias: Option<String>,
    /// Amount delivered, msat.
    pub amount_msat: Msat,
    /// Payment hash, when previewing an invoice (needed to pay).
    pub payment_hash: Option<String>,
    /// Our best route first, then alternatives.
    pub routes: Vec<PreviewRoute>,
    /// Why our router found none.
    pub error: Option<String>,
    /// LND's `QueryRoutes` answer for the same request.
    pub lnd: Option<PreviewRoute>,
    /// Why LND found none.
    pub lnd_error: Option<String>,
    /// How ours and LND's differ, in sentences.
    pub differences: Vec<String>,
    /// Graph size used.
    pub graph_nodes: u32,
    /// Graph size used.
    pub graph_channels: u32,
    /// Private channels the invoice's route hints added to the graph for
    /// this preview (counted in `graph_channels`).
    pub hint_channels: u32,
}

/// LND's route in the planner's terms (keys it cannot read are left as
/// zeros, which no graph node has: the route is then shown in LND's figures).
fn foreign_route(r: &lnrpc::Route) -> ForeignRoute {
    ForeignRoute {
        hops: r
            .hops
            .iter()
            .map(|h| ForeignHop {
                pub_key: parse_pubkey_hex(&h.pub_key).unwrap_or([0; 33]),
                scid: h.chan_id,
                amt_to_forward_msat: msat(h.amt_to_forward_msat),
                fee_msat: msat(h.fee_msat),
            })
            .collect(),
        total_amt_msat: msat(r.total_amt_msat),
        total_fees_msat: msat(r.total_fees_msat),
    }
}

/// The result of paying along a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoutePayment {
    /// Paid.
    pub succeeded: bool,
    /// Proof of payment (hex), when paid.
    pub preimage: Option<String>,
    /// Fees paid, msat.
    pub fee_msat: Msat,
    /// Why not, in words (which hop failed and how).
    pub failure: Option<String>,
    /// Hop index (0: our channel) whose node reported the failure.
    pub failed_hop: Option<u32>,
}

/// A route rebuilt for paying: the route, each hop's (scid, direction,
/// amount), and each hop's receiving node key.
type BuiltRoute = (Route, Vec<(u64, u8, u64)>, Vec<String>);

/// What paying taught mission control (to store).
pub type Outcomes = Vec<Outcome>;

/// An invoice's route hints (private channels to the payee) for
/// [`with_route_hints`]; none if the invoice cannot be read.
pub fn hint_hops(payment_request: &str) -> Vec<Vec<HintHop>> {
    let Ok(parsed) = payment_request.parse::<lightning_invoice::Bolt11Invoice>() else {
        return Vec::new();
    };
    parsed
        .route_hints()
        .iter()
        .map(|rh| {
            rh.0.iter()
                .map(|h| HintHop {
                    src: h.src_node_id.serialize(),
                    scid: h.short_channel_id,
                    base_fee_msat: h.fees.base_msat,
                    fee_ppm: h.fees.proportional_millionths,
                    cltv_delta: h.cltv_expiry_delta,
                })
                .collect()
        })
        .collect()
}

/// The routing service: owns the channel graph for previews (loaded from
/// LND on first use, then fed by the event stream through [`GraphFeed`])
/// and plans, previews and pays routes over it.
pub struct Routing {
    conn: Arc<Connection>,
    /// The graph, with the connection generation it was loaded from.
    graph: Mutex<Option<(u64, Graph)>>,
}

impl GraphFeed for Routing {
    /// Applies the graph stream's updates (O(1) each); no-op before the graph is loaded.
    fn apply(&self, updates: &[GraphUpdate]) {
        if let Ok(mut g) = self.graph.lock() {
            if let Some((_, graph)) = g.as_mut() {
                for u in updates {
                    graph.apply(u);
                }
                graph.compact_if_needed();
            }
        }
    }

    /// Forgets the graph (the next use reloads it; after a reconnect).
    fn reset(&self) {
        if let Ok(mut g) = self.graph.lock() {
            *g = None;
        }
    }
}

impl Routing {
    /// Routing over `conn`'s node.
    pub fn new(conn: Arc<Connection>) -> Routing {
        Routing {
            conn,
            graph: Mutex::new(None),
        }
    }

    /// The channel graph, loaded from LND on first use (and again after a
    /// switch to another node) and kept current by the event stream;
    /// `f` runs on it under the lock.
    pub async fn with_graph<T>(&self, f: impl FnOnce(&Graph) -> T) -> Result<T, NodeError> {
        let generation = self.conn.generation();
        if let Ok(g) = self.graph.lock() {
            if let Some((gen, graph)) = g.as_ref() {
                if *gen == generation {
                    return Ok(f(graph));
                }
            }
        }
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let resp = c
            .call(
                Duration::from_secs(120),
                ln.describe_graph(lnrpc::ChannelGraphRequest {
                    include_unannounced: true,
                }),
            )
            .await?;
        let graph = graph_from_lnd(&resp);
        tracing::info!(
            nodes = graph.node_count(),
            channels = graph.channel_count(),
            "channel graph loaded"
        );
        let mut g = self.graph.lock().map_err(|_| NodeError::Internal {
            detail: "graph lock poisoned".into(),
        })?;
        let out = f(&graph);
        *g = Some((generation, graph));
        Ok(out)
    }

    async fn route_inputs(
        &self,
        c: &LndClient,
    ) -> Result<(Pubkey, u32, HashMap<u64, u64>), NodeError> {
        let info = c.get_info().await?;
        let me = parse_pubkey_hex(&info.identity_pubkey).ok_or_else(|| NodeError::Internal {
            detail: "the node's key is not hex".into(),
        })?;
        let mut ln = c.lightning.clone();
        let chans = c
            .call(
                CALL_TIMEOUT,
                ln.list_channels(lnrpc::ListChannelsRequest::default()),
            )
            .await?;
        let balances = chans
            .channels
            .iter()
            .filter(|ch| ch.active)
            .map(|ch| {
                let reserve = ch
                    .local_constraints
                    .as_ref()
                    .map_or(0, |k| k.chan_reserve_sat);
                let spendable = non_negative(ch.local_balance).saturating_sub(reserve);
                (ch.chan_id, spendable.saturating_mul(1000))
            })
            .collect();
        Ok((me, info.block_height, balances))
    }

    /// Our routes and LND's for a node key or an invoice.
    pub async fn preview_route(
        &self,
        req: &RoutePreviewRequest,
        outcomes: &[Outcome],
    ) -> Result<RoutePreview, NodeError> {
        let network = self.conn.network().ok_or(NodeError::NotConfigured)?;
        let to = req.to.trim();
        let (dest, amount_msat, final_cltv, invoice): (Pubkey, Msat, u32, Option<DecodedInvoice>) =
            match parse_pubkey_hex(to) {
                Some(pk) => {
                    let a = req.amount_sat.filter(|a| !a.is_zero()).ok_or_else(|| {
                        NodeError::BadRequest {
                            message: "Enter the amount in sats to preview a route to a node."
                                .into(),
                        }
                    })?;
                    (pk, a.to_msat()?, 40, None)
                }
                None => {
                    let inv = super::invoice::decode_invoice(to, network)?;
                    let amount = inv.payable(req.amount_sat.map(Sat::to_msat).transpose()?)?;
                    let pk = parse_pubkey_hex(&inv.payee).ok_or_else(|| NodeError::BadRequest {
                        message: "The invoice's payee key is not valid.".into(),
                    })?;
                    let cltv = inv.min_final_cltv_expiry_delta;
                    (pk, amount, cltv, Some(inv))
                }
            };
        let c = self.conn.client().await?;
        let (me, height, balances) = self.route_inputs(&c).await?;
        let lnd = self
            .lnd_query_routes(
                &c,
                &dest,
                amount_msat,
                final_cltv,
                req.fee_limit_sat,
                invoice.as_ref(),
            )
            .await;
        let query = PlanQuery {
            source: me,
            destination: dest,
            amount_msat,
            routes: req.routes.unwrap_or(3).clamp(1, 10) as usize,
            config: RouterConfig {
                final_cltv_delta: final_cltv,
                fee_limit_msat: req
                    .fee_limit_sat
                    .map(Sat::to_msat)
                    .transpose()?
                    .map(Msat::to_msat),
                current_height: height,
                now: super::convert::now_secs(),
                ..RouterConfig::default()
            },
            local_balance_msat: balances,
            route_hints: invoice
                .as_ref()
                .map(|i| hint_hops(&i.payment_request))
                .unwrap_or_default(),
            compare_with: lnd.as_ref().ok().map(foreign_route),
        };
        let p = self.with_graph(|g| plan(g, &query, outcomes)).await?;
        Ok(RoutePreview {
            destination: hex(&dest),
            destination_alias: p.destination_alias,
            amount_msat,
            payment_hash: invoice.as_ref().map(|i| i.payment_hash.clone()),
            routes: p.routes,
            error: p.error,
            lnd: p.other,
            lnd_error: lnd.err().map(|e| e.to_string()),
            differences: p.differences,
            graph_nodes: p.graph_nodes,
            graph_channels: p.graph_channels,
            hint_channels: p.hint_channels,
        })
    }

    async fn lnd_query_routes(
        &self,
        c: &LndClient,
        dest: &Pubkey,
        amount_msat: Msat,
        final_cltv: u32,
        fee_limit_sat: Option<Sat>,
        invoice: Option<&DecodedInvoice>,
    ) -> Result<lnrpc::Route, NodeError> {
        let mut ln = c.lightning.clone();
        let msg = lnrpc::QueryRoutesRequest {
            pub_key: hex(dest),
            amt_msat: lnd_msat(amount_msat),
            final_cltv_delta: i32::try_from(final_cltv).unwrap_or(i32::MAX),
            fee_limit: fee_limit_sat.map(|l| lnrpc::FeeLimit {
                limit: Some(lnrpc::fee_limit::Limit::Fixed(lnd_sat(l))),
            }),
            use_mission_control: true,
            route_hints: invoice
                .map(|i| super::payments::route_hints_of(&i.payment_request))
                .unwrap_or_default(),
            ..Default::default()
        };
        let r = c.call(CALL_TIMEOUT, ln.query_routes(msg)).await?;
        r.routes.into_iter().next().ok_or_else(|| NodeError::Rpc {
            detail: "LND found no route".into(),
        })
    }

    /// Pays `invoice` along the route through `chan_ids` (as previewed):
    /// rebuilt and re-priced on the current graph, sent with `SendToRouteV2`
    /// only if it costs at most `max_fee_msat` (the fee the user saw; the
    /// graph may have changed since). Returns the outcome and what mission
    /// control should learn.
    pub async fn pay_along_route(
        &self,
        invoice: &str,
        amount_sat: Option<Sat>,
        chan_ids: &[u64],
        max_fee_msat: Msat,
    ) -> Result<(RoutePayment, Outcomes), NodeError> {
        let network = self.conn.network().ok_or(NodeError::NotConfigured)?;
        let inv = super::invoice::decode_invoice(invoice, network)?;
        let amount_msat = inv.payable(amount_sat.map(Sat::to_msat).transpose()?)?;
        let parsed: lightning_invoice::Bolt11Invoice =
            inv.payment_request
                .parse()
                .map_err(|_| NodeError::BadRequest {
                    message: "The invoice could not be read again.".into(),
                })?;
        let dest = parse_pubkey_hex(&inv.payee).ok_or_else(|| NodeError::BadRequest {
            message: "The invoice's payee key is not valid.".into(),
        })?;
        let c = self.conn.client().await?;
        let (me, height, balances) = self.route_inputs(&c).await?;
        let cfg = RouterConfig {
            final_cltv_delta: inv.min_final_cltv_expiry_delta,
            current_height: height,
            ..RouterConfig::default()
        };
        let hints = hint_hops(&inv.payment_request);
        let built = self
            .with_graph(|graph| -> Result<BuiltRoute, NodeError> {
                let hinted = with_route_hints(graph, &hints, &dest);
                let g = hinted.as_ref().unwrap_or(graph);
                let bad = |m: String| NodeError::BadRequest { message: m };
                let source = g
                    .node(&me)
                    .ok_or_else(|| bad("Our node is not in the channel graph.".into()))?;
                let target = g
                    .node(&dest)
                    .ok_or_else(|| bad("The payee is not in the channel graph.".into()))?;
                let mut from = source;
                let mut edges = Vec::new();
                for id in chan_ids {
                    let c = g.channel_by_scid(*id).ok_or_else(|| {
                        bad(format!(
                            "Channel {} is no longer in the graph; preview again.",
                            crate::graph::model::scid_string(*id)
                        ))
                    })?;
                    let ch = g.channel(c);
                    let e = if ch.node1 == from {
                        2 * c
                    } else if ch.node2 == from {
                        2 * c + 1
                    } else {
                        return Err(bad(format!(
                            "Channel {} does not continue the route.",
                            crate::graph::model::scid_string(*id)
                        )));
                    };
                    from = g.edge_to(e);
                    edges.push(e);
                }
                let rreq = RouteRequest {
                    source,
                    target,
                    amount_msat: amount_msat.to_msat(),
                    local_balance_msat: balances
                        .iter()
                        .filter_map(|(scid, b)| Some((g.channel_by_scid(*scid)?, *b)))
                        .collect(),
                    first_hop: None,
                };
                let route = build_route(g, &edges, &rreq, &cfg, &MissionControl::new())
                    .map_err(|e| bad(format!("This route no longer works: {e} Preview again.")))?;
                let dirs = route
                    .hops
                    .iter()
                    .map(|h| (h.scid, (h.edge & 1) as u8, h.amount_msat))
                    .collect();
                let keys = route.hops.iter().map(|h| hex(g.pubkey(h.to))).collect();
                Ok((route, dirs, keys))
            })
            .await??;
        let (route, dirs, keys) = built;
        if route.fee_msat > max_fee_msat.to_msat() {
            tracing::info!(
                fee_msat = route.fee_msat,
                limit_msat = max_fee_msat.to_msat(),
                "route re-priced above the fee the user saw; not sent"
            );
            return Err(NodeError::FeeAboveLimit {
                fee_msat: route.fee_msat,
                limit_msat: max_fee_msat.to_msat(),
            });
        }
        let hash: [u8; 32] = *AsRef::<[u8; 32]>::as_ref(parsed.payment_hash());
        self.send_built(
            &c,
            height,
            &route,
            &dirs,
            &keys,
            hash,
            parsed.payment_secret().0,
        )
        .await
    }

    /// Sends a priced route with `SendToRouteV2` and reads the attempt.
    #[allow(clippy::too_many_arguments)]
    async fn send_built(
        &self,
        c: &LndClient,
        height: u32,
        route: &Route,
        dirs: &[(u64, u8, u64)],
        keys: &[String],
        payment_hash: [u8; 32],
        payment_secret: [u8; 32],
    ) -> Result<(RoutePayment, Outcomes), NodeError> {
        let n = route.hops.len();
        let at_height = |delta: u32| {
            height
                .checked_add(delta)
                .ok_or_else(|| NodeError::Internal {
                    detail: "a time lock past the largest block height".into(),
                })
        };
        let lnd_hops: Vec<lnrpc::Hop> = (0..n)
            .map(|i| {
                let next = route.hops.get(i + 1);
                let last = i + 1 == n;
                Ok(lnrpc::Hop {
                    chan_id: route.hops[i].scid,
                    expiry: at_height(next.map_or(route.hops[i].cltv_at_to, |h| h.cltv_at_to))?,
                    amt_to_forward_msat: i64::try_from(
                        next.map_or(route.amount_msat, |h| h.amount_msat),
                    )
                    .unwrap_or(i64::MAX),
                    fee_msat: i64::try_from(next.map_or(0, |h| h.fee_msat)).unwrap_or(i64::MAX),
                    pub_key: keys[i].clone(),
                    mpp_record: last.then(|| lnrpc::MppRecord {
                        payment_addr: payment_secret.to_vec(),
                        total_amt_msat: i64::try_from(route.amount_msat).unwrap_or(i64::MAX),
                    }),
                    ..Default::default()
                })
            })
            .collect::<Result<_, NodeError>>()?;
        let lnd_route = lnrpc::Route {
            total_time_lock: at_height(route.total_cltv)?,
            hops: lnd_hops,
            total_fees_msat: i64::try_from(route.fee_msat).unwrap_or(i64::MAX),
            total_amt_msat: i64::try_from(route.total_amount_msat).unwrap_or(i64::MAX),
            ..Default::default()
        };
        let mut router = c.router.clone();
        let attempt = c
            .call(
                Duration::from_secs(90),
                router.send_to_route_v2(routerrpc::SendToRouteRequest {
                    payment_hash: payment_hash.to_vec(),
                    route: Some(lnd_route),
                    skip_temp_err: true,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| super::error::classify_rpc(e, None))?;
        let succeeded = attempt.status == lnrpc::htlc_attempt::HtlcStatus::Succeeded as i32;
        let outcomes = attempt_outcomes(dirs, &attempt, super::convert::now_secs());
        let mut failure_text = None;
        let mut failed_hop = None;
        if succeeded {
            // Nothing to explain.
        } else if let Some(f) = &attempt.failure {
            // failure_source_index: 0 is us, i is the node at the end of hop i-1.
            let idx = f.failure_source_index as usize;
            let code = lnrpc::failure::FailureCode::try_from(f.code)
                .map(|c| c.as_str_name().to_lowercase())
                .unwrap_or_else(|_| format!("code {}", f.code));
            failed_hop = u32::try_from(idx).ok();
            let at = if idx == 0 {
                "our node".to_string()
            } else if idx >= n {
                "the destination".to_string()
            } else {
                format!(
                    "hop {idx} ({})",
                    crate::graph::model::scid_string(dirs[idx].0)
                )
            };
            failure_text = Some(format!(
                "The payment failed at {at}: {}.",
                code.replace('_', " ")
            ));
        } else {
            failure_text = Some("The payment did not complete.".into());
        }
        Ok((
            RoutePayment {
                succeeded,
                preimage: succeeded.then(|| hex(&attempt.preimage)),
                fee_msat: Msat::from_msat(route.fee_msat),
                failure: failure_text,
                failed_hop,
            },
            outcomes,
        ))
    }
}

/// Move liquidity between two of our channels with a payment to ourselves.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RebalanceRequest {
    /// The channel to send out through (its local balance goes down): short
    /// channel id `AxBxC` or LND's numeric id.
    pub out_channel: String,
    /// The channel to come back in through (its local balance goes up).
    pub in_channel: String,
    /// Amount to move, sats.
    pub amount_sat: Sat,
    /// Most to pay in fees, sats.
    pub max_fee_sat: Sat,
}

/// A rebalance's route, and the payment when it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RebalanceResult {
    /// The circular route.
    pub route: PreviewRoute,
    /// The payment (none for a dry run).
    pub payment: Option<RoutePayment>,
}

/// The memo of the invoice a rebalance pays to ourselves.
pub const REBALANCE_MEMO: &str = "Switchyard rebalance";

impl Routing {
    /// The circular route for a rebalance, priced for paying.
    async fn rebalance_route(
        &self,
        c: &LndClient,
        req: &RebalanceRequest,
        outcomes: &[Outcome],
    ) -> Result<(BuiltRoute, PreviewRoute, u32), NodeError> {
        if req.amount_sat.is_zero() {
            return Err(NodeError::BadRequest {
                message: "Enter the amount to move, in sats.".into(),
            });
        }
        let (me, height, balances) = self.route_inputs(c).await?;
        let cfg = RouterConfig {
            final_cltv_delta: 80,
            fee_limit_msat: Some(req.max_fee_sat.to_msat()?.to_msat()),
            current_height: height,
            now: super::convert::now_secs(),
            ..RouterConfig::default()
        };
        let amount_msat = req.amount_sat.to_msat()?.to_msat();
        let (built, preview) = self
            .with_graph(|g| -> Result<(BuiltRoute, PreviewRoute), NodeError> {
                let bad = |m: String| NodeError::BadRequest { message: m };
                let me = g.node(&me).ok_or_else(|| bad("Our node is not in the channel graph yet.".into()))?;
                let by_text = |t: &str| parse_scid(t).and_then(|id| g.channel_by_scid(id));
                let out = by_text(&req.out_channel)
                    .ok_or_else(|| bad(format!("No channel \"{}\" in the graph (use the short channel id, like 442x1x0).", req.out_channel)))?;
                let inn = by_text(&req.in_channel)
                    .ok_or_else(|| bad(format!("No channel \"{}\" in the graph (use the short channel id, like 442x1x0).", req.in_channel)))?;
                let local: HashMap<u32, u64> = balances
                    .iter()
                    .filter_map(|(scid, b)| Some((g.channel_by_scid(*scid)?, *b)))
                    .collect();
                let mc = mission_from_outcomes(g, outcomes);
                let route = crate::graph::router::circular_route(
                    g,
                    me,
                    out,
                    inn,
                    amount_msat,
                    local,
                    &cfg,
                    &mc,
                    &mut Scratch::new(),
                )
                .map_err(|e| match e {
                    crate::graph::RouteError::SameNode => bad("Choose two different channels: one to send out through, one to come back in through.".into()),
                    crate::graph::RouteError::UnknownSource => bad("Both channels must be our own open channels.".into()),
                    other => bad(format!("No rebalance route: {other}")),
                })?;
                let dirs = route.hops.iter().map(|h| (h.scid, (h.edge & 1) as u8, h.amount_msat)).collect();
                let keys = route.hops.iter().map(|h| hex(g.pubkey(h.to))).collect();
                let preview = preview_route(g, &route);
                Ok(((route, dirs, keys), preview))
            })
            .await??;
        Ok((built, preview, height))
    }

    /// The route a rebalance would take, and what it would cost.
    pub async fn preview_rebalance(
        &self,
        req: &RebalanceRequest,
        outcomes: &[Outcome],
    ) -> Result<PreviewRoute, NodeError> {
        let c = self.conn.client().await?;
        Ok(self.rebalance_route(&c, req, outcomes).await?.1)
    }

    /// Moves liquidity: an invoice to ourselves, paid along the circular route.
    pub async fn rebalance(
        &self,
        req: &RebalanceRequest,
        outcomes: &[Outcome],
    ) -> Result<(RoutePayment, Outcomes), NodeError> {
        let c = self.conn.client().await?;
        let ((route, dirs, keys), _, height) = self.rebalance_route(&c, req, outcomes).await?;
        let mut ln = c.lightning.clone();
        let inv = c
            .call(
                CALL_TIMEOUT,
                ln.add_invoice(lnrpc::Invoice {
                    memo: REBALANCE_MEMO.into(),
                    value_msat: i64::try_from(route.amount_msat).unwrap_or(i64::MAX),
                    expiry: 600,
                    cltv_expiry: 80,
                    ..Default::default()
                }),
            )
            .await?;
        let to32 = |v: &[u8], what: &str| -> Result<[u8; 32], NodeError> {
            v.try_into().map_err(|_| NodeError::Internal {
                detail: format!("the invoice's {what} is not 32 bytes"),
            })
        };
        let hash = to32(&inv.r_hash, "payment hash")?;
        let secret = to32(&inv.payment_addr, "payment address")?;
        tracing::info!(
            amount_msat = route.amount_msat,
            fee_msat = route.fee_msat,
            "rebalance"
        );
        self.send_built(&c, height, &route, &dirs, &keys, hash, secret)
            .await
    }

    /// Our node's neighbourhood in the channel graph.
    pub async fn neighbourhood(&self) -> Result<Neighbourhood, NodeError> {
        let c = self.conn.client().await?;
        let info = c.get_info().await?;
        let me = parse_pubkey_hex(&info.identity_pubkey).ok_or_else(|| NodeError::Internal {
            detail: "the node's key is not hex".into(),
        })?;
        self.with_graph(|g| match g.node(&me) {
            Some(n) => Ok(neighbourhood(g, n, 24)),
            None => Err(NodeError::BadRequest {
                message: "Our node is not in the channel graph yet (no announced channels).".into(),
            }),
        })
        .await?
    }
}
