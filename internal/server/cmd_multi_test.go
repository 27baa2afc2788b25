// cmd_multi_test.go checks the WATCH bookkeeping no reply shows: the
// registry and the keyspace hook are dropped when the last watch goes
// (UNWATCH, EXEC, RESET, a touched key), and Redis's rule for a key that
// was already expired when watched.
package server

import (
	"testing"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/types"
)

func newMultiTestClient(s *Server) *Client {
	return &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), db: s.ks.DBs[0], authenticated: true, user: "default"}
}

func runForMulti(c *Client, args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	c.w.Reset()
	c.processCommand(argv)
	return string(c.w.Buf)
}

func TestWatchRegistryLifecycle(t *testing.T) {
	s := New(config.Default())
	s.mu.Lock()
	defer s.mu.Unlock()
	a, b := newMultiTestClient(s), newMultiTestClient(s)

	if s.ks.Hooks.KeyModified != nil {
		t.Fatal("KeyModified hook installed with nothing watched")
	}
	runForMulti(a, "WATCH", "k1", "k2")
	runForMulti(b, "WATCH", "k1")
	if got := len(s.watches[s.ks.DBs[0]]["k1"]); got != 2 {
		t.Fatalf("k1 has %d watchers, want 2", got)
	}
	if s.ks.Hooks.KeyModified == nil {
		t.Fatal("no KeyModified hook while keys are watched")
	}
	runForMulti(b, "SET", "k2", "x") // touches a only
	if !a.mstate.dirtyCAS || b.mstate.dirtyCAS {
		t.Fatalf("dirty: a=%v b=%v, want a only", a.mstate.dirtyCAS, b.mstate.dirtyCAS)
	}
	if len(a.mstate.watched) != 0 {
		t.Error("a dirty client keeps its watches")
	}
	if got := len(s.watches[s.ks.DBs[0]]["k1"]); got != 1 {
		t.Errorf("k1 has %d watchers after a was touched, want 1", got)
	}
	runForMulti(b, "MULTI")
	if r := runForMulti(b, "EXEC"); r != "*0\r\n" {
		t.Fatalf("EXEC = %q", r)
	}
	if len(s.watches) != 0 || s.ks.Hooks.KeyModified != nil {
		t.Errorf("after the last watch went: registry %v, hook set %v", s.watches, s.ks.Hooks.KeyModified != nil)
	}
	runForMulti(a, "UNWATCH")
	if a.mstate.dirtyCAS {
		t.Error("UNWATCH kept the dirty state")
	}
	runForMulti(a, "WATCH", "k3")
	runForMulti(a, "RESET")
	if len(s.watches) != 0 || len(a.mstate.watched) != 0 {
		t.Error("RESET kept the watches")
	}
}

func TestWatchKeyExpiredWhenWatched(t *testing.T) {
	s := New(config.Default())
	s.mu.Lock()
	defer s.mu.Unlock()
	a, b := newMultiTestClient(s), newMultiTestClient(s)
	db := s.ks.DBs[0]
	e := db.Add([]byte("k"), types.NewString([]byte("v")))
	db.SetExpire(e, 1) // long past
	runForMulti(a, "WATCH", "k")
	if wk := a.mstate.watched[0]; !wk.expired {
		t.Fatal("key past its TTL not flagged expired at WATCH")
	}
	// its deletion by expiry is no change, and clears the flag
	db.ExpireIfNeeded([]byte("k"))
	if a.mstate.dirtyCAS || a.mstate.watched[0].expired {
		t.Fatalf("after expiry: dirty=%v expired=%v", a.mstate.dirtyCAS, a.mstate.watched[0].expired)
	}
	// recreating it is a change
	runForMulti(b, "SET", "k", "new")
	if !a.mstate.dirtyCAS {
		t.Error("recreating an expired watched key did not touch it")
	}
}
