//! The Tauri command names are listed once (src-tauri/commands.txt, which
//! build.rs declares); this checks every other place that names them agrees:
//! the handlers main.rs registers, the grants in the capability file, and the
//! commands the UI calls (ui/src/api.ts).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn listed() -> BTreeSet<String> {
    read("src-tauri/commands.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// `commands::module::name,` lines inside `generate_handler![…]`.
fn registered() -> BTreeSet<String> {
    let main = read("src-tauri/main.rs");
    let start = main
        .find("generate_handler![")
        .expect("generate_handler! in main.rs");
    let end = start + main[start..].find(']').expect("end of generate_handler!");
    main[start + "generate_handler![".len()..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.rsplit("::").next().unwrap().to_string())
        .collect()
}

/// `"allow-name"` grants in the capability file, as command names.
fn granted() -> BTreeSet<String> {
    let cap: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/main.json")).unwrap();
    cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

/// Names passed to `call…("name"` in the UI's one IPC module.
fn called() -> BTreeSet<String> {
    let api = read("ui/src/api.ts");
    let mut out = BTreeSet::new();
    for (i, _) in api.match_indices("call<") {
        let line = api[i..].lines().next().unwrap_or_default();
        // `call<T>("name"`; the function's own definition has no quote.
        let Some(open) = line.find(">(\"") else {
            continue;
        };
        let name = &line[open + 3..];
        out.insert(name[..name.find('"').unwrap()].to_string());
    }
    out
}

fn diff(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.symmetric_difference(b).cloned().collect()
}

#[test]
fn every_place_that_names_a_command_agrees_with_the_one_list() {
    let list = listed();
    assert!(list.len() > 40, "the list was read: {list:?}");
    assert_eq!(diff(&list, &registered()), Vec::<String>::new(), "main.rs");
    assert_eq!(
        diff(&list, &granted()),
        Vec::<String>::new(),
        "capabilities/main.json"
    );
    let called = called();
    let unknown: Vec<_> = called.difference(&list).collect();
    assert!(
        unknown.is_empty(),
        "ui/src/api.ts calls unlisted commands: {unknown:?}"
    );
    let uncalled: Vec<_> = list.difference(&called).collect();
    assert!(
        uncalled.is_empty(),
        "listed but never called by the UI: {uncalled:?}"
    );
}
