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
	path := os.Getenv("REDOUBT_BENCH_RDB")
	if path == "" {
		b.Skip("REDOUBT_BENCH_RDB names no file")
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
		if err := s.loadRDBBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplayAOFFile replays the AOF file (commands, no preamble)
// named by REDOUBT_BENCH_AOF into a fresh server per iteration.
func BenchmarkReplayAOFFile(b *testing.B) {
	path := os.Getenv("REDOUBT_BENCH_AOF")
	if path == "" {
		b.Skip("REDOUBT_BENCH_AOF names no file")
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
		if _, err := s.replayAOF(data); err != nil {
			b.Fatal(err)
		}
	}
}
