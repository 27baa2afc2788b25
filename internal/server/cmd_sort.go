// cmd_sort.go holds SORT and SORT_RO as Redis 7.0's sort.c behaves: the
// options are parsed before the key is looked up (so syntax errors win over
// WRONGTYPE), a BY pattern without "*" skips sorting (lists and sorted sets
// keep their order, a set is sorted ALPHA when stored, so the stored result
// is deterministic), LIMIT is clamped rather than refused, weights that do
// not parse as doubles fail the whole command after sorting, and elements
// with equal weights are ordered by their bytes in numeric mode, while ALPHA
// keeps them in input order (glibc's qsort is a stable merge sort). The
// result is a reply or, with STORE, a list.
package server

import (
	"bytes"
	"sort"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("sort", func(c *Client, args [][]byte) { c.sortGeneric(args, false) })
	register("sort_ro", func(c *Client, args [][]byte) { c.sortGeneric(args, true) })
}

const errSortScores = "ERR One or more scores can't be converted into double"

// sortElement is one element to sort with its weight: score in numeric
// mode, cmp (nil: no weight key) in ALPHA mode with BY.
type sortElement struct {
	elem  []byte
	score float64
	cmp   []byte
}

// cString is b as C's string functions see it: up to the first NUL.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// hasStar tells whether a pattern substitutes the element (C's strchr).
func hasStar(pattern []byte) bool { return bytes.IndexByte(cString(pattern), '*') >= 0 }

// lookupByPattern resolves a BY or GET pattern for elem: "#" is elem
// itself, the first "*" is replaced by elem, and "->field" after it reads
// a hash field instead of a string. Missing keys, values of another type
// and patterns without "*" give nil.
func (c *Client) lookupByPattern(pattern, elem []byte) []byte {
	if len(cString(pattern)) == 1 && pattern[0] == '#' {
		return elem
	}
	star := bytes.IndexByte(cString(pattern), '*')
	if star < 0 {
		return nil
	}
	postfix := pattern[star+1:]
	var field []byte
	if f := bytes.Index(cString(postfix), []byte("->")); f >= 0 && f+2 < len(postfix) && postfix[f+2] != 0 {
		field = postfix[f+2:]
		postfix = postfix[:f]
	}
	key := make([]byte, 0, star+len(elem)+len(postfix))
	key = append(append(append(key, pattern[:star]...), elem...), postfix...)
	e := c.db.Lookup(key)
	if e == nil {
		return nil
	}
	if field != nil {
		h, ok := e.Value.(*types.Hash)
		if !ok {
			return nil
		}
		v, found := h.Get(field)
		if !found {
			return nil
		}
		return v
	}
	s, ok := e.Value.(*types.String)
	if !ok {
		return nil
	}
	return s.B
}

// sortOptions are SORT's parsed arguments.
type sortOptions struct {
	desc, alpha, dontsort  bool
	limitStart, limitCount int64
	by, store              []byte
	gets                   [][]byte
}

// parseSortOptions parses the options from args[2] on, replying the error
// itself when they are invalid.
func (c *Client) parseSortOptions(args [][]byte, readonly bool) (sortOptions, bool) {
	o := sortOptions{limitCount: -1}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := args[j]; {
		case equalFoldASCII(opt, "asc"):
			o.desc = false
		case equalFoldASCII(opt, "desc"):
			o.desc = true
		case equalFoldASCII(opt, "alpha"):
			o.alpha = true
		case equalFoldASCII(opt, "limit") && left >= 2:
			start, ok := c.intArg(args[j+1])
			if !ok {
				return o, false
			}
			count, ok := c.intArg(args[j+2])
			if !ok {
				return o, false
			}
			o.limitStart, o.limitCount = start, count
			j += 2
		case !readonly && equalFoldASCII(opt, "store") && left >= 1:
			o.store = args[j+1]
			j++
		case equalFoldASCII(opt, "by") && left >= 1:
			o.by = args[j+1]
			// a constant pattern disables sorting even if a later BY has a "*"
			o.dontsort = o.dontsort || !hasStar(o.by)
			j++
		case equalFoldASCII(opt, "get") && left >= 1:
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			c.addError(errSyntax)
			return o, false
		}
	}
	return o, true
}

func (c *Client) sortGeneric(args [][]byte, readonly bool) {
	o, ok := c.parseSortOptions(args, readonly)
	if !ok {
		return
	}
	var value keyspace.Value = types.NewList()
	if e := c.db.Lookup(args[1]); e != nil {
		switch e.Value.(type) {
		case *types.List, *types.Set, *types.ZSet:
			value = e.Value
		default:
			c.addError(errWrongType)
			return
		}
	}
	_, isSet := value.(*types.Set)
	if o.dontsort && isSet && o.store != nil {
		// a stored result must not depend on the set's internal order
		o.dontsort, o.alpha, o.by = false, true, nil
	}
	z, isZSet := value.(*types.ZSet)
	if isZSet {
		// Redis converts the sorted set for good before sorting it
		z.ConvertToSkiplist()
	}
	var length int64
	switch v := value.(type) {
	case *types.List:
		length = int64(v.Len())
	case *types.Set:
		length = int64(v.Len())
	case *types.ZSet:
		length = int64(v.Len())
	}

	start := min(max(o.limitStart, 0), length)
	count := min(max(o.limitCount, -1), length)
	end := length - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= length {
		start, end = length-1, length-2
	}
	end = min(end, length-1)

	elems := c.sortLoad(value, &o, start, end)
	if o.dontsort && !isSet {
		// the load took the LIMIT window already
		end -= start
		start = 0
	}

	conversionError := false
	if !o.dontsort {
		for i := range elems {
			el := &elems[i]
			weight := el.elem
			if o.by != nil {
				if weight = c.lookupByPattern(o.by, el.elem); weight == nil {
					continue
				}
			}
			if o.alpha {
				if o.by != nil {
					el.cmp = weight
				}
				continue
			}
			f, outOfRange, ok := strtod(cString(weight))
			if !ok || outOfRange {
				conversionError = true
			}
			el.score = f
		}
		sort.SliceStable(elems, func(a, b int) bool {
			return sortCompare(&elems[a], &elems[b], &o) < 0
		})
	}

	window := max(end-start+1, 0)
	if window == 0 {
		start = 0 // an empty key gives start -1
	}
	outputLen := window
	if len(o.gets) > 0 {
		outputLen *= int64(len(o.gets))
	}
	switch {
	case conversionError:
		c.addError(errSortScores)
	case o.store == nil:
		c.w.ArrayLen(int(outputLen))
		for _, el := range elems[start : start+window] {
			if len(o.gets) == 0 {
				c.w.Bulk(el.elem)
			}
			for _, g := range o.gets {
				if v := c.lookupByPattern(g, el.elem); v != nil {
					c.w.Bulk(v)
				} else {
					c.w.Null()
				}
			}
		}
	default:
		c.sortStore(o, elems[start:start+window], outputLen)
	}
}

// sortLoad collects the elements to sort. With nothing to sort, lists and
// sorted sets give only the LIMIT window, in their order (reversed by DESC).
func (c *Client) sortLoad(value keyspace.Value, o *sortOptions, start, end int64) []sortElement {
	var elems []sortElement
	add := func(b []byte) { elems = append(elems, sortElement{elem: b}) }
	switch v := value.(type) {
	case *types.List:
		if !o.dontsort {
			for i := range v.Len() {
				add(v.At(i))
			}
			break
		}
		for i := start; i <= end; i++ {
			if o.desc {
				add(v.At(v.Len() - 1 - int(i)))
			} else {
				add(v.At(int(i)))
			}
		}
	case *types.Set:
		v.ForEach(func(m string) bool {
			add([]byte(m))
			return true
		})
	case *types.ZSet:
		if !o.dontsort {
			// Redis walks its member dictionary here; the order only
			// matters for ALPHA ties
			for n := v.First(); n != nil; n = n.Next() {
				add([]byte(n.Member))
			}
			break
		}
		for i := start; i <= end; i++ {
			rank := i
			if o.desc {
				rank = int64(v.Len()) - 1 - i
			}
			add([]byte(v.ByRank(int(rank)).Member))
		}
	}
	return elems
}

// sortCompare orders two elements as Redis's sortCompare: numeric weights
// with ties broken by the elements' bytes, or ALPHA (strcoll, which in the
// C locale compares bytes up to a NUL; plain bytes when storing), with
// missing BY weights first.
func sortCompare(a, b *sortElement, o *sortOptions) int {
	var cmp int
	switch {
	case !o.alpha:
		switch {
		case a.score > b.score:
			cmp = 1
		case a.score < b.score:
			cmp = -1
		default:
			cmp = bytes.Compare(a.elem, b.elem)
		}
	case o.by != nil:
		switch {
		case a.cmp == nil || b.cmp == nil:
			if a.cmp == nil && b.cmp != nil {
				cmp = -1
			} else if a.cmp != nil {
				cmp = 1
			}
		case o.store != nil:
			cmp = bytes.Compare(a.cmp, b.cmp)
		default:
			cmp = bytes.Compare(cString(a.cmp), cString(b.cmp))
		}
	case o.store != nil:
		cmp = bytes.Compare(a.elem, b.elem)
	default:
		cmp = bytes.Compare(cString(a.elem), cString(b.elem))
	}
	if o.desc {
		return -cmp
	}
	return cmp
}

// sortStore replaces o.store with the result as a list (GET values missing
// become empty strings), or deletes it for an empty result, and replies
// with the result's length.
func (c *Client) sortStore(o sortOptions, elems []sortElement, outputLen int64) {
	l := types.NewList()
	for _, el := range elems {
		// PushTail copies, so the result never aliases the source values
		if len(o.gets) == 0 {
			l.PushTail(el.elem)
		}
		for _, g := range o.gets {
			l.PushTail(c.lookupByPattern(g, el.elem))
		}
	}
	if outputLen > 0 {
		c.db.Set(o.store, l, false)
		c.db.SignalModified(o.store)
		c.db.Notify(keyspace.ClassList, "sortstore", o.store)
		c.srv.markDirty(outputLen)
	} else if c.db.Delete(o.store) {
		c.db.SignalModified(o.store)
		c.db.Notify(keyspace.ClassGeneric, "del", o.store)
		c.srv.markDirty(1)
	}
	c.w.Int(outputLen)
}
