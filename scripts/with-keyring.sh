#!/usr/bin/env bash
# Runs a command inside a private D-Bus session whose Secret Service is a
# gnome-keyring with a throwaway, unlocked "login" keyring: the real OS
# keychain code path, without touching the user's own keyring.
#   scripts/with-keyring.sh cargo test ...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-keyring.XXXXXX")
# xdg-document-portal may leave a FUSE mount under the runtime dir.
cleanup() {
  fusermount -uz "$scratch/runtime/doc" 2>/dev/null || true
  rm -rf "$scratch" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$scratch/data" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime"
dbus-run-session -- bash -c '
  set -euo pipefail
  # --unlock reads the password from stdin and creates the login keyring.
  eval "$(printf "switchyard-test" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  # Wait until the default collection accepts a write: clients that arrive in
  # the first moments can otherwise find it locked.
  for _ in $(seq 1 100); do
    if printf probe | secret-tool store --label="switchyard probe" switchyard-probe ready 2>/dev/null; then
      secret-tool clear switchyard-probe ready 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  # The daemon exits with this D-Bus session.
  exec "$@"
' bash "$@"
