//! The SQLite store on real files: migrating an empty file, reopening, WAL,
//! and two handles (as the app and the CLI hold) writing at the same time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use switchyard_core::store::{AccountRow, Store, WalletRow, DB_FILE};
use switchyard_core::Network;

fn row(i: u32) -> WalletRow {
    WalletRow {
        id: format!("w_{i:016x}"),
        name: format!("wallet {i}"),
        network: Network::Regtest,
        fingerprint: format!("{i:08x}"),
        has_passphrase: false,
        passphrase_nfkd: Some(true),
        created_at: i64::from(i),
        watch_only: false,
        device: None,
        lnd_account: None,
    }
}

fn accounts() -> Vec<AccountRow> {
    vec![AccountRow {
        purpose: 84,
        account: 0,
        path: "m/84'/1'/0'".into(),
        xpub: "tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M".into(),
    }]
}

#[tokio::test]
async fn migrates_an_empty_file_and_reopens_with_data() {
    let dir = tempfile::tempdir().unwrap();
    // An empty file where the database goes (e.g. a crash right after creating it).
    std::fs::write(dir.path().join(DB_FILE), b"").unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    assert_eq!(store.journal_mode().await.unwrap(), "wal");
    let mut tx = store.begin().await.unwrap();
    Store::insert_wallet(&mut tx, &row(1), &accounts())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.set_setting("theme", "calm").await.unwrap();
    store.close().await;

    let again = Store::open_in(dir.path()).await.unwrap();
    assert_eq!(again.wallets().await.unwrap(), vec![row(1)]);
    assert_eq!(again.accounts(&row(1).id).await.unwrap(), accounts());
    assert_eq!(
        again.setting("theme").await.unwrap().as_deref(),
        Some("calm")
    );
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    Store::insert_wallet(&mut tx, &row(7), &accounts())
        .await
        .unwrap();
    drop(tx);
    assert!(store.wallets().await.unwrap().is_empty());
    assert!(store.accounts(&row(7).id).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_handles_write_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open_in(dir.path()).await.unwrap();
    let b = Store::open_in(dir.path()).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut tx = s.begin().await?;
            Store::insert_wallet(&mut tx, &row(i), &accounts()).await?;
            tx.commit().await?;
            Ok::<_, switchyard_core::store::StoreError>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(a.wallets().await.unwrap().len(), 40);
    assert_eq!(b.wallets().await.unwrap().len(), 40);
}

#[tokio::test]
async fn unwritable_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = Store::open_in(&file.join("sub")).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Could not create the data directory"),
        "{err}"
    );
}

fn state(phase: &'static str, is_final: bool) -> switchyard_core::store::StateColumns<'static> {
    switchyard_core::store::StateColumns {
        json: "{}",
        phase,
        htlc: "created",
        outcome: None,
        is_final,
        provider_status: None,
    }
}

#[tokio::test]
async fn swaps_reserve_their_key_index_and_log_events_with_their_state() {
    use switchyard_core::store::NewSwap;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    Store::insert_wallet(&mut tx, &row(1), &accounts())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let w = row(1).id;
    assert_eq!(store.next_swap_index(&w, "regtest").await.unwrap(), 0);
    let new = |id: &'static str, index| NewSwap {
        id,
        wallet_id: Box::leak(w.clone().into_boxed_str()),
        network: "regtest",
        key_index: index,
        kind: "submarine",
        provider_url: "http://127.0.0.1:1/v2",
        quote_json: "{}",
        request_json: "{\"from\":\"BTC\"}",
        state: state("initiate", false),
        invoice: None,
    };
    store.insert_swap(&new("aa", 0)).await.unwrap();
    // The same index again (another process raced us): refused.
    assert!(store.insert_swap(&new("bb", 0)).await.is_err());
    assert_eq!(store.next_swap_index(&w, "regtest").await.unwrap(), 1);
    store.insert_swap(&new("bb", 1)).await.unwrap();

    store
        .record_swap_created(
            "aa",
            "prov1",
            "{\"id\":\"prov1\"}",
            "{}",
            Some("lnbcrt1"),
            "{\"event\":\"created\"}",
            state("prepare", false),
        )
        .await
        .unwrap();
    store
        .record_swap_event(
            "aa",
            "{\"event\":\"height\"}",
            state("settle", true),
            Some("0200"),
        )
        .await
        .unwrap();
    let s = store.swap("prov1").await.unwrap().unwrap();
    assert_eq!(s.id, "aa");
    assert_eq!(s.response_json.as_deref(), Some("{\"id\":\"prov1\"}"));
    assert_eq!(s.invoice.as_deref(), Some("lnbcrt1"));
    assert_eq!((s.phase.as_str(), s.is_final), ("settle", true));
    assert_eq!(s.sweep_hex.as_deref(), Some("0200"));
    let events = store.swap_events("aa").await.unwrap();
    assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 2]);
    let open = store.unfinished_swaps().await.unwrap();
    assert_eq!(
        open.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        vec!["bb"]
    );
    // An event for a swap that does not exist is refused, nothing written.
    assert!(store
        .record_swap_event("zz", "{}", state("settle", true), None)
        .await
        .is_err());
    assert!(store.swap_events("zz").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_first_openings_at_once_all_succeed() {
    // The app and the CLI (or a script's commands) opening a new data
    // directory at the same moment: each runs the migrations, serialised.
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let opens: Vec<_> = (0..6)
            .map(|_| {
                let d = dir.path().to_path_buf();
                tokio::spawn(async move { Store::open_in(&d).await })
            })
            .collect();
        for (i, o) in opens.into_iter().enumerate() {
            let store = o
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}, opening {i}: {e}"));
            store
                .set_setting(&format!("opened-{i}"), "yes")
                .await
                .unwrap();
        }
        let store = Store::open_in(dir.path()).await.unwrap();
        for i in 0..6 {
            assert!(store
                .setting(&format!("opened-{i}"))
                .await
                .unwrap()
                .is_some());
        }
    }
}
