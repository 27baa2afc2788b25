package digest

import (
	"math"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// The goldens were printed by redis-server 7.0.15 for the same commands
// (DEBUG DIGEST-VALUE s l z h st x e, then DEBUG DIGEST); test/compat
// compares many more shapes with a live server.
func TestGoldensFromRedis(t *testing.T) {
	l := types.NewList()
	for _, e := range []string{"a", "b", "1"} {
		l.PushTail([]byte(e))
	}
	z := types.NewZSet(true)
	z.Insert("a", 1.5)
	z.Insert("b", math.Inf(-1))
	h := types.NewHash()
	h.Set([]byte("f"), []byte("v"), 128, 64)
	st := types.NewSetFor([]byte("x"))
	st.Add([]byte("x"), 512)
	st.Add([]byte("2"), 512)
	x := types.NewStream()
	x.Append(types.StreamID{Ms: 1, Seq: 2}, [][]byte{[]byte("f"), []byte("v")}, 100, 4096)
	keys := []struct {
		key      string
		v        keyspace.Value
		volatile bool
		want     string
	}{
		{"s", types.NewString([]byte("hello")), false, "36b23a1456b2dce2c3ed252c456761301dba8060"},
		{"l", l, false, "981fd62c1655c074205cff40b800bd5a5bfdcd41"},
		{"z", z, false, "008037a9dba8d2809bf6233aebe7e96b65d6aafa"},
		{"h", h, false, "90c76e9e9f4c62d642a34fc97c7dad503b51f906"},
		{"st", st, false, "7904f640014061fb37c6855115964bd3eaaed924"},
		{"x", x, false, "e447c781d6afa47d4b7e754569e4d422c853f851"},
		{"e", types.NewString([]byte("v")), true, "311b17018163335616e089f6b951c82c477335ac"},
	}
	ks := keyspace.New(16, func() int64 { return time.Now().UnixMilli() })
	db := ks.DBs[0]
	for _, k := range keys {
		var d Sum
		Value(&d, k.v, k.volatile)
		if d.Hex() != k.want {
			t.Errorf("%s: %s, Redis %s", k.key, d.Hex(), k.want)
		}
		e := db.Add([]byte(k.key), k.v)
		if k.volatile {
			db.SetExpire(e, time.Now().UnixMilli()+100000)
		}
	}
	if d := Dataset(ks.DBs); d.Hex() != "3a7457a46bf833a591638504a7e7f97110601ea0" {
		t.Errorf("dataset: %s, Redis 3a7457a46bf833a591638504a7e7f97110601ea0", d.Hex())
	}
	var empty Sum
	if d := Dataset(keyspace.New(16, nil).DBs); d != empty {
		t.Errorf("empty dataset: %s, want zeros", d.Hex())
	}
}
