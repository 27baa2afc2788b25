package rdb

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// valueText renders a value's content and encoding for comparisons.
func valueText(v keyspace.Value) string {
	var b strings.Builder
	switch v := v.(type) {
	case *types.String:
		fmt.Fprintf(&b, "string %q", v.B)
	case *types.List:
		b.WriteString("list")
		for i := range v.Len() {
			fmt.Fprintf(&b, " %q", v.At(i))
		}
	case *types.Set:
		m := v.Members()
		slices.Sort(m)
		fmt.Fprintf(&b, "set %s w%d %q", v.Encoding(), v.IntWidth(), m)
	case *types.Hash:
		fmt.Fprintf(&b, "hash %s", v.Encoding())
		var kv []string
		v.ForEach(func(f, x []byte) bool {
			kv = append(kv, string(f)+"="+string(x))
			return true
		})
		if !v.IsListpack() {
			slices.Sort(kv)
		}
		fmt.Fprintf(&b, " %q", kv)
	case *types.ZSet:
		fmt.Fprintf(&b, "zset %s", v.Encoding())
		for n := v.First(); n != nil; n = n.Next() {
			fmt.Fprintf(&b, " %q:%v", n.Member, n.Score)
		}
	case *types.Stream:
		first := v.FirstID
		if v.Len() == 0 {
			first = types.StreamID{} // meaningless, and saved as 0-0 as Redis does
		}
		fmt.Fprintf(&b, "stream len %d last %s first %s maxdel %s added %d", v.Len(), v.LastID, first, v.MaxDeletedID, v.EntriesAdded)
		v.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
			fmt.Fprintf(&b, " %s%q", id, fv)
			return true
		})
		for _, g := range v.Groups() {
			fmt.Fprintf(&b, " group %s %s %d", g.Name, g.LastID, g.EntriesRead)
			for _, c := range g.Consumers() {
				fmt.Fprintf(&b, " consumer %s %d", c.Name, c.SeenTime)
				c.PEL.Ascend(types.StreamID{}, func(id types.StreamID, n *types.StreamNACK) bool {
					fmt.Fprintf(&b, " %s/%d/%d", id, n.DeliveryTime, n.DeliveryCount)
					return true
				})
			}
		}
	}
	return b.String()
}

func roundTrip(t *testing.T, v keyspace.Value, o SaveOptions, lim Limits) keyspace.Value {
	t.Helper()
	typ, err := TypeOf(v)
	if err != nil {
		t.Fatal(err)
	}
	b := AppendValue(nil, v, o)
	r := NewReader(b)
	got, err := ReadValue(r, typ, lim)
	if err != nil {
		t.Fatalf("%s: %v", valueText(v), err)
	}
	if r.Remaining() != 0 {
		t.Errorf("%d bytes left", r.Remaining())
	}
	if w, g := valueText(v), valueText(got); w != g {
		t.Errorf("round trip (type %d) changed the value:\n want %.300s\n got  %.300s", typ, w, g)
	}
	return got
}

func testStream(n int, groups bool) *types.Stream {
	s := types.NewStream()
	for i := range n {
		fv := [][]byte{[]byte("f"), []byte(strconv.Itoa(i)), []byte("g"), []byte(strings.Repeat("x", i%200))}
		if i%5 == 0 {
			fv = [][]byte{[]byte("other"), []byte("v")}
		}
		s.Append(types.StreamID{Ms: 1000 + uint64(i/2), Seq: uint64(i % 2)}, fv, 100, 4096)
	}
	for i := 0; i < n; i += 9 {
		s.Delete(types.StreamID{Ms: 1000 + uint64(i/2), Seq: uint64(i % 2)})
	}
	if groups {
		g := s.CreateGroup("g", types.StreamID{Ms: 1003}, 7)
		c := g.CreateConsumer("c1", 12345)
		g.CreateConsumer("c2", 777)
		for _, id := range []types.StreamID{{Ms: 1000, Seq: 1}, {Ms: 1002}} {
			g.AddPending(id, c, 999, 3)
		}
		s.CreateGroup("empty", types.StreamID{}, types.InvalidEntriesRead)
	}
	return s
}

func TestValueRoundTrips(t *testing.T) {
	o, lim := DefaultSaveOptions, DefaultLimits
	var vals []keyspace.Value
	vals = append(vals, types.NewString([]byte("hello")))
	for _, n := range []int{1, 10, 5000} {
		l := types.NewList()
		for i := range n {
			l.PushTail([]byte(strings.Repeat("e", i%100) + strconv.Itoa(i)))
		}
		vals = append(vals, l)
	}
	for _, n := range []int{3, 200} {
		h := types.NewHash()
		for i := range n {
			h.Set([]byte("f"+strconv.Itoa(i)), []byte(strconv.Itoa(i*3)), 128, 64)
		}
		vals = append(vals, h)
		z := types.NewZSet(n <= 128)
		for i := range n {
			z.Insert("m"+strconv.Itoa(i), float64(i)/7-2)
		}
		vals = append(vals, z)
		s := types.NewIntset()
		for i := range n {
			s.Add([]byte(strconv.Itoa(i*i*1000-77)), 512)
		}
		vals = append(vals, s)
	}
	wide := types.NewIntset()
	wide.Add([]byte("1"), 512)
	wide.Add([]byte("9000000000"), 512)
	wide.Remove([]byte("9000000000"))
	vals = append(vals, wide, testStream(1, false), testStream(500, true))
	empty := types.NewStream()
	empty.CreateGroup("g", types.StreamID{}, 0)
	vals = append(vals, empty)
	for _, v := range vals {
		roundTrip(t, v, o, lim)
	}
	// other save settings still load to the same values
	for _, v := range vals[1:4] {
		roundTrip(t, v, SaveOptions{ListFill: 3, ListCompressDepth: 1}, lim)
		roundTrip(t, v, SaveOptions{Compress: true, ListFill: -5, ListCompressDepth: 2}, lim)
	}
	roundTrip(t, vals[len(vals)-2], SaveOptions{StreamNodeMaxEntries: 0, StreamNodeMaxBytes: 0}, lim)
	roundTrip(t, vals[len(vals)-2], SaveOptions{StreamNodeMaxEntries: 3, StreamNodeMaxBytes: 100}, Limits{StreamNodeMaxEntries: 2})
}

// TestLoadConversions: the encoding a loaded value gets follows the
// loading server's limits, as Redis's loader decides.
func TestLoadConversions(t *testing.T) {
	h := types.NewHash()
	for i := range 10 {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte(strings.Repeat("v", 100)), 128, 1000)
	}
	// a listpack hash with long values stays a listpack (Redis checks the length only)
	got := roundTrip(t, h, DefaultSaveOptions, DefaultLimits).(*types.Hash)
	if !got.IsListpack() {
		t.Error("listpack hash with long values converted")
	}
	lim := DefaultLimits
	lim.HashMaxListpackEntries, lim.ZSetMaxListpackEntries, lim.SetMaxIntsetEntries = 5, 5, 5
	b := AppendValue(nil, h, DefaultSaveOptions)
	v, err := ReadValue(NewReader(b), TypeHashListpack, lim)
	if err != nil || v.(*types.Hash).IsListpack() {
		t.Errorf("long listpack hash: %v, want hashtable", err)
	}
	z := types.NewZSet(true)
	s := types.NewIntset()
	for i := range 10 {
		z.Insert(strconv.Itoa(i), float64(i))
		s.Add([]byte(strconv.Itoa(i)), 512)
	}
	v, err = ReadValue(NewReader(AppendValue(nil, z, DefaultSaveOptions)), TypeZSetListpack, lim)
	if err != nil || v.(*types.ZSet).IsListpack() {
		t.Errorf("long listpack zset: %v, want skiplist", err)
	}
	// a skiplist zset loads as a listpack only when it fits the limits
	z.ConvertToSkiplist()
	v, err = ReadValue(NewReader(AppendValue(nil, z, DefaultSaveOptions)), TypeZSet2, lim)
	if err != nil || v.(*types.ZSet).IsListpack() {
		t.Errorf("long skiplist zset: %v, want skiplist", err)
	}
	v, err = ReadValue(NewReader(AppendValue(nil, z, DefaultSaveOptions)), TypeZSet2, DefaultLimits)
	if err != nil || !v.(*types.ZSet).IsListpack() {
		t.Errorf("short skiplist zset: %v, want listpack", err)
	}
	v, err = ReadValue(NewReader(AppendValue(nil, s, DefaultSaveOptions)), TypeSetIntset, lim)
	if err != nil || v.(*types.Set).IsIntset() {
		t.Errorf("long intset: %v, want hashtable", err)
	}
}

// buildZipmap builds a Redis 2.4 zipmap (zipmap.c) of field,value pairs.
func buildZipmap(pairs []string) []byte {
	zl := func(b []byte, n int) []byte {
		if n < 254 {
			return append(b, byte(n))
		}
		return append(b, 254, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	b := []byte{byte(len(pairs) / 2)}
	for i := 0; i < len(pairs); i += 2 {
		b = zl(b, len(pairs[i]))
		b = append(b, pairs[i]...)
		b = zl(b, len(pairs[i+1]))
		b = append(b, 0) // free bytes
		b = append(b, pairs[i+1]...)
	}
	return append(b, 255)
}

// TestLoadLegacyEncodings decodes the encodings older Redis versions wrote.
func TestLoadLegacyEncodings(t *testing.T) {
	elems := []string{"a", "17", "", "-300", strings.Repeat("long", 100), "x"}
	pairs := []string{"f1", "v1", "2", "22", "f3", strings.Repeat("q", 70)}
	zpairs := []string{"one", "1", "half", "0.5", "big", "1e300", "minf", "-inf"}
	listText := valueText(func() *types.List {
		l := types.NewList()
		for _, e := range elems {
			l.PushTail([]byte(e))
		}
		return l
	}())
	oldList := AppendLen(nil, uint64(len(elems)))
	for _, e := range elems {
		oldList = AppendString(oldList, []byte(e), false)
	}
	oldZSet := AppendLen(nil, uint64(len(zpairs)/2))
	for i := 0; i < len(zpairs); i += 2 {
		f, _ := strconv.ParseFloat(zpairs[i+1], 64)
		oldZSet = AppendString(oldZSet, []byte(zpairs[i]), false)
		oldZSet = AppendDoubleString(oldZSet, f)
	}
	zsetText := "zset listpack \"minf\":-Inf \"half\":0.5 \"one\":1 \"big\":1e+300"
	for _, c := range []struct {
		name string
		typ  byte
		data []byte
		want string
	}{
		{"linked list", TypeList, oldList, listText},
		{"ziplist list", TypeListZiplist, AppendString(nil, BuildZiplist(bs(elems)), false), listText},
		{"quicklist of ziplists", TypeListQuicklist, AppendQuicklist(nil, bs(elems), 4, true), listText},
		{"zipmap hash", TypeHashZipmap, AppendString(nil, buildZipmap(pairs), false), `hash hashtable ["2=22" "f1=v1" "f3=` + strings.Repeat("q", 70) + `"]`},
		{"zipmap hash small", TypeHashZipmap, AppendString(nil, buildZipmap(pairs[:4]), false), `hash listpack ["f1=v1" "2=22"]`},
		{"ziplist hash", TypeHashZiplist, AppendString(nil, BuildZiplist(bs(pairs)), false), `hash listpack ["f1=v1" "2=22" "f3=` + strings.Repeat("q", 70) + `"]`},
		{"ziplist zset", TypeZSetZiplist, AppendString(nil, BuildZiplist(bs(zpairs)), false), zsetText},
		{"zset with text scores", TypeZSet, oldZSet, zsetText},
	} {
		v, err := ReadValue(NewReader(c.data), c.typ, DefaultLimits)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := valueText(v); got != c.want {
			t.Errorf("%s:\n got  %.200s\n want %.200s", c.name, got, c.want)
		}
	}
	// a stream in the 6.x layout: no first/max-deleted IDs, added count or
	// group read counters
	s := testStream(50, false)
	v1 := AppendLen(nil, 0)
	nodes := streamNodes(s, 100, 4096, nil)
	v1 = AppendLen(nil, uint64(len(nodes)))
	for _, n := range nodes {
		v1 = AppendString(v1, appendRawID(nil, n.master), false)
		v1 = AppendString(v1, n.listpack(), false)
	}
	v1 = AppendLen(v1, s.Len())
	v1 = AppendLen(v1, s.LastID.Ms)
	v1 = AppendLen(v1, s.LastID.Seq)
	v1 = AppendLen(v1, 1)
	v1 = AppendString(v1, []byte("grp"), false)
	v1 = AppendLen(v1, s.LastID.Ms)
	v1 = AppendLen(v1, s.LastID.Seq)
	v1 = AppendLen(v1, 0) // PEL
	v1 = AppendLen(v1, 0) // consumers
	v, err := ReadValue(NewReader(v1), TypeStreamListpacks, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	st := v.(*types.Stream)
	if st.Len() != s.Len() || st.EntriesAdded != s.Len() || st.FirstID != s.FirstID || !st.MaxDeletedID.IsZero() {
		t.Errorf("v1 stream: %s", valueText(st))
	}
	if g := st.Group("grp"); g == nil || g.EntriesRead != int64(s.Len()) {
		t.Errorf("v1 stream group: %+v", g)
	}
}

// TestZSetScoreText: listpack scores that are not numbers read as
// strtod's prefix, as Redis reads them.
func TestZSetScoreText(t *testing.T) {
	lp := AppendString(nil, BuildListpack(bs([]string{"a", "x1", "b", "2.5abc", "c", " 7", "d", "-inf"})), false)
	v, err := ReadValue(NewReader(lp), TypeZSetListpack, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := valueText(v), `zset listpack "d":-Inf "a":0 "b":2.5 "c":7`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestLoadRejects: malformed values fail with an *Error, empty ones with
// ErrEmptyKey.
func TestLoadRejects(t *testing.T) {
	dupHash := AppendString(nil, BuildListpack(bs([]string{"a", "1", "a", "2"})), false)
	oddHash := AppendString(nil, BuildListpack(bs([]string{"a", "1", "b"})), false)
	badScore := AppendString(nil, BuildListpack(bs([]string{"a", "nan"})), false)
	emptyLP := AppendString(nil, BuildListpack(nil), false)
	badIntset := AppendString(nil, []byte{2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 3, 0}, false) // not ascending
	st := AppendValue(nil, testStream(20, true), DefaultSaveOptions)
	for _, c := range []struct {
		name  string
		typ   byte
		data  []byte
		empty bool
	}{
		{"dup hash", TypeHashListpack, dupHash, false},
		{"odd hash", TypeHashListpack, oddHash, false},
		{"NaN score", TypeZSetListpack, badScore, false},
		{"empty hash", TypeHashListpack, emptyLP, true},
		{"empty zset", TypeZSetListpack, emptyLP, true},
		{"empty list", TypeListQuicklist2, AppendLen(nil, 0), true},
		{"empty old list", TypeList, AppendLen(nil, 0), true},
		{"bad intset", TypeSetIntset, badIntset, false},
		{"truncated stream", TypeStreamListpacks2, st[:len(st)-5], false},
		{"stream as v1", TypeStreamListpacks, st, false},
	} {
		_, err := ReadValue(NewReader(c.data), c.typ, DefaultLimits)
		var e *Error
		switch {
		case err == nil:
			t.Errorf("%s: no error", c.name)
		case !errors.As(err, &e):
			t.Errorf("%s: %T %v", c.name, err, err)
		case errors.Is(err, ErrEmptyKey) != c.empty:
			t.Errorf("%s: %v (empty %v)", c.name, err, c.empty)
		}
	}
}
