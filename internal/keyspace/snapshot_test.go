package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

type snapKey struct {
	db  int
	key string
}

type snapVal struct {
	n   int
	exp int64
}

// liveState reads every key of ks as the model compares it.
func liveState(ks *Keyspace) map[snapKey]snapVal {
	m := map[snapKey]snapVal{}
	for _, db := range ks.DBs {
		db.dict.ForEach(func(e *Entry) bool {
			exp := int64(-1)
			if e.volatile {
				exp = db.ExpireOf(e)
			}
			m[snapKey{db.ID, e.Key}] = snapVal{e.Value.(*testObj).n, exp}
			return true
		})
	}
	return m
}

// TestSnapshotIsPointInTime interleaves a snapshot's walk with random
// writes of every kind (in-place changes, adds that grow the tables,
// deletes, expiry changes, FLUSHDB, SWAPDB, a table mid-rehash) and checks
// that the sink saw each key exactly once, as it was when the snapshot
// started.
func TestSnapshotIsPointInTime(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			ks := New(3, func() int64 { return 1000 })
			for i := 0; i < 2000; i++ {
				db := ks.DBs[r.IntN(3)]
				e := db.Set([]byte(fmt.Sprint("k", r.IntN(3000))), &testObj{r.IntN(100)}, false)
				if r.IntN(4) == 0 {
					db.SetExpire(e, int64(5000+r.IntN(1000)))
				}
			}
			if seed%2 == 0 {
				ks.DBs[0].dict.Expand(ks.DBs[0].Len() * 4) // walk a table mid-rehash
				ks.DBs[0].dict.rehashStep(10)
			}
			want := liveState(ks)
			got := map[snapKey]snapVal{}
			snap := ks.StartSnapshot(func(db int, e *Entry, exp int64) {
				k := snapKey{db, e.Key}
				if _, dup := got[k]; dup {
					t.Fatalf("key %v handed to the sink twice", k)
				}
				got[k] = snapVal{e.Value.(*testObj).n, exp}
			})
			for !snap.Step(r.IntN(40)) {
				for w := r.IntN(30); w > 0; w-- {
					db := ks.DBs[r.IntN(3)]
					key := []byte(fmt.Sprint("k", r.IntN(6000)))
					switch op := r.IntN(100); {
					case op < 40:
						if e := db.LookupNoStats(key); e != nil {
							e.Value.(*testObj).n += 1000 // changed in place, as list pushes are
						}
					case op < 65:
						db.Set(key, &testObj{-1}, r.IntN(2) == 0)
					case op < 80:
						db.Delete(key)
					case op < 88:
						if e := db.LookupNoStats(key); e != nil {
							db.SetExpire(e, 9999)
						}
					case op < 94:
						if e := db.LookupNoStats(key); e != nil {
							db.Persist(e)
						}
					case op < 97:
						db.Flush()
					default:
						db.SwapWith(ks.DBs[r.IntN(3)])
					}
				}
			}
			if len(got) != len(want) {
				t.Errorf("sink saw %d keys, the snapshot had %d", len(got), len(want))
			}
			for k, v := range want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("key %v: sink saw %+v (present %v), snapshot had %+v", k, g, ok, v)
				}
			}
			for _, db := range ks.DBs {
				if db.dict.snap != nil {
					t.Errorf("db %d still held by the snapshot", db.ID)
				}
			}
		})
	}
}

// TestSnapshotLetsTablesGrowAfterwards: while frozen a table does not
// resize; a flood of adds past the forced ratio makes the snapshot take
// the rest of the table, and once released the table resizes as usual.
func TestSnapshotLetsTablesGrowAfterwards(t *testing.T) {
	ks := New(1, func() int64 { return 0 })
	db := ks.DBs[0]
	for i := 0; i < 100; i++ {
		db.Set([]byte(fmt.Sprint("a", i)), &testObj{i}, false)
	}
	for db.dict.rehashing() {
		db.dict.rehashStep(100)
	}
	buckets := db.dict.Buckets()
	n := 0
	snap := ks.StartSnapshot(func(int, *Entry, int64) { n++ })
	for i := 0; i < 200; i++ {
		db.Set([]byte(fmt.Sprint("b", i)), &testObj{i}, false)
	}
	if db.dict.Buckets() != buckets {
		t.Fatalf("table resized under the snapshot: %d -> %d buckets", buckets, db.dict.Buckets())
	}
	for i := 0; i < buckets*6; i++ {
		db.Set([]byte(fmt.Sprint("c", i)), &testObj{i}, false)
	}
	if db.dict.snap != nil || db.dict.Buckets() == buckets {
		t.Fatalf("forced growth: snapshot still holding (%v), buckets %d", db.dict.snap != nil, db.dict.Buckets())
	}
	if !snap.Step(1) || n != 100 {
		t.Fatalf("snapshot done with %d keys, want the 100 it started with", n)
	}
}

// TestSnapshotOfNeverUsedDatabase: a snapshot taken while a database has
// no table yet holds nothing of it; keys added afterwards get a table (a
// SET during a BGSAVE of an empty server crashed) and stay out of it.
func TestSnapshotOfNeverUsedDatabase(t *testing.T) {
	ks := New(2, func() int64 { return 0 })
	ks.DBs[1].Set([]byte("old"), &testObj{1}, false)
	var got []string
	snap := ks.StartSnapshot(func(db int, e *Entry, exp int64) { got = append(got, fmt.Sprint(db, e.Key)) })
	for i := 0; i < 100; i++ {
		ks.DBs[0].Set([]byte(fmt.Sprint("new", i)), &testObj{i}, false)
		ks.DBs[1].Set([]byte(fmt.Sprint("new", i)), &testObj{i}, false)
	}
	for !snap.Step(1) {
	}
	if len(got) != 1 || got[0] != "1old" {
		t.Fatalf("snapshot holds %v, want only db 1's old key", got)
	}
	if ks.DBs[0].Len() != 100 {
		t.Fatalf("db 0 has %d keys, want 100", ks.DBs[0].Len())
	}
}
