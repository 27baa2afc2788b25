// The unit of work between a client and a backend: one request and, once
// done, its reply (or the forward error that replaced it). Messages are
// pooled so that steady traffic allocates nothing per request.

package proxy

import (
	"sync"
	"sync/atomic"
)

type msg struct {
	raw   []byte // request bytes as sent to the backend
	reply []byte // complete reply bytes, valid once done
	// errText, when set, replaces the reply by "-ERR <errText>"
	errText string

	kind  cmdKind
	local bool // reply made by the proxy itself, never forwarded
	quit  bool // QUIT: close the client after the replies before it
	// closeAfter closes the client once this reply is written
	closeAfter bool
	intern     bool // AUTH/SELECT sent on connect by the proxy: reply dropped

	cl      *client      // top level: the client told when it is done
	parent  *msg         // fragment: the client's request
	pending atomic.Int32 // parent: fragments not yet done
	frags   []*msg       // parent: one sub-request per backend
	keyFrag []int32      // MGET parent: fragment of each key, in order

	srv      *server // where it was sent (stats)
	deadline int64   // unix nanos, 0 none
}

var msgPool = sync.Pool{New: func() any { return &msg{} }}

func getMsg() *msg { return msgPool.Get().(*msg) }

// release returns m and its fragments to the pool. Only the client's loop
// calls it, after the reply has been written: nobody else holds m then.
func (m *msg) release() {
	for _, f := range m.frags {
		f.release()
	}
	if cap(m.raw) > 64<<10 {
		m.raw = nil
	}
	if cap(m.reply) > 64<<10 {
		m.reply = nil
	}
	*m = msg{raw: m.raw[:0], reply: m.reply[:0], frags: m.frags[:0], keyFrag: m.keyFrag[:0]}
	msgPool.Put(m)
}

// complete records the reply (or the error when errText is set) and
// tells the client's loop when its batch is all done.
func (m *msg) complete(reply []byte, errText string) {
	if errText != "" {
		m.errText = errText
	} else {
		m.reply = append(m.reply[:0], reply...)
	}
	if p := m.parent; p != nil {
		if p.pending.Add(-1) == 0 {
			p.cl.doneOne()
		}
		return
	}
	if m.cl != nil { // nil for the proxy's own AUTH and SELECT
		m.cl.doneOne()
	}
}

// replyLen returns the length of the complete RESP reply at the start of
// b, 0 when incomplete, -1 when b does not start with a valid reply.
func replyLen(b []byte) int {
	n, _ := replyLenDepth(b, 0)
	return n
}

func replyLenDepth(b []byte, depth int) (int, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if depth > 64 {
		return -1, false
	}
	line := 0
	for i := 1; i+1 < len(b); i++ {
		if b[i] == '\r' {
			if b[i+1] != '\n' {
				return -1, false
			}
			line = i + 2
			break
		}
	}
	if line == 0 {
		return 0, true
	}
	switch b[0] {
	case '+', '-', ':':
		return line, true
	case '$':
		n, ok := atoi(b[1 : line-2])
		if !ok {
			return -1, false
		}
		if n < 0 {
			return line, true
		}
		end := line + n + 2
		if end > len(b) {
			return 0, true
		}
		return end, true
	case '*':
		n, ok := atoi(b[1 : line-2])
		if !ok {
			return -1, false
		}
		p := line
		for i := 0; i < n; i++ {
			l, ok := replyLenDepth(b[p:], depth+1)
			if !ok {
				return -1, false
			}
			if l == 0 {
				return 0, true
			}
			p += l
		}
		return p, true
	}
	return -1, false
}

// atoi parses a RESP length or integer.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// replyScanner finds the end of a reply that may arrive in many reads,
// resuming where it stopped instead of rescanning a big partial reply
// (an array of many elements) from its start on each read.
type replyScanner struct {
	active bool
	off    int   // bytes of the reply scanned so far (complete elements)
	stack  []int // elements still expected at each open array level
}

const maxReplyDepth = 1024

// scan continues on b, the reply's bytes from its start: the reply's
// length when complete (the scanner is then reset), 0 when more is
// needed, -1 when b is not a valid reply.
func (rs *replyScanner) scan(b []byte) int {
	if !rs.active {
		rs.active, rs.off = true, 0
		rs.stack = append(rs.stack[:0], 1)
	}
	for len(rs.stack) > 0 {
		p := rs.off
		if p >= len(b) {
			return 0
		}
		line := 0
		for i := p + 1; i+1 < len(b); i++ {
			if b[i] == '\r' {
				if b[i+1] != '\n' {
					rs.active = false
					return -1
				}
				line = i + 2
				break
			}
		}
		if line == 0 {
			return 0
		}
		switch b[p] {
		case '+', '-', ':':
			rs.off = line
		case '$':
			n, ok := atoi(b[p+1 : line-2])
			if !ok {
				rs.active = false
				return -1
			}
			if n < 0 {
				rs.off = line
				break
			}
			if line+n+2 > len(b) {
				return 0
			}
			rs.off = line + n + 2
		case '*':
			n, ok := atoi(b[p+1 : line-2])
			if !ok || len(rs.stack) >= maxReplyDepth {
				rs.active = false
				return -1
			}
			rs.off = line
			rs.stack[len(rs.stack)-1]--
			if n > 0 {
				rs.stack = append(rs.stack, n)
			}
			rs.popDone()
			continue
		default:
			rs.active = false
			return -1
		}
		rs.stack[len(rs.stack)-1]--
		rs.popDone()
	}
	rs.active = false
	return rs.off
}

func (rs *replyScanner) popDone() {
	for len(rs.stack) > 0 && rs.stack[len(rs.stack)-1] == 0 {
		rs.stack = rs.stack[:len(rs.stack)-1]
	}
}
