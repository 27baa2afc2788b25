// cmd_zset.go holds the non-blocking sorted set commands (ZADD, ranges,
// removals, the set algebra of ZUNION/ZINTER/ZDIFF, pops, ZRANDMEMBER and
// ZSCAN) with Redis 7.0's argument rules, error texts, reply shapes (flat
// member/score lists in RESP2, [member, score] pairs in RESP3) and keyspace
// events. The pop helper and ZMPOP's argument parsing are shared with the
// blocking variants in cmd_zset_blocking.go.
package server

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/redoubt/redoubt/internal/glob"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("zadd", cmdZadd)
	register("zincrby", cmdZincrby)
	register("zcard", cmdZcard)
	register("zcount", cmdZcount)
	register("zlexcount", cmdZlexcount)
	register("zscore", cmdZscore)
	register("zmscore", cmdZmscore)
	register("zrank", func(c *Client, args [][]byte) { c.zrank(args, false) })
	register("zrevrank", func(c *Client, args [][]byte) { c.zrank(args, true) })
	register("zrem", cmdZrem)
	register("zremrangebyrank", func(c *Client, args [][]byte) { c.zremrange(args, zrangeRank) })
	register("zremrangebyscore", func(c *Client, args [][]byte) { c.zremrange(args, zrangeScore) })
	register("zremrangebylex", func(c *Client, args [][]byte) { c.zremrange(args, zrangeLex) })
	register("zrange", func(c *Client, args [][]byte) { c.zrangeGeneric(args, 1, false, zrangeAuto, false) })
	register("zrevrange", func(c *Client, args [][]byte) { c.zrangeGeneric(args, 1, false, zrangeRank, true) })
	register("zrangebyscore", func(c *Client, args [][]byte) { c.zrangeGeneric(args, 1, false, zrangeScore, false) })
	register("zrevrangebyscore", func(c *Client, args [][]byte) { c.zrangeGeneric(args, 1, false, zrangeScore, true) })
	register("zrangebylex", func(c *Client, args [][]byte) { c.zrangeGeneric(args, 1, false, zrangeLex, false) })
	register("zrevrangebylex", func(c *Client, args [][]byte) { c.zrangeGeneric(args, 1, false, zrangeLex, true) })
	register("zrangestore", func(c *Client, args [][]byte) { c.zrangeGeneric(args, 2, true, zrangeAuto, false) })
	register("zunion", func(c *Client, args [][]byte) { c.zsetAlgebra(args, nil, 1, zsetUnion, false) })
	register("zinter", func(c *Client, args [][]byte) { c.zsetAlgebra(args, nil, 1, zsetInter, false) })
	register("zdiff", func(c *Client, args [][]byte) { c.zsetAlgebra(args, nil, 1, zsetDiff, false) })
	register("zintercard", func(c *Client, args [][]byte) { c.zsetAlgebra(args, nil, 1, zsetInter, true) })
	register("zunionstore", func(c *Client, args [][]byte) { c.zsetAlgebra(args, args[1], 2, zsetUnion, false) })
	register("zinterstore", func(c *Client, args [][]byte) { c.zsetAlgebra(args, args[1], 2, zsetInter, false) })
	register("zdiffstore", func(c *Client, args [][]byte) { c.zsetAlgebra(args, args[1], 2, zsetDiff, false) })
	register("zpopmin", func(c *Client, args [][]byte) { c.zpopMinMax(args, false) })
	register("zpopmax", func(c *Client, args [][]byte) { c.zpopMinMax(args, true) })
	register("zmpop", cmdZmpop)
	register("zrandmember", cmdZrandmember)
	register("zscan", cmdZscan)
}

const (
	errZNaN            = "ERR resulting score is not a number (NaN)"
	errZXXNX           = "ERR XX and NX options at the same time are not compatible"
	errZGTLTNX         = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZIncrPair       = "ERR INCR option supports a single increment-element pair"
	errZMinMaxFloat    = "ERR min or max is not a float"
	errZMinMaxLex      = "ERR min or max not valid string range item"
	errZLimitNeedsBy   = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZLexWithScores  = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZWeightNotFloat = "ERR weight value is not a float"
)

// zsetLimits are the listpack thresholds of the configuration.
func (c *Client) zsetLimits() types.ZSetLimits {
	return types.ZSetLimits{MaxEntries: c.srv.cfg.ZsetMaxListpackEntries, MaxValue: c.srv.cfg.ZsetMaxListpackValue}
}

// zsetOf returns e's sorted set (nil for a missing key), or replies
// WRONGTYPE and returns false.
func (c *Client) zsetOf(e *keyspace.Entry) (*types.ZSet, bool) {
	if e == nil {
		return nil, true
	}
	return valueAs[*types.ZSet](c, e)
}

func (c *Client) zsetRead(key []byte) (*types.ZSet, bool)  { return c.zsetOf(c.db.Lookup(key)) }
func (c *Client) zsetWrite(key []byte) (*types.ZSet, bool) { return c.zsetOf(c.db.LookupNoStats(key)) }

// zsetDeleteIfEmpty removes key once its set is empty, with the "del"
// event Redis emits after the command's own event.
func (c *Client) zsetDeleteIfEmpty(key []byte, z *types.ZSet) bool {
	if z.Len() > 0 {
		return false
	}
	c.db.Delete(key)
	return true
}

// zsetStore replaces dst with z (Redis's setKey), or deletes dst when z is
// empty, and replies with the stored cardinality.
func (c *Client) zsetStore(dst []byte, z *types.ZSet, event string) {
	if z.Len() > 0 {
		c.db.Set(dst, z, false)
		c.db.SignalModified(dst)
		c.w.Int(int64(z.Len()))
		c.db.Notify(keyspace.ClassZSet, event, dst)
		c.srv.markDirty(1)
		return
	}
	c.w.Int(0)
	if c.db.Delete(dst) {
		c.db.SignalModified(dst)
		c.db.Notify(keyspace.ClassGeneric, "del", dst)
		c.srv.markDirty(1)
	}
}

// replyNodes sends members, with their scores when withScores: a flat
// array in RESP2, an array of [member, score] pairs in RESP3.
func (c *Client) replyNodes(nodes []*types.ZNode, withScores bool) {
	pairs := withScores && c.w.Proto == 3
	if withScores && !pairs {
		c.w.ArrayLen(2 * len(nodes))
	} else {
		c.w.ArrayLen(len(nodes))
	}
	for _, n := range nodes {
		if pairs {
			c.w.ArrayLen(2)
		}
		c.w.BulkString(n.Member)
		if withScores {
			c.w.Double(n.Score)
		}
	}
}

// parseStrtod parses a range bound as C's strtod with a check that the
// whole text was consumed: leading blanks are skipped, an empty text is 0,
// hex and inf are accepted, overflow saturates to infinity.
func parseStrtod(b []byte) (float64, bool) {
	f, _, ok := strtod(b)
	return f, ok
}

// strtod converts all of b as C's strtod would, telling also whether the
// result overflowed or underflowed (ERANGE).
func strtod(b []byte) (f float64, outOfRange, ok bool) {
	if len(b) == 0 {
		return 0, false, true
	}
	if f, ok := simpleFloat(b); ok {
		return f, false, true
	}
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if s == "" || strings.ContainsRune(s, '_') {
		return 0, false, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		ne, isNumErr := err.(*strconv.NumError)
		switch {
		case isNumErr && ne.Err == strconv.ErrRange:
			outOfRange = true
		case isHexWithoutExponent(s):
			if f, err = strconv.ParseFloat(s+"p0", 64); err != nil {
				return 0, false, false
			}
		default:
			return 0, false, false
		}
	}
	if f == 0 && !outOfRange && !isHexWithoutExponent(s) {
		// Go rounds an underflow to zero silently; strtod reports ERANGE
		mantissa, _, _ := strings.Cut(strings.ToLower(s), "e")
		outOfRange = strings.ContainsAny(mantissa, "123456789")
	}
	if f != 0 && math.Abs(f) < 0x1p-1022 && !outOfRange {
		// glibc also reports ERANGE for a subnormal result that is inexact
		exact, ok := new(big.Rat).SetString(s)
		outOfRange = !ok || exact.Cmp(new(big.Rat).SetFloat64(f)) != 0
	}
	return f, outOfRange, !math.IsNaN(f)
}

// parseScore parses a score or weight as Redis's string2d: no leading
// blank, all text consumed, no overflow to infinity or underflow to zero
// (but "inf" itself is fine), no NaN.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || strings.ContainsRune(" \t\n\v\f\r", rune(b[0])) {
		return 0, false
	}
	f, outOfRange, ok := strtod(b)
	if !ok || outOfRange && (math.IsInf(f, 0) || f == 0) {
		return 0, false
	}
	return f, true
}

// simpleFloat parses the common case of a score without allocating: an
// optional sign and up to 15 decimal digits (exact in a float64), or a
// signed "inf". Anything else reports false and takes strtod's full path.
func simpleFloat(b []byte) (float64, bool) {
	neg := false
	d := b
	if len(d) > 0 && (d[0] == '-' || d[0] == '+') {
		neg = d[0] == '-'
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 15 {
		return 0, false
	}
	var f float64
	if d[0] == 'i' || d[0] == 'I' {
		if !isOpt(d, "inf") {
			return 0, false
		}
		f = math.Inf(1)
	} else {
		var n int64
		for _, ch := range d {
			if ch < '0' || ch > '9' {
				return 0, false
			}
			n = n*10 + int64(ch-'0')
		}
		f = float64(n)
	}
	if neg {
		f = -f // "-0" is negative zero, as strtod gives
	}
	return f, true
}

func isHexWithoutExponent(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strings.ContainsAny(s, "pP")
}

// parseScoreRange parses ZRANGEBYSCORE's min and max ("(" marks an
// exclusive bound).
func parseScoreRange(minArg, maxArg []byte) (types.ScoreRange, bool) {
	var r types.ScoreRange
	var ok bool
	if len(minArg) > 0 && minArg[0] == '(' {
		r.MinEx = true
		minArg = minArg[1:]
	}
	if len(maxArg) > 0 && maxArg[0] == '(' {
		r.MaxEx = true
		maxArg = maxArg[1:]
	}
	if r.Min, ok = parseStrtod(minArg); !ok {
		return r, false
	}
	r.Max, ok = parseStrtod(maxArg)
	return r, ok
}

func parseLexBound(b []byte) (types.LexBound, bool) {
	if len(b) == 0 {
		return types.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) != 1 {
			return types.LexBound{}, false
		}
		inf := int8(1)
		if b[0] == '-' {
			inf = -1
		}
		return types.LexBound{Inf: inf, Ex: true}, true
	case '(':
		return types.LexBound{Value: string(b[1:]), Ex: true}, true
	case '[':
		return types.LexBound{Value: string(b[1:])}, true
	}
	return types.LexBound{}, false
}

// parseLexRange parses ZRANGEBYLEX's min and max.
func parseLexRange(minArg, maxArg []byte) (types.LexRange, bool) {
	lo, ok1 := parseLexBound(minArg)
	hi, ok2 := parseLexBound(maxArg)
	return types.LexRange{Min: lo, Max: hi}, ok1 && ok2
}

func cmdZadd(c *Client, args [][]byte)    { c.zadd(args, 0) }
func cmdZincrby(c *Client, args [][]byte) { c.zadd(args, types.ZAddIncr) }

// zadd is ZADD and ZINCRBY (which is ZADD with INCR, options included).
func (c *Client) zadd(args [][]byte, flags int) {
	key := args[1]
	ch := false
	scoreIdx := 2
options:
	for ; scoreIdx < len(args); scoreIdx++ {
		switch opt := args[scoreIdx]; {
		case isOpt(opt, "nx"):
			flags |= types.ZAddNX
		case isOpt(opt, "xx"):
			flags |= types.ZAddXX
		case isOpt(opt, "ch"):
			ch = true
		case isOpt(opt, "incr"):
			flags |= types.ZAddIncr
		case isOpt(opt, "gt"):
			flags |= types.ZAddGT
		case isOpt(opt, "lt"):
			flags |= types.ZAddLT
		default:
			break options
		}
	}
	pairs := len(args) - scoreIdx
	if pairs == 0 || pairs%2 != 0 {
		c.addError(errSyntax)
		return
	}
	pairs /= 2
	has := func(f int) bool { return flags&f != 0 }
	if has(types.ZAddNX) && has(types.ZAddXX) {
		c.addError(errZXXNX)
		return
	}
	if has(types.ZAddNX) && (has(types.ZAddGT) || has(types.ZAddLT)) || has(types.ZAddGT) && has(types.ZAddLT) {
		c.addError(errZGTLTNX)
		return
	}
	incr := has(types.ZAddIncr)
	if incr && pairs > 1 {
		c.addError(errZIncrPair)
		return
	}
	var small [8]float64 // most ZADDs carry few pairs: no allocation
	scores := small[:0]
	if pairs > len(small) {
		scores = make([]float64, 0, pairs)
	}
	scores = scores[:pairs]
	for j := range scores {
		var ok bool
		if scores[j], ok = parseScore(args[scoreIdx+2*j]); !ok {
			c.addError(errNotFloat)
			return
		}
	}
	z, ok := c.zsetWrite(key)
	if !ok {
		return
	}
	added, updated, processed := 0, 0, 0
	var score float64
	if z == nil && !has(types.ZAddXX) {
		z = types.NewZSetFor(len(args[scoreIdx+1]), c.zsetLimits())
		c.db.Add(key, z)
	}
	if z != nil {
		lim := c.zsetLimits()
		for j := range pairs {
			outcome, newScore := z.Add(args[scoreIdx+2*j+1], scores[j], flags, lim)
			switch outcome {
			case types.ZAddNaN:
				c.addError(errZNaN)
				c.zaddNotify(key, added+updated, incr)
				return
			case types.ZAddAdded:
				added++
			case types.ZAddUpdated:
				updated++
			}
			if outcome != types.ZAddNop {
				processed++
				score = newScore
			}
		}
	}
	switch {
	case incr && processed > 0:
		c.w.Double(score)
	case incr:
		c.w.Null()
	case ch:
		c.w.Int(int64(added + updated))
	default:
		c.w.Int(int64(added))
	}
	c.srv.markDirty(int64(added + updated))
	c.zaddNotify(key, added+updated, incr)
}

func (c *Client) zaddNotify(key []byte, changed int, incr bool) {
	if changed == 0 {
		return
	}
	c.db.SignalModified(key)
	event := "zadd"
	if incr {
		event = "zincr"
	}
	c.db.Notify(keyspace.ClassZSet, event, key)
}

func cmdZcard(c *Client, args [][]byte) {
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(z.Len()))
}

// countBetween is the number of nodes from first to last inclusive.
func countBetween(z *types.ZSet, first, last *types.ZNode) int64 {
	if first == nil || last == nil {
		return 0
	}
	n := z.NodeRank(last) - z.NodeRank(first) + 1
	return int64(max(n, 0))
}

func cmdZcount(c *Client, args [][]byte) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.addError(errZMinMaxFloat)
		return
	}
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(countBetween(z, z.FirstInRange(&r), z.LastInRange(&r)))
}

func cmdZlexcount(c *Client, args [][]byte) {
	r, ok := parseLexRange(args[2], args[3])
	if !ok {
		c.addError(errZMinMaxLex)
		return
	}
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(countBetween(z, z.FirstInLexRange(&r), z.LastInLexRange(&r)))
}

func cmdZscore(c *Client, args [][]byte) {
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z != nil {
		if s, found := z.Score(args[2]); found {
			c.w.Double(s)
			return
		}
	}
	c.w.Null()
}

func cmdZmscore(c *Client, args [][]byte) {
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	c.w.ArrayLen(len(args) - 2)
	for _, m := range args[2:] {
		if z != nil {
			if s, found := z.Score(m); found {
				c.w.Double(s)
				continue
			}
		}
		c.w.Null()
	}
}

func (c *Client) zrank(args [][]byte, reverse bool) {
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z != nil {
		if r, found := z.Rank(args[2], reverse); found {
			c.w.Int(int64(r))
			return
		}
	}
	c.w.Null()
}

func cmdZrem(c *Client, args [][]byte) {
	key := args[1]
	z, ok := c.zsetWrite(key)
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	deleted := 0
	removedKey := false
	for _, m := range args[2:] {
		if z.Remove(m) {
			deleted++
		}
		if removedKey = c.zsetDeleteIfEmpty(key, z); removedKey {
			break
		}
	}
	if deleted > 0 {
		c.db.Notify(keyspace.ClassZSet, "zrem", key)
		if removedKey {
			c.db.Notify(keyspace.ClassGeneric, "del", key)
		}
		c.db.SignalModified(key)
	}
	c.srv.markDirty(int64(deleted))
	c.w.Int(int64(deleted))
}

// Range kinds of the ZRANGE family.
const (
	zrangeAuto = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// rankWindow clamps ZRANGE's start/end (negative from the end) to
// [0, length); ok is false when the window is empty.
func rankWindow(start, end int64, length int) (int64, int64, bool) {
	n := int64(length)
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
		return 0, 0, false
	}
	if end >= n {
		end = n - 1
	}
	return start, end, true
}

func (c *Client) zremrange(args [][]byte, kind int) {
	key := args[1]
	var start, end int64
	var sr types.ScoreRange
	var lr types.LexRange
	var event string
	switch kind {
	case zrangeRank:
		event = "zremrangebyrank"
		var ok bool
		if start, ok = c.intArg(args[2]); !ok {
			return
		}
		if end, ok = c.intArg(args[3]); !ok {
			return
		}
	case zrangeScore:
		event = "zremrangebyscore"
		var ok bool
		if sr, ok = parseScoreRange(args[2], args[3]); !ok {
			c.addError(errZMinMaxFloat)
			return
		}
	case zrangeLex:
		event = "zremrangebylex"
		var ok bool
		if lr, ok = parseLexRange(args[2], args[3]); !ok {
			c.addError(errZMinMaxLex)
			return
		}
	}
	z, ok := c.zsetWrite(key)
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	var doomed []*types.ZNode
	switch kind {
	case zrangeRank:
		var inRange bool
		if start, end, inRange = rankWindow(start, end, z.Len()); !inRange {
			c.w.Int(0)
			return
		}
		n := z.ByRank(int(start))
		for i := start; i <= end; i++ {
			doomed = append(doomed, n)
			n = n.Next()
		}
	case zrangeScore:
		for n := z.FirstInRange(&sr); n != nil && sr.Contains(n.Score); n = n.Next() {
			doomed = append(doomed, n)
		}
	case zrangeLex:
		for n := z.FirstInLexRange(&lr); n != nil && lr.Contains(n.Member); n = n.Next() {
			doomed = append(doomed, n)
		}
	}
	for _, n := range doomed {
		z.Remove([]byte(n.Member))
	}
	z.ShrinkIndex()
	removedKey := c.zsetDeleteIfEmpty(key, z)
	if len(doomed) > 0 {
		c.db.SignalModified(key)
		c.db.Notify(keyspace.ClassZSet, event, key)
		if removedKey {
			c.db.Notify(keyspace.ClassGeneric, "del", key)
		}
	}
	c.srv.markDirty(int64(len(doomed)))
	c.w.Int(int64(len(doomed)))
}

// zrangeGeneric is ZRANGE and its variants (ZREVRANGE, Z[REV]RANGEBYSCORE,
// Z[REV]RANGEBYLEX) and ZRANGESTORE: the source key is args[src], the
// range follows it, and a kind or direction the command name fixes cannot
// be given again as an option.
func (c *Client) zrangeGeneric(args [][]byte, src int, store bool, kind int, reverse bool) {
	minIdx, maxIdx := src+1, src+2
	withScores := false
	var offset, limit int64 = 0, -1
	// only ZRANGE and ZRANGESTORE take the kind and direction as options
	directionAuto := kind == zrangeAuto
	for j := src + 3; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := args[j]; {
		case !store && isOpt(opt, "withscores"):
			withScores = true
		case isOpt(opt, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.intArg(args[j+1]); !ok {
				return
			}
			if limit, ok = c.intArg(args[j+2]); !ok {
				return
			}
			j += 2
		case directionAuto && !reverse && isOpt(opt, "rev"):
			reverse = true
		case kind == zrangeAuto && isOpt(opt, "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && isOpt(opt, "byscore"):
			kind = zrangeScore
		default:
			c.addError(errSyntax)
			return
		}
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	if limit != -1 && kind == zrangeRank {
		c.addError(errZLimitNeedsBy)
		return
	}
	if withScores && kind == zrangeLex {
		c.addError(errZLexWithScores)
		return
	}
	if reverse && kind != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr types.ScoreRange
	var lr types.LexRange
	switch kind {
	case zrangeRank:
		var ok bool
		if start, ok = c.intArg(args[minIdx]); !ok {
			return
		}
		if end, ok = c.intArg(args[maxIdx]); !ok {
			return
		}
	case zrangeScore:
		var ok bool
		if sr, ok = parseScoreRange(args[minIdx], args[maxIdx]); !ok {
			c.addError(errZMinMaxFloat)
			return
		}
	case zrangeLex:
		var ok bool
		if lr, ok = parseLexRange(args[minIdx], args[maxIdx]); !ok {
			c.addError(errZMinMaxLex)
			return
		}
	}
	z, ok := c.zsetRead(args[src])
	if !ok {
		return
	}
	var nodes []*types.ZNode
	if z != nil {
		switch kind {
		case zrangeRank:
			nodes = zrangeByRank(z, start, end, reverse)
		case zrangeScore:
			// only the end the walk starts from is searched for
			var start *types.ZNode
			switch {
			case offset > 0 && offset >= int64(z.Len()):
			case reverse:
				start = z.LastInRange(&sr)
			default:
				start = z.FirstInRange(&sr)
			}
			nodes = zrangeWalk(start, reverse, offset, limit, func(n *types.ZNode) bool {
				return sr.Contains(n.Score)
			})
		case zrangeLex:
			var start *types.ZNode
			if reverse {
				start = z.LastInLexRange(&lr)
			} else {
				start = z.FirstInLexRange(&lr)
			}
			nodes = zrangeWalk(start, reverse, offset, limit, func(n *types.ZNode) bool {
				return lr.Contains(n.Member)
			})
		}
	}
	if !store {
		c.replyNodes(nodes, withScores)
		return
	}
	lim := c.zsetLimits()
	dst := types.NewZSet(!(kind == zrangeRank && int64(len(nodes)) > lim.MaxEntries))
	for _, n := range nodes {
		dst.Add([]byte(n.Member), n.Score, 0, lim)
	}
	c.zsetStore(args[1], dst, "zrangestore")
}

func zrangeByRank(z *types.ZSet, start, end int64, reverse bool) []*types.ZNode {
	start, end, ok := rankWindow(start, end, z.Len())
	if !ok {
		return nil
	}
	nodes := make([]*types.ZNode, 0, end-start+1)
	var n *types.ZNode
	if reverse {
		n = z.ByRank(z.Len() - 1 - int(start))
	} else {
		n = z.ByRank(int(start))
	}
	for i := start; i <= end; i++ {
		nodes = append(nodes, n)
		if reverse {
			n = n.Prev()
		} else {
			n = n.Next()
		}
	}
	return nodes
}

// zrangeWalk walks from n, the first (last when reverse) node of a range,
// skips offset nodes (a negative offset skips everything, as in Redis),
// then collects up to limit nodes (negative: no limit) while inRange.
func zrangeWalk(n *types.ZNode, reverse bool, offset, limit int64, inRange func(*types.ZNode) bool) []*types.ZNode {
	step := func(n *types.ZNode) *types.ZNode {
		if reverse {
			return n.Prev()
		}
		return n.Next()
	}
	for ; n != nil && offset != 0; offset-- {
		n = step(n)
	}
	var nodes []*types.ZNode
	if n != nil && limit > 0 {
		nodes = make([]*types.ZNode, 0, min(limit, 128))
	}
	for ; n != nil && limit != 0; limit-- {
		if !inRange(n) {
			break
		}
		nodes = append(nodes, n)
		n = step(n)
	}
	return nodes
}

// Operations of zsetAlgebra.
const (
	zsetUnion = iota
	zsetInter
	zsetDiff
)

// Aggregations of ZUNION/ZINTER.
const (
	aggrSum = iota
	aggrMin
	aggrMax
)

func aggregate(target *float64, v float64, how int) {
	switch how {
	case aggrSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggrMin:
		if v < *target {
			*target = v
		}
	case aggrMax:
		if v > *target {
			*target = v
		}
	}
}

// zsetSource is one input of the set algebra: a sorted set, or a plain set
// whose members all score 1 (as Redis accepts), or neither for a missing
// key.
type zsetSource struct {
	z      *types.ZSet
	set    *types.Set
	weight float64
}

func (s zsetSource) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.set != nil:
		return s.set.Len()
	}
	return 0
}

// sameAs tells whether s and o read the same key's value.
func (s zsetSource) sameAs(o zsetSource) bool {
	return (s.z != nil && s.z == o.z) || (s.set != nil && s.set == o.set)
}

// forEach calls fn with every member and its unweighted score.
func (s zsetSource) forEach(fn func(member string, score float64)) {
	switch {
	case s.z != nil:
		for n := s.z.First(); n != nil; n = n.Next() {
			fn(n.Member, n.Score)
		}
	case s.set != nil:
		s.set.ForEach(func(m string) bool {
			fn(m, 1)
			return true
		})
	}
}

// score is member's unweighted score, if it is in s.
func (s zsetSource) score(member string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score([]byte(member))
	case s.set != nil && s.set.HasString(member):
		return 1, true
	}
	return 0, false
}

// zsetAlgebraSource looks key up for the set algebra: a sorted set or a
// set, WRONGTYPE otherwise.
func (c *Client) zsetAlgebraSource(key []byte) (zsetSource, bool) {
	src := zsetSource{weight: 1}
	e := c.db.Lookup(key)
	if e == nil {
		return src, true
	}
	switch v := e.Value.(type) {
	case *types.ZSet:
		src.z = v
	case *types.Set:
		src.set = v
	default:
		c.addError(errWrongType)
		return src, false
	}
	return src, true
}

// zsetAlgebra is ZUNION, ZINTER, ZDIFF, ZINTERCARD (cardOnly) and their
// STORE forms (dst set). As Redis, source keys are looked up (and type
// checked) before the options are parsed.
func (c *Client) zsetAlgebra(args [][]byte, dst []byte, numkeysIdx int, op int, cardOnly bool) {
	setnum, ok := c.intArg(args[numkeysIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.addError(fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", c.cmd.name))
		return
	}
	if setnum > int64(len(args)-numkeysIdx-1) {
		c.addError(errSyntax)
		return
	}
	srcs := make([]zsetSource, setnum)
	j := numkeysIdx + 1
	for i := range srcs {
		if srcs[i], ok = c.zsetAlgebraSource(args[j]); !ok {
			return
		}
		j++
	}
	how := aggrSum
	withScores := false
	var limit int64
	for j < len(args) {
		remaining := len(args) - j
		opt := args[j]
		switch {
		case op != zsetDiff && !cardOnly && remaining >= len(srcs)+1 && isOpt(opt, "weights"):
			j++
			for i := range srcs {
				w, ok := parseScore(args[j])
				if !ok {
					c.addError(errZWeightNotFloat)
					return
				}
				srcs[i].weight = w
				j++
			}
		case op != zsetDiff && !cardOnly && remaining >= 2 && isOpt(opt, "aggregate"):
			switch a := args[j+1]; {
			case isOpt(a, "sum"):
				how = aggrSum
			case isOpt(a, "min"):
				how = aggrMin
			case isOpt(a, "max"):
				how = aggrMax
			default:
				c.addError(errSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && isOpt(opt, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && isOpt(opt, "limit"):
			n, ok := parseInt(args[j+1])
			if !ok || n < 0 {
				c.addError(errLimitNegative)
				return
			}
			limit = n
			j += 2
		default:
			c.addError(errSyntax)
			return
		}
	}
	if op != zsetDiff {
		sort.SliceStable(srcs, func(a, b int) bool { return srcs[a].len() < srcs[b].len() })
	}
	result := types.NewZSet(false)
	cardinality := int64(0)
	switch op {
	case zsetInter:
		if srcs[0].len() == 0 {
			break
		}
		done := false
		srcs[0].forEach(func(member string, first float64) {
			if done {
				return
			}
			score := srcs[0].weight * first
			if math.IsNaN(score) {
				score = 0
			}
			i := 1
			for ; i < len(srcs); i++ {
				v := first
				if !srcs[i].sameAs(srcs[0]) {
					var found bool
					if v, found = srcs[i].score(member); !found {
						break
					}
				}
				aggregate(&score, v*srcs[i].weight, how)
			}
			if i < len(srcs) {
				return
			}
			if cardOnly {
				cardinality++
				done = limit > 0 && cardinality >= limit
				return
			}
			result.Insert(member, score)
		})
	case zsetUnion:
		acc := map[string]float64{}
		var order []string
		for _, s := range srcs {
			s.forEach(func(member string, v float64) {
				score := s.weight * v
				if math.IsNaN(score) {
					score = 0
				}
				if cur, found := acc[member]; found {
					aggregate(&cur, score, how)
					acc[member] = cur
				} else {
					acc[member] = score
					order = append(order, member)
				}
			})
		}
		for _, m := range order {
			result.Insert(m, acc[m])
		}
	case zsetDiff:
		srcs[0].forEach(func(member string, score float64) {
			for _, s := range srcs[1:] {
				if _, found := s.score(member); found {
					return
				}
			}
			result.Insert(member, score)
		})
	}
	switch {
	case dst != nil:
		result.ShrinkIfFits(c.zsetLimits())
		event := [...]string{"zunionstore", "zinterstore", "zdiffstore"}[op]
		c.zsetStore(dst, result, event)
	case cardOnly:
		c.w.Int(cardinality)
	default:
		nodes := make([]*types.ZNode, 0, result.Len())
		for n := result.First(); n != nil; n = n.Next() {
			nodes = append(nodes, n)
		}
		c.replyNodes(nodes, withScores)
	}
}

// zpopGeneric pops up to count members (count -1: one, plain reply) from
// the lowest (or highest, when fromMax) end of the first existing key of
// keys. Reply shapes: flat member/score list; nested pairs when nested;
// with the key first when withKey (ZMPOP nests [key, pairs]; BZPOP* is
// flat with the key first). It reports whether the key was deleted.
func (c *Client) zpopGeneric(keys [][]byte, fromMax, withKey bool, count int64, nested, nilWhenEmpty bool) bool {
	var key []byte
	var z *types.ZSet
	for _, k := range keys {
		var ok bool
		if z, ok = c.zsetWrite(k); !ok {
			return false
		}
		if z != nil {
			key = k
			break
		}
	}
	if z == nil {
		if nilWhenEmpty {
			c.w.NullArray()
		} else {
			c.w.ArrayLen(0)
		}
		return false
	}
	if count == 0 {
		c.w.ArrayLen(0)
		return false
	}
	if count == -1 {
		count = 1
	}
	n := int(min(count, int64(z.Len())))
	switch {
	case !nested && !withKey:
		c.w.ArrayLen(2 * n)
	case nested && !withKey:
		c.w.ArrayLen(n)
	case !nested && withKey:
		c.w.ArrayLen(2*n + 1)
		c.w.Bulk(key)
	default:
		c.w.ArrayLen(2)
		c.w.Bulk(key)
		c.w.ArrayLen(n)
	}
	event := "zpopmin"
	if fromMax {
		event = "zpopmax"
	}
	for i := range n {
		node := z.First()
		if fromMax {
			node = z.Last()
		}
		z.Remove([]byte(node.Member))
		c.srv.markDirty(1)
		if i == 0 {
			c.db.Notify(keyspace.ClassZSet, event, key)
			c.db.SignalModified(key)
		}
		if nested {
			c.w.ArrayLen(2)
		}
		c.w.BulkString(node.Member)
		c.w.Double(node.Score)
	}
	if c.zsetDeleteIfEmpty(key, z) {
		c.db.Notify(keyspace.ClassGeneric, "del", key)
		return true
	}
	return false
}

func (c *Client) zpopMinMax(args [][]byte, fromMax bool) {
	if len(args) > 3 {
		c.addError(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		var ok bool
		if count, ok = parseInt(args[2]); !ok || count < 0 {
			c.addError(errMustBePositive)
			return
		}
	}
	c.zpopGeneric(args[1:2], fromMax, false, count, c.w.Proto == 3 && count != -1, false)
}

func cmdZmpop(c *Client, args [][]byte) {
	keys, fromMax, count, ok := c.zmpopArgs(args, 1)
	if !ok {
		return
	}
	c.zpopGeneric(keys, fromMax, true, count, true, true)
}

// zmpopArgs parses the arguments of ZMPOP and BZMPOP from numkeys (at
// numkeysIdx) on: the keys, MIN|MAX and an optional COUNT (default 1).
func (c *Client) zmpopArgs(args [][]byte, numkeysIdx int) (keys [][]byte, fromMax bool, count int64, ok bool) {
	numkeys, ok := parseInt(args[numkeysIdx])
	if !ok || numkeys < 1 {
		c.addError(errNumkeysPositive)
		return nil, false, 0, false
	}
	if numkeys >= int64(len(args)-numkeysIdx-1) {
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	whereIdx := numkeysIdx + 1 + int(numkeys)
	switch where := args[whereIdx]; {
	case isOpt(where, "min"):
	case isOpt(where, "max"):
		fromMax = true
	default:
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && isOpt(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := parseInt(args[j])
			if !ok || n < 1 {
				c.addError(errCountPositive)
				return nil, false, 0, false
			}
			count = n
			continue
		}
		c.addError(errSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[numkeysIdx+1 : whereIdx], fromMax, count, true
}

func cmdZrandmember(c *Client, args [][]byte) {
	if len(args) == 2 {
		z, ok := c.zsetRead(args[1])
		if !ok {
			return
		}
		if z == nil {
			c.w.Null()
			return
		}
		c.w.BulkString(z.Random().Member)
		return
	}
	l, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if l == math.MinInt64 {
		c.addError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !isOpt(args[3], "withscores")) {
		c.addError(errSyntax)
		return
	}
	if len(args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.addError(errOutOfRange)
			return
		}
	}
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z == nil || l == 0 {
		c.w.ArrayLen(0)
		return
	}
	var nodes []*types.ZNode
	size := int64(z.Len())
	switch {
	case l < 0 || l == 1:
		count := l
		if count < 0 {
			count = -count
		}
		for range count {
			nodes = append(nodes, z.Random())
		}
	case l >= size:
		// Redis's set-operation iterator walks a sorted set from the top
		for n := z.Last(); n != nil; n = n.Prev() {
			nodes = append(nodes, n)
		}
	case l*3 > size:
		for n := z.First(); n != nil; n = n.Next() {
			nodes = append(nodes, n)
		}
		rand.Shuffle(len(nodes), func(a, b int) { nodes[a], nodes[b] = nodes[b], nodes[a] })
		nodes = nodes[:l]
	default:
		picked := map[*types.ZNode]bool{}
		for int64(len(nodes)) < l {
			n := z.Random()
			if !picked[n] {
				picked[n] = true
				nodes = append(nodes, n)
			}
		}
	}
	c.replyNodes(nodes, withScores)
}

func cmdZscan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.addError(errInvalidScanCursor)
		return
	}
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z == nil {
		c.replyEmptyScan()
		return
	}
	opts, ok := c.parseScanOptions(args[3:], false)
	if !ok {
		return
	}
	var nodes []*types.ZNode
	if z.IsListpack() {
		// a compact set is returned whole in one call, as Redis does
		for n := z.First(); n != nil; n = n.Next() {
			nodes = append(nodes, n)
		}
		cursor = 0
	} else {
		// a member and its score are two items, as in Redis
		cursor = scanTable(cursor, opts.count*2, func(cur uint64) uint64 {
			return z.Scan(cur, func(n *types.ZNode) { nodes = append(nodes, n) })
		}, func() int { return 2 * len(nodes) })
	}
	kept := nodes[:0]
	for _, n := range nodes {
		if opts.pattern == nil || glob.Match(opts.pattern, []byte(n.Member), false) {
			kept = append(kept, n)
		}
	}
	c.w.ArrayLen(2)
	c.w.BulkInt(int64(cursor))
	c.w.ArrayLen(2 * len(kept))
	var buf []byte
	for _, n := range kept {
		c.w.BulkString(n.Member)
		buf = resp.AppendDouble(buf[:0], n.Score)
		c.w.Bulk(buf)
	}
}
