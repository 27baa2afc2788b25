// reader_test.go checks the request parser: multibulk and inline requests,
// every error Redis reports, input split at every byte, big pipelines, big
// arguments in small pieces, compaction under a half-parsed command, and
// the limits that keep a hostile client's memory bounded.
package resp

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func mb(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func decodeAll(t *testing.T, input string, sizes ...int) streamResult {
	t.Helper()
	return decodeStream(NewReader(), &chunkReader{data: []byte(input), sizes: sizes})
}

func TestReaderRequests(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  [][]string
		err   string // protocol error message, "" for none
	}{
		{"multibulk", mb("SET", "k", "v"), [][]string{{"SET", "k", "v"}}, ""},
		{"pipeline", mb("GET", "a") + mb("GET", "b"), [][]string{{"GET", "a"}, {"GET", "b"}}, ""},
		{"binary bulk", mb("SET", "k", "a\r\n\x00b"), [][]string{{"SET", "k", "a\r\n\x00b"}}, ""},
		{"empty bulk", mb("SET", "", ""), [][]string{{"SET", "", ""}}, ""},
		{"star zero skipped", "*0\r\n" + mb("PING"), [][]string{{"PING"}}, ""},
		{"star minus one skipped", "*-1\r\n" + mb("PING"), [][]string{{"PING"}}, ""},
		{"star minus five skipped", "*-5\r\n" + mb("PING"), [][]string{{"PING"}}, ""},
		{"bulk trailer not checked", "*1\r\n$4\r\nPINGxx", [][]string{{"PING"}}, ""},
		{"count line ends at first CR", "*1\rX$4\r\nPING\r\n", [][]string{{"PING"}}, ""},
		{"incomplete count", "*1", nil, ""},
		{"incomplete after CR", "*1\r", nil, ""},
		{"incomplete bulk", "*1\r\n$4\r\nPI", nil, ""},
		{"incomplete bulk CRLF", "*1\r\n$4\r\nPING\r", nil, ""},
		{"NUL before CR waits", "*1\x00\r\n$4\r\nPING\r\n", nil, ""},
		{"inline", "PING\r\n", [][]string{{"PING"}}, ""},
		{"inline LF only", "SET a b\n", [][]string{{"SET", "a", "b"}}, ""},
		{"inline quotes", "SET \"a b\" 'c d'\r\n", [][]string{{"SET", "a b", "c d"}}, ""},
		{"inline hex", "SET k \"\\x41\\x00z\"\r\n", [][]string{{"SET", "k", "A\x00z"}}, ""},
		{"inline empty lines", "\r\n\n  \r\nPING\r\n", [][]string{{"PING"}}, ""},
		{"inline NUL waits", "GET a\x00b\r\n", nil, ""},
		{"inline then multibulk", "PING\r\n" + mb("ECHO", "x"), [][]string{{"PING"}, {"ECHO", "x"}}, ""},
		{"inline tabs", "GET\tk\r\n", [][]string{{"GET", "k"}}, ""},
		{"unbalanced quotes", "PING\r\nSET \"a\r\n", [][]string{{"PING"}}, "unbalanced quotes in request"},
		{"quote followed by char", "SET \"a\"b\r\n", nil, "unbalanced quotes in request"},
		{"invalid multibulk", "*x\r\n", nil, "invalid multibulk length"},
		{"multibulk plus", "*+1\r\n", nil, "invalid multibulk length"},
		{"multibulk leading zero", "*01\r\n", nil, "invalid multibulk length"},
		{"multibulk empty", "*\r\n", nil, "invalid multibulk length"},
		{"multibulk over INT_MAX", "*2147483648\r\n", nil, "invalid multibulk length"},
		{"multibulk INT_MAX", "*2147483647\r\n$1\r\na\r\n", nil, ""},
		{"multibulk overflow", "*99999999999999999999\r\n", nil, "invalid multibulk length"},
		{"invalid bulk", "*1\r\n$x\r\n", nil, "invalid bulk length"},
		{"negative bulk", "*1\r\n$-1\r\n", nil, "invalid bulk length"},
		{"minus zero bulk", "*1\r\n$-0\r\n", nil, "invalid bulk length"},
		{"bulk over max", "*1\r\n$536870913\r\n", nil, "invalid bulk length"},
		{"bulk at max waits", "*1\r\n$536870912\r\n", nil, ""},
		{"expected dollar", mb("PING") + "*1\r\nx4\r\nPING\r\n", [][]string{{"PING"}}, "expected '$', got 'x'"},
		{"expected dollar got colon", "*2\r\n$3\r\nGET\r\n:1\r\n", nil, "expected '$', got ':'"},
		{"too big inline", strings.Repeat("a", InlineMax+1), nil, "too big inline request"},
		{"inline at max waits", strings.Repeat("a", InlineMax), nil, ""},
		{"too big mbulk count", "*" + strings.Repeat("1", InlineMax), nil, "too big mbulk count string"},
		{"too big bulk count", "*1\r\n$" + strings.Repeat("1", InlineMax), nil, "too big bulk count string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sizes := range [][]int{{1 << 20}, {1}, {3, 1, 7}} {
				res := decodeAll(t, tt.input, sizes...)
				if !reflect.DeepEqual(res.cmds, tt.want) {
					t.Fatalf("chunks %v: commands %q, want %q", sizes, res.cmds, tt.want)
				}
				if got := protoMsg(res.err); got != tt.err {
					t.Fatalf("chunks %v: error %q, want %q", sizes, got, tt.err)
				}
			}
			ref, refErr := refDecode([]byte(tt.input), 512<<20)
			if !reflect.DeepEqual(ref, tt.want) || refErr != tt.err {
				t.Fatalf("reference decoder disagrees with the table: %q %q", ref, refErr)
			}
		})
	}
}

func TestProtocolErrorText(t *testing.T) {
	err := error(&ProtocolError{"invalid bulk length"})
	if err.Error() != "ERR Protocol error: invalid bulk length" {
		t.Fatal(err.Error())
	}
}

// A stream mixing every request shape, split in two at every byte and fed
// one byte at a time, decodes exactly as in one piece.
func TestReaderSplitEverywhere(t *testing.T) {
	big := strings.Repeat("v", bigArg+17)
	input := mb("SET", "key", "value") + "PING\r\n" + "*0\r\n" + "\r\n" +
		mb("SET", "big", big) + "ECHO \"a b\\x41\"\r\n" + mb("MSET", "a", "", "b", "x\r\ny") + mb("GET", "a")
	want := [][]string{{"SET", "key", "value"}, {"PING"}, {"SET", "big", big}, {"ECHO", "a bA"},
		{"MSET", "a", "", "b", "x\r\ny"}, {"GET", "a"}}
	for i := 0; i <= len(input); i++ {
		res := decodeAll(t, input, i, len(input))
		if i == 0 {
			res = decodeAll(t, input, len(input))
		}
		if res.err != nil || !reflect.DeepEqual(res.cmds, want) {
			t.Fatalf("split at %d: err %v, %d commands", i, res.err, len(res.cmds))
		}
	}
	res := decodeAll(t, input, 1)
	if res.err != nil || !reflect.DeepEqual(res.cmds, want) {
		t.Fatalf("byte at a time: err %v, %d commands", res.err, len(res.cmds))
	}
}

func TestReaderHugePipeline(t *testing.T) {
	const n = 100000
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&b, "INCR counter:%d\r\n", i)
		} else {
			b.WriteString(mb("SET", fmt.Sprintf("key:%d", i), "xxxxxxxxxxxxxxxx"))
		}
	}
	for _, sizes := range [][]int{{1 << 20}, {16 * 1024}, {1000, 7, 4093}} {
		res := decodeStream(NewReader(), &chunkReader{data: b.Bytes(), sizes: sizes})
		if res.err != nil || len(res.cmds) != n {
			t.Fatalf("chunks %v: err %v, %d commands", sizes, res.err, len(res.cmds))
		}
		if got := res.cmds[n-1]; !reflect.DeepEqual(got, []string{"SET", fmt.Sprintf("key:%d", n-1), "xxxxxxxxxxxxxxxx"}) {
			t.Fatalf("last command %q", got)
		}
		// a pipeline of small commands never needs more than a small buffer
		if res.maxCap > 64*1024 {
			t.Fatalf("chunks %v: buffer grew to %d for small commands", sizes, res.maxCap)
		}
	}
}

func TestReaderBigArgsInSmallChunks(t *testing.T) {
	for _, size := range []int{bigArg - 1, bigArg, 1 << 20, 5 << 20} {
		val := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		input := mb("SET", "k", string(val)) + mb("GET", "k")
		for _, chunk := range []int{1000, 4096, 65536} {
			res := decodeAll(t, input, chunk)
			if res.err != nil || len(res.cmds) != 2 || res.cmds[0][2] != string(val) || res.cmds[1][0] != "GET" {
				t.Fatalf("size %d chunk %d: err %v, %d commands", size, chunk, res.err, len(res.cmds))
			}
			// the buffer fits the argument, not a doubling of it
			if res.maxCap > size+initialBufSize+minFree {
				t.Fatalf("size %d chunk %d: buffer grew to %d", size, chunk, res.maxCap)
			}
		}
	}
}

// Arguments parsed before the buffer is compacted or grown must come out
// intact: the pending offsets move with the bytes.
func TestReaderCompactionWithPendingArgs(t *testing.T) {
	var input strings.Builder
	var want [][]string
	for i := 0; i < 50; i++ {
		args := []string{"MSET"}
		for j := 0; j < 6; j++ {
			args = append(args, strings.Repeat(string(rune('a'+j)), 1000+i*37+j))
		}
		input.WriteString(mb(args...))
		want = append(want, args)
	}
	for _, chunk := range []int{999, 3001, 5000} {
		res := decodeAll(t, input.String(), chunk)
		if res.err != nil || !reflect.DeepEqual(res.cmds, want) {
			t.Fatalf("chunk %d: err %v, %d commands", chunk, res.err, len(res.cmds))
		}
	}
}

func TestReaderShrinksAfterBigArgument(t *testing.T) {
	rd := NewReader()
	res := decodeStream(rd, &chunkReader{data: []byte(mb("SET", "k", strings.Repeat("x", 1<<20))), sizes: []int{1 << 16}})
	if res.err != nil || len(res.cmds) != 1 {
		t.Fatal(res.err, len(res.cmds))
	}
	res = decodeStream(rd, &chunkReader{data: []byte(mb("PING")), sizes: []int{100}})
	if len(res.cmds) != 1 || rd.BufferCap() != initialBufSize {
		t.Fatalf("buffer still %d after the big argument was consumed", rd.BufferCap())
	}
}

func TestReaderQueryBufferLimit(t *testing.T) {
	const limit = 1 << 20
	tests := []struct {
		name    string
		input   string
		chunk   int
		wantErr bool
	}{
		{"big argument over the limit", mb("SET", "k", strings.Repeat("x", 2*limit)), 4096, true},
		{"big argument under the limit", mb("SET", "k", strings.Repeat("x", limit-100)), 4096, false},
		{"many args together over the limit", mb(append([]string{"MSET"}, strings.Split(strings.Repeat("k"+strings.Repeat("v", 1000)+" ", 1500), " ")...)...), 16384, true},
		{"pipeline far over the limit", strings.Repeat(mb("SET", "k", strings.Repeat("v", 100)), 30000), 1 << 16, false},
		{"inline below the inline cap", strings.Repeat("PING\r\n", 400000), 1 << 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := NewReader()
			rd.QueryBufferLimit = limit
			res := decodeStream(rd, &chunkReader{data: []byte(tt.input), sizes: []int{tt.chunk}})
			if gotErr := errors.Is(res.err, ErrQueryBufferLimit); gotErr != tt.wantErr {
				t.Fatalf("err %v, want limit error %v", res.err, tt.wantErr)
			}
			if !tt.wantErr && res.err != nil {
				t.Fatal(res.err)
			}
			if res.maxCap > 2*(limit+tt.chunk+minFree) {
				t.Fatalf("buffer grew to %d past the limit", res.maxCap)
			}
		})
	}
}

func TestReaderMaxBulkLen(t *testing.T) {
	rd := NewReader()
	rd.MaxBulkLen = 10
	res := decodeStream(rd, &chunkReader{data: []byte(mb("SET", "k", "0123456789") + mb("SET", "k", "0123456789a"))})
	if len(res.cmds) != 1 || protoMsg(res.err) != "invalid bulk length" {
		t.Fatalf("%q %v", res.cmds, res.err)
	}
}

func TestReaderUnauthenticatedLimits(t *testing.T) {
	tests := []struct {
		name  string
		input string
		auth  bool
		err   string
	}{
		{"ten args allowed", mb("A", "1", "2", "3", "4", "5", "6", "7", "8", "9"), false, ""},
		{"eleven args refused", "*11\r\n", false, "unauthenticated multibulk length"},
		{"eleven args once authenticated", mb("A", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), true, ""},
		{"16384 bytes allowed", mb("AUTH", strings.Repeat("p", 16384)), false, ""},
		{"16385 bytes refused", "*2\r\n$4\r\nAUTH\r\n$16385\r\n", false, "unauthenticated bulk length"},
		{"16385 bytes once authenticated", mb("SET", strings.Repeat("p", 16385)), true, ""},
		{"inline not limited", "A 1 2 3 4 5 6 7 8 9 10 11 12\r\n", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := NewReader()
			rd.NeedsAuth = func() bool { return !tt.auth }
			res := decodeStream(rd, &chunkReader{data: []byte(tt.input), sizes: []int{100}})
			if protoMsg(res.err) != tt.err {
				t.Fatalf("error %q, want %q", protoMsg(res.err), tt.err)
			}
			if tt.err == "" && len(res.cmds) != 1 {
				t.Fatalf("%d commands", len(res.cmds))
			}
		})
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", 1<<63 - 1, true}, {"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"00", 0, false}, {"01", 0, false},
		{"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1a", 0, false}, {"000000000000000000001", 0, false},
	}
	for _, tt := range tests {
		n, ok := ParseInt([]byte(tt.in))
		if n != tt.n || ok != tt.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.ok)
		}
		if rn, rok := refInt(tt.in); rok != tt.ok || rn != tt.n {
			t.Errorf("refInt(%q) = %d, %v", tt.in, rn, rok)
		}
	}
}

// Parsing a pipelined GET allocates nothing once the buffers are warm.
func TestReaderNoAllocsPerCommand(t *testing.T) {
	input := []byte(strings.Repeat(mb("GET", "key:000001"), 100))
	rd := NewReader()
	src := &bytes.Reader{}
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(input)
		for {
			if _, err := rd.Fill(src); err != nil {
				return
			}
			for {
				args, err := rd.Next()
				if err != nil {
					t.Fatal(err)
				}
				if args == nil {
					break
				}
			}
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per 100 commands", allocs)
	}
}
