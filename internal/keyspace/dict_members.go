// dict_members.go adds the Dict operations a value type needs when it uses
// a Dict for its members (sets, hashes): a single-step insert, so the
// incremental rehash advances exactly as Redis's dictAddRaw makes it
// advance, which is visible in MEMORY USAGE's bucket count. (Presizing is
// Dict.Expand in dict.go.)
package keyspace

// AddKey inserts an entry for key unless one exists, spending one rehash
// step as a single insert does, and reports whether it added.
func (d *Dict) AddKey(key []byte) bool {
	d.step()
	h := hashBytes(key)
	if d.findHashed(key, h) != nil {
		return false
	}
	d.expandIfNeeded()
	d.link(NewEntry(key), h)
	return true
}

// findHashed looks key, whose hash is h, up without advancing the rehash.
func (d *Dict) findHashed(key []byte, h uint64) *Entry {
	if d.Len() == 0 {
		return nil
	}
	fp := fingerprint(h)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		for e := tb.buckets[h&tb.mask()]; e != nil; e = e.next {
			if e.fp == fp && e.Key == string(key) {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// FindWithHash is Find that also returns key's hash, so that a caller
// which adds the key when it is missing (HSET) hashes it only once.
func (d *Dict) FindWithHash(key []byte) (*Entry, uint64) {
	h := hashBytes(key)
	if d.Len() == 0 {
		return nil, h
	}
	d.step()
	return d.findHashed(key, h), h
}

// AddHashed is Add for an entry whose key hashes to h (from FindWithHash);
// the caller has checked the key is absent.
func (d *Dict) AddHashed(e *Entry, h uint64) {
	d.step()
	d.expandIfNeeded()
	d.link(e, h)
}

// Replace puts e in old's place, for a member whose storage is rebuilt
// (a hash field given a value of another length). e has old's key, which
// hashes to h; it takes over old's position and bookkeeping, so a SCAN in
// progress is unaffected. No rehash step: the caller's lookup spent it.
func (d *Dict) Replace(old, e *Entry, h uint64) {
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		for p := &tb.buckets[h&tb.mask()]; *p != nil; p = &(*p).next {
			if *p == old {
				e.next, e.Access, e.acct, e.volatile, e.fp = old.next, old.Access, old.acct, old.volatile, old.fp
				*p = e
				old.next = nil
				return
			}
		}
		if !d.rehashing() {
			break
		}
	}
	panic("keyspace: Replace of an entry that is not in the dict")
}
