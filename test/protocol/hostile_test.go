// hostile_test.go checks that a client sending a request one byte at a
// time, or pipelining without ever reading its replies, does not stall the
// other clients: their commands are answered meanwhile.
package protocol

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(safety))
	return c, bufio.NewReader(c)
}

func ping(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := r.ReadString('\n')
	if err != nil || line != "+PONG\r\n" {
		t.Fatalf("PING: %q %v", line, err)
	}
}

func TestSlowlorisDoesNotStallOthers(t *testing.T) {
	for name, start := range map[string]func(testing.TB, ...string) *testutil.Proc{
		"redis": testutil.StartRedis, "redoubt": testutil.StartRedoubt,
	} {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			slow, slowR := dial(t, srv.Addr)
			other, otherR := dial(t, srv.Addr)
			req := mb("SET", "slow", strings.Repeat("v", 50)) + "GET slow\r\n"
			for i := 0; i < len(req); i++ {
				if _, err := slow.Write([]byte{req[i]}); err != nil {
					t.Fatal(err)
				}
				ping(t, other, otherR)
			}
			want := "+OK\r\n$50\r\n" + strings.Repeat("v", 50) + "\r\n"
			got := make([]byte, len(want))
			if _, err := ioReadFull(slowR, got); err != nil || string(got) != want {
				t.Fatalf("slow client got %q %v", got, err)
			}
		})
	}
}

// The pipelining client writes GETs of a 256 KiB value and never reads: the
// server's replies fill the socket buffers, the server stops reading that
// client, and its writes block. Only redoubt is run: Redis would buffer the
// unread replies in memory without bound (client-output-buffer-limit
// normal 0 0 0), which is what the block is meant to avoid.
func TestNonReadingPipelinerDoesNotStallOthers(t *testing.T) {
	srv := testutil.StartRedoubt(t)
	setup, setupR := dial(t, srv.Addr)
	if _, err := setup.Write([]byte(mb("SET", "big", strings.Repeat("x", 256<<10)))); err != nil {
		t.Fatal(err)
	}
	if line, err := setupR.ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("SET: %q %v", line, err)
	}

	hog, _ := dial(t, srv.Addr)
	chunk := []byte(strings.Repeat("GET big\r\n", 1000))
	blocked := false
	for written := 0; written < 1<<30; written += len(chunk) {
		hog.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := hog.Write(chunk); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				blocked = true
				break
			}
			t.Fatal(err)
		}
	}
	if !blocked {
		t.Fatal("the server kept reading a client that never reads its replies")
	}
	other, otherR := dial(t, srv.Addr)
	for i := 0; i < 10; i++ {
		ping(t, other, otherR)
	}
	if _, err := other.Write([]byte("GET big\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := otherR.ReadString('\n'); err != nil || line != "$262144\r\n" {
		t.Fatalf("GET from another client: %q %v", line, err)
	}
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
