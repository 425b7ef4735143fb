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
export SCRATCH="$scratch"
dbus-run-session -- bash -c '
  set -euo pipefail
  # --unlock reads the password from stdin and creates the login keyring.
  # --foreground keeps the daemon our child with its stderr, so should it die
  # we know how (exit status, signal) and why (its last words).
  log="$SCRATCH/keyring-daemon.log"
  (
    code=0
    printf "switchyard-test" | gnome-keyring-daemon --foreground --unlock --components=secrets \
      > "$SCRATCH/keyring-env" 2> "$log" || code=$?
    echo "$code" > "$SCRATCH/keyring-exit"
  ) &
  # Wait until that daemon owns the Secret Service name before any client
  # asks for it. A client that comes first makes D-Bus activate a second
  # daemon (`--start --foreground`, measured: 2 sessions in 10), and when one
  # of the two later goes away, the name is re-activated as a fresh daemon
  # whose login keyring is locked: every keychain call then fails ("Cannot
  # create an item in a locked collection", a CI failure of init_wallet).
  owned() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
  }
  for _ in $(seq 1 200); do owned && break; sleep 0.05; done
  owned || { echo "with-keyring: the keyring daemon never took the Secret Service name" >&2; exit 1; }
  # Wait until the default collection accepts a write: clients that arrive in
  # the first moments can otherwise find it locked.
  for _ in $(seq 1 100); do
    if printf probe | secret-tool store --label="switchyard probe" switchyard-probe ready 2>/dev/null; then
      secret-tool clear switchyard-probe ready 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  # Should the daemon still die while the command runs, say so loudly with
  # its exit status and last words: later keychain errors then have their cause.
  me=$$
  (
    while [ ! -e "$SCRATCH/keyring-exit" ] && kill -0 "$me" 2>/dev/null; do sleep 0.5; done
    if kill -0 "$me" 2>/dev/null; then
      code=$(cat "$SCRATCH/keyring-exit")
      how="exit status $code"
      [ "$code" -gt 128 ] && how="signal $((code - 128)) ($(kill -l $((code - 128)) 2>/dev/null || true))"
      echo "with-keyring: THE TEST KEYRING DAEMON DIED at $(date +%T) while the command ran: $how; its last words:" >&2
      tail -n 20 "$log" | sed "s/^/with-keyring:   /" >&2
    fi
  ) &
  # The daemon exits with this D-Bus session.
  exec "$@"
' bash "$@"
