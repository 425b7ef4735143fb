#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests (real
# SQLite files, the real OS keychain in a private D-Bus session), generated IPC
# types, and end-to-end tests of the built app in a real webview under Xvfb.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
started=$(date +%s)
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-test.XXXXXX")
trap 'rm -rf "$log_dir"' EXIT

step "Checking tools and packages"
APT_PACKAGES+=("${TEST_APT_PACKAGES[@]}")
ensure_apt_packages
ensure_rust
# LND and btcd (only the integration tests need them) build in the background
# while the checks below compile Rust: on a new machine that overlaps the Go
# module downloads and the Go build with the rest (measured: 6.7 minutes alone).
regtest_log="$log_dir/regtest-build.log"
start_regtest_bins_build "$regtest_log"
ensure_node_modules
ensure_tauri_driver
ensure_cargo_deny
ensure_hwi
ensure_speculos

step "UI: lint"
(cd ui && npx --no-install eslint src tests)

step "UI: unit tests (formatting helpers, no import cycles)"
(cd ui && npm test --silent) 2>&1 | tee "$log_dir/ui-test.log" | grep -E '^(not ok|# (pass|fail))' || true
grep -qE '^# fail 0' "$log_dir/ui-test.log" || { cat "$log_dir/ui-test.log"; die "UI unit tests failed"; }
build_ui

step "Rust: formatting"
cargo fmt --all -- --check

step "Supply chain: licenses, duplicate versions, sources (cargo deny; see deny.toml)"
cargo deny --locked check licenses bans sources
advisories_check

step "Supply chain: the UI's runtime packages (npm audit --omit=dev)"
npm_audit

step "Rust: the core and the CLI build without Tauri"
# (The trees are read whole before grep: `grep -q` stopping early would make
# cargo tree fail on a closed pipe, which pipefail turns into "no match".)
core_tree=$(cargo tree --locked -p switchyard-core -p switchyard-cli -e normal,build --prefix none)
if grep -qiE '^(tauri|wry|tao) ' <<<"$core_tree"; then
  die "switchyard-core or switchyard-cli depends on Tauri; the core must stay GUI-free"
fi

step "Rust: layering (switchyard-pure and switchyard-zk have no I/O; the shipped binaries do not link LDK)"
pure_tree=$(cargo tree --locked -p switchyard-pure -p switchyard-zk -e normal,build --prefix none)
io_deps=$(awk '{print $1}' <<<"$pure_tree" | grep -xE 'tokio|sqlx.*|tonic.*|hyper.*|keyring|tauri.*|wry|tao|reqwest|mio|rusqlite|libsqlite3-sys' \
  | sort -u || true)
[ -z "$io_deps" ] || die "switchyard-pure and switchyard-zk must stay free of I/O, but depend on: $(echo $io_deps)"
shipped_tree=$(cargo tree --locked -p switchyard-cli -p switchyard-desktop -e normal --prefix none)
if grep -qE '^lightning ' <<<"$shipped_tree"; then
  die "the shipped binaries link LDK (lightning); the router comparison belongs in crates/bench"
fi

step "Rust: layering inside the core (api on top; node modules hold a connection, not the whole node)"
# Only the face-level facade (context.rs) may use the IPC error type.
below_api=$(grep -rlE 'crate::api(::|\b)' crates/core/src --include='*.rs' | grep -vxE 'crates/core/src/(api|context|lib)\.rs' || true)
[ -z "$below_api" ] || die "modules below the IPC layer import crate::api: $(echo $below_api)"
# NodeService only puts the node layer together; its parts never reach for it.
god_refs=$(grep -rl 'NodeService' crates/core/src/node --include='*.rs' | grep -vxE 'crates/core/src/node/(service|mod)\.rs' || true)
[ -z "$god_refs" ] || die "node modules use NodeService instead of what they need: $(echo $god_refs)"
# The event stream feeds the routing service through GraphFeed; it does not import routes.
if grep -qE '(super|crate::node)::routes' crates/core/src/node/events.rs; then
  die "node/events.rs imports routes; feed the graph through events::GraphFeed"
fi

step "Rust: clippy (warnings are errors)"
cargo clippy --locked --workspace --all-targets --quiet -- -D warnings

step "Rust: API docs of the core, the pure crate and the zk crate (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet -p switchyard-pure -p switchyard-zk -p switchyard-core

finish_regtest_bins_build "$regtest_log"

step "Rust: unit and integration tests (real SQLite, real Secret Service, real regtest network)"
export SWITCHYARD_KEYCHAIN_SERVICE="org.switchyard.test.$$"
scripts/with-keyring.sh cargo test --locked --workspace 2>&1 | tee "$log_dir/cargo-test.log"

step "IPC types: ui/src/bindings matches the Rust types"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  drift=$(git status --porcelain -- ui/src/bindings)
  [ -z "$drift" ] || { echo "$drift"; die "ui/src/bindings is out of date: commit the files 'cargo test' regenerated"; }
fi

step "End to end: the built app in a real webview (Xvfb + tauri-driver + WebKitWebDriver)"
cargo build --locked --bin switchyard-desktop --bin switchyard --quiet
export SWITCHYARD_APP="$CARGO_TARGET_DIR/debug/switchyard-desktop"
export SWITCHYARD_CLI="$CARGO_TARGET_DIR/debug/switchyard"
export E2E_ARTIFACTS="$ROOT/artifacts/e2e"
rm -rf "$E2E_ARTIFACTS"
xvfb-run -a -s "-screen 0 1280x900x24" scripts/with-keyring.sh \
  node --test --test-concurrency=1 --test-reporter=spec tests/e2e/ 2>&1 | tee "$log_dir/e2e.log" \
  | grep -vE '^(dbus-daemon|\(/usr/libexec|\*\* \(xdg|\[[WE]\]\[|SpiRegistry|Ignoring invalid max threads)' || true
grep -qE '^ℹ fail 0' "$log_dir/e2e.log" || die "end-to-end tests failed (screenshots in $E2E_ARTIFACTS)"
echo "screenshots: $E2E_ARTIFACTS"

rust_passed=$(grep -oE 'test result: ok\. [0-9]+ passed' "$log_dir/cargo-test.log" | awk '{s+=$4} END {print s+0}')
e2e_passed=$(grep -oE '^ℹ pass [0-9]+' "$log_dir/e2e.log" | awk '{print $3}')
ui_passed=$(grep -oE '^# pass [0-9]+' "$log_dir/ui-test.log" | awk '{print $3}')
printf '\nAll checks passed in %ss.\n' "$(( $(date +%s) - started ))"
printf 'summary: %d passed, 0 failed\n' "$(( rust_passed + ui_passed + e2e_passed ))"
