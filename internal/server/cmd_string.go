// cmd_string.go holds the string commands: GET/SET and their variants,
// counters, ranges, APPEND and LCS, with Redis 7.0's option rules, error
// texts and order of checks (a check that Redis makes first decides which
// error a client sees when several apply).
package server

import (
	"fmt"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("get", cmdGet)
	register("set", cmdSet)
	register("setnx", cmdSetnx)
	register("setex", cmdSetex)
	register("psetex", cmdPsetex)
	register("getex", cmdGetex)
	register("getdel", cmdGetdel)
	register("getset", cmdGetset)
	register("mget", cmdMget)
	register("mset", cmdMset)
	register("msetnx", cmdMsetnx)
	register("append", cmdAppend)
	register("strlen", cmdStrlen)
	register("incr", cmdIncr)
	register("decr", cmdDecr)
	register("incrby", cmdIncrby)
	register("decrby", cmdDecrby)
	register("incrbyfloat", cmdIncrbyfloat)
	register("getrange", cmdGetrange)
	register("substr", cmdGetrange)
	register("setrange", cmdSetrange)
	register("lcs", cmdLcs)
}

const (
	errStringTooBig   = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange    = "ERR offset is out of range"
	errDecrOverflow   = "ERR decrement would overflow"
	errIncrFloatNaN   = "ERR increment would produce NaN or Infinity"
	errLCSWrongType   = "ERR The specified keys must contain string values"
	errLCSLenAndIdx   = "ERR If you want both the length and indexes, please just use IDX."
	errLCSTooLong     = "ERR String too long for LCS"
	errLCSTableTooBig = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

// stringValue returns e's value as a string, or replies WRONGTYPE.
func (c *Client) stringValue(e *keyspace.Entry) (*types.String, bool) {
	return valueAs[*types.String](c, e)
}

// replyGet answers GET for key (counting a keyspace hit or miss); false
// after a WRONGTYPE reply.
func (c *Client) replyGet(key []byte) (*keyspace.Entry, bool) {
	e := c.db.Lookup(key)
	if e == nil {
		c.w.Null()
		return nil, true
	}
	v, ok := c.stringValue(e)
	if !ok {
		return nil, false
	}
	c.w.Bulk(v.B)
	return e, true
}

func cmdGet(c *Client, args [][]byte) { c.replyGet(args[1]) }

// Options of SET and GETEX.
const (
	optNX = 1 << iota
	optXX
	optEX
	optPX
	optKeepTTL
	optGet
	optEXAT
	optPXAT
	optPersist

	optAnyExpire = optEX | optPX | optEXAT | optPXAT
)

// parseStringOptions reads SET's (forSet) or GETEX's options. Options may
// repeat, but conflicting ones are a syntax error, as is an option of the
// other command. It returns the expire argument when one was given.
func parseStringOptions(opts [][]byte, forSet bool) (flags int, expire []byte, ok bool) {
	for j := 0; j < len(opts); j++ {
		opt := opts[j]
		hasNext := j+1 < len(opts)
		var bit, conflicts int
		switch {
		case forSet && isOpt(opt, "nx"):
			bit, conflicts = optNX, optXX
		case forSet && isOpt(opt, "xx"):
			bit, conflicts = optXX, optNX
		case forSet && isOpt(opt, "get"):
			bit = optGet
		case forSet && isOpt(opt, "keepttl"):
			bit, conflicts = optKeepTTL, optPersist|optAnyExpire
		case !forSet && isOpt(opt, "persist"):
			bit, conflicts = optPersist, optKeepTTL|optAnyExpire
		case isOpt(opt, "ex") && hasNext:
			bit, conflicts = optEX, optKeepTTL|optPersist|optAnyExpire&^optEX
		case isOpt(opt, "px") && hasNext:
			bit, conflicts = optPX, optKeepTTL|optPersist|optAnyExpire&^optPX
		case isOpt(opt, "exat") && hasNext:
			bit, conflicts = optEXAT, optKeepTTL|optPersist|optAnyExpire&^optEXAT
		case isOpt(opt, "pxat") && hasNext:
			bit, conflicts = optPXAT, optKeepTTL|optPersist|optAnyExpire&^optPXAT
		default:
			return 0, nil, false
		}
		if flags&conflicts != 0 {
			return 0, nil, false
		}
		flags |= bit
		if bit&optAnyExpire != 0 {
			j++
			expire = opts[j]
		}
	}
	return flags, expire, true
}

// isOpt compares an option case-insensitively with a lower-case name.
func isOpt(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != lower[i] {
			return false
		}
	}
	return true
}

// expireAt turns an EX/PX/EXAT/PXAT argument into an absolute unix time in
// milliseconds, or replies with the error Redis gives: not an integer, or
// an invalid expire time for values <= 0 and for values that overflow.
func (c *Client) expireAt(arg []byte, flags int) (int64, bool) {
	n, ok := c.intArg(arg)
	if !ok {
		return 0, false
	}
	seconds := flags&(optEX|optEXAT) != 0
	const maxInt64 = 1<<63 - 1
	if n <= 0 || (seconds && n > maxInt64/1000) {
		c.addError(fmt.Sprintf(errInvalidExpire, c.cmd.name))
		return 0, false
	}
	if seconds {
		n *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		n += c.srv.now() // wraps negative on overflow, caught below
	}
	if n <= 0 {
		c.addError(fmt.Sprintf(errInvalidExpire, c.cmd.name))
		return 0, false
	}
	return n, true
}

// setReplies are what a SET variant answers when it stored the value and
// when NX/XX made it skip.
type setReplies struct{ done, skipped func(*Client) }

var (
	setRepliesOK  = setReplies{done: func(c *Client) { c.w.OK() }, skipped: func(c *Client) { c.w.Null() }}
	setRepliesInt = setReplies{done: func(c *Client) { c.w.Int(1) }, skipped: func(c *Client) { c.w.Int(0) }}
)

// setGeneric is SET with its options, shared by SETNX, SETEX and PSETEX.
func (c *Client) setGeneric(flags int, key, val, expire []byte, replies setReplies) {
	var when int64
	if expire != nil {
		var ok bool
		if when, ok = c.expireAt(expire, flags); !ok {
			return
		}
	}
	if flags&optGet != 0 {
		if _, ok := c.replyGet(key); !ok {
			return
		}
	}
	e := c.db.LookupNoStats(key)
	if (flags&optNX != 0 && e != nil) || (flags&optXX != 0 && e == nil) {
		if flags&optGet == 0 {
			replies.skipped(c)
		}
		return
	}
	e = c.storeString(e, key, val, flags&optKeepTTL != 0)
	c.srv.markDirty(1)
	c.db.Notify(keyspace.ClassString, "set", key)
	if expire != nil {
		c.db.SetExpire(e, when)
		c.db.Notify(keyspace.ClassGeneric, "expire", key)
		// propagated with the absolute time it set
		c.rewritePropagation(argSet, key, val, argPXAT, []byte(itoa(when)))
	}
	if flags&optGet == 0 {
		replies.done(c)
	}
}

// storeString sets key (whose live entry is e, or nil) to a copy of val,
// as a freshly set value, dropping its TTL unless keepTTL. Overwriting a
// string whose buffer fits reuses it, so a SET of an existing key does not
// allocate; a buffer much larger than needed is not kept alive.
func (c *Client) storeString(e *keyspace.Entry, key, val []byte, keepTTL bool) *keyspace.Entry {
	c.db.SignalModified(key)
	if e == nil {
		return c.db.Add(key, types.NewString(val))
	}
	if old, ok := e.Value.(*types.String); !ok || !old.Overwrite(val) {
		e.Value = types.NewString(val)
	}
	if !keepTTL {
		c.db.Persist(e)
	}
	return e
}

func cmdSet(c *Client, args [][]byte) {
	flags, expire, ok := parseStringOptions(args[3:], true)
	if !ok {
		c.addError(errSyntax)
		return
	}
	c.setGeneric(flags, args[1], args[2], expire, setRepliesOK)
}

func cmdSetnx(c *Client, args [][]byte) {
	c.setGeneric(optNX, args[1], args[2], nil, setRepliesInt)
}

func cmdSetex(c *Client, args [][]byte) {
	c.setGeneric(optEX, args[1], args[3], args[2], setRepliesOK)
}

func cmdPsetex(c *Client, args [][]byte) {
	c.setGeneric(optPX, args[1], args[3], args[2], setRepliesOK)
}

// GETEX key [EX|PX|EXAT|PXAT time | PERSIST]: the expire argument is only
// validated once the key is known to hold a string.
func cmdGetex(c *Client, args [][]byte) {
	flags, expire, ok := parseStringOptions(args[2:], false)
	if !ok {
		c.addError(errSyntax)
		return
	}
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Null()
		return
	}
	v, ok := c.stringValue(e)
	if !ok {
		return
	}
	var when int64
	if expire != nil {
		if when, ok = c.expireAt(expire, flags); !ok {
			return
		}
	}
	c.w.Bulk(v.B)
	switch {
	case flags&(optEXAT|optPXAT) != 0 && when <= c.srv.now() && !c.srv.ks.IsReplica:
		// an absolute time already past deletes the key at once
		c.db.Delete(args[1])
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassGeneric, "del", args[1])
		c.srv.markDirty(1)
		c.propagateAsDel(args[1], c.srv.cfg.LazyfreeExpire)
	case expire != nil:
		c.db.SetExpire(e, when)
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassGeneric, "expire", args[1])
		c.srv.markDirty(1)
		c.propagateAsPexpireat(args[1], when)
	case flags&optPersist != 0:
		if c.db.Persist(e) {
			c.db.SignalModified(args[1])
			c.db.Notify(keyspace.ClassGeneric, "persist", args[1])
			c.srv.markDirty(1)
			c.rewritePropagation([]byte("PERSIST"), args[1])
		}
	}
}

func cmdGetdel(c *Client, args [][]byte) {
	if e, ok := c.replyGet(args[1]); ok && e != nil {
		c.db.Delete(args[1])
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassGeneric, "del", args[1])
		c.srv.markDirty(1)
		c.propagateAsDel(args[1], c.srv.cfg.LazyfreeUserDel)
	}
}

func cmdGetset(c *Client, args [][]byte) {
	if _, ok := c.replyGet(args[1]); !ok {
		return
	}
	c.storeString(c.db.LookupNoStats(args[1]), args[1], args[2], false)
	c.db.Notify(keyspace.ClassString, "set", args[1])
	c.srv.markDirty(1)
}

// MGET answers null for missing keys and for keys of other types.
func cmdMget(c *Client, args [][]byte) {
	c.w.ArrayLen(len(args) - 1)
	for _, key := range args[1:] {
		e := c.db.Lookup(key)
		if e == nil {
			c.w.Null()
			continue
		}
		if v, ok := e.Value.(*types.String); ok {
			c.w.Bulk(v.B)
		} else {
			c.w.Null()
		}
	}
}

func cmdMset(c *Client, args [][]byte) { c.msetGeneric(args, false) }

func cmdMsetnx(c *Client, args [][]byte) { c.msetGeneric(args, true) }

// msetGeneric sets every pair; with nx it sets nothing if any key exists.
func (c *Client) msetGeneric(args [][]byte, nx bool) {
	if len(args)%2 == 0 {
		c.addError(fmt.Sprintf("ERR wrong number of arguments for '%s' command", c.cmd.name))
		return
	}
	if nx {
		for j := 1; j < len(args); j += 2 {
			if c.db.LookupNoStats(args[j]) != nil {
				c.w.Int(0)
				return
			}
		}
	}
	for j := 1; j < len(args); j += 2 {
		c.storeString(c.db.LookupNoStats(args[j]), args[j], args[j+1], false)
		c.db.Notify(keyspace.ClassString, "set", args[j])
	}
	c.srv.markDirty(int64(len(args) / 2))
	if nx {
		c.w.Int(1)
	} else {
		c.w.OK()
	}
}

// checkStringLength replies with an error when a string of size+extra
// bytes would exceed proto-max-bulk-len (or overflow).
func (c *Client) checkStringLength(size, extra int64) bool {
	total := int64(uint64(size) + uint64(extra))
	if total > c.srv.cfg.ProtoMaxBulkLen || total < size || total < extra {
		c.addError(errStringTooBig)
		return false
	}
	return true
}

func cmdAppend(c *Client, args [][]byte) {
	key, tail := args[1], args[2]
	e := c.db.LookupNoStats(key)
	if e == nil {
		c.db.Add(key, types.NewString(tail))
		c.db.SignalModified(key)
		c.db.Notify(keyspace.ClassString, "append", key)
		c.srv.markDirty(1)
		c.w.Int(int64(len(tail)))
		return
	}
	v, ok := c.stringValue(e)
	if !ok || !c.checkStringLength(int64(len(v.B)), int64(len(tail))) {
		return
	}
	v.Append(tail)
	c.db.SignalModified(key)
	c.db.Notify(keyspace.ClassString, "append", key)
	c.srv.markDirty(1)
	c.w.Int(int64(len(v.B)))
}

func cmdStrlen(c *Client, args [][]byte) {
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Int(0)
		return
	}
	if v, ok := c.stringValue(e); ok {
		c.w.Int(int64(len(v.B)))
	}
}

func cmdIncr(c *Client, args [][]byte) { c.incrDecr(args[1], 1) }

func cmdDecr(c *Client, args [][]byte) { c.incrDecr(args[1], -1) }

func cmdIncrby(c *Client, args [][]byte) {
	if n, ok := c.intArg(args[2]); ok {
		c.incrDecr(args[1], n)
	}
}

func cmdDecrby(c *Client, args [][]byte) {
	n, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if n == -1<<63 {
		c.addError(errDecrOverflow)
		return
	}
	c.incrDecr(args[1], -n)
}

// incrDecr adds incr to the integer at key (0 when missing). The key keeps
// its TTL, and the result is int-encoded.
func (c *Client) incrDecr(key []byte, incr int64) {
	e := c.db.LookupNoStats(key)
	var v *types.String
	var old int64
	if e != nil {
		var ok bool
		if v, ok = c.stringValue(e); !ok {
			return
		}
		if old, ok = v.Int(); !ok {
			c.addError(errNotInt)
			return
		}
	}
	const maxInt64, minInt64 = 1<<63 - 1, -1 << 63
	if (incr < 0 && old < 0 && incr < minInt64-old) || (incr > 0 && old > 0 && incr > maxInt64-old) {
		c.addError(errOverflow)
		return
	}
	n := old + incr
	if v != nil {
		v.SetInt(n)
	} else {
		c.db.Add(key, types.NewStringFromInt(n))
	}
	c.db.SignalModified(key)
	c.db.Notify(keyspace.ClassString, "incrby", key)
	c.srv.markDirty(1)
	c.w.Int(n)
}

// INCRBYFLOAT computes in (emulated) x87 long double and stores the
// result as Redis prints it, so repeated increments round as in Redis.
func cmdIncrbyfloat(c *Client, args [][]byte) {
	e := c.db.LookupNoStats(args[1])
	cur := types.LongDoubleFromInt(0)
	if e != nil {
		v, ok := c.stringValue(e)
		if !ok {
			return
		}
		if cur, ok = types.ParseLongDouble(v.B); !ok {
			c.addError(errNotFloat)
			return
		}
	}
	incr, ok := types.ParseLongDouble(args[2])
	if !ok {
		c.addError(errNotFloat)
		return
	}
	sum, ok := types.AddLongDouble(cur, incr)
	if !ok {
		c.addError(errIncrFloatNaN)
		return
	}
	var tmp [64]byte
	text := sum.AppendHuman(tmp[:0])
	nv := types.NewStringNoIntEncoding(text)
	if e != nil {
		e.Value = nv // the key keeps its TTL
	} else {
		c.db.Add(args[1], nv)
	}
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassString, "incrbyfloat", args[1])
	c.srv.markDirty(1)
	c.w.Bulk(text)
	// the result, not the increment: float rounding must not differ on replay
	c.rewritePropagation(argSet, args[1], append([]byte(nil), text...), argKeepTTL)
}

func cmdGetrange(c *Client, args [][]byte) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	end, ok := c.intArg(args[3])
	if !ok {
		return
	}
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Bulk(nil)
		return
	}
	if v, ok := c.stringValue(e); ok {
		c.w.Bulk(v.Range(start, end))
	}
}

func cmdSetrange(c *Client, args [][]byte) {
	offset, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if offset < 0 {
		c.addError(errOffsetRange)
		return
	}
	key, val := args[1], args[3]
	e := c.db.LookupNoStats(key)
	var v *types.String
	if e == nil {
		if len(val) == 0 {
			c.w.Int(0)
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		v = types.NewRawString(nil)
		c.db.Add(key, v)
	} else {
		if v, ok = c.stringValue(e); !ok {
			return
		}
		if len(val) == 0 {
			c.w.Int(int64(len(v.B)))
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
	}
	v.SetRange(int(offset), val)
	c.db.SignalModified(key)
	c.db.Notify(keyspace.ClassString, "setrange", key)
	c.srv.markDirty(1)
	c.w.Int(int64(len(v.B)))
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
func cmdLcs(c *Client, args [][]byte) {
	ea, eb := c.db.Lookup(args[1]), c.db.Lookup(args[2])
	var a, b []byte
	for _, e := range []*keyspace.Entry{ea, eb} {
		if e == nil {
			continue
		}
		if _, ok := e.Value.(*types.String); !ok {
			c.addError(errLCSWrongType)
			return
		}
	}
	if ea != nil {
		a = ea.Value.(*types.String).B
	}
	if eb != nil {
		b = eb.Value.(*types.String).B
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(args); j++ {
		switch opt := args[j]; {
		case isOpt(opt, "idx"):
			getIdx = true
		case isOpt(opt, "len"):
			getLen = true
		case isOpt(opt, "withmatchlen"):
			withMatchLen = true
		case isOpt(opt, "minmatchlen") && j+1 < len(args):
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	if getLen && getIdx {
		c.addError(errLCSLenAndIdx)
		return
	}
	const uint32Max = 1<<32 - 1
	if len(a) >= uint32Max-1 || len(b) >= uint32Max-1 {
		c.addError(errLCSTooLong)
		return
	}
	if types.LCSTableBytes(len(a), len(b)) > uint64(c.srv.cfg.ProtoMaxBulkLen) {
		c.addError(errLCSTableTooBig)
		return
	}
	res := types.LCS(a, b, getIdx || !getLen, minMatchLen)
	switch {
	case getIdx:
		c.w.MapLen(2)
		c.w.BulkString("matches")
		c.w.ArrayLen(len(res.Matches))
		for _, m := range res.Matches {
			if withMatchLen {
				c.w.ArrayLen(3)
			} else {
				c.w.ArrayLen(2)
			}
			c.w.ArrayLen(2)
			c.w.Int(int64(m.AStart))
			c.w.Int(int64(m.AEnd))
			c.w.ArrayLen(2)
			c.w.Int(int64(m.BStart))
			c.w.Int(int64(m.BEnd))
			if withMatchLen {
				c.w.Int(int64(m.Len()))
			}
		}
		c.w.BulkString("len")
		c.w.Int(int64(res.Len))
	case getLen:
		c.w.Int(int64(res.Len))
	default:
		c.w.Bulk(res.Seq)
	}
}
