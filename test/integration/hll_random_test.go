// hll_random_test.go drives the real redis-server and redoubt with the
// same long random sequence of PFADDs (and some PFMERGEs and PFCOUNTs)
// and compares every reply, and at intervals the raw bytes of every HLL
// key: the sparse opcode edits, promotions to dense and cached
// cardinalities must be identical, not just the estimates.
package integration

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// randomElement picks elements from pools of different sizes (so some
// repeat and leave registers unchanged), with lengths 0..40 covering
// every hash tail length, and binary bytes.
func randomElement(rng *rand.Rand) string {
	switch rng.IntN(4) {
	case 0:
		return fmt.Sprintf("small:%d", rng.IntN(200))
	case 1:
		return fmt.Sprintf("e%d", rng.Uint64())
	case 2:
		b := make([]byte, rng.IntN(41))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	return fmt.Sprint(rng.IntN(1 << 20))
}

func TestHLLRandomPfaddMatchesRedis(t *testing.T) {
	for _, sparseMax := range []string{"3000", "300"} {
		t.Run("hll-sparse-max-bytes="+sparseMax, func(t *testing.T) {
			ctx := context.Background()
			ref := testutil.StartRedis(t, "--hll-sparse-max-bytes", sparseMax)
			srv := testutil.StartRedoubt(t, "--hll-sparse-max-bytes", sparseMax)
			refc, c := newClient(t, ref.Addr), newClient(t, srv.Addr)
			rng := rand.New(rand.NewPCG(42, uint64(len(sparseMax))))

			keys := []string{"h0", "h1", "h2", "h3", "h4", "h5"}
			// key i receives elements at a rate growing with i, so some
			// stay sparse and others go dense along the way
			total := 20000
			if testutil.RaceBuilt() {
				total = 5000 // sparse and dense both still reached
			}
			pfadds, denseSeen := 0, 0
			for step := 0; pfadds < total; step++ {
				key := keys[rng.IntN(len(keys))]
				var cmd []any
				switch r := rng.IntN(100); {
				case r < 2:
					cmd = []any{"PFMERGE", keys[rng.IntN(len(keys))], key, keys[rng.IntN(len(keys))]}
				case r < 6:
					cmd = []any{"PFCOUNT", key}
				case r < 8:
					cmd = []any{"PFCOUNT", key, keys[rng.IntN(len(keys))]}
				default:
					cmd = []any{"PFADD", key}
					for n := rng.IntN(1 + 2*(keyIndex(key)+1)); n > 0; n-- {
						cmd = append(cmd, randomElement(rng))
					}
					pfadds++
				}
				want, wantErr := refc.Do(ctx, cmd...).Result()
				got, gotErr := c.Do(ctx, cmd...).Result()
				if fmt.Sprint(want, wantErr) != fmt.Sprint(got, gotErr) {
					t.Fatalf("step %d %v: redis %v %v, redoubt %v %v", step, cmd[:2], want, wantErr, got, gotErr)
				}
				if pfadds%500 == 0 || pfadds == total {
					denseSeen = max(denseSeen, compareHLLKeys(t, ctx, refc, c, keys, step))
				}
			}
			if denseSeen == 0 {
				t.Fatal("no HLL became dense: the sequence does not exercise promotion")
			}
		})
	}
}

func keyIndex(key string) int { return int(key[len(key)-1] - '0') }

// compareHLLKeys checks GET bytes and PFCOUNT of every key on both
// servers and returns how many keys are dense.
func compareHLLKeys(t *testing.T, ctx context.Context, refc, c *redis.Client, keys []string, step int) int {
	t.Helper()
	dense := 0
	for _, k := range keys {
		want, _ := refc.Get(ctx, k).Result()
		got, _ := c.Get(ctx, k).Result()
		if !bytes.Equal([]byte(want), []byte(got)) {
			t.Fatalf("step %d: GET %s differs (redis %d bytes, redoubt %d bytes)", step, k, len(want), len(got))
		}
		wantN, err1 := refc.PFCount(ctx, k).Result()
		gotN, err2 := c.PFCount(ctx, k).Result()
		if wantN != gotN || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Fatalf("step %d: PFCOUNT %s: redis %d %v, redoubt %d %v", step, k, wantN, err1, gotN, err2)
		}
		// the count was cached into the header: bytes must still agree
		want, _ = refc.Get(ctx, k).Result()
		got, _ = c.Get(ctx, k).Result()
		if want != got {
			t.Fatalf("step %d: GET %s after PFCOUNT differs", step, k)
		}
		if len(want) > 4 && want[4] == 0 {
			dense++
		}
	}
	return dense
}
