// cmd_memory.go holds memory accounting for INFO memory and the MEMORY
// command. The Go runtime is the allocator here: "allocated" is the bytes
// of live heap objects, "active" the heap spans in use and "resident" the
// heap memory obtained from the OS and not returned. MEMORY USAGE estimates
// a key's footprint with Redis's own layout (object header, sds header,
// jemalloc size classes), so the numbers are comparable with Redis's.
package server

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("memory|usage", cmdMemoryUsage)
	register("memory|stats", cmdMemoryStats)
	register("memory|doctor", cmdMemoryDoctor)
	register("memory|malloc-stats", cmdMemoryMallocStats)
	register("memory|purge", cmdMemoryPurge)
	register("memory|help", cmdMemoryHelp)
}

var heapSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
}

// heapAllocated is the bytes of live heap objects (cheap: no stop-the-world).
func heapAllocated() uint64 {
	s := heapSamples[:1:1]
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// memoryOverview is what INFO memory and MEMORY STATS report.
type memoryOverview struct {
	used, rss, peak, startup        uint64
	allocated, active, resident     uint64
	overhead, dataset, system       uint64
	clientsNormal                   uint64
	peakPerc, datasetPerc           float64
	keys                            int64
	dbIDs                           []int
	dbOverhead                      map[int][2]uint64 // main, expires
	bytesPerKey                     uint64
	totalFragRatio, allocFragRatio  float64
	allocRSSRatio, rssOverheadRatio float64
	totalFragBytes, allocFragBytes  int64
	allocRSSBytes, rssOverheadBytes int64
}

// clientFootprint is what Redis accounts for an idle normal client.
const clientFootprint = 17160

// dictEntrySize is Redis's per-key hash table entry, used to estimate overheads.
const dictEntrySize = 24

func (s *Server) memoryOverview() memoryOverview {
	samples := make([]metrics.Sample, len(heapSamples))
	copy(samples, heapSamples)
	metrics.Read(samples)
	objects := samples[0].Value.Uint64()
	unused := samples[1].Value.Uint64()
	free := samples[2].Value.Uint64()
	m := memoryOverview{
		used:      s.usedMemory(),
		allocated: objects,
		active:    objects + unused,
		resident:  objects + unused + free,
		rss:       processRSS(),
		system:    systemMemory(),
		startup:   s.intro.startupAllocated,
	}
	m.peak = s.evict.peak
	m.peakPerc = float64(m.used) * 100 / float64(max(m.peak, 1))
	// Buffers belong to connection goroutines; count Redis's per-client
	// footprint (reply buffer and client struct) instead of reading them.
	m.clientsNormal = uint64(len(s.clients)) * clientFootprint
	m.dbOverhead = map[int][2]uint64{}
	for _, db := range s.ks.DBs {
		if db.Len() == 0 {
			continue
		}
		main := uint64(db.Len())*dictEntrySize + 8*uint64(db.Dict().Buckets())
		exp := uint64(db.TableBytes(dictEntrySize)) - 8*uint64(db.Dict().Buckets())
		m.dbOverhead[db.ID] = [2]uint64{main, exp}
		m.dbIDs = append(m.dbIDs, db.ID)
		m.keys += int64(db.Len())
	}
	if s.ks.Accounting() {
		m.dataset = uint64(max(s.ks.DataBytes(), 0))
	} else {
		m.dataset = m.used - min(s.evict.overhead, m.used)
	}
	m.overhead = m.used - min(m.dataset, m.used)
	net := int64(m.used) - int64(m.startup)
	if net > 0 {
		m.datasetPerc = float64(m.dataset) * 100 / float64(net)
	}
	if m.keys > 0 && net > 0 {
		m.bytesPerKey = uint64(net) / uint64(m.keys)
	}
	ratio := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	m.allocFragRatio, m.allocFragBytes = ratio(m.active, m.allocated), int64(m.active)-int64(m.allocated)
	m.allocRSSRatio, m.allocRSSBytes = ratio(m.resident, m.active), int64(m.resident)-int64(m.active)
	m.rssOverheadRatio, m.rssOverheadBytes = ratio(m.rss, m.resident), int64(m.rss)-int64(m.resident)
	m.totalFragRatio, m.totalFragBytes = ratio(m.rss, m.used), int64(m.rss)-int64(m.used)
	return m
}

// processRSS reads the resident set size from /proc/self/statm.
func processRSS() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// systemMemory is MemTotal from /proc/meminfo, in bytes.
func systemMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// jemallocSize rounds n up to jemalloc's size class, as Redis's
// zmalloc_size reports for an allocation of n bytes.
func jemallocSize(n uint64) uint64 {
	switch {
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	}
	p := uint64(1)
	for p*2 < n {
		p *= 2
	}
	// Four size classes per doubling.
	step := p / 4
	return (n + step - 1) / step * step
}

// sdsAllocSize is the allocation of an sds string of length n: the header
// grows with the length (a non-empty string under 32 bytes uses 1 byte).
func sdsAllocSize(n int) uint64 {
	hdr := 3
	switch {
	case n > 0 && n < 32:
		hdr = 1
	case n < 1<<8:
		hdr = 3
	case n < 1<<16:
		hdr = 5
	case n < 1<<32:
		hdr = 9
	default:
		hdr = 17
	}
	return jemallocSize(uint64(hdr + n + 1))
}

// robjSize is Redis's object header.
const robjSize = 16

// sizedValue is implemented by value types that can estimate their own
// footprint in Redis's terms; samples bounds how many elements are read.
type sizedValue interface {
	MemoryUsage(samples int) int64
}

// valueMemoryUsage estimates the bytes Redis would use for v.
func valueMemoryUsage(v keyspace.Value, samples int) uint64 {
	switch x := v.(type) {
	case *types.String:
		switch x.Enc {
		case types.EncInt:
			return robjSize
		case types.EncEmbstr:
			return jemallocSize(uint64(robjSize + 3 + len(x.B) + 1))
		}
		return robjSize + sdsAllocSize(len(x.B))
	case *types.Set:
		return setMemoryUsage(x, samples)
	case sizedValue:
		return uint64(x.MemoryUsage(samples))
	}
	return robjSize
}

func cmdMemoryUsage(c *Client, args [][]byte) {
	samples := int64(5)
	for j := 3; j < len(args); j++ {
		if strings.EqualFold(string(args[j]), "samples") && j+1 < len(args) {
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if n < 0 {
				c.addError(errSyntax)
				return
			}
			if n == 0 {
				n = 1<<63 - 1
			}
			samples = n
			j++
			continue
		}
		c.addError(errSyntax)
		return
	}
	e := c.db.Peek(args[2])
	if e == nil {
		c.w.Null()
		return
	}
	usage := valueMemoryUsage(e.Value, int(min(samples, 1<<31-1)))
	usage += sdsAllocSize(len(e.Key)) + dictEntrySize
	c.w.Int(int64(usage))
}

func cmdMemoryStats(c *Client, args [][]byte) {
	m := c.srv.memoryOverview()
	w := c.w
	w.MapLen(27 + len(m.dbIDs))
	pair := func(name string, v int64) {
		w.BulkString(name)
		w.Int(v)
	}
	double := func(name string, v float64) {
		w.BulkString(name)
		w.Double(float64(float32(v)))
	}
	pair("peak.allocated", int64(m.peak))
	pair("total.allocated", int64(m.used))
	pair("startup.allocated", int64(m.startup))
	pair("replication.backlog", 0)
	pair("clients.slaves", 0)
	pair("clients.normal", int64(m.clientsNormal))
	pair("cluster.links", 0)
	pair("aof.buffer", 0)
	pair("lua.caches", 0)
	pair("functions.caches", 0)
	for _, id := range m.dbIDs {
		w.BulkString("db." + strconv.Itoa(id))
		w.MapLen(3)
		pair("overhead.hashtable.main", int64(m.dbOverhead[id][0]))
		pair("overhead.hashtable.expires", int64(m.dbOverhead[id][1]))
		pair("overhead.hashtable.slot-to-keys", 0)
	}
	pair("overhead.total", int64(m.overhead))
	pair("keys.count", m.keys)
	pair("keys.bytes-per-key", int64(m.bytesPerKey))
	pair("dataset.bytes", int64(m.dataset))
	double("dataset.percentage", m.datasetPerc)
	double("peak.percentage", m.peakPerc)
	pair("allocator.allocated", int64(m.allocated))
	pair("allocator.active", int64(m.active))
	pair("allocator.resident", int64(m.resident))
	double("allocator-fragmentation.ratio", m.allocFragRatio)
	pair("allocator-fragmentation.bytes", m.allocFragBytes)
	double("allocator-rss.ratio", m.allocRSSRatio)
	pair("allocator-rss.bytes", m.allocRSSBytes)
	double("rss-overhead.ratio", m.rssOverheadRatio)
	pair("rss-overhead.bytes", m.rssOverheadBytes)
	double("fragmentation", m.totalFragRatio)
	pair("fragmentation.bytes", m.totalFragBytes)
}

func cmdMemoryDoctor(c *Client, args [][]byte) {
	c.w.Verbatim("txt", c.srv.memoryReport())
}

// memoryReport is a short plain-language look at the memory figures.
func (s *Server) memoryReport() string {
	m := s.memoryOverview()
	if m.used < 5<<20 {
		return "This instance holds very little data (under 5MB allocated), too little for a meaningful memory analysis. Load some data and ask again.\n"
	}
	var issues []string
	if m.peakPerc < 50 {
		issues = append(issues, fmt.Sprintf("Peak memory: %s at peak, %.0f%% of it in use now; RSS may stay high after such a drop.", bytesToHuman(m.peak), m.peakPerc))
	}
	if m.totalFragRatio > 1.4 && m.rss > 10<<20 {
		issues = append(issues, fmt.Sprintf("High RSS overhead: the process holds %.2f times the memory allocated (%s more); MEMORY PURGE returns free heap pages to the OS.", m.totalFragRatio, bytesToHuman(uint64(m.totalFragBytes))))
	}
	maxmem := uint64(s.cfgInt("maxmemory", 0))
	if maxmem > 0 && m.used > maxmem*9/10 {
		issues = append(issues, "Memory use is close to the maxmemory limit.")
	}
	if len(issues) == 0 {
		return "No memory problems detected.\n"
	}
	var b strings.Builder
	b.WriteString("Memory report:\n\n")
	for _, i := range issues {
		b.WriteString(" * " + i + "\n")
	}
	return b.String()
}

func cmdMemoryMallocStats(c *Client, args [][]byte) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var b bytes.Buffer
	fmt.Fprintf(&b, "___ Go runtime memory statistics (%s) ___\n", runtime.Version())
	fmt.Fprintf(&b, "HeapAlloc: %d\nHeapInuse: %d\nHeapIdle: %d\nHeapReleased: %d\nHeapSys: %d\nHeapObjects: %d\n",
		ms.HeapAlloc, ms.HeapInuse, ms.HeapIdle, ms.HeapReleased, ms.HeapSys, ms.HeapObjects)
	fmt.Fprintf(&b, "StackInuse: %d\nStackSys: %d\nSys: %d\nMallocs: %d\nFrees: %d\nNumGC: %d\nNextGC: %d\n",
		ms.StackInuse, ms.StackSys, ms.Sys, ms.Mallocs, ms.Frees, ms.NumGC, ms.NextGC)
	b.WriteString("--- End Go runtime memory statistics ---\n")
	c.w.Verbatim("txt", b.String())
}

func cmdMemoryPurge(c *Client, args [][]byte) {
	debug.FreeOSMemory()
	c.w.OK()
}

func cmdMemoryHelp(c *Client, args [][]byte) {
	replyHelpLines(c, args, []string{
		"DOCTOR",
		"    Show a plain-language look at the memory figures.",
		"MALLOC-STATS",
		"    Show the allocator's (Go runtime's) internal statistics.",
		"PURGE",
		"    Return free heap memory to the operating system.",
		"STATS",
		"    Show the server's memory figures.",
		"USAGE <key> [SAMPLES <count>]",
		"    Estimate the bytes <key> and its value use. For aggregates <count>",
		"    elements are sampled (5 by default, all with 0).",
	})
}
