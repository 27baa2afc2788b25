package rdb

import "fmt"

// Quicklist node containers (quicklist.h QUICKLIST_NODE_CONTAINER_*) as
// saved in TypeListQuicklist2 values.
const (
	QuicklistPlain  = 1 // the node holds one element, as is
	QuicklistPacked = 2 // the node holds a listpack
)

// Defaults Redis 7.0 uses when building lists.
const (
	// DefaultListFill is list-max-listpack-size's default: nodes up to 8 KiB.
	DefaultListFill = -2
	// DefaultPackedThreshold is quicklist.c's packed_threshold (1 GiB):
	// elements at least this long get a PLAIN node of their own.
	DefaultPackedThreshold = 1 << 30
)

// quicklist.c's size limits for negative fill values, and the limit that
// also applies to positive (count) fills.
var quicklistSizeLevels = [...]int{4096, 8192, 16384, 32768, 65536}

const (
	quicklistSafetyLimit      = 8192
	quicklistEstimateOverhead = 8
)

// QuicklistNode is one node of a quicklist: a listpack (QuicklistPacked)
// or a single element (QuicklistPlain).
type QuicklistNode struct {
	Container int
	Data      []byte
	Count     int // elements in the node
}

// QuicklistNodes splits elems into the nodes a Redis 7.0 quicklist with
// list-max-listpack-size fill gets when the elements are pushed one by one
// at the tail (RPUSH, and how RESTORE/loading rebuild nothing: they keep
// the saved nodes). It follows quicklistPushTail and
// _quicklistNodeAllowInsert: an element joins the tail listpack when the
// tail is packed, the element is below threshold, and tail bytes + element
// length + 8 stays within the fill's size level (fill < 0) or within 8 KiB
// and fill elements (fill > 0); elements of threshold bytes or more get a
// plain node. Pass DefaultListFill and DefaultPackedThreshold for Redis's
// defaults.
func QuicklistNodes(elems [][]byte, fill, threshold int) []QuicklistNode {
	return quicklistNodes(elems, fill, threshold, nil)
}

// quicklistNodes is QuicklistNodes calling tick (when set) per element.
func quicklistNodes(elems [][]byte, fill, threshold int, tick func()) []QuicklistNode {
	var nodes []QuicklistNode
	var w ListpackWriter
	open := false // w holds the tail node
	flush := func() {
		if open {
			nodes = append(nodes, QuicklistNode{Container: QuicklistPacked, Data: w.Bytes(), Count: w.Len()})
			w = ListpackWriter{}
			open = false
		}
	}
	for _, e := range elems {
		if tick != nil {
			tick()
		}
		if len(e) >= threshold {
			flush()
			nodes = append(nodes, QuicklistNode{Container: QuicklistPlain, Data: e, Count: 1})
			continue
		}
		if open && !quicklistAllowInsert(w.Size(), w.Len(), len(e), fill) {
			flush()
		}
		w.Append(e)
		open = true
	}
	flush()
	return nodes
}

func quicklistAllowInsert(nodeSize, nodeCount, sz, fill int) bool {
	newSize := nodeSize + sz + quicklistEstimateOverhead
	if fill < 0 {
		if off := -fill - 1; off < len(quicklistSizeLevels) {
			return newSize <= quicklistSizeLevels[off]
		}
	}
	if newSize > quicklistSafetyLimit {
		return false
	}
	return nodeCount < fill
}

// AppendQuicklist2 appends the TypeListQuicklist2 encoding of nodes (after
// the type byte): the node count, then per node its container and its data
// as an RDB string (LZF-compressed when compress is set and it pays, as
// rdbSaveRawString does for uncompressed quicklist nodes).
func AppendQuicklist2(dst []byte, nodes []QuicklistNode, compress bool) []byte {
	dst = AppendLen(dst, uint64(len(nodes)))
	for _, n := range nodes {
		dst = AppendLen(dst, uint64(n.Container))
		dst = AppendString(dst, n.Data, compress)
	}
	return dst
}

// AppendQuicklist appends the old TypeListQuicklist encoding (Redis 3.2 to
// 6.2): the node count, then each node's ziplist as an RDB string. The
// ziplists are built from elems split like QuicklistNodes's packed nodes
// (6.2's exact split used the ziplist sizes; this is meant for tests).
func AppendQuicklist(dst []byte, elems [][]byte, perNode int, compress bool) []byte {
	var chunks [][][]byte
	for len(elems) > 0 {
		n := min(perNode, len(elems))
		chunks = append(chunks, elems[:n])
		elems = elems[n:]
	}
	dst = AppendLen(dst, uint64(len(chunks)))
	for _, c := range chunks {
		dst = AppendString(dst, BuildZiplist(c), compress)
	}
	return dst
}

// ReadQuicklist2 reads a TypeListQuicklist2 value (the Reader positioned
// after the type byte) and returns its elements, validating it as Redis's
// rdbLoadObject does with deep sanitization: containers 1 or 2, no empty
// node strings, listpacks valid; empty listpack nodes are skipped as Redis
// does. A list with no elements returns nil and no error: Redis skips such
// keys as empty. Listpack errors carry offsets inside the node's listpack;
// the message names the node's offset in the Reader's input.
func (r *Reader) ReadQuicklist2() ([]Entry, error) {
	return r.readQuicklist(true)
}

// ReadQuicklist reads a TypeListQuicklist value (nodes of ziplists; Redis
// 3.2 to 6.2) like ReadQuicklist2.
func (r *Reader) ReadQuicklist() ([]Entry, error) {
	return r.readQuicklist(false)
}

func (r *Reader) readQuicklist(v2 bool) ([]Entry, error) {
	n, err := r.ReadPlainLen()
	if err != nil {
		return nil, err
	}
	var out []Entry
	add := func(e Entry) error {
		out = append(out, e)
		return nil
	}
	for i := uint64(0); i < n; i++ {
		at := r.Pos()
		container := uint64(QuicklistPacked)
		if v2 {
			if container, err = r.ReadPlainLen(); err != nil {
				return nil, err
			}
			if container != QuicklistPacked && container != QuicklistPlain {
				return nil, r.Errorf(at, "quicklist node %d: invalid container %d", i, container)
			}
		}
		dataAt := r.Pos()
		data, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			return nil, r.Errorf(dataAt, "quicklist node %d: empty", i)
		}
		switch {
		case container == QuicklistPlain:
			err = add(StrEntry(data))
		case v2:
			_, err = WalkListpack(data, add)
		default:
			_, err = WalkZiplist(data, add)
		}
		if err != nil {
			// keep the inner error (offset inside the node) reachable
			// with errors.As; the outer offset is where the node's data starts
			return nil, &Error{Offset: dataAt, Msg: fmt.Sprintf("quicklist node %d: %v; node data", i, err), Err: err}
		}
	}
	return out, nil
}

// Quicklist node compression limits (quicklist.c MIN_COMPRESS_BYTES,
// MIN_COMPRESS_IMPROVE).
const (
	quicklistMinCompressBytes   = 48
	quicklistMinCompressImprove = 8
)

// AppendQuicklist2Depth is AppendQuicklist2 for a list kept with
// list-compress-depth depth > 0. Redis keeps nodes beyond depth from either
// end LZF-compressed in memory (when the node has at least 48 bytes and
// compresses by more than 8) and saves those compressed bytes as they are
// (rdbSaveLzfBlob); other nodes are saved as with depth 0. Which nodes are
// compressed follows from building the list by tail pushes, where every
// node gets its compression attempt when it leaves the tail window.
func AppendQuicklist2Depth(dst []byte, nodes []QuicklistNode, depth int, compress bool) []byte {
	return appendQuicklist2Depth(dst, nodes, depth, compress, nil)
}

// appendQuicklist2Depth is AppendQuicklist2Depth calling tick (when set)
// after each node with its element count; tick may swap the buffer.
func appendQuicklist2Depth(dst []byte, nodes []QuicklistNode, depth int, compress bool, tick func(dst []byte, elems int) []byte) []byte {
	dst = AppendLen(dst, uint64(len(nodes)))
	for i, n := range nodes {
		if tick != nil && i > 0 {
			dst = tick(dst, nodes[i-1].Count)
		}
		dst = AppendLen(dst, uint64(n.Container))
		if depth <= 0 {
			dst = AppendString(dst, n.Data, compress)
			continue
		}
		if i >= depth && i < len(nodes)-depth && len(n.Data) >= quicklistMinCompressBytes {
			c, ok := LZFCompressLimit(nil, n.Data, len(n.Data))
			if ok && len(c)+quicklistMinCompressImprove < len(n.Data) {
				dst = append(dst, lenEnc<<6|EncLZF)
				dst = AppendLen(dst, uint64(len(c)))
				dst = AppendLen(dst, uint64(len(n.Data)))
				dst = append(dst, c...)
				continue
			}
		}
		dst = AppendString(dst, n.Data, compress)
	}
	return dst
}
