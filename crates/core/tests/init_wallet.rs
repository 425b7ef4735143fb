//! A fresh LND initialised from a Switchyard wallet's words (`InitWallet`
//! with the BIP32 master key): the node's first BIP84 address is the one the
//! words give, the wallet password lives in the keychain, and the node is
//! unlocked automatically after it restarts. The generated password is never
//! lost: a refused init forgets it (LND has no wallet), an init whose answer
//! never came keeps it (LND made the wallet), a profile holding the only copy
//! cannot be removed until the password is revealed (after a one-time code),
//! and the wallet that seeded nodes is deleted only when they are named.
//! Real btcd, real LND, real keychain (Secret Service under
//! scripts/with-keyring.sh), real SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

mod common;
use common::{connected, FreshLnd};

use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use switchyard_core::confirm::{ConfirmTarget, Confirmation};
use switchyard_core::keys::{derive_at_path, Chain, DeriveOptions, Purpose};
use switchyard_core::node::onchain::AddressKind;
use switchyard_core::node::{Connection, NodeError, NodeService, NodeState};
use switchyard_core::profiles::{InitNodeRequest, ProfileError, ProfileKind};
use switchyard_core::wallet::NewWallet;
use switchyard_core::wallet::WalletError;
use switchyard_core::{Context, ErrorCode, Network};
use switchyard_regtest::network::NetworkOptions;

/// BIP84's test words (any valid words would do).
const WORDS: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_lnd_takes_our_seed_and_is_unlocked_on_restart() {
    let net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("init-wallet"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let mut dave = FreshLnd::start(&net, "dave");
    let endpoint = dave.endpoint();
    let cert = dave.cert();

    let data = tempfile::tempdir().unwrap();
    let ctx = Context::open(data.path()).await.unwrap();
    let wallet = ctx
        .wallets
        .create(NewWallet {
            name: "seed for dave".into(),
            network: Network::Regtest,
            words: SecretString::from(WORDS.to_string()),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let request = |name: &str, wallet: &str| InitNodeRequest {
        name: name.into(),
        endpoint: endpoint.clone(),
        tls_cert_path: cert.clone(),
        wallet: wallet.into(),
        rescan: false,
    };

    // Bad input first: an unknown wallet; a certificate that is not one.
    let e = ctx
        .profiles
        .init_node(&ctx.wallets, request("dave", "no such wallet"))
        .await
        .unwrap_err();
    assert!(matches!(e, ProfileError::Wallet(_)), "{e:?}");
    let mut bad_cert = request("dave", &wallet.id);
    bad_cert.tls_cert_path = data.path().join("missing.cert").display().to_string();
    let e = ctx
        .profiles
        .init_node(&ctx.wallets, bad_cert)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("TLS certificate"), "{e}");

    // LND refuses a master key of another network: the password it was
    // never given is forgotten, and no profile is left. (Mainnet words are
    // kept only behind an app password: another data directory has one.)
    let data2 = tempfile::tempdir().unwrap();
    let ctx2 = Context::open(data2.path()).await.unwrap();
    let app_pw = SecretString::from("correct horse battery".to_string());
    ctx2.set_app_password(None, &app_pw).await.unwrap();
    let mainnet = ctx2
        .wallets
        .create(NewWallet {
            name: "mainnet words".into(),
            network: Network::Bitcoin,
            words: SecretString::from(WORDS.to_string()),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let e = ctx2
        .profiles
        .init_node(&ctx2.wallets, request("dave on mainnet", &mainnet.id))
        .await
        .unwrap_err();
    assert!(
        !matches!(e, ProfileError::InitUnconfirmed { .. }),
        "a refusal is certain: {e}"
    );
    assert!(ctx2.profiles.resolve("dave on mainnet").await.is_err());
    ctx2.wallets
        .delete(&mainnet.id, &[], Some(&app_pw))
        .await
        .unwrap();
    drop(ctx2);

    // Initialise: the profile is stored, its secrets are in the keychain.
    let profile = ctx
        .profiles
        .init_node(&ctx.wallets, request("dave", &wallet.id))
        .await
        .unwrap();
    assert_eq!(profile.kind, ProfileKind::Stored);
    assert!(profile.auto_unlock);
    assert!(profile.password_only_here);
    assert!(!profile.macaroon_missing);
    assert_eq!(profile.wallet_id.as_deref(), Some(wallet.id.as_str()));

    let (_, source) = ctx.profiles.activate("dave").await.unwrap();
    ctx.node.conn.switch(Some(source)).await;
    let s = connected(&ctx.node).await;
    assert_eq!(s.alias.as_deref(), Some("dave"));

    // The node's first BIP84 address derives from the words. LND (btcwallet)
    // puts its default BIP84 account at m/84'/0'/0' on every network, so
    // that is the path it reports and the path we derive at.
    let accounts = ctx.node.onchain().accounts().await.unwrap();
    let bip84 = accounts
        .iter()
        .find(|a| a.name == "default" && a.address_type == "p2wkh")
        .expect("LND's default BIP84 account");
    assert_eq!(bip84.derivation_path, "m/84'/0'/0'");
    let node_addr = ctx
        .node
        .onchain()
        .new_address(AddressKind::P2wkh)
        .await
        .unwrap();
    let ours = derive_at_path(
        &SecretString::from(WORDS.to_string()),
        &SecretString::from(String::new()),
        &format!("{}/0/0", bip84.derivation_path),
        Network::Regtest,
        DeriveOptions {
            allow_nonstandard: true,
        },
    )
    .unwrap();
    assert_eq!(node_addr, ours.address);
    // (The BIP84 mainnet vector's first address, bc1qcr8te4kr…, in regtest form.)
    assert!(node_addr.starts_with("bcrt1qcr8te4kr609gcawutmrza0j4xv80jy8z"));
    // Our own regtest account (coin type 1) is another account of the same words.
    let ours_tn = ctx
        .wallets
        .addresses(&wallet.id, Purpose::Bip84, Chain::Receive, 0, 1)
        .await
        .unwrap();
    assert_eq!(ours_tn[0].path, "m/84'/1'/0'/0/0");
    assert_ne!(ours_tn[0].address, node_addr);

    // No secret in the database file.
    let db = std::fs::read(data.path().join("switchyard.db")).unwrap();
    let wal = std::fs::read(data.path().join("switchyard.db-wal")).unwrap_or_default();
    let mac = std::fs::read(dave.admin_macaroon()).unwrap();
    let mac_hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    for file in [&db, &wal] {
        assert!(!file.windows(mac.len()).any(|w| w == mac.as_slice()));
        let text = String::from_utf8_lossy(file);
        assert!(!text.contains(&mac_hex[..40]));
        assert!(!text.contains("abandon abandon"));
    }

    // A node that has a wallet cannot be initialised again.
    let e = ctx
        .profiles
        .init_node(&ctx.wallets, request("dave again", &wallet.id))
        .await
        .unwrap_err();
    assert!(matches!(e, ProfileError::AlreadyInitialised { .. }), "{e}");

    // Restart: LND comes back locked, and the profile unlocks it.
    dave.restart();
    // Without the password: the node is locked, and the error says so.
    let mut no_pw = ctx.profiles.source("dave").await.unwrap();
    no_pw.unlock_password = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let locked = loop {
        let s = Connection::new(Some(no_pw.clone())).status().await;
        match &s.error {
            Some(NodeError::Unreachable { .. } | NodeError::Starting)
                if tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(300)).await
            }
            _ => break s,
        }
    };
    assert_eq!(locked.state, NodeState::Disconnected);
    assert_eq!(locked.error, Some(NodeError::WalletLocked));
    // With the profile as stored (password in the keychain): unlocked, connected.
    let fresh = NodeService::new(Some(ctx.profiles.source("dave").await.unwrap()));
    let s = connected(&fresh).await;
    assert_eq!(s.alias.as_deref(), Some("dave"));

    // Only Switchyard knows dave's wallet password: removing is refused.
    let e = ctx.profiles.remove("dave", None).await.unwrap_err();
    assert_eq!(
        switchyard_core::ApiError::from(e).code,
        ErrorCode::PasswordNotSaved
    );
    // Deleting the wallet that seeded dave needs dave named.
    let e = ctx.wallets.delete(&wallet.id, &[], None).await.unwrap_err();
    match &e {
        WalletError::LinkedNodes { nodes } => assert_eq!(nodes, &["dave".to_string()]),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("\"dave\""), "{e}");
    let detail = ctx.wallets.detail(&wallet.id).await.unwrap();
    assert_eq!(detail.linked_nodes, ["dave"]);
    // Reveal it: a wrong code is refused (and used up), then a fresh one works.
    let target = ConfirmTarget::NodePassword {
        profile_id: profile.id.clone(),
    };
    let ch = ctx.wallets.challenge(target.clone());
    let e = ctx
        .profiles
        .reveal_password(
            &ctx.wallets,
            "dave",
            &Confirmation::code(ch.id.clone(), SecretString::from("XXXXXX".to_string())),
        )
        .await
        .unwrap_err();
    assert_eq!(
        switchyard_core::ApiError::from(e).code,
        ErrorCode::NotConfirmed
    );
    tokio::time::sleep(Duration::from_millis(1100)).await; // the back-off
    let ch = ctx.wallets.challenge(target);
    let revealed = ctx
        .profiles
        .reveal_password(&ctx.wallets, "dave", &Confirmation::code(ch.id, ch.code))
        .await
        .unwrap();
    assert_eq!(revealed.password.len(), 64, "32 random bytes in hex");
    assert_eq!(format!("{revealed:?}"), "RevealedPassword(<redacted>)");
    let unlocked_with = ctx.profiles.source("dave").await.unwrap();
    assert_eq!(
        unlocked_with.unlock_password.unwrap().expose_secret(),
        revealed.password,
        "the password shown is the one that unlocks the node"
    );
    assert!(
        !ctx.profiles
            .resolve("dave")
            .await
            .unwrap()
            .password_only_here
    );
    ctx.profiles.remove("dave", None).await.unwrap();
    let e = ctx.profiles.source("dave").await.unwrap_err();
    assert_eq!(
        switchyard_core::ApiError::from(e).code,
        ErrorCode::ProfileNotFound
    );
    ctx.wallets.delete(&wallet.id, &[], None).await.unwrap();
    drop(net);
}

/// `node init` over a slow path: LND creates the wallet, but its answer comes
/// after our time limit. The password must be kept (LND uses it), in a
/// profile that waits for the macaroon; with LND's macaroon file added, the
/// node restarts locked and the kept password unlocks it.
#[tokio::test(flavor = "multi_thread")]
async fn an_init_whose_answer_is_lost_keeps_the_password() {
    let net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("init-lost"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let mut erin = FreshLnd::start(&net, "erin");
    // Every answer from erin takes 3 s; we wait 1 s for InitWallet's.
    let proxy = common::slow_proxy(erin.endpoint().parse().unwrap(), Duration::from_secs(3)).await;
    let data = tempfile::tempdir().unwrap();
    let ctx = Context::open(data.path()).await.unwrap();
    let profiles = ctx
        .profiles
        .clone()
        .with_init_timeout(Duration::from_secs(1));
    let wallet = ctx
        .wallets
        .create(NewWallet {
            name: "seed for erin".into(),
            network: Network::Regtest,
            words: SecretString::from(WORDS.to_string()),
            passphrase: SecretString::from("erin".to_string()),
        })
        .await
        .unwrap();
    let e = profiles
        .init_node(
            &ctx.wallets,
            InitNodeRequest {
                name: "erin".into(),
                endpoint: format!("127.0.0.1:{}", proxy.port),
                tls_cert_path: erin.cert(),
                wallet: wallet.id.clone(),
                rescan: false,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ProfileError::InitUnconfirmed { .. }), "{e:?}");
    let api = switchyard_core::ApiError::from(e);
    assert_eq!(api.code, ErrorCode::InitUnconfirmed);
    assert!(
        api.message.contains("erin") && api.message.contains("macaroon"),
        "{api:?}"
    );
    let kept = ctx.profiles.resolve("erin").await.unwrap();
    assert!(kept.macaroon_missing && kept.password_only_here, "{kept:?}");
    // Its password is there, and the wallet's passphrase also confirms a reveal.
    let revealed = ctx
        .profiles
        .reveal_password(
            &ctx.wallets,
            "erin",
            &Confirmation::passphrase(SecretString::from("erin".to_string())),
        )
        .await
        .unwrap();
    // LND wrote its admin macaroon once the wallet existed.
    let mac = erin.admin_macaroon();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !mac.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "erin never wrote its macaroon"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let e = ctx
        .profiles
        .set_macaroon("erin", &data.path().join("none.macaroon"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("macaroon"), "{e}");
    let updated = ctx.profiles.set_macaroon("erin", &mac).await.unwrap();
    assert!(!updated.macaroon_missing);
    // Restart erin: locked; the kept password (as revealed) unlocks it.
    erin.restart();
    let mut direct = ctx.profiles.source("erin").await.unwrap();
    assert_eq!(
        direct.unlock_password.as_ref().unwrap().expose_secret(),
        revealed.password
    );
    direct.endpoints = vec![erin.endpoint()];
    let s = connected(&NodeService::new(Some(direct))).await;
    assert_eq!(s.alias.as_deref(), Some("erin"));
    drop(proxy);
    drop(net);
}
