package checkrdb

// The loading primitives of rdb.c (rdbLoadLen, rdbGenericLoadStringObject,
// the double and time readers) with the error behaviour redis-check-rdb
// shows: a short read fails without counting the bytes it wanted (rio's
// processed_bytes only grows on whole reads) and makes every later read
// fail too (RIO_FLAG_READ_ERROR); malformed encodings are reported at once
// through rdbReportError, which in the checker prints the error block and
// ends the process. They sit on rdb.Reader's bounds-checked ReadN, but
// decide the encodings themselves because the checker must tell those two
// kinds of failure apart and name them as rdb.c does.

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/redoubt/redoubt/internal/rdb"
)

// failure ends a check: what rdbCheckError prints, at processed byte at.
// fatal marks a failure reported through rdbReportError, after which the
// real tool exits at once (it logs "Terminating server after rdb file
// reading failure." and never returns to its caller).
type failure struct {
	msg   string
	at    int64
	fatal bool
}

func (f *failure) Error() string { return fmt.Sprintf("[offset %d] %s", f.at, f.msg) }

const eofMsg = "Unexpected EOF reading RDB file"

// rio reads an RDB image as rdb.c's rio over a file.
type rio struct {
	r       *rdb.Reader
	data    []byte
	readErr bool   // sticky, as RIO_FLAG_READ_ERROR
	memory  uint64 // the largest allocation that succeeds
}

func newRio(data []byte) *rio {
	return &rio{r: rdb.NewReader(data), data: data, memory: allocLimit()}
}

// pos is rio's processed_bytes.
func (c *rio) pos() int64 { return int64(c.r.Pos()) }

// read is rioRead: n bytes or nothing.
func (c *rio) read(n uint64) ([]byte, bool) {
	if c.readErr {
		return nil, false
	}
	if n > uint64(c.r.Remaining()) {
		c.readErr = true
		return nil, false
	}
	p, err := c.r.ReadN(int(n))
	if err != nil {
		c.readErr = true
		return nil, false
	}
	return p, true
}

// eof is the failure of a read that ran out of input (the checker's
// "goto eoferr").
func (c *rio) eof() *failure { return &failure{msg: eofMsg, at: c.pos()} }

// corrupt is rdbReportCorruptRDB / rdbReportReadError: line is the rdb.c
// line of the report in the Debian build of Redis 7.0.15 the golden files
// come from (each read off that binary's call sites, see
// checkrdb_test.go), kept so the text has the real shape;
// server.loading_loaded_bytes stays 0 in the checker.
func (c *rio) corrupt(line int, format string, args ...any) *failure {
	msg := fmt.Sprintf("Internal error in RDB reading offset 0, function at rdb.c:%d -> ", line) +
		fmt.Sprintf(format, args...)
	return &failure{msg: clip(msg), at: c.pos(), fatal: true}
}

// clip is the 1024-byte message buffer of rdbCheckError / rdbReportError.
func clip(s string) string {
	if len(s) > 1023 {
		return s[:1023]
	}
	return s
}

// loadType is rdbLoadType.
func (c *rio) loadType() (byte, *failure) {
	p, ok := c.read(1)
	if !ok {
		return 0, c.eof()
	}
	return p[0], nil
}

// loadLen is rdbLoadLenByRef: a length, or with encoded set a special
// string encoding.
func (c *rio) loadLen() (n uint64, encoded bool, f *failure) {
	p, ok := c.read(1)
	if !ok {
		return 0, false, c.eof()
	}
	b := p[0]
	switch b >> 6 {
	case 3:
		return uint64(b & 0x3f), true, nil
	case 0:
		return uint64(b & 0x3f), false, nil
	case 1:
		q, ok := c.read(1)
		if !ok {
			return 0, false, c.eof()
		}
		return uint64(b&0x3f)<<8 | uint64(q[0]), false, nil
	}
	switch b {
	case 0x80:
		q, ok := c.read(4)
		if !ok {
			return 0, false, c.eof()
		}
		return uint64(binary.BigEndian.Uint32(q)), false, nil
	case 0x81:
		q, ok := c.read(8)
		if !ok {
			return 0, false, c.eof()
		}
		return binary.BigEndian.Uint64(q), false, nil
	}
	return 0, false, c.corrupt(236, "Unknown length encoding %d in rdbLoadLen()", b>>6)
}

// lenErr is rdbLoadLen's RDB_LENERR, returned after a failed read.
const lenErr = math.MaxUint64

// loadPlainLen is rdbLoadLen(rdb, NULL) where the caller compares the
// result with RDB_LENERR: a stored length of 2^64-1 is that marker and
// fails like a short read (though later reads still work).
func (c *rio) loadPlainLen() (uint64, *failure) {
	n, f := c.loadRawLen()
	if f == nil && n == lenErr {
		return 0, c.eof()
	}
	return n, f
}

// loadRawLen is rdbLoadLen(rdb, NULL) where the caller tells a failed
// read by rioGetReadError instead, so 2^64-1 is an ordinary value.
func (c *rio) loadRawLen() (uint64, *failure) {
	n, _, f := c.loadLen()
	return n, f
}

// lenOrErr is rdbLoadLen where the caller checks rioGetReadError later:
// a short read gives RDB_LENERR, a corrupt encoding still fails at once.
func (c *rio) lenOrErr() (uint64, *failure) {
	n, f := c.loadRawLen()
	if f != nil && !f.fatal {
		return lenErr, nil
	}
	return n, f
}

// loadString is rdbGenericLoadStringObject: the string's bytes, integer
// encodings as their decimal text.
func (c *rio) loadString() ([]byte, *failure) {
	n, encoded, f := c.loadLen()
	if f != nil {
		return nil, f
	}
	if encoded {
		switch n {
		case rdb.EncInt8, rdb.EncInt16, rdb.EncInt32:
			p, ok := c.read(1 << n)
			if !ok {
				return nil, c.eof()
			}
			var v int64
			switch n {
			case rdb.EncInt8:
				v = int64(int8(p[0]))
			case rdb.EncInt16:
				v = int64(int16(binary.LittleEndian.Uint16(p)))
			default:
				v = int64(int32(binary.LittleEndian.Uint32(p)))
			}
			return strconv.AppendInt(nil, v, 10), nil
		case rdb.EncLZF:
			return c.loadLZF()
		}
		return nil, c.corrupt(529, "Unknown RDB string encoding type %d", n)
	}
	// A length malloc refuses fails like a short read: Redis's
	// "failed allocating" line is logged at verbose level while not
	// loading, which the checker's default verbosity hides.
	if n == 0 {
		return []byte{}, nil
	}
	p, ok := c.read(n)
	if !ok {
		return nil, c.eof()
	}
	return p, nil
}

// loadLZF is rdbLoadLzfStringObject.
func (c *rio) loadLZF() ([]byte, *failure) {
	clen, f := c.loadPlainLen()
	if f != nil {
		return nil, f
	}
	ulen, f := c.loadPlainLen()
	if f != nil {
		return nil, f
	}
	// both buffers are allocated before the compressed bytes are read; a
	// refused allocation fails without reading them (quietly, as above)
	for _, n := range []uint64{clen, ulen} {
		if n+16 > c.memory || n+16 < n {
			return nil, c.eof()
		}
	}
	comp, ok := c.read(clen)
	if !ok {
		return nil, c.eof()
	}
	if ulen == 0 {
		// lzf_decompress returns 0 on any error, which equals the length
		return []byte{}, nil
	}
	out, err := rdb.LZFDecompress(comp, int(ulen))
	if err != nil {
		return nil, c.corrupt(413, "Invalid LZF compressed string")
	}
	return out, nil
}

// loadDouble is rdbLoadDoubleValue (the text doubles of RDB_TYPE_ZSET):
// any failure, parse errors included, is a plain read error.
func (c *rio) loadDouble() (float64, bool) {
	p, ok := c.read(1)
	if !ok {
		return 0, false
	}
	switch p[0] {
	case 255:
		return math.Inf(-1), true
	case 254:
		return math.Inf(1), true
	case 253:
		return math.NaN(), true
	}
	s, ok := c.read(uint64(p[0]))
	if !ok {
		return 0, false
	}
	return scanDouble(s)
}

// loadBinaryDouble is rdbLoadBinaryDoubleValue.
func (c *rio) loadBinaryDouble() (float64, bool) {
	p, ok := c.read(8)
	if !ok {
		return 0, false
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), true
}

// dictTryExpandFails tells whether dictTryExpand(d, size) reports OOM for
// a fresh dict: only when calloc of the bucket array fails (a size whose
// array size overflows is refused quietly and counts as success).
func (c *rio) dictTryExpandFails(size uint64) bool {
	if size <= 4 {
		return false
	}
	buckets := uint64(1) << bits.Len64(size-1)
	if size >= math.MaxInt64 {
		buckets = 1 << 63
	}
	if buckets < size || buckets*8 < buckets || buckets*8/8 != buckets {
		return false
	}
	return buckets*8 > c.memory
}

// allocLimit is the largest allocation the checker assumes malloc grants:
// under Linux's default heuristic overcommit a single mapping larger than
// RAM plus swap is refused. Redis's ztrymalloc of a declared length fails
// (and is logged) beyond it.
func allocLimit() uint64 {
	memOnce.Do(func() {
		memLimit = 1 << 46
		b, err := os.ReadFile("/proc/meminfo")
		if err != nil {
			return
		}
		var total uint64
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && (f[0] == "MemTotal:" || f[0] == "SwapTotal:") {
				n, _ := strconv.ParseUint(f[1], 10, 64)
				total += n * 1024
			}
		}
		if total > 0 {
			memLimit = total
		}
	})
	return memLimit
}

var (
	memOnce  sync.Once
	memLimit uint64
)
