// hll_test.go checks the HyperLogLog representation: element hashing
// against registers read from the real Redis, the 6-bit register packing,
// that sparse and dense encodings hold the same registers and estimates
// after the same additions, canonical sparse opcodes, and the rejection of
// corrupted sparse bodies.
package types

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestHLLPatLenMatchesRedis(t *testing.T) {
	// register and run length Redis 7.0 reports (PFDEBUG GETREG) after
	// PFADD of each element into an empty HLL
	for _, tc := range []struct {
		ele          string
		index, count int
	}{{"foo", 7348, 5}, {"", 5938, 2}, {"hello-world-123456789", 601, 1}} {
		index, count := hllPatLen([]byte(tc.ele))
		if index != tc.index || int(count) != tc.count {
			t.Errorf("%q: register %d count %d, want %d %d", tc.ele, index, count, tc.index, tc.count)
		}
	}
}

func TestDenseRegistersIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	regs := make([]byte, hllDenseSize-hllHdrSize)
	want := make([]uint8, HLLRegisters)
	for range 20 {
		for i := range want {
			want[i] = uint8(rng.IntN(64))
			denseSet(regs, i, want[i])
		}
		for i := range want {
			if got := denseGet(regs, i); got != want[i] {
				t.Fatalf("register %d = %d, want %d", i, got, want[i])
			}
		}
	}
}

func registersOf(t *testing.T, b []byte) *[HLLRegisters]uint8 {
	t.Helper()
	var regs [HLLRegisters]uint8
	if !HLLMergeInto(&regs, b) {
		t.Fatal("valid HLL rejected")
	}
	return &regs
}

func TestSparseAndDenseAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sparse := NewHLL()
	dense := NewHLL()
	if !HLLToDense(dense) || len(dense.B) != hllDenseSize {
		t.Fatal("empty HLL did not convert to dense")
	}
	for n := 1; n <= 3000; n++ {
		ele := []byte(fmt.Sprintf("ele:%d", rng.Uint64()))
		a := HLLAdd(sparse, ele, 1<<30)
		b := HLLAdd(dense, ele, 1<<30)
		if a != b {
			t.Fatalf("element %d: sparse returned %d, dense %d", n, a, b)
		}
		if n%250 == 0 {
			if *registersOf(t, sparse.B) != *registersOf(t, dense.B) {
				t.Fatalf("registers differ after %d elements", n)
			}
			cs, ok1 := HLLCount(sparse.B)
			cd, ok2 := HLLCount(dense.B)
			if !ok1 || !ok2 || cs != cd {
				t.Fatalf("after %d: sparse %d (%v) dense %d (%v)", n, cs, ok1, cd, ok2)
			}
			if diff := float64(cs) - float64(n); diff > 0.05*float64(n) || diff < -0.05*float64(n) {
				t.Fatalf("estimate %d for %d elements", cs, n)
			}
		}
	}
	if !HLLIsSparse(sparse.B) {
		t.Fatal("a huge sparse limit still promoted")
	}
	assertCanonicalSparse(t, sparse.B)
}

// assertCanonicalSparse checks that the opcodes cover every register and
// that no two adjacent VALs of the same value could have been one.
func assertCanonicalSparse(t *testing.T, b []byte) {
	t.Helper()
	covered := 0
	for p := hllHdrSize; p < len(b); {
		op := b[p]
		switch {
		case spIsZero(op):
			covered += spZeroLen(op)
			p++
		case spIsXZero(op):
			covered += spXZeroLen(b, p)
			p += 2
		default:
			covered += spValLen(op)
			if p+1 < len(b) && spIsVal(b[p+1]) && spValValue(b[p+1]) == spValValue(op) &&
				spValLen(op)+spValLen(b[p+1]) <= sparseValLen {
				t.Fatalf("mergeable VALs at %d", p)
			}
			p++
		}
	}
	if covered != HLLRegisters {
		t.Fatalf("opcodes cover %d registers", covered)
	}
}

func TestSparsePromotion(t *testing.T) {
	h := NewHLL()
	// a register value beyond what VAL can hold promotes at once
	if HLLSetRegister(h, 10, 33, 3000) != 1 || HLLIsSparse(h.B) || len(h.B) != hllDenseSize {
		t.Fatal("value 33 did not promote to dense")
	}
	if got := HLLRegisterValues(h.B)[10]; got != 33 {
		t.Fatalf("register 10 = %d", got)
	}
	// growing past the byte limit promotes too, keeping the registers
	h = NewHLL()
	for i := 0; HLLIsSparse(h.B); i += 7 {
		if int64(len(h.B)) > 40 {
			t.Fatalf("sparse HLL grew to %d bytes past the limit", len(h.B))
		}
		HLLSetRegister(h, i, uint8(1+i%32), 40)
	}
	regs := HLLRegisterValues(h.B)
	for i := 0; i < HLLRegisters; i++ {
		want := uint8(0)
		if i%7 == 0 && regs[i] != 0 {
			want = uint8(1 + i%32)
		}
		if regs[i] != want {
			t.Fatalf("register %d = %d after promotion, want %d", i, regs[i], want)
		}
	}
}

func TestCorruptSparseRejected(t *testing.T) {
	hdr := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
	for name, body := range map[string]string{
		"too few registers":  "\x7f\xfe",
		"too many registers": "\x7f\xff\x00",
		"empty body":         "",
		"VAL past the end":   "\x7f\xfc\x83",
	} {
		s := &String{B: []byte(hdr + body)}
		if !IsHLL(s.B) {
			t.Fatalf("%s: header rejected", name)
		}
		if _, ok := HLLCount(s.B); ok {
			t.Errorf("%s: counted", name)
		}
		var regs [HLLRegisters]uint8
		if HLLMergeInto(&regs, s.B) {
			t.Errorf("%s: merged", name)
		}
		if HLLToDense(s) {
			t.Errorf("%s: converted", name)
		}
	}
	for _, bad := range []string{"HYLL", "HYLX\x01" + hdr[5:], "HYLL\x02" + hdr[5:], "HYLL\x00" + hdr[5:]} {
		if IsHLL([]byte(bad)) {
			t.Errorf("%q accepted as an HLL", bad)
		}
	}
}

func TestHLLCache(t *testing.T) {
	h := NewHLL()
	if _, ok := HLLCachedCount(h.B); !ok {
		t.Fatal("a new HLL has no valid cached count (Redis caches 0)")
	}
	HLLAdd(h, []byte("x"), 3000)
	if _, ok := HLLCachedCount(h.B); ok {
		t.Fatal("cache still valid after a register changed")
	}
	HLLSetCachedCount(h, 1)
	if n, ok := HLLCachedCount(h.B); !ok || n != 1 {
		t.Fatalf("cached %d %v", n, ok)
	}
}

func TestHLLDecode(t *testing.T) {
	h := NewHLL()
	HLLSetRegister(h, 0, 3, 3000)
	HLLSetRegister(h, 100, 2, 3000)
	HLLSetRegister(h, 101, 2, 3000)
	if got, want := HLLDecode(h.B), "v:3,1 Z:99 v:2,2 Z:16282"; got != want {
		t.Fatalf("decode %q, want %q", got, want)
	}
}
