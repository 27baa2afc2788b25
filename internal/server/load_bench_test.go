package server

import (
	"os"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
)

// BenchmarkLoadRDBFile loads the RDB file named by REDOUBT_BENCH_RDB (a
// real dataset, e.g. bench/compare.sh's mixed 1M keys) into a fresh
// server per iteration: start-up load time, for profiling.
func BenchmarkLoadRDBFile(b *testing.B) {
	benchLoadFile(b, "REDOUBT_BENCH_RDB", func(s *Server, data []byte) error { return s.loadRDBBytes(data) })
}

// BenchmarkReplayAOFFile replays the AOF file (commands, no preamble)
// named by REDOUBT_BENCH_AOF into a fresh server per iteration.
func BenchmarkReplayAOFFile(b *testing.B) {
	benchLoadFile(b, "REDOUBT_BENCH_AOF", func(s *Server, data []byte) error {
		_, err := s.replayAOF(data)
		return err
	})
}

func benchLoadFile(b *testing.B, env string, load func(*Server, []byte) error) {
	path := os.Getenv(env)
	if path == "" {
		b.Skip(env + " names no file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		s := New(config.Default())
		b.StartTimer()
		if err := load(s, data); err != nil {
			b.Fatal(err)
		}
	}
}
