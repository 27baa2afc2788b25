// hash.go holds the hash type with Redis's two encodings: a listpack (a
// small array of field/value pairs kept in insertion order, searched
// linearly) and a hashtable (a keyspace.Dict, so HSCAN gets the same
// reverse-binary cursor guarantees as SCAN). The order of a listpack-encoded
// hash is observable through HGETALL, HKEYS, HVALS and HSCAN, so every
// update keeps it as Redis does: a changed value stays in place, a new field
// goes to the end, a deleted pair closes its gap.
package types

import (
	"math/rand/v2"
	"unsafe"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
)

// hashPair is one field and its value in a listpack-encoded hash.
type hashPair struct {
	field, value []byte
}

// Hash is a hash value. Exactly one of pairs (listpack) and dict
// (hashtable) is in use: dict is nil while the hash is a listpack.
type Hash struct {
	pairs []hashPair
	dict  *keyspace.Dict
}

// NewHash returns an empty, listpack-encoded hash.
func NewHash() *Hash { return &Hash{} }

func (*Hash) Kind() keyspace.Kind { return keyspace.KindHash }

func (h *Hash) Encoding() string {
	if h.dict != nil {
		return "hashtable"
	}
	return "listpack"
}

// IsListpack reports whether the hash still has the compact encoding.
func (h *Hash) IsListpack() bool { return h.dict == nil }

// Dup returns a deep copy with the same encoding.
func (h *Hash) Dup() keyspace.Value {
	d := &Hash{}
	if h.dict == nil {
		d.pairs = make([]hashPair, len(h.pairs))
		for i, p := range h.pairs {
			d.pairs[i] = newPair(p.field, p.value)
		}
		return d
	}
	d.dict = keyspace.NewDict()
	d.dict.Expand(h.dict.Len())
	h.dict.ForEach(func(e *keyspace.Entry) bool {
		d.dict.Add(newFieldEntry(keyBytes(e), entryValue(e)))
		return true
	})
	return d
}

// newPair copies field and value into one allocation.
func newPair(field, value []byte) hashPair {
	buf := make([]byte, len(field)+len(value))
	n := copy(buf, field)
	copy(buf[n:], value)
	return hashPair{field: buf[:n:n], value: buf[n:]}
}

// keyBytes is a field entry's field as a slice aliasing the hash (the
// bytes are never written after the entry is made); callers must not
// modify it.
func keyBytes(e *keyspace.Entry) []byte {
	return unsafe.Slice(unsafe.StringData(e.Key), len(e.Key))
}

// Len is the number of fields.
func (h *Hash) Len() int {
	if h.dict != nil {
		return h.dict.Len()
	}
	return len(h.pairs)
}

func (h *Hash) lpIndex(field []byte) int {
	for i := range h.pairs {
		if string(h.pairs[i].field) == string(field) {
			return i
		}
	}
	return -1
}

// Get returns the value of field. The slice aliases the hash.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.dict != nil {
		e := h.dict.Find(field)
		if e == nil {
			return nil, false
		}
		return entryValue(e), true
	}
	if i := h.lpIndex(field); i >= 0 {
		return h.pairs[i].value, true
	}
	return nil, false
}

// Exists reports whether field is present.
func (h *Hash) Exists(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// ConvertIfTooLong converts a listpack-encoded hash to a hashtable when any
// of args is longer than maxValue bytes: the check Redis makes on all the
// arguments of HSET/HSETNX before it stores any of them.
func (h *Hash) ConvertIfTooLong(args [][]byte, maxValue int64) {
	if h.dict != nil {
		return
	}
	for _, a := range args {
		if int64(len(a)) > maxValue {
			h.convert()
			return
		}
	}
}

// Set stores value at field and reports whether the field existed. A
// listpack becomes a hashtable when field or value is longer than maxValue
// bytes or when the hash grows past maxEntries fields.
func (h *Hash) Set(field, value []byte, maxEntries, maxValue int64) (updated bool) {
	if h.dict == nil && (int64(len(field)) > maxValue || int64(len(value)) > maxValue) {
		h.convert()
	}
	if h.dict != nil {
		e, hv := h.dict.FindWithHash(field)
		if e != nil {
			setEntryValue(h.dict, e, hv, value)
			return true
		}
		h.dict.AddHashed(newFieldEntry(field, value), hv)
		return false
	}
	if i := h.lpIndex(field); i >= 0 {
		h.pairs[i] = newPair(field, value)
		return true
	}
	h.pairs = append(h.pairs, newPair(field, value))
	if int64(len(h.pairs)) > maxEntries {
		h.convert()
	}
	return false
}

// convert moves a listpack's pairs into a hashtable, for good.
func (h *Hash) convert() {
	d := keyspace.NewDict()
	d.Expand(len(h.pairs))
	for _, p := range h.pairs {
		d.Add(newFieldEntry(p.field, p.value))
	}
	h.pairs = nil
	h.dict = d
}

// Delete removes field and reports whether it was present.
func (h *Hash) Delete(field []byte) bool {
	if h.dict != nil {
		if h.dict.Delete(field) == nil {
			return false
		}
		// as Redis, a hash table shrinks right after a delete leaves it sparse
		h.dict.ShrinkIfNeeded()
		return true
	}
	i := h.lpIndex(field)
	if i < 0 {
		return false
	}
	copy(h.pairs[i:], h.pairs[i+1:])
	h.pairs[len(h.pairs)-1] = hashPair{}
	h.pairs = h.pairs[:len(h.pairs)-1]
	return true
}

// ForEach calls fn for every pair, in listpack order or hash table order,
// until fn returns false. The slices alias the hash; fn must not modify it.
func (h *Hash) ForEach(fn func(field, value []byte) bool) {
	if h.dict != nil {
		h.dict.ForEach(func(e *keyspace.Entry) bool {
			return fn(keyBytes(e), entryValue(e))
		})
		return
	}
	for _, p := range h.pairs {
		if !fn(p.field, p.value) {
			return
		}
	}
}

// Random returns one pair picked at random from a non-empty hash.
func (h *Hash) Random() (field, value []byte) {
	if h.dict != nil {
		e := h.fairRandomEntry()
		return keyBytes(e), entryValue(e)
	}
	p := h.pairs[rand.IntN(len(h.pairs))]
	return p.field, p.value
}

// fairSampleSize is how many entries Redis's dictGetFairRandomKey samples
// before picking one: this evens out the bias towards short chains.
const fairSampleSize = 20

func (h *Hash) fairRandomEntry() *keyspace.Entry {
	var buf [fairSampleSize]*keyspace.Entry
	sample := h.dict.Sample(buf[:0], fairSampleSize)
	if len(sample) == 0 {
		return h.dict.Random()
	}
	return sample[rand.IntN(len(sample))]
}

// RandomUnique returns count distinct pairs picked at random, for
// 0 < count < Len(). When count is small next to the hash, a listpack keeps
// its own order in the result (as Redis's selection sampling does) and a
// hashtable yields them in pick order; otherwise the order is random.
func (h *Hash) RandomUnique(count int) (fields, values [][]byte) {
	n := h.Len()
	if count*3 > n {
		// close to the whole hash: Redis copies it and drops random pairs,
		// then replies in the copy's (hash table) order, which is random
		h.ForEach(func(f, v []byte) bool {
			fields = append(fields, f)
			values = append(values, v)
			return true
		})
		rand.Shuffle(n, func(i, j int) {
			fields[i], fields[j] = fields[j], fields[i]
			values[i], values[j] = values[j], values[i]
		})
		return fields[:count], values[:count]
	}
	if h.dict == nil {
		// selection sampling: each pair is taken with probability
		// (still needed)/(still available)
		for i := 0; i < n && len(fields) < count; i++ {
			if rand.IntN(n-i) < count-len(fields) {
				fields = append(fields, h.pairs[i].field)
				values = append(values, h.pairs[i].value)
			}
		}
		return fields, values
	}
	seen := make(map[*keyspace.Entry]struct{}, count)
	for len(fields) < count {
		e := h.fairRandomEntry()
		if _, dup := seen[e]; dup {
			continue
		}
		seen[e] = struct{}{}
		fields = append(fields, keyBytes(e))
		values = append(values, entryValue(e))
	}
	return fields, values
}

// Scan visits the pairs of a hashtable-encoded hash in the buckets at
// cursor and returns the next cursor (0 at the end), with the guarantees of
// keyspace.Dict.Scan. A listpack has no cursor: callers return it whole.
func (h *Hash) Scan(cursor uint64, fn func(field, value []byte)) uint64 {
	return h.dict.Scan(cursor, func(e *keyspace.Entry) {
		fn(keyBytes(e), entryValue(e))
	})
}

// Memory accounting in Redis's terms, for MEMORY USAGE: a listpack is one
// allocation with 7 bytes of header and end marker plus each entry's
// encoding; a hashtable is a dict (56 bytes and a pointer per bucket) with
// one entry and two sds per field.
const (
	robjBytes      = 16
	dictBytes      = 56
	dictEntryBytes = 24
)

// MemoryUsage estimates the bytes Redis would use, sampling up to samples
// fields of a hashtable (all of them when samples is 0).
func (h *Hash) MemoryUsage(samples int) int64 {
	if h.dict == nil {
		size := int64(7)
		for _, p := range h.pairs {
			size += lpEntryBytes(p.field) + lpEntryBytes(p.value)
		}
		return robjBytes + allocBytes(size)
	}
	n := h.dict.Len()
	size := int64(robjBytes + dictBytes + 8*h.dict.Buckets())
	var sum int64
	seen := 0
	h.dict.ForEach(func(e *keyspace.Entry) bool {
		sum += sdsBytes(len(e.Key)) + sdsBytes(len(entryValue(e))) + dictEntryBytes
		seen++
		return samples == 0 || seen < samples
	})
	if seen > 0 {
		size += sum * int64(n) / int64(seen)
	}
	return size
}

// lpEntryBytes is the size of one listpack entry: integers take 2 to 9
// bytes, strings a 1, 2 or 5 byte header plus the bytes, and every entry a
// back-length of 1 to 5 bytes.
func lpEntryBytes(b []byte) int64 {
	var enc int64
	if n, ok := resp.ParseInt(b); ok && len(b) < 21 {
		switch {
		case n >= 0 && n <= 127:
			enc = 1
		case n >= -4096 && n <= 4095:
			enc = 2
		case n >= -32768 && n <= 32767:
			enc = 3
		case n >= -8388608 && n <= 8388607:
			enc = 4
		case n >= -2147483648 && n <= 2147483647:
			enc = 5
		default:
			enc = 9
		}
	} else {
		switch l := int64(len(b)); {
		case l < 64:
			enc = 1 + l
		case l < 4096:
			enc = 2 + l
		default:
			enc = 5 + l
		}
	}
	back := int64(1)
	for v := enc; v > 127; v >>= 7 {
		back++
	}
	return enc + back
}

// sdsBytes is the allocation of an sds string of n bytes: the smallest
// header that holds its length, the bytes and a terminator.
func sdsBytes(n int) int64 {
	hdr := 1
	switch {
	case n >= 1<<16:
		hdr = 9
	case n >= 1<<8:
		hdr = 5
	case n >= 32:
		hdr = 3
	}
	return allocBytes(int64(hdr + n + 1))
}

// allocBytes rounds a request up to jemalloc's size classes: 8, then
// multiples of 16 up to 128, then four classes per doubling.
func allocBytes(size int64) int64 {
	if size <= 8 {
		return 8
	}
	if size <= 128 {
		return (size + 15) &^ 15
	}
	step := int64(1)
	for step*8 < size {
		step <<= 1
	}
	return (size + step - 1) / step * step
}
