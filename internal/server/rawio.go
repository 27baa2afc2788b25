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

	// the read and the write in progress keep their own buffers and
	// results: a replica's link reads and writes from two goroutines
	rp, wp         []byte
	rn, wn         int
	rerrno, werrno syscall.Errno
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
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.rp[0])), uintptr(len(r.rp)))
	if errno == syscall.EAGAIN {
		return false
	}
	r.rn, r.rerrno = int(n), errno
	return true
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.rp, r.rn, r.rerrno = p, 0, 0
	err := r.rc.Read(r.onRead)
	r.rp = nil
	switch {
	case err != nil:
		return 0, err
	case r.rerrno == syscall.EINTR:
		return 0, nil
	case r.rerrno != 0:
		return 0, r.rerrno
	case r.rn == 0:
		return 0, io.EOF
	}
	return r.rn, nil
}

// writeReady writes as much as the socket takes; false means "wait until
// writable" with bytes still to send.
func (r *rawIO) writeReady(fd uintptr) bool {
	for r.wn < len(r.wp) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&r.wp[r.wn])), uintptr(len(r.wp)-r.wn))
		switch e {
		case 0:
			r.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			r.werrno = e
			return true
		}
	}
	return true
}

func (r *rawIO) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.wp, r.wn, r.werrno = p, 0, 0
	err := r.rc.Write(r.onWrite)
	n, errno := r.wn, r.werrno
	r.wp = nil
	if err != nil {
		return n, err
	}
	if errno != 0 {
		return n, errno
	}
	return n, nil
}
