//! The real OS keychain (Secret Service on Linux). The test script runs these
//! inside a private D-Bus session with an unlocked gnome-keyring; each test
//! uses its own service name so nothing touches a user's entries.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use switchyard_core::keychain::{OsKeychain, SecretStore};
use switchyard_core::keys::{Chain, Purpose};
use switchyard_core::store::Store;
use switchyard_core::wallet::{NewWallet, WalletError, WalletService};
use switchyard_core::Network;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn keychain(test: &str) -> OsKeychain {
    OsKeychain::new(format!("org.switchyard.test.{test}.{}", std::process::id()))
}

#[test]
fn probe_and_round_trip() {
    let kc = keychain("roundtrip");
    kc.probe()
        .expect("the Secret Service must be running and unlocked for this test");
    let secret = SecretString::from("words and a\nsecond line".to_string());
    kc.put("entry", &secret).unwrap();
    assert_eq!(
        kc.get("entry").unwrap().unwrap().expose_secret(),
        secret.expose_secret()
    );
    kc.delete("entry").unwrap();
    assert!(kc.get("entry").unwrap().is_none());
    // Deleting twice is fine.
    kc.delete("entry").unwrap();
}

#[tokio::test]
async fn wallet_lifecycle_with_the_real_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let kc = keychain("lifecycle");
    let svc = WalletService::new(
        Store::open_in(dir.path()).await.unwrap(),
        Arc::new(kc.clone()),
    );
    let w = svc
        .create(NewWallet {
            name: "kc".into(),
            network: Network::Regtest,
            words: SecretString::from(ABANDON.to_string()),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    // The seed is in the keychain, in our format, and nowhere in the database file.
    let raw = kc.get(&format!("wallet/{}/seed", w.id)).unwrap().unwrap();
    assert!(raw.expose_secret().contains(ABANDON));
    svc.store().close().await;
    let svc = WalletService::new(
        Store::open_in(dir.path()).await.unwrap(),
        Arc::new(kc.clone()),
    );
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("abandon abandon"),
            "seed words found in a database file"
        );
    }
    // Reopened: addresses come from stored xpubs (regtest BIP84 first address).
    let a = svc
        .addresses(&w.id, Purpose::Bip84, Chain::Receive, 0, 1)
        .await
        .unwrap();
    assert_eq!(a[0].address, "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk");
    assert!(svc.seed_present(&w.id).await.unwrap());
    let ch = svc.challenge(switchyard_core::confirm::ConfirmTarget::Words {
        wallet_id: w.id.clone(),
    });
    assert_eq!(
        svc.reveal_words(
            &w.id,
            &switchyard_core::confirm::Confirmation::code(ch.id, ch.code)
        )
        .await
        .unwrap()
        .words,
        ABANDON
    );
    svc.delete(&w.id, &[], None).await.unwrap();
    assert!(kc.get(&format!("wallet/{}/seed", w.id)).unwrap().is_none());
    assert!(svc.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_keychain_entry_is_reported_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let kc = keychain("missing");
    let svc = WalletService::new(
        Store::open_in(dir.path()).await.unwrap(),
        Arc::new(kc.clone()),
    );
    let w = svc
        .create(NewWallet {
            name: "gone".into(),
            network: Network::Signet,
            words: SecretString::from(ABANDON.to_string()),
            passphrase: SecretString::from("p".to_string()),
        })
        .await
        .unwrap();
    // Someone removes the entry behind our back (e.g. in Seahorse).
    kc.delete(&format!("wallet/{}/seed", w.id)).unwrap();
    assert!(!svc.seed_present(&w.id).await.unwrap());
    let err = svc
        .reveal_words(
            &w.id,
            &switchyard_core::confirm::Confirmation::passphrase(SecretString::from(
                "p".to_string(),
            )),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::SecretMissing { .. }), "{err}");
    // Delete still works and cleans up the rows.
    svc.delete(&w.id, &[], None).await.unwrap();
}

/// Many threads at once, as the app's blocking pool calls the keychain: every
/// call goes through the process's one Secret Service session (a session per
/// call is what crashes gnome-keyring; see `keychain::secret_service`).
#[cfg(target_os = "linux")]
#[test]
fn concurrent_calls_share_one_session() {
    let kc = keychain("concurrent");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let kc = kc.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let name = format!("t{t}/e{}", i % 5);
                    let value = SecretString::from(format!("value {t} {i}"));
                    kc.put(&name, &value).unwrap();
                    assert_eq!(
                        kc.get(&name).unwrap().unwrap().expose_secret(),
                        value.expose_secret()
                    );
                }
                for i in 0..5 {
                    kc.delete(&format!("t{t}/e{i}")).unwrap();
                    assert!(kc.get(&format!("t{t}/e{i}")).unwrap().is_none());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        switchyard_core::keychain::secret_service::sessions_opened(),
        1,
        "one session for the whole process"
    );
}
