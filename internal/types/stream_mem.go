// stream_mem.go estimates what a stream really occupies on redoubt's heap
// for MEMORY USAGE and the maxmemory accounting: the packed nodes (kept
// as a running total, so the estimate is O(groups+consumers), cheap
// enough to run after every write), the node index, and for each group
// its PEL, NACKs and consumers. Sizes are rounded up to the Go
// allocator's size classes, which is what an allocation really costs.
package types

import (
	"sort"
	"unsafe"
)

// goSizeClasses are the Go runtime's small-object size classes (bytes).
var goSizeClasses = [...]int64{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224,
	240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768,
	896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200,
	3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240,
	10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576,
	27264, 28672, 32768,
}

// goAllocSize is the heap bytes an allocation of n bytes takes: its size
// class, or whole 8 KiB pages for large objects.
func goAllocSize(n int) int64 {
	if n <= 0 {
		return 0
	}
	m := int64(n)
	if m > goSizeClasses[len(goSizeClasses)-1] {
		return (m + 8191) &^ 8191
	}
	i := sort.Search(len(goSizeClasses), func(i int) bool { return goSizeClasses[i] >= m })
	return goSizeClasses[i]
}

const (
	streamStructBytes   = int64(unsafe.Sizeof(Stream{}))
	streamNodeBytes     = int64(unsafe.Sizeof(streamNode{}))
	streamGroupBytes    = int64(unsafe.Sizeof(StreamGroup{}))
	streamConsumerBytes = int64(unsafe.Sizeof(StreamConsumer{}))
	streamNACKBytes     = int64(unsafe.Sizeof(StreamNACK{}))
	streamIDBytes       = int64(unsafe.Sizeof(StreamID{}))
	ptrBytes            = int64(unsafe.Sizeof(uintptr(0)))
	sliceHeaderBytes    = int64(unsafe.Sizeof([]byte(nil)))
	// A Go map slot for a string key and pointer value, with its control
	// byte, at the 7/8 load factor; plus the map header.
	mapSlotBytes   = (16 + 8 + 1) * 8 / 7
	mapHeaderBytes = 48
)

// nodeFixedBytes is a node's allocations other than its buffer: the node
// struct and its master fields.
func (n *streamNode) fixedBytes() int64 {
	size := goAllocSize(int(streamNodeBytes)) + goAllocSize(len(n.masterFields)*int(sliceHeaderBytes))
	for _, f := range n.masterFields {
		size += goAllocSize(len(f))
	}
	return size
}

// memBytes is everything the node holds.
func (n *streamNode) memBytes() int64 { return n.fixedBytes() + goAllocSize(cap(n.buf)) }

// recountNodeBytes recomputes the running total (after Dup).
func (s *Stream) recountNodeBytes() {
	s.nodeBytes = 0
	for _, n := range s.nodes {
		s.nodeBytes += n.memBytes()
	}
}

func (p *PEL) memBytes() int64 {
	return goAllocSize(cap(p.ids)*int(streamIDBytes)) + goAllocSize(cap(p.nacks)*int(ptrBytes))
}

// MemoryUsage is the bytes the stream holds on the heap. samples is not
// used: the node total is exact and groups are walked in full, as Redis
// does for them.
func (s *Stream) MemoryUsage(samples int) int64 {
	size := goAllocSize(int(streamStructBytes)) + s.nodeBytes +
		goAllocSize(cap(s.nodes)*int(ptrBytes)) + goAllocSize(cap(s.groups)*int(ptrBytes))
	for _, g := range s.groups {
		size += goAllocSize(int(streamGroupBytes)) + goAllocSize(len(g.Name))
		size += g.PEL.memBytes() + int64(g.PEL.Len())*goAllocSize(int(streamNACKBytes))
		size += mapHeaderBytes + int64(len(g.consumers))*mapSlotBytes
		for _, c := range g.consumers {
			size += goAllocSize(int(streamConsumerBytes)) + goAllocSize(len(c.Name)) + c.PEL.memBytes()
		}
	}
	return size
}
