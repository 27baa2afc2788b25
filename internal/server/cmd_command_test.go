// cmd_command_test.go checks COMMAND GETKEYSANDFLAGS key extraction against
// a real redis-server for commands across the whole table, including ones
// redoubt has no handler for yet, so key specs and the getkeys procedures
// are verified independently of which commands are implemented.
package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"github.com/redoubt/redoubt/internal/glob"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/internal/command"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/test/testutil"
)

var getKeysLines = []string{
	"get k", "get a b", "set k v", "set k v get", "set k v nx GET", "set k v getx",
	"mget a b c", "mset a 1 b 2", "mset a 1 b", "msetnx a 1 b 2", "del a b c", "rename a b",
	"smove a b m", "lmove a b left right", "rpoplpush a b", "copy a b db 1",
	"zunionstore d 2 a b weights 1 2", "zunionstore d 3 a b", "zunionstore d -1 a",
	"zinter 2 a b", "zdiff 1 a", "sintercard 2 a b limit 1", "zintercard 3 a b c",
	"eval s 2 a b x", "eval s 0", "eval s 5 a", "eval s x a", "evalsha_ro s 1 a", "fcall f 1 a",
	"lmpop 2 a b left", "blmpop 0 2 a b left", "zmpop 1 z min", "bzmpop 0 1 z max",
	"xread count 2 streams s1 s2 0 0", "xread streams s 0", "xread streams s1 s2 0",
	"xreadgroup group g c streams s >", "xadd s * f v",
	"georadius k 0 0 1 km store d", "georadius k 0 0 1 km storedist d", "georadius k 0 0 1 km",
	"georadiusbymember k m 1 km store d", "geosearchstore d s frommember m byradius 1 km",
	"sort k", "sort k by w store d", "sort k get # store d limit 0 1", "sort k store",
	"sort k limit store d 1 store e", "sort_ro k by w", "bitfield k get u8 0",
	"bitfield k get u8 0 set u8 0 1", "bitfield k overflow sat get u8 0", "bitfield k incrby u8 0",
	"bitfield_ro k get u8 0", "bitop and d a b", "migrate h 1 k 0 5", "migrate h 1 \"\" 0 5 keys a b",
	"migrate h 1 k 0 5 keys a b", "migrate h 1 \"\" 0 5 auth p keys a", "migrate h 1 \"\" 0 5 auth2 u p copy keys a",
	"object encoding k", "memory usage k", "pfcount a b", "pfmerge d a b", "lcs a b", "publish ch m",
	"spublish ch m", "ssubscribe a b", "ping x", "client list", "client kill id 1", "config get x",
	"watch a b", "unlink a", "touch a b", "expire k 10", "getex k persist", "append k v",
	"blpop a b 0", "brpop a 0", "bzpopmin a b 0", "xinfo stream s", "xgroup create s g $",
	"exists a b", "type k", "dump k", "restore k 0 x", "script load s", "debug object k",
	"nosuch k", "client nosuch",
}

// ourKeys runs our GETKEYSANDFLAGS logic on the metadata table directly.
func ourKeys(line [][]byte) (any, string) {
	m := command.Lookup(string(line[0]))
	if m != nil && m.Subcommands != nil && len(line) >= 2 {
		m = m.Sub(string(line[1]))
	}
	if m == nil {
		return nil, "ERR Invalid command specified"
	}
	keys, errMsg := commandKeys(m, line)
	if errMsg != "" {
		return nil, errMsg
	}
	out := []any{}
	for _, k := range keys {
		flags := []any{}
		for _, f := range k.flags {
			flags = append(flags, f)
		}
		out = append(out, []any{string(line[k.pos]), flags})
	}
	return out, ""
}

func TestGetKeysMatchesRedis(t *testing.T) {
	p := testutil.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 2})
	defer rdb.Close()
	ctx := context.Background()
	for _, text := range getKeysLines {
		words, ok := splitWords(text)
		if !ok {
			t.Fatalf("bad line %q", text)
		}
		args := []any{"command", "getkeysandflags"}
		line := make([][]byte, len(words))
		for i, w := range words {
			args = append(args, w)
			line[i] = []byte(w)
		}
		want, err := rdb.Do(ctx, args...).Result()
		wantErr := ""
		if err != nil {
			wantErr = err.Error()
			want = nil
		}
		got, gotErr := ourKeys(line)
		if gotErr != wantErr || (wantErr == "" && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s:\n  redis:   %v %q\n  redoubt: %v %q", text, want, wantErr, got, gotErr)
		}
	}
}

// splitWords splits on spaces, with "" for an empty argument.
func splitWords(text string) ([]string, bool) {
	var out []string
	for _, w := range strings.Fields(text) {
		if w == `""` {
			w = ""
		}
		out = append(out, w)
	}
	return out, len(out) > 0
}

func TestMatchCommandPattern(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "get", true}, {"g?t", "get", true}, {"G*", "get", true}, {"get", "GET", true},
		{"[a-g]et", "get", true}, {"[^g]et", "get", false}, {"[^s]et", "get", true},
		{"client|*", "client|list", true}, {"client\\|list", "client|list", true},
		{"c*t", "client|list", true}, {"*x", "get", false}, {"?", "", false}, {"", "", true},
		{"[abc", "a", true}, {"s[e-a]t", "set", true}, {"**et", "get", true},
	}
	for _, c := range cases {
		if got := glob.MatchString(c.pattern, c.name, true); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

// TestCommandInfoMatchesRedis renders COMMAND INFO for every command and
// subcommand without subcommands of its own, in RESP2 and RESP3, and
// compares the bytes with a real redis-server's.
func TestCommandInfoMatchesRedis(t *testing.T) {
	p := testutil.StartRedis(t)
	for _, proto := range []int{2, 3} {
		conn, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(conn)
		do := func(args ...string) []byte {
			var b strings.Builder
			fmt.Fprintf(&b, "*%d\r\n", len(args))
			for _, a := range args {
				fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
			}
			conn.Write([]byte(b.String()))
			rep, err := testutil.ReadReply(rd)
			if err != nil {
				t.Fatal(err)
			}
			return rep.Raw
		}
		do("HELLO", strconv.Itoa(proto))
		var leaves []*command.Command
		for _, m := range command.Table {
			if m.Subcommands == nil {
				leaves = append(leaves, m)
			}
			leaves = append(leaves, m.Subcommands...)
		}
		for _, m := range leaves {
			c := &Client{w: resp.NewWriter()}
			c.w.Proto = proto
			c.w.ArrayLen(1)
			c.replyCommandInfo(&serverCommand{meta: m, name: m.Name})
			want := do("COMMAND", "INFO", m.Name)
			if !bytes.Equal(c.w.Buf, want) {
				t.Errorf("RESP%d COMMAND INFO %s:\n  redis:   %q\n  redoubt: %q", proto, m.Name, want, c.w.Buf)
			}
		}
		conn.Close()
	}
}
