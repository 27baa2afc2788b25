// The replication backlog: the newest bytes of the replication stream, kept
// so that a replica that lost its link briefly can continue with PSYNC
// instead of a full resync. Redis 7.0 stores it as a list of shared blocks;
// a fixed ring gives the same offsets and contents with one allocation. One
// visible difference: 7.0 trims only whole 16 KiB blocks, so its histlen can
// briefly exceed repl-backlog-size; here histlen is capped at the size.

package replication

import "fmt"

// DefaultBacklogSize is Redis's default repl-backlog-size (1mb).
const DefaultBacklogSize = 1024 * 1024

// Backlog is a circular buffer of the newest bytes of the replication
// stream, plus master_repl_offset (the offset of the last byte ever
// appended).
type Backlog struct {
	ring             []byte // len(ring) is repl-backlog-size
	next             int    // index in ring where the next byte goes
	histlen          int64  // bytes of valid history held, <= len(ring)
	masterReplOffset int64
}

// NewBacklog creates an empty backlog of size bytes whose
// master_repl_offset starts at masterReplOffset: like Redis's
// createReplicationBacklog, the first byte it virtually holds is the next one
// to be generated, masterReplOffset+1.
func NewBacklog(size int, masterReplOffset int64) *Backlog {
	mustValidSize(size)
	return &Backlog{ring: make([]byte, size), masterReplOffset: masterReplOffset}
}

func mustValidSize(size int) {
	if size < 1 {
		panic(fmt.Sprintf("repl: backlog size %d, want >= 1", size))
	}
}

// Size is the configured repl-backlog-size in bytes.
func (b *Backlog) Size() int { return len(b.ring) }

// MasterReplOffset is the offset of the last byte appended (master_repl_offset).
func (b *Backlog) MasterReplOffset() int64 { return b.masterReplOffset }

// Histlen is the number of bytes of history held (repl_backlog_histlen).
func (b *Backlog) Histlen() int64 { return b.histlen }

// FirstByteOffset is the offset of the oldest byte held
// (repl_backlog_first_byte_offset); with no history it is the offset of the
// next byte to be appended, as in Redis 7.0.
func (b *Backlog) FirstByteOffset() int64 { return b.masterReplOffset - b.histlen + 1 }

// Append adds p to the replication stream, dropping the oldest bytes when the
// ring is full.
func (b *Backlog) Append(p []byte) {
	b.masterReplOffset += int64(len(p))
	size := len(b.ring)
	if len(p) >= size {
		// Only the last size bytes can survive; write them as a whole ring.
		copy(b.ring, p[len(p)-size:])
		b.next = 0
		b.histlen = int64(size)
		return
	}
	n := copy(b.ring[b.next:], p)
	copy(b.ring, p[n:])
	b.next = (b.next + len(p)) % size
	b.histlen = min(b.histlen+int64(len(p)), int64(size))
}

// Resize changes repl-backlog-size at run time, keeping the newest bytes
// (all of them when growing), as Redis's resizeReplicationBacklog promises.
func (b *Backlog) Resize(size int) {
	mustValidSize(size)
	if size == len(b.ring) {
		return
	}
	keep := min(b.histlen, int64(size))
	ring := make([]byte, size)
	b.copyTail(ring[:keep])
	b.ring = ring
	b.histlen = keep
	b.next = int(keep) % size
}

// copyTail fills dst with the newest len(dst) bytes of history, oldest first.
func (b *Backlog) copyTail(dst []byte) {
	size := len(b.ring)
	start := (b.next - len(dst) + size) % size
	n := copy(dst, b.ring[start:])
	if n < len(dst) {
		copy(dst[n:], b.ring[:b.next])
	}
}

// CopyFrom returns a copy of the stream from offset (the first byte a replica
// has not received) to the end. ok is false when that offset is not inside
// the backlog and the replica needs a full resync; Redis's rule is
// offset < first byte offset || offset > first byte offset + histlen, so
// asking for exactly the next byte to be generated is fine and returns
// nothing.
func (b *Backlog) CopyFrom(offset int64) (data []byte, ok bool) {
	if !b.Contains(offset) {
		return nil, false
	}
	data = make([]byte, b.masterReplOffset+1-offset)
	b.copyTail(data)
	return data, true
}

// Contains reports whether a replica asking to continue at offset can be
// served from this backlog (the range check of masterTryPartialResynchronization).
func (b *Backlog) Contains(offset int64) bool {
	first := b.FirstByteOffset()
	return offset >= first && offset <= first+b.histlen
}

// BacklogInfo holds the backlog fields of INFO replication.
type BacklogInfo struct {
	Active          int   // repl_backlog_active
	Size            int64 // repl_backlog_size
	FirstByteOffset int64 // repl_backlog_first_byte_offset
	Histlen         int64 // repl_backlog_histlen
}

// Info returns the INFO fields for b; a nil (inactive) backlog reports 0s
// except the configured size, which the caller passes, as Redis does.
func Info(b *Backlog, configuredSize int64) BacklogInfo {
	if b == nil {
		return BacklogInfo{Size: configuredSize}
	}
	return BacklogInfo{Active: 1, Size: int64(b.Size()), FirstByteOffset: b.FirstByteOffset(), Histlen: b.histlen}
}
