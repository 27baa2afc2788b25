// lcs_test.go checks LCS results, including the matched ranges Redis
// reports for its documented example.
package types

import (
	"reflect"
	"testing"
)

func TestLCS(t *testing.T) {
	res := LCS([]byte("ohmytext"), []byte("mynewtext"), true, 0)
	if res.Len != 6 || string(res.Seq) != "mytext" {
		t.Fatalf("got %d %q", res.Len, res.Seq)
	}
	want := []LCSMatch{{4, 7, 5, 8}, {2, 3, 0, 1}}
	if !reflect.DeepEqual(res.Matches, want) {
		t.Fatalf("matches %v, want %v", res.Matches, want)
	}
	res = LCS([]byte("ohmytext"), []byte("mynewtext"), true, 4)
	if !reflect.DeepEqual(res.Matches, want[:1]) {
		t.Fatalf("minmatchlen 4: %v", res.Matches)
	}
	if res = LCS([]byte("abc"), nil, true, 0); res.Len != 0 || len(res.Matches) != 0 {
		t.Fatalf("empty: %+v", res)
	}
	if res = LCS([]byte("ABCBDAB"), []byte("BDCABA"), false, 0); res.Len != 4 || res.Seq != nil {
		t.Fatalf("len only: %+v", res)
	}
	if LCSTableBytes(3, 4) != 80 {
		t.Fatalf("table bytes %d", LCSTableBytes(3, 4))
	}
}
