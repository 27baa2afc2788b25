// Error replies of the proxy, with nutcracker's texts: "-ERR " followed by
// the C library's strerror of the errno that failed the forwarding
// ("Connection refused", "Connection timed out", ...), and the fixed
// replies of its local commands.

package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

var (
	rspOK           = []byte("+OK\r\n")
	rspPong         = []byte("+PONG\r\n")
	rspInvalidPass  = []byte("-ERR invalid password\r\n")
	rspAuthRequired = []byte("-NOAUTH Authentication required\r\n")
	rspNoPassword   = []byte("-ERR Client sent AUTH, but no password is set\r\n")
)

// Forward error texts as glibc's strerror spells them.
const (
	errTextRefused  = "Connection refused"
	errTextTimedOut = "Connection timed out"
	errTextReset    = "Connection reset by peer"
	errTextPipe     = "Broken pipe"
	errTextUnknown  = "unknown" // twemproxy's text when errno is 0 (server EOF)
	errTextInval    = "Invalid argument"
	errTextHostUnr  = "No route to host"
	errTextNetUnr   = "Network is unreachable"
)

// errText maps a Go network error to the strerror text nutcracker puts in
// its "-ERR" reply.
func errText(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return errTextUnknown
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errTextTimedOut
	case errors.As(err, &errno):
		switch errno {
		case syscall.ECONNREFUSED:
			return errTextRefused
		case syscall.ETIMEDOUT:
			return errTextTimedOut
		case syscall.ECONNRESET:
			return errTextReset
		case syscall.EPIPE:
			return errTextPipe
		case syscall.EHOSTUNREACH:
			return errTextHostUnr
		case syscall.ENETUNREACH:
			return errTextNetUnr
		}
		s := errno.Error()
		if s != "" && s[0] >= 'a' && s[0] <= 'z' {
			s = string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errTextTimedOut
	}
	return errTextUnknown
}

// errReply builds the "-ERR <text>\r\n" reply.
func errReply(dst []byte, text string) []byte {
	dst = append(dst, "-ERR "...)
	dst = append(dst, text...)
	return append(dst, '\r', '\n')
}

// unknownCommandReply is Redis's error for a command it does not have,
// naming the command and its first arguments as Redis 6.2+ does:
// "-ERR unknown command 'hello', with args beginning with: '3' ".
func unknownCommandReply(b []byte, req *request) []byte {
	name := req.args[0]
	out := []byte("-ERR unknown command '")
	out = append(out, b[name.s:name.e]...)
	out = append(out, "', with args beginning with: "...)
	for _, a := range req.args[1:] {
		arg := b[a.s:a.e]
		if len(arg) > 128 {
			arg = arg[:128] // Redis shortens each argument so
		}
		out = append(out, '\'')
		out = append(out, arg...)
		out = append(out, "' "...)
	}
	return append(out, '\r', '\n')
}
