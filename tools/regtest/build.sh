#!/usr/bin/env bash
# Builds lnd, lncli, btcd, btcctl and etcd at the versions pinned in go.mod,
# with the build tags LND's releases and itests use, from the Go module proxy
# only. etcd is the server of the same etcd release LND's etcd client is pinned
# to (./etcd: etcdmain, as etcd's own binary runs it), for the LND cluster.
#
# The binaries go to a directory named after a hash of (go.mod, go.sum, this
# script, the Go version), under ~/.cache/switchyard/regtest-bin/, so they are
# rebuilt only when a pin changes and fresh clones reuse them. The last line
# printed is that directory. --print-dir prints it without building.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

# signrpc walletrpc chainrpc invoicesrpc routerrpc peersrpc: the sub-servers
# Switchyard uses (PSBT funding, chain notifications, hold invoices, routing);
# kvdb_etcd for cluster failover; the rest as in LND's release and itest builds.
TAGS="signrpc walletrpc chainrpc invoicesrpc routerrpc peersrpc autopilotrpc watchtowerrpc wtclientrpc neutrinorpc monitoring kvdb_etcd kvdb_sqlite dev"

command -v go >/dev/null || { echo "error: Go is not installed (https://go.dev/dl); Go >= 1.24 builds LND." >&2; exit 1; }
hash=$( { cat go.mod go.sum build.sh; go env GOVERSION; } | sha256sum | cut -c1-16)
out="${SWITCHYARD_REGTEST_BIN_ROOT:-$HOME/.cache/switchyard/regtest-bin}/$hash"

if [ "${1:-}" = "--print-dir" ]; then
  echo "$out"
  exit 0
fi

if [ -x "$out/lnd" ] && [ -x "$out/lncli" ] && [ -x "$out/btcd" ] && [ -x "$out/btcctl" ] && [ -x "$out/etcd" ]; then
  echo "$out"
  exit 0
fi

echo "Building lnd, lncli, btcd, btcctl, etcd ($(go env GOVERSION)); takes a few minutes the first time..." >&2
tmp="$out.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
lnd_version=$(go list -m -f '{{.Version}}' github.com/lightningnetwork/lnd)
ldflags="-s -w -X github.com/lightningnetwork/lnd/build.Commit=$lnd_version -X github.com/lightningnetwork/lnd/build.RawTags=${TAGS// /,}"
export GOFLAGS="-mod=readonly -trimpath"
go build -tags="$TAGS" -ldflags="$ldflags" -o "$tmp/lnd" github.com/lightningnetwork/lnd/cmd/lnd
go build -tags="$TAGS" -ldflags="$ldflags" -o "$tmp/lncli" github.com/lightningnetwork/lnd/cmd/lncli
go build -ldflags="-s -w" -o "$tmp/btcd" github.com/btcsuite/btcd
go build -ldflags="-s -w" -o "$tmp/btcctl" github.com/btcsuite/btcd/cmd/btcctl
go build -ldflags="-s -w" -o "$tmp/etcd" ./etcd
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
