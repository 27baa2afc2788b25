// args.go parses command arguments with Redis's rules and error replies
// (string2ll for integers, strtod-like parsing for floats), so every
// handler rejects bad numbers with the same words.
package server

import (
	"math"
	"strconv"

	"github.com/redoubt/redoubt/internal/resp"
)

// parseInt parses a strict int64 (no spaces, no '+', no leading zeros).
func parseInt(b []byte) (int64, bool) { return resp.ParseInt(b) }

// parseFloat parses a double as Redis's string2d/getDoubleFromObject:
// the whole argument must be a number; "inf"/"-inf" are allowed, NaN and
// leading/trailing spaces are not.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5000 {
		return 0, false
	}
	if b[0] == ' ' || b[0] == '\t' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t' {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			// strtod returns HUGE_VAL/0 with ERANGE; Redis rejects overflow only
			if math.IsInf(f, 0) {
				return 0, false
			}
			return f, true
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// intArg parses an integer argument or replies with the standard error.
func (c *Client) intArg(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok {
		c.addError(errNotInt)
	}
	return n, ok
}

// floatArg parses a float argument or replies with the standard error.
func (c *Client) floatArg(b []byte) (float64, bool) {
	f, ok := parseFloat(b)
	if !ok {
		c.addError(errNotFloat)
	}
	return f, ok
}
