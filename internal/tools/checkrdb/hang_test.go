package checkrdb

import (
	"io"
	"testing"
)

// The real tool never finishes on a module value cut short (it reads the
// failed opcode again for ever); the checker reports the end of input and
// says so in Result.RedisHangs. These inputs are left out of the
// differential tests.
func TestModuleValueCutShort(t *testing.T) {
	for _, in := range []string{
		"REDIS0010\xf8\x6a\xf9\x07\x00\x00\x01\x6b\x01\x76\xdc\xee\x41\x4a\x70\x4b\x2b\x0d", // module2 key
		"REDIS0010\xfe\xc1\x07\x01\x6b\x10\x7c\xcb\x4c\x0d",                                 // module2 key
		"REDIS0010\xf7\x81\x01\x02\x03\x04\x05\x06\x07\x08\x02\x06\x39\x32",                 // module aux
	} {
		r := CheckDetail(caseFile, []byte(in), io.Discard, false)
		if r.OK || r.Terminated || !r.RedisHangs || r.End != int64(len(in)) {
			t.Errorf("%q: %+v", in, r)
		}
	}
	r := CheckDetail(caseFile, []byte("REDIS0010\xfe\x00\x07\x01k\x05\x00"), io.Discard, false)
	if r.RedisHangs {
		t.Errorf("a complete module value: %+v", r)
	}
}
