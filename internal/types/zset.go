// zset.go holds the sorted set: a skip list ordered by (score, member
// bytewise) whose nodes carry spans, so ranks are found in O(log n), plus a
// member index for O(1) score lookups. The index is a keyspace.Dict so that
// ZSCAN gets the same reverse-binary cursor guarantee as SCAN and ZRANDMEMBER
// samples buckets as Redis does. Redis keeps small sets in a listpack; here
// the structure is always the skip list and only the reported encoding
// follows Redis's conversion rules (listpack until a threshold is crossed,
// then skiplist forever).
package types

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/redoubt/redoubt/internal/keyspace"
)

// zslMaxLevel bounds node heights (enough for 2^64 elements with p=1/4).
const zslMaxLevel = 32

// ZNode is one member of a sorted set, linked in score order.
type ZNode struct {
	Member   string
	Score    float64
	backward *ZNode
	level    []zslLevel
}

type zslLevel struct {
	forward *ZNode
	span    int
}

// Next is the following node in ascending order, or nil.
func (n *ZNode) Next() *ZNode { return n.level[0].forward }

// Prev is the preceding node in ascending order, or nil.
func (n *ZNode) Prev() *ZNode { return n.backward }

// A ZNode is stored as the value of its member-index entry; these methods
// only make it fit keyspace.Value, it is never a key's value.
func (*ZNode) Kind() keyspace.Kind   { return keyspace.KindZSet }
func (*ZNode) Encoding() string      { return "" }
func (n *ZNode) Dup() keyspace.Value { return &ZNode{Member: n.Member, Score: n.Score} }

// sortsBefore tells whether n sorts strictly before (score, member).
func sortsBefore(n *ZNode, score float64, member string) bool {
	return n.Score < score || (n.Score == score && n.Member < member)
}

type skiplist struct {
	header *ZNode
	tail   *ZNode
	length int
	level  int
}

func newSkiplist() *skiplist {
	return &skiplist{header: &ZNode{level: make([]zslLevel, zslMaxLevel)}, level: 1}
}

// newZNode allocates a node with its level array in the same allocation
// for the usual heights (level <= 4 for 99.6% of nodes), so a traversal
// step reads one object rather than a node and its separate level array.
func newZNode(level int, score float64, member string) *ZNode {
	var n *ZNode
	switch level {
	case 1:
		p := &struct {
			n ZNode
			l [1]zslLevel
		}{}
		p.n.level = p.l[:]
		n = &p.n
	case 2:
		p := &struct {
			n ZNode
			l [2]zslLevel
		}{}
		p.n.level = p.l[:]
		n = &p.n
	case 3:
		p := &struct {
			n ZNode
			l [3]zslLevel
		}{}
		p.n.level = p.l[:]
		n = &p.n
	case 4:
		p := &struct {
			n ZNode
			l [4]zslLevel
		}{}
		p.n.level = p.l[:]
		n = &p.n
	default:
		n = &ZNode{level: make([]zslLevel, level)}
	}
	n.Member, n.Score = member, score
	return n
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
	var update [zslMaxLevel]*ZNode
	var rank [zslMaxLevel]int
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i < zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for f := x.level[i].forward; f != nil && sortsBefore(f, score, member); f = x.level[i].forward {
			rank[i] += x.level[i].span
			x = f
		}
		update[i] = x
	}
	level := randomLevel()
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].level[i].span = zsl.length
		}
		zsl.level = level
	}
	x = newZNode(level, score, member)
	for i := range level {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != zsl.header {
		x.backward = update[0]
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
	return x
}

// delete unlinks the node holding (score, member) and reports whether it existed.
func (zsl *skiplist) delete(score float64, member string) bool {
	var update [zslMaxLevel]*ZNode
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && sortsBefore(f, score, member); f = x.level[i].forward {
			x = f
		}
		update[i] = x
	}
	x = x.level[0].forward
	if x == nil || x.Score != score || x.Member != member {
		return false
	}
	for i := 0; i < zsl.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.level[zsl.level-1].forward == nil {
		zsl.level--
	}
	zsl.length--
	return true
}

// rank is the 1-based position of (score, member), 0 when absent.
func (zsl *skiplist) rank(score float64, member string) int {
	rank := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && (f.Score < score || (f.Score == score && f.Member <= member)); f = x.level[i].forward {
			rank += x.level[i].span
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
		for x.level[i].forward != nil && traversed+x.level[i].span <= rank {
			traversed += x.level[i].span
			x = x.level[i].forward
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
	members  *keyspace.Dict // member -> *ZNode
	zsl      *skiplist
	listpack bool
}

// ZSetLimits are zset-max-listpack-entries and zset-max-listpack-value.
type ZSetLimits struct{ MaxEntries, MaxValue int64 }

// NewZSet returns an empty sorted set, reported as listpack-encoded when
// listpack is true.
func NewZSet(listpack bool) *ZSet {
	return &ZSet{members: keyspace.NewDict(), zsl: newSkiplist(), listpack: listpack}
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

func (z *ZSet) node(member []byte) *ZNode {
	e := z.members.Find(member)
	if e == nil {
		return nil
	}
	return e.Value.(*ZNode)
}

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
	n := z.zsl.insert(score, member)
	z.members.Add(&keyspace.Entry{Key: member, Value: n})
}

// Remove deletes member and reports whether it was there.
func (z *ZSet) Remove(member []byte) bool {
	e := z.members.Delete(member)
	if e == nil {
		return false
	}
	n := e.Value.(*ZNode)
	z.zsl.delete(n.Score, n.Member)
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
	if e := z.members.Find(member); e != nil {
		n := e.Value.(*ZNode)
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
			(n.level[0].forward == nil || !sortsBefore(n.level[0].forward, newScore, n.Member)) {
			n.Score = newScore
			return ZAddUpdated, score
		}
		z.zsl.delete(cur, n.Member)
		e.Value = z.zsl.insert(newScore, n.Member)
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
func (z *ZSet) First() *ZNode { return z.zsl.header.level[0].forward }

// Last is the highest node, or nil when empty.
func (z *ZSet) Last() *ZNode { return z.zsl.tail }

// FirstInRange is the lowest node inside r, or nil.
func (z *ZSet) FirstInRange(r *ScoreRange) *ZNode {
	if r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx)) {
		return nil
	}
	x := z.zsl.header
	for i := z.zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !r.gteMin(f.Score); f = x.level[i].forward {
			x = f
		}
	}
	x = x.level[0].forward
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
		for f := x.level[i].forward; f != nil && r.lteMax(f.Score); f = x.level[i].forward {
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
		for f := x.level[i].forward; f != nil && !r.gteMin(f.Member); f = x.level[i].forward {
			x = f
		}
	}
	x = x.level[0].forward
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
		for f := x.level[i].forward; f != nil && r.lteMax(f.Member); f = x.level[i].forward {
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
	return z.members.Scan(cursor, func(e *keyspace.Entry) { fn(e.Value.(*ZNode)) })
}

// Random returns a random member, or nil when empty.
func (z *ZSet) Random() *ZNode {
	e := z.members.Random()
	if e == nil {
		return nil
	}
	return e.Value.(*ZNode)
}

// ShrinkIndex lets the member index give back memory after mass removals.
func (z *ZSet) ShrinkIndex() { z.members.ShrinkIfNeeded() }
