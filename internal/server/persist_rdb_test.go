// persist_rdb_test.go checks what saving and loading report in the log:
// when dbfilename cannot be replaced, Redis's "Error moving temp DB file"
// line with C's strerror text (and no temp file left behind); after a
// load, Redis's "Done loading RDB" count.
package server

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
)

func TestSaveRenameErrorIsRedisLine(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Dir = dir
	s := New(cfg)
	// a non-empty directory where dump.rdb goes: rename(2) fails EISDIR
	if err := os.MkdirAll(filepath.Join(dir, "dump.rdb", "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	err := s.rdbSave()
	s.mu.Unlock()
	if err == nil {
		t.Fatal("SAVE over a directory succeeded")
	}
	want := regexp.MustCompile(`^Error moving temp DB file temp-\S+\.rdb on the final destination dump\.rdb \(in server root dir ` +
		regexp.QuoteMeta(dir) + `\): Is a directory$`)
	if !want.MatchString(err.Error()) {
		t.Errorf("error %q", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("files left in dir: %v", ents)
	}
}

// TestLoadRDBLogsDoneLine: loading a dump logs Redis's closing count line.
func TestLoadRDBLogsDoneLine(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Dir = dir
	s := New(cfg)
	s.mu.Lock()
	c := newMultiTestClient(s)
	runForMulti(c, "SET", "a", "1")
	runForMulti(c, "SET", "b", "2")
	// saved with an expire long past: counted at load, not loaded
	runForMulti(c, "SET", "soon", "4")
	e := s.ks.DBs[0].Lookup([]byte("soon"))
	s.ks.DBs[0].SetExpire(e, 1)
	err := s.rdbSave()
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}

	cfg2 := config.Default()
	cfg2.Dir = dir
	cfg2.LogFile = filepath.Join(dir, "load.log")
	s2 := New(cfg2)
	if err := s2.loadRDB(); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(cfg2.LogFile)
	if !regexp.MustCompile(`(?m) \* Done loading RDB, keys loaded: 2, keys expired: 1\.$`).Match(log) {
		t.Errorf("log:\n%s", log)
	}
}
