#!/usr/bin/env bash
# Sets everything up, starts (or reuses) the local regtest Lightning network
# in the data directory, and opens Switchyard.
#   scripts/run.sh [--data-dir DIR]      (other arguments go to the app)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

step "Checking tools and packages"
ensure_apt_packages
ensure_rust
ensure_node_modules
ensure_regtest_bins
ensure_hwi
build_ui
step "Building Switchyard"
cargo build --bin switchyard-desktop --bin switchyard --quiet

app="$CARGO_TARGET_DIR/debug/switchyard-desktop"
cli="$CARGO_TARGET_DIR/debug/switchyard"
data_args=()
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    --data-dir) j=$((i + 1)); data_args=(--data-dir "${!j}") ;;
    --data-dir=*) data_args=(--data-dir "${!i#--data-dir=}") ;;
  esac
done
step "Starting the local regtest network (btcd + alice, bob, carol) or reusing the running one"
"$cli" "${data_args[@]}" regtest up | sed -n '1p;/^Channels:/,/^$/p'
echo "(stop it with: $cli ${data_args[*]} regtest down)"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  die "no display: run this in a desktop session. (Headless, scripts/test.sh drives the app under Xvfb.)"
fi
step "Starting Switchyard (CLI: $cli)"
exec "$app" "$@"
