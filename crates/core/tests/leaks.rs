//! The whole flow with every log line captured at TRACE (ours and every
//! dependency's): create a wallet with a passphrase, restore another, reveal
//! the words, add a profile from an lndconnect link, initialise a fresh LND
//! from the words, reveal its password, restart and unlock it, pay, keysend,
//! export the history — and make some of it fail on the way. Then no secret
//! (recovery words, passphrase, master key, macaroon in hex or base64, node
//! wallet password, preimage) may appear in the log, in any error as the UI
//! or `--json` sees it, in the SQLite files (WAL included) or in the exports.
//! (The web view's DOM after the reveal screen closes is checked by the
//! end-to-end test in tests/e2e/wallet.test.mjs.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

mod common;

use bitcoin::base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bitcoin::base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::confirm::{ConfirmTarget, Confirmation};
use switchyard_core::keys::{generate_mnemonic, master_key, phrase_of, seed_from, WordCount};
use switchyard_core::node::payments::{CreateInvoiceRequest, KeysendRequest, PayInvoiceRequest};
use switchyard_core::node::NodeService;
use switchyard_core::profiles::{InitNodeRequest, NewProfile};
use switchyard_core::wallet::NewWallet;
use switchyard_core::{ApiError, Context, Network};
use switchyard_regtest::network::NetworkOptions;

/// Every log line, as formatted text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A secret and the forms it could be written in.
struct Secret {
    what: String,
    forms: Vec<String>,
}

fn secret(what: &str, forms: Vec<String>) -> Secret {
    Secret {
        what: what.into(),
        forms: forms.into_iter().filter(|f| f.len() >= 8).collect(),
    }
}

/// Recovery words: the phrase and every run of three of its words.
fn words_secret(what: &str, phrase: &str) -> Secret {
    let w: Vec<&str> = phrase.split(' ').collect();
    let mut forms = vec![phrase.to_string()];
    forms.extend(w.windows(3).map(|r| r.join(" ")));
    secret(what, forms)
}

fn bytes_secret(what: &str, b: &[u8]) -> Secret {
    secret(
        what,
        vec![
            hex(b),
            hex(b).to_uppercase(),
            STANDARD.encode(b),
            URL_SAFE_NO_PAD.encode(b),
        ],
    )
}

fn assert_clean(place: &str, haystack: &[u8], secrets: &[Secret]) {
    let text = String::from_utf8_lossy(haystack);
    for s in secrets {
        for f in &s.forms {
            assert!(!text.contains(f.as_str()), "{} found in {place}", s.what);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_reaches_logs_errors_the_database_or_exports() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    // Every error the UI or a `--json` script would see, as JSON.
    let mut errors: Vec<String> = Vec::new();
    let mut seen = |e: ApiError| errors.push(serde_json::to_string(&e).unwrap());

    let net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("leaks"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let data = tempfile::tempdir().unwrap();
    let ctx = Context::open(data.path()).await.unwrap();

    // Create (with a passphrase) and restore (without).
    let words = phrase_of(&generate_mnemonic(WordCount::Twelve));
    let passphrase = SecretString::from("Leak test passphrase ünïcode 7f3a".to_string());
    let created = ctx
        .wallets
        .create(NewWallet {
            name: "leak test".into(),
            network: Network::Regtest,
            words: words.clone(),
            passphrase: passphrase.clone(),
        })
        .await
        .unwrap();
    let restored_words = phrase_of(&generate_mnemonic(WordCount::Twelve));
    let restored = ctx
        .wallets
        .create(NewWallet {
            name: "restored".into(),
            network: Network::Regtest,
            words: restored_words.clone(),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    // Bad input on the way: a mistyped restore, a wrong passphrase.
    let mut typo = words.expose_secret().to_string();
    typo.push_str(" zzzz");
    seen(
        ctx.wallets
            .create(NewWallet {
                name: "typo".into(),
                network: Network::Regtest,
                words: SecretString::from(typo),
                passphrase: passphrase.clone(),
            })
            .await
            .unwrap_err()
            .into(),
    );
    seen(
        ctx.wallets
            .reveal_words(
                &created.id,
                &Confirmation::passphrase(SecretString::from("Leak test wrong guess".to_string())),
            )
            .await
            .unwrap_err()
            .into(),
    );
    tokio::time::sleep(Duration::from_millis(1100)).await; // the back-off
    let revealed = ctx
        .wallets
        .reveal_words(&created.id, &Confirmation::passphrase(passphrase.clone()))
        .await
        .unwrap();
    assert_eq!(revealed.words, words.expose_secret());
    drop(revealed);

    // A profile from bob's lndconnect link (its macaroon goes to the keychain),
    // and a damaged link.
    let bob = net.node("bob").unwrap().profile().unwrap();
    let bob_mac = std::fs::read(&bob.macaroon_path).unwrap();
    let link = |uri: String| switchyard_core::api::SecretInput(SecretString::from(uri));
    ctx.profiles
        .add(NewProfile::Lndconnect {
            name: "bob by link".into(),
            uri: link(bob.lndconnect.clone()),
            network: Network::Regtest,
            extra_endpoints: vec![],
        })
        .await
        .unwrap();
    let damaged = bob.lndconnect.replace("macaroon=", "macaroon=%%");
    seen(
        ctx.profiles
            .add(NewProfile::Lndconnect {
                name: "damaged".into(),
                uri: link(damaged),
                network: Network::Regtest,
                extra_endpoints: vec![],
            })
            .await
            .unwrap_err()
            .into(),
    );
    let (_, bob_source) = ctx.profiles.activate("bob by link").await.unwrap();
    let via_link = NodeService::new(Some(bob_source));
    common::connected(&via_link).await;

    // Initialise a fresh LND from the restored words; reveal its password;
    // restart it locked and let the profile unlock it; a wrong password too.
    let mut dave = common::FreshLnd::start(&net, "dave");
    let profile = ctx
        .profiles
        .init_node(
            &ctx.wallets,
            InitNodeRequest {
                name: "dave".into(),
                endpoint: dave.endpoint(),
                tls_cert_path: dave.cert(),
                wallet: restored.id.clone(),
                rescan: false,
            },
        )
        .await
        .unwrap();
    let ch = ctx.wallets.challenge(ConfirmTarget::NodePassword {
        profile_id: profile.id.clone(),
    });
    let password = ctx
        .profiles
        .reveal_password(&ctx.wallets, "dave", &Confirmation::code(ch.id, ch.code))
        .await
        .unwrap()
        .password
        .clone();
    dave.restart();
    let wrong = SecretString::from("Leak test wrong node password".to_string());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match ctx.profiles.unlock("dave", wrong.clone(), false).await {
            Err(e) => {
                let api = ApiError::from(e);
                let starting = matches!(
                    api.code,
                    switchyard_core::ErrorCode::NodeStarting
                        | switchyard_core::ErrorCode::NodeUnreachable
                );
                seen(api);
                if !starting || tokio::time::Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Ok(_) => panic!("a wrong password unlocked the node"),
        }
    }
    let dave_node = NodeService::new(Some(ctx.profiles.source("dave").await.unwrap()));
    common::connected(&dave_node).await;
    let dave_mac = std::fs::read(dave.admin_macaroon()).unwrap();

    // Pay from alice: an invoice, a keysend (its preimage is ours until the
    // payment settles), an invoice that fails, and the history export.
    ctx.node
        .conn
        .switch(Some(common::source(&net, "alice")))
        .await;
    let carol = NodeService::new(Some(common::source(&net, "carol")));
    let inv = carol
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(21_000_000)),
            memo: "leak test".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    let paid = ctx
        .pay_invoice(&PayInvoiceRequest {
            invoice: inv.payment_request.clone(),
            amount_msat: None,
            fee_limit_sat: None,
            timeout_secs: None,
        })
        .await
        .unwrap();
    let carol_key = net.node("carol").unwrap().pubkey().unwrap();
    let sent = ctx
        .keysend(&KeysendRequest {
            destination: carol_key,
            amount_sat: Sat::from_sat(1_234),
            fee_limit_sat: None,
        })
        .await
        .unwrap();
    let keysend_preimage = sent.preimage.clone().expect("a settled keysend's preimage");
    seen(
        ctx.pay_invoice(&PayInvoiceRequest {
            invoice: inv.payment_request.clone(),
            amount_msat: None,
            fee_limit_sat: None,
            timeout_secs: None,
        })
        .await
        .unwrap_err(),
    );
    let rows = ctx.node.activity().history().await.unwrap();
    switchyard_core::node::history::write_history_csv(
        &data.path().join("exports").join("history.csv"),
        &rows,
    )
    .unwrap();

    // The secrets, in every form they could be written in.
    let master = master_key(
        &seed_from(
            &switchyard_core::keys::parse_mnemonic(&restored_words).unwrap(),
            &SecretString::from(String::new()),
        ),
        Network::Regtest,
    )
    .to_string();
    let secrets = vec![
        words_secret("the created wallet's words", words.expose_secret()),
        words_secret(
            "the restored wallet's words",
            restored_words.expose_secret(),
        ),
        secret(
            "the passphrase",
            vec![passphrase.expose_secret().to_string()],
        ),
        secret("a wrong passphrase", vec!["Leak test wrong guess".into()]),
        secret("the master key given to LND", vec![master]),
        bytes_secret("bob's macaroon", &bob_mac),
        bytes_secret("dave's macaroon", &dave_mac),
        secret("dave's wallet password", vec![password.clone()]),
        secret(
            "a wrong node password",
            vec![wrong.expose_secret().to_string()],
        ),
        secret("the keysend preimage", vec![keysend_preimage.clone()]),
    ];
    assert!(paid.preimage.is_some());

    // Logs (everything at TRACE), errors as JSON, the data directory's files.
    let logged = log.0.lock().unwrap().clone();
    assert!(
        logged.len() > 10_000 && String::from_utf8_lossy(&logged).contains("TRACE"),
        "TRACE logging was captured ({} bytes)",
        logged.len()
    );
    assert_clean("the log", &logged, &secrets);
    assert!(errors.len() >= 5, "{errors:?}");
    for e in &errors {
        assert_clean(&format!("the error {e}"), e.as_bytes(), &secrets);
    }
    let mut files = Vec::new();
    let mut stack = vec![data.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("regtest") {
                    stack.push(p);
                }
            } else {
                files.push(p);
            }
        }
    }
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(names.contains(&"switchyard.db".to_string()), "{names:?}");
    assert!(names.contains(&"history.csv".to_string()), "{names:?}");
    for f in &files {
        assert_clean(
            &f.display().to_string(),
            &std::fs::read(f).unwrap(),
            &secrets,
        );
    }
    drop(net);
}
