package rdb_test

import (
	"fmt"

	"github.com/redoubt/redoubt/internal/rdb"
)

// A list's DUMP payload as Redis 7.0 builds it for RPUSH l a 1 hello.
func ExampleQuicklistNodes() {
	elems := [][]byte{[]byte("a"), []byte("1"), []byte("hello")}
	nodes := rdb.QuicklistNodes(elems, rdb.DefaultListFill, rdb.DefaultPackedThreshold)
	payload := rdb.AppendDumpFooter(rdb.AppendQuicklist2([]byte{rdb.TypeListQuicklist2}, nodes, true))

	body, _, _ := rdb.VerifyDump(payload)
	r := rdb.NewReader(body[1:])
	es, err := r.ReadQuicklist2()
	fmt.Println(len(nodes), es[0].String(), es[1].IsInt, es[2].String(), err)
	// Output: 1 a true hello <nil>
}
