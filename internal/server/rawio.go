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

// rawIO is connIO over a socket's file descriptor.
type rawIO struct{ rc syscall.RawConn }

// newConnIO returns raw I/O for TCP and unix sockets, conn itself otherwise.
func newConnIO(conn net.Conn) connIO {
	if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			return &rawIO{rc}
		}
	}
	return conn
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := r.rc.Read(func(fd uintptr) bool {
		n, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno == syscall.EINTR:
		return 0, nil
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

func (r *rawIO) Write(p []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := r.rc.Write(func(fd uintptr) bool {
		for written < len(p) {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[written])), uintptr(len(p)-written))
			switch e {
			case 0:
				written += int(n)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // wait until the socket is writable
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err != nil {
		return written, err
	}
	if errno != 0 {
		return written, errno
	}
	return written, nil
}
