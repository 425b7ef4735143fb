#!/usr/bin/env bash
# Sets everything up and opens Switchyard.
#   scripts/run.sh [--data-dir DIR]      (other arguments go to the app)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

step "Checking tools and packages"
ensure_apt_packages
ensure_rust
ensure_node_modules
build_ui
step "Building Switchyard"
cargo build --bin switchyard-desktop --bin switchyard --quiet

app="$CARGO_TARGET_DIR/debug/switchyard-desktop"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  die "no display: run this in a desktop session. (Headless, scripts/test.sh drives the app under Xvfb.)"
fi
step "Starting Switchyard (CLI: $CARGO_TARGET_DIR/debug/switchyard)"
exec "$app" "$@"
