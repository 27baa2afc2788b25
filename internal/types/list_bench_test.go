package types

import "testing"

// Benchmarks for the list paths redis-benchmark's LPUSH, LPOP and
// LRANGE_100 tests exercise, plus RPUSH of distinct elements.

func BenchmarkListPushHead(b *testing.B) {
	l := NewList()
	v := []byte("xxx")
	for i := 0; i < b.N; i++ {
		l.PushHead(v)
	}
}

func BenchmarkListPushTailDistinct(b *testing.B) {
	l := NewList()
	v := []byte("element:0000000")
	for i := 0; i < b.N; i++ {
		v[8+i%7]++
		l.PushTail(v)
	}
}

func BenchmarkListPopHead(b *testing.B) {
	l := NewList()
	v := []byte("xxx")
	for i := 0; i < b.N; i++ {
		l.PushHead(v)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.PopHead()
	}
}

func BenchmarkListRange100(b *testing.B) {
	l := NewList()
	v := []byte("xxx")
	for i := 0; i < 10000; i++ {
		l.PushHead(v)
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for j := 0; j < 100; j++ {
			n += len(l.At(j))
		}
	}
	_ = n
}
