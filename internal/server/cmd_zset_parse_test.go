// cmd_zset_parse_test.go checks that the allocation-free score fast path
// agrees with the full strtod path on every input it accepts.
package server

import (
	"math"
	"strconv"
	"testing"
)

func TestSimpleFloatAgreesWithParseFloat(t *testing.T) {
	inputs := []string{"0", "-0", "+0", "1", "-1", "+7", "007", "123456789012345",
		"-999999999999999", "inf", "-inf", "+Inf", "INF", "1234567890123456",
		"1.5", "1e3", "", "-", "+", "in", "infinity", "0x10", " 1", "1 ", "nan", "--1"}
	for _, in := range inputs {
		got, ok := simpleFloat([]byte(in))
		if !ok {
			continue
		}
		want, err := strconv.ParseFloat(in, 64)
		if err != nil || got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("simpleFloat(%q) = %v, ParseFloat gives %v (%v)", in, got, want, err)
		}
	}
	for _, in := range []string{"1.5", "1e3", "", "-", "in", "0x10", " 1", "1234567890123456"} {
		if _, ok := simpleFloat([]byte(in)); ok {
			t.Errorf("simpleFloat(%q) took the fast path", in)
		}
	}
}
