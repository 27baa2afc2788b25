// snapshot.go is the fork-less point-in-time view behind BGSAVE, AOF
// rewrites and full syncs. Redis forks and lets the kernel copy pages a
// write touches; Go cannot fork, so the keyspace does the equivalent per
// hash bucket:
//
//   - Starting a snapshot freezes the shape of every database's table (no
//     rehash steps, no resize), so each key stays in one bucket for the
//     snapshot's life, and notes for each table which buckets are written.
//   - A walker visits the buckets in order, a few at a time under the
//     executor lock, handing each key to the snapshot's sink.
//   - A write that is about to change, add or remove a key in a bucket the
//     walker has not reached first hands that whole bucket to the sink (its
//     pre-image) and marks it written; the walker later skips it.
//
// So the sink sees every key exactly once, as it was when the snapshot
// started, and nothing is copied but the buckets written to during the
// walk (PreservedEntries counts them: Redis's copy-on-write size). FLUSHDB
// and FLUSHALL swap in fresh tables, leaving the old ones to the walker
// untouched; SWAPDB swaps tables, which carry their database number.
//
// The sink runs with the executor lock held and must not modify the
// keyspace.
package keyspace

import "unsafe"

// SnapshotSink receives one key of the snapshot: the database number it
// belongs to, the entry, and its expiry in unix ms (-1 for none). The
// entry is only valid during the call.
type SnapshotSink func(db int, e *Entry, expireAt int64)

// Snapshot is a point-in-time view of all databases being handed to a
// sink.
type Snapshot struct {
	sink  SnapshotSink
	parts []*dictSnap
	cur   int
	// emitting is the table whose key the sink is being handed (for Hold)
	emitting *Dict
	// PreservedEntries and PreservedBuckets count keys handed to the sink
	// ahead of the walker because a write was about to change them.
	PreservedEntries, PreservedBuckets int64
	// Visited counts every key handed to the sink.
	Visited int64
}

// dictSnap is a snapshot's hold on one database's tables.
type dictSnap struct {
	s             *Snapshot
	db            int
	dict, expires *Dict
	// the walk position: buckets of table t before idx are written
	t, idx int
	// done marks buckets written ahead of the walker, per table
	done     [2][]uint64
	finished bool
}

// StartSnapshot freezes every database's table and returns the snapshot;
// drive it with Step until it reports done (or Abort it).
func (ks *Keyspace) StartSnapshot(sink SnapshotSink) *Snapshot {
	s := &Snapshot{sink: sink}
	for _, db := range ks.DBs {
		d := db.dict
		p := &dictSnap{s: s, db: db.ID, dict: d, expires: db.expires}
		s.parts = append(s.parts, p)
		if d.ht[0].buckets == nil && d.ht[1].buckets == nil {
			// a database that never had a key: nothing to walk, and the
			// table its first key allocates is not the snapshot's
			p.finished = true
			continue
		}
		for t := 0; t < 2; t++ {
			p.done[t] = make([]uint64, (len(d.ht[t].buckets)+63)/64)
		}
		d.snap = p
	}
	return s
}

// Step hands up to budget buckets to the sink and reports whether the
// snapshot is complete.
func (s *Snapshot) Step(budget int) bool {
	for s.cur < len(s.parts) {
		p := s.parts[s.cur]
		if !p.walk(&budget) {
			return false
		}
		s.cur++
	}
	return true
}

// Abort releases the tables without finishing (BGSAVE cancelled).
func (s *Snapshot) Abort() {
	for _, p := range s.parts {
		p.release()
	}
	s.cur = len(s.parts)
}

// walk advances p's walk by up to *budget buckets; true when p is done.
func (p *dictSnap) walk(budget *int) bool {
	if p.finished {
		return true
	}
	d := p.dict
	for ; p.t < 2; p.t, p.idx = p.t+1, 0 {
		buckets := d.ht[p.t].buckets
		for ; p.idx < len(buckets); p.idx++ {
			if *budget <= 0 {
				return false
			}
			*budget--
			if p.done[p.t][p.idx/64]&(1<<(p.idx%64)) != 0 {
				continue
			}
			p.emitBucket(buckets[p.idx])
		}
	}
	p.release()
	return true
}

func (p *dictSnap) release() {
	if !p.finished {
		p.finished = true
		if p.dict.snap == p {
			p.dict.snap = nil
		}
	}
}

func (p *dictSnap) emitBucket(e *Entry) int64 {
	var n int64
	for ; e != nil; e = e.next {
		exp := int64(-1)
		if e.volatile {
			// the key's bytes, not a copy: findHashed only reads them
			key := unsafe.Slice(unsafe.StringData(e.Key), len(e.Key))
			if x := p.expires.findHashed(key, hashString(e.Key)); x != nil {
				exp = int64(x.Value.(expireAt))
			}
		}
		p.s.emitting = p.dict
		p.s.sink(p.db, e, exp)
		p.s.emitting = nil
		n++
	}
	p.s.Visited += n
	return n
}

// preserve writes, ahead of the walker, the buckets a key hashing to h can
// be in or be added to, before a write changes them.
func (p *dictSnap) preserve(h uint64) {
	d := p.dict
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		idx := int(h & tb.mask())
		if t < p.t || (t == p.t && idx < p.idx) {
			continue // the walker wrote it
		}
		w, bit := idx/64, uint64(1)<<(idx%64)
		if p.done[t][w]&bit != 0 {
			continue
		}
		p.done[t][w] |= bit
		if n := p.emitBucket(tb.buckets[idx]); n > 0 {
			p.s.PreservedEntries += n
			p.s.PreservedBuckets++
		}
		if !d.rehashing() {
			break
		}
	}
}

// complete walks the rest of p at once, for a table that must resize.
func (p *dictSnap) complete() {
	budget := int(^uint(0) >> 1)
	p.walk(&budget)
}

// Hold is for a sink that encodes the value of the key it is being
// handed later, in slices between which the lock is released: until
// release is called, a write about to change, add or remove that key
// (in that table: FLUSHDB and SWAPDB move tables, not keys) first calls
// finish, which must complete the encoding. Only valid inside the sink.
func (s *Snapshot) Hold(key string, finish func()) (release func()) {
	d := s.emitting
	if d.held == nil {
		d.held = map[string]func(){}
	}
	d.held[key] = finish
	return func() {
		delete(d.held, key)
		if len(d.held) == 0 {
			d.held = nil
		}
	}
}

// finishHeld completes the encoding of a held key before it changes.
func (d *Dict) finishHeld(key string) {
	if f, ok := d.held[key]; ok {
		delete(d.held, key)
		f()
	}
}

// beforeWrite is called before a write changes, adds or removes key in
// db: a snapshot that has not written the key's bucket writes it first.
func (db *DB) beforeWrite(key []byte) {
	if p := db.dict.snap; p != nil {
		p.preserve(hashBytes(key))
	}
	if db.dict.held != nil {
		db.dict.finishHeld(string(key))
	}
}

func (db *DB) beforeWriteEntry(e *Entry) {
	if p := db.dict.snap; p != nil {
		p.preserve(hashString(e.Key))
	}
	if db.dict.held != nil {
		db.dict.finishHeld(e.Key)
	}
}
