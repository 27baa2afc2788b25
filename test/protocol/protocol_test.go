// Package protocol compares redoubt's handling of raw request bytes with a
// real redis-server: well-formed, malformed, split, pipelined and oversized
// requests are sent byte for byte to both, and the raw reply bytes and
// whether the server closed the connection must be the same. It also checks
// that hostile clients (one byte at a time, pipelining without reading)
// do not stall anybody else.
package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

// terminator is sent after a case that leaves the connection open; its
// reply marks the end of the case's replies.
const terminator = "ECHO __proto_end__\r\n"

var terminatorReply = []byte("$13\r\n__proto_end__\r\n")

// safety is how long a case may take before it is reported as stuck; it
// only turns a hang into a failure, no assertion depends on it.
const safety = 60 * time.Second

type outcome struct {
	replies []byte
	closed  bool
}

func mb(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// exchange writes each element of writes on a fresh connection, then either
// waits for the server to close it (expectClose) or sends the terminator
// and reads up to its reply.
func exchange(t *testing.T, addr string, writes []string, expectClose bool) outcome {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(safety))
	var out bytes.Buffer
	readDone := make(chan error, 1)
	go func() {
		buf := make([]byte, 64*1024)
		for {
			n, err := conn.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				readDone <- err
				return
			}
			if !expectClose && bytes.HasSuffix(out.Bytes(), terminatorReply) {
				readDone <- nil
				return
			}
		}
	}()
	for _, w := range writes {
		if _, err := conn.Write([]byte(w)); err != nil {
			break // the server closed on us; what it sent is still read
		}
	}
	if !expectClose {
		conn.Write([]byte(terminator))
	}
	err = <-readDone
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: no end of replies within %v (got %d bytes: %.200q)", addr, safety, out.Len(), out.Bytes())
	}
	closed := err != nil // EOF or reset
	if !closed {
		// the connection must still be usable
		conn.Write([]byte("PING\r\n"))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			t.Fatalf("%s: connection unusable after the case: %q %v", addr, line, err)
		}
	}
	return outcome{replies: out.Bytes(), closed: closed}
}

type protoCase struct {
	name        string
	writes      []string
	expectClose bool
	// want, when set, is the exact reply stream (before the terminator) both
	// servers must produce, so a case cannot pass by both doing nothing.
	want string
}

func runCases(t *testing.T, cases []protoCase, redisAddr, redoubtAddr string) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := exchange(t, redisAddr, tc.writes, tc.expectClose)
			got := exchange(t, redoubtAddr, tc.writes, tc.expectClose)
			if ref.closed != tc.expectClose {
				t.Fatalf("case premise wrong: redis closed=%v", ref.closed)
			}
			if !bytes.Equal(got.replies, ref.replies) {
				t.Fatalf("replies differ\nredis:   %.300q\nredoubt: %.300q", ref.replies, got.replies)
			}
			if got.closed != ref.closed {
				t.Fatalf("redis closed=%v, redoubt closed=%v", ref.closed, got.closed)
			}
			if tc.want != "" {
				want := tc.want
				if !tc.expectClose {
					want += string(terminatorReply)
				}
				if string(ref.replies) != want {
					t.Fatalf("redis sent %.300q, case expects %.300q", ref.replies, want)
				}
			}
		})
	}
}

func protoErr(msg string) string { return "-ERR Protocol error: " + msg + "\r\n" }

func TestProtocolErrors(t *testing.T) {
	redis := testutil.StartRedis(t)
	redoubt := testutil.StartRedoubt(t)
	long := strings.Repeat("1", 70000)
	cases := []protoCase{
		{name: "invalid multibulk length", writes: []string{"*x\r\n"}, expectClose: true, want: protoErr("invalid multibulk length")},
		{name: "multibulk length over INT_MAX", writes: []string{"*2147483648\r\n"}, expectClose: true, want: protoErr("invalid multibulk length")},
		{name: "multibulk length with plus", writes: []string{"*+1\r\n"}, expectClose: true, want: protoErr("invalid multibulk length")},
		{name: "invalid bulk length", writes: []string{"*1\r\n$x\r\n"}, expectClose: true, want: protoErr("invalid bulk length")},
		{name: "negative bulk length", writes: []string{"*1\r\n$-1\r\n"}, expectClose: true, want: protoErr("invalid bulk length")},
		{name: "bulk length over proto-max-bulk-len", writes: []string{"*1\r\n$536870913\r\n"}, expectClose: true, want: protoErr("invalid bulk length")},
		{name: "expected dollar", writes: []string{"*1\r\nx4\r\nPING\r\n"}, expectClose: true, want: protoErr("expected '$', got 'x'")},
		{name: "expected dollar after first arg", writes: []string{"*2\r\n$4\r\nECHO\r\n:1\r\n"}, expectClose: true, want: protoErr("expected '$', got ':'")},
		{name: "too big inline request", writes: []string{strings.Repeat("a", 65537)}, expectClose: true, want: protoErr("too big inline request")},
		{name: "too big mbulk count string", writes: []string{"*" + long}, expectClose: true, want: protoErr("too big mbulk count string")},
		{name: "too big bulk count string", writes: []string{"*1\r\n$" + long}, expectClose: true, want: protoErr("too big bulk count string")},
		{name: "unbalanced quotes", writes: []string{"ECHO \"abc\r\n"}, expectClose: true, want: protoErr("unbalanced quotes in request")},
		{name: "closing quote followed by text", writes: []string{"ECHO 'a'b\r\n"}, expectClose: true, want: protoErr("unbalanced quotes in request")},
		{name: "replies before the error in the same packet",
			writes: []string{"SET a 1\r\n" + mb("GET", "a") + "PING\r\n*1\r\n$-5\r\nPING\r\n"}, expectClose: true,
			want: "+OK\r\n$1\r\n1\r\n+PONG\r\n" + protoErr("invalid bulk length")},
		{name: "error split over writes", writes: []string{"PING\r\n*1\r", "\n$", "-", "1\r\n"}, expectClose: true,
			want: "+PONG\r\n" + protoErr("invalid bulk length")},
		{name: "commands after the error are not run",
			writes: []string{"SET b 1\r\n*x\r\nSET b 2\r\n"}, expectClose: true, want: "+OK\r\n" + protoErr("invalid multibulk length")},
		{name: "quit stops the pipeline", writes: []string{"PING\r\nQUIT\r\nPING\r\n*x\r\n"}, expectClose: true, want: "+PONG\r\n+OK\r\n"},
	}
	runCases(t, cases, redis.Addr, redoubt.Addr)
}

func TestProtocolRequests(t *testing.T) {
	redis := testutil.StartRedis(t)
	redoubt := testutil.StartRedoubt(t)
	cases := []protoCase{
		{name: "inline ping", writes: []string{"PING\r\n"}, want: "+PONG\r\n"},
		{name: "inline LF only", writes: []string{"PING\n"}, want: "+PONG\r\n"},
		{name: "inline quoted args", writes: []string{"SET k \"a b\\x41\\n\"\r\nGET k\r\nSET k2 'it\\'s'\r\nGET k2\r\n"},
			want: "+OK\r\n$5\r\na bA\n\r\n+OK\r\n$4\r\nit's\r\n"},
		{name: "inline empty lines", writes: []string{"\r\n\n   \r\n\t\r\nPING\r\n"}, want: "+PONG\r\n"},
		{name: "inline tabs and spaces", writes: []string{"  ECHO\t  hello   \r\n"}, want: "$5\r\nhello\r\n"},
		{name: "telnet bytes one at a time", writes: strings.Split("ECHO \"hi there\"\r\n", ""), want: "$8\r\nhi there\r\n"},
		{name: "star zero", writes: []string{"*0\r\nPING\r\n"}, want: "+PONG\r\n"},
		{name: "star minus one", writes: []string{"*-1\r\nPING\r\n"}, want: "+PONG\r\n"},
		{name: "star minus many", writes: []string{"*-100\r\n" + mb("PING")}, want: "+PONG\r\n"},
		{name: "bulk trailer bytes unchecked", writes: []string{"*1\r\n$4\r\nPINGxx"}, want: "+PONG\r\n"},
		{name: "count line ends at first CR", writes: []string{"*1\rX$4\r\nPING\r\n"}, want: "+PONG\r\n"},
		{name: "multibulk split at every byte", writes: strings.Split(mb("SET", "split", "v\r\nv")+mb("GET", "split"), ""), want: "+OK\r\n$4\r\nv\r\nv\r\n"},
		{name: "multibulk split over writes", writes: []string{"PING\r\n*1\r", "\n$", "4\r\n", "PI", "NG\r\n"}, want: "+PONG\r\n+PONG\r\n"},
		{name: "multibulk split mid bulk", writes: []string{"*2\r\n$4\r\nEC", "HO\r\n$3\r", "\nabc", "\r\n"}, want: "$3\r\nabc\r\n"},
		{name: "binary arg", writes: []string{mb("ECHO", "\x00\xff\r\n")}, want: "$4\r\n\x00\xff\r\n\r\n"},
		{name: "empty arg", writes: []string{mb("ECHO", "")}, want: "$0\r\n\r\n"},
		{name: "unknown command", writes: []string{mb("NOSUCH", "a", "b")}},
		{name: "wrong arity", writes: []string{"GET\r\n"}},
		{name: "lowercase and mixed case", writes: []string{"ping\r\nPiNg\r\n"}, want: "+PONG\r\n+PONG\r\n"},
	}
	runCases(t, cases, redis.Addr, redoubt.Addr)
}

func TestProtocolPipelineAndBigArgs(t *testing.T) {
	redis := testutil.StartRedis(t)
	redoubt := testutil.StartRedoubt(t)

	var pipe strings.Builder
	for i := 0; i < 10000; i++ {
		switch i % 3 {
		case 0:
			pipe.WriteString(mb("SET", fmt.Sprintf("key:%d", i), fmt.Sprintf("value:%d", i)))
		case 1:
			pipe.WriteString(mb("GET", fmt.Sprintf("key:%d", i-1)))
		default:
			fmt.Fprintf(&pipe, "ECHO inline:%d\r\n", i)
		}
	}

	big := strings.Repeat("0123456789abcdef", 50<<20/16)
	setBig := mb("SET", "big", big)
	var bigWrites []string
	for i := 0; i < len(setBig); i += 16 * 1024 {
		bigWrites = append(bigWrites, setBig[i:min(i+16*1024, len(setBig))])
	}
	bigWrites = append(bigWrites, mb("GET", "big"), "SET small x\r\nGET small\r\n")

	cases := []protoCase{
		{name: "10000 commands in one write", writes: []string{pipe.String()}},
		{name: "50MB argument in 16KB writes", writes: bigWrites,
			want: "+OK\r\n$" + fmt.Sprint(len(big)) + "\r\n" + big + "\r\n+OK\r\n$1\r\nx\r\n"},
		{name: "many args", writes: []string{mb(append([]string{"ECHO"}, strings.Split(strings.Repeat("x ", 5000), " ")...)...)}},
	}
	runCases(t, cases, redis.Addr, redoubt.Addr)
}

func chunks(s string, size int) []string {
	var out []string
	for i := 0; i < len(s); i += size {
		out = append(out, s[i:min(i+size, len(s))])
	}
	return out
}

func TestProtocolMaxBulkLen(t *testing.T) {
	args := []string{"--proto-max-bulk-len", "1mb"}
	redis := testutil.StartRedis(t, args...)
	redoubt := testutil.StartRedoubt(t, args...)
	runCases(t, []protoCase{
		{name: "bulk at proto-max-bulk-len", writes: chunks(mb("ECHO", strings.Repeat("x", 1<<20)), 8192),
			want: "$1048576\r\n" + strings.Repeat("x", 1<<20) + "\r\n"},
		{name: "bulk over proto-max-bulk-len", writes: []string{"*2\r\n$4\r\nECHO\r\n$1048577\r\n"}, expectClose: true,
			want: protoErr("invalid bulk length")},
	}, redis.Addr, redoubt.Addr)
}

func TestProtocolQueryBufferLimit(t *testing.T) {
	args := []string{"--client-query-buffer-limit", "1mb", "--proto-max-bulk-len", "4mb"}
	redis := testutil.StartRedis(t, args...)
	redoubt := testutil.StartRedoubt(t, args...)
	runCases(t, []protoCase{
		{name: "argument under the limit", writes: append([]string{"PING\r\n"}, chunks(mb("SET", "k", strings.Repeat("v", 1000000))+"GET k\r\n", 8192)...),
			want: "+PONG\r\n+OK\r\n$1000000\r\n" + strings.Repeat("v", 1000000) + "\r\n"},
		{name: "pipeline larger than the limit", writes: []string{strings.Repeat(mb("SET", "k", strings.Repeat("v", 1000)), 3000)}},
		// the connection is closed without a reply
		{name: "argument over the limit", writes: chunks(mb("SET", "k", strings.Repeat("v", 3<<20)), 8192), expectClose: true, want: ""},
		{name: "argument over the limit in one write", writes: []string{mb("SET", "k", strings.Repeat("v", 2<<20))}, expectClose: true, want: ""},
	}, redis.Addr, redoubt.Addr)
}

func TestProtocolUnauthenticated(t *testing.T) {
	args := []string{"--requirepass", "secret"}
	redis := testutil.StartRedis(t, args...)
	redoubt := testutil.StartRedoubt(t, args...)
	cases := []protoCase{
		{name: "multibulk length", writes: []string{"*11\r\n"}, expectClose: true, want: protoErr("unauthenticated multibulk length")},
		{name: "multibulk length 10 allowed", writes: []string{mb("NOSUCH", "1", "2", "3", "4", "5", "6", "7", "8", "9")},
			want: "-ERR unknown command 'NOSUCH', with args beginning with: '1' '2' '3' '4' '5' '6' '7' '8' '9' \r\n"},
		{name: "bulk length", writes: []string{"*2\r\n$4\r\nAUTH\r\n$16385\r\n"}, expectClose: true, want: protoErr("unauthenticated bulk length")},
		{name: "bulk length 16384 allowed", writes: []string{mb("ECHO", strings.Repeat("k", 16384))},
			want: "-NOAUTH Authentication required.\r\n"},
		{name: "inline is not limited", writes: []string{"ECHO " + strings.Repeat("k", 20000) + "\r\n"},
			want: "-NOAUTH Authentication required.\r\n"},
	}
	// the terminator itself is refused with NOAUTH on both
	for i := range cases {
		if !cases[i].expectClose {
			cases[i].want += "-NOAUTH Authentication required.\r\n"
		}
	}
	runUnauthCases(t, cases, redis.Addr, redoubt.Addr)
}

// runUnauthCases is runCases for servers that answer the terminator with
// NOAUTH: it reads up to that reply instead.
func runUnauthCases(t *testing.T, cases []protoCase, redisAddr, redoubtAddr string) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var outs [2]outcome
			for i, addr := range []string{redisAddr, redoubtAddr} {
				outs[i] = exchangeUnauth(t, addr, tc.writes, tc.expectClose, len(tc.want))
			}
			if outs[0].closed != tc.expectClose || string(outs[0].replies) != tc.want {
				t.Fatalf("case premise wrong: redis closed=%v sent %q", outs[0].closed, outs[0].replies)
			}
			if outs[1].closed != outs[0].closed || !bytes.Equal(outs[1].replies, outs[0].replies) {
				t.Fatalf("redis closed=%v %q; redoubt closed=%v %q", outs[0].closed, outs[0].replies, outs[1].closed, outs[1].replies)
			}
		})
	}
}

func exchangeUnauth(t *testing.T, addr string, writes []string, expectClose bool, wantLen int) outcome {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(safety))
	for _, w := range writes {
		conn.Write([]byte(w))
	}
	if expectClose {
		b, err := io.ReadAll(conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return outcome{replies: b}
		}
		return outcome{replies: b, closed: true}
	}
	conn.Write([]byte(terminator))
	b := make([]byte, wantLen)
	n, err := io.ReadFull(conn, b)
	return outcome{replies: b[:n], closed: err != nil}
}
