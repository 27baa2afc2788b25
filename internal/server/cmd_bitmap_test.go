// cmd_bitmap_test.go checks what the compat cases cannot show on this
// branch: WRONGTYPE against non-string values (no other type exists yet
// to create one with a command), and the keyspace events and modification
// signals the bitmap and HyperLogLog commands emit, in Redis's order.
package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
)

// fakeList stands in for any non-string value.
type fakeList struct{}

func (fakeList) Kind() keyspace.Kind   { return keyspace.KindList }
func (fakeList) Encoding() string      { return "quicklist" }
func (f fakeList) Dup() keyspace.Value { return f }

type eventLog struct{ events []string }

func newBitTestClient(t *testing.T) (*Client, *eventLog) {
	t.Helper()
	s := New(config.Default())
	c := &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), db: s.ks.DBs[0], authenticated: true, user: "default"}
	log := &eventLog{}
	s.ks.Hooks.Event = func(_ *keyspace.DB, class byte, event string, key []byte) {
		if class == keyspace.ClassNew || class == keyspace.ClassKeyMiss {
			return // generic key events; these tests check the command's own
		}
		log.events = append(log.events, fmt.Sprintf("%c:%s:%s", class, event, key))
	}
	s.ks.Hooks.KeyModified = func(_ *keyspace.DB, key string) {
		log.events = append(log.events, "modified:"+key)
	}
	s.mu.Lock()
	t.Cleanup(s.mu.Unlock)
	return c, log
}

func (c *Client) run(line string) string {
	c.w.Reset()
	var args [][]byte
	for _, f := range strings.Fields(line) {
		args = append(args, []byte(f))
	}
	c.processCommand(args)
	return string(c.w.Buf)
}

func TestBitmapAndHLLWrongType(t *testing.T) {
	c, _ := newBitTestClient(t)
	c.db.Add([]byte("l"), fakeList{})
	c.run("SET s foo")
	const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
	for _, cmd := range []string{
		"SETBIT l 0 1", "GETBIT l 0", "BITCOUNT l", "BITCOUNT l 0 1", "BITPOS l 1",
		"BITPOS l 0 0 1", "BITOP AND d s l", "BITOP NOT d l", "BITFIELD l GET u8 0",
		"BITFIELD l SET u8 0 1", "BITFIELD_RO l GET u8 0", "PFADD l a", "PFCOUNT l",
		"PFCOUNT nokey l", "PFMERGE d l", "PFMERGE l", "PFDEBUG ENCODING l",
	} {
		if got := c.run(cmd); got != wrongType {
			t.Errorf("%s: %q", cmd, got)
		}
	}
	// argument errors come before the type check, as in Redis
	for cmd, want := range map[string]string{
		"SETBIT l -1 1":            "-ERR bit offset is not an integer or out of range\r\n",
		"SETBIT l 0 2":             "-ERR bit is not an integer or out of range\r\n",
		"GETBIT l x":               "-ERR bit offset is not an integer or out of range\r\n",
		"BITPOS l 2":               "-ERR The bit argument must be 1 or 0.\r\n",
		"BITFIELD l GET u64 0":     "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n",
		"BITFIELD_RO l SET u8 0 1": "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
	} {
		if got := c.run(cmd); got != want {
			t.Errorf("%s: %q, want %q", cmd, got, want)
		}
	}
	if got := c.run("BITOP NOT d nokey"); got != ":0\r\n" {
		t.Errorf("BITOP NOT of a missing key: %q", got)
	}
	if c.db.LookupNoStats([]byte("d")) != nil {
		t.Error("a failed BITOP created its destination")
	}
	// the destination of BITOP may hold any type: it is replaced
	if got := c.run("BITOP OR l s"); got != ":3\r\n" {
		t.Errorf("BITOP into a list key: %q", got)
	}
	if got := c.run("GET l"); got != "$3\r\nfoo\r\n" {
		t.Errorf("after BITOP into a list key, GET: %q", got)
	}
}

func TestBitmapAndHLLEvents(t *testing.T) {
	c, log := newBitTestClient(t)
	steps := []struct {
		cmd    string
		events string
	}{
		{"SETBIT b 3 1", "modified:b $:setbit:b"},
		{"SETBIT b 3 1", ""},                       // unchanged bit
		{"SETBIT b 3 0", "modified:b $:setbit:b"},  // changed
		{"SETBIT b 20 0", "modified:b $:setbit:b"}, // grew
		{"GETBIT b 3", ""},
		{"BITFIELD b GET u8 0", ""},
		{"BITFIELD b SET u8 0 0", ""}, // same bits
		{"BITFIELD b SET u8 0 1 INCRBY u4 0 1", "modified:b $:setbit:b"},
		{"BITFIELD b OVERFLOW FAIL INCRBY u2 0 9", ""}, // refused
		{"BITOP OR d b", "modified:d $:set:d"},
		{"BITOP AND d nokey", "modified:d g:del:d"},
		{"BITOP AND d nokey", ""},
		{"PFADD h a", "modified:h $:pfadd:h"},
		{"PFADD h a", ""},
		{"PFCOUNT h", "modified:h"}, // the cache is written
		{"PFCOUNT h", ""},
		{"PFMERGE h2 h", "modified:h2 $:pfadd:h2"},
	}
	for _, s := range steps {
		log.events = nil
		c.run(s.cmd)
		if got := strings.Join(log.events, " "); got != s.events {
			t.Errorf("%s: events %q, want %q", s.cmd, got, s.events)
		}
	}
}

func TestPfselftest(t *testing.T) {
	if testing.Short() {
		t.Skip("adds ten million elements")
	}
	c, _ := newBitTestClient(t)
	if got := c.run("PFSELFTEST"); got != "+OK\r\n" {
		t.Fatalf("PFSELFTEST: %q", got)
	}
}
