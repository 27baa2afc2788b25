// cmd_set_test.go checks what the set commands report to the keyspace
// hooks — the keyspace events (names, classes and order, as t_set.c emits
// them) and the modified-key signals WATCH relies on — which no reply
// shows, and the encodings SPOP's two strategies leave behind.
package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/types"
)

type hookRecorder struct {
	events, modified []string
}

func newSetTestClient(t *testing.T) (*Client, *hookRecorder) {
	t.Helper()
	s := New(config.Default())
	rec := &hookRecorder{}
	s.ks.Hooks.Event = func(db *keyspace.DB, class byte, event string, key []byte) {
		if class == keyspace.ClassNew || class == keyspace.ClassKeyMiss {
			return // generic key events; these tests check the command's own
		}
		rec.events = append(rec.events, string(class)+" "+event+" "+string(key))
	}
	s.ks.Hooks.KeyModified = func(db *keyspace.DB, key string) {
		rec.modified = append(rec.modified, key)
	}
	c := &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), db: s.ks.DBs[0], authenticated: true, user: "default"}
	s.mu.Lock()
	t.Cleanup(s.mu.Unlock)
	return c, rec
}

// run executes a command line and returns its RESP2 reply.
func (c *Client) runLine(line string) string {
	var args [][]byte
	for _, w := range strings.Fields(line) {
		args = append(args, []byte(w))
	}
	c.w.Reset()
	c.processCommand(args)
	return string(c.w.Buf)
}

func TestSetCommandEvents(t *testing.T) {
	cases := []struct {
		setup    []string
		cmd      string
		events   []string
		modified []string
	}{
		{nil, "SADD k a b", []string{"s sadd k"}, []string{"k"}},
		{[]string{"SADD k a"}, "SADD k a", nil, nil},
		{[]string{"SADD k a b"}, "SREM k a x", []string{"s srem k"}, []string{"k"}},
		{[]string{"SADD k a b"}, "SREM k a b c", []string{"s srem k", "g del k"}, []string{"k"}},
		{[]string{"SADD k a"}, "SREM k x", nil, nil},
		{[]string{"SADD src a"}, "SMOVE src dst a", []string{"s srem src", "g del src", "s sadd dst"}, []string{"src", "dst"}},
		{[]string{"SADD src a b", "SADD dst a"}, "SMOVE src dst a", []string{"s srem src"}, []string{"src"}},
		{[]string{"SADD src a"}, "SMOVE src src a", nil, nil},
		{[]string{"SADD src a"}, "SMOVE src dst x", nil, nil},
		{[]string{"SADD k a"}, "SPOP k", []string{"s spop k", "g del k"}, []string{"k"}},
		{[]string{"SADD k a b"}, "SPOP k", []string{"s spop k"}, []string{"k"}},
		{[]string{"SADD k a b"}, "SPOP k 0", nil, nil},
		{[]string{"SADD k a b"}, "SPOP k 5", []string{"s spop k", "g del k"}, []string{"k"}},
		{[]string{"SADD k 1 2 3 4 5 6 7 8 9 10"}, "SPOP k 2", []string{"s spop k"}, []string{"k"}},
		{[]string{"SADD k 1 2 3 4 5 6 7 8 9 10"}, "SPOP k 9", []string{"s spop k"}, []string{"k"}},
		{[]string{"SADD a 1 2", "SADD b 2 3"}, "SINTERSTORE d a b", []string{"s sinterstore d"}, []string{"d"}},
		{[]string{"SADD a 1", "SADD b 2", "SET d x"}, "SINTERSTORE d a b", []string{"g del d"}, []string{"d"}},
		{[]string{"SADD a 1", "SET d x"}, "SINTERSTORE d a nokey", []string{"g del d"}, []string{"d"}},
		{[]string{"SADD a 1", "SADD b 2"}, "SINTERSTORE d a b", nil, nil},
		{[]string{"SADD a 1", "SADD b 2"}, "SUNIONSTORE d a b", []string{"s sunionstore d"}, []string{"d"}},
		{[]string{"SET d x"}, "SUNIONSTORE d nokey", []string{"g del d"}, []string{"d"}},
		{[]string{"SADD a 1 2", "SADD b 2"}, "SDIFFSTORE d a b", []string{"s sdiffstore d"}, []string{"d"}},
		{[]string{"SADD a 1", "SET d x"}, "SDIFFSTORE d a a", []string{"g del d"}, []string{"d"}},
		{[]string{"SADD a 1"}, "SINTER a", nil, nil},
		{[]string{"SADD a 1"}, "SINTERCARD 1 a", nil, nil},
	}
	for _, tc := range cases {
		c, rec := newSetTestClient(t)
		for _, line := range tc.setup {
			c.runLine(line)
		}
		rec.events, rec.modified = nil, nil
		reply := c.runLine(tc.cmd)
		if strings.HasPrefix(reply, "-") {
			t.Errorf("%s: %q", tc.cmd, reply)
		}
		if !slices.Equal(rec.events, tc.events) {
			t.Errorf("%v; %s: events %q, want %q", tc.setup, tc.cmd, rec.events, tc.events)
		}
		if !slices.Equal(rec.modified, tc.modified) {
			t.Errorf("%v; %s: modified %q, want %q", tc.setup, tc.cmd, rec.modified, tc.modified)
		}
	}
}

// SPOP of nearly the whole set keeps the survivors in a newly built set,
// whose encoding follows from those members only: a hashtable set whose
// survivor is an integer becomes an intset, as in Redis.
func TestSpopRebuildsSurvivors(t *testing.T) {
	for range 20 {
		c, _ := newSetTestClient(t)
		c.runLine("SADD k a 1 2 3 4 5 6 7 8 9")
		if reply := c.runLine("SPOP k 9"); !strings.HasPrefix(reply, "*9\r\n") {
			t.Fatalf("SPOP k 9 replied %q", reply)
		}
		set := c.db.Peek([]byte("k")).Value.(*types.Set)
		members := set.Members()
		if len(members) != 1 {
			t.Fatalf("%d members left", len(members))
		}
		wantIntset := members[0] != "a"
		if set.IsIntset() != wantIntset {
			t.Fatalf("survivor %q left a %s set", members[0], set.Encoding())
		}
	}
}

// SDIFFSTORE's stored encoding depends on the algorithm Redis's estimate
// picks: copying the first set and removing the others' members converts
// the result as soon as the copy exceeds the limit, testing the first
// set's members one by one only adds the survivors.
func TestSdiffstoreAlgorithmEncoding(t *testing.T) {
	c, _ := newSetTestClient(t)
	c.runLine("CONFIG SET set-max-intset-entries 9")
	c.runLine("SADD big 1 2 3 4 5 6 7 8 9 10")
	c.runLine("SADD s1 1")
	c.runLine("SADD s2 2")
	// member tests (10*2/2 = 10) <= copying (10+1): 9 survivors, an intset
	c.runLine("SDIFFSTORE d1 big s1")
	if enc := c.db.Peek([]byte("d1")).Value.Encoding(); enc != "intset" {
		t.Fatalf("d1 is %s", enc)
	}
	// member tests (10*3/2 = 15) > copying (10+1+1): the copy of 10 converts
	c.runLine("SDIFFSTORE d2 big s1 s2")
	if enc := c.db.Peek([]byte("d2")).Value.Encoding(); enc != "hashtable" {
		t.Fatalf("d2 is %s", enc)
	}
	if reply := c.runLine("SCARD d2"); reply != ":8\r\n" {
		t.Fatalf("SCARD d2 = %q", reply)
	}
}
