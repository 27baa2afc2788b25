package checkrdb

import (
	"bytes"
	"flag"
	"io"
	"math/rand"
	"os/exec"
	"sync"
	"testing"
	"time"
)

var explore = flag.Int("explore", 0, "compare this many random mutants of the test files with the real redis-check-rdb")

// TestExploreAsRedis is a wider, randomized differential run than the
// golden cases (off by default: each case starts the real tool). With
// -explore N it mutates the generated and crafted files (byte flips,
// interesting length bytes, insertions, deletions, duplicated ranges,
// usually with the checksum repaired) and reports every input on which
// Main and redis-check-rdb disagree, with the seed that made it.
func TestExploreAsRedis(t *testing.T) {
	if *explore == 0 {
		t.Skip("run with -explore N")
	}
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Skip("redis-check-rdb not installed")
	}
	var sources [][]byte
	for _, b := range readDir(t, "testdata/rdb", "*.rdb") {
		sources = append(sources, b)
	}
	for _, c := range crafted() {
		sources = append(sources, c.data)
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	inputs := make([][]byte, 0, *explore)
	for len(inputs) < *explore {
		in := mutate(rng, sources[rng.Intn(len(sources))])
		if !redisHangs(in) {
			inputs = append(inputs, in)
		}
	}
	want := make([]result, len(inputs))
	var wg sync.WaitGroup
	work := make(chan int)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				want[i] = runRedis(t, bin, inputs[i])
			}
		}()
	}
	for i := range inputs {
		work <- i
	}
	close(work)
	wg.Wait()
	t.Chdir(t.TempDir())
	bad := 0
	for i, in := range inputs {
		if got := runOurs(t, in); got != want[i] {
			bad++
			if bad <= 10 {
				t.Errorf("input %q: exit %d, redis-check-rdb %d\nours:\n%s\nredis-check-rdb:\n%s", in, got.code, want[i].code, got.out, want[i].out)
			}
		}
	}
	t.Logf("%d inputs, %d differ", len(inputs), bad)
}

// redisHangs tells whether the real tool would never finish on data.
func redisHangs(data []byte) bool {
	return CheckDetail(caseFile, data, io.Discard, false).RedisHangs
}

var interesting = []byte{0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xfe, 0xff}

func mutate(rng *rand.Rand, src []byte) []byte {
	b := bytes.Clone(src)
	for n := 1 + rng.Intn(3); n > 0 && len(b) > 10; n-- {
		off := 9 + rng.Intn(len(b)-9)
		switch rng.Intn(5) {
		case 0:
			b[off] ^= byte(1 + rng.Intn(255))
		case 1:
			b[off] = interesting[rng.Intn(len(interesting))]
		case 2:
			b = append(b[:off], append([]byte{byte(rng.Intn(256))}, b[off:]...)...)
		case 3:
			end := min(len(b), off+1+rng.Intn(8))
			b = append(b[:off], b[end:]...)
		case 4:
			end := min(len(b), off+1+rng.Intn(16))
			b = append(b[:end], append(bytes.Clone(b[off:end]), b[end:]...)...)
		}
	}
	if rng.Intn(10) < 7 {
		b = fixCRC(b)
	}
	return b
}
