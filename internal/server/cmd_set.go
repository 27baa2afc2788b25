// cmd_set.go holds the set commands. They follow Redis 7.0's t_set.c in
// the details a client can observe: which lookups happen in which order
// (so the first applicable error wins), the encoding of every set they
// create (results start as intsets, so all-integer results come out
// sorted), the keyspace events and their order, and the strategies SPOP
// and SDIFF pick, which decide the encoding a key ends up with.
package server

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/redoubt/redoubt/internal/glob"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("sadd", cmdSadd)
	register("srem", cmdSrem)
	register("scard", cmdScard)
	register("sismember", cmdSismember)
	register("smismember", cmdSmismember)
	register("smembers", cmdSinter)
	register("srandmember", cmdSrandmember)
	register("spop", cmdSpop)
	register("smove", cmdSmove)
	register("sinter", cmdSinter)
	register("sintercard", cmdSintercard)
	register("sinterstore", cmdSinterstore)
	register("sunion", cmdSunion)
	register("sunionstore", cmdSunionstore)
	register("sdiff", cmdSdiff)
	register("sdiffstore", cmdSdiffstore)
	register("sscan", cmdSscan)
}

// Strategy thresholds of SPOP and SRANDMEMBER with a count: past these
// ratios Redis builds the answer from the other side (the members that
// stay), which changes the encoding SPOP leaves behind.
const (
	spopMoveStrategyMul       = 5
	srandmemberSubStrategyMul = 3
)

// setValue returns e's value as a set, or replies WRONGTYPE.
func (c *Client) setValue(e *keyspace.Entry) (*types.Set, bool) {
	return valueAs[*types.Set](c, e)
}

// maxIntsetEntries is set-max-intset-entries.
func (c *Client) maxIntsetEntries() int64 { return c.srv.cfg.SetMaxIntsetEntries }

// replyMembers writes members as a set reply (an array in RESP2).
func (c *Client) replyMembers(members []string) {
	c.w.SetLen(len(members))
	for _, m := range members {
		c.w.BulkString(m)
	}
}

func cmdSadd(c *Client, args [][]byte) {
	key := args[1]
	var set *types.Set
	if e := c.db.LookupNoStats(key); e != nil {
		var ok bool
		if set, ok = c.setValue(e); !ok {
			return
		}
	} else {
		set = types.NewSetFor(args[2])
		c.db.Add(key, set)
	}
	added := 0
	for _, m := range args[2:] {
		if set.Add(m, c.maxIntsetEntries()) {
			added++
		}
	}
	if added > 0 {
		c.db.SignalModified(key)
		c.db.Notify(keyspace.ClassSet, "sadd", key)
	}
	c.srv.markDirty(int64(added))
	c.w.Int(int64(added))
}

func cmdSrem(c *Client, args [][]byte) {
	key := args[1]
	e := c.db.LookupNoStats(key)
	if e == nil {
		c.w.Int(0)
		return
	}
	set, ok := c.setValue(e)
	if !ok {
		return
	}
	deleted, keyRemoved := 0, false
	for _, m := range args[2:] {
		if set.Remove(m) {
			deleted++
			if set.Len() == 0 {
				c.db.Delete(key)
				keyRemoved = true
				break
			}
		}
	}
	if deleted > 0 {
		c.db.SignalModified(key)
		c.db.Notify(keyspace.ClassSet, "srem", key)
		if keyRemoved {
			c.db.Notify(keyspace.ClassGeneric, "del", key)
		}
		c.srv.markDirty(int64(deleted))
	}
	c.w.Int(int64(deleted))
}

func cmdSmove(c *Client, args [][]byte) {
	srcKey, dstKey, member := args[1], args[2], args[3]
	srcEntry := c.db.LookupNoStats(srcKey)
	dstEntry := c.db.LookupNoStats(dstKey)
	if srcEntry == nil {
		c.w.Int(0)
		return
	}
	src, ok := c.setValue(srcEntry)
	if !ok {
		return
	}
	var dst *types.Set
	if dstEntry != nil {
		if dst, ok = c.setValue(dstEntry); !ok {
			return
		}
	}
	if src == dst {
		c.w.Int(boolInt(src.Has(member)))
		return
	}
	if !src.Remove(member) {
		c.w.Int(0)
		return
	}
	c.db.Notify(keyspace.ClassSet, "srem", srcKey)
	if src.Len() == 0 {
		c.db.Delete(srcKey)
		c.db.Notify(keyspace.ClassGeneric, "del", srcKey)
	}
	if dst == nil {
		dst = types.NewSetFor(member)
		c.db.Add(dstKey, dst)
	}
	c.db.SignalModified(srcKey)
	c.srv.markDirty(1)
	if dst.Add(member, c.maxIntsetEntries()) {
		c.srv.markDirty(1)
		c.db.SignalModified(dstKey)
		c.db.Notify(keyspace.ClassSet, "sadd", dstKey)
	}
	c.w.Int(1)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// readSet looks key up for reading: nil without a reply when missing,
// ok false after a WRONGTYPE reply.
func (c *Client) readSet(key []byte) (set *types.Set, ok bool) {
	e := c.db.Lookup(key)
	if e == nil {
		return nil, true
	}
	return c.setValue(e)
}

func cmdSismember(c *Client, args [][]byte) {
	set, ok := c.readSet(args[1])
	if !ok {
		return
	}
	c.w.Int(boolInt(set != nil && set.Has(args[2])))
}

func cmdSmismember(c *Client, args [][]byte) {
	set, ok := c.readSet(args[1])
	if !ok {
		return
	}
	c.w.ArrayLen(len(args) - 2)
	for _, m := range args[2:] {
		c.w.Int(boolInt(set != nil && set.Has(m)))
	}
}

func cmdScard(c *Client, args [][]byte) {
	set, ok := c.readSet(args[1])
	if !ok {
		return
	}
	if set == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(set.Len()))
}

func cmdSpop(c *Client, args [][]byte) {
	switch {
	case len(args) == 3:
		spopWithCount(c, args[1], args[2])
		return
	case len(args) > 3:
		c.addError(errSyntax)
		return
	}
	key := args[1]
	e := c.db.LookupNoStats(key)
	if e == nil {
		c.w.Null()
		return
	}
	set, ok := c.setValue(e)
	if !ok {
		return
	}
	member := set.Pop()
	c.db.Notify(keyspace.ClassSet, "spop", key)
	c.w.BulkString(member)
	c.rewritePropagation(argSrem, key, []byte(member))
	if set.Len() == 0 {
		c.db.Delete(key)
		c.db.Notify(keyspace.ClassGeneric, "del", key)
	}
	c.db.SignalModified(key)
	c.srv.markDirty(1)
}

// spopWithCount is SPOP key count. Redis propagates it as SREMs (or a DEL
// when the whole set goes); the popped members are known here for that.
func spopWithCount(c *Client, key, countArg []byte) {
	n, ok := parseInt(countArg)
	if !ok || n < 0 {
		c.addError(errMustBePositive)
		return
	}
	count := int(min(n, math.MaxInt))
	e := c.db.LookupNoStats(key)
	if e == nil {
		c.w.SetLen(0)
		return
	}
	set, ok := c.setValue(e)
	if !ok {
		return
	}
	if count == 0 {
		c.w.SetLen(0)
		return
	}
	size := set.Len()
	c.db.Notify(keyspace.ClassSet, "spop", key)
	c.srv.markDirty(int64(min(count, size)))

	if count >= size {
		// Redis answers with a union of the one set, which is why an
		// all-integer hashtable set comes out sorted here
		c.setUnionDiff([][]byte{key}, nil, setOpUnion)
		c.db.Delete(key)
		c.db.Notify(keyspace.ClassGeneric, "del", key)
		c.db.SignalModified(key)
		c.propagateAsDel(key, c.srv.cfg.LazyfreeServerDel)
		return
	}

	// propagated as SREMs of what was popped
	popped := make([][]byte, 0, count)
	remaining := size - count
	if remaining*spopMoveStrategyMul > count {
		c.w.SetLen(count)
		for range count {
			m := set.Pop()
			c.w.BulkString(m)
			popped = append(popped, []byte(m))
		}
	} else {
		// pick the members that stay into a new set and answer the rest
		kept := (*types.Set)(nil)
		for range remaining {
			m := []byte(set.Pop())
			if kept == nil {
				kept = types.NewSetFor(m)
			}
			kept.Add(m, c.maxIntsetEntries())
		}
		members := set.Members()
		c.replyMembers(members)
		for _, m := range members {
			popped = append(popped, []byte(m))
		}
		set.ReplaceWith(kept)
	}
	c.db.SignalModified(key)
	c.propagateInBatches(argSrem, key, popped)
}

func cmdSrandmember(c *Client, args [][]byte) {
	switch {
	case len(args) == 3:
		srandmemberWithCount(c, args[1], args[2])
		return
	case len(args) > 3:
		c.addError(errSyntax)
		return
	}
	set, ok := c.readSet(args[1])
	if !ok {
		return
	}
	if set == nil {
		c.w.Null()
		return
	}
	c.w.BulkString(set.Random())
}

func srandmemberWithCount(c *Client, key, countArg []byte) {
	n, ok := c.intArg(countArg)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.addError(fmt.Sprintf("ERR value is out of range, value must between %d and %d", -math.MaxInt64, int64(math.MaxInt64)))
		return
	}
	unique := n >= 0
	if n < 0 {
		n = -n
	}
	set, ok := c.readSet(key)
	if !ok {
		return
	}
	if set == nil || n == 0 {
		c.w.ArrayLen(0)
		return
	}
	size := int64(set.Len())

	if !unique || n == 1 {
		// repetitions allowed: independent draws
		c.w.ArrayLen(int(n))
		for range n {
			c.w.BulkString(set.Random())
		}
		return
	}
	if n >= size {
		c.replyArray(set.Members())
		return
	}
	count := int(n)
	var picked []string
	if n*srandmemberSubStrategyMul > size {
		// close to the whole set: drop random members until count remain
		picked = set.Members()
		for len(picked) > count {
			i := rand.IntN(len(picked))
			picked[i] = picked[len(picked)-1]
			picked = picked[:len(picked)-1]
		}
	} else {
		seen := make(map[string]struct{}, count)
		for len(picked) < count {
			m := set.Random()
			if _, dup := seen[m]; !dup {
				seen[m] = struct{}{}
				picked = append(picked, m)
			}
		}
	}
	c.replyArray(picked)
}

// replyArray writes members as a plain array in both protocols.
func (c *Client) replyArray(members []string) {
	c.w.ArrayLen(len(members))
	for _, m := range members {
		c.w.BulkString(m)
	}
}

// lookupSets looks every key up for reading, in order; a missing key is a
// nil set. It reports false after replying WRONGTYPE.
func (c *Client) lookupSets(keys [][]byte) ([]*types.Set, bool) {
	sets := make([]*types.Set, len(keys))
	for i, k := range keys {
		set, ok := c.readSet(k)
		if !ok {
			return nil, false
		}
		sets[i] = set
	}
	return sets, true
}

// storeSetResult stores a computed set at dst (or deletes dst when the
// result is empty) and replies its size, with the events of event.
func (c *Client) storeSetResult(dst []byte, result *types.Set, event string) {
	if result.Len() > 0 {
		// setKey's lookup reclaims an expired destination first
		c.db.LookupNoStats(dst)
		c.db.Set(dst, result, false)
		c.db.SignalModified(dst)
		c.w.Int(int64(result.Len()))
		c.db.Notify(keyspace.ClassSet, event, dst)
		c.srv.markDirty(1)
		return
	}
	c.w.Int(0)
	if c.db.Delete(dst) {
		c.srv.markDirty(1)
		c.db.SignalModified(dst)
		c.db.Notify(keyspace.ClassGeneric, "del", dst)
	}
}

// setInter is SINTER, SMEMBERS, SINTERSTORE (dst set) and SINTERCARD
// (cardOnly, stopping at limit when it is not 0).
func (c *Client) setInter(keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, ok := c.lookupSets(keys)
	if !ok {
		return
	}
	for _, s := range sets {
		if s == nil {
			switch {
			case dst != nil:
				if c.db.Delete(dst) {
					c.db.SignalModified(dst)
					c.db.Notify(keyspace.ClassGeneric, "del", dst)
					c.srv.markDirty(1)
				}
				c.w.Int(0)
			case cardOnly:
				c.w.Int(0)
			default:
				c.w.SetLen(0)
			}
			return
		}
	}
	// smallest first: fewer membership tests, and the smallest set's
	// iteration order is the reply's order, as in Redis
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Len() < sets[j].Len() })

	var result *types.Set
	if dst != nil {
		result = types.NewIntset()
	}
	var members []string
	var card int64
	sets[0].ForEach(func(m string) bool {
		for _, other := range sets[1:] {
			if other != sets[0] && !other.HasString(m) {
				return true
			}
		}
		switch {
		case cardOnly:
			card++
			return limit == 0 || card < limit
		case dst != nil:
			result.Add([]byte(m), c.maxIntsetEntries())
		default:
			members = append(members, m)
		}
		return true
	})
	switch {
	case cardOnly:
		c.w.Int(card)
	case dst != nil:
		c.storeSetResult(dst, result, "sinterstore")
	default:
		c.replyMembers(members)
	}
}

func cmdSinter(c *Client, args [][]byte) { c.setInter(args[1:], nil, false, 0) }

func cmdSinterstore(c *Client, args [][]byte) { c.setInter(args[2:], args[1], false, 0) }

func cmdSintercard(c *Client, args [][]byte) {
	numkeys, ok := parseInt(args[1])
	if !ok || numkeys < 1 {
		c.addError(errNumkeysPositive)
		return
	}
	if numkeys > int64(len(args)-2) {
		c.addError(errNumkeysTooMany)
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(args); j++ {
		if isOpt(args[j], "limit") && j+1 < len(args) {
			j++
			n, ok := parseInt(args[j])
			if !ok || n < 0 {
				c.addError(errLimitNegative)
				return
			}
			limit = n
			continue
		}
		c.addError(errSyntax)
		return
	}
	c.setInter(args[2:2+numkeys], nil, true, limit)
}

// Set operations of setUnionDiff.
const (
	setOpUnion = iota
	setOpDiff
)

// setUnionDiff is SUNION, SDIFF and their STORE forms (dst set). The
// result is built as Redis builds it, starting from an intset, and SDIFF
// picks between Redis's two algorithms by the same cost estimate, because
// the algorithm decides the encoding a stored result gets.
func (c *Client) setUnionDiff(keys [][]byte, dst []byte, op int) {
	sets, ok := c.lookupSets(keys)
	if !ok {
		return
	}
	sameSet := false
	for _, s := range sets[1:] {
		if s != nil && s == sets[0] {
			sameSet = true
		}
	}
	maxIntset := c.maxIntsetEntries()
	result := types.NewIntset()
	card := 0
	switch {
	case op == setOpUnion:
		for _, s := range sets {
			if s == nil {
				continue
			}
			s.ForEach(func(m string) bool {
				if result.Add([]byte(m), maxIntset) {
					card++
				}
				return true
			})
		}
	case sameSet || sets[0] == nil:
		// a set minus itself, or nothing to subtract from: empty
	case diffByLookups(sets):
		sets[0].ForEach(func(m string) bool {
			for _, other := range sets[1:] {
				if other != nil && other.HasString(m) {
					return true
				}
			}
			result.Add([]byte(m), maxIntset)
			card++
			return true
		})
	default:
		for i, s := range sets {
			if s == nil {
				continue
			}
			s.ForEach(func(m string) bool {
				if i == 0 {
					if result.Add([]byte(m), maxIntset) {
						card++
					}
				} else if result.Remove([]byte(m)) {
					card--
				}
				return true
			})
			if card == 0 {
				break
			}
		}
	}
	if dst == nil {
		c.replyMembers(result.Members())
		return
	}
	event := "sunionstore"
	if op == setOpDiff {
		event = "sdiffstore"
	}
	c.storeSetResult(dst, result, event)
}

// diffByLookups tells whether SDIFF should test each member of the first
// set against the others (Redis's algorithm 1) rather than copy the first
// set and remove the others' members (algorithm 2): Redis's estimate, with
// the first algorithm's work halved for its better constants.
func diffByLookups(sets []*types.Set) bool {
	var lookupWork, copyWork int64
	for _, s := range sets {
		if s == nil {
			continue
		}
		lookupWork += int64(sets[0].Len())
		copyWork += int64(s.Len())
	}
	return lookupWork/2 <= copyWork
}

func cmdSunion(c *Client, args [][]byte) { c.setUnionDiff(args[1:], nil, setOpUnion) }

func cmdSunionstore(c *Client, args [][]byte) { c.setUnionDiff(args[2:], args[1], setOpUnion) }

func cmdSdiff(c *Client, args [][]byte) { c.setUnionDiff(args[1:], nil, setOpDiff) }

func cmdSdiffstore(c *Client, args [][]byte) { c.setUnionDiff(args[2:], args[1], setOpDiff) }

func cmdSscan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.addError(errInvalidScanCursor)
		return
	}
	set, ok := c.readSet(args[1])
	if !ok {
		return
	}
	if set == nil {
		c.replyEmptyScan()
		return
	}
	opts, ok := c.parseScanOptions(args[3:], false)
	if !ok {
		return
	}
	var members []string
	if set.IsIntset() {
		// small encodings are returned whole, ending the iteration
		members = set.Members()
		cursor = 0
	} else {
		cursor = scanTable(cursor, opts.count, func(cur uint64) uint64 {
			return set.Scan(cur, func(m string) { members = append(members, m) })
		}, func() int { return len(members) })
	}
	if opts.pattern != nil {
		kept := members[:0]
		for _, m := range members {
			if glob.Match(opts.pattern, []byte(m), false) {
				kept = append(kept, m)
			}
		}
		members = kept
	}
	c.w.ArrayLen(2)
	c.w.BulkInt(int64(cursor))
	c.replyArray(members)
}
