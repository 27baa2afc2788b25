package rdb

import (
	"slices"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// appendList saves a list as TypeListQuicklist2 with the nodes a Redis
// quicklist of the same elements built by tail pushes has under
// list-max-listpack-size and list-compress-depth. (A Redis list shaped by
// head pushes or middle edits can have other node boundaries; its elements
// are the same.)
func appendList(dst []byte, l *types.List, o SaveOptions) []byte {
	// a snapshot's Yield comes every YieldEvery elements of each pass:
	// gathering, packing, appending
	y := o.yielder()
	elems := make([][]byte, l.Len())
	for i := range elems {
		elems[i] = l.At(i)
		dst = y.add(dst, 1)
	}
	// quicklistSetFill clamps to -5..FILL_MAX; a fill of 0 behaves as 1
	fill := min(max(o.ListFill, -5), 1<<15-1)
	if fill == 0 {
		fill = 1
	}
	nodes := quicklistNodes(elems, fill, DefaultPackedThreshold, func() { dst = y.add(dst, 1) })
	return appendQuicklist2Depth(dst, nodes, o.ListCompressDepth, o.Compress, y.add)
}

// readList reads every list encoding Redis 7.0 loads: the linked list of
// strings (TypeList), a single ziplist (TypeListZiplist) and quicklists
// of ziplists or of listpack/plain nodes.
func readList(r *Reader, typ byte) (keyspace.Value, error) {
	at := r.Pos()
	var elems []Entry
	switch typ {
	case TypeList:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		l := types.NewList()
		for i := uint64(0); i < n; i++ {
			b, err := r.ReadString()
			if err != nil {
				return nil, err
			}
			l.PushTail(slices.Clone(b))
		}
		if l.Len() == 0 {
			return nil, emptyKey(r, at, "list")
		}
		return l, nil
	case TypeListZiplist:
		_, b, err := readBlob(r)
		if err != nil {
			return nil, err
		}
		if elems, err = ZiplistEntries(b); err != nil {
			return nil, blobErr(at, "list ziplist", err)
		}
	case TypeListQuicklist:
		var err error
		if elems, err = r.ReadQuicklist(); err != nil {
			return nil, err
		}
	default:
		var err error
		if elems, err = r.ReadQuicklist2(); err != nil {
			return nil, err
		}
	}
	if len(elems) == 0 {
		return nil, emptyKey(r, at, "list")
	}
	l := types.NewList()
	for _, e := range elems {
		b := slices.Clone(e.Bytes())
		if b == nil {
			b = []byte{}
		}
		l.PushTail(b)
	}
	return l, nil
}
