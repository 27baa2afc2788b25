// cmd_flush_test.go checks that FLUSHDB and FLUSHALL always reach the
// propagation stream, as Redis's forceCommandPropagation makes them: also
// when the databases were empty, and when FLUSHALL's save (save rules
// set) has just reset the change counter. Otherwise a FLUSHALL is missing
// from the AOF and comes undone at the next start.
package server

import (
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
)

func TestFlushAlwaysPropagated(t *testing.T) {
	cfg := config.Default()
	cfg.Dir = t.TempDir()
	cfg.SaveParams = []config.SaveParam{{Seconds: 60, Changes: 10000}}
	s := New(cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aof.state = aofOn
	c := newMultiTestClient(s)
	for _, cmd := range [][]string{
		{"FLUSHDB"}, // empty: no change counted
		{"SET", "k", "v"},
		{"FLUSHALL"},         // saves dump.rdb, which resets the counter
		{"FLUSHALL", "SYNC"}, // empty again
	} {
		if r := runForMulti(c, cmd...); r != "+OK\r\n" {
			t.Fatalf("%v: %q", cmd, r)
		}
	}
	got := string(s.aof.buf)
	want := "*1\r\n$7\r\nFLUSHDB\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$8\r\nFLUSHALL\r\n*2\r\n$8\r\nFLUSHALL\r\n$4\r\nSYNC\r\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("AOF buffer %q\nwant it to end with %q", got, want)
	}
}
