// Package checkrdb is redoubt's redis-check-rdb: it walks an RDB image the
// way Redis 7.0's redis-check-rdb.c does (the same opcode loop, rdbLoadObject
// with deep payload sanitization) and prints the same report: the AUX
// fields and DB selections met on the way with their byte offsets, the
// checksum verdict, the key counts, and on failure the "RDB ERROR DETECTED"
// block naming what was being read. redis-check-aof uses Check for the RDB
// preamble of an AOF.
//
// The walk is separate from the server's loader (internal/server) on
// purpose: the checker builds no values and must mirror rdb.c's order of
// reads and its error messages, which the loader has no use for. It shares
// internal/rdb's Reader, CRC64, LZF and the validators of the compact
// encodings (listpack, ziplist, intset, zipmap).
//
// The report matches redis-check-rdb 7.0.15 (Debian's build, whose rdb.c
// line numbers the corruption messages quote) byte for byte apart from a
// log line's pid and time; checkrdb_test.go holds it to recordings of the
// real tool. Known differences, on purpose: where the real tool never
// finishes (a module value cut short) the checker reports the end of
// input (Result.RedisHangs); and whether a huge declared size is an
// allocation failure ("OOM in dictTryExpand", or a short read for a
// string) is estimated from RAM plus swap rather than asked of malloc.
package checkrdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/rdb"
)

// Main runs the tool with args (args[0] is the file name); returns the exit code.
func Main(args []string, stdout io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "Usage: %s <rdb-file-name>\n", progName())
		return 1
	}
	if args[0] == "-v" || args[0] == "--version" {
		fmt.Fprintf(stdout, "redis-check-rdb %s\n", config.Version)
		return 0
	}
	name := args[0]
	data, err := os.ReadFile(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && isDir(name) {
			// fopen of a directory succeeds and its first read fails
			data, err = nil, nil
		}
	}
	if err != nil {
		// redis_check_rdb returns 1 silently when fopen fails
		fmt.Fprintf(stdout, "[offset 0] Checking RDB file %s\n", name)
		return 1
	}
	if _, ok := Check(name, data, stdout, false); !ok {
		return 1
	}
	return 0
}

func isDir(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.IsDir()
}

// progName is what the usage line calls the tool (Redis prints argv[0]).
func progName() string {
	if len(os.Args) > 0 && filepath.Base(os.Args[0]) == "redis-check-rdb" {
		return os.Args[0]
	}
	return "redoubt check-rdb"
}

// Check checks an RDB image named name (a whole file, or the RDB preamble of an AOF when preamble is true) and prints Redis's report to out. end is where the RDB part ended (for a preamble: where the AOF tail starts); ok tells whether it is valid.
func Check(name string, data []byte, out io.Writer, preamble bool) (end int64, ok bool) {
	r := CheckDetail(name, data, out, preamble)
	return r.End, r.OK
}

// Result is the outcome of CheckDetail.
type Result struct {
	// End is how many bytes of data were read: the end of the RDB part
	// when OK, else where the failure was detected.
	End int64
	OK  bool
	// Terminated is set when the real tool would have ended the process
	// at the failure (rdb.c's rdbReportError: the report ends with the log
	// line "Terminating server after rdb file reading failure." and, in
	// redis-check-aof, nothing of its own follows; the exit code is 1).
	Terminated bool
	// RedisHangs is set when the input ran out inside a module value's
	// opcodes, where the real tool reads the failed opcode again for ever
	// (rdbLoadCheckModuleValue never checks for RDB_LENERR); the checker
	// reports the end of input instead.
	RedisHangs bool
}

// CheckDetail is Check with the Result a caller such as redis-check-aof
// needs to print exactly what the real tool prints after the report.
func CheckDetail(name string, data []byte, out io.Writer, preamble bool) Result {
	_ = preamble // the report is the same: redis_check_rdb_main with an open file
	c := &checker{out: out, now: time.Now().UnixMilli()}
	c.in = newRio(data)
	c.info(0, "Checking RDB file %s", name)
	f := c.run()
	if f != nil {
		c.reportError(f)
		if f.fatal {
			c.logWarning("Terminating server after rdb file reading failure.")
		}
		return Result{End: f.at, Terminated: f.fatal, RedisHangs: c.redisHangs}
	}
	end := c.in.pos()
	c.info(end, "\\o/ RDB looks OK! \\o/")
	c.showGenericInfo()
	return Result{End: end, OK: true}
}

// What the checker was doing, for "While doing:" (rdb_check_doing_string).
const (
	doingStart = iota
	doingReadType
	doingReadExpire
	doingReadKey
	doingReadObjectValue
	doingCheckSum
	doingReadLen
	doingReadAux
	doingReadModuleAux
	doingReadFunctions
)

var doingString = [...]string{
	"start", "read-type", "read-expire", "read-key", "read-object-value",
	"check-sum", "read-len", "read-aux", "read-module-aux", "read-functions",
}

// typeString is rdb_type_string of 7.0: 19 names, types 19 and up are
// "unknown", and 7 and 8 have empty names.
var typeString = [...]string{
	"string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable",
	"zset-v2", "module-value", "", "", "hash-zipmap", "list-ziplist",
	"set-intset", "zset-ziplist", "hash-ziplist", "quicklist", "stream",
	"hash-listpack", "zset-listpack", "quicklist-v2",
}

// checker is rdbstate.
type checker struct {
	in      *rio
	out     io.Writer
	now     int64
	doing   int
	key     []byte // the key being read, nil between keys
	keyType int    // -1 between keys; 0 before the first (a static int)
	keys    uint64
	expires uint64
	expired uint64
	// redisHangs: see Result.RedisHangs
	redisHangs bool
}

// cstr is how printf's %s shows a Redis string: up to its first NUL.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// info is rdbCheckInfo.
func (c *checker) info(at int64, format string, args ...any) {
	fmt.Fprintf(c.out, "[offset %d] %s\n", at, clip(fmt.Sprintf(format, args...)))
}

// reportError is rdbCheckError.
func (c *checker) reportError(f *failure) {
	fmt.Fprintf(c.out, "--- RDB ERROR DETECTED ---\n[offset %d] %s\n", f.at, f.msg)
	fmt.Fprintf(c.out, "[additional info] While doing: %s\n", doingString[c.doing])
	if c.key != nil {
		fmt.Fprintf(c.out, "[additional info] Reading key '%s'\n", cstr(c.key))
	}
	if c.keyType != -1 {
		name := "unknown"
		if c.keyType >= 0 && c.keyType < len(typeString) {
			name = typeString[c.keyType]
		}
		fmt.Fprintf(c.out, "[additional info] Reading type %d (%s)\n", c.keyType, name)
	}
	c.showGenericInfo()
}

// showGenericInfo is rdbShowGenericInfo.
func (c *checker) showGenericInfo() {
	fmt.Fprintf(c.out, "[info] %d keys read\n[info] %d expires\n[info] %d already expired\n",
		c.keys, c.expires, c.expired)
}

// logWarning is serverLog(LL_WARNING, ...) of a process that is not the
// server (role 'C'), logging to standard output as the tool does.
func (c *checker) logWarning(msg string) {
	now := time.Now()
	fmt.Fprintf(c.out, "%d:C %s.%03d # %s\n", os.Getpid(),
		now.Format("02 Jan 2006 15:04:05"), now.Nanosecond()/1e6, msg)
}

// fail is a failure reported by the checker itself (rdbCheckError and
// "goto err"): never fatal.
func (c *checker) fail(format string, args ...any) *failure {
	return &failure{msg: clip(fmt.Sprintf(format, args...)), at: c.in.pos()}
}

// run is redis_check_rdb after the file is open.
func (c *checker) run() *failure {
	in := c.in
	hdr, ok := in.read(9)
	if !ok {
		return in.eof()
	}
	if string(hdr[:5]) != "REDIS" {
		return c.fail("Wrong signature trying to load DB from file")
	}
	ver := atoi(cstr(hdr[5:]))
	if ver < 1 || ver > rdb.Version {
		return c.fail("Can't handle RDB format version %d", ver)
	}
	expireAt := int64(-1)
	for {
		c.doing = doingReadType
		typ, f := in.loadType()
		if f != nil {
			return f
		}
		switch typ {
		case rdb.OpExpireTime:
			c.doing = doingReadExpire
			p, ok := in.read(4)
			if !ok {
				return in.eof()
			}
			expireAt = int64(int32(le32(p))) * 1000
			continue
		case rdb.OpExpireTimeMS:
			c.doing = doingReadExpire
			p, ok := in.read(8)
			if !ok {
				return in.eof()
			}
			expireAt = int64(le64(p))
			continue
		case rdb.OpFreq:
			if _, ok := in.read(1); !ok {
				return in.eof()
			}
			continue
		case rdb.OpIdle:
			if _, f := in.loadPlainLen(); f != nil {
				return f
			}
			continue
		case rdb.OpEOF:
			return c.checksum(ver)
		case rdb.OpSelectDB:
			c.doing = doingReadLen
			id, f := in.loadPlainLen()
			if f != nil {
				return f
			}
			c.info(in.pos(), "Selecting DB ID %d", id)
			continue
		case rdb.OpResizeDB:
			c.doing = doingReadLen
			if _, f := in.loadPlainLen(); f != nil {
				return f
			}
			if _, f := in.loadPlainLen(); f != nil {
				return f
			}
			continue
		case rdb.OpAux:
			c.doing = doingReadAux
			k, f := in.loadString()
			if f != nil {
				return f
			}
			v, f := in.loadString()
			if f != nil {
				return f
			}
			c.info(in.pos(), "AUX FIELD %s = '%s'", cstr(k), cstr(v))
			continue
		case rdb.OpModuleAux:
			c.doing = doingReadModuleAux
			id, f := in.loadPlainLen()
			if f != nil {
				return f
			}
			whenOp, f := in.loadPlainLen()
			if f != nil {
				return f
			}
			if _, f := in.loadPlainLen(); f != nil {
				return f
			}
			if whenOp != rdb.ModuleOpUInt {
				return c.fail("bad when_opcode")
			}
			name := moduleTypeName(id)
			c.info(in.pos(), "MODULE AUX for: %s", name)
			if f := c.moduleValue(name); f != nil {
				return f
			}
			continue
		case rdb.OpFunction, rdb.OpFunction2:
			c.doing = doingReadFunctions
			if f := c.function(typ); f != nil {
				return f
			}
			continue
		}
		if !rdb.IsObjectType(typ) {
			return c.fail("Invalid object type: %d", typ)
		}
		c.keyType = int(typ)
		c.doing = doingReadKey
		key, f := in.loadString()
		if f != nil {
			return f
		}
		c.key = key
		c.keys++
		c.doing = doingReadObjectValue
		if f := c.loadObject(typ); f != nil {
			return f
		}
		if expireAt != -1 && expireAt < c.now {
			c.expired++
		}
		if expireAt != -1 {
			c.expires++
		}
		c.key = nil
		c.keyType = -1
		expireAt = -1
	}
}

// checksum verifies the CRC64 after the EOF opcode (RDB 5 and later).
func (c *checker) checksum(ver int) *failure {
	if ver < 5 {
		return nil
	}
	in := c.in
	want := rdb.CRC64(0, in.data[:in.pos()])
	c.doing = doingCheckSum
	p, ok := in.read(8)
	if !ok {
		return in.eof()
	}
	switch stored := le64(p); {
	case stored == 0:
		c.info(in.pos(), "RDB file was saved with checksum disabled: no check performed.")
	case stored != want:
		return c.fail("RDB CRC error")
	default:
		c.info(in.pos(), "Checksum OK")
	}
	return nil
}

// function is rdbFunctionLoad without a library context: the record is
// read, not compiled.
func (c *checker) function(typ byte) *failure {
	in := c.in
	failed := func(f *failure, what string) *failure {
		if f.fatal {
			return f
		}
		return c.fail("Failed loading library, %s", what)
	}
	if typ == rdb.OpFunction2 {
		if _, f := in.loadString(); f != nil {
			return failed(f, "Failed loading library payload")
		}
		return nil
	}
	if _, f := in.loadString(); f != nil {
		return failed(f, "Failed loading library name")
	}
	if _, f := in.loadString(); f != nil {
		return failed(f, "Failed loading engine name")
	}
	hasDesc, f := in.loadPlainLen()
	if f != nil {
		return failed(f, "Failed loading library description indicator")
	}
	if hasDesc != 0 {
		if _, f := in.loadString(); f != nil {
			return failed(f, "Failed loading library description")
		}
	}
	if _, f := in.loadString(); f != nil {
		return failed(f, "Failed loading library blob")
	}
	return nil
}

// moduleTypeName is moduleTypeNameByID: the 9-character type name held in
// the top 54 bits of a module type id.
func moduleTypeName(id uint64) string {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	id >>= 10
	for j := 8; j >= 0; j-- {
		name[j] = cset[id&63]
		id >>= 6
	}
	return string(name[:])
}

// moduleValue is rdbLoadCheckModuleValue: a module value's opcodes up to
// its EOF opcode, each operand checked.
func (c *checker) moduleValue(name string) *failure {
	in := c.in
	for {
		op, f := in.loadRawLen()
		if f != nil {
			// A failed read: Redis loops on RDB_LENERR for ever here; the
			// checker reports the end of input instead.
			c.redisHangs = !f.fatal
			return f
		}
		switch op {
		case rdb.ModuleOpEOF:
			return nil
		case rdb.ModuleOpSInt, rdb.ModuleOpUInt:
			if _, f := in.loadPlainLen(); f != nil {
				return c.moduleErr(f, 1540, "Error reading integer from module %s value", name)
			}
		case rdb.ModuleOpString:
			if _, f := in.loadString(); f != nil {
				return c.moduleErr(f, 1546, "Error reading string from module %s value", name)
			}
		case rdb.ModuleOpFloat:
			if _, ok := in.read(4); !ok {
				return c.moduleErr(nil, 1553, "Error reading float from module %s value", name)
			}
		case rdb.ModuleOpDouble:
			if _, ok := in.read(8); !ok {
				return c.moduleErr(nil, 1559, "Error reading double from module %s value", name)
			}
		}
	}
}

// moduleErr reports a module operand that failed to load, unless loading
// it already ended the check.
func (c *checker) moduleErr(f *failure, line int, format string, name string) *failure {
	if f != nil && f.fatal {
		return f
	}
	return c.in.corrupt(line, format, name)
}

// atoi is C's atoi on the version digits of the header.
func atoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	n := 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		n = n*10 + int(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

func le32(p []byte) uint32 {
	return uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24
}

func le64(p []byte) uint64 { return uint64(le32(p)) | uint64(le32(p[4:]))<<32 }
