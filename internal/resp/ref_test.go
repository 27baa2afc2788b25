// ref_test.go is an independent, deliberately naive decoder of a complete
// request stream, written straight from Redis's processInputBuffer rules.
// The streaming Reader, fed the same bytes in arbitrary pieces, must agree
// with it command for command.
package resp

import (
	"errors"
	"io"
	"strconv"
)

// refInt is string2ll: a canonical decimal int64, nothing else.
func refInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// refFind is strchr(s, c): -1 when c is absent or a NUL comes first.
func refFind(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case c:
			return i
		case 0:
			return -1
		}
	}
	return -1
}

// refDecode decodes all complete commands of data. errMsg is the protocol
// error that stops decoding ("" when the stream simply ends).
func refDecode(data []byte, maxBulk int64) (cmds [][]string, errMsg string) {
	s := string(data)
	for len(s) > 0 {
		if s[0] != '*' {
			nl := refFind(s, '\n')
			if nl < 0 {
				if len(s) > InlineMax {
					return cmds, "too big inline request"
				}
				return cmds, ""
			}
			line := s[:nl]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			words, ok := SplitArgs([]byte(line))
			if !ok {
				return cmds, "unbalanced quotes in request"
			}
			s = s[nl+1:]
			if len(words) > 0 {
				cmd := make([]string, len(words))
				for i, w := range words {
					cmd[i] = string(w)
				}
				cmds = append(cmds, cmd)
			}
			continue
		}
		cr := refFind(s, '\r')
		if cr < 0 {
			if len(s) > InlineMax {
				return cmds, "too big mbulk count string"
			}
			return cmds, ""
		}
		if cr+1 >= len(s) {
			return cmds, ""
		}
		n, ok := refInt(s[1:cr])
		if !ok || n > 1<<31-1 {
			return cmds, "invalid multibulk length"
		}
		s = s[cr+2:]
		var cmd []string
		for i := int64(0); i < n; i++ {
			cr := refFind(s, '\r')
			if cr < 0 {
				if len(s) > InlineMax {
					return cmds, "too big bulk count string"
				}
				return cmds, ""
			}
			if cr+1 >= len(s) {
				return cmds, ""
			}
			if s[0] != '$' {
				return cmds, "expected '$', got '" + s[:1] + "'"
			}
			l, ok := refInt(s[1:cr])
			if !ok || l < 0 || l > maxBulk {
				return cmds, "invalid bulk length"
			}
			s = s[cr+2:]
			if int64(len(s)) < l+2 {
				return cmds, ""
			}
			cmd = append(cmd, s[:l])
			s = s[l+2:]
		}
		if n > 0 {
			cmds = append(cmds, cmd)
		}
	}
	return cmds, ""
}

// chunkReader hands out its data in pieces of the given sizes (cycled).
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(b []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = c.sizes[c.i%len(c.sizes)]
		c.i++
	}
	n = min(n, len(b), len(c.data))
	copy(b, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// streamResult is what a Reader produced from a whole stream.
type streamResult struct {
	cmds   [][]string
	err    error
	maxCap int // largest buffer seen
}

// decodeStream runs rd over src until EOF or an error, copying every
// command (arguments die at the next Fill).
func decodeStream(rd *Reader, src io.Reader) streamResult {
	var res streamResult
	for {
		for {
			args, err := rd.Next()
			if err != nil {
				res.err = err
				return res
			}
			if args == nil {
				break
			}
			cmd := make([]string, len(args))
			for i, a := range args {
				cmd[i] = string(a)
			}
			res.cmds = append(res.cmds, cmd)
		}
		_, err := rd.Fill(src)
		res.maxCap = max(res.maxCap, rd.BufferCap())
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			}
			return res
		}
	}
}

// protoMsg is the message of a *ProtocolError, "" for nil.
func protoMsg(err error) string {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Msg
	}
	if err != nil {
		return "unexpected: " + err.Error()
	}
	return ""
}
