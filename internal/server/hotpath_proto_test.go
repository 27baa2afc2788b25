// hotpath_proto_test.go guards the per-command cost of the GET/SET hot
// path: admission, execution and reply encoding of a GET allocate nothing,
// and a SET allocates only the stored value.
package server

import (
	"testing"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/resp"
)

func TestHotPathAllocations(t *testing.T) {
	s := New(config.Default())
	c := &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), db: s.ks.DBs[0], authenticated: true, user: "default"}
	set := [][]byte{[]byte("SET"), []byte("key:1"), []byte("value-0123456789")}
	get := [][]byte{[]byte("get"), []byte("key:1")}
	s.mu.Lock()
	defer s.mu.Unlock()

	c.processCommand(set)
	if string(c.w.Buf) != "+OK\r\n" {
		t.Fatalf("SET replied %q", c.w.Buf)
	}
	c.w.Reset()
	c.processCommand(get)
	if string(c.w.Buf) != "$16\r\nvalue-0123456789\r\n" {
		t.Fatalf("GET replied %q", c.w.Buf)
	}

	getAllocs := testing.AllocsPerRun(1000, func() {
		c.w.Reset()
		c.processCommand(get)
	})
	if getAllocs != 0 {
		t.Errorf("GET allocates %v times per command", getAllocs)
	}
	setAllocs := testing.AllocsPerRun(1000, func() {
		c.w.Reset()
		c.processCommand(set)
	})
	// the value's header and its bytes
	if setAllocs > 2 {
		t.Errorf("SET allocates %v times per command", setAllocs)
	}
	if s.stats.commands < 2002 {
		t.Fatalf("commands were not executed: %d", s.stats.commands)
	}
}
