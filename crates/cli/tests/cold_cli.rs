//! Cold storage from the command line on the real regtest network: a
//! wallet's account imported into alice's LND (`wallet lnd-import`, dry run
//! first), funded by bob, spent with `onchain send --psbt` (the review
//! alone without `--yes`, the coins released; with `--yes` signed by the
//! wallet's seed and published); a channel to carol funded from it through
//! LND's PSBT shim (`channel open --psbt`: above the fee limit refused; the
//! review alone cancels the open and releases the coins; with `--yes` LND
//! publishes and the channel opens) and a batch of two channels in one
//! transaction (`channel open-batch --psbt`); a swap in (our provider on
//! carol) whose lockup the account funds (`swap fund --psbt`), run to its
//! end; a watch-only wallet of the same account
//! (`wallet import-watch`) watches the same addresses and, with no device
//! connected, says so.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use switchyard_regtest::network::NetworkOptions;

const WORDS: &str = "legal winner thank year wave sausage worth useful legal winner thank yellow";

struct Cli {
    dir: std::path::PathBuf,
    service: String,
    node: Vec<String>,
}

impl Cli {
    fn run(&self, args: &[&str], stdin: &str) -> (bool, Value) {
        let mut all: Vec<String> = vec![
            "--data-dir".into(),
            self.dir.display().to_string(),
            "--json".into(),
        ];
        all.extend(self.node.iter().cloned());
        all.extend(args.iter().map(|s| s.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .args(&all)
            .env("SWITCHYARD_KEYCHAIN_SERVICE", &self.service)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {} {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.success(), v)
    }

    /// Starts a long-running command (its output is not read).
    fn spawn(&self, args: &[&str]) -> std::process::Child {
        let mut all: Vec<String> = vec!["--data-dir".into(), self.dir.display().to_string()];
        all.extend(self.node.iter().cloned());
        all.extend(args.iter().map(|s| s.to_string()));
        Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .args(&all)
            .env("SWITCHYARD_KEYCHAIN_SERVICE", &self.service)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (ok, v) = self.run(args, "");
        assert!(ok, "{args:?}: {v}");
        v
    }

    fn err(&self, args: &[&str]) -> Value {
        let (ok, v) = self.run(args, "");
        assert!(!ok, "{args:?} should fail: {v}");
        v["error"].clone()
    }
}

fn balance(cli: &Cli) -> (u64, u64) {
    let b = cli.ok(&["wallet", "balance", "cold"]);
    (
        b["confirmed_sat"].as_u64().unwrap(),
        b["unconfirmed_sat"].as_u64().unwrap(),
    )
}

fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn cold_storage_from_the_command_line() {
    let mut net = switchyard_regtest::Network::up(NetworkOptions::temp("coldcli")).unwrap();
    let p = net.node("alice").unwrap().profile().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli {
        dir: dir.path().to_path_buf(),
        service: format!("org.switchyard.test.coldcli.{}", std::process::id()),
        node: vec![
            "--grpc-host".into(),
            p.grpc_host.clone(),
            "--tls-cert".into(),
            p.tls_cert_path.display().to_string(),
            "--macaroon".into(),
            p.macaroon_path.display().to_string(),
        ],
    };
    let (ok, v) = cli.run(
        &[
            "wallet",
            "restore",
            "--name",
            "cold",
            "--network",
            "regtest",
            "--mnemonic-stdin",
        ],
        &format!("{WORDS}\n"),
    );
    assert!(ok, "{v}");

    // Not imported yet: said so.
    let e = cli.err(&["wallet", "balance", "cold"]);
    assert_eq!(e["code"], "invalid_request");
    assert!(e["message"].as_str().unwrap().contains("lnd-import"), "{e}");

    // The dry run: LND's addresses are ours; nothing imported.
    let dry = cli.ok(&["wallet", "lnd-import", "cold", "--dry-run"]);
    assert_eq!(dry["matches"], true, "{dry}");
    assert_eq!(dry["imported"], false);
    assert_eq!(dry["lnd"]["receive"][0], dry["ours_receive"][0]);
    let e = cli.err(&["wallet", "balance", "cold"]);
    assert_eq!(e["code"], "invalid_request");
    let done = cli.ok(&["wallet", "lnd-import", "cold"]);
    assert_eq!(done["imported"], true);

    // A deposit address of the account: our first receive address.
    let b = cli.ok(&["wallet", "balance", "cold", "--address"]);
    let first = cli.ok(&["wallet", "addresses", "cold", "--count", "1"]);
    assert_eq!(b["address"], first[0]["address"]);
    let deposit = b["address"].as_str().unwrap().to_string();
    let bob = net.node("bob").unwrap().cli_handle();
    bob.json(&["sendcoins", "--addr", &deposit, "--amt", "400000"])
        .unwrap();
    net.mine(1).unwrap();
    until("the deposit confirmed", || balance(&cli) == (400_000, 0));

    let carol = net.node("carol").unwrap().cli_handle();
    let to = carol.json(&["newaddress", "p2wkh"]).unwrap()["address"]
        .as_str()
        .unwrap()
        .to_string();
    let send = |extra: &[&str]| {
        let mut a = vec![
            "onchain",
            "send",
            to.as_str(),
            "150000",
            "--psbt",
            "--wallet",
            "cold",
            "--sat-per-vbyte",
            "3",
        ];
        a.extend_from_slice(extra);
        cli.run(&a, "")
    };

    // No fee limit: refused before LND is asked.
    let (ok, v) = send(&[]);
    assert!(!ok);
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--max-fee"));
    // A limit below the fee: refused, nothing locked.
    let (ok, v) = send(&["--max-fee", "10"]);
    assert!(!ok);
    assert_eq!(v["error"]["code"], "fee_above_limit", "{v}");
    let alice = net.node("alice").unwrap().cli_handle();
    let leases = || {
        alice.json(&["wallet", "listleases"]).unwrap()["locked_utxos"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0)
    };
    assert_eq!(leases(), 0);
    // Without --yes: the review, then the coins released.
    let (ok, v) = send(&["--max-fee", "5000"]);
    assert!(ok, "{v}");
    let review = &v["review"];
    let fee = review["fee"].as_u64().unwrap();
    assert!(fee > 0 && fee <= 5_000);
    let payment = review["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"]["kind"] == "payment" || o["kind"] == "payment")
        .cloned()
        .unwrap_or_else(|| panic!("a payment output: {review}"));
    assert_eq!(payment["address"], to.as_str());
    assert_eq!(payment["value"], 150_000);
    assert!(
        review["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"]["kind"] == "change" || o["kind"] == "change"),
        "LND's change is ours: {review}"
    );
    assert_eq!(leases(), 0, "the review alone locks nothing");
    // With --yes: signed by the wallet's seed, published.
    let (ok, v) = send(&["--max-fee", "5000", "--yes"]);
    assert!(ok, "{v}");
    let txid = v["txid"].as_str().unwrap().to_string();
    let fee = v["review"]["fee"].as_u64().unwrap();
    net.mine(1).unwrap();
    let confirmed = net.btcd.ctl(&["getrawtransaction", &txid, "1"]).unwrap();
    assert!(confirmed.contains("\"confirmations\""), "{confirmed}");
    until("the change confirmed", || {
        balance(&cli) == (400_000 - 150_000 - fee, 0)
    });

    // A channel to carol funded from the account through LND's PSBT shim.
    let peer = net.node("carol").unwrap().profile().unwrap().p2p_uri;
    let open = |extra: &[&str]| {
        let mut a = vec![
            "channel",
            "open",
            peer.as_str(),
            "120000",
            "--psbt",
            "--wallet",
            "cold",
            "--sat-per-vbyte",
            "2",
        ];
        a.extend_from_slice(extra);
        cli.run(&a, "")
    };
    let pending_opens = || {
        alice.json(&["pendingchannels"]).unwrap()["pending_open_channels"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0)
    };
    let before = pending_opens();
    // Above the fee limit: refused, the open cancelled, nothing locked.
    let (ok, v) = open(&["--max-fee", "10"]);
    assert!(!ok);
    assert_eq!(v["error"]["code"], "fee_above_limit", "{v}");
    assert_eq!(leases(), 0);
    // Without --yes: the review shows LND's funding address as the
    // channel's output, our change, the fee; then nothing stays.
    let (ok, v) = open(&["--max-fee", "5000"]);
    assert!(ok, "{v}");
    let outputs = v["review"]["outputs"].as_array().unwrap().clone();
    let funding = outputs
        .iter()
        .find(|o| o["kind"]["kind"] == "channel_funding")
        .unwrap_or_else(|| panic!("a channel funding output: {v}"));
    assert_eq!(funding["value"], 120_000);
    assert_eq!(funding["address"], v["funding_addresses"][0]);
    assert!(outputs.iter().any(|o| o["kind"]["kind"] == "change"), "{v}");
    assert!(
        v["review"]["warnings"].as_array().unwrap().is_empty(),
        "{v}"
    );
    assert_eq!(leases(), 0, "the review alone locks nothing");
    assert_eq!(pending_opens(), before, "the cancelled open left nothing");
    // With --yes: the seed signs, LND publishes once carol has signed.
    let (ok, v) = open(&["--max-fee", "5000", "--yes"]);
    assert!(ok, "{v}");
    let point = v["channels"][0]["channel_point"]
        .as_str()
        .unwrap()
        .to_string();
    let funding_txid = v["channels"][0]["funding_txid"]
        .as_str()
        .unwrap()
        .to_string();
    let open_fee = v["review"]["fee"].as_u64().unwrap();
    assert_eq!(pending_opens(), before + 1);
    net.mine(3).unwrap();
    let confirmed = net
        .btcd
        .ctl(&["getrawtransaction", &funding_txid, "1"])
        .unwrap();
    assert!(confirmed.contains("\"confirmations\""), "{confirmed}");
    until("the channel is active", || {
        let list = cli.ok(&["channel", "list"]);
        list.to_string().contains(&point) && pending_opens() == before
    });
    until("the change of the funding confirmed", || {
        balance(&cli) == (400_000 - 150_000 - fee - 120_000 - open_fee, 0)
    });

    // A batch: channels to carol and to bob in one transaction from the
    // account; LND publishes it once both peers have signed.
    let bob_peer = net.node("bob").unwrap().profile().unwrap().p2p_uri;
    let carol_spec = format!("{peer}=40000");
    let bob_spec = format!("{bob_peer}=50000");
    let (ok, v) = cli.run(
        &[
            "channel",
            "open-batch",
            "--channel",
            &carol_spec,
            "--channel",
            &bob_spec,
            "--psbt",
            "--wallet",
            "cold",
            "--sat-per-vbyte",
            "2",
            "--max-fee",
            "5000",
            "--yes",
        ],
        "",
    );
    assert!(ok, "{v}");
    let batch = v["channels"].as_array().unwrap().clone();
    assert_eq!(batch.len(), 2, "{v}");
    assert_eq!(
        batch[0]["funding_txid"], batch[1]["funding_txid"],
        "one transaction"
    );
    let funding_outputs: Vec<u64> = v["review"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"]["kind"] == "channel_funding")
        .map(|o| o["value"].as_u64().unwrap())
        .collect();
    let mut sorted = funding_outputs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![40_000, 50_000], "{v}");
    let batch_fee = v["review"]["fee"].as_u64().unwrap();
    net.mine(3).unwrap();
    until("both batch channels are active", || {
        let list = cli.ok(&["channel", "list"]).to_string();
        batch
            .iter()
            .all(|c| list.contains(c["channel_point"].as_str().unwrap()))
            && pending_opens() == before
    });
    until("the change of the batch confirmed", || {
        balance(&cli)
            == (
                400_000 - 150_000 - fee - 120_000 - open_fee - 90_000 - batch_fee,
                0,
            )
    });

    // A swap in whose lockup the account funds: our provider on carol (the
    // real `switchyard provider` process), a swap started for funding from
    // another wallet, its lockup funded through a PSBT from the account.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pdir = tempfile::tempdir().unwrap();
    let carol_profile = net.node("carol").unwrap().profile().unwrap();
    let provider_cli = Cli {
        dir: pdir.path().to_path_buf(),
        service: format!("{}.provider", cli.service),
        node: vec![
            "--grpc-host".into(),
            carol_profile.grpc_host.clone(),
            "--tls-cert".into(),
            carol_profile.tls_cert_path.display().to_string(),
            "--macaroon".into(),
            carol_profile.macaroon_path.display().to_string(),
        ],
    };
    let mut provider = provider_cli.spawn(&[
        "provider",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--name",
        "coldp",
        "--submarine-timeout-blocks",
        "100",
        "--reverse-timeout-blocks",
        "100",
        "--fee-rate",
        "2",
    ]);
    until("the provider listens", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let url = format!("http://127.0.0.1:{port}");
    let swap = cli.ok(&[
        "swap",
        "in",
        "--amount",
        "20000",
        "--max-fee",
        "5000",
        "--provider",
        &url,
        "--wallet",
        "cold",
        "--external",
    ]);
    let id = swap["id"].as_str().unwrap().to_string();
    assert_eq!(swap["awaitingFunding"], true, "{swap}");
    let lockup_address = swap["address"].as_str().unwrap().to_string();
    let lockup_amount = swap["onchain"].as_u64().unwrap();
    let fund = |extra: &[&str]| {
        let mut a = vec![
            "swap",
            "fund",
            id.as_str(),
            "--psbt",
            "--wallet",
            "cold",
            "--sat-per-vbyte",
            "2",
            "--max-fee",
            "5000",
        ];
        a.extend_from_slice(extra);
        cli.run(&a, "")
    };
    // The review alone: the lockup is the payment, exactly; nothing stays locked.
    let (ok, v) = fund(&[]);
    assert!(ok, "{v}");
    let pays: Vec<_> = v["review"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"]["kind"] == "payment")
        .cloned()
        .collect();
    assert_eq!(pays.len(), 1, "{v}");
    assert_eq!(pays[0]["address"], lockup_address.as_str());
    assert_eq!(pays[0]["value"], lockup_amount);
    assert_eq!(leases(), 0);
    // Signed by the seed; the swap checks the lockup and alice broadcasts it.
    let (ok, v) = fund(&["--yes"]);
    assert!(ok, "{v}");
    let lockup_txid = v["txid"].as_str().unwrap().to_string();
    assert_eq!(v["swap"]["awaitingFunding"], false, "{v}");
    // A second funding is refused.
    let (ok, v) = fund(&["--yes"]);
    assert!(!ok, "{v}");
    assert_eq!(leases(), 0, "the refused second funding released its coins");
    // The swap runs while blocks come: the provider pays and claims.
    let mut resume = cli.spawn(&["swap", "resume", "--timeout-secs", "180"]);
    let deadline = Instant::now() + Duration::from_secs(180);
    let done = loop {
        // Succeeded once the provider paid and claimed (final only after
        // the time lock, which a submarine swap waits for in case the
        // address is paid again).
        let v = cli.ok(&["swap", "status", &id]);
        if v["outcome"].is_string() {
            break v;
        }
        assert!(Instant::now() < deadline, "the swap did not finish: {v}");
        net.mine(1).unwrap();
        std::thread::sleep(Duration::from_millis(1000));
    };
    let _ = resume.kill();
    let _ = resume.wait();
    assert_eq!(done["outcome"], "succeeded", "{done}");
    assert_eq!(
        done["lockup"][0].as_str().unwrap().split(':').next(),
        Some(lockup_txid.as_str())
    );
    let _ = provider.kill();
    let _ = provider.wait();

    // The same account, watch-only elsewhere: the same addresses; without
    // its device, signing says the device is missing.
    let shown = cli.ok(&["wallet", "show", "cold"]);
    let account = &shown["accounts"][0];
    let fp = shown["wallet"]["fingerprint"].as_str().unwrap().to_string();
    let other = tempfile::tempdir().unwrap();
    let watch = Cli {
        dir: other.path().to_path_buf(),
        service: format!("org.switchyard.test.coldcli.watch.{}", std::process::id()),
        node: cli.node.clone(),
    };
    let w = watch.ok(&[
        "wallet",
        "import-watch",
        "--name",
        "watch",
        "--network",
        "regtest",
        account["slip132"].as_str().unwrap(),
        "--fingerprint",
        &fp,
    ]);
    assert_eq!(w["watch_only"], true);
    let a = watch.ok(&["wallet", "addresses", "watch", "--count", "1"]);
    assert_eq!(a[0]["address"], first[0]["address"]);
    let e = watch.err(&["wallet", "reveal", "watch"]);
    assert_eq!(e["code"], "watch_only", "{e}");
    let e = watch.err(&["device", "verify-address", "watch"]);
    assert!(
        e["code"] == "device_not_found" || e["code"] == "hwi_missing",
        "{e}"
    );
    // A private key pasted by mistake: refused, not echoed.
    let e = watch.err(&[
        "wallet",
        "import-watch",
        "--name",
        "oops",
        "--network",
        "regtest",
        "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK",
    ]);
    assert_eq!(e["code"], "invalid_key");
    assert!(!e.to_string().contains("tprv8ZgxMBicQKsPd7U"), "{e}");
}
