package checkrdb

import (
	"bytes"
	"os/exec"
	"testing"
)

// fuzzSeeds are the generated RDB files and the hand-made records, small
// enough for the mutator to reach every record.
func fuzzSeeds(f *testing.F) {
	for _, b := range readDir(f, "testdata/rdb", "*.rdb") {
		if len(b) < 4096 {
			f.Add(b)
		}
	}
	for _, c := range crafted() {
		f.Add(c.data)
	}
}

// FuzzCheck holds the checker to never panic and always finish (lengths
// are bounded by the input before anything is allocated for them), and to
// report failure exactly when it printed the error block.
func FuzzCheck(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		r := CheckDetail(caseFile, data, &out, false)
		if r.OK == bytes.Contains(out.Bytes(), []byte("--- RDB ERROR DETECTED ---")) {
			t.Fatalf("OK=%v but the report says:\n%s", r.OK, out.String())
		}
		if r.End < 0 || r.End > int64(len(data)) {
			t.Fatalf("end %d outside the %d-byte input", r.End, len(data))
		}
	})
}

// FuzzAsRedisCheckRDB is a differential fuzz target: the real
// redis-check-rdb and Main check the same file and must print the same
// report (log line prefixes aside) and exit with the same code.
func FuzzAsRedisCheckRDB(f *testing.F) {
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		f.Skip("redis-check-rdb not installed")
	}
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if redisHangs(data) {
			return
		}
		want := runRedis(t, bin, data)
		t.Chdir(t.TempDir())
		got := runOurs(t, data)
		if got != want {
			t.Fatalf("input %q: exit %d, redis-check-rdb %d\nours:\n%s\nredis-check-rdb:\n%s", data, got.code, want.code, got.out, want.out)
		}
	})
}
