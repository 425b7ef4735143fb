// Command etcd is the etcd server (etcdmain, as etcd's own binary runs it)
// at the version LND's etcd client is pinned to in go.mod: the replicated
// database of Switchyard's regtest LND cluster. Built by build.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
