package checkrdb

// checkrdb_test.go compares Main with the real redis-check-rdb 7.0 on the
// same files: Redis's own test fixtures (/work/shared/redis-assets), RDB
// files written by a real redis-server (testdata/rdb, see gen_test.go) and
// corrupted variants of them (truncations, flipped bytes with and without
// a repaired checksum, bad headers and checksums, absurd lengths).
//
// The real tool's reports are recorded in testdata/golden.txt (with
// -update all, which runs /usr/bin/redis-check-rdb on every case, or
// -update missing for new cases only), so the
// comparison of hundreds of cases costs no process starts;
// TestGoldenIsRedis re-runs the real tool on a sample of the cases to
// show the recording still matches it.
//
// The rdb.c line numbers the corruption messages quote (rio.go, object.go,
// stream.go) were read off the installed binary: objdump -d shows, next to
// each message's format string, the line passed to rdbReportError; the
// cases here confirm the ones they reach.
//
// Masks, the only differences allowed: a log line's "pid:C date time.ms # "
// prefix becomes "<log> " (a pid and a clock reading cannot match). Both
// tools are given the same file name, so nothing else is masked.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/rdb"
)

var onlyCases = flag.String("case", "", "compare only the cases whose name matches this regexp, showing every difference")

var update = flag.String("update", "", `re-record testdata/golden.txt with the real redis-check-rdb: "all" cases, or the "missing" ones`)

const (
	goldenPath = "testdata/golden.txt"
	assetsDir  = "/work/shared/redis-assets"
	caseFile   = "x.rdb" // the name both tools are given
)

var logPrefix = regexp.MustCompile(`(?m)^\d+:C \d\d \w+ \d{4} \d\d:\d\d:\d\d\.\d{3} # `)

func mask(s string) string { return logPrefix.ReplaceAllString(s, "<log> ") }

type rdbCase struct {
	name string
	data []byte
}

// fixCRC rewrites the trailing checksum of an RDB image (version 5 and
// later) so a corruption inside it reaches the checks of the values.
func fixCRC(b []byte) []byte {
	if len(b) < 8 {
		return b
	}
	binary.LittleEndian.PutUint64(b[len(b)-8:], rdb.CRC64(0, b[:len(b)-8]))
	return b
}

func readDir(t testing.TB, dir string, pattern string) map[string][]byte {
	out := map[string][]byte{}
	names, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

// cases is every compared input, in a fixed order.
func cases(t testing.TB) []rdbCase {
	var cs []rdbCase
	add := func(name string, data []byte) { cs = append(cs, rdbCase{name, data}) }

	assets := readDir(t, assetsDir, "*")
	for _, name := range sortedKeys(assets) {
		add("asset/"+name, assets[name])
	}
	files := readDir(t, "testdata/rdb", "*.rdb")
	if len(files) == 0 {
		t.Fatal("testdata/rdb is empty")
	}
	for _, name := range sortedKeys(files) {
		add("redis/"+name, files[name])
	}

	// every file cut at many offsets: all of them for the small ones
	truncSources := map[string][]byte{}
	for n, b := range files {
		truncSources["redis/"+n] = b
	}
	for _, n := range []string{"encodings.rdb", "hash-zipmap.rdb", "list-quicklist.rdb", "zset-ziplist.rdb", "hash-ziplist.rdb", "corrupt_ziplist.rdb"} {
		if b, ok := assets[n]; ok {
			truncSources["asset/"+n] = b
		}
	}
	for _, src := range sortedKeys(truncSources) {
		b := truncSources[src]
		step := 1
		if len(b) > 150 {
			step = len(b) / 100
		}
		for n := 0; n < len(b); n += step {
			add(fmt.Sprintf("truncate/%s/%d", src, n), b[:n])
		}
	}

	// flipped bytes, seeded: checksum repaired (the value checks decide)
	// and not (the CRC check decides when nothing else fails first)
	rng := rand.New(rand.NewSource(7))
	for _, src := range []string{"all.rdb", "big.rdb", "aof-base.rdb"} {
		b := files[src]
		for i := 0; i < 100; i++ {
			off := rng.Intn(len(b) - 8)
			v := byte(rng.Intn(256))
			if b[off] == v {
				v ^= 0xff
			}
			c := bytes.Clone(b)
			c[off] = v
			if i%10 == 0 {
				add(fmt.Sprintf("flip/%s/%d=%02x", src, off, v), bytes.Clone(c)) // stale CRC
			}
			add(fmt.Sprintf("flip/%s/%d=%02x/crc-fixed", src, off, v), fixCRC(c))
		}
	}
	for _, src := range []string{"encodings.rdb", "corrupt_empty_keys.rdb"} {
		b, ok := assets[src]
		if !ok {
			continue
		}
		for off := 9; off < len(b)-1; off += 9 {
			c := bytes.Clone(b)
			c[off] ^= 0x5a
			add(fmt.Sprintf("flip/asset/%s/%d", src, off), c)
		}
	}

	// headers, versions, checksums, trailing bytes
	all := files["all.rdb"]
	for off := 0; off < 9; off++ {
		c := bytes.Clone(all)
		c[off] ^= 0x01
		add(fmt.Sprintf("header/flip-%d", off), c)
	}
	for _, v := range []string{"0000", "0001", "0009", "0011", "9999", "-001", " 010", "10\x0000", "0x10"} {
		add("header/version-"+strconv.Quote(v), append([]byte("REDIS"+v), all[9:]...))
	}
	add("header/short", []byte("REDIS"))
	add("header/empty", nil)
	add("header/not-rdb", []byte("*1\r\n$4\r\nPING\r\n"))
	c := bytes.Clone(all)
	c[len(c)-1] ^= 0x80
	add("checksum/wrong", c)
	c = bytes.Clone(all)
	copy(c[len(c)-8:], make([]byte, 8))
	add("checksum/zero", c)
	add("checksum/missing", all[:len(all)-8])
	add("checksum/trailing-garbage", append(bytes.Clone(all), "garbage"...))

	// past every 2 MB read the real tool's progress callback runs
	// (loading_process_events_interval_bytes)
	large := []byte("REDIS0010\xfe\x00")
	lrng := rand.New(rand.NewSource(1))
	for i := range 3 {
		v := make([]byte, 1500000)
		lrng.Read(v)
		large = rdb.AppendString(append(large, 0), []byte{'a' + byte(i)}, false)
		large = rdb.AppendString(large, v, false)
	}
	add("large/4.5MB-of-strings", append(large, 0xff, 0, 0, 0, 0, 0, 0, 0, 0))

	// hand-made records after a valid header
	for _, r := range crafted() {
		add("crafted/"+r.name, r.data)
	}
	return cs
}

// crafted builds records the real server never writes: absurd lengths,
// unknown opcodes and encodings, duplicates the deep sanitizer rejects.
func crafted() []rdbCase {
	head := []byte("REDIS0010")
	key := func(typ byte, k string) []byte {
		b := append(bytes.Clone(head), 0xfe, 0, typ)
		return rdb.AppendString(b, []byte(k), false)
	}
	str := func(b []byte, s string) []byte { return rdb.AppendString(b, []byte(s), false) }
	end := func(b []byte) []byte { return fixCRC(append(append(b, 0xff), make([]byte, 8)...)) }
	var cs []rdbCase
	add := func(name string, b []byte) { cs = append(cs, rdbCase{name, b}) }

	add("huge-string-len-32", end(append(key(0, "k"), 0x80, 0xff, 0xff, 0xff, 0xff)))
	add("huge-string-len-64", end(append(key(0, "k"), 0x81, 0x3f, 0, 0, 0, 0, 0, 0, 0)))
	add("max-string-len-64", end(append(key(0, "k"), 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))
	add("huge-lzf", end(append(key(0, "k"), 0xc3, 0x81, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x05)))
	add("lzf-bad", end(append(key(0, "k"), 0xc3, 0x03, 0x0a, 0xe0, 0xff, 0xff)))
	add("lzf-zero-ulen", end(append(key(0, "k"), 0xc3, 0x01, 0x00, 0x00)))
	add("unknown-string-enc", end(append(key(0, "k"), 0xc4)))
	add("bad-len-enc", end(append(key(0, "k"), 0x82)))
	add("huge-list", end(append(key(1, "k"), 0x81, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))
	add("huge-set", end(append(key(2, "k"), 0x81, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))
	add("huge-zset", end(append(key(5, "k"), 0x81, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))
	add("huge-hash", end(append(key(4, "k"), 0x81, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))
	add("huge-quicklist", end(append(key(18, "k"), 0x81, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))
	add("huge-stream", end(append(key(21, "k"), 0x81, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))
	// 2^64-1 is rdbLoadLen's error marker where the caller compares with
	// it, an ordinary value where it checks rioGetReadError instead
	lenErr := []byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	add("lenerr-list", end(append(key(1, "k"), lenErr...)))
	add("lenerr-selectdb", end(append(append(bytes.Clone(head), 0xfe), lenErr...)))
	add("lenerr-module2-id", end(append(append(key(7, "k"), lenErr...), 0)))
	add("lenerr-module2-opcode", end(append(append(key(7, "k"), 5), append(lenErr, 0)...)))
	add("lenerr-stream-length", end(append(append(key(15, "k"), 0), append(lenErr, 0, 0, 0)...)))
	add("lenerr-stream-consumer-pel", end(append(key(15, "k"),
		append([]byte{0, 0, 0, 0, 1, 1, 'g', 0, 0, 0, 1, 1, 'c', 0, 0, 0, 0, 0, 0, 0, 0}, lenErr...)...)))
	add("empty-list", end(append(key(1, "k"), 0)))
	add("empty-set", end(append(key(2, "k"), 0)))
	add("set-dup", end(str(str(append(key(2, "k"), 2), "a"), "a")))
	add("set-int-dup", end(str(str(append(key(2, "k"), 2), "1"), "1")))
	add("zset-dup", end(append(str(append(str(append(key(5, "k"), 2), "a"), make([]byte, 8)...), "a"), make([]byte, 8)...)))
	add("zset-nan", end(append(str(append(key(5, "k"), 1), "a"), 0, 0, 0, 0, 0, 0, 0xf8, 0x7f)))
	add("zset-v1-nan", end(append(str(append(key(3, "k"), 1), "a"), 253)))
	add("zset-v1-text", end(str(str(append(key(3, "k"), 1), "a"), "\x041.5e")))
	add("hash-dup", end(str(str(str(str(append(key(4, "k"), 2), "f"), "v"), "f"), "v")))
	add("unknown-type", end(append(key(22, "k"), 0)))
	// a set as Redis 7.2 writes it (listpack, type 20), unknown to 7.0
	add("set-listpack-7.2", end(str(key(20, "k"), "\x0b\x00\x00\x00\x01\x00\x81a\x02\xff")))
	add("type-7", end(append(key(7, "k"), 0)))
	add("module-type", end(append(key(6, "k"), 0x05)))
	add("module2-type", end(append(key(7, "k"), 0x05, 0x00)))
	add("module-aux", end(append(bytes.Clone(head), 0xf7, 0x81, 1, 2, 3, 4, 5, 6, 7, 8, 2, 0, 0)))
	add("module-aux-bad-when", end(append(bytes.Clone(head), 0xf7, 0x05, 1, 0, 0)))
	add("aux-only", end(str(str(append(bytes.Clone(head), 0xfa), "k"), "v")))
	add("aux-with-nul", end(str(str(append(bytes.Clone(head), 0xfa), "k\x00x"), "v\x00y")))
	add("resizedb", end(append(bytes.Clone(head), 0xfb, 3, 2)))
	add("idle-freq", end(str(str(append(bytes.Clone(head), 0xf8, 0x05, 0xf9, 0x07, 0, 0), "k"), "v")))
	add("expire-sec", end(str(str(append(bytes.Clone(head), 0xfd, 1, 0, 0, 0, 0), "k"), "v")))
	add("function-old", end(str(str(str(append(bytes.Clone(head), 0xf6), "lib"), "LUA"), "x")))
	add("function2-short", append(bytes.Clone(head), 0xf5, 0x10, 'a'))
	add("invalid-opcode-fc-short", append(bytes.Clone(head), 0xfc, 1, 2))
	add("selectdb-large", end(append(bytes.Clone(head), 0xfe, 0x80, 0x7f, 0xff, 0xff, 0xff)))
	add("ziplist-garbage", end(str(key(13, "k"), "\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff")))
	add("listpack-garbage", end(str(key(16, "k"), "\x07\x00\x00\x00\x00\x00\xff")))
	add("intset-garbage", end(str(key(11, "k"), "\x02\x00\x00\x00\x01\x00\x00\x00\x01")))
	add("zipmap-garbage", end(str(key(9, "k"), "\x01\x01f\x01\x00v\xff")))
	return cs
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// result is what a run printed to standard output, masked, and its exit code.
type result struct {
	out  string
	code int
}

// runOurs runs Main on data saved as caseFile in the current directory.
func runOurs(t *testing.T, data []byte) result {
	if err := os.WriteFile(caseFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := Main([]string{caseFile}, &out)
	return result{mask(out.String()), code}
}

// runRedis runs the real tool the same way.
func runRedis(t testing.TB, bin string, data []byte) result {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, caseFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// a guard, not a measurement: an input the real tool never finishes
	// on (see Result.RedisHangs) must fail the test, not hang it
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, caseFile)
	cmd.Dir = dir
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("redis-check-rdb did not finish on %q", data)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{mask(string(out)), code}
}

// The golden file holds, per case, "=== name", "exit N", then the output.
func readGolden(t testing.TB) map[string]result {
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatalf("%v (record it with -update all)", err)
	}
	defer f.Close()
	g := map[string]result{}
	var name string
	var cur *strings.Builder
	var code int
	flush := func() {
		if cur != nil {
			g[name] = result{cur.String(), code}
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "=== "); ok {
			flush()
			name, cur = n, &strings.Builder{}
			sc.Scan()
			code, _ = strconv.Atoi(strings.TrimPrefix(sc.Text(), "exit "))
			continue
		}
		cur.WriteString(line + "\n")
	}
	flush()
	return g
}

func writeGolden(t *testing.T, bin string, cs []rdbCase, onlyMissing bool) {
	var old map[string]result
	if onlyMissing {
		old = readGolden(t)
	}
	res := make([]result, len(cs))
	var wg sync.WaitGroup
	work := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if r, ok := old[cs[i].name]; ok {
					res[i] = r
					continue
				}
				res[i] = runRedis(t, bin, cs[i].data)
			}
		}()
	}
	for i := range cs {
		work <- i
	}
	close(work)
	wg.Wait()
	var b strings.Builder
	for i, c := range cs {
		fmt.Fprintf(&b, "=== %s\nexit %d\n%s", c.name, res[i].code, res[i].out)
	}
	if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAsRedisCheckRDB(t *testing.T) {
	cs := cases(t)
	if *update != "" {
		bin, err := exec.LookPath("redis-check-rdb")
		if err != nil {
			t.Fatal("-update needs redis-check-rdb")
		}
		writeGolden(t, bin, cs, *update == "missing")
	}
	golden := readGolden(t)
	t.Chdir(t.TempDir())
	failed, shown := 0, 20
	var only *regexp.Regexp
	if *onlyCases != "" {
		only, shown = regexp.MustCompile(*onlyCases), len(cs)
	}
	for _, c := range cs {
		if only != nil && !only.MatchString(c.name) {
			continue
		}
		want, ok := golden[c.name]
		if !ok {
			t.Errorf("%s: not in %s (record it with -update missing)", c.name, goldenPath)
			continue
		}
		got := runOurs(t, c.data)
		if got != want {
			failed++
			if failed <= shown {
				t.Errorf("%s: exit %d, redis-check-rdb %d\nours:\n%s\nredis-check-rdb:\n%s", c.name, got.code, want.code, got.out, want.out)
			} else {
				t.Errorf("%s: differs", c.name)
			}
		}
	}
	t.Logf("%d cases compared, %d differ", len(cs), failed)
}

// TestGoldenIsRedis runs the real redis-check-rdb on every asset, every
// generated file and every 20th other case and checks the recording (and
// so Main, which TestAsRedisCheckRDB holds to it) still matches it.
func TestGoldenIsRedis(t *testing.T) {
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Skip("redis-check-rdb not installed")
	}
	golden := readGolden(t)
	for i, c := range cases(t) {
		if i%20 != 0 && !strings.HasPrefix(c.name, "asset/") && !strings.HasPrefix(c.name, "redis/") {
			continue
		}
		want := runRedis(t, bin, c.data)
		if g := golden[c.name]; g != want {
			t.Errorf("%s: golden exit %d, redis-check-rdb %d\ngolden:\n%s\nredis-check-rdb:\n%s", c.name, g.code, want.code, g.out, want.out)
		}
	}
}

// TestMainAsRedis compares the command line handling with the real tool:
// usage errors, --version, a missing file and a directory. Standard
// output and the exit code are compared; the usage line goes to standard
// error and names the program, so it is not.
func TestMainAsRedis(t *testing.T) {
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Skip("redis-check-rdb not installed")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, args := range [][]string{nil, {"-v"}, {"--version"}, {"a", "b"}, {"missing.rdb"}, {"d"}, {"-v", "x"}} {
		cmd := exec.Command(bin, args...)
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		want := result{mask(string(out)), code}
		var buf bytes.Buffer
		got := result{code: Main(args, &buf)}
		got.out = mask(buf.String())
		if got != want {
			t.Errorf("%q: exit %d, redis-check-rdb %d\nours:\n%s\nredis-check-rdb:\n%s", args, got.code, want.code, got.out, want.out)
		}
	}
}
