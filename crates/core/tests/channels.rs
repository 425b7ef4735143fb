//! Channels, payments, on-chain sends, backups and live events against the
//! real regtest network (btcd + three LND nodes), through the core's
//! `NodeService` exactly as the app and the CLI use it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use std::sync::Arc;
use std::time::Duration;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::node::channels::{
    ChannelState, CloseChannelRequest, FeeChoice, OpenChannelRequest, PolicyUpdate,
};
use switchyard_core::node::events::{EventReceiver, NodeEvent, StreamState};
use switchyard_core::node::history::{write_history_csv, HistoryKind};
use switchyard_core::node::onchain::{AddressKind, SendCoinsRequest};
use switchyard_core::node::payments::{
    CreateInvoiceRequest, Direction, KeysendRequest, PayInvoiceRequest, PaymentStatus,
};
use switchyard_core::node::{NodeError, NodeService, PaymentFailure};
use switchyard_core::{ApiError, ErrorCode};
use switchyard_regtest::network::NetworkOptions;

mod common;
use common::eventually;

fn service(net: &switchyard_regtest::Network, name: &str) -> Arc<NodeService> {
    Arc::new(NodeService::new(Some(common::source(net, name))))
}

/// Waits for the first event `pick` accepts.
async fn next_event<T>(
    rx: &mut EventReceiver,
    secs: u64,
    what: &str,
    mut pick: impl FnMut(&NodeEvent) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            let e = rx.recv().await.expect("hub stopped");
            if let Some(v) = pick(&e) {
                return v;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(secs), wait)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for event: {what}"))
}

fn mine(net: &mut switchyard_regtest::Network, n: u32) {
    tokio::task::block_in_place(|| net.mine(n)).unwrap();
}

async fn state_of(node: &NodeService, point: &str) -> Option<ChannelState> {
    let list = node.channels().list().await.ok()?;
    list.channels
        .iter()
        .find(|c| c.channel_point == point)
        .map(|c| c.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn channels_payments_backups_and_events() {
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("channels"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let backups = tempfile::tempdir().unwrap();
    let alice = service(&net, "alice");
    let bob = service(&net, "bob");
    let carol = service(&net, "carol");
    let carol_profile = net.node("carol").unwrap().profile().unwrap();

    let hub = alice.events(Some(backups.path().to_path_buf()), (0, 0));
    let mut events = hub.subscribe();
    // A second follower of alice whose backup folder cannot be made (a file
    // is in the way): its backup events must say so, for the UI to show.
    let blocked = backups.path().join("blocked");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let blocked_node = service(&net, "alice");
    let blocked_hub = blocked_node.events(Some(blocked.join("alice")), (0, 0));
    let mut blocked_events = blocked_hub.subscribe();
    eventually(20, "the second follower's backup stream live", || async {
        blocked_node
            .conn
            .stream_states()
            .iter()
            .any(|(k, st)| {
                *k == switchyard_core::node::events::StreamKind::Backups && *st == StreamState::Live
            })
            .then_some(())
    })
    .await;
    eventually(20, "all streams live", || async {
        let s = alice.conn.stream_states();
        (s.len() == 6 && s.iter().all(|(_, st)| *st == StreamState::Live)).then_some(())
    })
    .await;
    assert_eq!(alice.conn.status().await.events.as_deref(), Some("live"));

    // The network's channels: alice→bob (public, hers) and carol→alice.
    let list = alice.channels().list().await.unwrap();
    let open: Vec<_> = list
        .channels
        .iter()
        .filter(|c| c.state == ChannelState::Active)
        .collect();
    assert_eq!(open.len(), 2, "{:#?}", list.channels);
    for c in &open {
        let (lp, rp) = (
            c.local_policy.as_ref().unwrap(),
            c.remote_policy.as_ref().unwrap(),
        );
        assert!(lp.time_lock_delta > 0 && rp.time_lock_delta > 0);
        assert!(c.scid.as_ref().unwrap().contains('x'));
        assert!(c.peer_alias.is_some());
        assert!(
            c.local_sat.checked_add(c.remote_sat) <= Some(c.capacity_sat) && !c.local_sat.is_zero()
        );
        assert!(c.age_blocks.unwrap() >= 1);
    }
    let before = alice.channels().balances().await.unwrap();
    assert!(
        before.onchain_confirmed_sat > Sat::from_sat(100_000_000),
        "{before:?}"
    );
    assert!(before.lightning_local_sat > Sat::ZERO);

    // Bad opens, each with its own error.
    let too_big = OpenChannelRequest {
        peer: carol_profile.p2p_uri.clone(),
        amount_sat: Sat::from_sat(5_000_000_000),
        push_sat: Sat::from_sat(0),
        private: false,
        fee: None,
        min_htlc_msat: None,
        utxos: vec![],
        allow_high_fee: false,
    };
    let e = alice.channels().open(&too_big).await.unwrap_err();
    assert!(matches!(e, NodeError::InsufficientFunds { .. }), "{e:?}");
    assert_eq!(ApiError::from(e).code, ErrorCode::InsufficientFunds);
    let offline = OpenChannelRequest {
        // A valid key (the generator point) at an address where nothing listens.
        peer: "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798@127.0.0.1:1"
            .into(),
        amount_sat: Sat::from_sat(100_000),
        ..too_big.clone()
    };
    let e = alice.channels().open(&offline).await.unwrap_err();
    assert!(matches!(e, NodeError::PeerUnreachable { .. }), "{e:?}");
    let e = alice
        .channels()
        .open(&OpenChannelRequest {
            peer: "02abc".into(),
            ..too_big.clone()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, NodeError::BadRequest { .. }), "{e:?}");

    // Open alice→carol: pending with 0 of 1 confirmations, then active after a block.
    let req = OpenChannelRequest {
        amount_sat: Sat::from_sat(500_000),
        push_sat: Sat::from_sat(10_000),
        fee: Some(FeeChoice::SatPerVbyte(2)),
        min_htlc_msat: Some(Msat::from_msat(2_000)),
        ..too_big.clone()
    };
    let opened = alice.channels().open(&req).await.unwrap();
    let cp = opened.channel_point.clone();
    next_event(&mut events, 30, "pending_open", |e| match e {
        NodeEvent::Channel {
            update,
            channel_point,
        } if update == "pending_open" => {
            (channel_point.as_deref() == Some(cp.as_str())).then_some(())
        }
        _ => None,
    })
    .await;
    let list = alice.channels().list().await.unwrap();
    let pending = list
        .channels
        .iter()
        .find(|c| c.channel_point == cp)
        .unwrap();
    assert_eq!(pending.state, ChannelState::Opening);
    assert_eq!(pending.capacity_sat, Sat::from_sat(500_000));
    assert_eq!(pending.confirmations, Some(0));
    assert_eq!(pending.confirmations_needed, Some(1));
    assert_eq!(pending.peer_alias.as_deref(), Some("carol"));

    // Coin control sees the funding transaction's change, unconfirmed; CPFP
    // speeds the funding up: LND's sweeper spends that change at once.
    let coins = alice.onchain().utxos().await.unwrap();
    let change = coins
        .iter()
        .find(|u| u.outpoint.starts_with(&opened.funding_txid))
        .expect("funding change among the coins");
    assert_eq!(change.confirmations, 0);
    let bumped = alice
        .onchain()
        .bump_fee(&opened.funding_txid, FeeChoice::SatPerVbyte(25), false)
        .await
        .unwrap();
    assert_eq!(bumped.outpoint, change.outpoint);
    eventually(30, "child transaction spends the change", || async {
        let coins = alice.onchain().utxos().await.ok()?;
        (!coins.iter().any(|u| u.outpoint == bumped.outpoint)).then_some(())
    })
    .await;
    let e = alice
        .onchain()
        .bump_fee(&"cd".repeat(32), FeeChoice::SatPerVbyte(25), false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cannot be sped up"), "{e}");
    mine(&mut net, 1);
    next_event(&mut events, 60, "channel open", |e| match e {
        NodeEvent::Channel {
            update,
            channel_point,
        } if update == "open" => (channel_point.as_deref() == Some(cp.as_str())).then_some(()),
        _ => None,
    })
    .await;
    eventually(30, "channel active", || async {
        (state_of(&alice, &cp).await == Some(ChannelState::Active)).then_some(())
    })
    .await;
    // LND announced a new multi-channel backup with the new channel; the hub
    // saved it. (Its event may have come before the "open" event, which the
    // waits above skip past, so the file is what is checked.)
    let saved = backups.path().join("channel.backup");
    let holds = eventually(30, "backup with the new channel", || async {
        let s = alice.backups().verify(&saved).await.ok()?;
        s.channel_points
            .contains(&cp)
            .then_some(s.channel_points.len())
    })
    .await;
    assert!(holds >= 3);
    let failure = next_event(&mut blocked_events, 30, "unsaved backup", |e| match e {
        NodeEvent::Backup {
            path: None,
            error: Some(error),
            ..
        } => Some(error.clone()),
        _ => None,
    })
    .await;
    assert!(failure.contains("could not be saved"), "{failure}");
    drop(blocked_hub);

    // Fee policy on the new channel, as the graph sees it (once LND has
    // added the new channel's edge to its graph).
    eventually(30, "new channel in the graph", || async {
        let l = alice.channels().list().await.ok()?;
        l.channels
            .into_iter()
            .find(|c| c.channel_point == cp)?
            .local_policy
    })
    .await;
    alice
        .channels()
        .update_policy(&PolicyUpdate {
            channel_point: Some(cp.clone()),
            base_fee_msat: Msat::from_msat(2_000),
            fee_rate_ppm: 150,
            time_lock_delta: 50,
            min_htlc_msat: None,
            max_htlc_msat: Some(Msat::from_msat(400_000_000)),
        })
        .await
        .unwrap();
    let pol = eventually(20, "policy in graph", || async {
        let l = alice.channels().list().await.ok()?;
        let p = l
            .channels
            .into_iter()
            .find(|c| c.channel_point == cp)?
            .local_policy?;
        (p.fee_rate_ppm == 150).then_some(p)
    })
    .await;
    assert_eq!(
        (pol.base_fee_msat, pol.time_lock_delta, pol.max_htlc_msat),
        (Msat::from_msat(2_000), 50, Msat::from_msat(400_000_000))
    );
    let e = alice
        .channels()
        .update_policy(&PolicyUpdate {
            channel_point: Some(cp.clone()),
            base_fee_msat: Msat::from_msat(0),
            fee_rate_ppm: 1,
            time_lock_delta: 5,
            min_htlc_msat: None,
            max_htlc_msat: None,
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("at least 18"), "{e}");

    // Invoice on carol, fee preview and payment from alice.
    let inv = carol
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(21_000_000)),
            memo: "coffee".into(),
            expiry_secs: Some(600),
            private_hints: false,
        })
        .await
        .unwrap();
    let preview = alice
        .payments()
        .preview(&inv.payment_request, None)
        .await
        .unwrap();
    assert_eq!(preview.amount_msat, Msat::from_msat(21_000_000));
    assert_eq!(preview.invoice.description.as_deref(), Some("coffee"));
    assert_eq!(preview.hops.last().unwrap(), &carol_profile.pubkey);
    assert!(preview.total_time_lock > list.block_height);
    let paid = alice
        .payments()
        .pay_invoice(&PayInvoiceRequest {
            invoice: inv.payment_request.clone(),
            amount_msat: None,
            fee_limit_sat: Some(Sat::from_sat(100)),
            timeout_secs: Some(30),
        })
        .await
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(paid.payment_hash, inv.payment_hash);
    assert_eq!(paid.amount_msat, Msat::from_msat(21_000_000));
    assert!(paid.preimage.is_some());
    next_event(&mut events, 20, "payment succeeded", |e| match e {
        NodeEvent::Payment {
            payment_hash,
            status: PaymentStatus::Succeeded,
        } if *payment_hash == inv.payment_hash => Some(()),
        _ => None,
    })
    .await;
    // Paying it again is refused as already paid.
    let e = alice
        .payments()
        .pay_invoice(&PayInvoiceRequest {
            invoice: inv.payment_request.clone(),
            amount_msat: None,
            fee_limit_sat: None,
            timeout_secs: Some(10),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            NodeError::PaymentFailed {
                reason: PaymentFailure::AlreadyPaid,
                ..
            }
        ),
        "{e:?}"
    );
    // An invoice for more than our channels hold.
    let huge = carol
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(3_000_000_000_000)),
            memo: String::new(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    let e = alice
        .payments()
        .preview(&huge.payment_request, None)
        .await
        .unwrap_err();
    assert_eq!(
        ApiError::from(e.clone()).code,
        ErrorCode::InsufficientBalance,
        "{e:?}"
    );
    // A node the graph does not know: no route.
    let e = alice
        .payments()
        .keysend(&KeysendRequest {
            destination: "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                .into(),
            amount_sat: Sat::from_sat(1_000),
            fee_limit_sat: None,
        })
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(e.clone()).code, ErrorCode::NoRoute, "{e:?}");
    // Expired invoice.
    let short = carol
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(1_000)),
            memo: String::new(),
            expiry_secs: Some(1),
            private_hints: false,
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let e = alice
        .payments()
        .pay_invoice(&PayInvoiceRequest {
            invoice: short.payment_request,
            amount_msat: None,
            fee_limit_sat: None,
            timeout_secs: None,
        })
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(e).code, ErrorCode::InvoiceExpired);

    // An invoice on alice, paid by bob: alice's invoice stream reports it settled.
    let mine_inv = alice
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(5_000_000)),
            memo: "from bob".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    bob.payments()
        .pay_invoice(&PayInvoiceRequest {
            invoice: mine_inv.payment_request.clone(),
            amount_msat: None,
            fee_limit_sat: Some(Sat::from_sat(50)),
            timeout_secs: Some(30),
        })
        .await
        .unwrap();
    next_event(&mut events, 20, "invoice settled", |e| match e {
        NodeEvent::Invoice {
            payment_hash,
            status: PaymentStatus::Succeeded,
            amount_msat,
            ..
        } if *payment_hash == mine_inv.payment_hash => {
            assert_eq!(*amount_msat, Msat::from_msat(5_000_000));
            Some(())
        }
        _ => None,
    })
    .await;

    // Keysend alice→bob.
    let ks = alice
        .payments()
        .keysend(&KeysendRequest {
            destination: net.node("bob").unwrap().pubkey().unwrap(),
            amount_sat: Sat::from_sat(1_234),
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    assert!(ks.keysend && ks.status == PaymentStatus::Succeeded);

    // History on alice: both directions, newest first.
    let h = alice.payments().history(50).await.unwrap();
    assert!(h.iter().any(|r| r.direction == Direction::Sent
        && r.payment_hash == inv.payment_hash
        && r.memo.as_deref() == Some("coffee")
        && r.fee_msat <= Msat::from_msat(100_000)));
    assert!(h.iter().any(|r| r.direction == Direction::Received
        && r.payment_hash == mine_inv.payment_hash
        && r.status == PaymentStatus::Succeeded));
    assert!(h.windows(2).all(|w| w[0].created_at >= w[1].created_at));

    // On-chain: carol's address, alice sends to it; a mainnet address is refused.
    let addr = carol
        .onchain()
        .new_address(AddressKind::P2tr)
        .await
        .unwrap();
    assert!(addr.starts_with("bcrt1p"), "{addr}");
    let txid = alice
        .onchain()
        .send(&SendCoinsRequest {
            address: addr.clone(),
            amount_sat: Sat::from_sat(250_000),
            send_all: false,
            fee: Some(FeeChoice::SatPerVbyte(3)),
            allow_high_fee: false,
        })
        .await
        .unwrap();
    next_event(&mut events, 20, "send tx", |e| match e {
        NodeEvent::Transaction {
            txid: t,
            amount_sat,
            ..
        } if *t == txid => {
            assert!(*amount_sat < -250_000);
            Some(())
        }
        _ => None,
    })
    .await;
    let e = alice
        .onchain()
        .send(&SendCoinsRequest {
            address: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu".into(),
            amount_sat: Sat::from_sat(1_000),
            send_all: false,
            fee: None,
            allow_high_fee: false,
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("another network"), "{e}");
    let e = alice
        .onchain()
        .send(&SendCoinsRequest {
            address: addr.clone(),
            amount_sat: Sat::from_sat(9_000_000_000),
            send_all: false,
            fee: None,
            allow_high_fee: false,
        })
        .await
        .unwrap_err();
    assert!(matches!(e, NodeError::InsufficientFunds { .. }), "{e:?}");
    // An amount and "send everything" together: refused, nothing sent (the
    // CLI's `onchain send ADDR 1000 --all` used to sweep the wallet).
    let before_sweep = alice
        .channels()
        .balances()
        .await
        .unwrap()
        .onchain_confirmed_sat;
    let e = alice
        .onchain()
        .send(&SendCoinsRequest {
            address: addr.clone(),
            amount_sat: Sat::from_sat(1_000),
            send_all: true,
            fee: None,
            allow_high_fee: false,
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not both"), "{e}");
    assert_eq!(
        alice
            .channels()
            .balances()
            .await
            .unwrap()
            .onchain_confirmed_sat,
        before_sweep
    );
    // A fee rate far above the node's estimate: refused with the fee in sats
    // (about 141 vB × 900 sat/vB), until the user confirms it.
    let e = alice
        .onchain()
        .send(&SendCoinsRequest {
            address: addr.clone(),
            amount_sat: Sat::from_sat(10_000),
            send_all: false,
            fee: Some(FeeChoice::SatPerVbyte(900)),
            allow_high_fee: false,
        })
        .await
        .unwrap_err();
    let NodeError::HighFeeRate {
        rate_sat_per_vbyte,
        fee_sat,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*rate_sat_per_vbyte, 900);
    assert!((100 * 900..=300 * 900).contains(fee_sat), "{e}");
    let api = ApiError::from(e.clone());
    assert_eq!(api.code, ErrorCode::FeeRateHigh);
    assert!(
        api.message.contains(&format!(
            "{} sats",
            switchyard_core::amount::grouped(*fee_sat)
        )),
        "{api:?}"
    );
    // The same for a channel open (before any peer is contacted) and a close.
    let e = alice
        .channels()
        .open(&OpenChannelRequest {
            amount_sat: Sat::from_sat(100_000),
            fee: Some(FeeChoice::SatPerVbyte(2_000)),
            ..too_big.clone()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, NodeError::HighFeeRate { .. }), "{e:?}");
    // Confirmed: it goes out at that rate.
    let pricey = alice
        .onchain()
        .send(&SendCoinsRequest {
            address: addr.clone(),
            amount_sat: Sat::from_sat(10_000),
            send_all: false,
            fee: Some(FeeChoice::SatPerVbyte(900)),
            allow_high_fee: true,
        })
        .await
        .unwrap();
    let paid_fee = eventually(20, "the confirmed send in the wallet", || async {
        alice
            .onchain()
            .transactions()
            .await
            .ok()?
            .into_iter()
            .find(|t| t.txid == pricey)
            .map(|t| t.fee_sat)
    })
    .await;
    assert!(paid_fee >= Sat::from_sat(100 * 900), "{paid_fee:?}");
    let txs = alice.onchain().transactions().await.unwrap();
    assert!(txs.iter().any(|t| t.txid == txid && t.confirmations == 0));
    let send_txid = txid.clone();
    let e = alice
        .onchain()
        .bump_fee(&txid, FeeChoice::SatPerVbyte(1), false)
        .await
        .map(|b| b.outpoint);
    // Either bumped (there was change) or refused with a reason: never silent.
    if let Err(e) = e {
        assert!(
            matches!(e, NodeError::BadRequest { .. } | NodeError::Rpc { .. }),
            "{e:?}"
        );
    }

    // Backups: export, verify, and the guards on restore.
    let file = backups.path().join("export").join("alice.backup");
    let summary = alice.backups().export(&file).await.unwrap();
    assert!(summary.channel_points.contains(&cp), "{summary:?}");
    assert_eq!(
        alice
            .backups()
            .verify(&file)
            .await
            .unwrap()
            .channel_points
            .len(),
        3
    );
    let e = bob.backups().verify(&file).await.unwrap_err();
    assert!(e.to_string().contains("cannot read the backup"), "{e}");
    let e = alice.backups().restore(&file, false).await.unwrap_err();
    assert!(e.to_string().contains("force-closes"), "{e}");
    let e = alice.backups().restore(&file, true).await.unwrap_err();
    assert!(e.to_string().contains("still has 3"), "{e}");

    // LND killed mid-stream, then restarted: every stream comes back, and
    // an invoice paid after the restart is reported.
    let pid = net.node("alice").unwrap().daemon.pid();
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    next_event(&mut events, 20, "reconnecting", |e| match e {
        NodeEvent::Stream {
            state: StreamState::Reconnecting { .. },
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(
        alice.conn.status().await.events.as_deref(),
        Some("reconnecting")
    );
    tokio::task::block_in_place(|| net.start_node("alice")).unwrap();
    eventually(60, "streams live again", || async {
        let s = alice.conn.stream_states();
        s.iter()
            .all(|(_, st)| *st == StreamState::Live)
            .then_some(())
    })
    .await;
    eventually(60, "channel with carol active again", || async {
        (state_of(&alice, &cp).await == Some(ChannelState::Active)).then_some(())
    })
    .await;
    let after = alice
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(7_000_000)),
            memo: "after restart".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    eventually(60, "bob pays after restart", || async {
        bob.payments()
            .pay_invoice(&PayInvoiceRequest {
                invoice: after.payment_request.clone(),
                amount_msat: None,
                fee_limit_sat: Some(Sat::from_sat(50)),
                timeout_secs: Some(20),
            })
            .await
            .ok()
    })
    .await;
    next_event(&mut events, 20, "invoice after restart", |e| match e {
        NodeEvent::Invoice {
            payment_hash,
            status: PaymentStatus::Succeeded,
            ..
        } if *payment_hash == after.payment_hash => Some(()),
        _ => None,
    })
    .await;

    // Nothing LND still has is lost while we were not listening: a new hub
    // resuming from the old one's cursor replays an invoice settled meanwhile.
    let cursor = hub.invoice_cursor();
    drop(events);
    drop(hub);
    let missed = alice
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(3_000_000)),
            memo: "while away".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    bob.payments()
        .pay_invoice(&PayInvoiceRequest {
            invoice: missed.payment_request.clone(),
            amount_msat: None,
            fee_limit_sat: Some(Sat::from_sat(50)),
            timeout_secs: Some(30),
        })
        .await
        .unwrap();
    let hub = alice.events(None, cursor);
    let mut events = hub.subscribe();
    next_event(&mut events, 20, "replayed invoice", |e| match e {
        NodeEvent::Invoice {
            payment_hash,
            status: PaymentStatus::Succeeded,
            ..
        } if *payment_hash == missed.payment_hash => Some(()),
        _ => None,
    })
    .await;

    // Cooperative close at a chosen fee rate: closing, then closed after a block.
    let closing = alice
        .channels()
        .close(&CloseChannelRequest {
            channel_point: cp.clone(),
            force: false,
            fee: Some(FeeChoice::SatPerVbyte(2)),
            delivery_address: None,
            allow_high_fee: false,
        })
        .await
        .unwrap();
    assert_eq!(closing.closing_txid.len(), 64);
    eventually(20, "closing", || async {
        (state_of(&alice, &cp).await == Some(ChannelState::Closing)).then_some(())
    })
    .await;
    mine(&mut net, 1);
    next_event(&mut events, 30, "closed", |e| match e {
        NodeEvent::Channel {
            update,
            channel_point,
        } if update == "closed" => (channel_point.as_deref() == Some(cp.as_str())).then_some(()),
        _ => None,
    })
    .await;
    let l = alice.channels().list().await.unwrap();
    let closed = l.channels.iter().find(|c| c.channel_point == cp).unwrap();
    assert_eq!(closed.state, ChannelState::Closed);
    assert_eq!(closed.close_type.as_deref(), Some("cooperative"));
    assert_eq!(
        closed.closing_txid.as_deref(),
        Some(closing.closing_txid.as_str())
    );

    // Force close of carol→alice: time-locked until maturity.
    let theirs = l
        .channels
        .iter()
        .find(|c| c.state == ChannelState::Active && !c.initiator)
        .unwrap()
        .channel_point
        .clone();
    let e = alice
        .channels()
        .close(&CloseChannelRequest {
            channel_point: theirs.clone(),
            force: true,
            fee: Some(FeeChoice::SatPerVbyte(5)),
            delivery_address: None,
            allow_high_fee: false,
        })
        .await
        .unwrap_err();
    assert!(matches!(e, NodeError::BadRequest { .. }));
    alice
        .channels()
        .close(&CloseChannelRequest {
            channel_point: theirs.clone(),
            force: true,
            fee: None,
            delivery_address: None,
            allow_high_fee: false,
        })
        .await
        .unwrap();
    mine(&mut net, 1);
    let fc = eventually(30, "force closing", || async {
        let l = alice.channels().list().await.ok()?;
        l.channels
            .into_iter()
            .find(|c| c.channel_point == theirs && c.state == ChannelState::ForceClosing)
    })
    .await;
    assert!(
        fc.blocks_til_maturity.is_some() && fc.limbo_sat.unwrap() > Sat::ZERO,
        "{fc:?}"
    );
    let e = alice
        .channels()
        .close(&CloseChannelRequest {
            channel_point: format!("{}:0", "ab".repeat(32)),
            force: false,
            fee: None,
            delivery_address: None,
            allow_high_fee: false,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(e, NodeError::ChannelNotFound { .. } | NodeError::Rpc { .. }),
        "{e:?}"
    );

    // Accounting: one history tells opens, closes, sends and payments apart.
    let rows = alice.activity().history().await.unwrap();
    let has = |kind: HistoryKind, reference: &str| {
        rows.iter()
            .any(|r| r.kind == kind && r.reference == reference)
    };
    assert!(
        has(HistoryKind::ChannelOpen, &opened.funding_txid),
        "{rows:#?}"
    );
    assert!(
        has(HistoryKind::ChannelClose, &closing.closing_txid),
        "{rows:#?}"
    );
    assert!(has(HistoryKind::OnchainSend, &send_txid), "{rows:#?}");
    assert!(has(HistoryKind::PaymentSent, &inv.payment_hash));
    assert!(has(HistoryKind::PaymentReceived, &mine_inv.payment_hash));
    let open_row = rows
        .iter()
        .find(|r| r.reference == opened.funding_txid)
        .unwrap();
    assert_eq!(open_row.description, cp);
    assert!(open_row.amount_msat <= -500_000_000 && open_row.fee_msat > Msat::from_msat(0));
    let csv_path = backups.path().join("history.csv");
    let export = write_history_csv(&csv_path, &rows).unwrap();
    assert_eq!(export.rows as usize, rows.len());
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv.lines().count(), rows.len() + 1);
    for kind in [
        "channel_open",
        "channel_close",
        "onchain_send",
        "payment_sent",
        "payment_received",
    ] {
        assert!(
            csv.contains(&format!(",{kind},")),
            "{kind} missing from\n{csv}"
        );
    }

    drop(hub);
    drop(net);
}
