// fuzz_types_test.go drives each data type's command handlers with random
// command sequences through the real dispatch and checks every reply, and
// the final contents, against a plain Go model of the type. Small encoding
// thresholds make the compact encodings convert mid-sequence, so a
// conversion that loses or reorders data shows up as a reply mismatch.
package server

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/resp"
)

// Reply values as the tiny decoder below produces them and the models
// predict them: bulk strings are string, simple strings fuzzSimple,
// errors fuzzErr, integers int64, arrays []any.
type (
	fuzzSimple    string
	fuzzErr       string
	fuzzNullBulk  struct{}
	fuzzNullArray struct{}
)

const fuzzWrongType = fuzzErr("WRONGTYPE Operation against a key holding the wrong kind of value")

var fuzzOK = fuzzSimple("OK")

// decodeFuzzReply parses one RESP2 reply from b, returning the rest.
func decodeFuzzReply(b []byte) (any, []byte, error) {
	i := bytes.Index(b, []byte("\r\n"))
	if len(b) == 0 || i < 0 {
		return nil, nil, errors.New("truncated reply")
	}
	line, rest := string(b[1:i]), b[i+2:]
	switch b[0] {
	case '+':
		return fuzzSimple(line), rest, nil
	case '-':
		return fuzzErr(line), rest, nil
	case ':':
		n, err := strconv.ParseInt(line, 10, 64)
		return n, rest, err
	case '$':
		n, err := strconv.Atoi(line)
		if err != nil {
			return nil, nil, err
		}
		if n < 0 {
			return fuzzNullBulk{}, rest, nil
		}
		if len(rest) < n+2 || string(rest[n:n+2]) != "\r\n" {
			return nil, nil, errors.New("bad bulk length")
		}
		return string(rest[:n]), rest[n+2:], nil
	case '*':
		n, err := strconv.Atoi(line)
		if err != nil {
			return nil, nil, err
		}
		if n < 0 {
			return fuzzNullArray{}, rest, nil
		}
		arr := make([]any, 0, n)
		for range n {
			var v any
			if v, rest, err = decodeFuzzReply(rest); err != nil {
				return nil, nil, err
			}
			arr = append(arr, v)
		}
		return arr, rest, nil
	}
	return nil, nil, fmt.Errorf("unknown reply type %q", b[0])
}

// fuzzHarness runs commands on a fresh server whose encoding thresholds
// are small, keeping the command history for failure messages.
type fuzzHarness struct {
	t       *testing.T
	c       *Client
	history []string
}

func newFuzzHarness(t *testing.T) *fuzzHarness {
	c := newSmallEncodingClient()
	t.Cleanup(c.srv.mu.Unlock)
	return &fuzzHarness{t: t, c: c}
}

// newSmallEncodingClient is a client of a new server, locked, whose
// compact encodings convert after a few elements, so that small inputs
// reach both encodings of every type.
func newSmallEncodingClient() *Client {
	cfg := config.Default()
	cfg.HashMaxListpackEntries = 4
	cfg.HashMaxListpackValue = 8
	cfg.ZsetMaxListpackEntries = 4
	cfg.ZsetMaxListpackValue = 8
	cfg.SetMaxIntsetEntries = 4
	cfg.ListMaxListpackSize = 4
	s := New(cfg)
	s.mu.Lock()
	return &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), db: s.ks.DBs[0], authenticated: true, user: "default"}
}

func (h *fuzzHarness) do(args ...string) any {
	h.t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	h.history = append(h.history, strconv.Quote(strings.Join(args, " ")))
	h.c.w.Reset()
	h.c.processCommand(argv)
	v, rest, err := decodeFuzzReply(h.c.w.Buf)
	if err != nil || len(rest) != 0 {
		h.fail("undecodable reply %q: %v", h.c.w.Buf, err)
	}
	return v
}

func (h *fuzzHarness) fail(format string, a ...any) {
	h.t.Helper()
	hist := h.history
	if len(hist) > 40 {
		hist = hist[len(hist)-40:]
	}
	h.t.Fatalf("%s\nlast commands:\n  %s", fmt.Sprintf(format, a...), strings.Join(hist, "\n  "))
}

// expect runs a command and compares its reply with want.
func (h *fuzzHarness) expect(want any, args ...string) {
	h.t.Helper()
	if got := h.do(args...); !reflect.DeepEqual(got, want) {
		h.fail("%v: got %#v, want %#v", args, got, want)
	}
}

// expectSorted compares an array reply with want ignoring order.
func (h *fuzzHarness) expectSorted(want []string, args ...string) {
	h.t.Helper()
	got, ok := h.do(args...).([]any)
	if !ok {
		h.fail("%v: not an array", args)
	}
	gs := make([]string, len(got))
	for i, v := range got {
		gs[i], _ = v.(string)
	}
	sort.Strings(gs)
	w := slices.Clone(want)
	sort.Strings(w)
	if !slices.Equal(gs, w) {
		h.fail("%v: got %q, want %q", args, gs, w)
	}
}

func (h *fuzzHarness) encoding(key string) string {
	h.t.Helper()
	s, _ := h.do("OBJECT", "ENCODING", key).(string)
	return s
}

// fuzzOps decodes fuzz input into bounded small choices.
type fuzzOps struct {
	b []byte
	i int
}

func (r *fuzzOps) more(done int) bool { return r.i < len(r.b) && done < 300 }

func (r *fuzzOps) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

// n returns a choice in [0, k).
func (r *fuzzOps) n(k int) int { return int(r.byte()) % k }

// span returns a value in [-k, k].
func (r *fuzzOps) span(k int) int { return r.n(2*k+1) - k }

func (r *fuzzOps) pick(from []string) string { return from[r.n(len(from))] }

func strs(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// rangeBounds resolves Redis start/stop indexes against length n,
// returning an empty range as lo > hi.
func rangeBounds(start, stop, n int) (int, int) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if stop >= n {
		stop = n - 1
	}
	return start, stop
}

// redisByteRange resolves GETRANGE/BITCOUNT start and end against length
// n as Redis does, clamping a too-negative end to 0 rather than emptying
// the range; an empty range comes back as lo > hi.
func redisByteRange(start, end, n int) (int, int) {
	if start < 0 && end < 0 && start > end {
		return 1, 0
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	return start, end
}

func fuzzSeeds(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"))
	f.Add([]byte("aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffgggggggg"))
	f.Add([]byte("the quick brown fox jumps over the lazy dog, 0123456789 times; THE QUICK BROWN FOX!"))
	f.Add(bytes.Repeat([]byte{0, 0, 1, 2, 3, 4, 5, 6, 7}, 30))
	f.Add(bytes.Repeat([]byte{1, 2, 3, 250, 17, 99, 4, 33, 200, 7, 12}, 40))
	// long pseudo-random sequences, so that plain `go test` already reaches
	// every operation and the encoding conversions
	for seed := uint32(1); seed <= 4; seed++ {
		b := make([]byte, 2000)
		x := seed * 2654435761
		for i := range b {
			x = x*1664525 + 1013904223
			b[i] = byte(x >> 24)
		}
		f.Add(b)
	}
}

var fuzzListKeys = []string{"a", "b", "c", "w"}
var fuzzListElems = []string{"x", "y", "z", "1", "2", "", "a-long-element-value"}

func FuzzList(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t)
		h.expect(fuzzOK, "SET", "w", "str")
		m := map[string][]string{}
		r := &fuzzOps{b: data}
		for ops := 0; r.more(ops); ops++ {
			key := r.pick(fuzzListKeys)
			l := m[key]
			wrong := key == "w"
			elem := r.pick(fuzzListElems)
			switch r.n(16) {
			case 0, 1: // LPUSH / RPUSH
				left := r.n(2) == 0
				n := 1 + r.n(3)
				args := []string{"RPUSH", key}
				if left {
					args[0] = "LPUSH"
				}
				for range n {
					args = append(args, r.pick(fuzzListElems))
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				for _, e := range args[2:] {
					if left {
						l = append([]string{e}, l...)
					} else {
						l = append(l, e)
					}
				}
				m[key] = l
				h.expect(int64(len(l)), args...)
			case 2: // LPUSHX / RPUSHX
				cmd := r.pick([]string{"LPUSHX", "RPUSHX"})
				switch {
				case wrong:
					h.expect(fuzzWrongType, cmd, key, elem)
				case len(l) == 0:
					h.expect(int64(0), cmd, key, elem)
				default:
					if cmd == "LPUSHX" {
						l = append([]string{elem}, l...)
					} else {
						l = append(l, elem)
					}
					m[key] = l
					h.expect(int64(len(l)), cmd, key, elem)
				}
			case 3: // LPOP / RPOP without count
				cmd := r.pick([]string{"LPOP", "RPOP"})
				switch {
				case wrong:
					h.expect(fuzzWrongType, cmd, key)
				case len(l) == 0:
					h.expect(fuzzNullBulk{}, cmd, key)
				case cmd == "LPOP":
					h.expect(l[0], cmd, key)
					m[key] = l[1:]
				default:
					h.expect(l[len(l)-1], cmd, key)
					m[key] = l[:len(l)-1]
				}
			case 4: // LPOP / RPOP with count
				cmd := r.pick([]string{"LPOP", "RPOP"})
				cnt := r.n(5)
				switch {
				case wrong:
					h.expect(fuzzWrongType, cmd, key, strconv.Itoa(cnt))
				case len(l) == 0:
					h.expect(fuzzNullArray{}, cmd, key, strconv.Itoa(cnt))
				default:
					cnt = min(cnt, len(l))
					var got []string
					if cmd == "LPOP" {
						got, m[key] = l[:cnt], l[cnt:]
					} else {
						for i := range cnt {
							got = append(got, l[len(l)-1-i])
						}
						m[key] = l[:len(l)-cnt]
					}
					h.expect(strs(got), cmd, key, strconv.Itoa(cnt))
				}
			case 5: // LINDEX
				i := r.span(5)
				j := i
				if j < 0 {
					j += len(l)
				}
				switch {
				case wrong:
					h.expect(fuzzWrongType, "LINDEX", key, strconv.Itoa(i))
				case j < 0 || j >= len(l):
					h.expect(fuzzNullBulk{}, "LINDEX", key, strconv.Itoa(i))
				default:
					h.expect(l[j], "LINDEX", key, strconv.Itoa(i))
				}
			case 6: // LSET
				i := r.span(5)
				j := i
				if j < 0 {
					j += len(l)
				}
				switch {
				case wrong:
					h.expect(fuzzWrongType, "LSET", key, strconv.Itoa(i), elem)
				case len(l) == 0:
					h.expect(fuzzErr("ERR no such key"), "LSET", key, strconv.Itoa(i), elem)
				case j < 0 || j >= len(l):
					h.expect(fuzzErr("ERR index out of range"), "LSET", key, strconv.Itoa(i), elem)
				default:
					l[j] = elem
					h.expect(fuzzOK, "LSET", key, strconv.Itoa(i), elem)
				}
			case 7: // LINSERT
				where := r.pick([]string{"BEFORE", "AFTER"})
				pivot := r.pick(fuzzListElems)
				at := slices.Index(l, pivot)
				switch {
				case wrong:
					h.expect(fuzzWrongType, "LINSERT", key, where, pivot, elem)
				case len(l) == 0:
					h.expect(int64(0), "LINSERT", key, where, pivot, elem)
				case at < 0:
					h.expect(int64(-1), "LINSERT", key, where, pivot, elem)
				default:
					if where == "AFTER" {
						at++
					}
					l = slices.Insert(l, at, elem)
					m[key] = l
					h.expect(int64(len(l)), "LINSERT", key, where, pivot, elem)
				}
			case 8: // LRANGE
				start, stop := r.span(6), r.span(6)
				args := []string{"LRANGE", key, strconv.Itoa(start), strconv.Itoa(stop)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				lo, hi := rangeBounds(start, stop, len(l))
				if lo > hi {
					h.expect([]any{}, args...)
				} else {
					h.expect(strs(l[lo:hi+1]), args...)
				}
			case 9: // LTRIM
				start, stop := r.span(6), r.span(6)
				args := []string{"LTRIM", key, strconv.Itoa(start), strconv.Itoa(stop)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				lo, hi := rangeBounds(start, stop, len(l))
				if lo > hi {
					m[key] = nil
				} else {
					m[key] = l[lo : hi+1]
				}
				h.expect(fuzzOK, args...)
			case 10: // LREM
				cnt := r.span(3)
				args := []string{"LREM", key, strconv.Itoa(cnt), elem}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				limit := cnt
				if limit < 0 {
					limit = -limit
				}
				removed := 0
				var out []string
				if cnt >= 0 {
					for _, e := range l {
						if e == elem && (limit == 0 || removed < limit) {
							removed++
							continue
						}
						out = append(out, e)
					}
				} else {
					for i := len(l) - 1; i >= 0; i-- {
						if l[i] == elem && removed < limit {
							removed++
							continue
						}
						out = append([]string{l[i]}, out...)
					}
				}
				m[key] = out
				h.expect(int64(removed), args...)
			case 11: // LPOS with RANK and COUNT
				rank := r.span(3)
				if rank == 0 {
					rank = 1
				}
				cnt := r.n(4)
				args := []string{"LPOS", key, elem, "RANK", strconv.Itoa(rank)}
				withCount := r.n(2) == 0
				if withCount {
					args = append(args, "COUNT", strconv.Itoa(cnt))
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				var idx []any
				skip := max(rank, -rank) - 1
				for k := range l {
					i := k
					if rank < 0 {
						i = len(l) - 1 - k
					}
					if l[i] != elem {
						continue
					}
					if skip > 0 {
						skip--
						continue
					}
					idx = append(idx, int64(i))
					if !withCount || (cnt != 0 && len(idx) == cnt) {
						break
					}
				}
				switch {
				case withCount && len(idx) == 0:
					h.expect([]any{}, args...)
				case withCount:
					h.expect(idx, args...)
				case len(idx) == 0:
					h.expect(fuzzNullBulk{}, args...)
				default:
					h.expect(idx[0], args...)
				}
			case 12: // LMOVE / RPOPLPUSH between real lists
				src, dst := r.pick(fuzzListKeys[:3]), r.pick(fuzzListKeys[:3])
				from, to := r.pick([]string{"LEFT", "RIGHT"}), r.pick([]string{"LEFT", "RIGHT"})
				args := []string{"LMOVE", src, dst, from, to}
				if r.n(3) == 0 {
					from, to = "RIGHT", "LEFT"
					args = []string{"RPOPLPUSH", src, dst}
				}
				sl := m[src]
				if len(sl) == 0 {
					h.expect(fuzzNullBulk{}, args...)
					continue
				}
				var e string
				if from == "LEFT" {
					e, m[src] = sl[0], sl[1:]
				} else {
					e, m[src] = sl[len(sl)-1], sl[:len(sl)-1]
				}
				if to == "LEFT" {
					m[dst] = append([]string{e}, m[dst]...)
				} else {
					m[dst] = append(slices.Clone(m[dst]), e)
				}
				h.expect(e, args...)
			case 13: // LLEN
				if wrong {
					h.expect(fuzzWrongType, "LLEN", key)
				} else {
					h.expect(int64(len(l)), "LLEN", key)
				}
			case 14: // DEL
				if wrong {
					continue
				}
				n := int64(0)
				if len(l) > 0 {
					n = 1
				}
				delete(m, key)
				h.expect(n, "DEL", key)
			case 15: // EXISTS and TYPE: emptied lists must be gone
				if wrong {
					continue
				}
				if len(l) == 0 {
					h.expect(int64(0), "EXISTS", key)
				} else {
					h.expect(fuzzSimple("list"), "TYPE", key)
				}
			}
		}
		for _, key := range fuzzListKeys[:3] {
			l := m[key]
			h.expect(strs(l), "LRANGE", key, "0", "-1")
			if len(l) > 0 {
				h.expect("quicklist", "OBJECT", "ENCODING", key)
			}
		}
	})
}

var fuzzHashKeys = []string{"a", "b", "w"}
var fuzzHashFields = []string{"f", "g", "h", "i", "j", "k", "long-field-name"}
var fuzzHashValues = []string{"v", "1", "-2", "10", "", "abc", "a-long-value-here", "007", "9223372036854775806"}

func FuzzHash(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t)
		h.expect(fuzzOK, "SET", "w", "str")
		m := map[string]map[string]string{}
		converted := map[string]bool{} // keys seen as hashtable: never back to listpack
		r := &fuzzOps{b: data}
		for ops := 0; r.more(ops); ops++ {
			key := r.pick(fuzzHashKeys)
			wrong := key == "w"
			hm := m[key]
			field := r.pick(fuzzHashFields)
			switch r.n(10) {
			case 0, 1: // HSET / HMSET
				cmd := r.pick([]string{"HSET", "HMSET"})
				args := []string{cmd, key}
				for range 1 + r.n(3) {
					args = append(args, r.pick(fuzzHashFields), r.pick(fuzzHashValues))
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				if hm == nil {
					hm = map[string]string{}
					m[key] = hm
				}
				added := 0
				for i := 2; i < len(args); i += 2 {
					if _, ok := hm[args[i]]; !ok {
						added++
					}
					hm[args[i]] = args[i+1]
				}
				if cmd == "HMSET" {
					h.expect(fuzzOK, args...)
				} else {
					h.expect(int64(added), args...)
				}
			case 2: // HSETNX
				v := r.pick(fuzzHashValues)
				if wrong {
					h.expect(fuzzWrongType, "HSETNX", key, field, v)
					continue
				}
				if _, ok := hm[field]; ok {
					h.expect(int64(0), "HSETNX", key, field, v)
					continue
				}
				if hm == nil {
					hm = map[string]string{}
					m[key] = hm
				}
				hm[field] = v
				h.expect(int64(1), "HSETNX", key, field, v)
			case 3: // HDEL
				args := []string{"HDEL", key, field}
				for range r.n(3) {
					args = append(args, r.pick(fuzzHashFields))
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				n := 0
				for _, fl := range args[2:] {
					if _, ok := hm[fl]; ok {
						n++
						delete(hm, fl)
					}
				}
				if len(hm) == 0 {
					delete(m, key)
				}
				h.expect(int64(n), args...)
			case 4: // HGET / HEXISTS / HSTRLEN
				v, ok := hm[field]
				switch cmd := r.pick([]string{"HGET", "HEXISTS", "HSTRLEN"}); {
				case wrong:
					h.expect(fuzzWrongType, cmd, key, field)
				case cmd == "HGET" && !ok:
					h.expect(fuzzNullBulk{}, cmd, key, field)
				case cmd == "HGET":
					h.expect(v, cmd, key, field)
				case cmd == "HEXISTS" && ok:
					h.expect(int64(1), cmd, key, field)
				case cmd == "HEXISTS":
					h.expect(int64(0), cmd, key, field)
				default:
					h.expect(int64(len(v)), cmd, key, field)
				}
			case 5: // HMGET
				args := []string{"HMGET", key, field, r.pick(fuzzHashFields)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				var want []any
				for _, fl := range args[2:] {
					if v, ok := hm[fl]; ok {
						want = append(want, v)
					} else {
						want = append(want, fuzzNullBulk{})
					}
				}
				h.expect(want, args...)
			case 6: // HINCRBY
				by := r.span(3)
				args := []string{"HINCRBY", key, field, strconv.Itoa(by)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				cur := int64(0)
				if v, ok := hm[field]; ok {
					n, ok := redisStrictInt(v)
					if !ok {
						h.expect(fuzzErr("ERR hash value is not an integer"), args...)
						continue
					}
					cur = n
				}
				if (by > 0 && cur > math.MaxInt64-int64(by)) || (by < 0 && cur < math.MinInt64-int64(by)) {
					h.expect(fuzzErr("ERR increment or decrement would overflow"), args...)
					continue
				}
				if hm == nil {
					hm = map[string]string{}
					m[key] = hm
				}
				hm[field] = strconv.FormatInt(cur+int64(by), 10)
				h.expect(cur+int64(by), args...)
			case 7: // HLEN
				if wrong {
					h.expect(fuzzWrongType, "HLEN", key)
				} else {
					h.expect(int64(len(hm)), "HLEN", key)
				}
			case 8: // HGETALL / HKEYS / HVALS
				if wrong {
					continue
				}
				var fields, values, all []string
				for fl, v := range hm {
					fields = append(fields, fl)
					values = append(values, v)
					all = append(all, fl+"\x00"+v)
				}
				h.expectSorted(fields, "HKEYS", key)
				h.expectSorted(values, "HVALS", key)
				got, _ := h.do("HGETALL", key).([]any)
				var pairs []string
				for i := 0; i+1 < len(got); i += 2 {
					pairs = append(pairs, got[i].(string)+"\x00"+got[i+1].(string))
				}
				sort.Strings(pairs)
				sort.Strings(all)
				if len(got)%2 != 0 || !slices.Equal(pairs, all) {
					h.fail("HGETALL %s: got %q, want %q", key, got, all)
				}
			case 9: // DEL
				if wrong {
					continue
				}
				n := int64(0)
				if len(hm) > 0 {
					n = 1
				}
				delete(m, key)
				delete(converted, key)
				h.expect(n, "DEL", key)
			}
			if hm := m[key]; len(hm) == 0 {
				delete(converted, key) // the key is gone; a new one starts compact
			} else if !wrong {
				checkHashEncoding(h, key, hm, converted)
			}
		}
		for _, key := range fuzzHashKeys[:2] {
			hm := m[key]
			var want []string
			for fl, v := range hm {
				want = append(want, fl, v)
			}
			got, _ := h.do("HGETALL", key).([]any)
			gotPairs, wantPairs := map[string]string{}, map[string]string{}
			for i := 0; i+1 < len(got); i += 2 {
				gotPairs[got[i].(string)] = got[i+1].(string)
			}
			for fl, v := range hm {
				wantPairs[fl] = v
			}
			if len(got) != 2*len(hm) || !reflect.DeepEqual(gotPairs, wantPairs) {
				h.fail("final HGETALL %s: got %q, want %q", key, got, want)
			}
		}
	})
}

// checkHashEncoding asserts the limits a listpack hash must respect and
// that a hashtable never converts back.
func checkHashEncoding(h *fuzzHarness, key string, hm map[string]string, converted map[string]bool) {
	h.t.Helper()
	switch enc := h.encoding(key); enc {
	case "hashtable":
		converted[key] = true
	case "listpack":
		if converted[key] {
			h.fail("hash %s went back from hashtable to listpack", key)
		}
		if len(hm) > 4 {
			h.fail("hash %s has %d fields but is a listpack", key, len(hm))
		}
	default:
		h.fail("hash %s has encoding %q", key, enc)
	}
}

// redisStrictInt parses s the way Redis's string2ll does: no sign but a
// leading minus, no leading zeros, no spaces, within int64.
func redisStrictInt(s string) (int64, bool) {
	if s == "" || len(s) > 20 || s == "-0" {
		return 0, false
	}
	d := strings.TrimPrefix(s, "-")
	if d == "" || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	for _, ch := range []byte(d) {
		if ch < '0' || ch > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

var fuzzSetKeys = []string{"a", "b", "c", "w"}
var fuzzSetMembers = []string{"1", "2", "3", "-5", "10", "100", "x", "y", "007", "-0", "9223372036854775807"}

func FuzzSet(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t)
		h.expect(fuzzOK, "SET", "w", "str")
		m := map[string]map[string]bool{}
		members := func(key string) []string {
			var out []string
			for e := range m[key] {
				out = append(out, e)
			}
			return out
		}
		store := func(dst string, res map[string]bool) {
			if len(res) == 0 {
				delete(m, dst)
			} else {
				m[dst] = res
			}
		}
		r := &fuzzOps{b: data}
		for ops := 0; r.more(ops); ops++ {
			key := r.pick(fuzzSetKeys)
			wrong := key == "w"
			sm := m[key]
			member := r.pick(fuzzSetMembers)
			switch r.n(12) {
			case 0, 1: // SADD
				args := []string{"SADD", key, member}
				for range r.n(4) {
					args = append(args, r.pick(fuzzSetMembers))
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				if sm == nil {
					sm = map[string]bool{}
					m[key] = sm
				}
				n := 0
				for _, e := range args[2:] {
					if !sm[e] {
						n++
						sm[e] = true
					}
				}
				h.expect(int64(n), args...)
			case 2: // SREM
				args := []string{"SREM", key, member, r.pick(fuzzSetMembers)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				n := 0
				for _, e := range args[2:] {
					if sm[e] {
						n++
						delete(sm, e)
					}
				}
				store(key, sm)
				h.expect(int64(n), args...)
			case 3: // SISMEMBER / SMISMEMBER
				other := r.pick(fuzzSetMembers)
				b := func(e string) int64 {
					if sm[e] {
						return 1
					}
					return 0
				}
				if wrong {
					h.expect(fuzzWrongType, "SISMEMBER", key, member)
					h.expect(fuzzWrongType, "SMISMEMBER", key, member, other)
					continue
				}
				h.expect(b(member), "SISMEMBER", key, member)
				h.expect([]any{b(member), b(other)}, "SMISMEMBER", key, member, other)
			case 4: // SCARD
				if wrong {
					h.expect(fuzzWrongType, "SCARD", key)
				} else {
					h.expect(int64(len(sm)), "SCARD", key)
				}
			case 5: // SPOP without count: any member, then gone
				if wrong {
					h.expect(fuzzWrongType, "SPOP", key)
					continue
				}
				if len(sm) == 0 {
					h.expect(fuzzNullBulk{}, "SPOP", key)
					continue
				}
				got, _ := h.do("SPOP", key).(string)
				if !sm[got] {
					h.fail("SPOP %s returned %q, not a member of %q", key, got, members(key))
				}
				delete(sm, got)
				store(key, sm)
			case 6: // SPOP with count: distinct members, removed
				cnt := r.n(6)
				args := []string{"SPOP", key, strconv.Itoa(cnt)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				got, ok := h.do(args...).([]any)
				if !ok || len(got) != min(cnt, len(sm)) {
					h.fail("%v on %q: got %#v", args, members(key), got)
				}
				for _, v := range got {
					e, _ := v.(string)
					if !sm[e] {
						h.fail("%v returned %q twice or not a member", args, e)
					}
					delete(sm, e)
				}
				store(key, sm)
			case 7: // SRANDMEMBER with count: distinct members (positive) or any (negative)
				cnt := r.span(6)
				args := []string{"SRANDMEMBER", key, strconv.Itoa(cnt)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				got, ok := h.do(args...).([]any)
				want := min(cnt, len(sm))
				if cnt < 0 {
					want = -cnt
					if len(sm) == 0 {
						want = 0
					}
				}
				if !ok || len(got) != want {
					h.fail("%v on %q: got %#v", args, members(key), got)
				}
				seen := map[string]bool{}
				for _, v := range got {
					e, _ := v.(string)
					if !sm[e] || (cnt > 0 && seen[e]) {
						h.fail("%v returned %q twice or not a member", args, e)
					}
					seen[e] = true
				}
			case 8: // SMOVE between real sets
				src, dst := r.pick(fuzzSetKeys[:3]), r.pick(fuzzSetKeys[:3])
				args := []string{"SMOVE", src, dst, member}
				if !m[src][member] {
					h.expect(int64(0), args...)
					continue
				}
				if src != dst {
					delete(m[src], member)
					store(src, m[src])
					if m[dst] == nil {
						m[dst] = map[string]bool{}
					}
					m[dst][member] = true
				}
				h.expect(int64(1), args...)
			case 9: // SINTER / SUNION / SDIFF and their STORE forms
				op := r.n(3)
				a, b := r.pick(fuzzSetKeys[:3]), r.pick(fuzzSetKeys[:3])
				res := map[string]bool{}
				for e := range m[a] {
					if op == 1 || (op == 0) == m[b][e] {
						res[e] = true
					}
				}
				if op == 1 {
					for e := range m[b] {
						res[e] = true
					}
				}
				var want []string
				for e := range res {
					want = append(want, e)
				}
				name := []string{"SINTER", "SUNION", "SDIFF"}[op]
				if r.n(2) == 0 {
					h.expectSorted(want, name, a, b)
					if op == 0 {
						h.expect(int64(len(want)), "SINTERCARD", "2", a, b)
					}
					continue
				}
				dst := r.pick(fuzzSetKeys[:3])
				h.expect(int64(len(want)), name+"STORE", dst, a, b)
				store(dst, res)
			case 10: // SMEMBERS
				if wrong {
					h.expect(fuzzWrongType, "SMEMBERS", key)
				} else {
					h.expectSorted(members(key), "SMEMBERS", key)
				}
			case 11: // DEL
				if wrong {
					continue
				}
				n := int64(0)
				if len(sm) > 0 {
					n = 1
				}
				delete(m, key)
				h.expect(n, "DEL", key)
			}
			for _, k := range fuzzSetKeys[:3] {
				if len(m[k]) > 0 {
					checkSetEncoding(h, k, m[k])
				}
			}
		}
		for _, key := range fuzzSetKeys[:3] {
			h.expectSorted(members(key), "SMEMBERS", key)
			h.expect(int64(len(m[key])), "SCARD", key)
		}
	})
}

// checkSetEncoding asserts an intset holds only canonical integers and no
// more of them than set-max-intset-entries.
func checkSetEncoding(h *fuzzHarness, key string, sm map[string]bool) {
	h.t.Helper()
	switch enc := h.encoding(key); enc {
	case "hashtable":
	case "intset":
		if len(sm) > 4 {
			h.fail("set %s has %d members but is an intset", key, len(sm))
		}
		for e := range sm {
			if _, ok := redisStrictInt(e); !ok {
				h.fail("set %s holds %q but is an intset", key, e)
			}
		}
	default:
		h.fail("set %s has encoding %q", key, enc)
	}
}

type fuzzZEntry struct {
	member string
	score  float64
}

var fuzzZKeys = []string{"a", "b", "w"}
var fuzzZMembers = []string{"m", "n", "o", "p", "q", "r", "a-long-member"}
var fuzzZScores = []string{"0", "1", "2", "-1", "-2", "1.5", "-0.5", "3"}

func fuzzFormatScore(f float64) string { return strconv.FormatFloat(f, 'g', 17, 64) }

func FuzzZSet(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t)
		h.expect(fuzzOK, "SET", "w", "str")
		m := map[string]map[string]float64{}
		sorted := func(key string) []fuzzZEntry {
			var out []fuzzZEntry
			for mem, sc := range m[key] {
				out = append(out, fuzzZEntry{mem, sc})
			}
			sort.Slice(out, func(i, j int) bool {
				if out[i].score != out[j].score {
					return out[i].score < out[j].score
				}
				return out[i].member < out[j].member
			})
			return out
		}
		flat := func(es []fuzzZEntry, withScores bool) []any {
			out := []any{}
			for _, e := range es {
				out = append(out, e.member)
				if withScores {
					out = append(out, fuzzFormatScore(e.score))
				}
			}
			return out
		}
		converted := map[string]bool{}
		r := &fuzzOps{b: data}
		for ops := 0; r.more(ops); ops++ {
			key := r.pick(fuzzZKeys)
			wrong := key == "w"
			zm := m[key]
			member := r.pick(fuzzZMembers)
			es := sorted(key)
			switch r.n(13) {
			case 12: // ZUNIONSTORE / ZINTERSTORE with weights and an aggregate
				a, b, dst := r.pick(fuzzZKeys[:2]), r.pick(fuzzZKeys[:2]), r.pick(fuzzZKeys[:2])
				inter := r.n(2) == 0
				// positive weights: a zero times a negative weight is -0, kept
				// or not depending on the encoding and the sources' order (the
				// compat case zset_negzero.txt covers that)
				wa, wb := 1+r.n(3), 1+r.n(3)
				agg := r.pick([]string{"SUM", "MIN", "MAX"})
				args := []string{"ZUNIONSTORE", dst, "2", a, b, "WEIGHTS", strconv.Itoa(wa), strconv.Itoa(wb), "AGGREGATE", agg}
				if inter {
					args[0] = "ZINTERSTORE"
				}
				combine := func(x, y float64) float64 {
					switch {
					case agg == "MIN" && y < x, agg == "MAX" && y > x:
						return y
					case agg != "SUM":
						return x
					}
					return x + y
				}
				res := map[string]float64{}
				for mem, sc := range m[a] {
					if _, inB := m[b][mem]; inter && !inB {
						continue
					}
					res[mem] = sc * float64(wa)
				}
				for mem, sc := range m[b] {
					if cur, ok := res[mem]; ok {
						res[mem] = combine(cur, sc*float64(wb))
					} else if !inter {
						res[mem] = sc * float64(wb)
					}
				}
				delete(m, dst)
				if len(res) > 0 {
					m[dst] = res
				}
				h.expect(int64(len(res)), args...)
				if zm := m[dst]; len(zm) > 0 {
					checkZSetEncoding(h, dst, zm, map[string]bool{})
					converted[dst] = h.encoding(dst) == "skiplist"
				} else {
					delete(converted, dst)
				}
			case 0, 1, 2: // ZADD with a valid combination of flags
				flags := [][]string{nil, {"NX"}, {"XX"}, {"GT"}, {"LT"}, {"CH"}, {"XX", "GT", "CH"}, {"LT", "CH"}, {"INCR"}, {"NX", "INCR"}, {"GT", "INCR"}}[r.n(11)]
				incr := slices.Contains(flags, "INCR")
				args := append([]string{"ZADD", key}, flags...)
				pairs := 1
				if !incr {
					pairs += r.n(3)
				}
				for range pairs {
					args = append(args, r.pick(fuzzZScores), r.pick(fuzzZMembers))
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				nx, xx := slices.Contains(flags, "NX"), slices.Contains(flags, "XX")
				gt, lt := slices.Contains(flags, "GT"), slices.Contains(flags, "LT")
				if zm == nil {
					zm = map[string]float64{}
				}
				added, changed := 0, 0
				var incrResult any = fuzzNullBulk{}
				for i := len(args) - 2*pairs; i < len(args); i += 2 {
					sc, _ := strconv.ParseFloat(args[i], 64)
					mem := args[i+1]
					cur, exists := zm[mem]
					if (nx && exists) || (xx && !exists) {
						continue
					}
					if exists {
						if incr {
							sc += cur
						}
						if (gt && sc <= cur) || (lt && sc >= cur) {
							continue
						}
						incrResult = fuzzFormatScore(sc)
						if sc != cur {
							changed++
							zm[mem] = sc
						}
						continue
					}
					added++
					zm[mem] = sc
					incrResult = fuzzFormatScore(sc)
				}
				if len(zm) > 0 {
					m[key] = zm
				}
				switch {
				case incr:
					h.expect(incrResult, args...)
				case slices.Contains(flags, "CH"):
					h.expect(int64(added+changed), args...)
				default:
					h.expect(int64(added), args...)
				}
			case 3: // ZINCRBY
				by := r.pick(fuzzZScores)
				if wrong {
					h.expect(fuzzWrongType, "ZINCRBY", key, by, member)
					continue
				}
				inc, _ := strconv.ParseFloat(by, 64)
				if zm == nil {
					zm = map[string]float64{}
					m[key] = zm
				}
				zm[member] += inc
				h.expect(fuzzFormatScore(zm[member]), "ZINCRBY", key, by, member)
			case 4: // ZREM
				args := []string{"ZREM", key, member, r.pick(fuzzZMembers)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				n := 0
				for _, e := range args[2:] {
					if _, ok := zm[e]; ok {
						n++
						delete(zm, e)
					}
				}
				if len(zm) == 0 {
					delete(m, key)
				}
				h.expect(int64(n), args...)
			case 5: // ZSCORE / ZRANK / ZREVRANK
				cmd := r.pick([]string{"ZSCORE", "ZRANK", "ZREVRANK"})
				sc, ok := zm[member]
				rank := slices.IndexFunc(es, func(e fuzzZEntry) bool { return e.member == member })
				switch {
				case wrong:
					h.expect(fuzzWrongType, cmd, key, member)
				case !ok:
					h.expect(fuzzNullBulk{}, cmd, key, member)
				case cmd == "ZSCORE":
					h.expect(fuzzFormatScore(sc), cmd, key, member)
				case cmd == "ZRANK":
					h.expect(int64(rank), cmd, key, member)
				default:
					h.expect(int64(len(es)-1-rank), cmd, key, member)
				}
			case 6: // ZCARD / ZCOUNT
				lo, hi := r.span(3), r.span(3)
				if wrong {
					h.expect(fuzzWrongType, "ZCARD", key)
					continue
				}
				h.expect(int64(len(zm)), "ZCARD", key)
				n := 0
				for _, sc := range zm {
					if sc >= float64(lo) && sc < float64(hi) {
						n++
					}
				}
				h.expect(int64(n), "ZCOUNT", key, strconv.Itoa(lo), "("+strconv.Itoa(hi))
			case 7: // ZRANGE / ZREVRANGE by rank
				start, stop := r.span(5), r.span(5)
				rev := r.n(2) == 0
				args := []string{"ZRANGE", key, strconv.Itoa(start), strconv.Itoa(stop)}
				if rev {
					args = append(args, "REV")
				}
				withScores := r.n(2) == 0
				if withScores {
					args = append(args, "WITHSCORES")
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				if rev {
					slices.Reverse(es)
				}
				lo, hi := rangeBounds(start, stop, len(es))
				if lo > hi {
					h.expect([]any{}, args...)
				} else {
					h.expect(flat(es[lo:hi+1], withScores), args...)
				}
			case 8: // ZRANGEBYSCORE with LIMIT
				lo, hi := r.span(3), r.span(3)
				off, cnt := r.n(3), r.n(4)-1
				args := []string{"ZRANGEBYSCORE", key, "(" + strconv.Itoa(lo), strconv.Itoa(hi), "WITHSCORES", "LIMIT", strconv.Itoa(off), strconv.Itoa(cnt)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				var in []fuzzZEntry
				for _, e := range es {
					if e.score > float64(lo) && e.score <= float64(hi) {
						in = append(in, e)
					}
				}
				in = in[min(off, len(in)):]
				if cnt >= 0 {
					in = in[:min(cnt, len(in))]
				}
				h.expect(flat(in, true), args...)
			case 9: // ZREMRANGEBYRANK / ZREMRANGEBYSCORE
				if wrong {
					continue
				}
				var keep []fuzzZEntry
				var args []string
				if r.n(2) == 0 {
					start, stop := r.span(4), r.span(4)
					args = []string{"ZREMRANGEBYRANK", key, strconv.Itoa(start), strconv.Itoa(stop)}
					lo, hi := rangeBounds(start, stop, len(es))
					for i, e := range es {
						if i < lo || i > hi {
							keep = append(keep, e)
						}
					}
				} else {
					lo, hi := r.span(3), r.span(3)
					args = []string{"ZREMRANGEBYSCORE", key, strconv.Itoa(lo), strconv.Itoa(hi)}
					for _, e := range es {
						if e.score < float64(lo) || e.score > float64(hi) {
							keep = append(keep, e)
						}
					}
				}
				delete(m, key)
				for _, e := range keep {
					if m[key] == nil {
						m[key] = map[string]float64{}
					}
					m[key][e.member] = e.score
				}
				h.expect(int64(len(es)-len(keep)), args...)
			case 10: // ZPOPMIN / ZPOPMAX
				cmd := r.pick([]string{"ZPOPMIN", "ZPOPMAX"})
				cnt := r.n(4)
				if wrong {
					h.expect(fuzzWrongType, cmd, key, strconv.Itoa(cnt))
					continue
				}
				if cmd == "ZPOPMAX" {
					slices.Reverse(es)
				}
				got := es[:min(cnt, len(es))]
				for _, e := range got {
					delete(zm, e.member)
				}
				if len(zm) == 0 {
					delete(m, key)
				}
				h.expect(flat(got, true), cmd, key, strconv.Itoa(cnt))
			case 11: // DEL
				if wrong {
					continue
				}
				n := int64(0)
				if len(zm) > 0 {
					n = 1
				}
				delete(m, key)
				delete(converted, key)
				h.expect(n, "DEL", key)
			}
			if zm := m[key]; len(zm) == 0 {
				delete(converted, key) // the key is gone; a new one starts compact
			} else if !wrong {
				checkZSetEncoding(h, key, zm, converted)
			}
		}
		for _, key := range fuzzZKeys[:2] {
			h.expect(flat(sorted(key), true), "ZRANGE", key, "0", "-1", "WITHSCORES")
			h.expect(int64(len(m[key])), "ZCARD", key)
		}
	})
}

// checkZSetEncoding asserts a listpack zset respects its limits and that a
// skiplist never converts back while the key lives.
func checkZSetEncoding(h *fuzzHarness, key string, zm map[string]float64, converted map[string]bool) {
	h.t.Helper()
	switch enc := h.encoding(key); enc {
	case "skiplist":
		converted[key] = true
	case "listpack":
		if converted[key] {
			h.fail("zset %s went back from skiplist to listpack", key)
		}
		if len(zm) > 4 {
			h.fail("zset %s has %d members but is a listpack", key, len(zm))
		}
		for mem := range zm {
			if len(mem) > 8 {
				h.fail("zset %s holds %q but is a listpack", key, mem)
			}
		}
	default:
		h.fail("zset %s has encoding %q", key, enc)
	}
}

var fuzzStrKeys = []string{"a", "b", "w"}
var fuzzStrValues = []string{"", "0", "1", "-3", "12", "abc", "007", "\x00\xff", "9223372036854775806", "-9223372036854775807"}

func FuzzStringBits(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t)
		h.expect(int64(1), "RPUSH", "w", "x")
		m := map[string][]byte{}
		r := &fuzzOps{b: data}
		for ops := 0; r.more(ops); ops++ {
			key := r.pick(fuzzStrKeys)
			wrong := key == "w"
			v, exists := m[key]
			switch r.n(11) {
			case 0: // SET (replaces anything, the list too)
				if wrong {
					continue
				}
				val := r.pick(fuzzStrValues)
				m[key] = []byte(val)
				h.expect(fuzzOK, "SET", key, val)
			case 1: // APPEND
				val := r.pick(fuzzStrValues)
				if wrong {
					h.expect(fuzzWrongType, "APPEND", key, val)
					continue
				}
				m[key] = append(slices.Clone(v), val...)
				h.expect(int64(len(m[key])), "APPEND", key, val)
			case 2: // SETRANGE
				off := r.n(20)
				val := r.pick(fuzzStrValues)
				args := []string{"SETRANGE", key, strconv.Itoa(off), val}
				switch {
				case wrong:
					h.expect(fuzzWrongType, args...)
				case val == "":
					h.expect(int64(len(v)), args...)
				default:
					nv := slices.Clone(v)
					for len(nv) < off+len(val) {
						nv = append(nv, 0)
					}
					copy(nv[off:], val)
					m[key] = nv
					h.expect(int64(len(nv)), args...)
				}
			case 3: // GETRANGE
				start, end := r.span(8), r.span(8)
				args := []string{"GETRANGE", key, strconv.Itoa(start), strconv.Itoa(end)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				want := ""
				if lo, hi := redisByteRange(start, end, len(v)); lo <= hi {
					want = string(v[lo : hi+1])
				}
				h.expect(want, args...)
			case 4: // SETBIT
				off := r.n(80)
				bit := r.n(2)
				args := []string{"SETBIT", key, strconv.Itoa(off), strconv.Itoa(bit)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				nv := slices.Clone(v)
				for len(nv) <= off/8 {
					nv = append(nv, 0)
				}
				mask := byte(0x80 >> (off % 8))
				old := int64(0)
				if nv[off/8]&mask != 0 {
					old = 1
				}
				if bit == 1 {
					nv[off/8] |= mask
				} else {
					nv[off/8] &^= mask
				}
				m[key] = nv
				h.expect(old, args...)
			case 5: // GETBIT
				off := r.n(100)
				if wrong {
					h.expect(fuzzWrongType, "GETBIT", key, strconv.Itoa(off))
					continue
				}
				want := int64(0)
				if off/8 < len(v) && v[off/8]&(0x80>>(off%8)) != 0 {
					want = 1
				}
				h.expect(want, "GETBIT", key, strconv.Itoa(off))
			case 6: // BITCOUNT, whole or a byte range
				args := []string{"BITCOUNT", key}
				lo, hi := 0, len(v)-1
				if r.n(2) == 0 {
					start, end := r.span(6), r.span(6)
					args = append(args, strconv.Itoa(start), strconv.Itoa(end))
					lo, hi = redisByteRange(start, end, len(v))
				}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				n := 0
				for i := lo; i <= hi && i < len(v); i++ {
					for b := v[i]; b != 0; b &= b - 1 {
						n++
					}
				}
				h.expect(int64(n), args...)
			case 7: // INCRBY / DECRBY
				by := r.span(5)
				cmd := r.pick([]string{"INCRBY", "DECRBY"})
				args := []string{cmd, key, strconv.Itoa(by)}
				if wrong {
					h.expect(fuzzWrongType, args...)
					continue
				}
				delta := int64(by)
				if cmd == "DECRBY" {
					delta = -delta
				}
				cur := int64(0)
				if exists {
					n, ok := redisStrictInt(string(v))
					if !ok {
						h.expect(fuzzErr("ERR value is not an integer or out of range"), args...)
						continue
					}
					cur = n
				}
				if (delta > 0 && cur > math.MaxInt64-delta) || (delta < 0 && cur < math.MinInt64-delta) {
					h.expect(fuzzErr("ERR increment or decrement would overflow"), args...)
					continue
				}
				m[key] = []byte(strconv.FormatInt(cur+delta, 10))
				h.expect(cur+delta, args...)
			case 8: // STRLEN
				if wrong {
					h.expect(fuzzWrongType, "STRLEN", key)
				} else {
					h.expect(int64(len(v)), "STRLEN", key)
				}
			case 9: // GET
				switch {
				case wrong:
					h.expect(fuzzWrongType, "GET", key)
				case !exists:
					h.expect(fuzzNullBulk{}, "GET", key)
				default:
					h.expect(string(v), "GET", key)
				}
			case 10: // DEL
				if wrong {
					continue
				}
				n := int64(0)
				if exists {
					n = 1
				}
				delete(m, key)
				h.expect(n, "DEL", key)
			}
		}
		for _, key := range fuzzStrKeys[:2] {
			if v, ok := m[key]; ok {
				h.expect(string(v), "GET", key)
			} else {
				h.expect(fuzzNullBulk{}, "GET", key)
			}
		}
	})
}
