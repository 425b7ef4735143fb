//! `switchyard regtest up|status|pay|mine|down` as a tester uses them, with
//! `--json`, against a real network; `down` leaves no process behind.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use serde_json::Value;
use std::process::Command;

fn cli(args: &[&str], envs: &[(&str, &str)]) -> (bool, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    cmd.arg("--json").args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), v)
}

fn cli_stdin(args: &[&str], input: &str) -> (bool, Value) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .arg("--json")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.success(), v)
}

fn running_pids(dir: &str) -> Vec<u32> {
    switchyard_regtest::process::live_pids_mentioning(dir)
}

/// Runs `regtest down --purge` when dropped, so a failing test stops its network too.
struct Down(String);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = cli(&["regtest", "down", "--dir", &self.0, "--purge"], &[]);
        for pid in running_pids(&self.0) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

#[test]
fn regtest_commands_end_to_end() {
    // The network lives where the app looks for it: DATA_DIR/regtest.
    let data = std::env::temp_dir().join(format!("switchyard-cli-regtest-{}", std::process::id()));
    let dir = data.join("regtest");
    let d = dir.to_str().unwrap();
    let data_s = data.to_str().unwrap();
    let _down = Down(d.to_string());
    // Its own data directory: the swap provider `up` starts keeps its
    // database there, and two tests sharing one raced to make it.
    let (ok, up) = cli(&["--data-dir", data_s, "regtest", "up", "--dir", d], &[]);
    assert!(ok, "{up}");
    assert_eq!(up["start"], "created");
    assert_eq!(up["profiles"].as_array().unwrap().len(), 3);
    assert!(up["profiles"][0]["lndconnect"]
        .as_str()
        .unwrap()
        .starts_with("lndconnect://127.0.0.1:"));
    assert_eq!(up["channels"].as_array().unwrap().len(), 4);
    assert_eq!(
        running_pids(d).len(),
        5,
        "btcd, three LND nodes and the swap provider on carol"
    );
    assert!(up["provider"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));

    // `up` again reuses it.
    let (_, again) = cli(&["--data-dir", data_s, "regtest", "up", "--dir", d], &[]);
    assert_eq!(again["start"], "reused");

    let (ok, status) = cli(&["regtest", "status", "--dir", d], &[]);
    assert!(ok && status["btcd_running"] == true);
    for n in status["nodes"].as_array().unwrap() {
        assert_eq!(n["running"], true);
        assert!(n["active_channels"].as_u64().unwrap() >= 2, "{n}");
        assert!(n["onchain_sat"].as_u64().unwrap() > 300_000_000, "{n}");
    }

    let (ok, paid) = cli(
        &[
            "regtest", "pay", "alice", "carol", "15000", "--via", "bob", "--dir", d,
        ],
        &[],
    );
    assert!(ok, "{paid}");
    assert_eq!(paid["hops"], serde_json::json!(["bob", "carol"]));

    let height = status["height"].as_u64().unwrap();
    let (ok, mined) = cli(&["regtest", "mine", "2", "--dir", d], &[]);
    assert!(ok);
    assert_eq!(mined["height"].as_u64().unwrap(), height + 2);

    let (ok, bad) = cli(&["regtest", "pay", "alice", "carol", "0", "--dir", d], &[]);
    assert!(!ok && bad["error"]["code"] == "invalid_request");

    // Node commands on the network's nodes (--node picks one; default alice).
    let node = |args: &[&str]| {
        let mut a = vec!["--data-dir", data_s];
        a.extend_from_slice(args);
        cli(&a, &[])
    };
    let (ok, bal) = node(&["balance"]);
    assert!(
        ok && bal["onchain_confirmed_sat"].as_u64().unwrap() > 100_000_000,
        "{bal}"
    );
    let (ok, list) = node(&["channel", "list"]);
    assert!(ok, "{list}");
    let active = list["channels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "active")
        .count();
    assert_eq!(active, 2, "{list}");
    let (ok, inv) = node(&[
        "--node", "carol", "invoice", "create", "2100", "--memo", "cli",
    ]);
    assert!(ok, "{inv}");
    let pr = inv["payment_request"].as_str().unwrap();
    let (ok, preview) = node(&["invoice", "decode", pr]);
    assert!(ok && preview["amount_msat"] == 2_100_000, "{preview}");
    let (ok, paid) = node(&["pay", pr, "--fee-limit-sat", "20"]);
    assert!(ok && paid["status"] == "succeeded", "{paid}");
    let (ok, again) = node(&["pay", pr]);
    assert!(!ok && again["error"]["code"] == "already_paid", "{again}");
    let (ok, garbage) = node(&["pay", "lnbcrt1garbage"]);
    assert!(
        !ok && garbage["error"]["code"] == "invalid_invoice",
        "{garbage}"
    );
    let (ok, hist) = node(&["payments"]);
    assert!(
        ok && hist
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["payment_hash"] == inv["payment_hash"])
    );
    let (ok, addr) = node(&["--node", "bob", "onchain", "address", "--kind", "p2tr"]);
    assert!(
        ok && addr["address"].as_str().unwrap().starts_with("bcrt1p"),
        "{addr}"
    );
    let (ok, nobody) = node(&["--node", "dave", "balance"]);
    assert!(
        !ok && nobody["error"]["code"] == "profile_not_found",
        "{nobody}"
    );

    // Profiles: the network's nodes are listed, alice in use; a profile
    // added from bob's lndconnect link (macaroon into the keychain) becomes
    // the default for every command once chosen.
    let (ok, profiles) = node(&["node", "profiles"]);
    assert!(ok, "{profiles}");
    let names: Vec<&str> = profiles
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(profiles[0]["active"], true);
    let link = up["profiles"][1]["lndconnect"].as_str().unwrap();
    let (ok, added) = cli_stdin(
        &[
            "--data-dir",
            data_s,
            "node",
            "add",
            "bob link",
            "--lndconnect-stdin",
        ],
        link,
    );
    assert!(ok && added["kind"] == "stored", "{added}");
    let (ok, bad_link) = cli_stdin(
        &[
            "--data-dir",
            data_s,
            "node",
            "add",
            "junk",
            "--lndconnect-stdin",
        ],
        "lndconnect://host:99999?macaroon=00",
    );
    assert!(
        !ok && bad_link["error"]["code"] == "invalid_lndconnect",
        "{bad_link}"
    );
    let (ok, _) = node(&["node", "use", "bob link"]);
    assert!(ok);
    let (ok, st) = node(&["node", "status"]);
    assert!(
        ok && st["alias"] == "bob" && st["profile"] == "bob link",
        "{st}"
    );
    let (ok, refused) = node(&["node", "remove", "bob link"]);
    assert!(
        !ok && refused["error"]["code"] == "not_confirmed",
        "{refused}"
    );
    let (ok, _) = node(&["node", "remove", "bob link", "--yes"]);
    assert!(ok);
    let (ok, st) = node(&["node", "status"]);
    assert!(
        ok && st["alias"] == "alice",
        "back to the first regtest node: {st}"
    );

    // Route preview with our router beside LND's, and paying along it.
    let (ok, inv2) = node(&[
        "--node", "carol", "invoice", "create", "3000", "--memo", "route",
    ]);
    assert!(ok, "{inv2}");
    let pr2 = inv2["payment_request"].as_str().unwrap();
    let (ok, p) = node(&["route", "--to", pr2]);
    assert!(ok && !p["routes"].as_array().unwrap().is_empty(), "{p}");
    assert!(p["lnd"].is_object(), "{p}");
    let (ok, paid) = node(&["route", "--to", pr2, "--pay"]);
    assert!(ok && paid["payment"]["succeeded"] == true, "{paid}");
    let nowhere = format!("02{}", "11".repeat(32));
    let (ok, none) = node(&["route", "--to", &nowhere, "--amt-sat", "1000"]);
    assert!(
        ok && none["error"]
            .as_str()
            .unwrap()
            .contains("not in the channel graph"),
        "{none}"
    );
    let scids: Vec<String> = list["channels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "active")
        .map(|c| c["scid"].as_str().unwrap().to_string())
        .collect();
    let (ok, plan) = node(&[
        "rebalance",
        "--out",
        &scids[0],
        "--in",
        &scids[1],
        "--amt-sat",
        "1000",
        "--dry-run",
    ]);
    assert!(
        ok && plan["route"]["hops"].as_array().unwrap().len() >= 2,
        "{plan}"
    );
    assert!(plan["payment"].is_null());

    // Coins, batch-open input checks, and the accounting export.
    let (ok, coins) = node(&["onchain", "utxos"]);
    assert!(ok && !coins.as_array().unwrap().is_empty(), "{coins}");
    let (ok, batch) = node(&["channel", "open-batch", "--channel", "nonsense"]);
    assert!(
        !ok && batch["error"]["code"] == "invalid_request",
        "{batch}"
    );
    let csv = data.join("history.csv");
    let (ok, export) = node(&["history", "--csv", csv.to_str().unwrap()]);
    assert!(ok && export["rows"].as_u64().unwrap() > 0, "{export}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("time_utc,unix_time,kind,"));
    assert!(text.contains(",payment_sent,"), "{text}");
    assert!(text.contains(",channel_open,"), "{text}");

    let (ok, _) = cli(&["regtest", "down", "--dir", d, "--purge"], &[]);
    assert!(ok);
    assert!(running_pids(d).is_empty(), "down leaves no process behind");
    assert!(!dir.exists());
    let _ = std::fs::remove_dir_all(&data);

    let (ok, none) = cli(&["regtest", "status", "--dir", d], &[]);
    assert!(
        !ok && none["error"]["code"] == "regtest_not_running",
        "{none}"
    );
}

#[test]
fn missing_binaries_are_a_clear_error() {
    let (ok, v) = cli(
        &["regtest", "up", "--dir", "/tmp/switchyard-never-created"],
        &[("SWITCHYARD_REGTEST_BIN", "/nonexistent/regtest-bin")],
    );
    assert!(!ok);
    assert_eq!(v["error"]["code"], "regtest_missing_binary");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("tools/regtest/build.sh"));
}

#[test]
fn an_interrupted_up_leaves_nothing_untracked() {
    let dir =
        std::env::temp_dir().join(format!("switchyard-cli-interrupted-{}", std::process::id()));
    let d = dir.to_str().unwrap().to_string();
    let data = std::env::temp_dir().join(format!(
        "switchyard-cli-interrupted-data-{}",
        std::process::id()
    ));
    let data_s = data.to_str().unwrap().to_string();
    let _down = Down(d.clone());
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["--data-dir", &data_s, "regtest", "up", "--dir", &d])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (no chance to clean up) once btcd and a node have been spawned.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let state: Value = std::fs::read_to_string(dir.join("network.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        if state["nodes"].as_array().is_some_and(|n| !n.is_empty()) {
            assert_eq!(state["complete"], false);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "up never recorded its daemons"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let orphans = running_pids(&d);
    assert!(
        !orphans.is_empty(),
        "the daemons outlive the killed command"
    );

    // The next `up` stops them and starts afresh.
    let (ok, up) = cli(&["--data-dir", &data_s, "regtest", "up", "--dir", &d], &[]);
    assert!(ok, "{up}");
    assert_eq!(up["start"], "recreated");
    let now = running_pids(&d);
    assert!(
        orphans.iter().all(|p| !now.contains(p)),
        "orphans were stopped"
    );
    assert_eq!(now.len(), 5, "btcd, three LND nodes and the swap provider");
    let (ok, _) = cli(&["regtest", "down", "--dir", &d, "--purge"], &[]);
    assert!(ok);
    assert!(running_pids(&d).is_empty());
    let _ = std::fs::remove_dir_all(&data);
}
