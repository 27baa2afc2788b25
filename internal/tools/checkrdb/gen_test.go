package checkrdb

// gen_test.go writes the RDB files under testdata/rdb with a real Redis 7
// server, so the checker is tested on every type and encoding as Redis
// itself lays them out. It runs only with -generate:
//
//	go test -run TestGenerateRDBs -generate ./internal/tools/checkrdb/
//
// after which -update re-records the golden reports (checkrdb_test.go).

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

var generate = flag.Bool("generate", false, "rewrite testdata/rdb with a real redis-server")

// farFuture is an expiry (2100-01-01) that stays in the future for the
// golden reports' lifetime, so "already expired" counts do not drift.
const farFuture = "4102444800"

func TestGenerateRDBs(t *testing.T) {
	if !*generate {
		t.Skip("run with -generate to rewrite testdata/rdb")
	}
	os.MkdirAll(filepath.Join("testdata", "rdb"), 0o755)
	dir, do, save := genServer(t, "--enable-debug-command", "yes")

	// every encoding, small values
	do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	smallTypes(do)
	do("SET", "gone", "v", "PX", "1") // expired by the time it is checked
	do("SELECT", "2")
	do("SET", "k2", "v2")
	do("SELECT", "15")
	do("RPUSH", "l15", "x", "y")
	do("SELECT", "0")
	do("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return 1 end)")
	save("all.rdb")

	// checksum and compression off (both immutable: a second server)
	_, do2, save2 := genServer(t, "--rdbchecksum", "no", "--rdbcompression", "no")
	smallTypes(do2)
	save2("nochecksum.rdb")

	// values big enough for the large encodings
	do("FLUSHALL")
	do("FUNCTION", "FLUSH")
	bigTypes(do)
	save("big.rdb")

	// an AOF base: the rewrite writes an RDB with the aof-base aux field
	do("FLUSHALL")
	smallTypes(do)
	do("CONFIG", "SET", "appendonly", "yes")
	for i := 0; ; i++ {
		info := do("INFO", "persistence")
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") &&
			strings.Contains(info, "aof_enabled:1") {
			break
		}
		if i > 3000 {
			t.Fatal("AOF rewrite never finished")
		}
		time.Sleep(10 * time.Millisecond) // polling, not a deadline
	}
	bases, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.base.rdb"))
	if len(bases) != 1 {
		t.Fatalf("bases: %v", bases)
	}
	copyFile(t, bases[0], filepath.Join("testdata", "rdb", "aof-base.rdb"))

	// empty database
	do("CONFIG", "SET", "appendonly", "no")
	do("FLUSHALL")
	save("empty.rdb")
}

// smallTypes fills db 0 with one key per type and small encoding.
func smallTypes(do func(...string) string) {
	long := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 2) // > 64 bytes
	do("SET", "int", "12345")
	do("SET", "negint", "-7")
	do("SET", "int64", "12345678901")
	do("SET", "embstr", "hello")
	do("SET", "raw", "q8Zr2LpX0vNw7TyB4kHs1MdG9cFj3") // not compressible
	do("SET", "lzf", strings.Repeat("ab", 100))
	do("SET", "empty", "")
	do("RPUSH", "list", "a", "b", "1", "-2", "300000", long)
	do("HSET", "hash-lp", "f1", "v1", "f2", "2")
	do("HSET", "hash-ht", "f1", long, "f2", "v2")
	do("SADD", "set-int", "1", "2", "3", "-5")
	do("SADD", "set-int64", "1", "5000000000")
	do("SADD", "set-ht", "a", "b", "c")
	do("ZADD", "zset-lp", "1", "a", "2.5", "b", "-inf", "c")
	do("ZADD", "zset-sk", "1", long, "inf", "x", "3", "y")
	do("XADD", "stream", "1-1", "f", "v", "g", "w")
	do("XADD", "stream", "1-2", "f", "v2", "g", "w2")
	do("XADD", "stream", "2-0", "other", "x")
	do("XADD", "stream", "3-0", "f", "v3", "g", "w3")
	do("XDEL", "stream", "1-2")
	do("XGROUP", "CREATE", "stream", "grp", "0")
	do("XGROUP", "CREATE", "stream", "grp2", "$")
	do("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", "stream", ">")
	do("XREADGROUP", "GROUP", "grp", "bob", "COUNT", "1", "STREAMS", "stream", ">")
	do("XACK", "stream", "grp", "1-1")
	do("XGROUP", "CREATECONSUMER", "stream", "grp", "carol")
	do("XADD", "stream-empty", "5-0", "a", "b")
	do("XDEL", "stream-empty", "5-0")
	do("SET", "ttl", "v", "EXAT", farFuture)
	do("HSET", "ttl-hash", "a", "b")
	do("EXPIREAT", "ttl-hash", farFuture)
}

// bigTypes fills db 0 with values past the compact encodings' limits.
func bigTypes(do func(...string) string) {
	args := func(cmd, key string, n int, f func(i int) []string) []string {
		a := []string{cmd, key}
		for i := range n {
			a = append(a, f(i)...)
		}
		return a
	}
	do(args("RPUSH", "quicklist", 3000, func(i int) []string { return []string{"element-" + strconv.Itoa(i)} })...)
	do(args("HSET", "hash", 200, func(i int) []string { return []string{"f" + strconv.Itoa(i), "v" + strconv.Itoa(i)} })...)
	do(args("SADD", "set-int", 600, func(i int) []string { return []string{strconv.Itoa(i * 7)} })...)
	do(args("SADD", "set-str", 200, func(i int) []string { return []string{"m" + strconv.Itoa(i)} })...)
	do(args("ZADD", "zset", 200, func(i int) []string { return []string{strconv.Itoa(i) + ".5", "m" + strconv.Itoa(i)} })...)
	for i := range 250 {
		do("XADD", "stream", fmt.Sprintf("%d-1", i+1), "field", strconv.Itoa(i))
	}
	do("XGROUP", "CREATE", "stream", "grp", "0")
	do("XREADGROUP", "GROUP", "grp", "c1", "COUNT", "120", "STREAMS", "stream", ">")
	// plain quicklist nodes: elements past the packed threshold
	do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100")
	do("RPUSH", "plain", strings.Repeat("p", 150), "small", strings.Repeat("q", 300))
}

// genServer starts a real redis-server; do runs a command (failing the
// test on an error reply) and save copies a fresh dump to testdata/rdb.
func genServer(t *testing.T, args ...string) (string, func(...string) string, func(string)) {
	dir := t.TempDir()
	p := testutil.StartRedisIn(t, dir, args...)
	c := testutil.DialRaw(t, p.Addr)
	do := func(args ...string) string {
		t.Helper()
		r := c.DoRaw(args...)
		if strings.HasPrefix(r, "-") {
			t.Fatalf("%q: %s", args, r)
		}
		return r
	}
	save := func(name string) {
		t.Helper()
		do("SAVE")
		copyFile(t, filepath.Join(dir, "dump.rdb"), filepath.Join("testdata", "rdb", name))
	}
	return dir, do, save
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
