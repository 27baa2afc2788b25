package checkrdb

// Streams: the stream branch of rdbLoadObject, whose read failures are
// reported through rdbReportReadError (so they end the check as corrupt
// data does), and t_stream.c's streamValidateListpackIntegrity.

import (
	"encoding/binary"

	"github.com/redoubt/redoubt/internal/rdb"
)

func (c *checker) loadStream(typ byte) *failure {
	in := c.in
	// readErr turns a plain read failure into the report Redis makes
	readErr := func(f *failure, line int, msg string) *failure {
		if f.fatal {
			return f
		}
		return in.corrupt(line, "%s", msg)
	}
	nodes, f := in.loadPlainLen()
	if f != nil {
		return readErr(f, 2327, "Stream listpacks len loading failed.")
	}
	masters := map[string]struct{}{}
	for ; nodes > 0; nodes-- {
		key, f := in.loadString()
		if f != nil {
			return readErr(f, 2338, "Stream master ID loading failed: invalid encoding or I/O error.")
		}
		if len(key) != 16 {
			return in.corrupt(2343, "Stream node key entry is not the size of a stream ID")
		}
		lp, f := in.loadString()
		if f != nil {
			return readErr(f, 2355, "Stream listpacks loading failed.")
		}
		if !validStreamListpack(lp) {
			return in.corrupt(2362, "Stream listpack integrity check failed.")
		}
		// a valid stream listpack is never empty, so "Empty listpack
		// inside stream" cannot be reached after the check above
		if _, dup := masters[string(key)]; dup {
			return in.corrupt(2386, "Listpack re-added with existing key")
		}
		masters[string(key)] = struct{}{}
	}
	// length, last id, and for v2 first id, max deleted id, entries added
	metas := 3
	if typ == rdb.TypeStreamListpacks2 {
		metas = 8
	}
	var length uint64
	for i := 0; i < metas; i++ {
		v, f := in.lenOrErr()
		if f != nil {
			return f
		}
		if i == 0 {
			length = v
		}
	}
	if in.readErr {
		return in.corrupt(2424, "Stream object metadata loading failed.")
	}
	if length != 0 && len(masters) == 0 {
		return in.corrupt(2430, "Stream length inconsistent with rax entries")
	}
	groups, f := in.loadPlainLen()
	if f != nil {
		return readErr(f, 2438, "Stream cgroup count loading failed.")
	}
	names := map[string]struct{}{}
	for ; groups > 0; groups-- {
		name, f := in.loadString()
		if f != nil {
			return readErr(f, 2449, "Error reading the consumer group name from Stream")
		}
		for i := 0; i < 2; i++ {
			if _, f := in.lenOrErr(); f != nil {
				return f
			}
		}
		if in.readErr {
			return in.corrupt(2458, "Stream cgroup ID loading failed.")
		}
		if typ == rdb.TypeStreamListpacks2 {
			if _, f := in.lenOrErr(); f != nil {
				return f
			}
			if in.readErr {
				return in.corrupt(2469, "Stream cgroup offset loading failed.")
			}
		}
		if _, dup := names[string(name)]; dup {
			return in.corrupt(2480, "Duplicated consumer group name %s", cstr(name))
		}
		names[string(name)] = struct{}{}
		if f := c.loadGroupPEL(readErr); f != nil {
			return f
		}
	}
	return nil
}

// loadGroupPEL reads a consumer group's global PEL and its consumers with
// their own PELs, which must name entries of the global one, every one of
// which must end up owned (deep sanitization).
func (c *checker) loadGroupPEL(readErr func(*failure, int, string) *failure) *failure {
	in := c.in
	pelSize, f := in.loadPlainLen()
	if f != nil {
		return readErr(f, 2495, "Stream PEL size loading failed.")
	}
	owned := map[string]bool{}
	for ; pelSize > 0; pelSize-- {
		id, ok := in.read(16)
		if !ok {
			return in.corrupt(2502, "Stream PEL ID loading failed.")
		}
		if _, ok := in.read(8); !ok { // delivery time
			in.readErr = true
		}
		if _, f := in.lenOrErr(); f != nil { // delivery count
			return f
		}
		if in.readErr {
			return in.corrupt(2510, "Stream PEL NACK loading failed.")
		}
		if _, dup := owned[string(id)]; dup {
			return in.corrupt(2516, "Duplicated global PEL entry loading stream consumer group")
		}
		owned[string(id)] = false
	}
	consumers, f := in.loadPlainLen()
	if f != nil {
		return readErr(f, 2527, "Stream consumers num loading failed.")
	}
	seen := map[string]struct{}{}
	for ; consumers > 0; consumers-- {
		name, f := in.loadString()
		if f != nil {
			return readErr(f, 2534, "Error reading the consumer name from Stream group.")
		}
		if _, dup := seen[string(name)]; dup {
			return in.corrupt(2543, "Duplicate stream consumer detected.")
		}
		seen[string(name)] = struct{}{}
		if _, ok := in.read(8); !ok { // seen time
			return in.corrupt(2549, "Stream short read reading seen time.")
		}
		n, f := in.loadPlainLen()
		if f != nil {
			return readErr(f, 2558, "Stream consumer PEL num loading failed.")
		}
		mine := map[string]struct{}{}
		for ; n > 0; n-- {
			id, ok := in.read(16)
			if !ok {
				return in.corrupt(2566, "Stream short read reading PEL streamID.")
			}
			if _, ok := owned[string(id)]; !ok {
				return in.corrupt(2573, "Consumer entry not found in group global PEL")
			}
			owned[string(id)] = true
			if _, dup := mine[string(id)]; dup {
				return in.corrupt(2592, "Duplicated consumer PEL entry  loading a stream consumer group")
			}
			mine[string(id)] = struct{}{}
		}
	}
	for _, ok := range owned {
		if !ok {
			return in.corrupt(2611, "Stream CG PEL entry without consumer")
		}
	}
	return nil
}

// validStreamListpack is streamValidateListpackIntegrity(lp, deep=1): the
// listpack header and terminator, then the stream layout (master entry,
// then per entry flags, id, optional own fields, values, lp-count) walked
// with Redis's cursor, every entry decoded as it is stepped over, and
// nothing left after the last entry. The header's element count is not
// checked.
func validStreamListpack(lp []byte) bool {
	if len(lp) < 7 || uint64(binary.LittleEndian.Uint32(lp)) != uint64(len(lp)) || lp[len(lp)-1] != 0xff {
		return false
	}
	// decode every entry (Redis validates each as it steps over it, and
	// the walk must end exactly at the terminator, so a bad entry anywhere
	// fails); a copy with the count marked unknown keeps rdb's walker from
	// checking the header count
	cp := append([]byte(nil), lp...)
	cp[4], cp[5] = 0xff, 0xff
	es, err := rdb.ListpackEntries(cp)
	if err != nil {
		return false
	}
	n := len(es)
	// Redis's cursor: p is the current entry, next the one after; index n
	// is the terminator and -1 is NULL.
	const null = -1
	p, next := 0, 0
	if n == 0 {
		return false
	}
	step := func() bool { // lpValidateNext(lp, &next)
		switch {
		case next == null:
			return false
		case next == n:
			next = null
		default:
			next++
		}
		return true
	}
	advance := func() bool { p = next; return step() }
	intAt := func(i int) (int64, bool) { // lpGetIntegerIfValid
		if i == n {
			return 12345678900000000 + 0xff, true // the terminator byte read as an entry
		}
		if es[i].IsInt {
			return es[i].Int, true
		}
		return string2ll(es[i].Str)
	}
	if !step() {
		return false
	}
	entries, ok := intAt(p)
	if !ok || !advance() {
		return false
	}
	deleted, ok := intAt(p)
	if !ok || !advance() {
		return false
	}
	masterFields, ok := intAt(p)
	if !ok || !advance() {
		return false
	}
	for j := int64(0); j < masterFields; j++ {
		if !advance() {
			return false
		}
	}
	if zero, ok := intAt(p); !ok || zero != 0 || !advance() {
		return false
	}
	for total := entries + deleted; total != 0; total-- {
		if p == null {
			return false
		}
		fields, extra := masterFields, int64(3)
		flags, ok := intAt(p)
		if !ok || !advance() {
			return false
		}
		for k := 0; k < 2; k++ { // entry id: ms and seq deltas
			if _, ok := intAt(p); !ok || !advance() {
				return false
			}
		}
		if flags&2 == 0 { // not STREAM_ITEM_FLAG_SAMEFIELDS
			if fields, ok = intAt(p); !ok || !advance() {
				return false
			}
			for j := int64(0); j < fields; j++ {
				if !advance() {
					return false
				}
			}
			extra += fields + 1
		}
		for j := int64(0); j < fields; j++ {
			if !advance() {
				return false
			}
		}
		if count, ok := intAt(p); !ok || count != fields+extra || !advance() {
			return false
		}
	}
	return next == null
}
