package script

import (
	"testing"

	"github.com/redoubt/redoubt/internal/resp"
)

// Each run sees fresh KEYS and ARGV, whatever the previous run did to
// its own (they may be refilled in place between runs).
func TestKeysArgvFreshEachRun(t *testing.T) {
	e := New()
	w := resp.NewWriter()
	load := func(body string) string {
		sha, err := e.Load([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	dump := load("local n = 0 for _ in pairs(KEYS) do n = n + 1 end " +
		"local m = 0 for _ in pairs(ARGV) do m = m + 1 end " +
		"return {n, m, #KEYS, #ARGV, tostring(KEYS.x), tostring(getmetatable(KEYS)), KEYS[1] or 'nil', ARGV[1] or 'nil'}")
	spoil := []string{
		"KEYS.x = 1; ARGV[10] = 'z'",
		"setmetatable(KEYS, {})",
		"KEYS[1] = nil; KEYS[5] = 'q'",
		"KEYS[2] = 'b'; ARGV[1] = nil",
		"return 1",
	}
	args := func(s ...string) [][]byte {
		var out [][]byte
		for _, a := range s {
			out = append(out, []byte(a))
		}
		return out
	}
	for _, body := range spoil {
		sha := load(body)
		for _, n := range []int{0, 1, 3} {
			keys := args("k1", "k2", "k3")[:n]
			w.Reset()
			e.Run(sha, keys, args("a1", "a2"), fakeHost{"+OK\r\n"}, w)
			w.Reset()
			e.Run(dump, args("d1"), nil, fakeHost{"+OK\r\n"}, w)
			want := "*8\r\n:1\r\n:0\r\n:1\r\n:0\r\n$3\r\nnil\r\n$3\r\nnil\r\n$2\r\nd1\r\n$3\r\nnil\r\n"
			if string(w.Buf) != want {
				t.Fatalf("after %q with %d keys: %q, want %q", body, n, w.Buf, want)
			}
		}
	}
}

// BenchmarkRunGet is the engine's share of EVALSHA of a one-GET script.
func BenchmarkRunGet(b *testing.B) {
	e := New()
	sha, _ := e.Load([]byte("return redis.call('GET', KEYS[1])"))
	w := resp.NewWriter()
	keys := [][]byte{[]byte("key:000000012345")}
	h := fakeHost{"$3\r\nabc\r\n"}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		e.Run(sha, keys, nil, h, w)
	}
}
