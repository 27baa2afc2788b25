package rdb

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
	"github.com/redoubt/redoubt/test/testutil"
)

// TestSanitizeAgreesWithRedis corrupts valid DUMP payloads of every
// compact encoding (one byte changed, checksum fixed) and RESTOREs each
// into Redis with sanitize-dump-payload yes: whatever Redis rejects,
// ReadValue must reject too (it may reject more, e.g. streams whose
// entries are out of order, which Redis's checks let through).
func TestSanitizeAgreesWithRedis(t *testing.T) {
	srv := testutil.StartRedis(t, "--sanitize-dump-payload", "yes")
	c := testutil.DialRaw(t, srv.Addr)
	l := types.NewList()
	h := types.NewHash()
	z := types.NewZSet(true)
	s := types.NewIntset()
	for i := range 12 {
		l.PushTail([]byte(strconv.Itoa(i*1000) + strings.Repeat("x", i)))
		h.Set([]byte("f"+strconv.Itoa(i)), []byte(strconv.Itoa(i)), 128, 64)
		z.Insert("m"+strconv.Itoa(i), float64(i)/3)
		s.Add([]byte(strconv.Itoa(i*70000)), 512)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rejected, stricter := 0, 0
	for _, v := range []keyspace.Value{l, h, z, s, testStream(12, true)} {
		typ, _ := TypeOf(v)
		body := AppendValue(nil, v, SaveOptions{ListFill: -2})
		for range 300 {
			b := append([]byte(nil), body...)
			b[rng.IntN(len(b))] ^= byte(1 << rng.IntN(8))
			payload := AppendDumpFooter(append([]byte{typ}, b...))
			rep := c.Do("RESTORE", "k", "0", string(payload), "REPLACE")
			redisOK := rep.Kind == '+'
			_, err := ReadValue(NewReader(b), typ, DefaultLimits)
			if !redisOK {
				rejected++
			} else if err != nil {
				stricter++
				t.Logf("STRICTER type %d: %v", typ, err)
			}
			if !redisOK && err == nil {
				t.Errorf("type %d: Redis rejects (%s), ReadValue accepts %x", typ, rep.Raw, b)
			}
		}
	}
	t.Logf("Redis rejected %d corrupted payloads; ReadValue also rejected %d that Redis took", rejected, stricter)
	if rejected == 0 {
		t.Fatal("no corruption was caught: the test checks nothing")
	}
	if c.Do("PING").Kind != '+' {
		t.Fatal("redis-server died")
	}
}
