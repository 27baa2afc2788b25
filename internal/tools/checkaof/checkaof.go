// Package checkaof is redoubt's redis-check-aof: it checks (and with --fix
// or --truncate-to-timestamp truncates) an AOF as Redis 7.0's
// redis-check-aof.c does, and prints the same report. The input is a
// Redis 6 style single file (commands, or an RDB preamble and a command
// tail) or a Redis 7 manifest, whose base and incr files are all checked.
//
// The tool has its own parser, separate from internal/aof's Reader, on
// purpose: redis-check-aof is stricter than the server's loader (it checks
// every CRLF and MULTI/EXEC pairing), counts lines, reports offsets of its
// own (the start of the failing read) and has quirks of its own ("*0" is a
// valid command, the line counter runs on across the files of a manifest);
// the report must be Redis's byte for byte. The manifest is parsed by
// internal/aof and the RDB preamble checked by internal/tools/checkrdb.
package checkaof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/logging"
)

// The outcome of checking one file (AOF_CHECK_* in redis-check-aof.c).
const (
	checkOK = iota
	checkEmpty
	checkTruncated
	checkTimestampTruncated
)

// exit ends the run with a status, as the C tool's exit() calls do.
type exit int

func (e exit) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// checker holds what redis-check-aof keeps in globals: the error text, the
// position it refers to and the line counter run on across files.
type checker struct {
	out         io.Writer
	stdin       *bufio.Reader
	errText     string
	epos        int64
	line        int64
	toTimestamp int64
	// argcBuf is readLong's 128-byte fgets buffer when it reads a
	// command's "*<count>" line: a stack buffer that, in the C tool, keeps
	// the previous count line's bytes behind the NUL fgets writes, and the
	// "Expected \r\n" error of a count line cut by the end of the file
	// shows the byte after that NUL. (When it reads a "$<len>" line the
	// calls in between have overwritten the frame: that byte reads 0.)
	argcBuf [128]byte
}

func (c *checker) printf(format string, args ...any) { fmt.Fprintf(c.out, format, args...) }

// setError is the ERROR macro: the message prefixed with epos in hex.
func (c *checker) setError(format string, args ...any) {
	c.errText = fmt.Sprintf("0x%16x: %s", c.epos, fmt.Sprintf(format, args...))
	if len(c.errText) > 1043 {
		c.errText = c.errText[:1043]
	}
}

// errString is the error as printf("%s") shows it: up to a NUL.
func (c *checker) errString() string {
	if i := strings.IndexByte(c.errText, 0); i >= 0 {
		return c.errText[:i]
	}
	return c.errText
}

// progName is what the usage line calls the tool (Redis prints argv[0]).
func progName() string {
	if len(os.Args) > 0 && filepath.Base(os.Args[0]) == "redis-check-aof" {
		return os.Args[0]
	}
	return "redoubt check-aof"
}

// Main runs the tool with args (without the program name), reading the
// --fix confirmation from stdin; it returns the exit code.
func Main(args []string, stdin io.Reader, stdout io.Writer) int {
	c := &checker{out: stdout, stdin: bufio.NewReader(stdin), line: 1}
	err := c.main(args)
	var e exit
	if errors.As(err, &e) {
		return int(e)
	}
	if err != nil {
		// an I/O failure the C tool has no message for
		c.printf("%v\n", err)
		return 1
	}
	return 0
}

func (c *checker) main(args []string) error {
	var path string
	fix := false
	switch {
	case len(args) == 1:
		path = args[0]
	case len(args) == 2 && args[0] == "--fix":
		path, fix = args[1], true
	case len(args) == 3 && args[0] == "--truncate-to-timestamp":
		ts, end, erange := strtol(args[1])
		if erange || end != len(args[1]) {
			c.printf("Invalid timestamp, aborting...\n")
			return exit(1)
		}
		c.toTimestamp = ts
		path = args[2]
	default:
		c.printf("Usage: %s [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n", progName())
		return exit(1)
	}
	isManifest, err := c.fileIsManifest(path)
	if err != nil {
		return err
	}
	if isManifest {
		return c.checkMultiPart(dirname(path), path, fix)
	}
	rdb, err := c.fileIsRDB(path)
	if err != nil {
		return err
	}
	c.printf("Start checking Old-Style AOF\n")
	ret, err := c.checkSingle(path, path, true, fix, rdb)
	if err != nil {
		return err
	}
	c.report("AOF", path, ret)
	return nil
}

// report prints the verdict on one file.
func (c *checker) report(what, name string, ret int) {
	switch ret {
	case checkOK:
		c.printf("%s %s is valid\n", what, name)
	case checkEmpty:
		c.printf("%s %s is empty\n", what, name)
	case checkTimestampTruncated:
		c.printf("Successfully truncated AOF %s to timestamp %d\n", name, c.toTimestamp)
	case checkTruncated:
		c.printf("Successfully truncated AOF %s\n", name)
	}
}

// open opens a file as the C tool's fopen(path, "r") sees it: a directory
// opens, but reading it fails.
func open(path string) (f *os.File, isDir bool, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, false, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, err
	}
	return f, st.IsDir(), nil
}

// fileIsManifest: a file with a line (outside '#' comments) that starts
// with "file" is a manifest. Lines are read as fgets(buf, 1025) reads
// them, so a line longer than 1024 bytes is looked at in pieces.
func (c *checker) fileIsManifest(path string) (bool, error) {
	f, isDir, err := open(path)
	if err != nil {
		c.printf("Cannot open file %s: %s\n", path, logging.Strerror(err))
		return false, exit(1)
	}
	defer f.Close()
	if isDir {
		c.printf("Cannot read file: %s\n", path)
		return false, exit(1)
	}
	r := bufio.NewReaderSize(f, 1<<16)
	var head [4]byte // the first bytes of the current piece
	col := 0         // position in the current piece
	for {
		b, err := r.ReadByte()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			c.printf("Cannot read file: %s\n", path)
			return false, exit(1)
		}
		if col < len(head) {
			head[col] = b
			if col == len(head)-1 && string(head[:]) == "file" {
				return true, nil
			}
		}
		if col++; b == '\n' || col == 1024 {
			col = 0
		}
	}
}

// fileIsRDB: at least 8 bytes starting with "REDIS".
func (c *checker) fileIsRDB(path string) (bool, error) {
	f, isDir, err := open(path)
	if err != nil {
		c.printf("Cannot open file %s: %s\n", path, logging.Strerror(err))
		return false, exit(1)
	}
	defer f.Close()
	if isDir {
		return false, nil
	}
	var sig [8]byte
	_, err = io.ReadFull(f, sig[:])
	return err == nil && string(sig[:5]) == "REDIS", nil
}

// dirname is glibc's dirname.
func dirname(path string) string {
	p := strings.TrimRight(path, "/")
	if p == "" {
		if path == "" {
			return "."
		}
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "."
	}
	d := strings.TrimRight(p[:i], "/")
	if d == "" {
		return "/"
	}
	return d
}

// checkMultiPart checks every file a manifest lists, base first.
func (c *checker) checkMultiPart(dir, manifestPath string, fix bool) error {
	c.printf("Start checking Multi Part AOF\n")
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		c.serverLog(fmt.Sprintf("Fatal error: can't open the AOF manifest file %s for reading: %s", manifestPath, logging.Strerror(err)))
		return exit(1)
	}
	m, err := aof.ParseManifest(data)
	if err != nil {
		var me *aof.ManifestError
		if !errors.As(err, &me) {
			return err
		}
		for _, l := range me.LogLines() {
			c.serverLog(l)
		}
		return exit(1)
	}
	total, num := len(m.Incrs), 0
	if m.Base != nil {
		total++
		name := m.Base.Name
		path := dir + "/" + name
		num++
		rdb, err := c.fileIsRDB(path)
		if err != nil {
			return err
		}
		format := "RESP"
		if rdb {
			format = "RDB"
		}
		c.printf("Start to check BASE AOF (%s format).\n", format)
		ret, err := c.checkSingle(name, path, num == total, fix, rdb)
		if err != nil {
			return err
		}
		c.report("BASE AOF", name, ret)
	}
	if len(m.Incrs) > 0 {
		c.printf("Start to check INCR files.\n")
		for _, fi := range m.Incrs {
			num++
			ret, err := c.checkSingle(fi.Name, dir+"/"+fi.Name, num == total, fix, false)
			if err != nil {
				return err
			}
			c.report("INCR AOF", fi.Name, ret)
		}
	}
	c.printf("All AOF files and manifest are valid\n")
	return nil
}

// serverLog prints a log line as the tool's serverLog does (to stdout,
// as a process that is neither master nor replica: role 'C').
func (c *checker) serverLog(msg string) {
	now := time.Now()
	c.printf("%d:C %s # %s\n", os.Getpid(), now.Format("02 Jan 2006 15:04:05.000"), msg)
}

// strtol parses as C's strtol in base 10: leading white space, a sign,
// digits; end is the index after the digits (0 when there are none);
// erange is set on overflow (the value saturates).
func strtol(s string) (v int64, end int, erange bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			erange = true
			continue
		}
		u = u*10 + d
	}
	if i == start {
		return 0, 0, false
	}
	switch {
	case !neg && (erange || u > math.MaxInt64):
		return math.MaxInt64, i, true
	case neg && (erange || u > 1<<63):
		return math.MinInt64, i, true
	case neg:
		return int64(-u), i, false
	}
	return int64(u), i, false
}

func isSpace(b byte) bool { return b == ' ' || b >= '\t' && b <= '\r' }
