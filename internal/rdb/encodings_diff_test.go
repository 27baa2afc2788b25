package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

// mutate corrupts b a little: overwritten bytes (random or encoding
// markers), a truncation or an inserted byte; when fixSize is set the
// header's total size (first 4 bytes) is made to match again so that the
// deeper checks get exercised.
func mutate(rng *rand.Rand, b []byte, fixSize bool) []byte {
	b = bytes.Clone(b)
	marks := []byte{0, 1, 2, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xd0, 0xe0, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xfd, 0xfe, 0xff}
	for range 1 + rng.IntN(3) {
		if len(b) == 0 {
			break
		}
		i := rng.IntN(len(b))
		switch rng.IntN(6) {
		case 0:
			b = b[:i]
		case 1:
			b = append(b[:i], append([]byte{marks[rng.IntN(len(marks))]}, b[i:]...)...)
		case 2, 3:
			b[i] = marks[rng.IntN(len(marks))]
		default:
			b[i] = byte(rng.Uint32())
		}
	}
	if fixSize && len(b) >= 4 {
		binary.LittleEndian.PutUint32(b, uint32(len(b)))
	}
	return b
}

// intStrDup is a listpack whose fields are 1 as an integer and "1" as a
// string: the same field to Redis.
func intStrDup() []byte {
	var w ListpackWriter
	w.AppendInt(1)
	w.Append([]byte("a"))
	w.AppendString([]byte("1"))
	w.Append([]byte("b"))
	return w.Bytes()
}

// TestCorruptionVerdictsMatchRedis feeds mutated listpacks, ziplists,
// intsets and zipmaps to redis-server's RESTORE with
// sanitize-dump-payload yes and checks that our readers accept exactly
// what Redis accepts.
func TestCorruptionVerdictsMatchRedis(t *testing.T) {
	g := startGoldenRedis(t)
	g.do("CONFIG", "SET", "sanitize-dump-payload", "yes")
	rng := rand.New(rand.NewPCG(21, 22))
	vals := bs(edgeValues()[:45])
	type format struct {
		name  string
		seeds [][]byte
		wrap  func(blob []byte) []byte // DUMP body for the blob
		fix   bool
		mine  func(body []byte) bool
		valid int // seeds[valid:] are invalid on purpose; 0: all valid
	}
	raw := func(typ byte) func([]byte) []byte {
		return func(blob []byte) []byte { return AppendString([]byte{typ}, blob, false) }
	}
	blobOf := func(body []byte) []byte {
		r := NewReader(body)
		r.ReadType()
		b, err := r.ReadString()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	formats := []format{
		{
			name:  "listpack (quicklist2 node)",
			seeds: [][]byte{BuildListpack(vals), BuildListpack(bs([]string{"a", "1", "-5000", "hello", "70000", "2147483648"}))},
			wrap: func(blob []byte) []byte {
				b := AppendLen([]byte{TypeListQuicklist2}, 1)
				b = AppendLen(b, QuicklistPacked)
				return AppendString(b, blob, false)
			},
			fix: true,
			mine: func(body []byte) bool {
				r := NewReader(body[1:])
				es, err := r.ReadQuicklist2()
				return err == nil && len(es) > 0 && r.Remaining() == 0
			},
		},
		{
			name:  "ziplist (list)",
			seeds: [][]byte{BuildZiplist(vals), BuildZiplist(bs([]string{"a", "1", "-5000", "hello", "70000", "12"}))},
			wrap:  raw(TypeListZiplist),
			fix:   true,
			mine: func(body []byte) bool {
				n, err := WalkZiplist(blobOf(body), nil)
				return err == nil && n > 0
			},
		},
		{
			name: "hash listpack",
			seeds: [][]byte{
				BuildListpack(bs([]string{"f1", "v1", "1", "x", "f2", "12"})),
				BuildListpack(bs([]string{"a", "1", "b", "2", "c", "3", "d", "4"})),
				BuildListpack(bs([]string{"a", "1", "b", "2", "a", "3"})), // repeated field
				BuildListpack(bs([]string{"a", "1", "b"})),                // odd count
				intStrDup(),
			},
			wrap:  raw(TypeHashListpack),
			valid: 2,
			fix:   true,
			mine: func(body []byte) bool {
				es, err := ListpackPairs(blobOf(body))
				return err == nil && len(es) > 0
			},
		},
		{
			name: "zset ziplist",
			seeds: [][]byte{
				BuildZiplist(bs([]string{"a", "1", "b", "2", "c", "3", "d", "4"})),
				BuildZiplist(bs([]string{"1", "1.5", "2", "2", "x", "3"})),
				BuildZiplist(bs([]string{"x", "1", "y", "2", "x", "3"})),
				BuildZiplist(bs([]string{"x", "1", "y"})),
			},
			wrap:  raw(TypeZSetZiplist),
			valid: 2,
			fix:   true,
			mine: func(body []byte) bool {
				es, err := ZiplistPairs(blobOf(body))
				return err == nil && len(es) > 0
			},
		},
		{
			name:  "intset",
			seeds: [][]byte{AppendIntset(nil, []int64{1, 5, 300, 40000}), AppendIntset(nil, []int64{-1 << 40, 0, 1 << 40}), AppendIntset(nil, []int64{-7, 7})},
			wrap:  raw(TypeSetIntset),
			mine: func(body []byte) bool {
				_, err := IntsetValues(blobOf(body))
				return err == nil
			},
		},
		{
			name: "zipmap",
			seeds: [][]byte{
				{2, 2, 'f', '1', 2, 0, 'v', '1', 2, 'f', '2', 2, 0, 'v', '2', 0xff},
				{3, 1, 'a', 3, 1, 'x', 'y', 'z', 0, 1, 'b', 0, 0, 1, 'c', 1, 0, 'q', 0xff},
			},
			wrap: raw(TypeHashZipmap),
			mine: func(body []byte) bool {
				pairs, err := ZipmapPairs(blobOf(body))
				if err != nil {
					return false
				}
				seen := map[string]bool{} // Redis also rejects duplicate fields
				for i := 0; i < len(pairs); i += 2 {
					if seen[string(pairs[i])] {
						return false
					}
					seen[string(pairs[i])] = true
				}
				return true
			},
		},
	}
	for _, f := range formats {
		accepted, rejected := 0, 0
		for i, seed := range f.seeds {
			if mine := f.mine(f.wrap(seed)); mine != (f.valid == 0 || i < f.valid) {
				t.Errorf("%s: seed %d: mine accepts %v", f.name, i, mine)
			}
		}
		for i := range 3000 {
			seed := f.seeds[i%len(f.seeds)]
			blob := seed
			if i >= len(f.seeds) {
				blob = mutate(rng, seed, f.fix && rng.IntN(2) == 0)
			}
			body := f.wrap(blob)
			rep := g.c.Do("RESTORE", "d", "0", string(AppendDumpFooter(body)), "REPLACE")
			redisOK := rep.Kind == '+'
			if !redisOK && rep.Kind != '-' {
				t.Fatalf("RESTORE: %q", rep.Raw)
			}
			if mine := f.mine(body); mine != redisOK {
				t.Errorf("%s: blob %x: mine accepts %v, Redis %v (%q)", f.name, blob, mine, redisOK, rep.Raw)
			}
			if redisOK {
				accepted++
			} else {
				rejected++
			}
		}
		t.Logf("%s: %d accepted, %d rejected by both", f.name, accepted, rejected)
		if accepted < 10 || rejected < 100 {
			t.Errorf("%s: %d accepted, %d rejected: mutations too weak or too strong", f.name, accepted, rejected)
		}
	}
	if r := g.do("PING"); r.Kind != '+' {
		t.Fatal(fmt.Sprint(r.Raw))
	}
}
