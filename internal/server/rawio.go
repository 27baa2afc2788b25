// rawio.go reads and writes a TCP connection's socket with raw system
// calls inside the runtime's poller callbacks. Plain net.Conn I/O marks
// every read and write as a potentially blocking system call, which lets
// the scheduler hand the only P to another thread mid-request; on a
// non-blocking socket these calls never block, so skipping that bookkeeping
// removes thread hand-offs from the request path (they showed up as p99
// latency at pipeline 1).
package server

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// connIO is the byte stream of one client connection.
type connIO interface {
	io.Reader
	io.Writer
}

// rawIO is connIO over a socket's file descriptor. The poller callbacks
// are bound once per connection and their arguments and results live in
// the struct, so a read or a write allocates nothing.
type rawIO struct {
	rc              syscall.RawConn
	onRead, onWrite func(fd uintptr) bool

	p     []byte // buffer of the read or write in progress
	n     int    // bytes read, or written so far
	errno syscall.Errno
}

// newConnIO returns raw I/O for TCP and unix sockets, conn itself otherwise.
func newConnIO(conn net.Conn) connIO {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return conn
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return conn
	}
	r := &rawIO{rc: rc}
	r.onRead = r.readReady
	r.onWrite = r.writeReady
	return r
}

// readReady makes one read attempt; false means "wait until readable".
func (r *rawIO) readReady(fd uintptr) bool {
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.p[0])), uintptr(len(r.p)))
	if errno == syscall.EAGAIN {
		return false
	}
	r.n, r.errno = int(n), errno
	return true
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.p, r.n, r.errno = p, 0, 0
	err := r.rc.Read(r.onRead)
	r.p = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno == syscall.EINTR:
		return 0, nil
	case r.errno != 0:
		return 0, r.errno
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// writeReady writes as much as the socket takes; false means "wait until
// writable" with bytes still to send.
func (r *rawIO) writeReady(fd uintptr) bool {
	for r.n < len(r.p) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&r.p[r.n])), uintptr(len(r.p)-r.n))
		switch e {
		case 0:
			r.n += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			r.errno = e
			return true
		}
	}
	return true
}

func (r *rawIO) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.p, r.n, r.errno = p, 0, 0
	err := r.rc.Write(r.onWrite)
	n, errno := r.n, r.errno
	r.p = nil
	if err != nil {
		return n, err
	}
	if errno != 0 {
		return n, errno
	}
	return n, nil
}
