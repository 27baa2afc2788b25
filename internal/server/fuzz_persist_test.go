package server

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/rdb"
	"github.com/redoubt/redoubt/internal/resp"
)

// The loaders of persisted data meet files a crash, a disk or a person has
// damaged: whatever the bytes, loading ends in an error that names the
// offset of the bad record, never a panic or a hang.

// fuzzWatchdog turns an input that takes more than a few seconds into a
// crash the fuzzer records (it does not notice a hang by itself); the
// stacks show where it was stuck. Stop the returned timer when done.
func fuzzWatchdog() *time.Timer {
	return time.AfterFunc(10*time.Second, func() {
		buf := make([]byte, 1<<20)
		panic("input hangs:\n" + string(buf[:runtime.Stack(buf, true)]))
	})
}

// fuzzAssets adds the small files of ../shared/redis-assets (written by
// real Redis versions) whose name ends in ext as seeds.
func fuzzAssets(f *testing.F, ext string) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "redis-assets", "*"+ext))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
}

// fuzzDataset fills a server with every type (small and large encodings)
// and returns it locked.
func fuzzDataset(f *testing.F) *Server {
	c := newSmallEncodingClient()
	s := c.srv
	for _, cmd := range [][]string{
		{"SET", "s", "hello"}, {"SET", "n", "12345"}, {"SET", "long", strings.Repeat("abc", 40)},
		{"RPUSH", "l", "a", "b", "1"}, {"RPUSH", "bigl", "1", "2", "3", "4", "5", "6"},
		{"HSET", "h", "f", "v"}, {"HSET", "bigh", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"},
		{"SADD", "is", "1", "2"}, {"SADD", "ss", "a", "b"}, {"SADD", "bigs", "a", "b", "c", "d", "e", "f"},
		{"ZADD", "z", "1", "a", "2.5", "b"}, {"ZADD", "bigz", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"},
		{"XADD", "x", "1-1", "f", "v"}, {"XADD", "x", "2-1", "f", "w"},
		{"XGROUP", "CREATE", "x", "g", "0"}, {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "x", ">"},
		{"PEXPIRE", "s", "100000000"}, {"SELECT", "3"}, {"SET", "db3", "x"},
		{"FUNCTION", "LOAD", "#!lua name=fz\nredis.register_function('f', function() return 1 end)"},
	} {
		c.w.Reset()
		c.processCommand(bytesArgs(cmd...))
		if len(c.w.Buf) > 0 && c.w.Buf[0] == '-' {
			f.Fatalf("%v: %s", cmd, c.w.Buf)
		}
	}
	return s
}

// FuzzLoadRDB feeds whole files to the start-up loader.
func FuzzLoadRDB(f *testing.F) {
	fuzzAssets(f, ".rdb")
	s := fuzzDataset(f)
	j := s.newRDBJobFor(false) // the snapshot encoder BGSAVE uses
	var file []byte
	for done := false; !done; {
		var tail [][]byte
		file, tail, done = j.step(file)
		file = j.appendTail(file, tail)
	}
	s.mu.Unlock()
	f.Add(file)
	f.Fuzz(func(t *testing.T, data []byte) {
		defer fuzzWatchdog().Stop()
		cfg := config.Default()
		cfg.RDBChecksum = false // let mutations reach past the EOF record
		s := New(cfg)
		s.mu.Lock()
		defer s.mu.Unlock()
		err := s.loadRDBBytes(data)
		var re *rdb.Error
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error without an offset: %v", err)
		}
	})
}

// FuzzRestorePayload feeds RESTORE payloads: bytes with a valid footer
// (so the checksum passes and the value decoder is reached) and raw bytes.
func FuzzRestorePayload(f *testing.F) {
	s := fuzzDataset(f)
	for _, k := range []string{"s", "n", "long", "l", "bigl", "h", "bigh", "is", "ss", "bigs", "z", "bigz", "x"} {
		e := s.ks.DBs[0].LookupNoStats([]byte(k))
		typ, _ := rdb.TypeOf(e.Value)
		f.Add(rdb.AppendValue([]byte{typ}, e.Value, s.rdbSaveOptions()), true)
	}
	s.mu.Unlock()
	f.Fuzz(func(t *testing.T, body []byte, footer bool) {
		defer fuzzWatchdog().Stop()
		payload := body
		if footer {
			payload = rdb.AppendDumpFooter(append([]byte(nil), body...))
		}
		s := New(config.Default())
		c := &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), db: s.ks.DBs[0], authenticated: true, user: "default"}
		s.mu.Lock()
		defer s.mu.Unlock()
		c.processCommand([][]byte{[]byte("RESTORE"), []byte("k"), []byte("0"), payload})
		out := string(c.w.Buf)
		if out != "+OK\r\n" && !strings.HasPrefix(out, "-ERR ") {
			t.Fatalf("RESTORE replied %q", out)
		}
		if out == "+OK\r\n" { // what was accepted must dump and restore again
			c.w.Reset()
			c.processCommand([][]byte{[]byte("DUMP"), []byte("k")})
			v, _, err := decodeFuzzReply(c.w.Buf)
			dump, ok := v.(string)
			if err != nil || !ok {
				t.Fatalf("DUMP reply %q: %v", c.w.Buf, err)
			}
			c.w.Reset()
			c.processCommand([][]byte{[]byte("RESTORE"), []byte("k2"), []byte("0"), []byte(dump)})
			if string(c.w.Buf) != "+OK\r\n" {
				t.Fatalf("the DUMP of a restored value does not restore: %q", c.w.Buf)
			}
		}
	})
}

// aofFuzzSafe: the commands a fuzzed AOF may replay. Real files hold only
// writes plus SELECT/MULTI/EXEC; the fuzzer must not reach DEBUG SLEEP,
// SHUTDOWN and the like.
func aofFuzzSafe(s *Server, data []byte) bool {
	r := aof.NewReader(data)
	for {
		argv, err := r.Next()
		if err != nil {
			return true // the loader meets the same error
		}
		sc, _ := s.lookupCommand(argv)
		if sc == nil {
			continue
		}
		switch sc.name {
		case "select", "multi", "exec":
			continue
		}
		if !sc.has(cmdWrite) || sc.has(cmdNoScript) && sc.name != "restore" {
			return false
		}
	}
}

// FuzzLoadAOF feeds a file's bytes to the AOF replay (after an RDB
// preamble when the bytes start with one).
func FuzzLoadAOF(f *testing.F) {
	fuzzAssets(f, ".aof")
	var cmds []byte
	for _, argv := range [][]string{
		{"SELECT", "0"}, {"SET", "a", "1"}, {"MULTI"}, {"RPUSH", "l", "x", "y"}, {"HSET", "h", "f", "v"}, {"EXEC"},
		{"PEXPIREAT", "a", "99999999999999"}, {"ZADD", "z", "1", "m"}, {"SADD", "s", "1"}, {"XADD", "x", "1-1", "f", "v"},
		{"INCRBY", "n", "5"}, {"DEL", "a"}, {"SELECT", "2"}, {"LPUSH", "q", "1"},
	} {
		cmds = aof.AppendCommand(cmds, bytesArgs(argv...)...)
	}
	f.Add(cmds)
	// one directory for all inputs, in memory when it can be: a temp dir
	// per input made the fuzzer wait on the disk of a busy host
	dir, err := os.MkdirTemp("/dev/shm", "fuzzaof")
	if err != nil {
		dir = f.TempDir()
	} else {
		f.Cleanup(func() { os.RemoveAll(dir) })
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer fuzzWatchdog().Stop()
		cfg := config.Default()
		cfg.Dir = dir
		cfg.RDBChecksum = false
		s := New(cfg)
		if !aofFuzzSafe(s, data) {
			return
		}
		if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.aofPath("f.aof"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		err := s.loadAOFFile("f.aof", true)
		if err == nil {
			return
		}
		var ae *aof.Error
		var re *rdb.Error
		msg := err.Error()
		if !errors.As(err, &ae) && !errors.As(err, &re) && !strings.Contains(msg, "append only file") {
			t.Fatalf("unexpected error: %v", err)
		}
	})
}

func bytesArgs(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}
