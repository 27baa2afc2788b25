package rdb

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// edgeValues are element strings around every listpack/ziplist/intset
// encoding boundary: integers of each width and just past it, strings that
// look like integers but are not canonical, and strings of 0/63/64/4095/
// 4096+ bytes (the 6/12/32-bit string length forms).
func edgeValues() []string {
	vals := []string{
		"0", "1", "12", "13", "127", "128", "-1", "-128", "-129", "255", "4095", "4096", "-4096", "-4097",
		"32767", "32768", "-32768", "-32769", "8388607", "8388608", "-8388608", "-8388609",
		"2147483647", "2147483648", "-2147483648", "-2147483649",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"12345678901234567890", "012", "-0", "+5", " 5", "5 ", "-", "1.5", "1e3", "0x10", "",
		"hello", "\x00\xff",
	}
	for _, n := range []int{1, 62, 63, 64, 65, 127, 128, 4094, 4095, 4096, 5000, 16383, 16384, 20000} {
		vals = append(vals, strings.Repeat(string(rune('a'+n%26)), n))
	}
	return vals
}

func bs(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func entryStrings(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return out
}

type goldenConn struct {
	t *testing.T
	c *testutil.RawConn
}

func (g goldenConn) do(args ...string) *testutil.Reply {
	g.t.Helper()
	r := g.c.Do(args...)
	if r.Kind == '-' {
		g.t.Fatalf("%s: %q", args[0], r.Raw)
	}
	return r
}

// cmdBatches sends cmd key args... in chunks of at most n arguments.
func (g goldenConn) cmdBatches(cmd, key string, args []string, step, n int) {
	g.t.Helper()
	for len(args) > 0 {
		k := min(len(args), n*step)
		g.do(append([]string{cmd, key}, args[:k]...)...)
		args = args[k:]
	}
}

func (g goldenConn) dump(key string) []byte {
	g.t.Helper()
	r := g.do("DUMP", key)
	if r.Kind != '$' {
		g.t.Fatalf("DUMP %s: %q", key, r.Raw)
	}
	return []byte(r.Body())
}

// compare checks that Redis's DUMP of key is type typ followed by mine
// and returns the value body of Redis's payload for decoding.
func (g goldenConn) compare(name, key string, typ byte, mine []byte) *Reader {
	g.t.Helper()
	redis := g.dump(key)
	want := AppendDumpFooter(append([]byte{typ}, mine...))
	if !bytes.Equal(want, redis) {
		g.t.Errorf("%s: DUMP differs (mine %d bytes, redis %d)\n mine  %s\n redis %s", name, len(want), len(redis), trunc(fmt.Sprintf("%x", want)), trunc(fmt.Sprintf("%x", redis)))
	}
	body, _, err := VerifyDump(redis)
	if err != nil {
		g.t.Fatal(err)
	}
	r := NewReader(body)
	if got, _ := r.ReadType(); got != typ {
		g.t.Fatalf("%s: Redis used type %d, want %d", name, got, typ)
	}
	return r
}

func startGoldenRedis(t *testing.T) goldenConn {
	srv := testutil.StartRedis(t,
		"--hash-max-listpack-entries", "1000000", "--hash-max-listpack-value", "1000000",
		"--zset-max-listpack-entries", "1000000", "--zset-max-listpack-value", "1000000",
		"--set-max-intset-entries", "1000000", "--enable-debug-command", "yes")
	return goldenConn{t, testutil.DialRaw(t, srv.Addr)}
}

// TestListpackMatchesRedis: hashes as listpacks, Redis's DUMP equals ours
// byte for byte and decodes to the fields and values.
func TestListpackMatchesRedis(t *testing.T) {
	g := startGoldenRedis(t)
	vals := edgeValues()
	hashes := map[string][]string{}
	// field i -> edge value, and each edge value as a field name too
	var a, b []string
	for i, v := range vals {
		a = append(a, "f"+strconv.Itoa(i), v)
		b = append(b, v, strconv.Itoa(i))
	}
	hashes["values"] = a
	hashes["fields"] = b
	for i, v := range vals {
		hashes["one"+strconv.Itoa(i)] = []string{"f", v}
	}
	// more than 65535 entries: the header count saturates at "unknown"
	var big []string
	for i := range 33000 {
		big = append(big, "k"+strconv.Itoa(i), strconv.Itoa(i*7919-100000))
	}
	hashes["big"] = big
	rng := rand.New(rand.NewPCG(3, 4))
	var rnd []string
	for i := range 300 {
		rnd = append(rnd, "r"+strconv.Itoa(i), string(genData(rng, rng.IntN(300))))
	}
	hashes["random"] = rnd
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range hashes {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		elems := hashes[k]
		g.do("DEL", k)
		g.cmdBatches("HSET", k, elems, 2, 500)
		r := g.compare("hash "+k, k, TypeHashListpack, AppendString(nil, BuildListpack(bs(elems)), true))
		lp, err := r.ReadString()
		if err != nil {
			t.Fatal(err)
		}
		es, err := ListpackEntries(lp)
		if err != nil {
			t.Fatalf("hash %s: %v", k, err)
		}
		if got := entryStrings(es); !slices.Equal(got, elems) {
			t.Errorf("hash %s decoded to %d entries, want %d", k, len(got), len(elems))
		}
		if k == "big" && binary16(lp[4:]) != 65535 {
			t.Errorf("big hash count field %d", binary16(lp[4:]))
		}
	}
}

func binary16(b []byte) int { return int(b[0]) | int(b[1])<<8 }

// zsetScore is the text a zset score decodes to.
func zsetScore(v float64) string {
	var w ListpackWriter
	w.AppendScore(v)
	es, _ := ListpackEntries(w.Bytes())
	return es[0].String()
}

// TestZsetListpackMatchesRedis: sorted sets as listpacks (member, score
// pairs by score then member).
func TestZsetListpackMatchesRedis(t *testing.T) {
	g := startGoldenRedis(t)
	scores := []float64{0, 1, -2, 1.5, 3.25, -0.5, 1e10, 0.1, 127, 128, 4096, -4097, 70000, 1e15, 2.5e-7, 1e300,
		1 << 60, -1 << 60, 1<<62 - 512, 1 << 62, -1 << 62, 5e18, -5e18, math.Inf(1), math.Inf(-1), math.Copysign(0, -1),
		1<<53 + 2, 123456789.125, -1e-300}
	type pair struct {
		m string
		s float64
	}
	var ps []pair
	for i, v := range edgeValues() {
		ps = append(ps, pair{v, scores[i%len(scores)]})
	}
	var args []string
	for _, p := range ps {
		args = append(args, strconv.FormatFloat(p.s, 'g', -1, 64), p.m)
	}
	g.cmdBatches("ZADD", "z", args, 2, 100)
	slices.SortFunc(ps, func(a, b pair) int {
		if a.s != b.s {
			if a.s < b.s {
				return -1
			}
			return 1
		}
		return strings.Compare(a.m, b.m)
	})
	var elems []string
	var w ListpackWriter
	for _, p := range ps {
		elems = append(elems, p.m, zsetScore(p.s))
		w.Append([]byte(p.m))
		w.AppendScore(p.s)
	}
	r := g.compare("zset", "z", TypeZSetListpack, AppendString(nil, w.Bytes(), true))
	lp, _ := r.ReadString()
	es, err := ListpackEntries(lp)
	if err != nil || !slices.Equal(entryStrings(es), elems) {
		t.Errorf("zset decode: %v\n got  %q\n want %q", err, trunc(fmt.Sprint(entryStrings(es))), trunc(fmt.Sprint(elems)))
	}
}

// TestIntsetMatchesRedis: integer sets of each width.
func TestIntsetMatchesRedis(t *testing.T) {
	g := startGoldenRedis(t)
	sets := [][]int64{
		{1}, {0}, {-1, 1}, {32767, -32768, 5}, {32768}, {-32769, 3},
		{2147483647, -2147483648}, {2147483648}, {-2147483649, 0, 1},
		{math.MaxInt64, math.MinInt64, 0},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, bits := range []uint{15, 31, 63} {
		var s []int64
		for range 1000 {
			s = append(s, int64(rng.Uint64())>>(63-bits))
		}
		sets = append(sets, s)
	}
	for i, s := range sets {
		k := "s" + strconv.Itoa(i)
		var args []string
		for _, v := range s {
			args = append(args, strconv.FormatInt(v, 10))
		}
		g.cmdBatches("SADD", k, args, 1, 500)
		r := g.compare(k, k, TypeSetIntset, AppendString(nil, AppendIntset(nil, s), true))
		blob, _ := r.ReadString()
		got, err := IntsetValues(blob)
		want := slices.Compact(slices.Sorted(slices.Values(s)))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: decoded %v, %v", k, trunc(fmt.Sprint(got)), err)
		}
	}
}

// TestQuicklistMatchesRedis: lists built by RPUSH, split into nodes as
// Redis splits them, with list-max-listpack-size -2 (default) and others,
// and PLAIN nodes with a lowered packed threshold.
func TestQuicklistMatchesRedis(t *testing.T) {
	g := startGoldenRedis(t)
	rng := rand.New(rand.NewPCG(8, 9))
	var lists [][]string
	for _, v := range edgeValues() {
		lists = append(lists, []string{v})
	}
	lists = append(lists, edgeValues())
	seq := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	lists = append(lists,
		seq(1000, func(i int) string { return "x" + strconv.Itoa(i) }),
		seq(5000, func(i int) string { return strconv.Itoa(i * 37) }),
		seq(300, func(i int) string { return strings.Repeat("y", i) }),
		seq(60, func(i int) string {
			return strings.Repeat("z", []int{100, 1000, 4000, 5000, 8100, 8200, 10000, 8170, 8180, 4080}[i%10])
		}),
		seq(2000, func(i int) string { return string(genData(rng, rng.IntN(1<<uint(rng.IntN(12))))) }),
	)
	check := func(name string, elems []string, fill, threshold int) []QuicklistNode {
		t.Helper()
		g.do("DEL", "l")
		g.cmdBatches("RPUSH", "l", elems, 1, 200)
		nodes := QuicklistNodes(bs(elems), fill, threshold)
		r := g.compare(name, "l", TypeListQuicklist2, AppendQuicklist2(nil, nodes, true))
		es, err := r.ReadQuicklist2()
		if err != nil || r.Remaining() != 0 {
			t.Fatalf("%s: %v, %d left", name, err, r.Remaining())
		}
		if got := entryStrings(es); !slices.Equal(got, elems) {
			t.Errorf("%s: decoded %d elements, want %d", name, len(got), len(elems))
		}
		return nodes
	}
	for i, l := range lists {
		check(fmt.Sprintf("list %d (fill -2)", i), l, DefaultListFill, DefaultPackedThreshold)
	}
	for _, fill := range []int{-1, -3, -5, 1, 5, 128} {
		g.do("CONFIG", "SET", "list-max-listpack-size", strconv.Itoa(fill))
		for _, i := range []int{len(lists) - 5, len(lists) - 4, len(lists) - 2, len(lists) - 1} {
			check(fmt.Sprintf("list %d (fill %d)", i, fill), lists[i], fill, DefaultPackedThreshold)
		}
	}
	g.do("CONFIG", "SET", "list-max-listpack-size", "-2")
	// list-compress-depth: inner nodes stay LZF-compressed and are saved so;
	// also with rdbcompression off, which only affects the other nodes
	for _, rdbcomp := range []bool{true, false} {
		if !rdbcomp {
			g.do("CONFIG", "SET", "rdbcompression", "no")
		}
		for _, depth := range []int{1, 2, 3} {
			g.do("CONFIG", "SET", "list-compress-depth", strconv.Itoa(depth))
			for _, i := range []int{len(lists) - 5, len(lists) - 4, len(lists) - 3, len(lists) - 2, len(lists) - 1} {
				name := fmt.Sprintf("list %d (depth %d, rdbcompression %v)", i, depth, rdbcomp)
				g.do("DEL", "l")
				g.cmdBatches("RPUSH", "l", lists[i], 1, 200)
				nodes := QuicklistNodes(bs(lists[i]), DefaultListFill, DefaultPackedThreshold)
				r := g.compare(name, "l", TypeListQuicklist2, AppendQuicklist2Depth(nil, nodes, depth, rdbcomp))
				es, err := r.ReadQuicklist2()
				if err != nil || !slices.Equal(entryStrings(es), lists[i]) {
					t.Errorf("%s: decode %v", name, err)
				}
			}
		}
	}
	g.do("CONFIG", "SET", "list-compress-depth", "0")
	g.do("CONFIG", "SET", "rdbcompression", "yes")
	g.do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000")
	mixed := seq(40, func(i int) string { return strings.Repeat("p", []int{10, 999, 1000, 1001, 5000, 3}[i%6]) })
	nodes := check("plain nodes", mixed, DefaultListFill, 1000)
	plain := 0
	for _, n := range nodes {
		if n.Container == QuicklistPlain {
			plain++
		}
	}
	if plain != 20 || len(nodes) != 27 {
		t.Errorf("%d plain nodes of %d, want 20 of 27", plain, len(nodes))
	}
	if n := len(QuicklistNodes(bs(lists[len(lists)-4]), -2, DefaultPackedThreshold)); n < 3 {
		t.Errorf("5000 integers in %d nodes; the test wants several", n)
	}
	check("plain only", []string{strings.Repeat("q", 2000)}, DefaultListFill, 1000)
}
