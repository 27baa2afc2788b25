// list_test.go checks the ring-buffer list against a plain slice model under
// random operations (wrap-around, growth and shrinking included).
package types

import (
	"math"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func checkListModel(t *testing.T, step int, l *List, model []string) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("step %d: len %d, model %d", step, l.Len(), len(model))
	}
	for i, want := range model {
		if got := string(l.At(i)); got != want {
			t.Fatalf("step %d: element %d = %q, model %q", step, i, got, want)
		}
	}
}

func TestListAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	l := NewList()
	var model []string
	for step := 0; step < 20000; step++ {
		v := strconv.Itoa(rng.Intn(50))
		switch op := rng.Intn(10); {
		case op < 2:
			l.PushHead([]byte(v))
			model = append([]string{v}, model...)
		case op < 4:
			l.PushTail([]byte(v))
			model = append(model, v)
		case op == 4 && len(model) > 0:
			if got := string(l.PopHead()); got != model[0] {
				t.Fatalf("step %d: PopHead %q, model %q", step, got, model[0])
			}
			model = model[1:]
		case op == 5 && len(model) > 0:
			pop := l.PopTail
			if step%2 == 0 {
				pop = func() []byte { return l.Drop(false) }
			}
			if got := string(pop()); got != model[len(model)-1] {
				t.Fatalf("step %d: PopTail %q", step, got)
			}
			model = model[:len(model)-1]
		case op == 6:
			i := rng.Intn(len(model) + 1)
			l.Insert(i, []byte(v))
			model = slices.Insert(model, i, v)
		case op == 7 && len(model) > 0:
			i := rng.Intn(len(model))
			l.Remove(i)
			model = slices.Delete(model, i, i+1)
		case op == 8 && len(model) > 0 && rng.Intn(20) == 0:
			start := rng.Intn(len(model))
			count := rng.Intn(len(model) - start + 1)
			l.Trim(start, count)
			model = append([]string(nil), model[start:start+count]...)
		case op == 9:
			limit := rng.Intn(3)
			fromTail := rng.Intn(2) == 0
			got := l.RemoveMatching([]byte(v), limit, fromTail)
			want := 0
			if fromTail {
				for i := len(model) - 1; i >= 0 && (limit == 0 || want < limit); i-- {
					if model[i] == v {
						model = slices.Delete(model, i, i+1)
						want++
					}
				}
			} else {
				for i := 0; i < len(model) && (limit == 0 || want < limit); {
					if model[i] == v {
						model = slices.Delete(model, i, i+1)
						want++
						continue
					}
					i++
				}
			}
			if got != want {
				t.Fatalf("step %d: RemoveMatching %d, model %d", step, got, want)
			}
		}
		checkListModel(t, step, l, model)
	}
	d := l.Dup().(*List)
	checkListModel(t, -1, d, model)
	if l.Encoding() != "quicklist" {
		t.Fatalf("encoding %q", l.Encoding())
	}
}

func TestListShrinksWhenDrained(t *testing.T) {
	l := NewList()
	for i := 0; i < 10000; i++ {
		l.PushTail([]byte("x"))
		l.PushHead([]byte("y"))
	}
	peak := len(l.chunks)
	for l.Len() > 1 {
		l.PopHead()
	}
	if len(l.chunks) != 1 || cap(l.chunks) >= peak/4 {
		t.Fatalf("%d chunks (cap %d) after draining from %d", len(l.chunks), cap(l.chunks), peak)
	}
}

// TestListLargeAgainstModel crosses many chunk boundaries, with elements
// longer than a chunk mixed in.
func TestListLargeAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	l := NewList()
	var model []string
	elem := func() string {
		if rng.Intn(100) == 0 {
			return strings.Repeat("L", 5000+rng.Intn(100))
		}
		return "element:" + strconv.Itoa(rng.Intn(1000))
	}
	for step := 0; step < 3000; step++ {
		v := elem()
		switch op := rng.Intn(8); {
		case op < 2:
			l.PushHead([]byte(v))
			model = append([]string{v}, model...)
		case op < 4:
			l.PushTail([]byte(v))
			model = append(model, v)
		case op == 4 && len(model) > 0:
			head := rng.Intn(2) == 0
			want := model[len(model)-1]
			if head {
				want = model[0]
			}
			if got := string(l.Pop(head)); got != want {
				t.Fatalf("step %d: pop(head=%v) %.20q, model %.20q", step, head, got, want)
			}
			if head {
				model = model[1:]
			} else {
				model = model[:len(model)-1]
			}
		case op == 5 && len(model) > 0:
			i := rng.Intn(len(model))
			l.Set(i, []byte(v))
			model[i] = v
		case op == 6:
			i := rng.Intn(len(model) + 1)
			l.Insert(i, []byte(v))
			model = slices.Insert(model, i, v)
		case op == 7 && len(model) > 0:
			i := rng.Intn(len(model))
			l.Remove(i)
			model = slices.Delete(model, i, i+1)
		}
		if step%50 == 0 {
			checkListModel(t, step, l, model)
		}
	}
	checkListModel(t, -1, l, model)
	checkListModel(t, -2, l.Dup().(*List), model)
}

func TestCeilMulInt64(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"0.0001", 1}, {"-0.0001", 0}, {"1.5", 1500}, {"0x10", 16000},
		{"inf", math.MinInt64}, {"-inf", math.MinInt64}, {"9223372036854775807", math.MinInt64},
		{"9223372036854775", 9223372036854775000}, {"-1", -1000}, {"1e-5", 1},
	} {
		x, ok := ParseLongDouble([]byte(tc.in))
		if !ok {
			t.Fatalf("parse %q", tc.in)
		}
		if got := x.CeilMulInt64(1000); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestListHugeElements mixes elements beyond a chunk's 2-byte offsets
// (over 64 KiB) with short ones under middle inserts, sets and removals,
// which repack the chunks around them.
func TestListHugeElements(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	l := NewList()
	var model []string
	elem := func(step int) string {
		switch rng.Intn(20) {
		case 0:
			return strings.Repeat("H", 70000+rng.Intn(100)) + strconv.Itoa(step)
		case 1:
			return strings.Repeat("m", 3000+rng.Intn(2000))
		}
		return "e" + strconv.Itoa(step)
	}
	for step := 0; step < 2000; step++ {
		v := elem(step)
		switch op := rng.Intn(6); {
		case op == 0:
			l.PushHead([]byte(v))
			model = slices.Insert(model, 0, v)
		case op == 1:
			l.PushTail([]byte(v))
			model = append(model, v)
		case op == 2:
			i := rng.Intn(len(model) + 1)
			l.Insert(i, []byte(v))
			model = slices.Insert(model, i, v)
		case op == 3 && len(model) > 0:
			i := rng.Intn(len(model))
			l.Set(i, []byte(v))
			model[i] = v
		case op == 4 && len(model) > 0:
			i := rng.Intn(len(model))
			l.Remove(i)
			model = slices.Delete(model, i, i+1)
		case op == 5 && len(model) > 0:
			head := rng.Intn(2) == 0
			want := model[len(model)-1]
			if head {
				want = model[0]
			}
			if got := string(l.Pop(head)); got != want {
				t.Fatalf("step %d: pop(head=%v) %.20q, model %.20q", step, head, got, want)
			}
			if head {
				model = model[1:]
			} else {
				model = model[:len(model)-1]
			}
		}
		if step%25 == 0 {
			checkListModel(t, step, l, model)
		}
	}
	checkListModel(t, -1, l, model)
}

// TestListQueueStaysBounded: tail pushes with head pops keep one chunk
// whose buffers do not grow with the number of elements that passed.
func TestListQueueStaysBounded(t *testing.T) {
	l := NewList()
	for i := 0; i < 200000; i++ {
		l.PushTail([]byte("element:" + strconv.Itoa(i)))
		if l.Len() > 10 {
			if got, want := string(l.PopHead()), "element:"+strconv.Itoa(i-10); got != want {
				t.Fatalf("pop %q, want %q", got, want)
			}
		}
	}
	if len(l.chunks) != 1 || cap(l.chunks[0].buf) > 2*listChunkBytes || cap(l.chunks[0].offs) > 2*listChunkElems {
		t.Fatalf("%d chunks, buf cap %d, offs cap %d", len(l.chunks), cap(l.chunks[0].buf), cap(l.chunks[0].offs))
	}
}

// TestListLongHasLittleSlack: a long list built at either end carries
// about two bytes per element beyond its data, the memory goal.
func TestListLongHasLittleSlack(t *testing.T) {
	for _, head := range []bool{false, true} {
		l := NewList()
		data := 0
		for i := 0; i < 100000; i++ {
			v := "element:" + strconv.Itoa(i)
			data += len(v)
			l.Push([]byte(v), head)
		}
		held := 0
		for _, c := range l.chunks {
			held += cap(c.buf) + 2*cap(c.offs)
		}
		t.Logf("head=%v: %.2f bytes held per element, %.2f of data", head, float64(held)/float64(l.Len()), float64(data)/float64(l.Len()))
		if limit := data + 2*l.Len() + l.Len()/4; held > limit {
			t.Fatalf("head=%v: chunks hold %d bytes for %d of data and %d elements (limit %d)", head, held, data, l.Len(), limit)
		}
	}
}
