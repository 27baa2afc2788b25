// zset_scan_test.go checks ZSCAN over a skiplist-encoded sorted set, whose
// cursor order is the member index's hash order (so it cannot be compared
// byte for byte with Redis): a full iteration returns every member with
// its score, and MATCH filters members.
package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// bulkBody is the payload of a raw bulk string reply.
func bulkBody(t *testing.T, raw []byte) string {
	t.Helper()
	rep, err := testutil.ReadReply(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil || rep.Kind != '$' {
		t.Fatalf("not a bulk string: %q", raw)
	}
	return rep.Body()
}

func zscanAll(t *testing.T, conn *testutil.RawConn, extra ...string) map[string]string {
	t.Helper()
	seen := map[string]string{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 1000 {
			t.Fatal("ZSCAN did not terminate")
		}
		rep := conn.Do(append([]string{"ZSCAN", "big", cursor}, extra...)...)
		if rep.Kind != '*' || len(rep.Elems) != 2 {
			t.Fatalf("ZSCAN reply %q", rep.Raw)
		}
		cursor = bulkBody(t, rep.Elems[0])
		page, err := testutil.ReadReply(bufio.NewReader(bytes.NewReader(rep.Elems[1])))
		if err != nil || len(page.Elems)%2 != 0 {
			t.Fatalf("ZSCAN page %q", rep.Elems[1])
		}
		for i := 0; i < len(page.Elems); i += 2 {
			seen[bulkBody(t, page.Elems[i])] = bulkBody(t, page.Elems[i+1])
		}
		if cursor == "0" {
			return seen
		}
	}
}

func TestZscanSkiplistFullIteration(t *testing.T) {
	srv := testutil.StartRedoubt(t)
	conn := testutil.DialRaw(t, srv.Addr)
	const n = 500
	for i := range n {
		conn.Do("ZADD", "big", strconv.FormatFloat(float64(i)+0.5, 'f', -1, 64), fmt.Sprintf("m%d", i))
	}
	if enc := conn.Do("OBJECT", "ENCODING", "big").Body(); enc != "skiplist" {
		t.Fatalf("encoding %q, want skiplist", enc)
	}
	seen := zscanAll(t, conn, "COUNT", "7")
	if len(seen) != n {
		t.Fatalf("full ZSCAN returned %d members, want %d", len(seen), n)
	}
	if seen["m42"] != "42.5" {
		t.Fatalf("score of m42 = %q", seen["m42"])
	}
	matched := zscanAll(t, conn, "MATCH", "m4?")
	if len(matched) != 10 {
		t.Fatalf("MATCH m4? returned %d members, want 10", len(matched))
	}
}
