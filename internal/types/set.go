// set.go holds the set type with Redis 7.0's two encodings: a sorted array
// of integers ("intset") while every member is the canonical text of an
// int64 and the set is small, and a hash table ("hashtable") from then on,
// never converting back. The encoding is visible to clients beyond OBJECT
// ENCODING: an intset iterates in ascending order (SMEMBERS, SUNION... of
// integer sets come out sorted) and SSCAN returns it whole with cursor 0,
// so the conversion rules follow Redis exactly.
package types

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
)

// intsetHardLimit caps set-max-intset-entries as Redis does: its intset
// cannot address more entries.
const intsetHardLimit = 1 << 30

// fairRandomSamples is how many entries a fair random pick looks at, as
// Redis's dictGetFairRandomKey.
const fairRandomSamples = 15

// Set is a set value. Exactly one representation is live: ints while
// intset-encoded (ht == nil), ht afterwards (member strings as entry keys).
type Set struct {
	ints []int64
	ht   *keyspace.Dict
	// intWidth is the bytes per member of Redis's intset: the smallest of
	// 2, 4 and 8 holding every member ever added (it never shrinks back).
	intWidth uint8
}

// NewIntset returns an empty intset-encoded set, the shape Redis starts
// from for results it builds (SUNION, SINTERSTORE...).
func NewIntset() *Set { return &Set{intWidth: 2} }

// NewSetFor returns an empty set with the encoding Redis picks for a set
// whose first member is first (setTypeCreate).
func NewSetFor(first []byte) *Set {
	if _, ok := resp.ParseInt(first); ok {
		return NewIntset()
	}
	return &Set{ht: keyspace.NewDict()}
}

func (*Set) Kind() keyspace.Kind { return keyspace.KindSet }

func (s *Set) Encoding() string {
	if s.ht == nil {
		return "intset"
	}
	return "hashtable"
}

// IsIntset reports whether the set is intset-encoded.
func (s *Set) IsIntset() bool { return s.ht == nil }

// Dup returns an independent copy with the same encoding.
func (s *Set) Dup() keyspace.Value {
	if s.ht == nil {
		return &Set{ints: slices.Clone(s.ints), intWidth: s.intWidth}
	}
	d := &Set{ht: keyspace.NewDict()}
	d.ht.Expand(s.ht.Len())
	s.ht.ForEach(func(e *keyspace.Entry) bool {
		d.ht.Add(&keyspace.Entry{Key: e.Key})
		return true
	})
	return d
}

// Len is the number of members.
func (s *Set) Len() int {
	if s.ht == nil {
		return len(s.ints)
	}
	return s.ht.Len()
}

// toHashtable converts an intset to the hashtable encoding.
func (s *Set) toHashtable() {
	d := keyspace.NewDict()
	d.Expand(len(s.ints))
	for _, n := range s.ints {
		d.Add(&keyspace.Entry{Key: strconv.FormatInt(n, 10)})
	}
	s.ints, s.ht = nil, d
}

// Add inserts m and reports whether it was new. maxIntset is
// set-max-intset-entries: an intset growing beyond it becomes a hashtable,
// as does one receiving a member that is not an integer.
func (s *Set) Add(m []byte, maxIntset int64) bool {
	if s.ht == nil {
		n, ok := resp.ParseInt(m)
		if !ok {
			s.toHashtable()
			s.ht.Add(keyspace.NewEntry(m))
			return true
		}
		i, found := slices.BinarySearch(s.ints, n)
		if found {
			return false
		}
		s.ints = slices.Insert(s.ints, i, n)
		s.intWidth = max(s.intWidth, intWidthFor(n))
		if int64(len(s.ints)) > min(maxIntset, intsetHardLimit) {
			s.toHashtable()
		}
		return true
	}
	return s.ht.AddKey(m)
}

func intWidthFor(n int64) uint8 {
	switch {
	case n >= math.MinInt16 && n <= math.MaxInt16:
		return 2
	case n >= math.MinInt32 && n <= math.MaxInt32:
		return 4
	}
	return 8
}

// IntsetBlobLen is the size of Redis's intset holding an intset-encoded
// set: an 8-byte header and the members at their common width.
func (s *Set) IntsetBlobLen() int { return 8 + len(s.ints)*int(s.intWidth) }

// Buckets is the number of hash table buckets of a hashtable-encoded set.
func (s *Set) Buckets() int { return s.ht.Buckets() }

// Remove deletes m and reports whether it was a member. A hashtable that
// became sparse is shrunk at once, as Redis's setTypeRemove does.
func (s *Set) Remove(m []byte) bool {
	if s.ht == nil {
		n, ok := resp.ParseInt(m)
		if !ok {
			return false
		}
		return s.removeInt(n)
	}
	if s.ht.Delete(m) == nil {
		return false
	}
	s.ht.ShrinkIfNeeded()
	return true
}

func (s *Set) removeInt(n int64) bool {
	i, found := slices.BinarySearch(s.ints, n)
	if !found {
		return false
	}
	s.ints = slices.Delete(s.ints, i, i+1)
	if cap(s.ints) > 16 && len(s.ints) < cap(s.ints)/4 {
		s.ints = slices.Clip(slices.Clone(s.ints))
	}
	return true
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.ht == nil {
		n, ok := resp.ParseInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(s.ints, n)
		return found
	}
	return s.ht.Find(m) != nil
}

// HasString is Has for a member held as a string.
func (s *Set) HasString(m string) bool { return s.Has([]byte(m)) }

// ForEach calls fn for every member until fn returns false: ascending for
// an intset, in table order for a hashtable. fn must not modify the set.
func (s *Set) ForEach(fn func(m string) bool) {
	if s.ht == nil {
		for _, n := range s.ints {
			if !fn(strconv.FormatInt(n, 10)) {
				return
			}
		}
		return
	}
	s.ht.ForEach(func(e *keyspace.Entry) bool { return fn(e.Key) })
}

// Members returns every member in iteration order.
func (s *Set) Members() []string {
	out := make([]string, 0, s.Len())
	s.ForEach(func(m string) bool {
		out = append(out, m)
		return true
	})
	return out
}

// Random returns a random member of a non-empty set. For a hashtable it
// picks among a sample of neighbouring entries, as Redis's fair random
// pick does, so members in long chains are not favoured.
func (s *Set) Random() string {
	if s.ht == nil {
		return strconv.FormatInt(s.ints[rand.IntN(len(s.ints))], 10)
	}
	var buf [fairRandomSamples]*keyspace.Entry
	sample := s.ht.Sample(buf[:0], fairRandomSamples)
	if len(sample) == 0 {
		return s.ht.Random().Key
	}
	return sample[rand.IntN(len(sample))].Key
}

// Pop removes and returns a random member of a non-empty set.
func (s *Set) Pop() string {
	if s.ht == nil {
		i := rand.IntN(len(s.ints))
		n := s.ints[i]
		s.removeInt(n)
		return strconv.FormatInt(n, 10)
	}
	m := s.Random()
	s.Remove([]byte(m))
	return m
}

// ReplaceWith makes s hold o's members with o's encoding (SPOP keeping a
// rebuilt set under the same key).
func (s *Set) ReplaceWith(o *Set) { *s = *o }

// Scan visits the members of the hashtable buckets at cursor and returns
// the next cursor, with Redis's reverse-binary cursor guarantees. It must
// only be called on a hashtable-encoded set: an intset is returned whole.
func (s *Set) Scan(cursor uint64, fn func(m string)) uint64 {
	return s.ht.Scan(cursor, func(e *keyspace.Entry) { fn(e.Key) })
}

// IntWidth is the element size (2, 4 or 8 bytes) of an intset-encoded
// set's Redis intset: the widest member it has ever held.
func (s *Set) IntWidth() int { return int(s.intWidth) }

// WidenIntset raises an intset's element size to w, as a set loaded from
// an intset keeps its saved width.
func (s *Set) WidenIntset(w int) {
	if s.ht == nil && w > int(s.intWidth) && w <= 8 {
		s.intWidth = uint8(w)
	}
}
