// servers_test.go runs a scenario against both a fresh real redis-server
// and a fresh redoubt, so every integration test checks redoubt against the
// reference in the same run.
package integration

import (
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

type server struct {
	name  string
	start func(t testing.TB, args ...string) *testutil.Proc
}

var servers = []server{
	{"redis", testutil.StartRedis},
	{"redoubt", testutil.StartRedoubt},
}

// forEachServer runs f as a subtest against a fresh real redis-server and a
// fresh redoubt started with args.
func forEachServer(t *testing.T, f func(t *testing.T, p *testutil.Proc), args ...string) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) { f(t, s.start(t, args...)) })
	}
}

// onBothServers is forEachServer for scenarios that need only the address,
// with DEBUG enabled on both.
func onBothServers(t *testing.T, f func(t *testing.T, addr string)) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) { f(t, p.Addr) }, "--enable-debug-command", "yes")
}
