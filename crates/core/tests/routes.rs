//! Route preview on the real regtest network: the graph from LND, our
//! routes beside LND's QueryRoutes answer, paying along our route with
//! SendToRouteV2 (so our fee and CLTV arithmetic is exactly what LND
//! forwards), mission control in SQLite, the graph kept current from LND's
//! graph stream, and refusals that say which constraint failed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use std::sync::Arc;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::node::channels::PolicyUpdate;
use switchyard_core::node::events::GraphFeed;
use switchyard_core::node::payments::CreateInvoiceRequest;
use switchyard_core::node::routes::{PreviewRoute, RebalanceRequest, RoutePreviewRequest};
use switchyard_core::node::NodeService;
use switchyard_core::Context;
use switchyard_regtest::network::NetworkOptions;

mod common;
use common::{eventually, source};

/// A previewed route's channels, as `pay_along_route` takes them.
fn chan_ids(route: &PreviewRoute) -> Vec<u64> {
    route
        .hops
        .iter()
        .map(|h| h.chan_id.parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn preview_pay_along_our_route_and_follow_the_graph() {
    let net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("routes"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let data = tempfile::tempdir().unwrap();
    let ctx = Context::open(data.path()).await.unwrap();
    ctx.node.conn.switch(Some(source(&net, "alice"))).await;
    let carol = Arc::new(NodeService::new(Some(source(&net, "carol"))));
    let bob = Arc::new(NodeService::new(Some(source(&net, "bob"))));
    let bob_key = net.node("bob").unwrap().pubkey().unwrap();
    let carol_key = net.node("carol").unwrap().pubkey().unwrap();

    // Alice → carol, 100,000 sats: direct over carol's channel (no fee), or via bob.
    let inv = carol
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(100_000_000)),
            memo: "route test".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    let p = ctx
        .preview_route(&RoutePreviewRequest {
            to: inv.payment_request.clone(),
            amount_sat: None,
            routes: Some(3),
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    assert_eq!(p.destination, carol_key);
    assert_eq!(p.destination_alias.as_deref(), Some("carol"));
    assert_eq!(p.payment_hash.as_deref(), Some(inv.payment_hash.as_str()));
    assert!(p.graph_nodes >= 3 && p.graph_channels >= 3, "{p:?}");
    assert!(p.routes.len() >= 2, "{p:#?}");
    let best = &p.routes[0];
    assert_eq!(best.hops.len(), 1, "direct channel first: {best:#?}");
    assert_eq!(best.fee_msat, Msat::from_msat(0));
    let via_bob = p
        .routes
        .iter()
        .find(|r| r.hops.len() == 2 && r.hops[0].to == bob_key)
        .expect("the route via bob among the alternatives");
    // Bob charges his policy (LND's defaults: 1,000 msat + 1 ppm) on what carol receives.
    assert_eq!(via_bob.hops[1].amount_msat, Msat::from_msat(100_000_000));
    assert_eq!(via_bob.hops[1].fee_msat, Msat::from_msat(1000 + 100));
    assert_eq!(via_bob.hops[0].amount_msat, Msat::from_msat(100_001_100));
    // The direct route's time lock is the invoice's final delta; bob adds his.
    assert_eq!(
        via_bob.total_cltv,
        best.total_cltv + u32::from(via_bob.hops[1].cltv_delta)
    );
    // LND's answer for the same request, and how they compare.
    let lnd = p.lnd.as_ref().expect("LND's QueryRoutes answer");
    assert_eq!(lnd.amount_msat, Msat::from_msat(100_000_000));
    assert!(!p.differences.is_empty());

    // Pay along our route via bob (SendToRouteV2): it succeeds, so the amounts
    // and time locks we computed are what LND forwards.
    let ids = chan_ids(via_bob);
    let paid = ctx
        .pay_along_route(&inv.payment_request, None, &ids, via_bob.fee_msat)
        .await
        .unwrap();
    assert!(paid.succeeded, "{paid:?}");
    assert_eq!(paid.fee_msat, Msat::from_msat(1100));
    assert_eq!(paid.preimage.as_ref().map(String::len), Some(64));
    let history = carol.payments().history(10).await.unwrap();
    assert!(history.iter().any(|h| h.payment_hash == inv.payment_hash
        && h.status == switchyard_core::node::payments::PaymentStatus::Succeeded));
    // Mission control remembers both hops carried the amount.
    let learned = ctx.wallets.store().route_outcomes(0).await.unwrap();
    assert_eq!(learned.len(), 2);
    assert!(learned.iter().all(|o| o.success));
    // Paying it again: refused by carol, reported in words, nothing learned wrongly.
    let again = ctx
        .pay_along_route(&inv.payment_request, None, &ids, via_bob.fee_msat)
        .await;
    match again {
        Ok(r) => assert!(!r.succeeded && r.failure.is_some(), "{r:?}"),
        Err(e) => assert!(!e.message.is_empty()),
    }

    // Route hints: bob's invoice names his private channel from carol, which
    // alice's graph cannot know. Our router adds it for this query, and paying
    // along it works, so the hint's policy is priced as carol forwards.
    let private_id = carol
        .channels()
        .list()
        .await
        .unwrap()
        .channels
        .into_iter()
        .find(|c| c.private)
        .and_then(|c| c.chan_id)
        .expect("carol's private channel to bob");
    let hinted_inv = bob
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(20_000_000)),
            memo: "behind a private channel".into(),
            expiry_secs: None,
            private_hints: true,
        })
        .await
        .unwrap();
    let p = ctx
        .preview_route(&RoutePreviewRequest {
            to: hinted_inv.payment_request.clone(),
            amount_sat: None,
            routes: Some(3),
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    assert_eq!(p.hint_channels, 1, "{p:#?}");
    let via_private = p
        .routes
        .iter()
        .find(|r| r.hops.last().unwrap().chan_id == private_id)
        .unwrap_or_else(|| panic!("a route over the hinted channel: {p:#?}"));
    assert_eq!(via_private.hops.len(), 2);
    assert_eq!(via_private.hops[1].from_alias.as_deref(), Some("carol"));
    assert_eq!(
        via_private.hops[1].fee_msat,
        Msat::from_msat(1000 + 20),
        "carol's policy, from the hint"
    );
    let paid = ctx
        .pay_along_route(
            &hinted_inv.payment_request,
            None,
            &chan_ids(via_private),
            via_private.fee_msat,
        )
        .await
        .unwrap();
    assert!(paid.succeeded, "{paid:?}");
    assert_eq!(paid.fee_msat, Msat::from_msat(1020));

    // Payments made with LND's own pathfinding teach our mission control too:
    // each hop of the successful attempt is stored, keyed like our graph.
    let before = ctx.wallets.store().route_outcomes(0).await.unwrap().len();
    let plain = carol
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(30_000_000)),
            memo: "lnd pathfinding".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    let rec = ctx
        .pay_invoice(&switchyard_core::node::payments::PayInvoiceRequest {
            invoice: plain.payment_request.clone(),
            amount_msat: None,
            fee_limit_sat: None,
            timeout_secs: None,
        })
        .await
        .unwrap();
    assert_eq!(rec.amount_msat, Msat::from_msat(30_000_000));
    let all = ctx.wallets.store().route_outcomes(0).await.unwrap();
    let new = &all[before..];
    assert!(!new.is_empty(), "the attempt's hops were stored");
    assert!(
        new.iter().all(|o| o.success && o.amount_msat >= 30_000_000),
        "{new:?}"
    );
    // The last hop arrives at carol: its direction follows from the two keys.
    let carol_chans = carol.channels().list().await.unwrap().channels;
    let last = new
        .iter()
        .max_by_key(|o| std::cmp::Reverse(o.amount_msat))
        .unwrap();
    assert_eq!(
        last.amount_msat, 30_000_000,
        "the last hop carries exactly the amount"
    );
    let ch = carol_chans
        .iter()
        .find(|c| c.chan_id.as_deref() == Some(last.scid.to_string().as_str()))
        .expect("the last hop is one of carol's channels");
    assert_eq!(last.direction, u8::from(ch.peer_pubkey > carol_key));

    // Circular rebalance: 100,000 sats out through alice→bob, round through
    // bob and carol, back in through carol→alice, paid to ourselves.
    let chans = ctx.node.channels().list().await.unwrap();
    let find = |peer: &str| {
        chans
            .channels
            .iter()
            .find(|c| {
                c.state == switchyard_core::node::channels::ChannelState::Active
                    && c.peer_alias.as_deref() == Some(peer)
            })
            .cloned()
            .unwrap()
    };
    let (to_bob, from_carol) = (find("bob"), find("carol"));
    let req = RebalanceRequest {
        out_channel: to_bob.scid.clone().unwrap(),
        in_channel: from_carol.scid.clone().unwrap(),
        amount_sat: Sat::from_sat(100_000),
        max_fee_sat: Sat::from_sat(10),
    };
    let (plan, none) = ctx.rebalance(&req, true).await.unwrap();
    assert!(none.is_none());
    let nodes: Vec<String> = plan
        .hops
        .iter()
        .map(|h| h.to_alias.clone().unwrap_or_default())
        .collect();
    assert_eq!(nodes, ["bob", "carol", "alice"]);
    // Bob and carol each charge 1,000 msat + 1 ppm.
    assert_eq!(plan.fee_msat, Msat::from_msat((1000 + 100) + (1000 + 100)));
    let e = ctx
        .rebalance(
            &RebalanceRequest {
                max_fee_sat: Sat::from_sat(1),
                ..req.clone()
            },
            true,
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("fee limit"), "{e:?}");
    let e = ctx
        .rebalance(
            &RebalanceRequest {
                in_channel: req.out_channel.clone(),
                ..req.clone()
            },
            true,
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("two different channels"), "{e:?}");
    // Inbound fees (LND 0.18+): carol gives a discount to HTLCs arriving
    // over her channels (-200 msat - 5 ppm). Forwarding 100,000,000 msat from
    // bob to alice she charges 1,100 outbound, minus 200 + 5 × 100,001,100 /
    // 10⁶ (500) = 400. (On all her channels: bob may forward over his private
    // channel to her instead of the one named, as forwarding is non-strict,
    // and alice's graph does not know that one.)
    net.node("carol")
        .unwrap()
        .cli(&[
            "updatechanpolicy",
            "--base_fee_msat=1000",
            "--fee_rate_ppm=1",
            "--time_lock_delta=80",
            "--inbound_base_fee_msat=-200",
            "--inbound_fee_rate_ppm=-5",
        ])
        .unwrap();
    let fee = eventually(60, "carol's inbound discount in alice's graph", || async {
        ctx.node.routing.reset();
        let (plan, _) = ctx.rebalance(&req, true).await.ok()?;
        (plan.fee_msat != Msat::from_msat(2200)).then_some(plan.fee_msat)
    })
    .await;
    assert_eq!(fee, Msat::from_msat(1100 + 400));
    let (_, paid) = ctx.rebalance(&req, false).await.unwrap();
    let paid = paid.unwrap();
    assert!(paid.succeeded, "{paid:?}");
    // LND reports the payment as succeeded once the outgoing HTLC settles;
    // the incoming one (we are also the payee) settles on the other channel a
    // moment later, and the channel list shows it only then (seen once in CI:
    // the incoming channel's balance read unchanged right after success).
    let want = from_carol.local_sat.to_sat() + 100_000;
    let after = eventually(
        30,
        "the incoming leg settled on carol's channel",
        || async {
            let l = ctx.node.channels().list().await.ok()?;
            let settled = l
                .channels
                .iter()
                .any(|c| c.scid == from_carol.scid && c.local_sat.to_sat() == want);
            settled.then_some(l)
        },
    )
    .await;
    let local = |scid: &Option<String>| {
        after
            .channels
            .iter()
            .find(|c| &c.scid == scid)
            .unwrap()
            .local_sat
            .to_sat()
    };
    assert_eq!(
        local(&from_carol.scid),
        from_carol.local_sat.to_sat() + 100_000
    );
    // Out: the amount plus 1,500 msat of fees (LND shows whole sats).
    let out = to_bob.local_sat.to_sat() - local(&to_bob.scid);
    assert!((100_001..=100_002).contains(&out), "{out}");
    assert_eq!(
        paid.fee_msat,
        Msat::from_msat(1500),
        "paid with the discounted fee, and carol forwarded it"
    );

    // Bad input, each with its reason.
    let unknown = format!("02{}", "11".repeat(32));
    let p = ctx
        .preview_route(&RoutePreviewRequest {
            to: unknown,
            amount_sat: Some(Sat::from_sat(1000)),
            routes: None,
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    assert!(p.routes.is_empty());
    assert!(
        p.error
            .as_deref()
            .unwrap()
            .contains("not in the channel graph"),
        "{p:?}"
    );
    let p = ctx
        .preview_route(&RoutePreviewRequest {
            to: bob_key.clone(),
            amount_sat: Some(Sat::from_sat(40_000_000)),
            routes: None,
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    assert!(
        p.error
            .as_deref()
            .unwrap()
            .contains("more than any channel into the destination"),
        "{p:?}"
    );
    let e = ctx
        .preview_route(&RoutePreviewRequest {
            to: "lnbcrt1garbage".into(),
            amount_sat: None,
            routes: None,
            fee_limit_sat: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, switchyard_core::ErrorCode::InvalidInvoice);
    let e = ctx
        .preview_route(&RoutePreviewRequest {
            to: bob_key.clone(),
            amount_sat: None,
            routes: None,
            fee_limit_sat: None,
        })
        .await
        .unwrap_err();
    assert!(e.message.contains("amount"), "{e:?}");

    // The graph follows LND's stream: bob raises his fees; without reloading
    // the graph, the next preview prices the route via bob with them.
    let hub = ctx.node.events(None, (0, 0));
    eventually(20, "graph stream live", || async {
        ctx.node
            .conn
            .stream_states()
            .iter()
            .any(|(k, s)| {
                *k == switchyard_core::node::events::StreamKind::Graph
                    && *s == switchyard_core::node::events::StreamState::Live
            })
            .then_some(())
    })
    .await;
    // Load the graph now, so the change can only arrive through the stream.
    let first = ctx
        .preview_route(&RoutePreviewRequest {
            to: carol_key.clone(),
            amount_sat: Some(Sat::from_sat(50_000)),
            routes: Some(2),
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    assert!(!first.routes.is_empty());
    // An invoice previewed now, at bob's old fee, is paid below.
    let raise_inv = carol
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(50_000_000)),
            memo: "fee went up".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    let seen = ctx
        .preview_route(&RoutePreviewRequest {
            to: raise_inv.payment_request.clone(),
            amount_sat: None,
            routes: Some(3),
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    let seen_via_bob = seen
        .routes
        .iter()
        .find(|r| r.hops.len() == 2 && r.hops[0].to == bob_key)
        .expect("a route via bob")
        .clone();
    assert_eq!(seen_via_bob.fee_msat, Msat::from_msat(1000 + 50));
    bob.channels()
        .update_policy(&PolicyUpdate {
            channel_point: None,
            base_fee_msat: Msat::from_msat(7000),
            fee_rate_ppm: 300,
            time_lock_delta: 60,
            min_htlc_msat: None,
            max_htlc_msat: None,
        })
        .await
        .unwrap();
    let fee = eventually(60, "bob's new fee in alice's graph", || async {
        let p = ctx
            .preview_route(&RoutePreviewRequest {
                to: carol_key.clone(),
                amount_sat: Some(Sat::from_sat(50_000)),
                routes: Some(3),
                fee_limit_sat: None,
            })
            .await
            .ok()?;
        let r = p
            .routes
            .iter()
            .find(|r| r.hops.len() == 2 && r.hops[0].to == bob_key)?;
        (r.hops[1].fee_msat != Msat::from_msat(1000 + 50))
            .then_some((r.hops[1].fee_msat, r.hops[1].cltv_delta))
    })
    .await;
    assert_eq!(
        fee,
        (Msat::from_msat(7000 + 50_000_000 * 300 / 1_000_000), 60)
    );

    // Paying along the route previewed at the old fee: it now costs more than
    // the user saw, so nothing is sent (no HTLC, the invoice stays open).
    let e = ctx
        .pay_along_route(
            &raise_inv.payment_request,
            None,
            &chan_ids(&seen_via_bob),
            seen_via_bob.fee_msat,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, switchyard_core::ErrorCode::FeeAboveLimit, "{e:?}");
    assert!(
        e.message.contains("22000 msat") && e.message.contains("1050 msat"),
        "{e:?}"
    );
    let sent = ctx.node.payments().history(100).await.unwrap();
    assert!(
        !sent
            .iter()
            .any(|p| p.payment_hash == raise_inv.payment_hash),
        "no payment attempt was made"
    );
    let open = carol.payments().history(100).await.unwrap();
    assert!(open.iter().any(|p| p.payment_hash == raise_inv.payment_hash
        && p.status == switchyard_core::node::payments::PaymentStatus::Pending));

    // The payment goes out at the new fee the user accepts; if storing what it
    // taught then fails (the table is gone), the payment's result is still
    // what the caller gets, never "nothing was changed".
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.path().join("switchyard.db").display()
    ))
    .await
    .unwrap();
    sqlx::query("ALTER TABLE route_outcomes RENAME TO route_outcomes_away")
        .execute(&db)
        .await
        .unwrap();
    let paid = ctx
        .pay_along_route(
            &raise_inv.payment_request,
            None,
            &chan_ids(&seen_via_bob),
            Msat::from_msat(22_000),
        )
        .await
        .expect("the payment's result, although its outcome could not be stored");
    assert!(paid.succeeded, "{paid:?}");
    assert_eq!(paid.fee_msat, Msat::from_msat(22_000));
    sqlx::query("ALTER TABLE route_outcomes_away RENAME TO route_outcomes")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    drop(hub);
    drop(net);
}
