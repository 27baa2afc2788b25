package rdb

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// TestAppendValueScratch: values encoded one after another through one
// Scratch (a snapshot walk) come out as they do each with a fresh writer,
// longer ones after shorter and back.
func TestAppendValueScratch(t *testing.T) {
	var vals []keyspace.Value
	for _, n := range []int{3, 40, 1, 12, 2} {
		h := types.NewHash()
		z := types.NewZSet(true)
		for i := range n {
			h.Set([]byte(fmt.Sprintf("field%d", i)), []byte(fmt.Sprint(i*1000)), 128, 64)
			z.Insert(fmt.Sprintf("m%d", i), float64(i)/3)
		}
		vals = append(vals, h, z)
	}
	fresh := DefaultSaveOptions
	reused := DefaultSaveOptions
	reused.Scratch = &Scratch{}
	for i, v := range vals {
		want := AppendValue(nil, v, fresh)
		if got := AppendValue(nil, v, reused); !bytes.Equal(got, want) {
			t.Fatalf("value %d: with scratch %x, without %x", i, got, want)
		}
	}
}
