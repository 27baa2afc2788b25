package checkaof

// single.go checks one AOF file as checkSingleAof does: an optional RDB
// preamble, then annotations and commands read with stdio semantics
// (fgets into fixed buffers, fread, the end-of-file flag), so offsets,
// line numbers and error texts come out as the C tool prints them.

import (
	"bytes"
	"os"
	"strings"

	"github.com/redoubt/redoubt/internal/logging"
	"github.com/redoubt/redoubt/internal/tools/checkrdb"
)

// file is a FILE* over a file read into memory.
type file struct {
	data []byte
	pos  int64
	eof  bool
}

// fgets reads like fgets(buf, n): up to n-1 bytes, through the first
// '\n'. It returns nil at the end of the data, and sets the end-of-file
// flag when it stopped because the data ended.
func (f *file) fgets(n int) []byte {
	if f.pos >= int64(len(f.data)) {
		f.eof = true
		return nil
	}
	rest := f.data[f.pos:]
	limit := min(len(rest), n-1)
	end := limit
	if i := bytes.IndexByte(rest[:limit], '\n'); i >= 0 {
		end = i + 1
	} else if limit < n-1 {
		f.eof = true
	}
	f.pos += int64(end)
	return rest[:end]
}

// fread reads up to n bytes, setting the end-of-file flag on a short read.
func (f *file) fread(n int64) []byte {
	rest := f.data[f.pos:]
	if n > int64(len(rest)) {
		f.eof = true
		n = int64(len(rest))
	}
	f.pos += n
	return rest[:n]
}

// consumeNewline checks that b (at least two bytes) starts with CRLF.
func (c *checker) consumeNewline(b []byte) bool {
	if b[0] != '\r' || b[1] != '\n' {
		// printf("%02x") of a char: bytes above 0x7f print sign-extended
		c.setError("Expected \\r\\n, got: %02x%02x", uint32(int32(int8(b[0]))), uint32(int32(int8(b[1]))))
		return false
	}
	c.line++
	return true
}

// readLong reads "<prefix><number>\r\n".
func (c *checker) readLong(f *file, prefix byte) (int64, bool) {
	var buf *[128]byte
	if prefix == '*' {
		buf = &c.argcBuf
	} else {
		buf = new([128]byte)
	}
	c.epos = f.pos
	piece := f.fgets(len(buf))
	if piece == nil {
		return 0, false
	}
	n := copy(buf[:], piece)
	buf[n] = 0
	if buf[0] != prefix {
		c.setError("Expected prefix '%c', got: '%s'", prefix, buf[:1]) // %c writes the raw byte
		return 0, false
	}
	// strtol reads the C string after the prefix
	text := buf[1:]
	if i := bytes.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	v, end, _ := strtol(string(text))
	return v, c.consumeNewline(buf[1+end:])
}

// readString reads a bulk "$len\r\n<bytes>\r\n" and returns the bytes.
func (c *checker) readString(f *file) ([]byte, bool) {
	n, ok := c.readLong(f, '$')
	if !ok {
		return nil, false
	}
	if n < 0 || n > 1<<63-1-2 {
		c.setError("Expected to read string of %d bytes, which is not in the suitable range", n)
		return nil, false
	}
	n += 2
	c.epos = f.pos
	b := f.fread(n)
	if int64(len(b)) != n {
		c.setError("Expected to read %d bytes, got %d bytes", n, len(b))
		return nil, false
	}
	if !c.consumeNewline(b[n-2:]) {
		return nil, false
	}
	return b[:n-2], true
}

// cstr is b as a C string: up to its first NUL.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// processRESP reads one command, tracking MULTI/EXEC nesting in multi.
func (c *checker) processRESP(f *file, filename string, multi *int) bool {
	argc, ok := c.readLong(f, '*')
	if !ok {
		return false
	}
	for i := int64(0); i < argc; i++ {
		s, ok := c.readString(f)
		if !ok {
			return false
		}
		if i == 0 {
			switch name := cstr(s); {
			case strings.EqualFold(name, "multi"):
				if *multi++; *multi != 1 {
					c.setError("Unexpected MULTI in AOF %s", filename)
					return false
				}
			case strings.EqualFold(name, "exec"):
				if *multi--; *multi != 0 {
					c.setError("Unexpected EXEC in AOF %s", filename)
					return false
				}
			}
		}
	}
	return true
}

// processAnnotation reads a '#' line; in --truncate-to-timestamp mode a
// "#TS:" annotation later than the limit truncates the file there. It
// returns false when it truncated.
func (c *checker) processAnnotation(f *file, path string, lastFile bool) (bool, error) {
	c.epos = f.pos
	buf := f.fgets(1024)
	if c.toTimestamp == 0 || !bytes.HasPrefix(buf, []byte("#TS:")) {
		return true, nil
	}
	text := cstr(buf[4:])
	ts, end, erange := strtol(text)
	if erange || end >= len(text) || text[end] != '\r' {
		c.printf("Invalid timestamp annotation\n")
		return false, exit(1)
	}
	if ts <= c.toTimestamp {
		return true, nil
	}
	if c.epos == 0 {
		c.printf("AOF %s has nothing before timestamp %d, aborting...\n", path, c.toTimestamp)
		return false, exit(1)
	}
	if !lastFile {
		c.printf("Failed to truncate AOF %s to timestamp %d to offset %d because it is not the last file.\n", path, c.toTimestamp, c.epos)
		c.printf("If you insist, please delete all files after this file according to the manifest " +
			"file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.\n")
		return false, exit(1)
	}
	if err := os.Truncate(path, c.epos); err != nil {
		c.printf("Failed to truncate AOF %s to timestamp %d\n", path, c.toTimestamp)
		return false, exit(1)
	}
	return false, nil
}

// checkSingle checks one file: a Redis 6 AOF (with an RDB preamble when
// preamble is set) or a base or incr file of a manifest.
func (c *checker) checkSingle(name, path string, lastFile, fix, preamble bool) (int, error) {
	// fopen(path, "r+"): the file must be writable
	fd, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		c.printf("Cannot open file %s: %s, aborting...\n", path, logging.Strerror(err))
		return 0, exit(1)
	}
	fd.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		c.printf("Failed to read from AOF %s, aborting...\n", name)
		return 0, exit(1)
	}
	size := int64(len(data))
	if size == 0 {
		return checkEmpty, nil
	}
	f := &file{data: data}
	if preamble {
		res := checkrdb.CheckDetail(name, data, c.out, true)
		if res.Terminated {
			return 0, exit(1)
		}
		if !res.OK {
			c.printf("RDB preamble of AOF file is not sane, aborting.\n")
			return 0, exit(1)
		}
		c.printf("RDB preamble is OK, proceeding with AOF tail...\n")
		f.pos = res.End
	}
	var pos int64
	multi := 0
	for {
		if multi == 0 {
			pos = f.pos
		}
		// fgets(buf, 2) peeks one byte; the fseek back clears EOF
		if f.pos >= size {
			f.eof = true
			break
		}
		switch f.data[f.pos] {
		case '#':
			cont, err := c.processAnnotation(f, path, lastFile)
			if err != nil {
				return 0, err
			}
			if !cont {
				return checkTimestampTruncated, nil
			}
			continue
		case '*':
			if c.processRESP(f, path, &multi) {
				continue
			}
		default:
			c.printf("AOF %s format error\n", name)
		}
		break
	}
	if f.eof && multi != 0 && c.errString() == "" {
		c.setError("Reached EOF before reading EXEC for MULTI")
	}
	if e := c.errString(); e != "" {
		c.printf("%s\n", e)
	}
	diff := size - pos
	if diff == 0 && c.toTimestamp != 0 {
		c.printf("Truncate nothing in AOF %s to timestamp %d\n", name, c.toTimestamp)
		return checkOK, nil
	}
	c.printf("AOF analyzed: filename=%s, size=%d, ok_up_to=%d, ok_up_to_line=%d, diff=%d\n", name, size, pos, c.line, diff)
	if diff == 0 {
		return checkOK, nil
	}
	if !fix {
		c.printf("AOF %s is not valid. Use the --fix option to try fixing it.\n", name)
		return 0, exit(1)
	}
	if !lastFile {
		c.printf("Failed to truncate AOF %s because it is not the last file\n", name)
		return 0, exit(1)
	}
	c.printf("This will shrink the AOF %s from %d bytes, with %d bytes, to %d bytes\n", name, size, diff, pos)
	c.printf("Continue? [y/N]: ")
	// fgets(buf, 2, stdin): one byte
	answer, err := c.stdin.ReadByte()
	if err != nil || answer != 'y' && answer != 'Y' {
		c.printf("Aborting...\n")
		return 0, exit(1)
	}
	if err := os.Truncate(path, pos); err != nil {
		c.printf("Failed to truncate AOF %s\n", name)
		return 0, exit(1)
	}
	return checkTruncated, nil
}
