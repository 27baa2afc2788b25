package server

import (
	"fmt"
	"slices"
	"sort"
	"strconv"

	"testing"

	"github.com/redoubt/redoubt/internal/types"
)

// FuzzStream drives XADD, XDEL, XTRIM, XRANGE, XREVRANGE, XLEN and the
// consumer group commands (XGROUP CREATE/DESTROY, XREADGROUP, XACK,
// XPENDING) with random sequences and checks every reply against a model:
// a slice of entries per key and, per group, a last-delivered ID and a
// map of pending IDs to consumers. Nodes hold at most 4 entries or 48
// bytes, so entries keep crossing node boundaries and nodes keep being
// emptied and dropped.

type fzEntry struct {
	id types.StreamID
	fv []string
}

type fzGroup struct {
	last      types.StreamID
	pel       map[types.StreamID]string // pending ID -> consumer
	consumers map[string]bool
}

type fzStream struct {
	entries []fzEntry
	last    types.StreamID // last ID ever added
	groups  map[string]*fzGroup
}

var (
	fuzzStreamKeys   = []string{"s", "t", "w"}
	fuzzStreamFields = []string{"f", "g", "name"}
	fuzzStreamValues = []string{"1", "v", "", "a-longer-stream-value", "-7"}
	fuzzStreamGroups = []string{"g1", "g2"}
	fuzzConsumers    = []string{"alice", "bob"}
)

func fzEntryReply(e fzEntry) any { return []any{e.id.String(), strs(e.fv)} }

func fzEntriesReply(es []fzEntry) any {
	out := make([]any, 0, len(es))
	for _, e := range es {
		out = append(out, fzEntryReply(e))
	}
	return out
}

func (m *fzStream) find(id types.StreamID) int {
	i := sort.Search(len(m.entries), func(i int) bool { return !m.entries[i].id.Less(id) })
	if i < len(m.entries) && m.entries[i].id == id {
		return i
	}
	return -1
}

// fzID picks an ID near the stream's last one: mostly small ms steps and
// sequences, so adds, deletes and range bounds hit existing entries.
func fzID(r *fuzzOps, m *fzStream) types.StreamID {
	var base uint64
	if m != nil {
		base = m.last.Ms
	}
	ms := base + uint64(r.n(3))
	if d := uint64(r.n(6)); d <= ms {
		ms -= d
	}
	return types.StreamID{Ms: ms, Seq: uint64(r.n(4))}
}

// fzBound returns a range bound's text and the inclusive ID it means, or
// ok false when Redis rejects it (an exclusive bound that cannot move).
func fzBound(r *fuzzOps, m *fzStream, start bool) (string, types.StreamID, bool) {
	switch r.n(6) {
	case 0:
		if start {
			return "-", types.StreamID{}, true
		}
		return "+", types.MaxStreamID, true
	case 1: // a bare ms: -0 as a start, -max as an end
		id := fzID(r, m)
		if start {
			return strconv.FormatUint(id.Ms, 10), types.StreamID{Ms: id.Ms}, true
		}
		return strconv.FormatUint(id.Ms, 10), types.StreamID{Ms: id.Ms, Seq: ^uint64(0)}, true
	case 2: // exclusive
		id := fzID(r, m)
		var in types.StreamID
		var ok bool
		if start {
			in, ok = id.Incr()
		} else {
			in, ok = id.Decr()
		}
		return "(" + id.String(), in, ok
	}
	id := fzID(r, m)
	return id.String(), id, true
}

func FuzzStream(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t)
		h.c.srv.cfg.StreamNodeMaxEntries = 4
		h.c.srv.cfg.StreamNodeMaxBytes = 48
		h.expect(fuzzOK, "SET", "w", "str")
		model := map[string]*fzStream{}
		r := &fuzzOps{b: data}
		for ops := 0; r.more(ops); ops++ {
			key := r.pick(fuzzStreamKeys)
			wrong := key == "w"
			m := model[key]
			switch r.n(16) {
			case 0, 1, 2, 3: // XADD [NOMKSTREAM] [MAXLEN n] id field value ...
				args := []string{"XADD", key}
				nomk := r.n(8) == 0
				if nomk {
					args = append(args, "NOMKSTREAM")
				}
				maxlen := -1
				if r.n(6) == 0 {
					maxlen = r.n(6)
					args = append(args, "MAXLEN", strconv.Itoa(maxlen))
				}
				var last types.StreamID
				if m != nil {
					last = m.last
				}
				id := fzID(r, m)
				var idArg string
				var want, early any // early: an argument error, before the key is read
				switch r.n(8) {
				case 0: // ms-*
					idArg = strconv.FormatUint(id.Ms, 10) + "-*"
					switch {
					case id.Ms == last.Ms:
						id.Seq = last.Seq + 1
					case id.Ms > last.Ms:
						id.Seq = 0
					default:
						want = fuzzErr(errXaddSmallID)
					}
				default:
					idArg = id.String()
					switch {
					case id.IsZero():
						early = fuzzErr(errXaddZeroID)
					case !last.Less(id):
						want = fuzzErr(errXaddSmallID)
					}
				}
				args = append(args, idArg)
				fv := []string{}
				if r.n(3) > 0 {
					fv = append(fv, "f", r.pick(fuzzStreamValues))
				} else {
					for range 1 + r.n(3) {
						fv = append(fv, r.pick(fuzzStreamFields), r.pick(fuzzStreamValues))
					}
				}
				args = append(args, fv...)
				switch {
				case early != nil:
					h.expect(early, args...)
					continue
				case wrong:
					h.expect(fuzzWrongType, args...)
					continue
				case m == nil && nomk:
					h.expect(fuzzNullBulk{}, args...)
					continue
				case want != nil:
					h.expect(want, args...)
					continue
				}
				if m == nil {
					m = &fzStream{groups: map[string]*fzGroup{}}
					model[key] = m
				}
				m.entries = append(m.entries, fzEntry{id, fv})
				m.last = id
				if maxlen >= 0 && len(m.entries) > maxlen {
					m.entries = slices.Clone(m.entries[len(m.entries)-maxlen:])
				}
				h.expect(id.String(), args...)
			case 4, 5: // XDEL
				args := []string{"XDEL", key}
				ids := map[types.StreamID]bool{}
				for range 1 + r.n(3) {
					var id types.StreamID
					if m != nil && len(m.entries) > 0 && r.n(2) == 0 {
						id = m.entries[r.n(len(m.entries))].id
					} else {
						id = fzID(r, m)
					}
					ids[id] = true
					args = append(args, id.String())
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				n := 0
				if m != nil {
					for id := range ids {
						if i := m.find(id); i >= 0 {
							m.entries = slices.Delete(m.entries, i, i+1)
							n++
						}
					}
				}
				h.expect(int64(n), args...)
			case 6: // XTRIM MAXLEN|MINID [=] threshold
				args := []string{"XTRIM", key}
				byID := r.n(2) == 0
				var minID types.StreamID
				maxLen := 0
				if byID {
					minID = fzID(r, m)
					args = append(args, "MINID", minID.String())
				} else {
					maxLen = r.n(8)
					args = append(args, "MAXLEN", strconv.Itoa(maxLen))
				}
				if r.n(2) == 0 {
					args = slices.Insert(args, 3, "=")
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				n := 0
				if m != nil {
					keep := 0
					if byID {
						for keep < len(m.entries) && m.entries[keep].id.Less(minID) {
							keep++
						}
					} else {
						keep = max(len(m.entries)-maxLen, 0)
					}
					n = keep
					m.entries = slices.Clone(m.entries[keep:])
				}
				h.expect(int64(n), args...)
			case 7, 8: // XRANGE / XREVRANGE [COUNT n]
				rev := r.n(2) == 0
				sArg, lo, okS := fzBound(r, m, true)
				eArg, hi, okE := fzBound(r, m, false)
				args := []string{"XRANGE", key, sArg, eArg}
				if rev {
					args = []string{"XREVRANGE", key, eArg, sArg}
				}
				count := -1
				if r.n(3) == 0 {
					count = r.n(4)
					args = append(args, "COUNT", strconv.Itoa(count))
				}
				switch {
				case !okS:
					h.expect(fuzzErr("ERR invalid start ID for the interval"), args...)
					continue
				case !okE:
					h.expect(fuzzErr("ERR invalid end ID for the interval"), args...)
					continue
				case wrong:
					h.expect(fuzzWrongType, args...)
					continue
				}
				var got []fzEntry
				if m != nil {
					for _, e := range m.entries {
						if !e.id.Less(lo) && !hi.Less(e.id) {
							got = append(got, e)
						}
					}
				}
				if rev {
					slices.Reverse(got)
				}
				if count == 0 && m != nil {
					// Redis answers COUNT 0 on an existing stream with a null array
					h.expect(fuzzNullArray{}, args...)
					continue
				}
				if count >= 0 && len(got) > count {
					got = got[:count]
				}
				h.expect(fzEntriesReply(got), args...)
			case 9: // XLEN
				if wrong {
					h.expect(fuzzWrongType, "XLEN", key)
					continue
				}
				n := 0
				if m != nil {
					n = len(m.entries)
				}
				h.expect(int64(n), "XLEN", key)
			case 10: // XGROUP CREATE key group id|$ [MKSTREAM]
				g := r.pick(fuzzStreamGroups)
				args := []string{"XGROUP", "CREATE", key, g}
				var start types.StreamID
				if r.n(2) == 0 {
					args = append(args, "$")
					if m != nil {
						start = m.last
					}
				} else {
					start = fzID(r, m)
					args = append(args, start.String())
				}
				mk := r.n(2) == 0
				if mk {
					args = append(args, "MKSTREAM")
				}
				switch {
				case wrong:
					h.expect(fuzzWrongType, args...)
					continue
				case m == nil && !mk:
					h.expect(fuzzErr("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."), args...)
					continue
				case m != nil && m.groups[g] != nil:
					h.expect(fuzzErr("BUSYGROUP Consumer Group name already exists"), args...)
					continue
				}
				if m == nil {
					m = &fzStream{groups: map[string]*fzGroup{}}
					model[key] = m
				}
				m.groups[g] = &fzGroup{last: start, pel: map[types.StreamID]string{}, consumers: map[string]bool{}}
				h.expect(fuzzOK, args...)
			case 11: // XGROUP DESTROY
				g := r.pick(fuzzStreamGroups)
				args := []string{"XGROUP", "DESTROY", key, g}
				switch {
				case wrong:
					h.expect(fuzzWrongType, args...)
				case m == nil:
					h.expect(fuzzErr("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."), args...)
				case m.groups[g] == nil:
					h.expect(int64(0), args...)
				default:
					delete(m.groups, g)
					h.expect(int64(1), args...)
				}
			case 12, 13: // XREADGROUP GROUP g c COUNT n STREAMS key >|0
				g, c := r.pick(fuzzStreamGroups), r.pick(fuzzConsumers)
				count := 1 + r.n(4)
				history := r.n(3) == 0
				from := ">"
				if history {
					from = "0"
				}
				args := []string{"XREADGROUP", "GROUP", g, c, "COUNT", strconv.Itoa(count), "STREAMS", key, from}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				var grp *fzGroup
				if m != nil {
					grp = m.groups[g]
				}
				if grp == nil {
					h.expect(fuzzErr(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", key, g)), args...)
					continue
				}
				grp.consumers[c] = true
				if history {
					var ids []types.StreamID
					for id, owner := range grp.pel {
						if owner == c {
							ids = append(ids, id)
						}
					}
					slices.SortFunc(ids, func(a, b types.StreamID) int { return a.Cmp(b) })
					if len(ids) > count {
						ids = ids[:count]
					}
					out := []any{}
					for _, id := range ids {
						if i := m.find(id); i >= 0 {
							out = append(out, fzEntryReply(m.entries[i]))
						} else {
							out = append(out, []any{id.String(), fuzzNullArray{}})
						}
					}
					h.expect([]any{[]any{key, out}}, args...)
					continue
				}
				var got []fzEntry
				for _, e := range m.entries {
					if grp.last.Less(e.id) && len(got) < count {
						got = append(got, e)
					}
				}
				if len(got) == 0 {
					h.expect(fuzzNullArray{}, args...)
					continue
				}
				for _, e := range got {
					grp.pel[e.id] = c
				}
				grp.last = got[len(got)-1].id
				h.expect([]any{[]any{key, fzEntriesReply(got)}}, args...)
			case 14: // XACK
				g := r.pick(fuzzStreamGroups)
				args := []string{"XACK", key, g}
				ids := map[types.StreamID]bool{}
				for range 1 + r.n(3) {
					id := fzID(r, m)
					ids[id] = true
					args = append(args, id.String())
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				n := 0
				if m != nil && m.groups[g] != nil {
					for id := range ids {
						if _, ok := m.groups[g].pel[id]; ok {
							delete(m.groups[g].pel, id)
							n++
						}
					}
				}
				h.expect(int64(n), args...)
			case 15: // XPENDING key group (summary)
				g := r.pick(fuzzStreamGroups)
				args := []string{"XPENDING", key, g}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				if m == nil || m.groups[g] == nil {
					h.expect(fuzzErr(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'", key, g)), args...)
					continue
				}
				pel := m.groups[g].pel
				if len(pel) == 0 {
					h.expect([]any{int64(0), fuzzNullBulk{}, fuzzNullBulk{}, fuzzNullArray{}}, args...)
					continue
				}
				var ids []types.StreamID
				per := map[string]int{}
				for id, c := range pel {
					ids = append(ids, id)
					per[c]++
				}
				slices.SortFunc(ids, func(a, b types.StreamID) int { return a.Cmp(b) })
				cs := []any{}
				for _, c := range fuzzConsumers { // already in name order
					if per[c] > 0 {
						cs = append(cs, []any{c, strconv.Itoa(per[c])})
					}
				}
				h.expect([]any{int64(len(pel)), ids[0].String(), ids[len(ids)-1].String(), cs}, args...)
			}
		}
		for key, m := range model {
			h.expect(int64(len(m.entries)), "XLEN", key)
			h.expect(fzEntriesReply(m.entries), "XRANGE", key, "-", "+")
			rev := slices.Clone(m.entries)
			slices.Reverse(rev)
			h.expect(fzEntriesReply(rev), "XREVRANGE", key, "+", "-")
		}
	})
}
