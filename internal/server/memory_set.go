// memory_set.go estimates a set's footprint for MEMORY USAGE the way
// Redis 7.0's objectComputeSize does: an intset is its one allocation, a
// hashtable is its bucket array plus the sampled average entry times the
// member count.
package server

import "github.com/redoubt/redoubt/internal/types"

// dictStructSize is sizeof(dict) in Redis 7.0.
const dictStructSize = 56

func setMemoryUsage(s *types.Set, samples int) uint64 {
	if s.IsIntset() {
		return robjSize + jemallocSize(uint64(s.IntsetBlobLen()))
	}
	size := uint64(robjSize + dictStructSize + 8*s.Buckets())
	var sampled, elemBytes uint64
	s.ForEach(func(m string) bool {
		if sampled >= uint64(samples) {
			return false
		}
		elemBytes += dictEntrySize + sdsAllocSize(len(m))
		sampled++
		return true
	})
	if sampled > 0 {
		size = uint64(float64(size) + float64(elemBytes)/float64(sampled)*float64(s.Len()))
	}
	return size
}
