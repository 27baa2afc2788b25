// rawresp.go reads whole RESP2/RESP3 replies as raw bytes, so tests can
// compare exactly what two servers sent.
package testutil

import (
	"bufio"
	"fmt"
	"strconv"
)

// Reply is one raw reply and, for aggregates, its elements' raw bytes.
type Reply struct {
	Raw   []byte
	Elems [][]byte // raw bytes of each element of an aggregate
	Kind  byte     // first byte: '+', '-', ':', '$', '*', '%', '~', ...
}

// ReadReply reads one complete reply.
func ReadReply(r *bufio.Reader) (*Reply, error) {
	rep := &Reply{}
	raw, err := readOne(r, rep, true)
	rep.Raw = raw
	return rep, err
}

func readOne(r *bufio.Reader, top *Reply, isTop bool) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return line, fmt.Errorf("malformed line %q", line)
	}
	kind := line[0]
	if isTop {
		top.Kind = kind
	}
	body := string(line[1 : len(line)-2])
	out := append([]byte(nil), line...)
	switch kind {
	case '+', '-', ':', '_', ',', '#', '(':
		return out, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return out, err
		}
		if n < 0 {
			return out, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return out, err
		}
		return append(out, buf...), nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return out, err
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			e, err := readOne(r, top, false)
			if err != nil {
				return out, err
			}
			if isTop {
				top.Elems = append(top.Elems, e)
			}
			out = append(out, e...)
		}
		if kind == '|' {
			// an attribute precedes the real reply
			e, err := readOne(r, top, false)
			return append(out, e...), err
		}
		return out, nil
	}
	return out, fmt.Errorf("unknown reply type %q", kind)
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
