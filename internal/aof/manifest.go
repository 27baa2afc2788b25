package aof

// manifest.go is the Redis 7 multi-part AOF manifest: the list of the base
// file, the incr files and the history files (aof.c). Parsing follows
// aofLoadManifestFromFile line by line, including its fgets-sized line
// limit and its quirks (a last line without '\n' is "too long", a seq of 0
// is missing), so a manifest redoubt accepts is one Redis accepts.

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/redoubt/redoubt/internal/resp"
)

// FileType is a manifest entry's type letter.
type FileType byte

const (
	BaseFile    FileType = 'b'
	HistoryFile FileType = 'h'
	IncrFile    FileType = 'i'
)

// FileInfo is one manifest line.
type FileInfo struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest is the parsed manifest. Base is nil when there is no base file.
// History is kept in Redis's order (newest rewrite first).
type Manifest struct {
	Base       *FileInfo
	Incrs      []FileInfo
	History    []FileInfo
	CurBaseSeq int64
	CurIncrSeq int64
}

// File name parts (aof.c naming rules).
const (
	baseSuffix     = ".base"
	incrSuffix     = ".incr"
	rdbSuffix      = ".rdb"
	aofSuffix      = ".aof"
	manifestSuffix = ".manifest"
	tempPrefix     = "temp-"
)

// manifestMaxLine is MANIFEST_MAX_LINE: fgets reads at most this many bytes
// of a line.
const manifestMaxLine = 1024

// Manifest error texts, as aofLoadManifestFromFile logs them.
const (
	ErrMsgEmptyManifest  = "Found an empty AOF manifest"
	ErrMsgTooLongLine    = "The AOF manifest file contains too long line"
	ErrMsgInvalidFormat  = "Invalid AOF manifest file format"
	ErrMsgPathName       = "File can't be a path, just a filename"
	ErrMsgDuplicateBase  = "Found duplicate base file information"
	ErrMsgNonMonotonic   = "Found a non-monotonic sequence number"
	ErrMsgUnknownType    = "Unknown AOF file type"
	manifestFatalBanner  = "\n*** FATAL AOF MANIFEST FILE ERROR ***\n"
	manifestLineTemplate = "Reading the manifest file, at line %d\n"
)

// ManifestError is a rejected manifest. Line and Text (the trimmed line)
// are set when Redis logs them, that is when HasLine is true.
type ManifestError struct {
	Msg     string
	HasLine bool
	Line    int
	Text    string
}

func (e *ManifestError) Error() string {
	if e.HasLine {
		return fmt.Sprintf("aof manifest line %d: %s", e.Line, e.Msg)
	}
	return "aof manifest: " + e.Msg
}

// LogLines are the messages Redis logs (each a separate serverLog call, at
// warning level) before exiting on this error.
func (e *ManifestError) LogLines() []string {
	lines := []string{manifestFatalBanner}
	if e.HasLine {
		lines = append(lines, fmt.Sprintf(manifestLineTemplate, e.Line), ">>> '"+e.Text+"'\n")
	}
	return append(lines, e.Msg+"\n")
}

// cString is b up to its first NUL, as C string functions see it.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// atoll is glibc's atoll: leading white space, a sign, digits, saturating
// at the int64 limits; 0 when there are no digits.
func atoll(b []byte) int64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var v uint64
	over := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if over || v > (1<<63)/10 {
			over = true
			continue
		}
		v = v*10 + uint64(b[i]-'0')
		over = v > 1<<63
	}
	switch {
	case neg && (over || v >= 1<<63):
		return math.MinInt64
	case neg:
		return -int64(v)
	case over || v >= 1<<63:
		return math.MaxInt64
	}
	return int64(v)
}

// ParseManifest parses a manifest file's contents. Errors are
// *ManifestError with Redis's texts.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	var maxSeq int64
	lineNum := 0
	for pos := 0; ; {
		if pos >= len(data) {
			if lineNum == 0 {
				return nil, &ManifestError{Msg: ErrMsgEmptyManifest}
			}
			return m, nil
		}
		// fgets(buf, MANIFEST_MAX_LINE+1): up to and including '\n', at
		// most MANIFEST_MAX_LINE bytes
		end := min(pos+manifestMaxLine, len(data))
		if i := bytes.IndexByte(data[pos:end], '\n'); i >= 0 {
			end = pos + i + 1
		}
		buf := data[pos:end]
		pos = end
		lineNum++
		if buf[0] == '#' {
			continue
		}
		cbuf := cString(buf)
		if bytes.IndexByte(cbuf, '\n') < 0 {
			return nil, &ManifestError{Msg: ErrMsgTooLongLine}
		}
		line := bytes.Trim(cbuf, " \t\r\n")
		fail := func(msg string) (*Manifest, error) {
			return nil, &ManifestError{Msg: msg, HasLine: true, Line: lineNum, Text: string(line)}
		}
		if len(line) == 0 {
			return fail(ErrMsgInvalidFormat)
		}
		argv, ok := resp.SplitArgs(line)
		if !ok || len(argv) < 6 || len(argv)%2 != 0 {
			return fail(ErrMsgInvalidFormat)
		}
		var fi FileInfo
		hasName := false
		for i := 0; i < len(argv); i += 2 {
			key, val := string(argv[i]), cString(argv[i+1])
			switch {
			case strings.EqualFold(key, "file"):
				fi.Name, hasName = string(val), true
				if strings.ContainsAny(fi.Name, "/\\") {
					return fail(ErrMsgPathName)
				}
			case strings.EqualFold(key, "seq"):
				fi.Seq = atoll(val)
			case strings.EqualFold(key, "type"):
				fi.Type = 0
				if len(val) > 0 {
					fi.Type = FileType(val[0])
				}
			}
		}
		if !hasName || fi.Seq == 0 || fi.Type == 0 {
			return fail(ErrMsgInvalidFormat)
		}
		switch fi.Type {
		case BaseFile:
			if m.Base != nil {
				return fail(ErrMsgDuplicateBase)
			}
			m.Base = &fi
			m.CurBaseSeq = fi.Seq
		case HistoryFile:
			m.History = append(m.History, fi)
		case IncrFile:
			if fi.Seq <= maxSeq {
				return fail(ErrMsgNonMonotonic)
			}
			m.Incrs = append(m.Incrs, fi)
			m.CurIncrSeq, maxSeq = fi.Seq, fi.Seq
		default:
			return fail(ErrMsgUnknownType)
		}
	}
}

// needsRepr is sdsneedsrepr in the C locale: anything but printable
// non-space ASCII, and quotes and backslashes, must be quoted.
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' || c == '"' {
			return true
		}
	}
	return false
}

// appendRepr is sdscatrepr.
func appendRepr(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		case '\a':
			dst = append(dst, `\a`...)
		case '\b':
			dst = append(dst, `\b`...)
		default:
			if c >= ' ' && c < 0x7f {
				dst = append(dst, c)
			} else {
				dst = fmt.Appendf(dst, `\x%02x`, c)
			}
		}
	}
	return append(dst, '"')
}

func appendFileInfo(dst []byte, fi *FileInfo) []byte {
	dst = append(dst, "file "...)
	if needsRepr(fi.Name) {
		dst = appendRepr(dst, fi.Name)
	} else {
		dst = append(dst, fi.Name...)
	}
	dst = append(dst, " seq "...)
	dst = strconv.AppendInt(dst, fi.Seq, 10)
	dst = append(dst, " type "...)
	// %c of a char: a zero type writes a NUL byte, as Redis would
	return append(dst, byte(fi.Type), '\n')
}

// Encode returns the manifest as Redis writes it: the base, then history,
// then incr files, one line each.
func (m *Manifest) Encode() []byte {
	var dst []byte
	if m.Base != nil {
		dst = appendFileInfo(dst, m.Base)
	}
	for i := range m.History {
		dst = appendFileInfo(dst, &m.History[i])
	}
	for i := range m.Incrs {
		dst = appendFileInfo(dst, &m.Incrs[i])
	}
	return dst
}

// Clone returns a deep copy, which a caller edits and then swaps in once
// the new manifest is on disk (as aofManifestDup is used).
func (m *Manifest) Clone() *Manifest {
	c := *m
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.Incrs = append([]FileInfo(nil), m.Incrs...)
	c.History = append([]FileInfo(nil), m.History...)
	return &c
}

// NewBase starts a new base file (getNewBaseFileNameAndMarkPreAsHistory):
// the current base, if any, becomes the newest history file.
func (m *Manifest) NewBase(appendFilename string, rdbPreamble bool) FileInfo {
	if m.Base != nil {
		old := *m.Base
		old.Type = HistoryFile
		m.History = append([]FileInfo{old}, m.History...)
	}
	m.CurBaseSeq++
	format := aofSuffix
	if rdbPreamble {
		format = rdbSuffix
	}
	fi := FileInfo{Name: fmt.Sprintf("%s.%d%s%s", appendFilename, m.CurBaseSeq, baseSuffix, format), Seq: m.CurBaseSeq, Type: BaseFile}
	m.Base = &fi
	return fi
}

// NewIncr starts a new incr file (getNewIncrAofName), appended to Incrs.
func (m *Manifest) NewIncr(appendFilename string) FileInfo {
	m.CurIncrSeq++
	fi := FileInfo{Name: fmt.Sprintf("%s.%d%s%s", appendFilename, m.CurIncrSeq, incrSuffix, aofSuffix), Seq: m.CurIncrSeq, Type: IncrFile}
	m.Incrs = append(m.Incrs, fi)
	return fi
}

// LastIncr returns the incr file appended to, starting one when there is
// none (getLastIncrAofName).
func (m *Manifest) LastIncr(appendFilename string) FileInfo {
	if len(m.Incrs) == 0 {
		return m.NewIncr(appendFilename)
	}
	return m.Incrs[len(m.Incrs)-1]
}

// MarkRewrittenIncrsAsHistory turns every incr file but the last (the one
// AOF is writing) into history after a successful rewrite
// (markRewrittenIncrAofAsHistory with AOF on).
func (m *Manifest) MarkRewrittenIncrsAsHistory() { m.MarkIncrsAsHistory(true) }

// MarkIncrsAsHistory is markRewrittenIncrAofAsHistory: keepLast is whether
// AOF is on (its current incr file stays). The moved files go to the head
// of History in their original order.
func (m *Manifest) MarkIncrsAsHistory(keepLast bool) {
	n := len(m.Incrs)
	if keepLast && n > 0 {
		n--
	}
	moved := make([]FileInfo, 0, n+len(m.History))
	for _, fi := range m.Incrs[:n] {
		fi.Type = HistoryFile
		moved = append(moved, fi)
	}
	m.History = append(moved, m.History...)
	m.Incrs = append([]FileInfo(nil), m.Incrs[n:]...)
}

// ManifestName is the manifest's file name (getAofManifestFileName).
func ManifestName(appendFilename string) string { return appendFilename + manifestSuffix }

// TempManifestName is the name the manifest is written under before its
// rename (getTempAofManifestFileName).
func TempManifestName(appendFilename string) string {
	return tempPrefix + appendFilename + manifestSuffix
}

// TempIncrName is the incr file opened when a rewrite starts with AOF off
// and renamed once it succeeds (getTempIncrAofName).
func TempIncrName(appendFilename string) string { return tempPrefix + appendFilename + incrSuffix }

// TempRewriteName is the rewrite's temp file for process id pid
// (rewriteAppendOnlyFile; background rewrites use TempRewriteBgName).
func TempRewriteName(pid int) string { return fmt.Sprintf("temp-rewriteaof-%d.aof", pid) }

// TempRewriteBgName is rewriteAppendOnlyFileBackground's temp file name.
func TempRewriteBgName(pid int) string { return fmt.Sprintf("temp-rewriteaof-bg-%d.aof", pid) }
