package rdb

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func benchData(n int) []byte {
	return genData(rand.New(rand.NewPCG(5, 6)), n)
}

func BenchmarkLZFCompress(b *testing.B) {
	for _, n := range []int{64, 1 << 10, 64 << 10} {
		src := benchData(n)
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var dst []byte
			for b.Loop() {
				dst = LZFCompress(dst[:0], src)
			}
		})
	}
}

func BenchmarkLZFDecompress(b *testing.B) {
	src := benchData(64 << 10)
	comp := LZFCompress(nil, src)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := LZFDecompress(comp, len(src)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCRC64(b *testing.B) {
	src := benchData(64 << 10)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		CRC64(0, src)
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
