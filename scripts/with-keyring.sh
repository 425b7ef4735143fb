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
  keyring_pid=$(pgrep -u "$(id -u)" -n gnome-keyring-d || true)
  set +e
  "$@"
  status=$?
  [ -n "$keyring_pid" ] && kill "$keyring_pid" 2>/dev/null
  exit $status
' bash "$@"
