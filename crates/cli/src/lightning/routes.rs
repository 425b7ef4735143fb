//! `route` (also offline over a graph file), `rebalance`.

use super::context_on;
use crate::format::*;
use crate::{out, Output};
use clap::Subcommand;
use std::fmt::Write as _;
use std::path::Path;
use std::path::PathBuf;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::node::routes::{RebalanceRequest, RoutePreviewRequest};
use switchyard_core::node::NodeService;
use switchyard_core::{ApiError, ErrorCode};

/// Routing: previews beside LND's answer, paying along a route, rebalancing.
#[derive(Subcommand)]
pub enum RouteCmd {
    /// Preview routes to a node or an invoice with our router, beside LND's
    /// answer; --pay pays the invoice along the chosen route (SendToRouteV2).
    Route {
        /// Destination: node key (hex) or BOLT 11 invoice.
        #[arg(long)]
        to: String,
        /// Amount, sats (for a node key or an invoice without amount).
        #[arg(long)]
        amt_sat: Option<Sat>,
        /// How many routes (best + alternatives).
        #[arg(long, default_value_t = 3)]
        routes: u32,
        /// Most to pay in fees, sats.
        #[arg(long)]
        fee_limit_sat: Option<Sat>,
        /// Pay the invoice along route number --pick (1 = best).
        #[arg(long)]
        pay: bool,
        /// Which route to pay.
        #[arg(long, default_value_t = 1)]
        pick: usize,
        /// Offline: route over this `lncli describegraph` JSON file instead of the node's graph.
        #[arg(long, requires = "from")]
        graph_file: Option<PathBuf>,
        /// Offline: route over this BOLT 7 gossip file.
        #[arg(long, requires = "from", conflicts_with = "graph_file")]
        gossip_file: Option<PathBuf>,
        /// Offline: the paying node's key (with --graph-file or --gossip-file).
        #[arg(long)]
        from: Option<String>,
    },
    /// Move liquidity from one of our channels to another: a payment to
    /// ourselves out through --out and back in through --in.
    Rebalance {
        /// Channel to send out through (short channel id, e.g. 442x1x0).
        #[arg(long = "out")]
        out_channel: String,
        /// Channel to come back in through.
        #[arg(long = "in")]
        in_channel: String,
        /// Amount to move, sats.
        #[arg(long)]
        amt_sat: Sat,
        /// Most to pay in fees, sats.
        #[arg(long, default_value = "10")]
        max_fee_sat: Sat,
        /// Show the route and fee only.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs one routing command against the node.
pub(super) async fn run(
    cmd: RouteCmd,
    svc: &NodeService,
    data_dir: &Path,
) -> Result<Output, ApiError> {
    match cmd {
        RouteCmd::Route {
            to,
            amt_sat,
            routes,
            fee_limit_sat,
            pay,
            pick,
            ..
        } => {
            let ctx = context_on(svc, data_dir).await?;
            let preview = ctx
                .preview_route(&RoutePreviewRequest {
                    to: to.clone(),
                    amount_sat: amt_sat,
                    routes: Some(routes),
                    fee_limit_sat,
                })
                .await?;
            let mut text = route_text(&preview);
            if !pay {
                return out(&preview, text);
            }
            if preview.payment_hash.is_none() {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "--pay needs an invoice as --to (a node key has no payment hash).",
                ));
            }
            let Some(route) = pick.checked_sub(1).and_then(|i| preview.routes.get(i)) else {
                return Err(ApiError::new(
                    ErrorCode::NoRoute,
                    preview
                        .error
                        .clone()
                        .unwrap_or_else(|| format!("There is no route number {pick}.")),
                ));
            };
            let ids: Vec<u64> = route
                .hops
                .iter()
                .filter_map(|h| h.chan_id.parse().ok())
                .collect();
            // The fee just shown is the most this pays: the graph may change
            // between the preview and the payment.
            let payment = ctx
                .pay_along_route(&to, amt_sat, &ids, route.fee_msat)
                .await?;
            let _ = writeln!(
                text,
                "\n{}",
                if payment.succeeded {
                    format!(
                        "Paid along route {pick}; fee {} msat.",
                        payment.fee_msat.to_msat()
                    )
                } else {
                    payment.failure.clone().unwrap_or_default()
                }
            );
            out(
                &serde_json::json!({ "preview": preview, "payment": payment }),
                text,
            )
        }
        RouteCmd::Rebalance {
            out_channel,
            in_channel,
            amt_sat,
            max_fee_sat,
            dry_run,
        } => {
            let ctx = context_on(svc, data_dir).await?;
            let (plan, paid) = ctx
                .rebalance(
                    &RebalanceRequest {
                        out_channel,
                        in_channel,
                        amount_sat: amt_sat,
                        max_fee_sat,
                    },
                    dry_run,
                )
                .await?;
            let mut text = String::new();
            route_lines(&mut text, "Rebalance route", &plan);
            if let Some(p) = &paid {
                let _ = writeln!(
                    text,
                    "{}",
                    if p.succeeded {
                        format!(
                            "Moved {} sats for a fee of {} msat.",
                            amt_sat.to_sat(),
                            p.fee_msat.to_msat()
                        )
                    } else {
                        p.failure.clone().unwrap_or_default()
                    }
                );
            }
            out(&serde_json::json!({ "route": plan, "payment": paid }), text)
        }
    }
}

/// `route --from K --to K --graph-file F`: our router over a file, no node.
pub(super) fn offline_route(
    graph_file: Option<&Path>,
    gossip_file: Option<&Path>,
    from: &str,
    to: &str,
    amt_sat: Option<Sat>,
    routes: u32,
    fee_limit_sat: Option<Sat>,
) -> Result<Output, ApiError> {
    use switchyard_core::graph::model::pubkey_from_hex;
    use switchyard_core::graph::{Graph, RouterConfig};
    use switchyard_core::plan::{plan, PlanQuery};
    let bad = |m: String| ApiError::new(ErrorCode::InvalidRequest, m);
    let (path, specs, aliases) = match (graph_file, gossip_file) {
        (Some(p), _) => {
            let bytes = std::fs::read(p)
                .map_err(|e| bad(format!("Could not read {}: {e}", p.display())))?;
            let specs = switchyard_core::graph::import::parse_describegraph(&bytes)
                .map_err(|e| bad(e.to_string()))?;
            (p, specs, Default::default())
        }
        (None, Some(p)) => {
            let bytes = std::fs::read(p)
                .map_err(|e| bad(format!("Could not read {}: {e}", p.display())))?;
            let imp = switchyard_core::graph::gossip::parse_gossip(&bytes)
                .map_err(|e| bad(e.to_string()))?;
            (p, imp.channels, imp.aliases)
        }
        (None, None) => return Err(bad("Give --graph-file or --gossip-file with --from.".into())),
    };
    let mut g = Graph::from_channels(specs);
    for (pk, alias) in aliases {
        g.apply(&switchyard_core::graph::GraphUpdate::Node { pubkey: pk, alias });
    }
    let key = |s: &str, what: &str| {
        pubkey_from_hex(s).ok_or_else(|| {
            bad(format!(
                "{what} must be a node key (66 hex characters) offline; got \"{s}\"."
            ))
        })
    };
    let (src, dst) = (key(from, "--from")?, key(to, "--to")?);
    let amount = amt_sat
        .filter(|a| !a.is_zero())
        .ok_or_else(|| bad("Give --amt-sat.".into()))?;
    let amount_msat = amount.to_msat().map_err(|e| bad(e.to_string()))?;
    let fee_limit_msat = fee_limit_sat
        .map(Sat::to_msat)
        .transpose()
        .map_err(|e| bad(e.to_string()))?
        .map(Msat::to_msat);
    let planned = plan(
        &g,
        &PlanQuery {
            source: src,
            destination: dst,
            amount_msat,
            routes: routes.clamp(1, 10) as usize,
            config: RouterConfig {
                fee_limit_msat,
                ..RouterConfig::default()
            },
            local_balance_msat: Default::default(),
            route_hints: Vec::new(),
            compare_with: None,
        },
        &[],
    );
    if let Some(e) = planned.error {
        return Err(ApiError::new(ErrorCode::NoRoute, e));
    }
    let shown = planned.routes;
    let mut text = format!(
        "Offline over {} ({} nodes, {} channels), {} sats\n",
        path.display(),
        g.node_count(),
        g.channel_count(),
        amount.to_sat()
    );
    for (i, r) in shown.iter().enumerate() {
        route_lines(&mut text, &format!("Route {}", i + 1), r);
    }
    out(&serde_json::json!({ "routes": shown }), text)
}
