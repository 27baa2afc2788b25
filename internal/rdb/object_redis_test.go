package rdb

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
	"github.com/redoubt/redoubt/test/testutil"
)

// objRedis is a Redis with the default encoding limits and the given list
// and stream node settings.
func objRedis(t *testing.T, args ...string) goldenConn {
	srv := testutil.StartRedis(t, args...)
	return goldenConn{t, testutil.DialRaw(t, srv.Addr)}
}

// compareValue checks that Redis's DUMP of key is byte for byte the DUMP
// redoubt builds from v, and that Redis's payload decodes (with Redis's
// default limits) and re-encodes to the same bytes.
func (g goldenConn) compareValue(name, key string, v keyspace.Value, o SaveOptions) keyspace.Value {
	g.t.Helper()
	typ, err := TypeOf(v)
	if err != nil {
		g.t.Fatal(err)
	}
	mine := AppendValue(nil, v, o)
	r := g.compare(name, key, typ, mine)
	got, err := ReadValue(r, typ, DefaultLimits)
	if err != nil {
		g.t.Fatalf("%s: decoding Redis's DUMP: %v", name, err)
	}
	if r.Remaining() != 0 {
		g.t.Errorf("%s: %d bytes left after the value", name, r.Remaining())
	}
	if again := AppendValue(nil, got, o); !bytes.Equal(again, mine) {
		g.t.Errorf("%s: decoded value re-encodes differently", name)
	}
	return got
}

func TestListDumpMatchesRedis(t *testing.T) {
	for _, cfg := range []struct {
		fill, depth int
	}{{-2, 0}, {-1, 0}, {5, 0}, {-2, 1}, {3, 2}, {-7, 0}, {0, 0}} {
		g := objRedis(t, "--list-max-listpack-size", strconv.Itoa(cfg.fill), "--list-compress-depth", strconv.Itoa(cfg.depth))
		o := SaveOptions{Compress: true, ListFill: cfg.fill, ListCompressDepth: cfg.depth}
		for _, n := range []int{1, 7, 100, 3000} {
			var elems []string
			for i := range n {
				switch i % 4 {
				case 0:
					elems = append(elems, strconv.Itoa(i*31-50))
				case 1:
					elems = append(elems, strings.Repeat("v", i%70))
				case 2:
					elems = append(elems, fmt.Sprintf("element-%d-%s", i, strings.Repeat("ab", i%13)))
				default:
					elems = append(elems, "")
				}
			}
			g.do("DEL", "l")
			g.cmdBatches("RPUSH", "l", elems, 1, 500)
			l := types.NewList()
			for _, e := range elems {
				l.PushTail([]byte(e))
			}
			got := g.compareValue(fmt.Sprintf("list fill %d depth %d n %d", cfg.fill, cfg.depth, n), "l", l, o).(*types.List)
			if got.Len() != n || string(got.At(n-1)) != elems[n-1] {
				t.Errorf("decoded list: %d elements", got.Len())
			}
		}
	}
}

func TestCompactDumpsMatchRedis(t *testing.T) {
	g := objRedis(t)
	o := DefaultSaveOptions
	// hash listpack, insertion order kept, values updated in place
	h := types.NewHash()
	var args []string
	for i := range 50 {
		f, v := "field"+strconv.Itoa(i), strconv.Itoa(i*i-7)
		if i%3 == 0 {
			v = strings.Repeat("x", i)
		}
		args = append(args, f, v)
		h.Set([]byte(f), []byte(v), 128, 64)
	}
	g.do(append([]string{"HSET", "h"}, args...)...)
	g.do("HSET", "h", "field7", "changed")
	h.Set([]byte("field7"), []byte("changed"), 128, 64)
	g.do("HDEL", "h", "field3")
	h.Delete([]byte("field3"))
	g.compareValue("hash listpack", "h", h, o)

	// intsets of each width, and a width kept after the wide member left
	for _, c := range []struct {
		name string
		vals []int64
		del  int64
	}{
		{"w2", []int64{1, -5, 300, 32767, -32768}, 0},
		{"w4", []int64{1, 70000, -2147483648}, 0},
		{"w8", []int64{1, 1 << 40, -1 << 62}, 0},
		{"w8kept", []int64{1, 2, 1 << 40}, 1 << 40},
	} {
		s := types.NewIntset()
		for _, v := range c.vals {
			m := strconv.FormatInt(v, 10)
			g.do("SADD", c.name, m)
			s.Add([]byte(m), 512)
		}
		if c.del != 0 {
			m := strconv.FormatInt(c.del, 10)
			g.do("SREM", c.name, m)
			s.Remove([]byte(m))
		}
		got := g.compareValue("intset "+c.name, c.name, s, o).(*types.Set)
		if got.IntWidth() != s.IntWidth() {
			t.Errorf("%s: width %d after load, want %d", c.name, got.IntWidth(), s.IntWidth())
		}
	}

	// zset listpack with integer, fractional, inf and -0 scores
	z := types.NewZSet(true)
	for i, sc := range []string{"1", "-2.5", "inf", "-inf", "0", "3.141592653589793", "1e300", "4611686018427387904", "-0", "17"} {
		m := "m" + strconv.Itoa(i)
		g.do("ZADD", "z", sc, m)
		f, _ := strconv.ParseFloat(sc, 64)
		z.Insert(m, f)
	}
	g.compareValue("zset listpack", "z", z, o)
}

func TestStreamDumpMatchesRedis(t *testing.T) {
	g := objRedis(t)
	o := DefaultSaveOptions
	add := func(s *types.Stream, key string, id types.StreamID, fv ...string) {
		g.do(append([]string{"XADD", key, id.String()}, fv...)...)
		b := make([][]byte, len(fv))
		for i, x := range fv {
			b[i] = []byte(x)
		}
		s.Append(id, b, 100, 4096)
	}
	// many entries: node splits by count and by bytes, same and other fields
	s := types.NewStream()
	for i := range 450 {
		id := types.StreamID{Ms: 1700000000000 + uint64(i/3), Seq: uint64(i % 3)}
		switch {
		case i%7 == 0:
			add(s, "s", id, "other", strconv.Itoa(i))
		case i > 300:
			add(s, "s", id, "name", strings.Repeat("n", i%90), "n", strconv.Itoa(i))
		default:
			add(s, "s", id, "name", "x"+strconv.Itoa(i), "n", strconv.Itoa(i))
		}
	}
	g.compareValue("stream", "s", s, o)

	// with deletions (tombstones), a consumer group and pending entries
	g.do("XDEL", "s", "1700000000010-1")
	s.Delete(types.StreamID{Ms: 1700000000010, Seq: 1})
	for i := range 100 { // empties a whole node
		id := types.StreamID{Ms: 1700000000000 + uint64(i/3), Seq: uint64(i % 3)}
		g.do("XDEL", "s", id.String())
		s.Delete(id)
	}
	g.do("XGROUP", "CREATE", "s", "g1", "0")
	g.do("XGROUP", "CREATE", "s", "g0", "$")
	g.do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "s", ">")
	g.do("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "s", ">")
	g.do("XACK", "s", "g1", "1700000000033-1")
	g.do("XGROUP", "CREATECONSUMER", "s", "g0", "idle")
	// rebuild the groups from Redis's own DUMP for the times, then compare
	body, _, err := VerifyDump(g.dump("s"))
	if err != nil {
		t.Fatal(err)
	}
	red, err := ReadValue(NewReader(body[1:]), TypeStreamListpacks2, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range red.(*types.Stream).Groups() {
		mg := s.CreateGroup(rg.Name, rg.LastID, rg.EntriesRead)
		for _, rc := range rg.Consumers() {
			mc := mg.CreateConsumer(rc.Name, rc.SeenTime)
			rc.PEL.Ascend(types.StreamID{}, func(id types.StreamID, n *types.StreamNACK) bool {
				mg.AddPending(id, mc, n.DeliveryTime, n.DeliveryCount)
				return true
			})
		}
	}
	got := g.compareValue("stream with groups", "s", s, o).(*types.Stream)
	if got.Len() != s.Len() || len(got.Groups()) != 2 || got.Groups()[1].PEL.Len() != 7 {
		t.Errorf("decoded stream: len %d, %d groups", got.Len(), len(got.Groups()))
	}
}

// TestListDumpHeadPushes: a list Redis built by head pushes can have other
// node boundaries than the tail-push split redoubt saves (redoubt keeps no
// push history), so only small lists are byte-identical; large ones must
// still decode to the same elements from either side.
func TestListDumpHeadPushes(t *testing.T) {
	g := objRedis(t, "--rdbcompression", "no")
	o := SaveOptions{ListFill: DefaultListFill}
	for _, n := range []int{5, 2000} {
		var elems []string
		for i := range n {
			elems = append(elems, "item-"+strconv.Itoa(i))
		}
		g.do("DEL", "l")
		g.cmdBatches("LPUSH", "l", elems, 1, 500)
		l := types.NewList()
		for _, e := range elems {
			l.PushHead([]byte(e))
		}
		mine := AppendValue(nil, l, o)
		body, _, err := VerifyDump(g.dump("l"))
		if err != nil {
			t.Fatal(err)
		}
		if n == 5 && !bytes.Equal(body[1:], mine) {
			t.Errorf("small LPUSH list: DUMP differs")
		}
		red, err := ReadValue(NewReader(body[1:]), body[0], DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if valueText(red) != valueText(l) {
			t.Errorf("LPUSH list of %d decodes to other elements", n)
		}
	}
}

// TestStreamTrimClaimMatchesRedis: exact and approximate trims and
// re-deliveries (counts above 1) keep byte identity.
func TestStreamTrimClaimMatchesRedis(t *testing.T) {
	g := objRedis(t)
	s := types.NewStream()
	for i := range 350 {
		id := types.StreamID{Ms: 5000 + uint64(i), Seq: 0}
		fv := []string{"k", strconv.Itoa(i)}
		g.do(append([]string{"XADD", "s", id.String()}, fv...)...)
		s.Append(id, [][]byte{[]byte(fv[0]), []byte(fv[1])}, 100, 4096)
	}
	g.do("XTRIM", "s", "MAXLEN", "~", "220")
	s.Trim(false, 220, types.StreamID{}, true, 100*100)
	g.do("XTRIM", "s", "MAXLEN", "180")
	s.Trim(false, 180, types.StreamID{}, false, 0)
	g.compareValue("trimmed stream", "s", s, DefaultSaveOptions)

	g.do("XGROUP", "CREATE", "s", "g", "0")
	g.do("XREADGROUP", "GROUP", "g", "a", "COUNT", "4", "STREAMS", "s", ">")
	g.do("XCLAIM", "s", "g", "b", "0", "5171-0", "5172-0")
	g.do("XCLAIM", "s", "g", "b", "0", "5172-0")
	body, _, err := VerifyDump(g.dump("s"))
	if err != nil {
		t.Fatal(err)
	}
	red, err := ReadValue(NewReader(body[1:]), TypeStreamListpacks2, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range red.(*types.Stream).Groups() {
		mg := s.CreateGroup(rg.Name, rg.LastID, rg.EntriesRead)
		for _, rc := range rg.Consumers() {
			mc := mg.CreateConsumer(rc.Name, rc.SeenTime)
			rc.PEL.Ascend(types.StreamID{}, func(id types.StreamID, n *types.StreamNACK) bool {
				mg.AddPending(id, mc, n.DeliveryTime, n.DeliveryCount)
				return true
			})
		}
	}
	got := g.compareValue("claimed stream", "s", s, DefaultSaveOptions).(*types.Stream)
	if n := got.Group("g").PEL.Get(types.StreamID{Ms: 5172}); n == nil || n.DeliveryCount != 3 || n.Consumer.Name != "b" {
		t.Errorf("claimed entry: %+v", n)
	}
}

// TestStreamNodeLimitsMatchRedis: other stream-node-max-* settings give
// the same node splits as Redis's.
func TestStreamNodeLimitsMatchRedis(t *testing.T) {
	for _, c := range []struct{ entries, bytes int }{{7, 200}, {0, 300}, {3, 0}, {1000, 100000}} {
		g := objRedis(t, "--stream-node-max-entries", strconv.Itoa(c.entries), "--stream-node-max-bytes", strconv.Itoa(c.bytes))
		o := DefaultSaveOptions
		o.StreamNodeMaxEntries, o.StreamNodeMaxBytes = c.entries, c.bytes
		s := types.NewStream()
		for i := range 400 {
			id := types.StreamID{Ms: 99, Seq: uint64(i)}
			fv := []string{"a", strings.Repeat("v", i%37), "b", strconv.Itoa(i * i)}
			if i%13 == 0 {
				fv = []string{"z", "1"}
			}
			g.do(append([]string{"XADD", "s", id.String()}, fv...)...)
			b := make([][]byte, len(fv))
			for j, x := range fv {
				b[j] = []byte(x)
			}
			s.Append(id, b, c.entries, c.bytes)
		}
		for i := 0; i < 400; i += 3 {
			id := types.StreamID{Ms: 99, Seq: uint64(i)}
			g.do("XDEL", "s", id.String())
			s.Delete(id)
		}
		g.compareValue(fmt.Sprintf("stream limits %d/%d", c.entries, c.bytes), "s", s, o)
	}
}

// TestListBigElementsMatchRedis: elements beyond a node's size limit get
// nodes of their own, as in Redis.
func TestListBigElementsMatchRedis(t *testing.T) {
	g := objRedis(t, "--list-compress-depth", "1")
	elems := []string{"a", strings.Repeat("b", 9000), "c", "d", strings.Repeat("e", 5000), strings.Repeat("f", 5000), strings.Repeat("g", 20000), "h"}
	g.cmdBatches("RPUSH", "l", elems, 1, 500)
	l := types.NewList()
	for _, e := range elems {
		l.PushTail([]byte(e))
	}
	g.compareValue("list with big elements", "l", l, SaveOptions{Compress: true, ListFill: DefaultListFill, ListCompressDepth: 1})
}
