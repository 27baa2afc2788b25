// zset.go holds the sorted set: a skip list ordered by (score, member
// bytewise) whose nodes carry spans, so ranks are found in O(log n), plus a
// member index for O(1) score lookups. The index (zset_index.go) chains the
// nodes themselves in keyspace.Dict's table shape, so that ZSCAN gets the
// same reverse-binary cursor guarantee as SCAN and ZRANDMEMBER samples
// buckets as Redis does. Redis keeps small sets in a listpack; here
// the structure is always the skip list and only the reported encoding
// follows Redis's conversion rules (listpack until a threshold is crossed,
// then skiplist forever).
package types

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"unsafe"

	"github.com/redoubt/redoubt/internal/keyspace"
)

// zslMaxLevel bounds node heights (enough for 2^64 elements with p=1/4).
const zslMaxLevel = 32

// ZNode is one member of a sorted set, linked in score order and, through
// next, in its set's member index. Its levels follow it in the same
// allocation (see newZNode), so a node carries no slice header and a
// level-1 node fits the 64-byte size class. Only newZNode makes nodes: a
// ZNode value on its own has no levels to reach.
type ZNode struct {
	Member   string
	Score    float64
	backward *ZNode
	next     *ZNode // member-index chain
	levels   uint8  // number of zslLevel after the node
	fp       uint8  // member hash fingerprint for the index
}

type zslLevel struct {
	forward *ZNode
	span    int
}

// lvl is the node's level i (i < levels). The levels are the array field
// that follows the ZNode in the typed allocation made by newZNode, so the
// pointer stays inside one object the GC knows the layout of.
func (n *ZNode) lvl(i int) *zslLevel {
	return (*zslLevel)(unsafe.Add(unsafe.Pointer(n), unsafe.Sizeof(ZNode{})+uintptr(i)*unsafe.Sizeof(zslLevel{})))
}

// Next is the following node in ascending order, or nil.
func (n *ZNode) Next() *ZNode { return n.lvl(0).forward }

// Prev is the preceding node in ascending order, or nil.
func (n *ZNode) Prev() *ZNode { return n.backward }

// sortsBefore tells whether n sorts strictly before (score, member).
func sortsBefore(n *ZNode, score float64, member string) bool {
	return n.Score < score || (n.Score == score && n.Member < member)
}

// znodeWith is a node with its L (an array of zslLevel) right after it.
type znodeWith[L any] struct {
	n ZNode
	l L
}

func allocZNode[L any]() *ZNode { return &new(znodeWith[L]).n }

// zalloc[k] allocates a node of height k.
var zalloc = [zslMaxLevel + 1]func() *ZNode{nil,
	allocZNode[[1]zslLevel], allocZNode[[2]zslLevel], allocZNode[[3]zslLevel], allocZNode[[4]zslLevel],
	allocZNode[[5]zslLevel], allocZNode[[6]zslLevel], allocZNode[[7]zslLevel], allocZNode[[8]zslLevel],
	allocZNode[[9]zslLevel], allocZNode[[10]zslLevel], allocZNode[[11]zslLevel], allocZNode[[12]zslLevel],
	allocZNode[[13]zslLevel], allocZNode[[14]zslLevel], allocZNode[[15]zslLevel], allocZNode[[16]zslLevel],
	allocZNode[[17]zslLevel], allocZNode[[18]zslLevel], allocZNode[[19]zslLevel], allocZNode[[20]zslLevel],
	allocZNode[[21]zslLevel], allocZNode[[22]zslLevel], allocZNode[[23]zslLevel], allocZNode[[24]zslLevel],
	allocZNode[[25]zslLevel], allocZNode[[26]zslLevel], allocZNode[[27]zslLevel], allocZNode[[28]zslLevel],
	allocZNode[[29]zslLevel], allocZNode[[30]zslLevel], allocZNode[[31]zslLevel], allocZNode[[32]zslLevel],
}

// newZNode allocates a node of the given height, its levels included.
func newZNode(level int) *ZNode {
	var n *ZNode
	if level == 1 {
		n = allocZNode[[1]zslLevel]() // three nodes in four: no indirect call
	} else {
		n = zalloc[level]()
	}
	n.levels = uint8(level)
	return n
}

type skiplist struct {
	header *ZNode
	tail   *ZNode
	length int
	level  int
}

func (zsl *skiplist) init() {
	zsl.header = newZNode(zslMaxLevel)
	zsl.level = 1
}

// randomLevel draws a height with P(level > k) = 4^-k, as Redis.
func randomLevel() int {
	level := 1
	for level < zslMaxLevel && rand.Uint32()&0xFFFF < 0xFFFF/4 {
		level++
	}
	return level
}

// insert links a new node; the caller has checked member is absent.
func (zsl *skiplist) insert(score float64, member string) *ZNode {
	x := newZNode(randomLevel())
	x.Member, x.Score = member, score
	zsl.link(x)
	return x
}

// link puts x, unlinked, at the place of its (Score, Member), keeping its
// height.
func (zsl *skiplist) link(x *ZNode) {
	var update [zslMaxLevel]*ZNode
	var rank [zslMaxLevel]int
	score, member := x.Score, x.Member
	y := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i < zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for l := y.lvl(i); l.forward != nil && sortsBefore(l.forward, score, member); l = y.lvl(i) {
			rank[i] += l.span
			y = l.forward
		}
		update[i] = y
	}
	level := int(x.levels)
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].lvl(i).span = zsl.length
		}
		zsl.level = level
	}
	for i := range level {
		xl, ul := x.lvl(i), update[i].lvl(i)
		xl.forward = ul.forward
		ul.forward = x
		xl.span = ul.span - (rank[0] - rank[i])
		ul.span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].lvl(i).span++
	}
	x.backward = nil
	if update[0] != zsl.header {
		x.backward = update[0]
	}
	if f := x.lvl(0).forward; f != nil {
		f.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
}

// unlink takes node x, which is in the list, out of it.
func (zsl *skiplist) unlink(x *ZNode) {
	var update [zslMaxLevel]*ZNode
	score, member := x.Score, x.Member
	y := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for l := y.lvl(i); l.forward != nil && sortsBefore(l.forward, score, member); l = y.lvl(i) {
			y = l.forward
		}
		update[i] = y
	}
	for i := 0; i < zsl.level; i++ {
		ul := update[i].lvl(i)
		if ul.forward == x {
			xl := x.lvl(i)
			ul.span += xl.span - 1
			ul.forward = xl.forward
		} else {
			ul.span--
		}
	}
	if f := x.lvl(0).forward; f != nil {
		f.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.lvl(zsl.level-1).forward == nil {
		zsl.level--
	}
	zsl.length--
}

// rank is the 1-based position of (score, member), 0 when absent.
func (zsl *skiplist) rank(score float64, member string) int {
	rank := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.lvl(i).forward; f != nil && (f.Score < score || (f.Score == score && f.Member <= member)); f = x.lvl(i).forward {
			rank += x.lvl(i).span
			x = f
		}
		if x != zsl.header && x.Member == member {
			return rank
		}
	}
	return 0
}

// byRank returns the node at 1-based rank, or nil.
func (zsl *skiplist) byRank(rank int) *ZNode {
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.lvl(i).forward != nil && traversed+x.lvl(i).span <= rank {
			traversed += x.lvl(i).span
			x = x.lvl(i).forward
		}
		if traversed == rank {
			return x
		}
	}
	return nil
}

// ScoreRange is a score interval; Min/Max are exclusive when MinEx/MaxEx.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

func (r *ScoreRange) gteMin(v float64) bool {
	if r.MinEx {
		return v > r.Min
	}
	return v >= r.Min
}

func (r *ScoreRange) lteMax(v float64) bool {
	if r.MaxEx {
		return v < r.Max
	}
	return v <= r.Max
}

// Contains tells whether v is inside the interval.
func (r *ScoreRange) Contains(v float64) bool { return r.gteMin(v) && r.lteMax(v) }

// LexBound is one end of a lexicographic range: "-" (Inf -1), "+" (Inf 1),
// or a member, inclusive "[m" or exclusive "(m".
type LexBound struct {
	Value string
	Inf   int8
	Ex    bool
}

// LexRange is a lexicographic interval of members.
type LexRange struct{ Min, Max LexBound }

// cmpBounds orders two bounds, "-" below everything and "+" above.
func cmpBounds(a, b LexBound) int {
	switch {
	case a.Inf == b.Inf && a.Inf != 0:
		return 0
	case a.Inf == -1 || b.Inf == 1:
		return -1
	case a.Inf == 1 || b.Inf == -1:
		return 1
	}
	return strings.Compare(a.Value, b.Value)
}

func (r *LexRange) gteMin(v string) bool {
	c := cmpBounds(LexBound{Value: v}, r.Min)
	if r.Min.Ex {
		return c > 0
	}
	return c >= 0
}

func (r *LexRange) lteMax(v string) bool {
	c := cmpBounds(LexBound{Value: v}, r.Max)
	if r.Max.Ex {
		return c < 0
	}
	return c <= 0
}

// Contains tells whether member v is inside the interval.
func (r *LexRange) Contains(v string) bool { return r.gteMin(v) && r.lteMax(v) }

// ZSet is a sorted set value.
type ZSet struct {
	members  zindex // member -> node, chained through the nodes
	zsl      skiplist
	listpack bool
}

// ZSetLimits are zset-max-listpack-entries and zset-max-listpack-value.
type ZSetLimits struct{ MaxEntries, MaxValue int64 }

// NewZSet returns an empty sorted set, reported as listpack-encoded when
// listpack is true.
func NewZSet(listpack bool) *ZSet {
	z := &ZSet{listpack: listpack}
	z.members.init()
	z.zsl.init()
	return z
}

// NewZSetFor returns an empty set with the encoding Redis picks for a new
// key whose first member is firstMember bytes long.
func NewZSetFor(firstMember int, lim ZSetLimits) *ZSet {
	return NewZSet(lim.MaxEntries != 0 && int64(firstMember) <= lim.MaxValue)
}

func (*ZSet) Kind() keyspace.Kind { return keyspace.KindZSet }

func (z *ZSet) Encoding() string {
	if z.listpack {
		return "listpack"
	}
	return "skiplist"
}

// Dup returns an independent copy with the same encoding.
func (z *ZSet) Dup() keyspace.Value {
	d := NewZSet(z.listpack)
	d.members.expand(z.Len())
	for n := z.First(); n != nil; n = n.Next() {
		d.Insert(n.Member, n.Score)
	}
	return d
}

// IsListpack tells whether the set still reports the compact encoding.
func (z *ZSet) IsListpack() bool { return z.listpack }

// ConvertToSkiplist switches the reported encoding for good.
func (z *ZSet) ConvertToSkiplist() { z.listpack = false }

// ShrinkIfFits reports the compact encoding when a freshly built set is
// within the limits (Redis's zsetConvertToListpackIfNeeded for results of
// ZUNIONSTORE and friends).
func (z *ZSet) ShrinkIfFits(lim ZSetLimits) {
	if int64(z.Len()) > lim.MaxEntries {
		return
	}
	for n := z.First(); n != nil; n = n.Next() {
		if int64(len(n.Member)) > lim.MaxValue {
			return
		}
	}
	z.listpack = true
	for n := z.First(); n != nil; n = n.Next() {
		n.Score = z.listpackScore(n.Score)
	}
}

// Len is the number of members.
func (z *ZSet) Len() int { return z.zsl.length }

func (z *ZSet) node(member []byte) *ZNode { return z.members.find(member) }

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	n := z.node(member)
	if n == nil {
		return 0, false
	}
	return n.Score, true
}

// listpackScore is what a listpack gives back for score: Redis stores the
// text "-0" there, which the listpack turns into the integer 0.
func (z *ZSet) listpackScore(score float64) float64 {
	if z.listpack && score == 0 {
		return 0
	}
	return score
}

// Insert adds a member known to be absent.
func (z *ZSet) Insert(member string, score float64) {
	score = z.listpackScore(score)
	z.members.add(z.zsl.insert(score, member))
}

// Remove deletes member and reports whether it was there.
func (z *ZSet) Remove(member []byte) bool {
	n := z.members.remove(member)
	if n == nil {
		return false
	}
	z.zsl.unlink(n)
	return true
}

// Flags of Add (ZADD's options).
const (
	ZAddNX = 1 << iota
	ZAddXX
	ZAddGT
	ZAddLT
	ZAddIncr
)

// Outcomes of Add.
const (
	ZAddNop = iota
	ZAddAdded
	ZAddUpdated
	ZAddUnchanged // member present, score kept (counts as processed)
	ZAddNaN
)

// Add is ZADD for one pair: it inserts or updates member under flags and
// returns the outcome and the member's resulting score. A new member that
// does not fit the listpack limits converts the set to skiplist first.
func (z *ZSet) Add(member []byte, score float64, flags int, lim ZSetLimits) (int, float64) {
	if math.IsNaN(score) {
		return ZAddNaN, 0
	}
	if n := z.members.find(member); n != nil {
		if flags&ZAddNX != 0 {
			return ZAddNop, 0
		}
		cur := n.Score
		if flags&ZAddIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return ZAddNaN, 0
			}
		}
		if (flags&ZAddLT != 0 && score >= cur) || (flags&ZAddGT != 0 && score <= cur) {
			return ZAddNop, 0
		}
		if score == cur {
			return ZAddUnchanged, score
		}
		newScore := z.listpackScore(score)
		// As Redis's zslUpdateScore: when the node stays between its
		// neighbours, only the score changes.
		if (n.backward == nil || sortsBefore(n.backward, newScore, n.Member)) &&
			(n.Next() == nil || !sortsBefore(n.Next(), newScore, n.Member)) {
			n.Score = newScore
			return ZAddUpdated, score
		}
		// the node moves, keeping its height and its place in the index
		z.zsl.unlink(n)
		n.Score = newScore
		z.zsl.link(n)
		return ZAddUpdated, score
	}
	if flags&ZAddXX != 0 {
		return ZAddNop, 0
	}
	if z.listpack && (int64(z.Len())+1 > lim.MaxEntries || int64(len(member)) > lim.MaxValue) {
		z.listpack = false
	}
	z.Insert(string(member), score)
	return ZAddAdded, score
}

// Rank is member's 0-based position, counted from the end when reverse.
func (z *ZSet) Rank(member []byte, reverse bool) (int, bool) {
	n := z.node(member)
	if n == nil {
		return 0, false
	}
	r := z.zsl.rank(n.Score, n.Member)
	if reverse {
		return z.Len() - r, true
	}
	return r - 1, true
}

// NodeRank is the 0-based position of a node of this set.
func (z *ZSet) NodeRank(n *ZNode) int { return z.zsl.rank(n.Score, n.Member) - 1 }

// ByRank returns the node at 0-based position i, or nil.
func (z *ZSet) ByRank(i int) *ZNode {
	if i < 0 || i >= z.Len() {
		return nil
	}
	return z.zsl.byRank(i + 1)
}

// First is the lowest node, or nil when empty.
func (z *ZSet) First() *ZNode { return z.zsl.header.lvl(0).forward }

// Last is the highest node, or nil when empty.
func (z *ZSet) Last() *ZNode { return z.zsl.tail }

// FirstInRange is the lowest node inside r, or nil.
func (z *ZSet) FirstInRange(r *ScoreRange) *ZNode {
	if r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx)) {
		return nil
	}
	x := z.zsl.header
	for i := z.zsl.level - 1; i >= 0; i-- {
		for f := x.lvl(i).forward; f != nil && !r.gteMin(f.Score); f = x.lvl(i).forward {
			x = f
		}
	}
	x = x.lvl(0).forward
	if x == nil || !r.lteMax(x.Score) {
		return nil
	}
	return x
}

// LastInRange is the highest node inside r, or nil.
func (z *ZSet) LastInRange(r *ScoreRange) *ZNode {
	if r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx)) {
		return nil
	}
	x := z.zsl.header
	for i := z.zsl.level - 1; i >= 0; i-- {
		for f := x.lvl(i).forward; f != nil && r.lteMax(f.Score); f = x.lvl(i).forward {
			x = f
		}
	}
	if x == z.zsl.header || !r.gteMin(x.Score) {
		return nil
	}
	return x
}

// lexRangeMisses tells whether no member can be inside r. As Redis, it
// trusts the extremes: when scores differ, members are not in lex order and
// a range can miss members that would match it.
func (z *ZSet) lexRangeMisses(r *LexRange) bool {
	c := cmpBounds(r.Min, r.Max)
	if c > 0 || (c == 0 && (r.Min.Ex || r.Max.Ex)) {
		return true
	}
	first, last := z.First(), z.Last()
	return last == nil || !r.gteMin(last.Member) || !r.lteMax(first.Member)
}

// FirstInLexRange is the lowest node whose member is inside r, or nil.
func (z *ZSet) FirstInLexRange(r *LexRange) *ZNode {
	if z.lexRangeMisses(r) {
		return nil
	}
	x := z.zsl.header
	for i := z.zsl.level - 1; i >= 0; i-- {
		for f := x.lvl(i).forward; f != nil && !r.gteMin(f.Member); f = x.lvl(i).forward {
			x = f
		}
	}
	x = x.lvl(0).forward
	if x == nil || !r.lteMax(x.Member) {
		return nil
	}
	return x
}

// LastInLexRange is the highest node whose member is inside r, or nil.
func (z *ZSet) LastInLexRange(r *LexRange) *ZNode {
	if z.lexRangeMisses(r) {
		return nil
	}
	x := z.zsl.header
	for i := z.zsl.level - 1; i >= 0; i-- {
		for f := x.lvl(i).forward; f != nil && r.lteMax(f.Member); f = x.lvl(i).forward {
			x = f
		}
	}
	if x == z.zsl.header || !r.gteMin(x.Member) {
		return nil
	}
	return x
}

// Scan visits the members at cursor with SCAN's reverse-binary cursor and
// returns the next cursor (0 when done).
func (z *ZSet) Scan(cursor uint64, fn func(n *ZNode)) uint64 {
	return z.members.scan(cursor, fn)
}

// Random returns a random member, or nil when empty.
func (z *ZSet) Random() *ZNode {
	return z.members.random()
}

// ShrinkIndex lets the member index give back memory after mass removals.
func (z *ZSet) ShrinkIndex() { z.members.shrinkIfNeeded() }

// Memory accounting in Redis's terms, for MEMORY USAGE and maxmemory: a
// listpack holds each member and its score (as d2string writes it, so
// integral scores take listpack's integer encodings); a skiplist is the
// zset, skiplist and dict headers, the bucket array, a 32-level header
// node, and per member its sds, a dict entry and a node of its height.
const (
	zsetBytes         = 16
	zskiplistBytes    = 32
	zslNodeBytes      = 24 // member pointer, score, backward
	zslLevelBytes     = 16 // forward, span
	zslHeaderLevels   = 32
	lpHeaderEndMarker = 7
)

// MemoryUsage estimates the bytes Redis would use, sampling up to samples
// members (all of them when samples is 0).
func (z *ZSet) MemoryUsage(samples int) int64 {
	if z.listpack {
		size := int64(lpHeaderEndMarker)
		var buf []byte
		for n := z.First(); n != nil; n = n.Next() {
			buf = appendD2String(buf[:0], n.Score)
			size += lpEntryBytes([]byte(n.Member)) + lpEntryBytes(buf)
		}
		return robjBytes + allocBytes(size)
	}
	size := int64(robjBytes+zsetBytes+zskiplistBytes+dictBytes) + 8*int64(z.members.buckets()) +
		allocBytes(zslNodeBytes+zslHeaderLevels*zslLevelBytes)
	var sum int64
	seen := 0
	for n := z.First(); n != nil && (samples == 0 || seen < samples); n = n.Next() {
		sum += sdsBytes(len(n.Member)) + dictEntryBytes + allocBytes(zslNodeBytes+int64(n.levels)*zslLevelBytes)
		seen++
	}
	if seen > 0 {
		size += sum * int64(z.Len()) / int64(seen)
	}
	return size
}

// appendD2String formats a score as Redis's d2string: integral values of
// magnitude below 2^52 as integers, others with %.17g.
func appendD2String(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	case f > -4503599627370495 && f < 4503599627370496 && f == math.Trunc(f):
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
