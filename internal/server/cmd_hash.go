// cmd_hash.go implements the hash commands (HSET ... HSCAN) on types.Hash,
// with Redis's order of checks (argument errors before or after the key
// lookup, exactly where Redis makes them), its encoding conversions driven by
// hash-max-listpack-entries/-value, and its keyspace events.
package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/redoubt/redoubt/internal/glob"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("hset", cmdHset)
	register("hmset", cmdHset)
	register("hsetnx", cmdHsetnx)
	register("hget", cmdHget)
	register("hmget", cmdHmget)
	register("hdel", cmdHdel)
	register("hlen", cmdHlen)
	register("hstrlen", cmdHstrlen)
	register("hexists", cmdHexists)
	register("hkeys", cmdHkeys)
	register("hvals", cmdHvals)
	register("hgetall", cmdHgetall)
	register("hincrby", cmdHincrby)
	register("hincrbyfloat", cmdHincrbyfloat)
	register("hrandfield", cmdHrandfield)
	register("hscan", cmdHscan)
}

const (
	errHashValueNotInt   = "ERR hash value is not an integer"
	errHashValueNotFloat = "ERR hash value is not a float"
	errIncrNaNOrInf      = "ERR value is NaN or Infinity"
	errValueOutOfRange   = "ERR value is out of range"
)

// hashOf returns e's value as a hash, or replies WRONGTYPE. A nil entry
// gives a nil hash and true: callers treat a missing key as empty.
func (c *Client) hashOf(e *keyspace.Entry) (*types.Hash, bool) {
	if e == nil {
		return nil, true
	}
	return valueAs[*types.Hash](c, e)
}

// hashForWrite is Redis's hashTypeLookupWriteOrCreate: the hash at key,
// created empty when the key is missing; nil after a WRONGTYPE reply.
func (c *Client) hashForWrite(key []byte) *types.Hash {
	h, ok := c.hashOf(c.db.LookupNoStats(key))
	if !ok {
		return nil
	}
	if h == nil {
		h = types.NewHash()
		c.db.Add(key, h)
	}
	return h
}

// hashForRead looks key up for a read; a nil hash (missing key) or false
// (WRONGTYPE already replied) both end the command for the caller.
func (c *Client) hashForRead(key []byte) (*types.Hash, bool) {
	return c.hashOf(c.db.Lookup(key))
}

// hashSet stores one pair with the server's listpack limits.
func (c *Client) hashSet(h *types.Hash, field, value []byte) bool {
	return h.Set(field, value, c.srv.cfg.HashMaxListpackEntries, c.srv.cfg.HashMaxListpackValue)
}

// HSET and HMSET differ only in their reply.
func cmdHset(c *Client, args [][]byte) {
	if len(args)%2 == 1 {
		c.addError(fmt.Sprintf("ERR wrong number of arguments for '%s' command", c.cmd.name))
		return
	}
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	h.ConvertIfTooLong(args[2:], c.srv.cfg.HashMaxListpackValue)
	created := 0
	for i := 2; i < len(args); i += 2 {
		if !c.hashSet(h, args[i], args[i+1]) {
			created++
		}
	}
	if c.cmd.name == "hset" {
		c.w.Int(int64(created))
	} else {
		c.w.OK()
	}
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassHash, "hset", args[1])
	c.srv.markDirty(int64(len(args)-2) / 2)
}

func cmdHsetnx(c *Client, args [][]byte) {
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	if h.Exists(args[2]) {
		c.w.Int(0)
		return
	}
	h.ConvertIfTooLong(args[2:4], c.srv.cfg.HashMaxListpackValue)
	c.hashSet(h, args[2], args[3])
	c.w.Int(1)
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassHash, "hset", args[1])
	c.srv.markDirty(1)
}

func cmdHget(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	c.replyHashField(h, args[2])
}

func (c *Client) replyHashField(h *types.Hash, field []byte) {
	if h == nil {
		c.w.Null()
		return
	}
	if v, ok := h.Get(field); ok {
		c.w.Bulk(v)
	} else {
		c.w.Null()
	}
}

func cmdHmget(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	c.w.ArrayLen(len(args) - 2)
	for _, f := range args[2:] {
		c.replyHashField(h, f)
	}
}

func cmdHdel(c *Client, args [][]byte) {
	h, ok := c.hashOf(c.db.LookupNoStats(args[1]))
	if !ok {
		return
	}
	if h == nil {
		c.w.Int(0)
		return
	}
	deleted, removed := 0, false
	for _, f := range args[2:] {
		if h.Delete(f) {
			deleted++
			if h.Len() == 0 {
				c.db.Delete(args[1])
				removed = true
				break
			}
		}
	}
	if deleted > 0 {
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassHash, "hdel", args[1])
		if removed {
			c.db.Notify(keyspace.ClassGeneric, "del", args[1])
		}
		c.srv.markDirty(int64(deleted))
	}
	c.w.Int(int64(deleted))
}

func cmdHlen(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(h.Len()))
}

func cmdHstrlen(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(args[2])
		n = len(v)
	}
	c.w.Int(int64(n))
}

func cmdHexists(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h != nil && h.Exists(args[2]) {
		c.w.Int(1)
	} else {
		c.w.Int(0)
	}
}

func cmdHkeys(c *Client, args [][]byte) { c.replyHashAll(args[1], true, false) }
func cmdHvals(c *Client, args [][]byte) { c.replyHashAll(args[1], false, true) }

// HGETALL replies with a map (fields and values), HKEYS and HVALS with a
// flat array.
func cmdHgetall(c *Client, args [][]byte) { c.replyHashAll(args[1], true, true) }

func (c *Client) replyHashAll(key []byte, fields, values bool) {
	h, ok := c.hashForRead(key)
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if fields && values {
		c.w.MapLen(n)
	} else {
		c.w.ArrayLen(n)
	}
	if h == nil {
		return
	}
	h.ForEach(func(f, v []byte) bool {
		if fields {
			c.w.Bulk(f)
		}
		if values {
			c.w.Bulk(v)
		}
		return true
	})
}

func cmdHincrby(c *Client, args [][]byte) {
	incr, ok := c.intArg(args[3])
	if !ok {
		return
	}
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	var cur int64
	if v, found := h.Get(args[2]); found {
		if cur, ok = parseInt(v); !ok {
			c.addError(errHashValueNotInt)
			return
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.addError(errOverflow)
		return
	}
	cur += incr
	var tmp [20]byte
	c.hashSet(h, args[2], strconv.AppendInt(tmp[:0], cur, 10))
	c.w.Int(cur)
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassHash, "hincrby", args[1])
	c.srv.markDirty(1)
}

// HINCRBYFLOAT adds in (emulated) x87 long double, as INCRBYFLOAT, and
// stores the sum as Redis prints it.
func cmdHincrbyfloat(c *Client, args [][]byte) {
	incr, ok := types.ParseLongDouble(args[3])
	if !ok {
		c.addError(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.addError(errIncrNaNOrInf)
		return
	}
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	cur := types.LongDoubleFromInt(0)
	if v, found := h.Get(args[2]); found {
		if cur, ok = types.ParseLongDouble(v); !ok {
			c.addError(errHashValueNotFloat)
			return
		}
	}
	sum, ok := types.AddLongDouble(cur, incr)
	if !ok {
		c.addError(errIncrFloatNaN)
		return
	}
	var tmp [64]byte
	text := sum.AppendHuman(tmp[:0])
	c.hashSet(h, args[2], text)
	c.w.Bulk(text)
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassHash, "hincrbyfloat", args[1])
	c.srv.markDirty(1)
	c.rewritePropagation([]byte("HSET"), args[1], args[2], append([]byte(nil), text...))
}

// HRANDFIELD key [count [WITHVALUES]]
func cmdHrandfield(c *Client, args [][]byte) {
	if len(args) == 2 {
		h, ok := c.hashForRead(args[1])
		if !ok {
			return
		}
		if h == nil {
			c.w.Null()
			return
		}
		f, _ := h.Random()
		c.w.Bulk(f)
		return
	}
	n, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if n < -math.MaxInt64 {
		c.addError(fmt.Sprintf("ERR value is out of range, value must between %d and %d", -math.MaxInt64, math.MaxInt64))
		return
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !strings.EqualFold(string(args[3]), "withvalues")) {
		c.addError(errSyntax)
		return
	}
	if len(args) == 4 {
		withValues = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			c.addError(errValueOutOfRange)
			return
		}
	}
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h == nil || n == 0 {
		c.w.ArrayLen(0)
		return
	}
	size := int64(h.Len())
	// RESP2 flattens field/value pairs; RESP3 nests each pair in an array
	pairLen := func(count int64) {
		if withValues && c.w.Proto == 2 {
			c.w.ArrayLen(int(count * 2))
		} else {
			c.w.ArrayLen(int(count))
		}
	}
	emit := func(f, v []byte) {
		if withValues && c.w.Proto > 2 {
			c.w.ArrayLen(2)
		}
		c.w.Bulk(f)
		if withValues {
			c.w.Bulk(v)
		}
	}
	if n < 0 || n == 1 {
		// repetitions allowed: independent picks
		count := n
		if count < 0 {
			count = -count
		}
		pairLen(count)
		for ; count > 0; count-- {
			emit(h.Random())
		}
		return
	}
	if n >= size {
		pairLen(size)
		h.ForEach(func(f, v []byte) bool {
			emit(f, v)
			return true
		})
		return
	}
	pairLen(n)
	fields, values := h.RandomUnique(int(n))
	for i := range fields {
		emit(fields[i], values[i])
	}
}

// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack has no
// cursor: it is returned whole with cursor 0, whatever cursor was given,
// as Redis does for small encodings.
func cmdHscan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.addError(errInvalidScanCursor)
		return
	}
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h == nil {
		c.replyEmptyScan()
		return
	}
	opts, ok := c.parseScanOptions(args[3:], false)
	if !ok {
		return
	}
	var items [][]byte
	keep := func(f, v []byte) {
		if opts.pattern == nil || glob.Match(opts.pattern, f, false) {
			items = append(items, f, v)
		}
	}
	if h.IsListpack() {
		h.ForEach(func(f, v []byte) bool {
			keep(f, v)
			return true
		})
		cursor = 0
	} else {
		// a field and its value are two items, counted before MATCH
		// filters them, as in Redis
		visited := 0
		cursor = scanTable(cursor, opts.count*2, func(cur uint64) uint64 {
			return h.Scan(cur, func(f, v []byte) {
				visited += 2
				keep(f, v)
			})
		}, func() int { return visited })
	}
	c.w.ArrayLen(2)
	c.w.BulkInt(int64(cursor))
	c.w.ArrayLen(len(items))
	for _, it := range items {
		c.w.Bulk(it)
	}
}
