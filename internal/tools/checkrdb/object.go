package checkrdb

// loadObject is rdbLoadObject as redis-check-rdb runs it: deep sanitization
// on (sanitize-dump-payload yes), default encoding limits, and an empty
// collection treated like a failed read (the checker does not skip empty
// keys as the server does). Only what can fail is kept: values are read
// and validated, never built.

import (
	"math"

	"github.com/redoubt/redoubt/internal/rdb"
)

// Redis's default encoding thresholds, which decide where a value switches
// representation (and so which checks its later elements get).
const (
	setMaxIntsetEntries    = 512
	hashMaxListpackEntries = 128
	hashMaxListpackValue   = 64
	lpSafetySize           = 1 << 30 // LISTPACK_MAX_SAFETY_SIZE
)

func (c *checker) loadObject(typ byte) *failure {
	in := c.in
	switch typ {
	case rdb.TypeString:
		_, f := in.loadString()
		return f
	case rdb.TypeList:
		n, f := in.loadPlainLen()
		if f != nil {
			return f
		}
		if n == 0 {
			return in.eof()
		}
		for ; n > 0; n-- {
			if _, f := in.loadString(); f != nil {
				return f
			}
		}
		return nil
	case rdb.TypeSet:
		return c.loadSet()
	case rdb.TypeZSet, rdb.TypeZSet2:
		return c.loadZSet(typ)
	case rdb.TypeHash:
		return c.loadHash()
	case rdb.TypeListQuicklist, rdb.TypeListQuicklist2:
		return c.loadQuicklist(typ)
	case rdb.TypeHashZipmap, rdb.TypeListZiplist, rdb.TypeSetIntset, rdb.TypeZSetZiplist,
		rdb.TypeZSetListpack, rdb.TypeHashZiplist, rdb.TypeHashListpack:
		return c.loadEncoded(typ)
	case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2:
		return c.loadStream(typ)
	case rdb.TypeModule, rdb.TypeModule2:
		id, f := in.loadRawLen() // checked with rioGetReadError
		if f != nil {
			if f.fatal {
				return f
			}
			return in.corrupt(2622, "Short read module id")
		}
		name := moduleTypeName(id)
		if typ == rdb.TypeModule2 {
			return c.moduleValue(name)
		}
		return in.corrupt(2636, "The RDB file contains module data I can't load: no matching module type '%s'", name)
	}
	return in.corrupt(2681, "Unknown RDB encoding type %d", typ)
}

func (c *checker) loadSet() *failure {
	in := c.in
	n, f := in.loadPlainLen()
	if f != nil {
		return f
	}
	if n == 0 {
		return in.eof()
	}
	if n > setMaxIntsetEntries && in.dictTryExpandFails(n) {
		return in.corrupt(1785, "OOM in dictTryExpand %d", n)
	}
	intset := n <= setMaxIntsetEntries
	seen := map[string]struct{}{}
	for i := uint64(0); i < n; i++ {
		m, f := in.loadString()
		if f != nil {
			return f
		}
		// an intset compares members as integers, which only canonical
		// integer strings enter, so comparing the strings is the same
		if intset {
			if _, ok := string2ll(m); !ok {
				intset = false
			}
		}
		if _, dup := seen[string(m)]; dup {
			line := 1829
			if intset {
				line = 1809
			}
			return in.corrupt(line, "Duplicate set members detected")
		}
		seen[string(m)] = struct{}{}
	}
	return nil
}

func (c *checker) loadZSet(typ byte) *failure {
	in := c.in
	n, f := in.loadPlainLen()
	if f != nil {
		return f
	}
	if n == 0 {
		return in.eof()
	}
	if in.dictTryExpandFails(n) {
		return in.corrupt(1851, "OOM in dictTryExpand %d", n)
	}
	seen := map[string]struct{}{}
	for ; n > 0; n-- {
		m, f := in.loadString()
		if f != nil {
			return f
		}
		var score float64
		var ok bool
		if typ == rdb.TypeZSet2 {
			score, ok = in.loadBinaryDouble()
		} else {
			score, ok = in.loadDouble()
		}
		if !ok {
			return in.eof()
		}
		if math.IsNaN(score) {
			return in.corrupt(1882, "Zset with NAN score detected")
		}
		if _, dup := seen[string(m)]; dup {
			return in.corrupt(1894, "Duplicate zset fields detected")
		}
		seen[string(m)] = struct{}{}
	}
	return nil
}

func (c *checker) loadHash() *failure {
	in := c.in
	n, f := in.loadPlainLen()
	if f != nil {
		return f
	}
	if n == 0 {
		return in.eof()
	}
	listpack := n <= hashMaxListpackEntries
	seen := map[string]struct{}{}
	lpBytes := uint64(7) // an empty listpack's header and terminator
	// the listpack phase: duplicates found by the search dict
	for listpack && n > 0 {
		n--
		field, f := in.loadString()
		if f != nil {
			return f
		}
		value, f := in.loadString()
		if f != nil {
			return f
		}
		if _, dup := seen[string(field)]; dup {
			return in.corrupt(1951, "Hash with dup elements")
		}
		seen[string(field)] = struct{}{}
		add := uint64(len(field)) + uint64(len(value))
		if len(field) > hashMaxListpackValue || len(value) > hashMaxListpackValue || lpBytes+add > lpSafetySize {
			listpack = false
			break
		}
		lpBytes += lpEntryBytes(len(field)) + lpEntryBytes(len(value))
	}
	if !listpack && n > 4 && in.dictTryExpandFails(n) && uint64(len(seen)) <= n {
		return in.corrupt(1996, "OOM in dictTryExpand %d", n)
	}
	for !listpack && n > 0 {
		n--
		field, f := in.loadString()
		if f != nil {
			return f
		}
		if _, f := in.loadString(); f != nil {
			return f
		}
		if _, dup := seen[string(field)]; dup {
			return in.corrupt(2019, "Duplicate hash fields detected")
		}
		seen[string(field)] = struct{}{}
	}
	return nil
}

// lpEntryBytes is the size a string of n bytes takes in a listpack
// (encoding header, data, backlen), for lpSafeToAdd's running total.
func lpEntryBytes(n int) uint64 {
	var hdr int
	switch {
	case n < 64:
		hdr = 1
	case n < 4096:
		hdr = 2
	default:
		hdr = 5
	}
	l := hdr + n
	back := 1
	switch {
	case l >= 268435456:
		back = 5
	case l >= 2097152:
		back = 4
	case l >= 16384:
		back = 3
	case l >= 128:
		back = 2
	}
	return uint64(l + back)
}

func (c *checker) loadQuicklist(typ byte) *failure {
	in := c.in
	n, f := in.loadPlainLen()
	if f != nil {
		return f
	}
	if n == 0 {
		return in.eof()
	}
	count := 0
	for ; n > 0; n-- {
		plain := false
		if typ == rdb.TypeListQuicklist2 {
			container, f := in.loadPlainLen()
			if f != nil {
				return f
			}
			if container != 1 && container != 2 { // PLAIN, PACKED
				return in.corrupt(2048, "Quicklist integrity check failed.")
			}
			plain = container == 1
		}
		data, f := in.loadString()
		if f != nil {
			return f
		}
		if len(data) == 0 {
			return in.eof()
		}
		if plain {
			count++
			continue
		}
		var elems int
		var err error
		if typ == rdb.TypeListQuicklist2 {
			elems, err = rdb.WalkListpack(data, nil)
			if err != nil {
				return in.corrupt(2071, "Listpack integrity check failed.")
			}
		} else {
			elems, err = rdb.WalkZiplist(data, nil)
			if err != nil {
				return in.corrupt(2081, "Ziplist integrity check failed.")
			}
		}
		count += elems // empty nodes are skipped silently
	}
	if count == 0 {
		return in.eof()
	}
	return nil
}

// pairsChecks are the field/value blob encodings: their validator and the
// rdb.c line and message of their integrity failure.
var pairsChecks = map[byte]struct {
	pairs func([]byte) ([]rdb.Entry, error)
	line  int
	msg   string
}{
	rdb.TypeZSetZiplist:  {rdb.ZiplistPairs, 2229, "Zset ziplist integrity check failed."},
	rdb.TypeHashZiplist:  {rdb.ZiplistPairs, 2275, "Hash ziplist integrity check failed."},
	rdb.TypeZSetListpack: {rdb.ListpackPairs, 2255, "Zset listpack integrity check failed."},
	rdb.TypeHashListpack: {rdb.ListpackPairs, 2301, "Hash listpack integrity check failed."},
}

// loadEncoded loads the values stored as one blob in a compact encoding.
func (c *checker) loadEncoded(typ byte) *failure {
	in := c.in
	blob, f := in.loadString()
	if f != nil {
		return f
	}
	switch typ {
	case rdb.TypeHashZipmap:
		pairs, err := rdb.ZipmapPairs(blob)
		if err != nil {
			return in.corrupt(2130, "Zipmap integrity check failed.")
		}
		seen := map[string]struct{}{}
		lpBytes := uint64(7)
		for i := 0; i+1 < len(pairs); i += 2 {
			field, value := pairs[i], pairs[i+1]
			_, dup := seen[string(field)]
			add := uint64(len(field)) + uint64(len(value))
			if dup || lpBytes+add > lpSafetySize {
				return in.corrupt(2154, "Hash zipmap with dup elements, or big length (%d)", len(field))
			}
			seen[string(field)] = struct{}{}
			lpBytes += lpEntryBytes(len(field)) + lpEntryBytes(len(value))
		}
		return nil
	case rdb.TypeListZiplist:
		n, err := rdb.WalkZiplist(blob, nil)
		if err != nil {
			return in.corrupt(2189, "List ziplist integrity check failed.")
		}
		if n == 0 {
			return in.eof()
		}
		return nil
	case rdb.TypeSetIntset:
		if _, err := rdb.IntsetValues(blob); err != nil {
			return in.corrupt(2214, "Intset integrity check failed.")
		}
		return nil
	case rdb.TypeZSetZiplist, rdb.TypeHashZiplist, rdb.TypeZSetListpack, rdb.TypeHashListpack:
		pc := pairsChecks[typ]
		es, err := pc.pairs(blob)
		if err != nil {
			return in.corrupt(pc.line, "%s", pc.msg)
		}
		if len(es) == 0 {
			return in.eof()
		}
		return nil
	}
	return in.corrupt(2319, "Unknown RDB encoding type %d", typ)
}
