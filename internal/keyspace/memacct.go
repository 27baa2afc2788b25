// memacct.go keeps the incremental estimate of each database's dataset
// bytes that used_memory and eviction rely on. Reading the Go runtime's
// heap statistics per write is far too slow and counts garbage the
// collector has not reclaimed yet, so instead every key carries the
// footprint it was last accounted with, and the keys a command wrote are
// re-estimated once after it (Settle), adjusting the database's total by
// the difference. Deletion subtracts exactly what was added, so the total
// never drifts however rough one estimate is.
package keyspace

type dirtyEntry struct {
	db *DB
	e  *Entry
}

// acctMantissaBits is the precision of a stored footprint: sizes are
// kept as an 11-bit mantissa and a 5-bit exponent, rounded up, so an
// Entry needs two bytes for them (under 0.1% error, up to terabytes).
const acctMantissaBits = 11

func encodeAcct(n uint64) uint16 {
	exp := uint64(0)
	for n >= 1<<acctMantissaBits {
		n = (n + 1) >> 1
		exp++
	}
	if exp > 31 {
		exp, n = 31, 1<<acctMantissaBits-1
	}
	return uint16(exp<<acctMantissaBits | n)
}

func decodeAcct(v uint16) int64 {
	return int64(v&(1<<acctMantissaBits-1)) << (v >> acctMantissaBits)
}

// markDirty queues e for re-estimation after the current command.
func (db *DB) markDirty(e *Entry) {
	if db.ks.EntrySize != nil {
		db.ks.dirty = append(db.ks.dirty, dirtyEntry{db, e})
	}
}

// unaccount removes a deleted key's footprint from its database.
func (db *DB) unaccount(e *Entry) {
	db.dataBytes -= decodeAcct(e.acct)
	e.acct = 0
}

// Settle re-estimates the keys written since the last call and updates
// the databases' totals. Keys deleted or replaced meanwhile are skipped:
// their entry is no longer the one the table holds.
func (ks *Keyspace) Settle() {
	if len(ks.dirty) == 0 {
		return
	}
	for i, d := range ks.dirty {
		if d.db.dict.Find([]byte(d.e.Key)) == d.e {
			n := encodeAcct(ks.EntrySize(d.e))
			d.db.dataBytes += decodeAcct(n) - decodeAcct(d.e.acct)
			d.e.acct = n
		}
		ks.dirty[i] = dirtyEntry{}
	}
	if cap(ks.dirty) > 4096 {
		ks.dirty = nil // a huge MSET should not pin its list forever
	} else {
		ks.dirty = ks.dirty[:0]
	}
}

// DataBytes is the accounted footprint of every key in every database.
func (ks *Keyspace) DataBytes() int64 {
	var n int64
	for _, db := range ks.DBs {
		n += db.dataBytes
	}
	return n
}

// DataBytes is the accounted footprint of db's keys.
func (db *DB) DataBytes() int64 { return db.dataBytes }

// TableBytes is the footprint of db's hash tables themselves: the bucket
// arrays and the expires entries (key entries are in DataBytes).
func (db *DB) TableBytes(entrySize int64) int64 {
	return 8*int64(db.dict.Buckets()+db.expires.Buckets()) + entrySize*int64(db.expires.Len())
}

// AccountedSize is the footprint e was last accounted with (tests).
func (e *Entry) AccountedSize() int64 { return decodeAcct(e.acct) }

// SetEntrySize turns the dataset accounting on with the estimator size,
// recounting every key once, or off with nil. Off, writes pay nothing for
// it and the totals are meaningless until the next recount.
func (ks *Keyspace) SetEntrySize(size func(e *Entry) uint64) {
	ks.EntrySize = size
	ks.dirty = nil
	for _, db := range ks.DBs {
		db.dataBytes = 0
		if size == nil {
			continue
		}
		db.dict.ForEach(func(e *Entry) bool {
			e.acct = encodeAcct(size(e))
			db.dataBytes += decodeAcct(e.acct)
			return true
		})
	}
}

// Accounting reports whether the dataset accounting is on.
func (ks *Keyspace) Accounting() bool { return ks.EntrySize != nil }
