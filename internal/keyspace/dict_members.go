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
	if d.findNoStep(key) != nil {
		return false
	}
	d.expandIfNeeded()
	tb := &d.ht[0]
	if d.rehashing() {
		tb = &d.ht[1]
	}
	e := &Entry{Key: string(key)}
	h := hashString(e.Key) & tb.mask()
	e.next = tb.buckets[h]
	tb.buckets[h] = e
	tb.used++
	return true
}

// findNoStep looks key up without advancing the rehash.
func (d *Dict) findNoStep(key []byte) *Entry {
	if d.Len() == 0 {
		return nil
	}
	h := hashBytes(key)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		for e := tb.buckets[h&tb.mask()]; e != nil; e = e.next {
			if e.Key == string(key) {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}
