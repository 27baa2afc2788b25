// writer_header_test.go checks the short-length fast path of header
// against strconv for every length around it.
package resp

import (
	"strconv"
	"testing"
)

func TestHeaderMatchesStrconv(t *testing.T) {
	for n := int64(-2); n <= 1000; n++ {
		var w Writer
		w.header('$', n)
		if want := "$" + strconv.FormatInt(n, 10) + "\r\n"; string(w.Buf) != want {
			t.Fatalf("header(%d) = %q, want %q", n, w.Buf, want)
		}
	}
}
