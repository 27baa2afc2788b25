// fuzz_test.go holds the fuzz targets of the parsers. FuzzReader feeds
// arbitrary bytes in pseudo-random pieces and requires the streaming
// Reader to agree with the naive reference decoder, never to panic, and to
// keep its buffer within what the limits allow. FuzzSplitArgs checks that
// quoting what SplitArgs returns splits back to the same words.
package resp

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func chunkSizes(seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	sizes := make([]int, 1+rng.IntN(16))
	for i := range sizes {
		switch rng.IntN(4) {
		case 0:
			sizes[i] = 1
		case 1:
			sizes[i] = 1 + rng.IntN(8)
		case 2:
			sizes[i] = 1 + rng.IntN(256)
		default:
			sizes[i] = 1 + rng.IntN(70000)
		}
	}
	return sizes
}

func FuzzReader(f *testing.F) {
	seeds := []string{
		mb("SET", "k", "v") + "PING\r\n",
		"*0\r\n*-1\r\n" + mb("GET", "a"),
		"*1\r\n$4\r\nPINGxx*1\rX$4\r\nPING\r\n",
		"SET \"a\\x41\" 'b'\r\n\r\n",
		"*2\r\n$3\r\nGET\r\nx\r\n",
		"*1\r\n$-1\r\n",
		"*1\x00\r\n",
		"GET \"unbalanced\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000\r\n" + strings.Repeat("v", 4000) + "\r\n",
		"*2147483647\r\n$0\r\n\r\n$0\r\n\r\n",
		"*1\r\n$536870912\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint64(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		if len(data) > InlineMax {
			// beyond 64 KiB the inline and count-line caps make the outcome
			// depend on how the bytes were split, in Redis as here
			data = data[:InlineMax]
		}
		sizes := chunkSizes(seed)

		// 1. Without a query buffer limit the result is the reference's.
		rd := NewReader()
		res := decodeStream(rd, &chunkReader{data: data, sizes: sizes})
		ref, refErr := refDecode(data, rd.MaxBulkLen)
		if got := protoMsg(res.err); got != refErr {
			t.Fatalf("error %q, reference %q", got, refErr)
		}
		if len(res.cmds) != len(ref) || (len(ref) > 0 && !reflect.DeepEqual(res.cmds, ref)) {
			t.Fatalf("commands %q, reference %q", res.cmds, ref)
		}
		// the buffer only ever holds the request in progress, doubled at most
		if limit := 2*(len(data)+minFree) + initialBufSize; res.maxCap > limit {
			t.Fatalf("buffer grew to %d for %d bytes of input", res.maxCap, len(data))
		}

		// 2. With a tiny query buffer limit the reader stops early but still
		// agrees with the reference on every command it did return.
		const qlimit = 1000
		rd = NewReader()
		rd.QueryBufferLimit = qlimit
		rd.MaxBulkLen = 5000
		res = decodeStream(rd, &chunkReader{data: data, sizes: sizes})
		ref, _ = refDecode(data, rd.MaxBulkLen)
		if len(res.cmds) > len(ref) || (len(res.cmds) > 0 && !reflect.DeepEqual(res.cmds, ref[:len(res.cmds)])) {
			t.Fatalf("limited reader returned %q, reference %q", res.cmds, ref)
		}
		if res.err != nil && !errors.Is(res.err, ErrQueryBufferLimit) {
			var pe *ProtocolError
			if !errors.As(res.err, &pe) {
				t.Fatalf("unexpected error %v", res.err)
			}
		}
		maxChunk := 0
		for _, s := range sizes {
			maxChunk = max(maxChunk, s)
		}
		if bound := 2*(InlineMax+qlimit+maxChunk+minFree) + initialBufSize; res.maxCap > bound {
			t.Fatalf("limited buffer grew to %d", res.maxCap)
		}
	})
}

// quoteArg renders b so that SplitArgs reads it back as one word.
func quoteArg(b []byte) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '\\' || c == '"':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&s, "\\x%02x", c)
		default:
			s.WriteByte(c)
		}
	}
	s.WriteByte('"')
	return s.String()
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"set a b", `"a\x41" 'b\'c'`, `"unbalanced`, "a\x00b", `"a"b`, `'\`, "\"\\\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		words, ok := SplitArgs(line)
		if !ok {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = quoteArg(w)
		}
		again, ok := SplitArgs([]byte(strings.Join(quoted, " ")))
		if !ok || len(again) != len(words) {
			t.Fatalf("re-split of %q failed: %v %q", line, ok, again)
		}
		for i := range words {
			if string(again[i]) != string(words[i]) {
				t.Fatalf("word %d: %q became %q", i, words[i], again[i])
			}
		}
	})
}
