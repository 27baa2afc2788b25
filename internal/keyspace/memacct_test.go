// memacct_test.go checks the compact footprint encoding and that the
// dataset total returns to zero when every key is gone.
package keyspace

import "testing"

func TestAcctEncodingRoundsUpClosely(t *testing.T) {
	for _, n := range []uint64{0, 1, 2047, 2048, 2049, 4095, 1 << 20, 1<<20 + 1, 123456789, 1 << 40} {
		got := uint64(decodeAcct(encodeAcct(n)))
		if got < n || float64(got-n) > float64(n)/1000+1 {
			t.Errorf("%d encodes as %d", n, got)
		}
	}
}

func TestDataBytesBalance(t *testing.T) {
	ks := New(2, func() int64 { return 1000 })
	ks.EntrySize = func(e *Entry) uint64 { return uint64(len(e.Key)) * 1000 }
	db := ks.DBs[0]
	db.Add([]byte("abc"), expireAt(0))
	db.Add([]byte("gone"), expireAt(0))
	db.Delete([]byte("gone")) // deleted before it was ever settled
	ks.Settle()
	if got := ks.DataBytes(); got != 3000 {
		t.Fatalf("DataBytes %d, want 3000", got)
	}
	ks.EntrySize = func(e *Entry) uint64 { return 5000 }
	db.SignalModified([]byte("abc"))
	ks.Settle()
	if got := db.DataBytes(); got != 5000 {
		t.Fatalf("after a write DataBytes %d, want 5000", got)
	}
	db.SwapWith(ks.DBs[1])
	if db.DataBytes() != 0 || ks.DBs[1].DataBytes() != 5000 {
		t.Fatal("SWAPDB did not move the total")
	}
	ks.DBs[1].Delete([]byte("abc"))
	if got := ks.DataBytes(); got != 0 {
		t.Fatalf("empty keyspace has DataBytes %d", got)
	}
}
