// rawio_test.go checks the raw socket I/O: bytes arrive intact both ways,
// EOF is reported, and a read or a write allocates nothing (a closure per
// call used to cost GC pauses visible in p99 latency).
package server

import (
	"io"
	"net"
	"testing"
)

func TestRawIO(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rio := newConnIO(conn)
	if _, ok := rio.(*rawIO); !ok {
		t.Fatalf("TCP connection did not get raw I/O: %T", rio)
	}
	msg := []byte("+PONG\r\n")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(200, func() {
		if n, err := rio.Write(msg); err != nil || n != len(msg) {
			t.Fatalf("write: %d %v", n, err)
		}
		if _, err := io.ReadFull(peer, buf[:len(msg)]); err != nil || string(buf[:len(msg)]) != string(msg) {
			t.Fatalf("peer read %q %v", buf[:len(msg)], err)
		}
		if _, err := peer.Write(msg); err != nil {
			t.Fatal(err)
		}
		if n, err := rio.Read(buf); err != nil || string(buf[:n]) != string(msg) {
			t.Fatalf("read %q %v", buf[:n], err)
		}
	})
	if allocs != 0 {
		t.Errorf("raw read+write allocate %v times", allocs)
	}
	peer.Close()
	if n, err := rio.Read(buf); err != io.EOF || n != 0 {
		t.Fatalf("after peer close: %d %v, want EOF", n, err)
	}
}
