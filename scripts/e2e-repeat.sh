#!/usr/bin/env bash
# Runs the end-to-end suite N times in a row (default 20) against one build,
# to show it never fails by chance: stops at the first failure, keeping that
# run's log and screenshots, and prints how many runs passed in a row.
#   scripts/e2e-repeat.sh [N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
runs="${1:-20}"
ensure_apt_packages
ensure_rust
ensure_node_modules
ensure_tauri_driver
ensure_regtest_bins
build_ui
cargo build --locked --bin switchyard-desktop --bin switchyard --quiet
export SWITCHYARD_APP="$CARGO_TARGET_DIR/debug/switchyard-desktop"
export SWITCHYARD_CLI="$CARGO_TARGET_DIR/debug/switchyard"
out="$ROOT/artifacts/e2e-repeat"
rm -rf "$out"
mkdir -p "$out"
passed=0
for i in $(seq 1 "$runs"); do
  export E2E_ARTIFACTS="$out/run-$i"
  export SWITCHYARD_KEYCHAIN_SERVICE="org.switchyard.test.e2e.$$.$i"
  started=$(date +%s)
  if xvfb-run -a -s "-screen 0 1280x900x24" scripts/with-keyring.sh \
      node --test --test-concurrency=1 --test-reporter=spec tests/e2e/ >"$out/run-$i.log" 2>&1 \
      && grep -qE '^ℹ fail 0' "$out/run-$i.log"; then
    passed=$((passed + 1))
    printf 'run %d: passed in %ss\n' "$i" "$(( $(date +%s) - started ))"
    rm -rf "$E2E_ARTIFACTS"
  else
    printf 'run %d: FAILED after %ss (log: %s, screenshots: %s)\n' "$i" "$(( $(date +%s) - started ))" "$out/run-$i.log" "$E2E_ARTIFACTS"
    grep -E '^not ok|Error|error' "$out/run-$i.log" | head -20 || true
    printf '\n%d of %d runs passed in a row before the failure.\n' "$passed" "$runs"
    exit 1
  fi
done
printf '\nAll %d runs passed in a row.\n' "$passed"
