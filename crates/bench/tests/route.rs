//! `switchyard-bench route`: runs small in a debug build and reports every figure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard-bench"))
        .args(args)
        .output()
        .expect("spawn switchyard-bench")
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

#[test]
fn bench_route_compares_with_ldk_on_the_same_graph() {
    // Small and in a debug build: this checks the benchmark runs and
    // reports every figure; the numbers that matter come from --release.
    let args = [
        "--json",
        "route",
        "--nodes",
        "400",
        "--channels",
        "1600",
        "--queries",
        "25",
        "--updates",
        "2000",
        "--seed",
        "3",
    ];
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    assert_eq!(r["queries"], 25);
    assert_eq!(r["nodes"], 400);
    assert_eq!(r["channels"], 1600);
    assert!(r["ours"]["found"].as_u64().unwrap() > 15, "{r}");
    assert!(r["ldk"]["found"].as_u64().unwrap() > 15, "{r}");
    assert!(r["ours"]["p50_us"].as_f64().unwrap() > 0.0);
    assert!(r["ldk"]["updates_per_sec"].as_f64().unwrap() > 0.0);
    assert!(r["ours"]["heap_mib"].as_f64().unwrap() > 0.0);
    // The app's preview path gives the router's own best route every time.
    assert_eq!(r["plan_agrees"], 25, "{r}");
    assert!(r["plan_p50_us"].as_f64().unwrap() > 0.0);
    // Our fee is never more than 1% over LDK's on the same query.
    assert_eq!(r["ours_worse_over_1pct"], 0, "{r}");
    let text = run(&args[1..]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(
        t.contains("route p50 (µs)") && t.contains("LDK 0.2.7"),
        "{t}"
    );
    // A graph file that is not one: the error names the problem.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("graph.json");
    std::fs::write(&bad, "{\"edges\":[{\"channel_id\":\"x\"}]}").unwrap();
    let out = run(&["--json", "route", "--graph", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let e = json(&out);
    assert_eq!(e["error"]["code"], "invalid_request");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Edge 0 (channel x)"),
        "{e}"
    );
}
