//go:build tools

// Package tools records the commands this module builds, so that `go mod tidy`
// keeps their dependencies. It is never compiled (build tag `tools`).
package tools

import (
	_ "github.com/btcsuite/btcd"
	_ "github.com/btcsuite/btcd/cmd/btcctl"
	_ "github.com/lightningnetwork/lnd/cmd/lncli"
	_ "github.com/lightningnetwork/lnd/cmd/lnd"
)
