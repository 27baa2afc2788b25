// access_test.go checks the access record with a controlled clock: the LRU
// clock behind OBJECT IDLETIME (updated by lookups, not by inspections, and
// wrapping at 24 bits) and the LFU counter behind OBJECT FREQ.
package keyspace

import "testing"

type fakeClock struct{ ms int64 }

func (f *fakeClock) now() int64 { return f.ms }

func TestIdleTimeFollowsLookups(t *testing.T) {
	clk := &fakeClock{ms: 1_700_000_000_000}
	ks := New(1, clk.now)
	db := ks.DBs[0]
	e := db.Add([]byte("k"), nil)
	if got := ks.IdleMillis(e); got != 0 {
		t.Fatalf("idle of a new key = %d", got)
	}
	clk.ms += 5_400
	if got := ks.IdleMillis(e); got != 5_000 {
		t.Fatalf("idle after 5.4s = %d, want 5000 (second resolution)", got)
	}
	// inspections (EXISTS, TYPE, TTL, OBJECT) leave the access time alone
	db.LookupNoTouch([]byte("k"))
	if got := ks.IdleMillis(e); got != 5_000 {
		t.Fatalf("idle after LookupNoTouch = %d", got)
	}
	db.Lookup([]byte("k"))
	if got := ks.IdleMillis(e); got != 0 {
		t.Fatalf("idle after a read = %d", got)
	}
	clk.ms += 3_000
	db.LookupNoStats([]byte("k"))
	if got := ks.IdleMillis(e); got != 0 {
		t.Fatalf("idle after a write lookup = %d", got)
	}
	// the 24-bit clock wraps: an access just before the wrap is still
	// seen as recent just after it
	clk.ms = (LRUClockMax - 1) * 1000
	db.Lookup([]byte("k"))
	clk.ms += 3_000
	if got := ks.IdleMillis(e); got != 2_000 {
		t.Fatalf("idle across the clock wrap = %d, want 2000 (as Redis's estimate)", got)
	}
}

func TestLFUCounter(t *testing.T) {
	clk := &fakeClock{ms: 1_700_000_000_000}
	ks := New(1, clk.now)
	ks.UseLFU = true
	db := ks.DBs[0]
	e := db.Add([]byte("k"), nil)
	if got := ks.LFUFreq(e); got != lfuInitVal {
		t.Fatalf("counter of a new key = %d, want %d", got, lfuInitVal)
	}
	for i := 0; i < 1000; i++ {
		db.Lookup([]byte("k"))
	}
	hot := ks.LFUFreq(e)
	if hot <= lfuInitVal || hot == 255 {
		t.Fatalf("counter after 1000 reads = %d; want logarithmic growth", hot)
	}
	// one point of decay per lfu-decay-time minute without access
	clk.ms += 3 * 60_000
	if got := ks.LFUFreq(e); got != hot-3 {
		t.Fatalf("counter after 3 idle minutes = %d, want %d", got, hot-3)
	}
	clk.ms += 1000 * 60_000
	if got := ks.LFUFreq(e); got != 0 {
		t.Fatalf("counter after a long idle time = %d", got)
	}
}

func TestExpiredAtTheMillisecond(t *testing.T) {
	clk := &fakeClock{ms: 1000}
	ks := New(1, clk.now)
	db := ks.DBs[0]
	db.SetExpire(db.Add([]byte("k"), nil), 1000)
	// as Redis, a key is alive at its expire time and gone just after
	if db.Lookup([]byte("k")) == nil {
		t.Fatal("key gone at its expire time")
	}
	clk.ms++
	if db.Lookup([]byte("k")) != nil || db.Len() != 0 {
		t.Fatal("key still visible after its expire time")
	}
	if ks.ExpiredKeys != 1 {
		t.Fatalf("expired_keys = %d", ks.ExpiredKeys)
	}
}
