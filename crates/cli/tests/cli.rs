//! The `switchyard` binary as testers and scripts use it: `--json` output,
//! exit codes, specific errors, and the real keychain and database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use switchyard_core::confirm::Confirmer;
use switchyard_core::store::Store;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn service(test: &str) -> String {
    format!("org.switchyard.test.cli.{test}.{}", std::process::id())
}

fn run(args: &[&str], stdin: &str, envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn switchyard");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): stdout={} stderr={}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn derive(path: &str, network: &str, stdin: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "keys",
        "derive",
        "--mnemonic-stdin",
        "--path",
        path,
        "--network",
        network,
        "--json",
    ];
    args.extend_from_slice(extra);
    run(&args, stdin, &[])
}

#[test]
fn keys_derive_matches_bip84_and_bip86_vectors() {
    let out = derive("m/84'/0'/0'/0/0", "bitcoin", &format!("{ABANDON}\n"), &[]);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["address"], "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu");
    assert_eq!(
        v["public_key"],
        "0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c"
    );
    assert_eq!(v["fingerprint"], "73c5da0a");
    let v = json(&derive("m/86'/0'/0'/0/0", "bitcoin", ABANDON, &[]));
    assert_eq!(
        v["address"],
        "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
    );
    // BIP49 on testnet.
    let v = json(&derive("m/49'/1'/0'/0/0", "testnet", ABANDON, &[]));
    assert_eq!(v["address"], "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2");
}

#[test]
fn passphrase_from_stdin_changes_the_keys() {
    let plain = json(&derive("m/84'/0'/0'", "bitcoin", ABANDON, &[]));
    let with = json(&derive(
        "m/84'/0'/0'",
        "bitcoin",
        &format!("{ABANDON}\nTREZOR\n"),
        &["--passphrase-stdin"],
    ));
    let empty = json(&derive(
        "m/84'/0'/0'",
        "bitcoin",
        &format!("{ABANDON}\n\n"),
        &["--passphrase-stdin"],
    ));
    assert_ne!(plain["xpub"], with["xpub"]);
    assert_eq!(
        plain["xpub"], empty["xpub"],
        "an empty passphrase is no passphrase"
    );
}

#[test]
fn bad_input_gets_specific_errors_and_exit_status_1() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "m/84'/0'/0'/0/0",
            "bitcoin",
            "abandon abandon",
            "mnemonic_unknown_word",
        ),
        (
            "m/84'/0'/0'/0/0",
            "bitcoin",
            "abandon abandon abandon",
            "mnemonic_word_count",
        ),
        (
            "m/84'/0'/0'/0/0",
            "bitcoin",
            &ABANDON.replace("about", "abandon"),
            "mnemonic_checksum",
        ),
        ("m/84'/0'/0'/0/0", "bitcoin", "", "mnemonic_empty"),
        ("84'/0'/0'", "bitcoin", ABANDON, "invalid_path"),
        ("m/84/0'/0'/0/0", "bitcoin", ABANDON, "invalid_path"),
        ("m/84'/0'/0'/0/0", "regtest", ABANDON, "invalid_path"),
    ];
    // "abandon abandon" has no unknown word: fix the first case's input.
    for (path, network, words, code) in cases {
        let words = if *code == "mnemonic_unknown_word" {
            "abandon abandn about"
        } else {
            words
        };
        let out = derive(path, network, words, &[]);
        assert_eq!(out.status.code(), Some(1), "{path} {words}");
        let v = json(&out);
        assert_eq!(v["error"]["code"], *code, "{path} {network} {words}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().ends_with('.'),
            "{v}"
        );
        assert!(
            !v["error"]["message"].as_str().unwrap().contains("abandn"),
            "errors never echo words"
        );
    }
    // Coin type mismatch says what to do, and --allow-nonstandard accepts it.
    let v = json(&derive("m/84'/0'/0'/0/0", "regtest", ABANDON, &[]));
    assert!(
        v["error"]["message"].as_str().unwrap().contains("use 1'"),
        "{v}"
    );
    let v = json(&derive(
        "m/84'/0'/0'/0/0",
        "regtest",
        ABANDON,
        &["--allow-nonstandard"],
    ));
    assert!(v["address"].as_str().unwrap().starts_with("bcrt1q"));
    // An amount and --all together are a usage error (exit 2) before any
    // node is contacted: `--all` used to sweep the wallet, ignoring the amount.
    let out = run(
        &[
            "onchain",
            "send",
            "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk",
            "1000",
            "--all",
        ],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Non-English words are named as such.
    let spanish = "ábaco ábaco ábaco ábaco ábaco ábaco ábaco ábaco ábaco ábaco ábaco abierto";
    let v = json(&derive("m/84'/0'/0'/0/0", "bitcoin", spanish, &[]));
    assert_eq!(v["error"]["code"], "mnemonic_not_english", "{v}");
}

/// `wallet reveal NAME`, answering the code it prints on standard error.
fn reveal_with_code(dir: &Path, svc: &str, name: &str) -> Output {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--json",
            "wallet",
            "reveal",
            name,
        ])
        .env("SWITCHYARD_KEYCHAIN_SERVICE", svc)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "no code was printed");
        if let Some((_, code)) = line.split_once("press Enter: ") {
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{}", code.trim()).unwrap();
            break;
        }
    }
    child.wait_with_output().unwrap()
}

/// The app password the tests set.
const APP_PASSWORD: &str = "correct horse battery";

/// Sets the app password of a data directory (`lock set-password`).
fn set_app_password(dir: &Path, svc: &str, password: &str) {
    let out = run(
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "--json",
            "lock",
            "set-password",
        ],
        &format!("{password}\n"),
        &[("SWITCHYARD_KEYCHAIN_SERVICE", svc)],
    );
    let v = json(&out);
    assert_eq!(v["enabled"], true, "{v}");
}

fn wallet(dir: &Path, svc: &str, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["--data-dir", dir.to_str().unwrap(), "--json", "wallet"];
    all.extend_from_slice(args);
    run(&all, stdin, &[("SWITCHYARD_KEYCHAIN_SERVICE", svc)])
}

#[test]
fn wallet_commands_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let svc = service("wallet");
    // Only regtest wallets may be kept without an app password.
    let refused = wallet(
        dir.path(),
        &svc,
        &[
            "restore",
            "--name",
            "vec",
            "--network",
            "bitcoin",
            "--mnemonic-stdin",
        ],
        ABANDON,
    );
    let v = json(&refused);
    assert_eq!(v["error"]["code"], "no_app_password", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lock set-password"),
        "{v}"
    );
    set_app_password(dir.path(), &svc, APP_PASSWORD);
    let out = restore_abandon(dir.path(), &svc, "vec", "bitcoin");
    let id = json(&out)["id"].as_str().unwrap().to_string();

    let list = json(&wallet(dir.path(), &svc, &["list"], ""));
    assert_eq!(list[0]["fingerprint"], "73c5da0a");

    let addrs = json(&wallet(
        dir.path(),
        &svc,
        &["addresses", "vec", "--change", "--count", "1"],
        "",
    ));
    assert_eq!(
        addrs[0]["address"],
        "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
    );
    assert_eq!(addrs[0]["path"], "m/84'/0'/0'/1/0");

    let show = json(&wallet(dir.path(), &svc, &["show", &id[..6]], ""));
    let zpub = show["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["purpose"] == "bip84")
        .unwrap()["slip132"]
        .clone();
    assert_eq!(zpub, "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs");

    let own = json(&wallet(
        dir.path(),
        &svc,
        &[
            "verify-address",
            "vec",
            "bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh",
        ],
        "",
    ));
    assert_eq!(own["is_mine"], true);
    assert_eq!(own["found"]["path"], "m/86'/0'/0'/0/1");
    let wrong = wallet(
        dir.path(),
        &svc,
        &[
            "verify-address",
            "vec",
            "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk",
        ],
        "",
    );
    assert_eq!(json(&wrong)["error"]["code"], "wrong_network");

    // Same seed again: refused, naming the existing wallet.
    let dup = wallet(
        dir.path(),
        &svc,
        &[
            "restore",
            "--name",
            "again",
            "--network",
            "bitcoin",
            "--mnemonic-stdin",
        ],
        ABANDON,
    );
    assert_eq!(json(&dup)["error"]["code"], "duplicate_wallet");

    // With an app password set, revealing and deleting ask for it again
    // (--password-stdin); the code is no answer any more.
    let needed = json(&wallet(dir.path(), &svc, &["reveal", "vec"], ""));
    assert_eq!(needed["error"]["code"], "password_needed", "{needed}");
    assert!(needed["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--password-stdin"));
    let wrong = json(&wallet(
        dir.path(),
        &svc,
        &["reveal", "vec", "--password-stdin"],
        "not the password\n",
    ));
    assert_eq!(wrong["error"]["code"], "wrong_password", "{wrong}");
    // Right, but within the back-off's first second: not even checked.
    let early = json(&wallet(
        dir.path(),
        &svc,
        &["reveal", "vec", "--password-stdin"],
        &format!("{APP_PASSWORD}\n"),
    ));
    assert_eq!(early["error"]["code"], "too_many_attempts", "{early}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let shown = json(&wallet(
        dir.path(),
        &svc,
        &["reveal", "vec", "--password-stdin"],
        &format!("{APP_PASSWORD}\n"),
    ));
    assert_eq!(shown["words"], ABANDON, "{shown}");
    let needed = json(&wallet(dir.path(), &svc, &["delete", "vec", "--yes"], ""));
    assert_eq!(needed["error"]["code"], "password_needed", "{needed}");
    assert!(wallet(
        dir.path(),
        &svc,
        &["delete", "vec", "--yes", "--password-stdin"],
        &format!("{APP_PASSWORD}\n"),
    )
    .status
    .success());

    // Without an app password (a regtest-only data directory), reveal needs
    // the one-time code printed on the terminal (standard error): its name,
    // or no answer, reveals nothing; delete needs --yes.
    let dir = tempfile::tempdir().unwrap();
    restore_abandon(dir.path(), &svc, "vec", "regtest");
    let no = wallet(dir.path(), &svc, &["reveal", "vec"], "vec\n");
    assert_eq!(json(&no)["error"]["code"], "not_confirmed");
    let code_line = String::from_utf8_lossy(&no.stderr).to_string();
    assert!(code_line.contains("type this code"), "{code_line}");
    assert!(!String::from_utf8_lossy(&no.stdout).contains("abandon"));
    // The wrong answer is counted in the database, where every process sees
    // it. Nine more make the wait 512 s, so the next process is refused
    // however slowly this machine starts it; a right answer resets the count.
    let confirmer = |d: &Path| {
        let dir = d.to_path_buf();
        async move { Confirmer::new(Store::open_in(&dir).await.unwrap()) }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = rt.block_on(confirmer(dir.path()));
    assert_eq!(rt.block_on(c.failures()).unwrap().0, 1);
    for _ in 0..9 {
        rt.block_on(c.record(false)).unwrap();
    }
    let early = wallet(dir.path(), &svc, &["reveal", "vec"], "");
    assert_eq!(json(&early)["error"]["code"], "too_many_attempts");
    assert_eq!(
        rt.block_on(c.failures()).unwrap().0,
        10,
        "a refused early attempt is not counted"
    );
    rt.block_on(c.record(true)).unwrap();
    let yes = json(&reveal_with_code(dir.path(), &svc, "vec"));
    assert_eq!(yes["words"], ABANDON);
    assert_eq!(
        json(&wallet(dir.path(), &svc, &["delete", "vec"], ""))["error"]["code"],
        "not_confirmed"
    );
    assert!(wallet(dir.path(), &svc, &["delete", "vec", "--yes"], "")
        .status
        .success());
    assert_eq!(
        json(&wallet(dir.path(), &svc, &["list"], "")),
        serde_json::json!([])
    );
}

#[test]
fn create_prints_words_once_and_they_restore_the_same_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let svc = service("create");
    let created = json(&wallet(
        dir.path(),
        &svc,
        &["create", "--name", "new", "--words", "24"],
        "",
    ));
    let words = created["mnemonic"].as_str().unwrap().to_string();
    assert_eq!(words.split(' ').count(), 24);
    let first = json(&wallet(
        dir.path(),
        &svc,
        &["addresses", "new", "--count", "1"],
        "",
    ));
    let restored = wallet(
        other.path(),
        &svc,
        &["restore", "--name", "copy", "--mnemonic-stdin"],
        &words,
    );
    assert!(restored.status.success());
    let again = json(&wallet(
        other.path(),
        &svc,
        &["addresses", "copy", "--count", "1"],
        "",
    ));
    assert_eq!(first[0]["address"], again[0]["address"]);
    assert!(first[0]["address"].as_str().unwrap().starts_with("bcrt1q"));
    for d in [dir.path(), other.path()] {
        let name = if d == dir.path() { "new" } else { "copy" };
        assert!(wallet(d, &svc, &["delete", name, "--yes"], "")
            .status
            .success());
    }
}

#[test]
fn keychain_unavailable_is_clear_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--json",
            "wallet",
            "restore",
            "--name",
            "x",
            "--mnemonic-stdin",
        ],
        ABANDON,
        &[
            ("SWITCHYARD_KEYCHAIN_SERVICE", &service("unavailable")),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/switchyard-test-bus",
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["error"]["code"], "keychain_unavailable", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("keychain"));
    let list = json(&run(
        &[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--json",
            "wallet",
            "list",
        ],
        "",
        &[],
    ));
    assert_eq!(
        list,
        serde_json::json!([]),
        "no row without its keychain entry"
    );
}

#[test]
fn cli_processes_and_an_open_store_share_the_database() {
    // The app holds the store open while CLI processes write to it.
    let dir = tempfile::tempdir().unwrap();
    let svc = service("concurrent");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app_store = rt
        .block_on(switchyard_core::store::Store::open_in(dir.path()))
        .unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let d = dir.path().to_path_buf();
            let svc = svc.clone();
            std::thread::spawn(move || {
                wallet(&d, &svc, &["create", "--name", &format!("c{i}")], "")
            })
        })
        .collect();
    rt.block_on(app_store.set_setting("opened_by", "app"))
        .unwrap();
    for h in handles {
        let out = h.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert_eq!(rt.block_on(app_store.wallets()).unwrap().len(), 4);
    for i in 0..4 {
        assert!(
            wallet(dir.path(), &svc, &["delete", &format!("c{i}"), "--yes"], "")
                .status
                .success()
        );
    }
}

#[test]
fn route_offline_over_a_graph_file() {
    let k = |c: char| format!("02{}", c.to_string().repeat(64));
    let pol = |base: u32| {
        format!(
            r#"{{"time_lock_delta":40,"min_htlc":"1000","fee_base_msat":"{base}","fee_rate_milli_msat":"10","disabled":false,"max_htlc_msat":"990000000","last_update":1}}"#
        )
    };
    let edge = |id: u64, a: &str, b: &str, base: u32| {
        format!(
            r#"{{"channel_id":"{id}","node1_pub":"{a}","node2_pub":"{b}","capacity":"1000000","node1_policy":{},"node2_policy":{}}}"#,
            pol(base),
            pol(base)
        )
    };
    let (a, b, c) = (k('a'), k('b'), k('c'));
    let text = format!(
        r#"{{"nodes":[],"edges":[{},{}]}}"#,
        edge(1 << 40, &a, &b, 0),
        edge(2 << 40, &b, &c, 2000)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("graph.json");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let out = run(
        &[
            "--json",
            "route",
            "--graph-file",
            f,
            "--from",
            &a,
            "--to",
            &c,
            "--amt-sat",
            "1000",
        ],
        "",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = json(&out);
    let best = &r["routes"][0];
    assert_eq!(best["hops"].as_array().unwrap().len(), 2);
    // b charges 2,000 msat + 10 ppm of 1,000,000 msat.
    assert_eq!(best["fee_msat"], 2010);
    let d = k('d');
    let out = run(
        &[
            "--json",
            "route",
            "--graph-file",
            f,
            "--from",
            &a,
            "--to",
            &d,
            "--amt-sat",
            "1000",
        ],
        "",
        &[],
    );
    assert!(!out.status.success());
    let e = json(&out);
    assert_eq!(e["error"]["code"], "no_route");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not in the channel graph"));
}

/// `psbt inspect`: a PSBT that spends the wallet's receive 0/0 into a
/// payment and change 1/3 is shown as such (ours decided by the wallet's
/// descriptors); the same PSBT with the payment claiming to be our change
/// is shown as a payment with the warning; garbage is refused in words.
#[test]
fn psbt_inspect_decides_ours_by_the_wallets_descriptors() {
    use bitcoin::bip32::{DerivationPath, Fingerprint};
    use bitcoin::psbt::Psbt;
    use bitcoin::{Address, Amount, OutPoint, ScriptBuf, Transaction, TxIn, TxOut};
    use std::str::FromStr;

    let dir = tempfile::tempdir().unwrap();
    let svc = service("psbt");
    let out = wallet(
        dir.path(),
        &svc,
        &[
            "restore",
            "--name",
            "vec",
            "--network",
            "regtest",
            "--mnemonic-stdin",
        ],
        ABANDON,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The wallet's own keys, as `keys derive` gives them.
    let key = |path: &str| {
        let v = json(&derive(path, "regtest", ABANDON, &[]));
        let addr = Address::from_str(v["address"].as_str().unwrap())
            .unwrap()
            .assume_checked();
        let pk =
            bitcoin::secp256k1::PublicKey::from_str(v["public_key"].as_str().unwrap()).unwrap();
        (
            addr.script_pubkey(),
            pk,
            DerivationPath::from_str(path).unwrap(),
        )
    };
    let fp = Fingerprint::from_str("73c5da0a").unwrap();
    let (recv, recv_pk, recv_path) = key("m/84'/1'/0'/0/0");
    let (change, change_pk, change_path) = key("m/84'/1'/0'/1/3");
    let (_, fake_pk, fake_path) = key("m/84'/1'/0'/1/5");
    let payee = ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_raw_hash(
        bitcoin::hashes::Hash::all_zeros(),
    ));
    let prev = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn::default()],
        output: vec![TxOut {
            value: Amount::from_sat(100_000),
            script_pubkey: recv,
        }],
    };
    let tx = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(prev.compute_txid(), 0),
            ..TxIn::default()
        }],
        output: vec![
            TxOut {
                value: Amount::from_sat(60_000),
                script_pubkey: payee,
            },
            TxOut {
                value: Amount::from_sat(39_000),
                script_pubkey: change,
            },
        ],
    };
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    psbt.inputs[0].witness_utxo = Some(prev.output[0].clone());
    psbt.inputs[0].non_witness_utxo = Some(prev);
    psbt.inputs[0]
        .bip32_derivation
        .insert(recv_pk, (fp, recv_path));
    psbt.outputs[1]
        .bip32_derivation
        .insert(change_pk, (fp, change_path));

    let inspect = |psbt_bytes: &[u8], name: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, psbt_bytes).unwrap();
        run(
            &[
                "--data-dir",
                dir.path().to_str().unwrap(),
                "--json",
                "psbt",
                "inspect",
                f.to_str().unwrap(),
            ],
            "",
            &[("SWITCHYARD_KEYCHAIN_SERVICE", &svc)],
        )
    };
    // Binary.
    let r = json(&inspect(&psbt.serialize(), "honest.psbt"));
    assert_eq!(r["inputs"][0]["owner"]["owner"], "ours");
    assert_eq!(r["inputs"][0]["owner"]["path"], "m/84'/1'/0'/0/0");
    assert_eq!(r["outputs"][0]["kind"]["kind"], "payment");
    assert_eq!(r["outputs"][1]["kind"]["kind"], "change");
    assert_eq!(r["fee"], 1_000);
    assert_eq!(r["warnings"], serde_json::json!([]));
    // Signed by the wallet's own keys (from the keychain), finalized,
    // extracted: a P2WPKH spend with its signature and key.
    let psbt_cmd = |args: &[&str]| {
        let mut all = vec!["--data-dir", dir.path().to_str().unwrap(), "--json", "psbt"];
        all.extend_from_slice(args);
        let out = run(&all, "", &[("SWITCHYARD_KEYCHAIN_SERVICE", &svc)]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        json(&out)
    };
    let f = dir.path().join("to-sign.psbt");
    std::fs::write(&f, psbt.serialize()).unwrap();
    let signed = psbt_cmd(&["sign", f.to_str().unwrap()]);
    assert_eq!(signed["signed_inputs"], serde_json::json!([0]));
    std::fs::write(&f, signed["psbt"].as_str().unwrap()).unwrap();
    let fin = psbt_cmd(&["finalize", f.to_str().unwrap()]);
    std::fs::write(&f, fin["psbt"].as_str().unwrap()).unwrap();
    let tx = psbt_cmd(&["extract", f.to_str().unwrap()]);
    let raw: Vec<u8> = bitcoin::hex::FromHex::from_hex(tx["hex"].as_str().unwrap()).unwrap();
    let tx: Transaction = bitcoin::consensus::deserialize(&raw).unwrap();
    assert_eq!(tx.input[0].witness.len(), 2);
    assert_eq!(
        tx.input[0].witness.nth(1).unwrap(),
        &recv_pk.serialize()[..]
    );

    // Base64, with a fake change claim on the payment.
    psbt.outputs[0]
        .bip32_derivation
        .insert(fake_pk, (fp, fake_path));
    let r = json(&inspect(psbt.to_string().as_bytes(), "fake.txt"));
    assert_eq!(r["outputs"][0]["kind"]["kind"], "payment");
    assert_eq!(r["warnings"][0]["warning"], "derivation_mismatch");
    assert_eq!(r["warnings"][0]["place"], "output 0");
    // Garbage.
    let out = inspect(b"hello", "garbage.txt");
    assert_eq!(out.status.code(), Some(1));
    let e = json(&out);
    assert_eq!(e["error"]["code"], "invalid_request", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a PSBT"),
        "{e}"
    );
}

/// `psbt combine | qr | finalize | extract` on BIP174's workflow vectors:
/// the two signers' PSBTs (one binary file, one base64 on standard input)
/// combine to the BIP's PSBT, go out as BBQr frames (with SVG images) and
/// come back from the frames' text, finalize and extract to its
/// transaction; PSBTs of two transactions are refused with the reason.
#[test]
fn psbt_combine_finalize_extract_on_bip174s_vectors() {
    use bitcoin::psbt::Psbt;
    let v: Value =
        serde_json::from_str(include_str!("../../pure/tests/vectors/bip174.json")).unwrap();
    let wf = &v["workflow"];
    let from_hex = |h: &str| -> Vec<u8> { bitcoin::hex::FromHex::from_hex(h).unwrap() };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let one = dir.path().join("one.psbt");
    std::fs::write(&one, from_hex(wf["signer1"]["psbt"].as_str().unwrap())).unwrap();
    let two_b64 = Psbt::deserialize(&from_hex(wf["signer2"]["psbt"].as_str().unwrap()))
        .unwrap()
        .to_string();
    let combined = dir.path().join("combined.psbt");
    let out = run(
        &[
            "--data-dir",
            d,
            "--json",
            "psbt",
            "combine",
            one.to_str().unwrap(),
            "-",
            "--out",
            combined.to_str().unwrap(),
        ],
        &two_b64,
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json(&out)["ecdsa"], 4);
    // The BIP's PSBT (its bytes keep Bitcoin Core's order of signatures).
    let bytes = std::fs::read(&combined).unwrap();
    assert_eq!(
        Psbt::deserialize(&bytes).unwrap(),
        Psbt::deserialize(&from_hex(wf["combined"].as_str().unwrap())).unwrap()
    );

    // Version 2 (BIP370) on request, and back; a signer that sent version 2
    // gets version 2 back from the combiner.
    let unb64 = |t: &str| -> Vec<u8> {
        use bitcoin::base64::Engine;
        bitcoin::base64::engine::general_purpose::STANDARD
            .decode(t)
            .unwrap()
    };
    let convert = |file: &str, to: &str, stdin: &str| {
        json(&run(
            &[
                "--data-dir",
                d,
                "--json",
                "psbt",
                "convert",
                file,
                "--to",
                to,
            ],
            stdin,
            &[],
        ))
    };
    let as_v2 = convert(one.to_str().unwrap(), "2", "");
    assert_eq!(
        (as_v2["from"].as_u64(), as_v2["version"].as_u64()),
        (Some(0), Some(2))
    );
    let v2_bytes = unb64(as_v2["psbt"].as_str().unwrap());
    assert_eq!(
        v2_bytes[..5],
        *b"psbt\xff",
        "a binary PSBT, base64 in the JSON"
    );
    assert_ne!(v2_bytes, std::fs::read(&one).unwrap());
    let back = convert("-", "0", as_v2["psbt"].as_str().unwrap());
    assert_eq!(back["from"].as_u64(), Some(2));
    assert_eq!(
        Psbt::deserialize(&unb64(back["psbt"].as_str().unwrap())).unwrap(),
        Psbt::deserialize(&std::fs::read(&one).unwrap()).unwrap()
    );
    let v2_file = dir.path().join("one-v2.psbt");
    std::fs::write(&v2_file, &v2_bytes).unwrap();
    let combined_v2 = json(&run(
        &[
            "--data-dir",
            d,
            "--json",
            "psbt",
            "combine",
            v2_file.to_str().unwrap(),
            "-",
        ],
        &two_b64,
        &[],
    ));
    assert_eq!(combined_v2["version"].as_u64(), Some(2));
    let again = convert("-", "0", combined_v2["psbt"].as_str().unwrap());
    assert_eq!(
        Psbt::deserialize(&unb64(again["psbt"].as_str().unwrap())).unwrap(),
        Psbt::deserialize(&bytes).unwrap(),
        "the same combined PSBT, read back from version 2"
    );

    // As QR frames (BBQr) and back: `psbt finalize` reads the frames' text.
    let qr_dir = dir.path().join("qr");
    let qr = json(&run(
        &[
            "--data-dir",
            d,
            "--json",
            "psbt",
            "qr",
            combined.to_str().unwrap(),
            "--svg-dir",
            qr_dir.to_str().unwrap(),
        ],
        "",
        &[],
    ));
    let parts: Vec<&str> = qr["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        !parts.is_empty() && parts.iter().all(|p| p.starts_with("B$")),
        "{qr}"
    );
    for i in 1..=parts.len() {
        let svg = std::fs::read_to_string(qr_dir.join(format!("frame-{i:02}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "frame {i}");
    }
    let frames = dir.path().join("frames.txt");
    std::fs::write(
        &frames,
        parts.iter().rev().copied().collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let fin = json(&run(
        &[
            "--data-dir",
            d,
            "--json",
            "psbt",
            "finalize",
            frames.to_str().unwrap(),
        ],
        "",
        &[],
    ));
    let finalized: Psbt = fin["psbt"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        finalized.serialize(),
        from_hex(wf["finalized"].as_str().unwrap())
    );
    let tx = json(&run(
        &["--data-dir", d, "--json", "psbt", "extract", "-"],
        fin["psbt"].as_str().unwrap(),
        &[],
    ));
    assert_eq!(tx["hex"], wf["extracted_tx"]);

    // Another transaction: the unknown-pairs vector is not this one.
    let other = dir.path().join("other.psbt");
    std::fs::write(
        &other,
        from_hex(v["unknown_combine"]["a"].as_str().unwrap()),
    )
    .unwrap();
    let out = run(
        &[
            "--data-dir",
            d,
            "--json",
            "psbt",
            "combine",
            one.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
        "",
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let e = json(&out);
    assert_eq!(e["error"]["code"], "psbt_rejected", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be combined"),
        "{e}"
    );
}

/// Restores the BIP39 test phrase as wallet `name` on `network`.
fn restore_abandon(dir: &Path, svc: &str, name: &str, network: &str) -> Output {
    let out = wallet(
        dir,
        svc,
        &[
            "restore",
            "--name",
            name,
            "--network",
            network,
            "--mnemonic-stdin",
        ],
        ABANDON,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// `audit`: what a wallet command did is listed (with `--kind`), the log
/// verifies, an inclusion and a consistency proof check with no data
/// directory against the pinned key, and bad input is named.
#[test]
fn audit_commands_list_verify_prove_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let svc = service("audit");
    let env = [("SWITCHYARD_KEYCHAIN_SERVICE", svc.as_str())];
    let d = dir.path().to_str().unwrap();
    restore_abandon(dir.path(), &svc, "a", "regtest");
    set_app_password(dir.path(), &svc, APP_PASSWORD);
    restore_abandon(dir.path(), &svc, "b", "testnet");

    let list = json(&run(
        &[
            "--data-dir",
            d,
            "--json",
            "audit",
            "list",
            "--kind",
            "wallet_restore",
        ],
        "",
        &env,
    ));
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["detail"]["name"], "b", "newest first");
    assert_eq!(list[1]["detail"]["fingerprint"], "73c5da0a");
    let v = json(&run(
        &["--data-dir", d, "--json", "audit", "verify"],
        "",
        &env,
    ));
    assert_eq!(v["entries"], 3, "two wallets and the lock's settings: {v}");
    assert!(v["broken"].is_null());

    let proof = run(
        &["--data-dir", d, "--json", "audit", "prove", "--entry", "0"],
        "",
        &env,
    );
    assert!(proof.status.success());
    let key = json(&proof)["public_key"].as_str().unwrap().to_string();
    let proof_text = String::from_utf8_lossy(&proof.stdout).to_string();
    // Checked anywhere: no data directory, no keychain service named.
    let ok = json(&run(
        &["--json", "audit", "check", "-", "--key", &key],
        &proof_text,
        &[],
    ));
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["file"], "inclusion");
    let grew = run(
        &[
            "--data-dir",
            d,
            "--json",
            "audit",
            "consistency",
            "--from",
            "1",
        ],
        "",
        &env,
    );
    let ok = json(&run(
        &["--json", "audit", "check", "-", "--key", &key],
        &String::from_utf8_lossy(&grew.stdout),
        &[],
    ));
    assert_eq!(ok["ok"], true, "{ok}");

    // Bad input, each in words.
    let e = run(
        &[
            "--data-dir",
            d,
            "--json",
            "audit",
            "list",
            "--kind",
            "nonsense",
        ],
        "",
        &env,
    );
    assert!(!e.status.success());
    assert!(json(&e)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("wallet_create"));
    let e = run(&["--json", "audit", "check", "-"], "{\"hello\": 1}", &[]);
    assert_eq!(json(&e)["error"]["code"], "invalid_audit_file");
    let e = run(
        &["--json", "audit", "check", "-", "--key", "xyz"],
        &proof_text,
        &[],
    );
    assert!(json(&e)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("64-character hex"));
    let tampered = proof_text.replace("\\\"ok\\\":true", "\\\"ok\\\":false");
    assert_ne!(tampered, proof_text);
    let e = run(
        &["--json", "audit", "check", "-", "--key", &key],
        &tampered,
        &[],
    );
    assert!(!e.status.success());
    assert!(json(&e)["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Not proven"));
    let e = run(
        &["--data-dir", d, "--json", "audit", "prove", "--entry", "9"],
        "",
        &env,
    );
    assert!(json(&e)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Entry 9"));
}

/// `audit prove --window` and `audit verify-proof`: a zero-knowledge proof
/// that an entry of a kind was made in a window by an authorised actor
/// checks with no data directory; the file does not hold the entry's
/// subject, time or actor; a tampered statement, another key or another set
/// is refused; a window or set that does not hold the entry is refused with
/// its reason before any proof is made.
#[test]
fn audit_zero_knowledge_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let svc = service("auditzk");
    let env = [("SWITCHYARD_KEYCHAIN_SERVICE", svc.as_str())];
    let d = dir.path().to_str().unwrap();
    restore_abandon(dir.path(), &svc, "a", "regtest");
    set_app_password(dir.path(), &svc, APP_PASSWORD);
    let list = json(&run(
        &["--data-dir", d, "--json", "audit", "list"],
        "",
        &env,
    ));
    let first = &list.as_array().unwrap().last().unwrap().clone();
    assert_eq!(first["index"], 0);
    let at = first["at_ms"].as_u64().unwrap();
    let actor = first["actor"].as_str().unwrap().to_string();
    let subject = first["subject"].as_str().unwrap().to_string();
    let authorised = format!("{actor},desktop:auditor");
    let window = format!("{}..{}", at - 60_000, at + 60_000);
    let file = dir.path().join("proof.json");
    let f = file.to_str().unwrap();
    let made = run(
        &[
            "--data-dir",
            d,
            "audit",
            "prove",
            "--entry",
            "0",
            "--window",
            &window,
            "--authorised",
            &authorised,
            "--out",
            f,
        ],
        "",
        &env,
    );
    assert!(made.status.success());
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in [subject.as_str(), &at.to_string(), actor.as_str()] {
        if secret == actor {
            // The actor is named only as a member of the authorised set.
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(v["authorised"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == &actor));
            continue;
        }
        assert!(!text.contains(secret), "{secret} is in the proof file");
    }
    let key = json(&run(
        &["--data-dir", d, "--json", "audit", "verify"],
        "",
        &env,
    ));
    assert!(key["broken"].is_null());
    let proof: serde_json::Value = serde_json::from_str(&text).unwrap();
    let key = proof["public_key"].as_str().unwrap().to_string();

    // Checked anywhere: no data directory, no keychain.
    let ok = json(&run(
        &[
            "--json",
            "audit",
            "verify-proof",
            f,
            "--key",
            &key,
            "--authorised",
            &authorised,
        ],
        "",
        &[],
    ));
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(ok["kind"], "wallet_restore");
    assert!(ok["summary"].as_str().unwrap().starts_with("Proven"));

    let refused = |text: &str, args: &[&str], what: &str| {
        let mut all = vec!["--json", "audit", "verify-proof", "-"];
        all.extend_from_slice(args);
        let e = run(&all, text, &[]);
        assert!(!e.status.success(), "{what} was accepted");
        json(&e)["error"]["message"].as_str().unwrap().to_string()
    };
    // A tampered statement.
    let tampered = text.replace("\"wallet_restore\"", "\"wallet_delete\"");
    assert!(refused(&tampered, &["--key", &key], "another kind").contains("does not hold"));
    let later = text.replace(
        &format!("\"from_ms\": {}", at - 60_000),
        &format!("\"from_ms\": {}", at + 1),
    );
    assert_ne!(later, text);
    assert!(refused(&later, &["--key", &key], "a narrower window").contains("does not hold"));
    // Another key.
    let other = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    assert!(refused(&text, &["--key", other], "another key").contains("signed by"));
    // Another set than the checker expects.
    assert!(
        refused(&text, &["--authorised", "desktop:auditor"], "another set").contains("another set")
    );

    // Refused before proving, with the reason.
    let prove = |window: &str, authorised: &str| {
        let e = run(
            &[
                "--data-dir",
                d,
                "--json",
                "audit",
                "prove",
                "--entry",
                "0",
                "--window",
                window,
                "--authorised",
                authorised,
            ],
            "",
            &env,
        );
        assert!(!e.status.success());
        json(&e)["error"]["message"].as_str().unwrap().to_string()
    };
    let before = format!("{}..{}", at - 60_000, at - 1);
    assert!(prove(&before, &authorised).contains("outside the window"));
    assert!(prove(&window, "desktop:auditor").contains("not in the authorised set"));
    assert!(prove("yesterday", &authorised).contains("T0..T1"));
    assert!(prove("2026-12-02..2026-12-01", &authorised).contains("ends before it starts"));
    // Dates work as window ends: a whole day around the entry.
    let day = run(
        &[
            "--data-dir",
            d,
            "--json",
            "audit",
            "prove",
            "--entry",
            "1",
            "--window",
            "2020-01-01..2099-12-31",
            "--authorised",
            &actor,
        ],
        "",
        &env,
    );
    assert!(
        day.status.success(),
        "{}",
        String::from_utf8_lossy(&day.stderr)
    );
    let ok = json(&run(
        &["--json", "audit", "verify-proof", "-", "--key", &key],
        &String::from_utf8_lossy(&day.stdout),
        &[],
    ));
    assert_eq!(ok["ok"], true, "{ok}");
    // Making a proof is itself in the log.
    let made = json(&run(
        &[
            "--data-dir",
            d,
            "--json",
            "audit",
            "list",
            "--kind",
            "audit_proof",
        ],
        "",
        &env,
    ));
    assert_eq!(
        made.as_array().unwrap().len(),
        4,
        "two proofs and two refusals… {made}"
    );
}
