package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// object.go maps redoubt's values to RDB value encodings and back. Saving
// picks the encoding Redis 7.0 would write for the value's current
// encoding (OBJECT ENCODING), so DUMP payloads and files match Redis's.
// Lists are in object_list.go, streams in object_stream.go.

// ErrUnsupported is returned for a value this build cannot encode yet.
var ErrUnsupported = fmt.Errorf("rdb: value type not supported")

// ErrEmptyKey is returned (wrapped) by ReadValue for a well-formed value
// with no elements: Redis's loader skips such keys rather than failing.
var ErrEmptyKey = errors.New("rdb: empty value")

// SaveOptions are the settings that shape a saved value.
type SaveOptions struct {
	Compress bool // rdbcompression: LZF-compress strings that shrink
	// ListFill and ListCompressDepth are list-max-listpack-size and
	// list-compress-depth, which decide a list's quicklist nodes.
	ListFill, ListCompressDepth int
	// StreamNodeMaxEntries and StreamNodeMaxBytes are stream-node-max-*,
	// which decide a stream's listpack nodes.
	StreamNodeMaxEntries, StreamNodeMaxBytes int
	// Scratch, when set, is reused from one value to the next (a snapshot
	// walk saving a million small hashes and sorted sets built a fresh
	// listpack per value: garbage made under the executor lock)
	Scratch *Scratch
	// Yield, when set, is called every YieldEvery elements of a set, hash
	// or sorted set being encoded (and while a list's elements are
	// gathered), so that a snapshot can encode a big value in slices; the
	// value must not change until the encoding returns. It receives what
	// was appended so far and returns the buffer to go on with (the caller
	// may keep the bytes and hand back an empty one).
	Yield func(dst []byte) []byte
}

// YieldEvery is how many elements are encoded between Yield calls.
const YieldEvery = 4096

// yielder counts the elements an encoding has done and calls the
// options' Yield every YieldEvery of them (nothing without a Yield).
type yielder struct {
	yield func([]byte) []byte
	n     int
}

func (o *SaveOptions) yielder() yielder { return yielder{yield: o.Yield} }

// add counts k elements; dst is what was appended so far, and the buffer
// to go on with is returned.
func (y *yielder) add(dst []byte, k int) []byte {
	if y.yield == nil {
		return dst
	}
	if y.n += k; y.n >= YieldEvery {
		y.n = 0
		return y.yield(dst)
	}
	return dst
}

// Scratch is working space AppendValue reuses; one per encoding goroutine.
type Scratch struct {
	lp  ListpackWriter
	out []byte
}

// writer returns an empty listpack writer (a fresh one without scratch).
func (s *Scratch) writer() *ListpackWriter {
	if s == nil {
		return &ListpackWriter{}
	}
	s.lp.Reset()
	return &s.lp
}

// bytes is w's complete listpack, valid until the next value.
func (s *Scratch) bytes(w *ListpackWriter) []byte {
	if s == nil {
		return w.Bytes()
	}
	s.out = w.AppendTo(s.out[:0])
	return s.out
}

// DefaultSaveOptions are Redis's defaults.
var DefaultSaveOptions = SaveOptions{Compress: true, ListFill: DefaultListFill, StreamNodeMaxEntries: 100, StreamNodeMaxBytes: 4096}

// TypeOf is the RDB type byte v is saved with.
func TypeOf(v keyspace.Value) (byte, error) {
	switch v := v.(type) {
	case *types.String:
		return TypeString, nil
	case *types.List:
		return TypeListQuicklist2, nil
	case *types.Set:
		if v.IsIntset() {
			return TypeSetIntset, nil
		}
		return TypeSet, nil
	case *types.Hash:
		if v.IsListpack() {
			return TypeHashListpack, nil
		}
		return TypeHash, nil
	case *types.ZSet:
		if v.IsListpack() {
			return TypeZSetListpack, nil
		}
		return TypeZSet2, nil
	case *types.Stream:
		return TypeStreamListpacks2, nil
	}
	return 0, ErrUnsupported
}

// AppendValue appends v's encoding (without the type byte TypeOf gives).
func AppendValue(dst []byte, v keyspace.Value, o SaveOptions) []byte {
	compress := o.Compress
	switch v := v.(type) {
	case *types.String:
		return AppendString(dst, v.B, compress)
	case *types.List:
		return appendList(dst, v, o)
	case *types.Set:
		if v.IsIntset() {
			return AppendString(dst, appendIntsetWidth(nil, v), compress)
		}
		dst = AppendLen(dst, uint64(v.Len()))
		y := o.yielder()
		v.ForEach(func(m string) bool {
			dst = AppendString(dst, []byte(m), compress)
			dst = y.add(dst, 1)
			return true
		})
	case *types.Hash:
		if v.IsListpack() {
			w := o.Scratch.writer()
			v.ForEach(func(f, val []byte) bool {
				w.Append(f)
				w.Append(val)
				return true
			})
			return AppendString(dst, o.Scratch.bytes(w), compress)
		}
		dst = AppendLen(dst, uint64(v.Len()))
		y := o.yielder()
		v.ForEach(func(f, val []byte) bool {
			dst = AppendString(dst, f, compress)
			dst = AppendString(dst, val, compress)
			dst = y.add(dst, 1)
			return true
		})
	case *types.ZSet:
		if v.IsListpack() {
			// member, score pairs in score order, as zzlInsert keeps them
			w := o.Scratch.writer()
			for n := v.First(); n != nil; n = n.Next() {
				// the member's bytes, not a copy: Append only reads them
				w.Append(unsafe.Slice(unsafe.StringData(n.Member), len(n.Member)))
				w.AppendScore(n.Score)
			}
			return AppendString(dst, o.Scratch.bytes(w), compress)
		}
		// greatest first, as Redis saves a skiplist (its loader then
		// inserts each at the head)
		dst = AppendLen(dst, uint64(v.Len()))
		y := o.yielder()
		for n := v.Last(); n != nil; n = n.Prev() {
			dst = AppendString(dst, []byte(n.Member), compress)
			dst = AppendBinaryDouble(dst, n.Score)
			dst = y.add(dst, 1)
		}
	case *types.Stream:
		return appendStream(dst, v, o)
	}
	return dst
}

// appendIntsetWidth builds the intset of an intset-encoded set at the
// set's own width, which (as in Redis) never shrinks after a wide member
// is removed.
func appendIntsetWidth(dst []byte, s *types.Set) []byte {
	w := s.IntWidth()
	dst = binary.LittleEndian.AppendUint32(dst, uint32(w))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(s.Len()))
	s.ForEach(func(m string) bool {
		v, _ := strconv.ParseInt(m, 10, 64)
		dst = appendIntsetValue(dst, int(w), v)
		return true
	})
	return dst
}

// Limits are the encoding thresholds a loaded value is shaped by, from
// the loading server's configuration.
type Limits struct {
	HashMaxListpackEntries, HashMaxListpackValue int64
	SetMaxIntsetEntries                          int64
	ZSetMaxListpackEntries, ZSetMaxListpackValue int64
	// StreamNodeMaxEntries and StreamNodeMaxBytes shape the nodes a loaded
	// stream is rebuilt into.
	StreamNodeMaxEntries, StreamNodeMaxBytes int
}

// DefaultLimits are Redis's default thresholds.
var DefaultLimits = Limits{
	HashMaxListpackEntries: 128, HashMaxListpackValue: 64,
	SetMaxIntsetEntries:    512,
	ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64,
	StreamNodeMaxEntries: 100, StreamNodeMaxBytes: 4096,
}

func emptyKey(r *Reader, at int, what string) error {
	return &Error{Offset: at, Msg: "empty " + what, Err: ErrEmptyKey}
}

// ReadValue decodes a value of type typ. A value with no elements returns
// an error wrapping ErrEmptyKey (Redis skips such keys when loading).
func ReadValue(r *Reader, typ byte, lim Limits) (keyspace.Value, error) {
	switch typ {
	case TypeString:
		b, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		return types.NewString(b), nil // NewString copies
	case TypeList, TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return readList(r, typ)
	case TypeSet:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, emptyKey(r, r.Pos(), "set")
		}
		var s *types.Set
		for i := uint64(0); i < n; i++ {
			start := r.Pos()
			m, err := r.ReadString()
			if err != nil {
				return nil, err
			}
			if s == nil {
				s = types.NewSetFor(m)
			}
			if !s.Add(append([]byte(nil), m...), lim.SetMaxIntsetEntries) {
				return nil, r.Errorf(start, "duplicate set member")
			}
		}
		return s, nil
	case TypeSetIntset:
		at := r.Pos()
		b, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		vals, err := IntsetValues(b)
		if err != nil {
			return nil, &Error{Offset: at, Msg: fmt.Sprintf("intset: %v", err), Err: err}
		}
		s := types.NewIntset()
		s.WidenIntset(int(binary.LittleEndian.Uint32(b)))
		for _, v := range vals {
			s.Add(strconv.AppendInt(nil, v, 10), lim.SetMaxIntsetEntries)
		}
		return s, nil
	case TypeHash:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, emptyKey(r, r.Pos(), "hash")
		}
		h := types.NewHash()
		for i := uint64(0); i < n; i++ {
			start := r.Pos()
			f, err := r.ReadString()
			if err != nil {
				return nil, err
			}
			v, err := r.ReadString()
			if err != nil {
				return nil, err
			}
			if h.Exists(f) {
				return nil, r.Errorf(start, "duplicate hash field")
			}
			h.Set(append([]byte(nil), f...), append([]byte(nil), v...), lim.HashMaxListpackEntries, lim.HashMaxListpackValue)
		}
		return h, nil
	case TypeHashZipmap, TypeHashZiplist, TypeHashListpack:
		return readCompactHash(r, typ, lim)
	case TypeZSet, TypeZSet2:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, emptyKey(r, r.Pos(), "zset")
		}
		zl := types.ZSetLimits{MaxEntries: lim.ZSetMaxListpackEntries, MaxValue: lim.ZSetMaxListpackValue}
		// built as a skiplist and shrunk to a listpack after loading when
		// it fits, as rdbLoadObject does
		z := types.NewZSet(false)
		for i := uint64(0); i < n; i++ {
			start := r.Pos()
			m, err := r.ReadString()
			if err != nil {
				return nil, err
			}
			var score float64
			if typ == TypeZSet2 {
				score, err = r.ReadBinaryDouble()
			} else {
				score, err = r.ReadDoubleString()
			}
			if err != nil {
				return nil, err
			}
			if math.IsNaN(score) {
				return nil, r.Errorf(start, "zset score is NaN")
			}
			if _, ok := z.Score(m); ok {
				return nil, r.Errorf(start, "duplicate zset member")
			}
			z.Insert(string(m), score)
		}
		z.ShrinkIfFits(zl)
		return z, nil
	case TypeZSetZiplist, TypeZSetListpack:
		return readCompactZSet(r, typ, lim)
	case TypeStreamListpacks, TypeStreamListpacks2:
		return readStream(r, typ, lim)
	}
	return nil, r.Errorf(r.Pos(), "unknown or unsupported value type %d", typ)
}

// readBlob reads the string holding a compact encoding; errors from
// decoding it wrap the inner error (offsets inside the blob) and point at
// the blob's start.
func readBlob(r *Reader) (int, []byte, error) {
	at := r.Pos()
	b, err := r.ReadString()
	return at, b, err
}

func blobErr(at int, what string, err error) error {
	return &Error{Offset: at, Msg: fmt.Sprintf("%s: %v", what, err), Err: err}
}

// walkPairs walks a hash or zset listpack (or ziplist) as pairs, with the
// structure checks of ListpackPairs but without collecting the entries:
// the loader's hot path (the caller checks for repeated fields as it
// builds the value). Entries alias b.
func walkPairs(b []byte, ziplist bool, fn func(f, v Entry) error) error {
	var first Entry
	n := 0
	step := func(off int, e Entry) error {
		n++
		if n%2 == 1 {
			first = e
			return nil
		}
		return fn(first, e)
	}
	var err error
	if ziplist {
		if _, err = walkZiplist(b, step); err == nil && n%2 != 0 {
			err = zlErr(8, "odd number of entries (%d) for pairs", n)
		}
	} else if _, err = walkListpack(b, step); err == nil && n%2 != 0 {
		err = lpErr(4, "odd number of entries (%d) for pairs", n)
	}
	return err
}

// entryText is e's bytes, an integer written into scratch.
func entryText(e Entry, scratch []byte) []byte {
	if e.IsInt {
		return strconv.AppendInt(scratch[:0], e.Int, 10)
	}
	if e.Str == nil {
		return []byte{}
	}
	return e.Str
}

func readCompactHash(r *Reader, typ byte, lim Limits) (keyspace.Value, error) {
	at, b, err := readBlob(r)
	if err != nil {
		return nil, err
	}
	h := types.NewHash()
	if typ == TypeHashZipmap {
		pairs, err := ZipmapPairs(b)
		if err != nil {
			return nil, blobErr(at, "hash", err)
		}
		if len(pairs) == 0 {
			return nil, emptyKey(r, at, "hash")
		}
		// Redis converts a loaded zipmap by its length and its longest
		// string, a listpack by its length only
		for i := 0; i+1 < len(pairs); i += 2 {
			// Set reports a field it had: the value is refused anyway
			if h.Set(pairs[i], pairs[i+1], lim.HashMaxListpackEntries, lim.HashMaxListpackValue) {
				return nil, r.Errorf(at, "hash: repeated field %q", trunc64(string(pairs[i])))
			}
		}
		return h, nil
	}
	var fs, vs [24]byte
	var dup []byte
	err = walkPairs(b, typ == TypeHashZiplist, func(fe, ve Entry) error {
		f := entryText(fe, fs[:])
		// Set copies, and reports a field it had (a refused value)
		if h.Set(f, entryText(ve, vs[:]), lim.HashMaxListpackEntries, math.MaxInt64) {
			dup = f
			return errRepeated
		}
		return nil
	})
	if dup != nil {
		return nil, r.Errorf(at, "hash: repeated field %q", trunc64(string(dup)))
	}
	if err != nil {
		return nil, blobErr(at, "hash", err)
	}
	if h.Len() == 0 {
		return nil, emptyKey(r, at, "hash")
	}
	return h, nil
}

var errRepeated = errors.New("repeated field")

func readCompactZSet(r *Reader, typ byte, lim Limits) (keyspace.Value, error) {
	at, b, err := readBlob(r)
	if err != nil {
		return nil, err
	}
	z := types.NewZSet(true)
	var ms [24]byte
	var bad error
	err = walkPairs(b, typ == TypeZSetZiplist, func(me, se Entry) error {
		m := entryText(me, ms[:])
		if _, ok := z.Score(m); ok {
			bad = r.Errorf(at, "zset: repeated field %q", trunc64(string(m)))
			return bad
		}
		score := float64(se.Int)
		if !se.IsInt {
			score = zzlStrtod(se.Str)
			if math.IsNaN(score) {
				bad = r.Errorf(at, "zset: score %q is NaN", trunc64(string(se.Str)))
				return bad
			}
		}
		z.Insert(string(m), score)
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, blobErr(at, "zset", err)
	}
	if z.Len() == 0 {
		return nil, emptyKey(r, at, "zset")
	}
	if int64(z.Len()) > lim.ZSetMaxListpackEntries {
		z.ConvertToSkiplist()
	}
	return z, nil
}

// zzlStrtod reads a listpack zset score as Redis's zzlStrtod does: strtod
// on at most the first 127 bytes, which takes the longest prefix that
// reads as a number (after leading spaces) and gives 0 when there is none.
func zzlStrtod(b []byte) float64 {
	b = b[:min(len(b), 127)]
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	b = b[i:]
	for n := len(b); n > 0; n-- {
		p := string(b[:n])
		if strings.ContainsRune(p, '_') {
			continue // Go's digit separators; strtod has none
		}
		f, err := strconv.ParseFloat(p, 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return f
		}
	}
	return 0
}
