// dict_test.go checks the properties the commands rely on: a full SCAN
// returns every key present for the whole iteration even when the table
// grows or shrinks, with incremental rehashing stopped half-way between
// calls; Random and Sample only return live entries and reach all of them.
package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

func key(i int) string { return fmt.Sprintf("key:%d", i) }

func fill(d *Dict, from, to int) {
	for i := from; i < to; i++ {
		d.Add(&Entry{Key: key(i)})
	}
}

// scanAll runs a full SCAN, calling between(step) after every call, and
// returns every key seen and whether some call ran mid-rehash.
func scanAll(d *Dict, between func(step int)) (map[string]bool, bool) {
	seen := map[string]bool{}
	midRehash := false
	cursor := uint64(0)
	for step := 0; ; step++ {
		if d.rehashing() {
			midRehash = true
		}
		cursor = d.Scan(cursor, func(e *Entry) { seen[e.Key] = true })
		if cursor == 0 {
			return seen, midRehash
		}
		between(step)
	}
}

func requireKeys(t *testing.T, seen map[string]bool, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if !seen[key(i)] {
			t.Fatalf("key %s, present for the whole scan, was not returned", key(i))
		}
	}
}

func TestScanGuaranteeAcrossGrowth(t *testing.T) {
	for _, initial := range []int{1, 5, 64, 1000} {
		d := NewDict()
		fill(d, 0, initial)
		next := initial
		seen, mid := scanAll(d, func(step int) {
			// grow by half the table every few steps, so resizes start and
			// are left half done between SCAN calls; stop growing after a
			// while or the scan would never end
			if step%3 == 0 && next < 20*initial+100 {
				n := d.Len()/2 + 7
				fill(d, next, next+n)
				next += n
			}
		})
		requireKeys(t, seen, 0, initial)
		if initial >= 64 && !mid {
			t.Fatalf("initial=%d: no SCAN call ran during a rehash; test is not exercising it", initial)
		}
	}
}

func TestScanGuaranteeAcrossShrink(t *testing.T) {
	const total, kept = 4000, 50
	d := NewDict()
	fill(d, 0, total)
	for d.rehashing() {
		d.rehashStep(100)
	}
	big := len(d.ht[0].buckets)
	deleted := kept
	sawShrinkRehash := false
	seen, _ := scanAll(d, func(step int) {
		// delete a slice of the keys that are not kept, then let the
		// cron shrink the table and move just a few buckets
		for i := 0; i < 400 && deleted < total; i++ {
			d.Delete([]byte(key(deleted)))
			deleted++
		}
		d.ShrinkIfNeeded()
		if d.rehashing() && len(d.ht[1].buckets) < len(d.ht[0].buckets) {
			sawShrinkRehash = true
		}
		d.rehashStep(1)
	})
	requireKeys(t, seen, 0, kept)
	if !sawShrinkRehash {
		t.Fatal("the table never shrank during the scan")
	}
	if len(d.ht[0].buckets) >= big && !d.rehashing() {
		t.Fatalf("table did not shrink: %d buckets", len(d.ht[0].buckets))
	}
}

func TestScanGuaranteeRandomized(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 30; round++ {
		d := NewDict()
		stable := r.IntN(300) + 1
		fill(d, 0, stable)
		next := stable
		var volatile []int
		seen, _ := scanAll(d, func(step int) {
			switch r.IntN(4) {
			case 0, 1: // add a burst of volatile keys (bounded, so the scan ends)
				if next > 5000 {
					break
				}
				n := r.IntN(d.Len() + 10)
				for i := 0; i < n; i++ {
					d.Add(&Entry{Key: key(next)})
					volatile = append(volatile, next)
					next++
				}
			case 2: // delete volatile keys
				n := r.IntN(len(volatile) + 1)
				for _, k := range volatile[:n] {
					d.Delete([]byte(key(k)))
				}
				volatile = volatile[n:]
			case 3:
				d.ShrinkIfNeeded()
			}
			if r.IntN(2) == 0 {
				d.rehashStep(r.IntN(3))
			}
		})
		requireKeys(t, seen, 0, stable)
	}
}

func TestScanEmptyAndCursorBeyondTable(t *testing.T) {
	d := NewDict()
	if c := d.Scan(12345, func(*Entry) { t.Fatal("callback on empty dict") }); c != 0 {
		t.Fatalf("empty dict cursor = %d", c)
	}
	fill(d, 0, 3)
	// a cursor with bits beyond the mask visits a valid bucket
	for _, c := range []uint64{1 << 40, ^uint64(0)} {
		d.Scan(c, func(*Entry) {})
	}
}

func TestRandom(t *testing.T) {
	d := NewDict()
	if d.Random() != nil {
		t.Fatal("Random on an empty dict")
	}
	fill(d, 0, 20)
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		e := d.Random()
		if e == nil || d.Find([]byte(e.Key)) != e {
			t.Fatalf("Random returned %v, not an entry of the dict", e)
		}
		seen[e.Key] = true
	}
	requireKeys(t, seen, 0, 20)

	// during a rehash, entries of both tables are reachable
	fill(d, 20, 200)
	if !d.rehashing() {
		fill(d, 200, 300)
	}
	seen = map[string]bool{}
	for i := 0; i < 1000 && d.rehashing(); i++ {
		d.pauseRehash++
		e := d.Random()
		d.pauseRehash--
		if e == nil || d.Find([]byte(e.Key)) != e {
			t.Fatalf("Random during rehash returned %v", e)
		}
	}
}

func TestSample(t *testing.T) {
	d := NewDict()
	if got := d.Sample(nil, 5); len(got) != 0 {
		t.Fatalf("Sample of empty dict = %d entries", len(got))
	}
	fill(d, 0, 50)
	for d.rehashing() {
		d.rehashStep(100)
	}
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		got := d.Sample(nil, 5)
		if len(got) == 0 || len(got) > 5 {
			t.Fatalf("Sample returned %d entries", len(got))
		}
		for _, e := range got {
			if d.Find([]byte(e.Key)) != e {
				t.Fatalf("Sample returned %q, not in the dict", e.Key)
			}
			seen[e.Key] = true
		}
	}
	// like Redis's dictGetSomeKeys, a call takes entries from the head of
	// consecutive chains, so an entry deeper than count in its chain is
	// never sampled; every other entry must be
	for _, head := range d.ht[0].buckets {
		depth := 0
		for e := head; e != nil; e = e.next {
			if depth < 5 && !seen[e.Key] {
				t.Fatalf("%s (depth %d in its chain) was never sampled", e.Key, depth)
			}
			depth++
		}
	}
	// asking for more than the dict holds is capped at its size
	if got := d.Sample(nil, 1000); len(got) > 50 {
		t.Fatalf("Sample(1000) returned %d entries", len(got))
	}
	// sampling during a rehash returns live entries of both tables
	fill(d, 50, 400)
	for i := 0; i < 200; i++ {
		for _, e := range d.Sample(nil, 10) {
			if d.Find([]byte(e.Key)) != e {
				t.Fatalf("Sample during rehash returned %q", e.Key)
			}
		}
	}
}

// TestEntrySize guards the 48-byte entry: every key pays it, and the
// memory goal (RSS per key vs Redis) depends on it.
func TestEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(Entry{}); n != 48 {
		t.Fatalf("Entry is %d bytes, want 48", n)
	}
}

// BenchmarkFindBatch looks up pipelined-size batches of random keys in a
// table much larger than the CPU caches, with and without Prefetch first.
func BenchmarkFindBatch(b *testing.B) {
	const n = 1 << 20
	d := NewDict()
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
		e := NewEntry(keys[i])
		e.Value = &testObj{i}
		d.Add(e)
	}
	batch := make([][]byte, 16)
	for _, pre := range []bool{false, true} {
		b.Run(fmt.Sprintf("prefetch=%v", pre), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			var sink uintptr
			for i := 0; i < b.N; i++ {
				for j := range batch {
					batch[j] = keys[r.IntN(n)]
				}
				if pre {
					sink += d.Prefetch(batch)
				}
				for _, k := range batch {
					if e := d.Find(k); e != nil {
						sink += uintptr(len(e.Key))
					}
				}
			}
			benchSink = sink
		})
	}
}

var benchSink uintptr

// testObj is a pointer-shaped value, as the real value types are.
type testObj struct{ n int }

func (*testObj) Kind() Kind       { return KindString }
func (*testObj) Encoding() string { return "raw" }
func (o *testObj) Dup() Value     { return &testObj{o.n} }

// Replace swaps an entry for another with the same key in either table,
// mid-rehash included, keeping the count and the key's place.
func TestDictReplace(t *testing.T) {
	d := NewDict()
	fill(d, 0, 1000)
	d.Expand(4000) // starts rehashing: keys now sit in both tables
	d.rehashStep(100)
	if !d.rehashing() {
		t.Fatal("want a dict half-way through rehashing")
	}
	for i := 0; i < 1000; i++ {
		k := []byte(key(i))
		old, h := d.FindWithHash(k)
		e := &Entry{Key: key(i), Value: expireAt(i)}
		d.Replace(old, e, h)
		if d.findHashed(k, h) != e || old.next != nil {
			t.Fatalf("%s: not replaced", k)
		}
	}
	if d.Len() != 1000 {
		t.Fatalf("len %d", d.Len())
	}
	seen, _ := scanAll(d, func(int) {})
	requireKeys(t, seen, 0, 1000)
	d.ForEach(func(e *Entry) bool {
		if e.Value == nil {
			t.Fatalf("%s: old entry still linked", e.Key)
		}
		return true
	})
}
