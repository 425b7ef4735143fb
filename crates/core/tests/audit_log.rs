//! The audit log on a real SQLite file and the real OS keychain: wallet and
//! profile operations append entries (successes and failures, no secret in
//! any), `verify` holds, and each tampering done to the database file with
//! SQL — an edit, a deletion, a reorder, a truncation, a forked head — is
//! named. Exports and proofs check without the log, against the pinned key.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use secrecy::SecretString;
use std::path::Path;
use std::sync::Arc;
use switchyard_core::audit::files::{self, check};
use switchyard_core::audit::{AuditLog, Break, Kind, Record};
use switchyard_core::confirm::{ConfirmTarget, Confirmation};
use switchyard_core::keychain::OsKeychain;
use switchyard_core::profiles::{NewProfile, ProfileService};
use switchyard_core::store::Store;
use switchyard_core::wallet::{NewWallet, WalletService};
use switchyard_core::Network;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn keychain() -> OsKeychain {
    OsKeychain::new(format!("org.switchyard.test.audit.{}", std::process::id()))
}

async fn open(dir: &Path) -> (Store, AuditLog) {
    let store = Store::open_in(dir).await.unwrap();
    let log = AuditLog::new(store.clone(), Arc::new(keychain()));
    (store, log)
}

/// Runs SQL on the database file directly, as someone with the file would.
async fn tamper(dir: &Path, sql: &[&str]) {
    let url = format!("sqlite://{}", dir.join("switchyard.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    for q in sql {
        sqlx::query(q).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

/// Copies the database with its write-ahead log, as a backup tool would.
fn copy_db(from: &Path, to: &Path) {
    for name in ["switchyard.db", "switchyard.db-wal", "switchyard.db-shm"] {
        if from.join(name).exists() {
            std::fs::copy(from.join(name), to.join(name)).unwrap();
        }
    }
}

#[tokio::test]
async fn operations_are_recorded_and_every_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let kc = keychain();
    let store = Store::open_in(dir.path()).await.unwrap();
    let wallets = WalletService::new(store.clone(), Arc::new(kc.clone()));
    let profiles = ProfileService::new(store.clone(), Arc::new(kc.clone()), dir.path());

    // 0: a wallet created; 1: its words asked for with a wrong code
    // (failed); 2: a profile from a malformed lndconnect link (failed);
    // 3: the wallet deleted.
    let w = wallets
        .create(NewWallet {
            name: "audited".into(),
            network: Network::Regtest,
            words: SecretString::from(ABANDON.to_string()),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let ch = wallets.challenge(ConfirmTarget::Words {
        wallet_id: w.id.clone(),
    });
    let wrong = Confirmation::code(ch.id, SecretString::from("WRONG1".to_string()));
    assert!(wallets.reveal_words(&w.id, &wrong).await.is_err());
    let bad = profiles
        .add(NewProfile::Lndconnect {
            name: "broken".into(),
            uri: "lndconnect://nowhere?macaroon=%%%".to_string().into(),
            network: Network::Regtest,
            extra_endpoints: vec![],
        })
        .await;
    assert!(bad.is_err());
    wallets.delete(&w.id, &[], None).await.unwrap();

    let log = AuditLog::new(store.clone(), Arc::new(kc.clone()));
    let entries = log.entries(None, 10).await.unwrap();
    let kinds: Vec<(Kind, bool)> = entries.iter().rev().map(|e| (e.kind, e.ok)).collect();
    assert_eq!(
        kinds,
        vec![
            (Kind::WalletCreate, true),
            (Kind::WalletReveal, false),
            (Kind::ProfileAdd, false),
            (Kind::WalletDelete, true),
        ]
    );
    let created = entries.last().unwrap();
    assert_eq!(
        created.subject.as_deref(),
        Some(format!("wallet:{}", w.id).as_str())
    );
    assert_eq!(created.detail["fingerprint"], w.fingerprint);
    assert!(created.actor.starts_with("cli:"));
    let reveal = &entries[2];
    assert!(
        reveal.detail["error"].contains("code"),
        "{:?}",
        reveal.detail
    );
    // Never a secret: the words, the code and the link are in no line.
    let export = log.export().await.unwrap();
    for line in &export.entries {
        assert!(!line.contains("abandon"), "{line}");
        assert!(!line.contains("WRONG1"), "{line}");
        assert!(
            !line.contains("lndconnect://") && !line.contains("%%%"),
            "{line}"
        );
    }
    let only_reveals = log.entries(Some(Kind::WalletReveal), 10).await.unwrap();
    assert_eq!(only_reveals.len(), 1);

    let v = log.verify().await.unwrap();
    assert_eq!(
        (v.entries, v.heads, v.broken.clone()),
        (4, 4, None),
        "{v:?}"
    );
    assert!(v.chain_checked);

    // A third party's checks, against the key it pins.
    let key = log.public_key().await.unwrap();
    let bundle = serde_json::to_string(&export).unwrap();
    let report = check(&bundle, Some(&key)).unwrap();
    assert!(report.ok, "{}", report.summary);
    let proof = log.inclusion(1, None).await.unwrap();
    let report = check(&serde_json::to_string(&proof).unwrap(), Some(&key)).unwrap();
    assert!(report.ok, "{}", report.summary);
    assert!(report
        .summary
        .starts_with("Included: entry 1 is in the tree of 4 entries"));
    let grew = log.consistency(2, None).await.unwrap();
    let report = check(&serde_json::to_string(&grew).unwrap(), Some(&key)).unwrap();
    assert!(report.ok, "{}", report.summary);
    // An export edited after the fact, a proof for another entry, a key
    // other than the log's: each refused.
    let mut edited = export.clone();
    edited.entries[1] = edited.entries[1].replace("\"ok\":false", "\"ok\":true");
    let report = check(&serde_json::to_string(&edited).unwrap(), Some(&key)).unwrap();
    assert!(!report.ok);
    assert!(
        report.summary.contains("one of them was changed"),
        "{}",
        report.summary
    );
    let mut other_entry = proof.clone();
    other_entry.entry = export.entries[2].clone();
    assert!(
        !check(&serde_json::to_string(&other_entry).unwrap(), Some(&key))
            .unwrap()
            .ok
    );
    let stranger =
        files::parse_key("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
            .unwrap();
    let report = check(&bundle, Some(&stranger)).unwrap();
    assert!(!report.ok);
    assert!(
        report.summary.contains("not by the log's key"),
        "{}",
        report.summary
    );
    assert!(check(
        "{\"format\":\"something else\",\"public_key\":\"00\"}",
        None
    )
    .is_err());

    // The tamper matrix on copies of the database file; the keychain keeps
    // the keys and the latest head.
    store.close().await;
    let pristine = tempfile::tempdir().unwrap();
    copy_db(dir.path(), pristine.path());
    let cases: [(&str, &[&str], Break); 4] = [
        (
            "edit",
            &["UPDATE audit_log SET line = replace(line, '\"ok\":false', '\"ok\":true') WHERE idx = 1"],
            Break::Edited { index: 1 },
        ),
        (
            "delete",
            &["DELETE FROM audit_log WHERE idx = 2"],
            Break::Deleted { index: 2, next: 3 },
        ),
        (
            "reorder",
            &[
                "UPDATE audit_log SET idx = 100 WHERE idx = 1",
                "UPDATE audit_log SET idx = 1 WHERE idx = 2",
                "UPDATE audit_log SET idx = 2 WHERE idx = 100",
            ],
            Break::Reordered { position: 1, found: 2 },
        ),
        (
            "truncate",
            &["DELETE FROM audit_log WHERE idx >= 2", "DELETE FROM audit_heads WHERE size > 2", "UPDATE audit_frontier SET size = 2"],
            Break::Truncated { have: 2, signed: 4 },
        ),
    ];
    for (name, sql, named) in cases {
        let copy = tempfile::tempdir().unwrap();
        copy_db(pristine.path(), copy.path());
        tamper(copy.path(), sql).await;
        let (store, log) = open(copy.path()).await;
        let v = log.verify().await.unwrap();
        assert_eq!(v.broken, Some(named), "{name}");
        store.close().await;
    }

    // A forked head: someone with the signing key (read from the keychain)
    // signs another history at 4 entries in place of the real head; the
    // keychain's copy of the latest head (4 entries) disagrees with it.
    let copy = tempfile::tempdir().unwrap();
    copy_db(pristine.path(), copy.path());
    let (store, _) = open(copy.path()).await;
    let id = store.setting("audit.log_id").await.unwrap().unwrap();
    store.close().await;
    let secret = {
        use secrecy::ExposeSecret;
        use switchyard_core::keychain::SecretStore;
        kc.get(&format!("audit/{id}/signing-key"))
            .unwrap()
            .unwrap()
            .expose_secret()
            .to_string()
    };
    let sk = bitcoin::secp256k1::SecretKey::from_slice(
        &(0..64)
            .step_by(2)
            .map(|i| u8::from_str_radix(&secret[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let kp =
        bitcoin::secp256k1::Keypair::from_secret_key(&bitcoin::secp256k1::Secp256k1::new(), &sk);
    let other = switchyard_core::audit::merkle::leaf_hash(b"another history");
    let forged = switchyard_core::audit::TreeHead::sign(&kp, 4, &other, 1_900_000_000_000);
    let json = serde_json::to_string(&forged).unwrap().replace('\'', "''");
    tamper(
        copy.path(),
        &[&format!(
            "UPDATE audit_heads SET head = '{json}' WHERE size = 4"
        )],
    )
    .await;
    let (store, log) = open(copy.path()).await;
    let b = log.verify().await.unwrap().broken.unwrap();
    assert_eq!(b, Break::Forked { size: 4 });
    store.close().await;

    // The untouched copy still verifies, and appends go on from it.
    let (store, log) = open(pristine.path()).await;
    log.append(Record::new(Kind::Lock), Ok(())).await.unwrap();
    let v = log.verify().await.unwrap();
    assert_eq!((v.entries, v.broken), (5, None));
    store.close().await;
}
