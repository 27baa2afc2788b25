// zset_test.go checks the sorted set against a plain sorted slice under
// random inserts, updates and removals: order, ranks, rank lookups, score
// and lex ranges, and the listpack-to-skiplist conversion rules.
package types

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"unsafe"
)

type refPair struct {
	member string
	score  float64
}

func sortedRef(m map[string]float64) []refPair {
	var out []refPair
	for k, v := range m {
		out = append(out, refPair{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score < out[j].score
		}
		return out[i].member < out[j].member
	})
	return out
}

func checkAgainst(t *testing.T, z *ZSet, ref map[string]float64) {
	t.Helper()
	want := sortedRef(ref)
	if z.Len() != len(want) {
		t.Fatalf("len %d, want %d", z.Len(), len(want))
	}
	i := 0
	for n := z.First(); n != nil; n = n.Next() {
		if n.Member != want[i].member || n.Score != want[i].score {
			t.Fatalf("pos %d: %s/%v, want %s/%v", i, n.Member, n.Score, want[i].member, want[i].score)
		}
		if r, _ := z.Rank([]byte(n.Member), false); r != i {
			t.Fatalf("rank of %s = %d, want %d", n.Member, r, i)
		}
		if r, _ := z.Rank([]byte(n.Member), true); r != len(want)-1-i {
			t.Fatalf("revrank of %s = %d, want %d", n.Member, r, len(want)-1-i)
		}
		if b := z.ByRank(i); b != n {
			t.Fatalf("ByRank(%d) = %v", i, b)
		}
		i++
	}
	// walk backwards too
	i = len(want) - 1
	for n := z.Last(); n != nil; n = n.Prev() {
		if n.Member != want[i].member {
			t.Fatalf("backward pos %d: %s, want %s", i, n.Member, want[i].member)
		}
		i--
	}
	if i != -1 {
		t.Fatalf("backward walk stopped at %d", i)
	}
}

func TestZSetRandomOperations(t *testing.T) {
	z := NewZSet(false)
	ref := map[string]float64{}
	lim := ZSetLimits{MaxEntries: 128, MaxValue: 64}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 5000 {
		member := fmt.Sprintf("m%d", rng.IntN(300))
		score := float64(rng.IntN(50))
		switch rng.IntN(4) {
		case 0, 1:
			res, got := z.Add([]byte(member), score, 0, lim)
			_, existed := ref[member]
			if existed && res == ZAddAdded || !existed && res != ZAddAdded || got != score {
				t.Fatalf("step %d: Add(%s) = %d %v (existed %v)", step, member, res, got, existed)
			}
			ref[member] = score
		case 2:
			res, got := z.Add([]byte(member), score, ZAddIncr, lim)
			if res == ZAddNaN {
				t.Fatal("unexpected NaN")
			}
			ref[member] += score
			if got != ref[member] {
				t.Fatalf("incr %s = %v, want %v", member, got, ref[member])
			}
		case 3:
			_, existed := ref[member]
			if z.Remove([]byte(member)) != existed {
				t.Fatalf("Remove(%s) disagrees", member)
			}
			delete(ref, member)
		}
		if step%250 == 0 {
			checkAgainst(t, z, ref)
		}
	}
	checkAgainst(t, z, ref)
	d := z.Dup().(*ZSet)
	z.Remove([]byte(z.First().Member))
	checkAgainst(t, d, ref)
}

func TestZSetAddFlags(t *testing.T) {
	lim := ZSetLimits{MaxEntries: 128, MaxValue: 64}
	z := NewZSet(true)
	z.Add([]byte("a"), 5, 0, lim)
	cases := []struct {
		flags   int
		score   float64
		outcome int
		after   float64
	}{
		{ZAddNX, 1, ZAddNop, 5},
		{ZAddGT, 4, ZAddNop, 5},
		{ZAddGT, 6, ZAddUpdated, 6},
		{ZAddLT, 7, ZAddNop, 6},
		{ZAddLT | ZAddXX, 2, ZAddUpdated, 2},
		{0, 2, ZAddUnchanged, 2},
		{ZAddIncr, 3, ZAddUpdated, 5},
	}
	for i, tc := range cases {
		res, _ := z.Add([]byte("a"), tc.score, tc.flags, lim)
		got, _ := z.Score([]byte("a"))
		if res != tc.outcome || got != tc.after {
			t.Fatalf("case %d: outcome %d score %v, want %d %v", i, res, got, tc.outcome, tc.after)
		}
	}
	if res, _ := z.Add([]byte("b"), 1, ZAddXX, lim); res != ZAddNop || z.Len() != 1 {
		t.Fatal("XX added a member")
	}
	inf := 1.0
	for range 1100 {
		inf *= 10
	}
	z.Add([]byte("i"), inf, 0, lim)
	if res, _ := z.Add([]byte("i"), -inf, ZAddIncr, lim); res != ZAddNaN {
		t.Fatal("inf + -inf not reported as NaN")
	}
}

func TestZSetEncodingConversion(t *testing.T) {
	lim := ZSetLimits{MaxEntries: 3, MaxValue: 4}
	z := NewZSetFor(1, lim)
	for i, m := range []string{"a", "b", "c"} {
		z.Add([]byte(m), float64(i), 0, lim)
	}
	if z.Encoding() != "listpack" {
		t.Fatalf("encoding %s with 3 entries", z.Encoding())
	}
	z.Add([]byte("d"), 4, 0, lim)
	if z.Encoding() != "skiplist" {
		t.Fatalf("encoding %s with 4 entries", z.Encoding())
	}
	z.Remove([]byte("d"))
	z.Remove([]byte("c"))
	if z.Encoding() != "skiplist" {
		t.Fatal("converted back to listpack")
	}
	long := NewZSetFor(2, lim)
	long.Add([]byte("toolong"), 1, 0, lim)
	if long.Encoding() != "skiplist" {
		t.Fatal("long member kept listpack")
	}
	if NewZSetFor(5, lim).Encoding() != "skiplist" || NewZSetFor(1, ZSetLimits{MaxEntries: 0, MaxValue: 64}).Encoding() != "skiplist" {
		t.Fatal("new set ignores limits")
	}
}

func TestZSetRanges(t *testing.T) {
	lim := ZSetLimits{MaxEntries: 128, MaxValue: 64}
	z := NewZSet(false)
	for i, m := range []string{"a", "b", "c", "d", "e"} {
		z.Add([]byte(m), float64(i+1), 0, lim)
	}
	r := &ScoreRange{Min: 2, Max: 4, MinEx: true}
	if f, l := z.FirstInRange(r), z.LastInRange(r); f.Member != "c" || l.Member != "d" {
		t.Fatalf("score range (2 4: %s..%s", f.Member, l.Member)
	}
	if z.FirstInRange(&ScoreRange{Min: 3, Max: 3, MaxEx: true}) != nil {
		t.Fatal("empty interval matched")
	}
	if z.FirstInRange(&ScoreRange{Min: 6, Max: 9}) != nil || z.LastInRange(&ScoreRange{Min: -9, Max: 0}) != nil {
		t.Fatal("out-of-range interval matched")
	}
	lr := &LexRange{Min: LexBound{Inf: -1}, Max: LexBound{Value: "c", Ex: true}}
	if f, l := z.FirstInLexRange(lr), z.LastInLexRange(lr); f.Member != "a" || l.Member != "b" {
		t.Fatalf("lex range - (c: %s..%s", f.Member, l.Member)
	}
	lr = &LexRange{Min: LexBound{Value: "bb"}, Max: LexBound{Inf: 1}}
	if f, l := z.FirstInLexRange(lr), z.LastInLexRange(lr); f.Member != "c" || l.Member != "e" {
		t.Fatalf("lex range [bb +: %s..%s", f.Member, l.Member)
	}
	if z.FirstInLexRange(&LexRange{Min: LexBound{Inf: 1}, Max: LexBound{Inf: -1}}) != nil {
		t.Fatal("+ - matched")
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	for {
		cursor = z.Scan(cursor, func(n *ZNode) { seen[n.Member] = true })
		if cursor == 0 {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("scan saw %d members", len(seen))
	}
}

// TestZNodeSize guards the node layout: three nodes in four have height 1
// and must stay in the 64-byte size class.
func TestZNodeSize(t *testing.T) {
	if s := unsafe.Sizeof(ZNode{}); s != 48 {
		t.Fatalf("ZNode is %d bytes, want 48", s)
	}
	if s := unsafe.Sizeof(znodeWith[[1]zslLevel]{}); s != 64 {
		t.Fatalf("a level-1 node is %d bytes, want 64", s)
	}
	if off := unsafe.Offsetof(znodeWith[[3]zslLevel]{}.l); off != unsafe.Sizeof(ZNode{}) {
		t.Fatalf("levels at offset %d", off)
	}
}

// TestZSetScanAcrossRehash checks ZSCAN's guarantee on the member index:
// members present for a whole scan are returned even while the table
// grows and shrinks between calls.
func TestZSetScanAcrossRehash(t *testing.T) {
	z := NewZSet(false)
	lim := ZSetLimits{}
	for i := range 500 {
		z.Add([]byte(fmt.Sprintf("keep%d", i)), float64(i), 0, lim)
	}
	seen := map[string]bool{}
	cursor, extra, shrunk := uint64(0), 0, false
	for {
		cursor = z.Scan(cursor, func(n *ZNode) { seen[n.Member] = true })
		if cursor == 0 {
			break
		}
		// grow, then later shrink, while the scan is under way
		switch {
		case shrunk:
		case extra < 5000:
			for range 300 {
				z.Add([]byte(fmt.Sprintf("tmp%d", extra)), 0, 0, lim)
				extra++
			}
		default:
			for i := 0; i < extra; i++ {
				z.Remove([]byte(fmt.Sprintf("tmp%d", i)))
			}
			z.ShrinkIndex()
			shrunk = true
		}
	}
	for i := range 500 {
		if !seen[fmt.Sprintf("keep%d", i)] {
			t.Fatalf("keep%d missed", i)
		}
	}
	for range 200 {
		if n := z.Random(); n == nil || z.node([]byte(n.Member)) != n {
			t.Fatal("Random returned a node not in the index")
		}
	}
}
