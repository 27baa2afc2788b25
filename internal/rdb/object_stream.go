package rdb

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// Streams are saved as Redis keeps them: a rax of listpacks keyed by
// each node's master ID (t_stream.c). A node's listpack starts with the
// master entry (live count, deleted count, field count, the fields, 0)
// and then holds one run per entry: flags, ms and seq deltas from the
// master ID, the field count and fields unless the entry has the master's
// fields (flag SAMEFIELDS), the values, and the number of listpack
// elements the run used before this one (lp-count), for backward walks.
// redoubt's own nodes use another layout and other boundaries, so saving
// rebuilds Redis's nodes from the entries with streamAppendItem's rules.

const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
	// streamListpackMaxSize is STREAM_LISTPACK_MAX_SIZE, which also stands
	// for stream-node-max-bytes 0.
	streamListpackMaxSize = 1 << 30
)

// streamLP is a Redis stream node being built.
type streamLP struct {
	master        types.StreamID
	fields        [][]byte
	head          ListpackWriter // field count, fields, 0
	ents          ListpackWriter
	live, deleted int
}

func lpIntSize(v int64) int {
	n := len(appendLpInt(nil, v))
	return n + int(backlenSize(uint64(n)))
}

// bytes is lpBytes of the node as it was while entries were appended
// (all counted live: Redis marks deletions later).
func (n *streamLP) bytes() int {
	return lpHeaderSize + lpIntSize(int64(n.live+n.deleted)) + lpIntSize(0) + len(n.head.body) + len(n.ents.body) + 1
}

func (n *streamLP) listpack() []byte {
	var w ListpackWriter
	w.AppendInt(int64(n.live))
	w.AppendInt(int64(n.deleted))
	w.body = append(w.body, n.head.body...)
	w.body = append(w.body, n.ents.body...)
	w.n += n.head.n + n.ents.n
	return w.Bytes()
}

func (n *streamLP) sameFields(fv [][]byte) bool {
	if len(fv) != 2*len(n.fields) {
		return false
	}
	for i, f := range n.fields {
		if !bytes.Equal(f, fv[2*i]) {
			return false
		}
	}
	return true
}

// streamNodes splits the stream's stored entries (tombstones included,
// flagged deleted) into Redis's nodes as successive XADDs with the given
// stream-node-max-entries and -bytes build them. Nodes left with no live
// entry are dropped, as XDEL and XTRIM drop them.
func streamNodes(s *types.Stream, maxEntries, maxBytes int, tick func()) []*streamLP {
	if maxBytes <= 0 || maxBytes > streamListpackMaxSize {
		maxBytes = streamListpackMaxSize
	}
	var nodes []*streamLP
	var cur *streamLP
	s.ForEachStored(func(id types.StreamID, fv [][]byte, deleted bool) {
		if tick != nil {
			tick()
		}
		if cur != nil {
			tot := 0
			for _, x := range fv {
				tot += len(x)
			}
			if cur.bytes()+tot >= maxBytes || maxEntries > 0 && cur.live+cur.deleted >= maxEntries {
				cur = nil
			}
		}
		flags := int64(0)
		if cur == nil {
			cur = &streamLP{master: id}
			cur.head.AppendInt(int64(len(fv) / 2))
			for i := 0; i < len(fv); i += 2 {
				f := slices.Clone(fv[i])
				cur.fields = append(cur.fields, f)
				cur.head.Append(f)
			}
			cur.head.AppendInt(0)
			nodes = append(nodes, cur)
			flags = streamFlagSameFields
		} else if cur.sameFields(fv) {
			flags = streamFlagSameFields
		}
		same := flags != 0
		if deleted {
			flags |= streamFlagDeleted
			cur.deleted++
		} else {
			cur.live++
		}
		w := &cur.ents
		w.AppendInt(flags)
		w.AppendInt(int64(id.Ms - cur.master.Ms))
		w.AppendInt(int64(id.Seq - cur.master.Seq))
		if !same {
			w.AppendInt(int64(len(fv) / 2))
		}
		for i := 0; i+1 < len(fv); i += 2 {
			if !same {
				w.Append(fv[i])
			}
			w.Append(fv[i+1])
		}
		lpCount := int64(len(fv)/2) + 3
		if !same {
			lpCount += int64(len(fv)/2) + 1
		}
		w.AppendInt(lpCount)
	})
	return slices.DeleteFunc(nodes, func(n *streamLP) bool { return n.live == 0 })
}

func appendRawID(dst []byte, id types.StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

func appendStream(dst []byte, s *types.Stream, o SaveOptions) []byte {
	y := o.yielder()
	tick := func(k int) { dst = y.add(dst, k) }
	nodes := streamNodes(s, o.StreamNodeMaxEntries, o.StreamNodeMaxBytes, func() { tick(1) })
	dst = AppendLen(dst, uint64(len(nodes)))
	for _, n := range nodes {
		dst = AppendString(dst, appendRawID(nil, n.master), o.Compress)
		dst = AppendString(dst, n.listpack(), o.Compress)
		tick(n.live + n.deleted)
	}
	first := s.FirstID
	if s.Len() == 0 {
		first = types.StreamID{}
	}
	for _, v := range []uint64{s.Len(), s.LastID.Ms, s.LastID.Seq, first.Ms, first.Seq,
		s.MaxDeletedID.Ms, s.MaxDeletedID.Seq, s.EntriesAdded} {
		dst = AppendLen(dst, v)
	}
	groups := s.Groups()
	dst = AppendLen(dst, uint64(len(groups)))
	for _, g := range groups {
		dst = AppendString(dst, []byte(g.Name), o.Compress)
		dst = AppendLen(dst, g.LastID.Ms)
		dst = AppendLen(dst, g.LastID.Seq)
		dst = AppendLen(dst, uint64(g.EntriesRead))
		dst = AppendLen(dst, uint64(g.PEL.Len()))
		g.PEL.Ascend(types.StreamID{}, func(id types.StreamID, n *types.StreamNACK) bool {
			dst = appendRawID(dst, id)
			dst = AppendMillisecondTime(dst, n.DeliveryTime)
			dst = AppendLen(dst, uint64(n.DeliveryCount))
			tick(1)
			return true
		})
		cs := g.Consumers()
		dst = AppendLen(dst, uint64(len(cs)))
		for _, c := range cs {
			dst = AppendString(dst, []byte(c.Name), o.Compress)
			dst = AppendMillisecondTime(dst, c.SeenTime)
			dst = AppendLen(dst, uint64(c.PEL.Len()))
			c.PEL.Ascend(types.StreamID{}, func(id types.StreamID, _ *types.StreamNACK) bool {
				dst = appendRawID(dst, id)
				tick(1)
				return true
			})
		}
	}
	return dst
}

// streamEntry is an entry decoded from a saved node.
type streamEntry struct {
	id      types.StreamID
	fv      [][]byte
	deleted bool
}

func entInt(e Entry) (int64, bool) {
	if e.IsInt {
		return e.Int, true
	}
	return parseCanonicalInt(e.Str)
}

// decodeStreamListpack checks a node's listpack as Redis's deep
// streamValidateListpackIntegrity does and returns its entries.
func decodeStreamListpack(lp []byte, master types.StreamID) ([]streamEntry, error) {
	es, err := ListpackEntries(lp)
	if err != nil {
		return nil, err
	}
	p := 0
	next := func() (Entry, error) {
		if p >= len(es) {
			return Entry{}, lpErr(len(lp)-1, "stream listpack: truncated entry")
		}
		p++
		return es[p-1], nil
	}
	nextInt := func(what string) (int64, error) {
		e, err := next()
		if err != nil {
			return 0, err
		}
		v, ok := entInt(e)
		if !ok {
			return 0, lpErr(0, "stream listpack: %s is not an integer", what)
		}
		return v, nil
	}
	if len(es) == 0 {
		return nil, lpErr(0, "empty listpack inside stream")
	}
	count, err := nextInt("master count")
	if err != nil {
		return nil, err
	}
	deleted, err := nextInt("master deleted count")
	if err != nil {
		return nil, err
	}
	nf, err := nextInt("master field count")
	if err != nil {
		return nil, err
	}
	if nf < 0 || nf > int64(len(es)) {
		return nil, lpErr(0, "stream listpack: bad master field count %d", nf)
	}
	fields := make([][]byte, nf)
	for i := range fields {
		e, err := next()
		if err != nil {
			return nil, err
		}
		fields[i] = slices.Clone(e.Bytes())
	}
	if z, err := nextInt("master terminator"); err != nil || z != 0 {
		return nil, lpErr(0, "stream listpack: bad master entry terminator")
	}
	var out []streamEntry
	var live, dels int64
	for p < len(es) {
		flags, err := nextInt("flags")
		if err != nil {
			return nil, err
		}
		ms, err := nextInt("ms delta")
		if err != nil {
			return nil, err
		}
		seq, err := nextInt("seq delta")
		if err != nil {
			return nil, err
		}
		e := streamEntry{id: types.StreamID{Ms: master.Ms + uint64(ms), Seq: master.Seq + uint64(seq)}, deleted: flags&streamFlagDeleted != 0}
		n := nf
		same := flags&streamFlagSameFields != 0
		if !same {
			if n, err = nextInt("field count"); err != nil {
				return nil, err
			}
			if n < 0 || n > int64(len(es)) {
				return nil, lpErr(0, "stream listpack: bad field count %d", n)
			}
		}
		for i := int64(0); i < n; i++ {
			f := fields[min(i, int64(len(fields))-1)]
			if !same {
				x, err := next()
				if err != nil {
					return nil, err
				}
				f = slices.Clone(x.Bytes())
			}
			v, err := next()
			if err != nil {
				return nil, err
			}
			e.fv = append(e.fv, f, slices.Clone(v.Bytes()))
		}
		want := n + 3
		if !same {
			want += n + 1
		}
		if lc, err := nextInt("lp-count"); err != nil || lc != want {
			return nil, lpErr(0, "stream listpack: bad lp-count")
		}
		if n == 0 {
			return nil, lpErr(0, "stream listpack: entry without fields")
		}
		if e.deleted {
			dels++
		} else {
			live++
		}
		for i := range e.fv {
			if e.fv[i] == nil {
				e.fv[i] = []byte{}
			}
		}
		out = append(out, e)
	}
	if live != count || dels != deleted {
		return nil, lpErr(0, "stream listpack: master counts %d/%d do not match entries %d/%d", count, deleted, live, dels)
	}
	return out, nil
}

func readRawID(r *Reader) (types.StreamID, error) {
	b, err := r.ReadN(16)
	if err != nil {
		return types.StreamID{}, err
	}
	return types.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

func readLens(r *Reader, vs ...*uint64) error {
	for _, v := range vs {
		n, err := r.ReadPlainLen()
		if err != nil {
			return err
		}
		*v = n
	}
	return nil
}

func readStream(r *Reader, typ byte, lim Limits) (keyspace.Value, error) {
	nodes, err := r.ReadPlainLen()
	if err != nil {
		return nil, err
	}
	st := types.NewStream()
	var prev types.StreamID
	var tombs []types.StreamID
	any := false
	for i := uint64(0); i < nodes; i++ {
		at := r.Pos()
		key, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, r.Errorf(at, "Stream node key entry is not the size of a stream ID")
		}
		master := types.StreamID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		lpAt := r.Pos()
		lp, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		ents, err := decodeStreamListpack(lp, master)
		if err != nil {
			return nil, blobErr(lpAt, "Stream listpack integrity check failed", err)
		}
		if len(ents) == 0 {
			return nil, r.Errorf(lpAt, "Empty listpack inside stream")
		}
		for _, e := range ents {
			if any && !prev.Less(e.id) {
				return nil, r.Errorf(lpAt, "stream entry %s not after %s", e.id, prev)
			}
			prev, any = e.id, true
			st.Append(e.id, e.fv, lim.StreamNodeMaxEntries, lim.StreamNodeMaxBytes)
			if e.deleted {
				tombs = append(tombs, e.id)
			}
		}
	}
	// Tombstones are kept (deleted once all entries are in, so no node is
	// emptied while it is being filled): saving again rebuilds the same
	// Redis nodes.
	for _, id := range tombs {
		st.Delete(id)
	}
	metaAt := r.Pos()
	var length, lastMs, lastSeq uint64
	if err := readLens(r, &length, &lastMs, &lastSeq); err != nil {
		return nil, err
	}
	last := types.StreamID{Ms: lastMs, Seq: lastSeq}
	var first, maxDel types.StreamID
	var added uint64
	if typ == TypeStreamListpacks2 {
		if err := readLens(r, &first.Ms, &first.Seq, &maxDel.Ms, &maxDel.Seq, &added); err != nil {
			return nil, err
		}
	} else {
		added = length
		first = st.FirstID
	}
	if length != st.Len() {
		return nil, r.Errorf(metaAt, "Stream length %d inconsistent with its %d entries", length, st.Len())
	}
	if any && last.Less(prev) {
		return nil, r.Errorf(metaAt, "stream last ID %s is before entry %s", last, prev)
	}
	st.LastID, st.MaxDeletedID, st.EntriesAdded = last, maxDel, added
	if st.Len() > 0 {
		st.FirstID = first
	} else {
		st.FirstID = types.StreamID{}
	}
	ngroups, err := r.ReadPlainLen()
	if err != nil {
		return nil, err
	}
	for ; ngroups > 0; ngroups-- {
		if err := readStreamGroup(r, st, typ); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func readStreamGroup(r *Reader, st *types.Stream, typ byte) error {
	at := r.Pos()
	name, err := r.ReadString()
	if err != nil {
		return err
	}
	var id types.StreamID
	if err := readLens(r, &id.Ms, &id.Seq); err != nil {
		return err
	}
	var read int64
	if typ == TypeStreamListpacks2 {
		var n uint64
		if err := readLens(r, &n); err != nil {
			return err
		}
		read = int64(n)
	} else {
		read = st.EstimateDistance(id)
	}
	g := st.CreateGroup(string(name), id, read)
	if g == nil {
		return r.Errorf(at, "Duplicated consumer group name %s", name)
	}
	npel, err := r.ReadPlainLen()
	if err != nil {
		return err
	}
	type nack struct {
		time, count int64
		owner       *types.StreamConsumer
	}
	pel := map[types.StreamID]*nack{}
	var order []types.StreamID
	for ; npel > 0; npel-- {
		at := r.Pos()
		pid, err := readRawID(r)
		if err != nil {
			return err
		}
		t, err := r.ReadMillisecondTime()
		if err != nil {
			return err
		}
		c, err := r.ReadPlainLen()
		if err != nil {
			return err
		}
		if pel[pid] != nil {
			return r.Errorf(at, "Duplicated global PEL entry loading stream consumer group")
		}
		pel[pid] = &nack{time: t, count: int64(c)}
		order = append(order, pid)
	}
	ncons, err := r.ReadPlainLen()
	if err != nil {
		return err
	}
	for ; ncons > 0; ncons-- {
		at := r.Pos()
		cname, err := r.ReadString()
		if err != nil {
			return err
		}
		seen, err := r.ReadMillisecondTime()
		if err != nil {
			return err
		}
		c := g.CreateConsumer(string(cname), seen)
		if c == nil {
			return r.Errorf(at, "Duplicate stream consumer detected.")
		}
		n, err := r.ReadPlainLen()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			at := r.Pos()
			pid, err := readRawID(r)
			if err != nil {
				return err
			}
			k := pel[pid]
			if k == nil {
				return r.Errorf(at, "Consumer entry not found in group global PEL")
			}
			if k.owner != nil {
				return r.Errorf(at, "Duplicated consumer PEL entry loading a stream consumer group")
			}
			k.owner = c
		}
	}
	for _, pid := range order {
		k := pel[pid]
		if k.owner == nil {
			return r.Errorf(at, "Stream CG PEL entry without consumer")
		}
		g.AddPending(pid, k.owner, k.time, k.count)
	}
	return nil
}
