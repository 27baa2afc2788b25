// persist_aof_write_test.go checks the group commit of the AOF writer:
// whoever writes, every client that returns from writeUpTo finds its
// commands in the file (and fsynced under appendfsync always), and the
// file holds the stream in execution order.
package server

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/config"
)

func TestAOFGroupCommitCoversEveryWaiter(t *testing.T) {
	for _, fsync := range []string{"always", "everysec", "no"} {
		t.Run(fsync, func(t *testing.T) {
			s := New(config.Default())
			s.cfg.AppendFsync = fsync
			path := filepath.Join(t.TempDir(), "incr.aof")
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			a := &s.aof
			a.state, a.file, a.selDB = aofOn, f, -1

			const clients, perClient = 8, 200
			var wg sync.WaitGroup
			var fails sync.Map
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perClient {
						s.mu.Lock()
						a.feed(s, 0, [][]byte{[]byte("SET"), fmt.Appendf(nil, "k%d", c), fmt.Appendf(nil, "%d", i)})
						target := a.appendedOffset()
						s.mu.Unlock()
						a.writeUpTo(s, target)
						st, err := os.Stat(path)
						if err != nil || st.Size() < target {
							fails.Store(c, fmt.Sprintf("client %d: returned at %d with the file at %v (%v)", c, target, st.Size(), err))
							return
						}
						if fsync == "always" && a.syncedOffset.Load() < target {
							fails.Store(c, fmt.Sprintf("client %d: returned at %d, fsynced only up to %d", c, target, a.syncedOffset.Load()))
							return
						}
					}
				}()
			}
			wg.Wait()
			fails.Range(func(_, v any) bool {
				t.Error(v)
				return true
			})

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != a.appendedOffset() {
				t.Fatalf("file has %d bytes, stream %d", len(data), a.appendedOffset())
			}
			// each client's values appear in the order it wrote them
			next := make(map[string]int)
			r := aof.NewReader(data)
			for {
				argv, err := r.Next()
				if err != nil {
					break
				}
				if string(argv[0]) != "SET" {
					continue
				}
				k, v := string(argv[1]), string(argv[2])
				if want := fmt.Sprint(next[k]); v != want {
					t.Fatalf("%s: got value %s, want %s", k, v, want)
				}
				next[k]++
			}
			for c := range clients {
				if n := next[fmt.Sprintf("k%d", c)]; n != perClient {
					t.Errorf("k%d: %d commands in the file, want %d", c, n, perClient)
				}
			}
		})
	}
}
