package aof

// rewrite.go turns a key's value into the commands an AOF rewrite without
// RDB preamble writes for it (aof.c rewriteAppendOnlyFileRio and the
// rewrite*Object functions): SET for strings; RPUSH, SADD, ZADD and HMSET
// with at most AOF_REWRITE_ITEMS_PER_CMD items per command; XADD, XSETID,
// XGROUP CREATE, XCLAIM and XGROUP CREATECONSUMER for streams; then
// PEXPIREAT for a key with a TTL. Loading these commands rebuilds the value.

import (
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// ItemsPerCommand is AOF_REWRITE_ITEMS_PER_CMD.
const ItemsPerCommand = 64

// batcher writes a variadic command's header before every run of up to
// ItemsPerCommand items, as each rewrite*Object loop does.
type batcher struct {
	dst       []byte
	cmd       string
	key       []byte
	remaining int // items not yet written
	count     int // items written in the current command
	argsEach  int // arguments per item
}

// item is called before an item's arguments are appended.
func (b *batcher) item() {
	if b.count == 0 {
		n := min(b.remaining, ItemsPerCommand)
		b.dst = AppendArrayLen(b.dst, 2+n*b.argsEach)
		b.dst = AppendBulkString(b.dst, b.cmd)
		b.dst = AppendBulk(b.dst, b.key)
	}
	if b.count++; b.count == ItemsPerCommand {
		b.count = 0
	}
	b.remaining--
}

// AppendValueCommands appends the commands that rebuild key holding v,
// followed by PEXPIREAT key expireAt when expireAt >= 0 (unix ms).
func AppendValueCommands(dst []byte, key []byte, v keyspace.Value, expireAt int64) []byte {
	switch v := v.(type) {
	case *types.String:
		dst = append(dst, "*3\r\n$3\r\nSET\r\n"...)
		dst = AppendBulk(dst, key)
		dst = AppendBulk(dst, v.B)
	case *types.List:
		b := batcher{dst: dst, cmd: "RPUSH", key: key, remaining: v.Len(), argsEach: 1}
		for i, n := 0, v.Len(); i < n; i++ {
			b.item()
			b.dst = AppendBulk(b.dst, v.At(i))
		}
		dst = b.dst
	case *types.Set:
		b := batcher{dst: dst, cmd: "SADD", key: key, remaining: v.Len(), argsEach: 1}
		v.ForEach(func(m string) bool {
			b.item()
			b.dst = AppendBulkString(b.dst, m)
			return true
		})
		dst = b.dst
	case *types.ZSet:
		// score order (Redis walks a skiplist-encoded zset in its dict's
		// order; any order rebuilds the same set)
		b := batcher{dst: dst, cmd: "ZADD", key: key, remaining: v.Len(), argsEach: 2}
		for n := v.First(); n != nil; n = n.Next() {
			b.item()
			b.dst = AppendBulkDouble(b.dst, n.Score)
			b.dst = AppendBulkString(b.dst, n.Member)
		}
		dst = b.dst
	case *types.Hash:
		b := batcher{dst: dst, cmd: "HMSET", key: key, remaining: v.Len(), argsEach: 2}
		v.ForEach(func(f, val []byte) bool {
			b.item()
			b.dst = AppendBulk(b.dst, f)
			b.dst = AppendBulk(b.dst, val)
			return true
		})
		dst = b.dst
	case *types.Stream:
		dst = appendStreamCommands(dst, key, v)
	default:
		panic("aof: cannot rewrite a value of type " + v.Kind().String())
	}
	if expireAt >= 0 {
		dst = append(dst, "*3\r\n$9\r\nPEXPIREAT\r\n"...)
		dst = AppendBulk(dst, key)
		dst = AppendBulkInt(dst, expireAt)
	}
	return dst
}

func appendBulkID(dst []byte, id types.StreamID) []byte {
	var buf [41]byte
	return AppendBulk(dst, id.AppendTo(buf[:0]))
}

// appendStreamCommands is rewriteStreamObject.
func appendStreamCommands(dst, key []byte, s *types.Stream) []byte {
	if s.Len() > 0 {
		s.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
			dst = AppendArrayLen(dst, 3+len(fv))
			dst = AppendBulkString(dst, "XADD")
			dst = AppendBulk(dst, key)
			dst = appendBulkID(dst, id)
			for _, x := range fv {
				dst = AppendBulk(dst, x)
			}
			return true
		})
	} else {
		// an empty stream: XADD then trim it away at once
		dst = append(dst, "*7\r\n$4\r\nXADD\r\n"...)
		dst = AppendBulk(dst, key)
		dst = append(dst, "$6\r\nMAXLEN\r\n$1\r\n0\r\n$3\r\n0-1\r\n$1\r\nx\r\n$1\r\ny\r\n"...)
	}
	// XSETID restores the last ID (entries may have been deleted) and the
	// counters XINFO and lag computations use
	dst = append(dst, "*7\r\n$6\r\nXSETID\r\n"...)
	dst = AppendBulk(dst, key)
	dst = appendBulkID(dst, s.LastID)
	dst = AppendBulkString(dst, "ENTRIESADDED")
	dst = AppendBulkInt(dst, int64(s.EntriesAdded))
	dst = AppendBulkString(dst, "MAXDELETEDID")
	dst = appendBulkID(dst, s.MaxDeletedID)
	for _, g := range s.Groups() {
		dst = append(dst, "*7\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n"...)
		dst = AppendBulk(dst, key)
		dst = AppendBulkString(dst, g.Name)
		dst = appendBulkID(dst, g.LastID)
		dst = AppendBulkString(dst, "ENTRIESREAD")
		dst = AppendBulkInt(dst, g.EntriesRead)
		for _, c := range g.Consumers() {
			if c.PEL.Len() == 0 {
				dst = append(dst, "*5\r\n$6\r\nXGROUP\r\n$14\r\nCREATECONSUMER\r\n"...)
				dst = AppendBulk(dst, key)
				dst = AppendBulkString(dst, g.Name)
				dst = AppendBulkString(dst, c.Name)
				continue
			}
			c.PEL.Ascend(types.StreamID{}, func(id types.StreamID, n *types.StreamNACK) bool {
				dst = append(dst, "*12\r\n$6\r\nXCLAIM\r\n"...)
				dst = AppendBulk(dst, key)
				dst = AppendBulkString(dst, g.Name)
				dst = AppendBulkString(dst, c.Name)
				dst = append(dst, "$1\r\n0\r\n"...)
				dst = appendBulkID(dst, id)
				dst = append(dst, "$4\r\nTIME\r\n"...)
				dst = AppendBulkInt(dst, n.DeliveryTime)
				dst = append(dst, "$10\r\nRETRYCOUNT\r\n"...)
				dst = AppendBulkInt(dst, n.DeliveryCount)
				dst = append(dst, "$6\r\nJUSTID\r\n$5\r\nFORCE\r\n"...)
				return true
			})
		}
	}
	return dst
}

// AppendFunctionLoad appends "FUNCTION LOAD code", which a rewrite writes
// for each function library before the first database (rewriteFunctions).
func AppendFunctionLoad(dst []byte, code []byte) []byte {
	dst = append(dst, "*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"...)
	return AppendBulk(dst, code)
}
