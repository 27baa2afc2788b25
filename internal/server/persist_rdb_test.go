// persist_rdb_test.go checks what a failed save reports: when dbfilename
// cannot be replaced, the error is Redis's "Error moving temp DB file"
// line with C's strerror text, and no temp file is left behind.
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
