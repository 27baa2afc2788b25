// cmd_hash_test.go checks the keyspace events and modification signals the
// hash commands raise, in Redis's order. It runs in-process, hooking the
// keyspace directly, because nothing delivers the events over the wire yet;
// the replies themselves are compared with redis-server in test/compat.
package server

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/types"
)

func TestHashKeyspaceEvents(t *testing.T) {
	s := New(config.Default())
	c := &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), db: s.ks.DBs[0], authenticated: true, user: "default"}
	var got []string
	s.ks.Hooks.Event = func(db *keyspace.DB, class byte, event string, key []byte) {
		if class == keyspace.ClassNew || class == keyspace.ClassKeyMiss {
			return // generic key events; this test checks the command's own
		}
		got = append(got, fmt.Sprintf("%c:%s:%s", class, event, key))
	}
	s.ks.Hooks.KeyModified = func(db *keyspace.DB, key string) {
		got = append(got, "modified:"+key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// a string key made without a command, whose events are not ours to check
	c.db.Add([]byte("s"), types.NewString([]byte("x")))
	steps := []struct {
		cmd    string
		events []string
	}{
		{"HSET h a 1 b 2", []string{"modified:h", "h:hset:h"}},
		{"HMSET h a 3", []string{"modified:h", "h:hset:h"}},
		{"HSETNX h a 9", nil},
		{"HSETNX h c 3", []string{"modified:h", "h:hset:h"}},
		{"HINCRBY h n 5", []string{"modified:h", "h:hincrby:h"}},
		{"HINCRBY h a x", nil},
		{"HINCRBYFLOAT h f 1.5", []string{"modified:h", "h:hincrbyfloat:h"}},
		{"HINCRBYFLOAT h f inf", nil},
		{"HGET h a", nil},
		{"HGETALL h", nil},
		{"HDEL h nosuch", nil},
		{"HDEL h a", []string{"modified:h", "h:hdel:h"}},
		{"HDEL h b c n f", []string{"modified:h", "h:hdel:h", "g:del:h"}},
		{"HDEL h b", nil},
		{"HSET s f v", nil},
	}
	for _, st := range steps {
		got = nil
		var args [][]byte
		for _, a := range strings.Fields(st.cmd) {
			args = append(args, []byte(a))
		}
		c.w.Reset()
		c.processCommand(args)
		if !reflect.DeepEqual(got, st.events) {
			t.Errorf("%s (reply %q): events %v, want %v", st.cmd, c.w.Buf, got, st.events)
		}
	}
	if s.ks.DBs[0].Peek([]byte("h")) != nil {
		t.Fatal("emptied hash still in the keyspace")
	}
}
