package rdb

import (
	"fmt"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// object.go maps redoubt's values to RDB value encodings and back. Saving
// picks the encoding Redis 7.0 would write for the value's current
// encoding (OBJECT ENCODING), so DUMP payloads and files match Redis's.

// ErrUnsupported is returned for a value this build cannot encode yet.
var ErrUnsupported = fmt.Errorf("rdb: value type not supported")

// TypeOf is the RDB type byte v is saved with.
func TypeOf(v keyspace.Value) (byte, error) {
	switch v := v.(type) {
	case *types.String:
		return TypeString, nil
	case *types.Set:
		if !v.IsIntset() {
			return TypeSet, nil
		}
	case *types.Hash:
		if !v.IsListpack() {
			return TypeHash, nil
		}
	case *types.ZSet:
		if !v.IsListpack() {
			return TypeZSet2, nil
		}
	}
	return 0, ErrUnsupported
}

// AppendValue appends v's encoding (without the type byte).
func AppendValue(dst []byte, v keyspace.Value, compress bool) []byte {
	switch v := v.(type) {
	case *types.String:
		return AppendString(dst, v.B, compress)
	case *types.Set:
		dst = AppendLen(dst, uint64(v.Len()))
		v.ForEach(func(m string) bool {
			dst = AppendString(dst, []byte(m), compress)
			return true
		})
	case *types.Hash:
		dst = AppendLen(dst, uint64(v.Len()))
		v.ForEach(func(f, val []byte) bool {
			dst = AppendString(dst, f, compress)
			dst = AppendString(dst, val, compress)
			return true
		})
	case *types.ZSet:
		// greatest first, as Redis saves a skiplist (its loader then
		// inserts each at the head)
		dst = AppendLen(dst, uint64(v.Len()))
		for n := v.Last(); n != nil; n = n.Prev() {
			dst = AppendString(dst, []byte(n.Member), compress)
			dst = AppendBinaryDouble(dst, n.Score)
		}
	}
	return dst
}

// Limits are the encoding thresholds a loaded value is shaped by, from
// the loading server's configuration.
type Limits struct {
	HashMaxListpackEntries, HashMaxListpackValue int64
	SetMaxIntsetEntries                          int64
	ZSetMaxListpackEntries, ZSetMaxListpackValue int64
}

// ReadValue decodes a value of type typ.
func ReadValue(r *Reader, typ byte, lim Limits) (keyspace.Value, error) {
	switch typ {
	case TypeString:
		b, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		return types.NewString(append([]byte(nil), b...)), nil
	case TypeSet:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, r.Errorf(r.Pos(), "empty set")
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
	case TypeHash:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, r.Errorf(r.Pos(), "empty hash")
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
	case TypeZSet, TypeZSet2:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, r.Errorf(r.Pos(), "empty zset")
		}
		zl := types.ZSetLimits{MaxEntries: lim.ZSetMaxListpackEntries, MaxValue: lim.ZSetMaxListpackValue}
		z := types.NewZSetFor(int(min(n, 1<<20)), zl)
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
			if _, ok := z.Score(m); ok {
				return nil, r.Errorf(start, "duplicate zset member")
			}
			z.Insert(string(m), score)
		}
		z.ShrinkIfFits(zl)
		return z, nil
	}
	return nil, r.Errorf(r.Pos(), "unknown or unsupported value type %d", typ)
}
