// cmd_stream.go implements the stream commands without consumer groups
// (XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID) on types.Stream,
// with Redis 7.0's argument parsing order, error texts and keyspace events.
package server

import (
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("xadd", cmdXadd)
	register("xrange", cmdXrange)
	register("xrevrange", cmdXrange)
	register("xlen", cmdXlen)
	register("xdel", cmdXdel)
	register("xtrim", cmdXtrim)
	register("xsetid", cmdXsetid)
}

const (
	errStreamID        = "ERR Invalid stream ID specified as stream command argument"
	errXaddZeroID      = "ERR The ID specified in XADD must be greater than 0-0"
	errXaddSmallID     = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errStreamExhausted = "ERR The stream has exhausted the last possible ID, unable to add more items"
)

// streamOf returns e's value as a stream (nil for a missing key), or
// replies WRONGTYPE.
func (c *Client) streamOf(e *keyspace.Entry) (*types.Stream, bool) {
	if e == nil {
		return nil, true
	}
	return valueAs[*types.Stream](c, e)
}

// parseU64 is Redis's string2ull: a strict signed integer that is not
// negative, or what strtoull accepts (leading spaces, a sign) when the
// whole string is consumed.
func parseU64(b []byte) (uint64, bool) {
	if n, ok := parseInt(b); ok {
		return uint64(n), n >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (^uint64(0)-uint64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID is streamGenericParseIDOrReply: "-"/"+" unless strict,
// "ms" (seq missingSeq), "ms-seq", and "ms-*" when partial is allowed
// (seqGiven false then). It replies the error itself.
func (c *Client) parseStreamID(b []byte, missingSeq uint64, strict, partial bool) (id types.StreamID, seqGiven, ok bool) {
	seqGiven = true
	if len(b) > 127 {
		c.addError(errStreamID)
		return id, seqGiven, false
	}
	if !strict && len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if b[0] == '+' {
			return types.MaxStreamID, true, true
		}
		return id, true, true
	}
	dash := -1
	for i, ch := range b {
		if ch == '-' {
			dash = i
			break
		}
	}
	if dash < 0 {
		ms, good := parseU64(b)
		if !good {
			c.addError(errStreamID)
			return id, seqGiven, false
		}
		return types.StreamID{Ms: ms, Seq: missingSeq}, true, true
	}
	ms, good := parseU64(b[:dash])
	if !good {
		c.addError(errStreamID)
		return id, seqGiven, false
	}
	rest := b[dash+1:]
	if partial && len(rest) == 1 && rest[0] == '*' {
		return types.StreamID{Ms: ms}, false, true
	}
	seq, good := parseU64(rest)
	if !good {
		c.addError(errStreamID)
		return id, seqGiven, false
	}
	return types.StreamID{Ms: ms, Seq: seq}, true, true
}

// addTrimArgs is streamAddTrimArgs.
type addTrimArgs struct {
	id        types.StreamID
	idGiven   bool
	seqGiven  bool
	noMk      bool
	strategy  int // 0 none, 1 maxlen, 2 minid
	maxLen    int64
	minID     types.StreamID
	approx    bool
	limit     int64
	limitSeen bool
	// trimArgIdx is the index of MAXLEN's count or MINID's id, where the
	// propagated command says what an approximate trim did
	trimArgIdx int
}

// parseAddTrim is streamParseAddOrTrimArgsOrReply: it returns the index of
// the ID argument for XADD (or of the end for XTRIM), -1 after an error.
func (c *Client) parseAddTrim(args [][]byte, a *addTrimArgs, xadd bool) int {
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			goto done
		case (strings.EqualFold(string(opt), "maxlen") || strings.EqualFold(string(opt), "minid")) && more >= 1:
			isMaxLen := strings.EqualFold(string(opt), "maxlen")
			// a second strategy, even the same one, is refused
			if a.strategy != 0 {
				c.addError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			a.approx = false
			next := args[i+1]
			if more >= 2 && len(next) == 1 && next[0] == '~' {
				a.approx = true
				i++
			} else if more >= 2 && len(next) == 1 && next[0] == '=' {
				i++
			}
			if isMaxLen {
				n, ok := parseInt(args[i+1])
				if !ok {
					c.addError(errNotInt)
					return -1
				}
				if n < 0 {
					c.addError("ERR The MAXLEN argument must be >= 0.")
					return -1
				}
				a.maxLen = n
				a.strategy = 1
			} else {
				id, _, ok := c.parseStreamID(args[i+1], 0, true, false)
				if !ok {
					return -1
				}
				a.minID = id
				a.strategy = 2
			}
			i++
			a.trimArgIdx = i
		case more >= 1 && strings.EqualFold(string(opt), "limit"):
			n, ok := parseInt(args[i+1])
			if !ok {
				c.addError(errNotInt)
				return -1
			}
			if n < 0 {
				c.addError("ERR The LIMIT argument must be >= 0.")
				return -1
			}
			a.limit = n
			a.limitSeen = true
			i++
		case xadd && strings.EqualFold(string(opt), "nomkstream"):
			a.noMk = true
		case xadd:
			id, seqGiven, ok := c.parseStreamID(opt, 0, true, true)
			if !ok {
				return -1
			}
			a.id, a.seqGiven, a.idGiven = id, seqGiven, true
			goto done
		default:
			c.addError(errSyntax)
			return -1
		}
	}
done:
	// a LIMIT of 0 is left to the ~ check below, as in Redis
	if a.limit != 0 && a.strategy == 0 {
		c.addError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return -1
	}
	if !xadd && a.strategy == 0 {
		c.addError("ERR syntax error, XTRIM must be called with a trimming strategy")
		return -1
	}
	switch {
	case c.flags&flagObey != 0:
		// the AOF and a master send the exact trim the approximate one
		// amounted to (with its LIMIT left in place): no work cap
		a.limit = 0
	case a.limitSeen && !a.approx:
		c.addError("ERR syntax error, LIMIT cannot be used without the special ~ option")
		return -1
	case a.limitSeen:
	case a.approx:
		// at most 100 nodes' worth of work, capped both ways
		a.limit = c.srv.cfg.StreamNodeMaxEntries * 100
		if a.limit <= 0 {
			a.limit = 10000
		}
		a.limit = min(a.limit, 1000000)
	default:
		a.limit = 0
	}
	return i
}

// streamTrim applies parsed trim args.
func streamTrim(s *types.Stream, a *addTrimArgs) int64 {
	return s.Trim(a.strategy == 2, a.maxLen, a.minID, a.approx, a.limit)
}

func (c *Client) streamNodeLimits() (int, int) {
	return int(c.srv.cfg.StreamNodeMaxEntries), int(c.srv.cfg.StreamNodeMaxBytes)
}

func cmdXadd(c *Client, args [][]byte) {
	var a addTrimArgs
	idpos := c.parseAddTrim(args, &a, true)
	if idpos < 0 {
		return
	}
	fieldPos := idpos + 1
	if len(args)-fieldPos < 2 || (len(args)-fieldPos)%2 == 1 {
		c.addError("ERR wrong number of arguments for 'xadd' command")
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.addError(errXaddZeroID)
		return
	}
	e := c.db.LookupNoStats(args[1])
	s, ok := c.streamOf(e)
	if !ok {
		return
	}
	if s == nil {
		if a.noMk {
			c.w.Null()
			return
		}
		s = types.NewStream()
		c.db.Add(args[1], s)
	}
	if s.LastID == types.MaxStreamID {
		c.addError(errStreamExhausted)
		return
	}
	var id types.StreamID
	switch {
	case !a.idGiven:
		ms := uint64(time.Now().UnixMilli())
		if ms > s.LastID.Ms {
			id = types.StreamID{Ms: ms}
		} else {
			id, _ = s.LastID.Incr()
		}
	case !a.seqGiven:
		if a.id.Ms == s.LastID.Ms {
			if s.LastID.Seq == ^uint64(0) {
				c.addError(errXaddSmallID)
				return
			}
			id = types.StreamID{Ms: a.id.Ms, Seq: s.LastID.Seq + 1}
		} else if a.id.Ms > s.LastID.Ms {
			id = types.StreamID{Ms: a.id.Ms}
		} else {
			c.addError(errXaddSmallID)
			return
		}
	default:
		if !s.LastID.Less(a.id) {
			c.addError(errXaddSmallID)
			return
		}
		id = a.id
	}
	me, mb := c.streamNodeLimits()
	s.Append(id, args[fieldPos:], me, mb)
	var idBuf [41]byte // "ms-seq" on the stack: no garbage per entry
	c.w.Bulk(id.AppendTo(idBuf[:0]))
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassStream, "xadd", args[1])
	c.srv.markDirty(1)
	if a.strategy != 0 {
		if streamTrim(s, &a) > 0 {
			c.db.Notify(keyspace.ClassStream, "xtrim", args[1])
		}
	}
	// replayed, the command must add this very ID and trim exactly
	if generated := !a.idGiven || !a.seqGiven; (generated || a.approx) && c.srv.propagating() {
		idArg := -1
		if generated {
			idArg = idpos
		}
		c.rewriteXaddOrXtrim(args, s, &a, idArg, id.AppendTo(nil))
	}
	c.streamSignalReady(args[1])
}

// streamSignalReady is a hook for blocked readers (see stream_blocking.go).
var streamReadyHook func(c *Client, key []byte)

func (c *Client) streamSignalReady(key []byte) {
	if streamReadyHook != nil {
		streamReadyHook(c, key)
	}
}

// writeStreamEntry writes one entry as [id, [field, value, ...]].
func writeStreamEntry(w *resp.Writer, id types.StreamID, fv [][]byte) {
	w.ArrayLen(2)
	var buf [48]byte
	w.Bulk(id.AppendTo(buf[:0]))
	w.ArrayLen(len(fv))
	for _, x := range fv {
		w.Bulk(x)
	}
}

// parseRangeID is streamParseIntervalIDOrReply: "(" makes the bound
// exclusive.
func (c *Client) parseRangeID(b []byte, missingSeq uint64) (id types.StreamID, exclusive, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, _, ok = c.parseStreamID(b[1:], missingSeq, true, false)
		return id, true, ok
	}
	id, _, ok = c.parseStreamID(b, missingSeq, false, false)
	return id, false, ok
}

// XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n].
func cmdXrange(c *Client, args [][]byte) {
	rev := c.cmd.name == "xrevrange"
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, sx, ok := c.parseRangeID(startArg, 0)
	if !ok {
		return
	}
	end, ex, ok := c.parseRangeID(endArg, ^uint64(0))
	if !ok {
		return
	}
	if sx {
		if start, ok = start.Incr(); !ok {
			c.addError("ERR invalid start ID for the interval")
			return
		}
	}
	if ex {
		if end, ok = end.Decr(); !ok {
			c.addError("ERR invalid end ID for the interval")
			return
		}
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if strings.EqualFold(string(args[j]), "count") && j+1 < len(args) {
			n, ok := parseInt(args[j+1])
			if !ok {
				c.addError(errNotInt)
				return
			}
			if n < 0 {
				n = 0
			}
			count = n
			j++
		} else {
			c.addError(errSyntax)
			return
		}
	}
	s, ok := c.streamOf(c.db.Lookup(args[1]))
	if !ok {
		return
	}
	if s == nil {
		c.w.ArrayLen(0)
		return
	}
	if count == 0 {
		c.w.NullArray()
		return
	}
	d := c.w.Defer()
	n := 0
	s.Range(start, end, rev, func(id types.StreamID, fv [][]byte) bool {
		writeStreamEntry(c.w, id, fv)
		n++
		return count < 0 || int64(n) < count
	})
	c.w.SetArrayLen(d, n)
}

func cmdXlen(c *Client, args [][]byte) {
	s, ok := c.streamOf(c.db.Lookup(args[1]))
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(s.Len()))
}

func cmdXdel(c *Client, args [][]byte) {
	e := c.db.LookupNoStats(args[1])
	if e == nil {
		c.w.Int(0)
		return
	}
	s, ok := c.streamOf(e)
	if !ok {
		return
	}
	// Redis validates every ID before deleting any.
	ids, ok := c.parseStreamIDs(args[2:])
	if !ok {
		return
	}
	deleted := 0
	for _, id := range ids {
		if s.Delete(id) {
			deleted++
		}
	}
	if deleted > 0 {
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassStream, "xdel", args[1])
		c.srv.markDirty(int64(deleted))
	}
	c.w.Int(int64(deleted))
}

func cmdXtrim(c *Client, args [][]byte) {
	var a addTrimArgs
	if c.parseAddTrim(args, &a, false) < 0 {
		return
	}
	s, ok := c.streamOf(c.db.LookupNoStats(args[1]))
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	n := streamTrim(s, &a)
	if n > 0 {
		c.db.Notify(keyspace.ClassStream, "xtrim", args[1])
		if a.approx && c.srv.propagating() {
			c.rewriteXaddOrXtrim(args, s, &a, -1, nil)
		}
		c.db.SignalModified(args[1])
		c.srv.markDirty(n)
	}
	c.w.Int(n)
}

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
func cmdXsetid(c *Client, args [][]byte) {
	id, _, ok := c.parseStreamID(args[2], 0, true, false)
	if !ok {
		return
	}
	var maxDel types.StreamID
	entriesAdded := int64(-1)
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case strings.EqualFold(string(args[j]), "entriesadded") && more >= 1:
			n, ok := parseInt(args[j+1])
			if !ok {
				c.addError(errNotInt)
				return
			}
			if n < 0 {
				c.addError("ERR entries_added must be positive")
				return
			}
			entriesAdded = n
			j++
		case strings.EqualFold(string(args[j]), "maxdeletedid") && more >= 1:
			d, _, ok := c.parseStreamID(args[j+1], 0, true, false)
			if !ok {
				return
			}
			if id.Less(d) {
				c.addError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			maxDel = d
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	s, ok := c.streamOf(c.db.LookupNoStats(args[1]))
	if !ok {
		return
	}
	if s == nil {
		c.addError(errNoSuchKey)
		return
	}
	if s.Len() > 0 {
		if id.Less(s.LastLive()) {
			c.addError("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded >= 0 && uint64(entriesAdded) < s.Len() {
			c.addError("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.LastID = id
	if entriesAdded >= 0 {
		s.EntriesAdded = uint64(entriesAdded)
	}
	if !maxDel.IsZero() {
		s.MaxDeletedID = maxDel
	}
	c.w.OK()
	c.srv.markDirty(1)
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassStream, "xsetid", args[1])
}

// parseStreamIDs parses every argument as an exact stream ID, replying with
// the error of the first bad one: Redis validates them all before acting.
func (c *Client) parseStreamIDs(args [][]byte) ([]types.StreamID, bool) {
	ids := make([]types.StreamID, 0, len(args))
	for _, a := range args {
		id, _, ok := c.parseStreamID(a, 0, true, false)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}
