// Fragmentation of multi-key commands, as twemproxy's redis_fragment:
// MGET, DEL, UNLINK and TOUCH are split into one command per backend
// holding some of the keys (keys kept in their order), MSET into one MSET
// per backend; the replies are coalesced into the one reply the client
// expects (MGET: the values in key order; DEL...: the sum; MSET: +OK).
package proxy

import (
	"strconv"
)

// fragment splits the request into per-server sub-requests. servers[i] is
// the backend of key i (step is 1 for keys, 2 for key/value pairs). The
// fragments are attached to parent.
func fragment(parent *msg, name string, b []byte, args []span, step int, servers []*server) {
	// group keys by server, servers in order of first appearance
	var order [16]*server
	srvs := order[:0]
	fi := make([]int32, 0, len(servers))
	for _, s := range servers {
		j := -1
		for k, t := range srvs {
			if t == s {
				j = k
				break
			}
		}
		if j < 0 {
			j = len(srvs)
			srvs = append(srvs, s)
		}
		fi = append(fi, int32(j))
	}
	counts := make([]int, len(srvs))
	for _, j := range fi {
		counts[j]++
	}
	for j, s := range srvs {
		f := getMsg()
		f.parent = parent
		f.srv = s
		f.kind = parent.kind
		f.raw = append(f.raw[:0], '*')
		f.raw = strconv.AppendInt(f.raw, int64(1+counts[j]*step), 10)
		f.raw = append(f.raw, "\r\n$"...)
		f.raw = strconv.AppendInt(f.raw, int64(len(name)), 10)
		f.raw = append(f.raw, "\r\n"...)
		f.raw = append(f.raw, name...)
		f.raw = append(f.raw, "\r\n"...)
		for i, k := range fi {
			if int(k) != j {
				continue
			}
			for a := 0; a < step; a++ {
				sp := args[1+i*step+a]
				f.raw = append(f.raw, '$')
				f.raw = strconv.AppendInt(f.raw, int64(sp.e-sp.s), 10)
				f.raw = append(f.raw, "\r\n"...)
				f.raw = append(f.raw, b[sp.s:sp.e]...)
				f.raw = append(f.raw, "\r\n"...)
			}
		}
		parent.frags = append(parent.frags, f)
	}
	parent.keyFrag = append(parent.keyFrag[:0], fi...)
	parent.pending.Store(int32(len(parent.frags)))
}

// coalesce appends the client's reply for a fragmented request to dst.
func coalesce(dst []byte, m *msg) []byte {
	// a failed fragment fails the whole request with its error, as
	// twemproxy's rsp_make_error
	for _, f := range m.frags {
		if f.errText != "" {
			return errReply(dst, f.errText)
		}
	}
	switch m.kind {
	case kindMGet:
		// the elements of each fragment's array reply, consumed in order
		pos := make([]int, len(m.frags))
		for i, f := range m.frags {
			if len(f.reply) == 0 || f.reply[0] != '*' {
				return errReply(dst, errTextInval)
			}
			l := lineEnd(f.reply)
			pos[i] = l
		}
		dst = append(dst, '*')
		dst = strconv.AppendInt(dst, int64(len(m.keyFrag)), 10)
		dst = append(dst, "\r\n"...)
		for _, j := range m.keyFrag {
			f := m.frags[j]
			rest := f.reply[pos[j]:]
			n := replyLen(rest)
			if n <= 0 {
				return errReply(dst, errTextInval)
			}
			dst = append(dst, rest[:n]...)
			pos[j] += n
		}
		return dst
	case kindDel:
		sum := 0
		for _, f := range m.frags {
			if len(f.reply) < 3 || f.reply[0] != ':' {
				return errReply(dst, errTextInval)
			}
			n, ok := atoi(f.reply[1 : len(f.reply)-2])
			if !ok {
				return errReply(dst, errTextInval)
			}
			sum += n
		}
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(sum), 10)
		return append(dst, "\r\n"...)
	case kindMSet:
		for _, f := range m.frags {
			if len(f.reply) == 0 || f.reply[0] != '+' {
				return errReply(dst, errTextInval)
			}
		}
		return append(dst, rspOK...)
	}
	return errReply(dst, errTextInval)
}

// lineEnd is the offset after the first CRLF of a reply.
func lineEnd(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
	return len(b)
}
