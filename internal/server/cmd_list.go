// cmd_list.go holds the list commands (push, pop, range, index, insert,
// remove, trim, search, move, multi-key pop) and their blocking forms,
// following Redis 7.0's t_list.c: the same order of argument checks and
// lookups, the same replies for missing keys in RESP2 and RESP3, the same
// keyspace events, and deletion of a list that becomes empty. Blocking
// commands register with blocking.go when every key is empty.
package server

import (
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("lpush", func(c *Client, a [][]byte) { c.pushGeneric(a, true, false) })
	register("rpush", func(c *Client, a [][]byte) { c.pushGeneric(a, false, false) })
	register("lpushx", func(c *Client, a [][]byte) { c.pushGeneric(a, true, true) })
	register("rpushx", func(c *Client, a [][]byte) { c.pushGeneric(a, false, true) })
	register("linsert", cmdLinsert)
	register("llen", cmdLlen)
	register("lindex", cmdLindex)
	register("lset", cmdLset)
	register("lpop", func(c *Client, a [][]byte) { c.popGeneric(a, true) })
	register("rpop", func(c *Client, a [][]byte) { c.popGeneric(a, false) })
	register("lrange", cmdLrange)
	register("ltrim", cmdLtrim)
	register("lpos", cmdLpos)
	register("lrem", cmdLrem)
	register("lmove", cmdLmove)
	register("rpoplpush", cmdRpoplpush)
	register("lmpop", func(c *Client, a [][]byte) { c.lmpopGeneric(a, 1, false) })
	register("blpop", func(c *Client, a [][]byte) { c.blockingPop(a[1:len(a)-1], a[len(a)-1], true, -1) })
	register("brpop", func(c *Client, a [][]byte) { c.blockingPop(a[1:len(a)-1], a[len(a)-1], false, -1) })
	register("blmove", cmdBlmove)
	register("brpoplpush", cmdBrpoplpush)
	register("blmpop", func(c *Client, a [][]byte) { c.lmpopGeneric(a, 2, true) })
}

const (
	errIndexOutOfRange = "ERR index out of range"
	errLposRankZero    = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errLposCountNeg    = "ERR COUNT can't be negative"
	errLposMaxlenNeg   = "ERR MAXLEN can't be negative"
)

// listValue returns e's value as a list, or replies WRONGTYPE.
func (c *Client) listValue(e *keyspace.Entry) (*types.List, bool) {
	return valueAs[*types.List](c, e)
}

// lookupListWrite finds key for a write (no hit/miss counting). found is
// false when the key is missing; ok is false after a WRONGTYPE reply.
func (c *Client) lookupListWrite(key []byte) (l *types.List, found, ok bool) {
	e := c.db.LookupNoStats(key)
	if e == nil {
		return nil, false, true
	}
	l, ok = c.listValue(e)
	return l, ok, ok
}

// lookupListRead is lookupListWrite for reads (counts hits and misses).
func (c *Client) lookupListRead(key []byte) (l *types.List, found, ok bool) {
	e := c.db.Lookup(key)
	if e == nil {
		return nil, false, true
	}
	l, ok = c.listValue(e)
	return l, ok, ok
}

// positiveArg parses a count that must be >= 0 (getPositiveLongFromObjectOrReply).
func (c *Client) positiveArg(b []byte, msg string) (int64, bool) {
	n, ok := parseInt(b)
	if !ok || n < 0 {
		c.addError(msg)
		return 0, false
	}
	return n, true
}

// rangeArg parses an integer in [lo, hi] with one message for any failure.
func (c *Client) rangeArg(b []byte, lo, hi int64, msg string) (int64, bool) {
	n, ok := parseInt(b)
	if !ok || n < lo || n > hi {
		c.addError(msg)
		return 0, false
	}
	return n, true
}

func listEvent(head bool, left, right string) string {
	if head {
		return left
	}
	return right
}

func (c *Client) pushGeneric(args [][]byte, head, onlyExisting bool) {
	key := args[1]
	l, found, ok := c.lookupListWrite(key)
	if !ok {
		return
	}
	if !found {
		if onlyExisting {
			c.w.Int(0)
			return
		}
		l = types.NewList()
		c.db.Add(key, l)
	}
	for _, v := range args[2:] {
		l.Push(v, head) // the list copies v in
	}
	c.srv.markDirty(int64(len(args) - 2))
	c.w.Int(int64(l.Len()))
	c.db.SignalModified(key)
	c.db.Notify(keyspace.ClassList, listEvent(head, "lpush", "rpush"), key)
}

func cmdLinsert(c *Client, args [][]byte) {
	var after bool
	switch {
	case equalFoldASCII(args[2], "after"):
		after = true
	case equalFoldASCII(args[2], "before"):
	default:
		c.addError(errSyntax)
		return
	}
	l, found, ok := c.lookupListWrite(args[1])
	if !ok {
		return
	}
	if !found {
		c.w.Int(0)
		return
	}
	pivot := string(args[3])
	for i := 0; i < l.Len(); i++ {
		if string(l.At(i)) == pivot {
			if after {
				i++
			}
			l.Insert(i, args[4])
			c.db.SignalModified(args[1])
			c.db.Notify(keyspace.ClassList, "linsert", args[1])
			c.srv.markDirty(1)
			c.w.Int(int64(l.Len()))
			return
		}
	}
	c.w.Int(-1)
}

func cmdLlen(c *Client, args [][]byte) {
	l, found, ok := c.lookupListRead(args[1])
	if !ok {
		return
	}
	if !found {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(l.Len()))
}

// listIndex resolves a possibly negative index; ok is false out of range.
func listIndex(l *types.List, idx int64) (int, bool) {
	n := int64(l.Len())
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		return 0, false
	}
	return int(idx), true
}

func cmdLindex(c *Client, args [][]byte) {
	l, found, ok := c.lookupListRead(args[1])
	if !ok {
		return
	}
	if !found {
		c.w.Null()
		return
	}
	idx, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if i, in := listIndex(l, idx); in {
		c.w.Bulk(l.At(i))
	} else {
		c.w.Null()
	}
}

func cmdLset(c *Client, args [][]byte) {
	l, found, ok := c.lookupListWrite(args[1])
	if !ok {
		return
	}
	if !found {
		c.addError(errNoSuchKey)
		return
	}
	idx, ok := c.intArg(args[2])
	if !ok {
		return
	}
	i, in := listIndex(l, idx)
	if !in {
		c.addError(errIndexOutOfRange)
		return
	}
	l.Set(i, args[3])
	c.w.OK()
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassList, "lset", args[1])
	c.srv.markDirty(1)
}

// listElementsRemoved finishes a pop from key: the pop event, deletion of
// an emptied list with its "del" event, the WATCH signal, and count
// changes to the dirty counter (the elements popped; 0 for a served
// BLPOP/BRPOP). It reports whether the key was deleted.
func (c *Client) listElementsRemoved(key []byte, head bool, l *types.List, count int) bool {
	c.db.Notify(keyspace.ClassList, listEvent(head, "lpop", "rpop"), key)
	deleted := false
	if l.Len() == 0 {
		c.db.Delete(key)
		c.db.Notify(keyspace.ClassGeneric, "del", key)
		deleted = true
	}
	c.db.SignalModified(key)
	c.srv.markDirty(int64(count))
	return deleted
}

// replyListRange writes elements [start, end] (Redis's index rules), in
// reverse order when reverse.
func (c *Client) replyListRange(l *types.List, start, end int64, reverse bool) {
	n := int64(l.Len())
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= n {
		c.w.ArrayLen(0)
		return
	}
	if end >= n {
		end = n - 1
	}
	c.w.ArrayLen(int(end - start + 1))
	if reverse {
		for i := end; i >= start; i-- {
			c.w.Bulk(l.At(int(i)))
		}
		return
	}
	for i := start; i <= end; i++ {
		c.w.Bulk(l.At(int(i)))
	}
}

// popRange pops up to count elements from one end, replying with them in
// pop order, and returns how many were popped.
func (c *Client) popRange(l *types.List, head bool, count int64) int {
	n := min(count, int64(l.Len()))
	if head {
		c.replyListRange(l, 0, n-1, false)
	} else {
		c.replyListRange(l, -n, -1, true)
	}
	for i := int64(0); i < n; i++ {
		l.Drop(head)
	}
	return int(n)
}

// popRangeWithKey is the [key, [elements]] reply of LMPOP and BLMPOP.
func (c *Client) popRangeWithKey(key []byte, l *types.List, head bool, count int64) {
	c.w.ArrayLen(2)
	c.w.Bulk(key)
	n := c.popRange(l, head, count)
	c.listElementsRemoved(key, head, l, n)
	// propagated as [LR]POP key count, as Redis
	c.rewritePropagation(popVerb(head), key, []byte(itoa(int64(n))))
}

func popVerb(head bool) []byte {
	if head {
		return []byte("LPOP")
	}
	return []byte("RPOP")
}

func listEnd(head bool) []byte {
	if head {
		return []byte("LEFT")
	}
	return []byte("RIGHT")
}

func (c *Client) popGeneric(args [][]byte, head bool) {
	hasCount := len(args) == 3
	var count int64
	if len(args) > 3 {
		c.addError("ERR wrong number of arguments for '" + c.cmd.name + "' command")
		return
	}
	if hasCount {
		var ok bool
		if count, ok = c.positiveArg(args[2], errMustBePositive); !ok {
			return
		}
	}
	l, found, ok := c.lookupListWrite(args[1])
	if !ok {
		return
	}
	if !found {
		if hasCount {
			c.w.NullArray()
		} else {
			c.w.Null()
		}
		return
	}
	if hasCount && count == 0 {
		c.w.ArrayLen(0)
		return
	}
	if !hasCount {
		c.w.Bulk(l.Drop(head)) // copied out before the list changes again
		c.listElementsRemoved(args[1], head, l, 1)
		return
	}
	n := c.popRange(l, head, count)
	c.listElementsRemoved(args[1], head, l, n)
}

func cmdLrange(c *Client, args [][]byte) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	end, ok := c.intArg(args[3])
	if !ok {
		return
	}
	l, found, ok := c.lookupListRead(args[1])
	if !ok {
		return
	}
	if !found {
		c.w.ArrayLen(0)
		return
	}
	c.replyListRange(l, start, end, false)
}

func cmdLtrim(c *Client, args [][]byte) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	end, ok := c.intArg(args[3])
	if !ok {
		return
	}
	l, found, ok := c.lookupListWrite(args[1])
	if !ok {
		return
	}
	if !found {
		c.w.OK()
		return
	}
	n := int64(l.Len())
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	var keep0, keep int64
	if start > end || start >= n {
		keep0, keep = 0, 0
	} else {
		if end >= n {
			end = n - 1
		}
		keep0, keep = start, end-start+1
	}
	l.Trim(int(keep0), int(keep))
	c.db.Notify(keyspace.ClassList, "ltrim", args[1])
	if l.Len() == 0 {
		c.db.Delete(args[1])
		c.db.Notify(keyspace.ClassGeneric, "del", args[1])
	}
	c.db.SignalModified(args[1])
	c.srv.markDirty(n - keep)
	c.w.OK()
}

func cmdLpos(c *Client, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		var ok bool
		switch {
		case equalFoldASCII(args[j], "rank") && more > 0:
			j++
			if rank, ok = c.intArg(args[j]); !ok {
				return
			}
			if rank == 0 {
				c.addError(errLposRankZero)
				return
			}
		case equalFoldASCII(args[j], "count") && more > 0:
			j++
			if count, ok = c.positiveArg(args[j], errLposCountNeg); !ok {
				return
			}
		case equalFoldASCII(args[j], "maxlen") && more > 0:
			j++
			if maxlen, ok = c.positiveArg(args[j], errLposMaxlenNeg); !ok {
				return
			}
		default:
			c.addError(errSyntax)
			return
		}
	}
	fromTail := false
	if rank < 0 {
		rank = -rank // math.MinInt64 stays negative: every match then qualifies, as in Redis
		fromTail = true
	}
	e := c.db.Lookup(args[1])
	if e == nil {
		if count != -1 {
			c.w.ArrayLen(0)
		} else {
			c.w.Null()
		}
		return
	}
	l, ok := c.listValue(e)
	if !ok {
		return
	}
	var d = c.w.Defer()
	n := int64(l.Len())
	ele := string(args[2])
	var matches, found int64
	for scanned := int64(0); scanned < n && (maxlen == 0 || scanned < maxlen); scanned++ {
		idx := scanned
		if fromTail {
			idx = n - 1 - scanned
		}
		if string(l.At(int(idx))) != ele {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		if count == -1 {
			c.w.Int(idx)
			return
		}
		found++
		c.w.Int(idx)
		if count != 0 && found >= count {
			break
		}
	}
	if count == -1 {
		c.w.Null()
		return
	}
	c.w.SetArrayLen(d, int(found))
}

func cmdLrem(c *Client, args [][]byte) {
	toRemove, ok := c.intArg(args[2])
	if !ok {
		return
	}
	l, found, ok := c.lookupListWrite(args[1])
	if !ok {
		return
	}
	if !found {
		c.w.Int(0)
		return
	}
	fromTail := toRemove < 0
	if fromTail {
		toRemove = -toRemove
	}
	limit := int(toRemove)
	if toRemove < 0 {
		limit = 0 // -math.MinInt64 overflows: Redis then removes every match
	}
	removed := l.RemoveMatching(args[3], limit, fromTail)
	if removed > 0 {
		c.srv.markDirty(int64(removed))
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassList, "lrem", args[1])
	}
	if l.Len() == 0 {
		c.db.Delete(args[1])
		c.db.Notify(keyspace.ClassGeneric, "del", args[1])
	}
	c.w.Int(int64(removed))
}

// listEndArg parses LEFT or RIGHT (true for LEFT, the head).
func (c *Client) listEndArg(b []byte) (head, ok bool) {
	switch {
	case equalFoldASCII(b, "left"):
		return true, true
	case equalFoldASCII(b, "right"):
		return false, true
	}
	c.addError(errSyntax)
	return false, false
}

// lmovePush pushes v to dst (dl is its list, nil when missing) and replies
// with v (lmoveHandlePush).
func (c *Client) lmovePush(dst []byte, dl *types.List, v []byte, toHead bool) {
	if dl == nil {
		dl = types.NewList()
		c.db.Add(dst, dl)
	}
	c.db.SignalModified(dst)
	dl.Push(v, toHead)
	c.db.Notify(keyspace.ClassList, listEvent(toHead, "lpush", "rpush"), dst)
	c.w.Bulk(v)
}

// lmove moves one element from src to dst; the source exists and is a
// non-empty list when served from a blocked client.
func (c *Client) lmove(src, dst []byte, fromHead, toHead bool) {
	sl, found, ok := c.lookupListWrite(src)
	if !ok {
		return
	}
	if !found {
		c.w.Null()
		return
	}
	dl, _, ok := c.lookupListWrite(dst)
	if !ok {
		return
	}
	v := sl.Pop(fromHead)
	c.lmovePush(dst, dl, v, toHead)
	c.db.Notify(keyspace.ClassList, listEvent(fromHead, "lpop", "rpop"), src)
	if sl.Len() == 0 {
		c.db.Delete(src)
		c.db.Notify(keyspace.ClassGeneric, "del", src)
	}
	c.db.SignalModified(src)
	c.srv.markDirty(1)
}

func cmdLmove(c *Client, args [][]byte) {
	fromHead, ok := c.listEndArg(args[3])
	if !ok {
		return
	}
	toHead, ok := c.listEndArg(args[4])
	if !ok {
		return
	}
	c.lmove(args[1], args[2], fromHead, toHead)
}

func cmdRpoplpush(c *Client, args [][]byte) { c.lmove(args[1], args[2], false, true) }

// lmpopGeneric is LMPOP and BLMPOP: numkeys at numkeysIdx, then the keys,
// LEFT|RIGHT and an optional COUNT.
func (c *Client) lmpopGeneric(args [][]byte, numkeysIdx int, blocking bool) {
	numkeys, ok := c.rangeArg(args[numkeysIdx], 1, 1<<63-1, errNumkeysPositive)
	if !ok {
		return
	}
	if numkeys >= int64(len(args)-numkeysIdx-1) {
		c.addError(errSyntax)
		return
	}
	whereIdx := numkeysIdx + int(numkeys) + 1
	head, ok := c.listEndArg(args[whereIdx])
	if !ok {
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && equalFoldASCII(args[j], "count") && j+1 < len(args) {
			j++
			if count, ok = c.rangeArg(args[j], 1, 1<<63-1, errCountPositive); !ok {
				return
			}
			continue
		}
		c.addError(errSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	keys := args[numkeysIdx+1 : whereIdx]
	if blocking {
		c.blockingPop(keys, args[1], head, count)
		return
	}
	for _, key := range keys {
		l, found, ok := c.lookupListWrite(key)
		if !ok {
			return
		}
		if !found || l.Len() == 0 {
			continue
		}
		c.popRangeWithKey(key, l, head, count)
		return
	}
	c.w.NullArray()
}

// blockingPop is BLPOP/BRPOP (count -1) and BLMPOP (count >= 1): pop from
// the first non-empty key, or block on all of them.
func (c *Client) blockingPop(keys [][]byte, timeoutArg []byte, head bool, count int64) {
	timeout, ok := c.timeoutArg(timeoutArg, true)
	if !ok {
		return
	}
	for _, key := range keys {
		l, found, ok := c.lookupListWrite(key)
		if !ok {
			return
		}
		if !found || l.Len() == 0 {
			continue
		}
		c.servePop(key, l, head, count, false)
		return
	}
	if c.denyBlocking() {
		c.w.NullArray()
		return
	}
	c.blockForKeys(keyspace.KindList, keys, timeout, func(r *Client, key []byte, e *keyspace.Entry) bool {
		r.servePop(key, e.Value.(*types.List), head, count, true)
		return true
	}, nil)
}

// servePop pops for BLPOP/BRPOP/BLMPOP, directly or when served after
// blocking, with Redis's reply shapes.
func (c *Client) servePop(key []byte, l *types.List, head bool, count int64, served bool) {
	if served {
		c.forcePropagation(propAll) // propagated though not counted as a change
	}
	if count != -1 {
		c.popRangeWithKey(key, l, head, count)
		return
	}
	c.rewritePropagation(popVerb(head), key)
	v := l.Pop(head)
	c.w.ArrayLen(2)
	c.w.Bulk(key)
	c.w.Bulk(v)
	// serveClientBlockedOnList does not count a served BLPOP/BRPOP as a
	// change (a served BLMPOP it does, through listElementsRemoved)
	dirty := 1
	if served {
		dirty = 0
	}
	c.listElementsRemoved(key, head, l, dirty)
}

func cmdBlmove(c *Client, args [][]byte) {
	fromHead, ok := c.listEndArg(args[3])
	if !ok {
		return
	}
	toHead, ok := c.listEndArg(args[4])
	if !ok {
		return
	}
	timeout, ok := c.timeoutArg(args[5], true)
	if !ok {
		return
	}
	c.blockingMove(args[1], args[2], fromHead, toHead, timeout)
}

func cmdBrpoplpush(c *Client, args [][]byte) {
	timeout, ok := c.timeoutArg(args[3], true)
	if !ok {
		return
	}
	c.blockingMove(args[1], args[2], false, true, timeout)
}

// blockingMove is BLMOVE and BRPOPLPUSH.
func (c *Client) blockingMove(src, dst []byte, fromHead, toHead bool, timeout int64) {
	_, found, ok := c.lookupListWrite(src)
	if !ok {
		return
	}
	if found {
		c.lmove(src, dst, fromHead, toHead)
		c.rewritePropagation([]byte("LMOVE"), src, dst, listEnd(fromHead), listEnd(toHead))
		return
	}
	if c.denyBlocking() {
		c.w.Null()
		return
	}
	dstKey := append([]byte(nil), dst...)
	c.blockForKeys(keyspace.KindList, [][]byte{src}, timeout, func(r *Client, key []byte, e *keyspace.Entry) bool {
		r.serveMove(key, e.Value.(*types.List), dstKey, fromHead, toHead)
		return true
	}, nil)
}

// serveMove is BLMOVE served after blocking (serveClientBlockedOnList): a
// destination of the wrong type answers WRONGTYPE and pops nothing.
func (c *Client) serveMove(src []byte, sl *types.List, dst []byte, fromHead, toHead bool) {
	var dl *types.List
	if de := c.db.LookupNoStats(dst); de != nil {
		var ok bool
		if dl, ok = c.listValue(de); !ok {
			return
		}
	}
	v := sl.Pop(fromHead)
	c.lmovePush(dst, dl, v, toHead)
	c.db.Notify(keyspace.ClassList, listEvent(fromHead, "lpop", "rpop"), src)
	if sl.Len() == 0 {
		c.db.Delete(src)
		c.db.Notify(keyspace.ClassGeneric, "del", src)
	}
	// no change counted, as serveClientBlockedOnList, but propagated
	c.forcePropagation(propAll)
	c.rewritePropagation([]byte("LMOVE"), src, dst, listEnd(fromHead), listEnd(toHead))
}
