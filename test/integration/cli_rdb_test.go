package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestCLIRemoteBackups: redis-cli --rdb (a full snapshot over the
// replication protocol) and --functions-rdb (REPLCONF rdb-filter-only
// functions: the function libraries alone) against redis-server and
// redoubt. Each file passes redis-check-rdb and a fresh redis-server
// started on it holds what the source held: everything for --rdb, the
// libraries and no keys for --functions-rdb.
func TestCLIRemoteBackups(t *testing.T) {
	lib := "#!lua name=backuplib\nredis.register_function('answer', function() return 42 end)"
	for _, kind := range []string{"redis", "redoubt"} {
		t.Run(kind, func(t *testing.T) {
			src := testutil.StartKind(t, kind, "--repl-diskless-sync-delay", "0")
			cli(t, src, "FUNCTION", "LOAD", lib)
			cli(t, src, "MSET", "a", "1", "b", "2", "c", "3")
			cli(t, src, "RPUSH", "list", "x", "y")
			for _, mode := range []struct {
				flag     string
				wantKeys string
			}{{"--rdb", "4"}, {"--functions-rdb", "0"}} {
				dir := t.TempDir()
				file := filepath.Join(dir, "dump.rdb")
				out := cli(t, src, mode.flag, file)
				if !strings.Contains(out, "Transfer finished with success") {
					t.Fatalf("redis-cli %s: %s", mode.flag, out)
				}
				checkRDB(t, file)
				if _, err := os.Stat(file); err != nil {
					t.Fatal(err)
				}
				r := testutil.StartRedisIn(t, dir)
				if got := cli(t, r, "DBSIZE"); got != mode.wantKeys {
					t.Errorf("%s from %s: DBSIZE %s, want %s", mode.flag, kind, got, mode.wantKeys)
				}
				if got := cli(t, r, "FCALL", "answer", "0"); got != "42" {
					t.Errorf("%s from %s: FCALL answer = %q, want 42", mode.flag, kind, got)
				}
			}
		})
	}
}
