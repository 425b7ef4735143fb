#!/usr/bin/env bash
# Benchmark of the desktop app (release build): cold start to first paint,
# idle memory (PSS of the app and its WebKit processes), binary size.
#   scripts/bench-app.sh [RUNS]      (default 5)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
runs="${1:-5}"
ensure_apt_packages
ensure_rust
ensure_node_modules
build_ui
step "Building the release app"
cargo build --release --bin switchyard-desktop --quiet
app="$CARGO_TARGET_DIR/release/switchyard-desktop"
step "Measuring ($runs runs, each with a fresh data directory, under Xvfb)"
xvfb-run -a -s "-screen 0 1280x900x24" scripts/with-keyring.sh \
  python3 scripts/bench_app.py "$app" "$runs" 2> >(grep -vE '^(dbus-daemon|\(/usr/libexec|\*\* \(xdg|\[[WE]\]\[|SpiRegistry|Ignoring invalid max threads|$)' >&2)
