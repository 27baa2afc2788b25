// persist_aof_load.go loads the AOF at start-up, as Redis 7's
// loadAppendOnlyFiles: the manifest's base (RDB or commands) then its
// incr files, commands replayed by a client with no connection. A Redis 6
// single appendonly.aof is moved into the directory layout first
// (aofUpgradePrepare). A truncated last file is cut back to its last
// complete command when aof-load-truncated allows it (an earlier file is
// cut back too, but stops the start, as in Redis); anything else that is
// wrong stops the server with Redis's message.
package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
)

// loadAOF loads the AOF when appendonly is on. It leaves s.aof.manifest
// set (nil when nothing was on disk) for aofStartOnBoot.
func (s *Server) loadAOF() error {
	mpath := s.aofPath(aof.ManifestName(s.cfg.AppendFilename))
	data, err := os.ReadFile(mpath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := s.aofUpgradePrepare(); err != nil {
			return err
		}
		if s.aof.manifest == nil {
			return nil // no AOF yet: aofStartOnBoot writes a base
		}
	case err != nil:
		return fmt.Errorf("Can't open the AOF manifest %s for reading: %v", mpath, err)
	default:
		m, err := aof.ParseManifest(data)
		if err != nil {
			var me *aof.ManifestError
			if errors.As(err, &me) {
				lines := me.LogLines()
				for _, l := range lines[:len(lines)-1] {
					s.log.Warn(strings.TrimRight(l, "\n"))
				}
				return errors.New(strings.TrimRight(lines[len(lines)-1], "\n"))
			}
			return err
		}
		s.aof.manifest = m
	}
	m := s.aof.manifest
	var files []aof.FileInfo
	if m.Base != nil {
		files = append(files, *m.Base)
	}
	files = append(files, m.Incrs...)
	start := time.Now()
	s.prop.off = true
	defer func() { s.prop.off = false }()
	for i, f := range files {
		last := i == len(files)-1
		t := time.Now()
		if err := s.loadAOFFile(f.Name, last); err != nil {
			return err
		}
		kind := "incr"
		if f.Type == aof.BaseFile {
			kind = "base"
		}
		s.log.Info(fmt.Sprintf("DB loaded from %s file %s: %.3f seconds", kind, f.Name, time.Since(t).Seconds()))
	}
	if len(files) > 0 {
		s.log.Info(fmt.Sprintf("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds()))
	}
	s.intro.dirty = 0
	return nil
}

// aofUpgradePrepare moves a Redis 6 style appendonly.aof in dir into the
// AOF directory as the base of a new manifest.
func (s *Server) aofUpgradePrepare() error {
	old := s.cfg.Dir + "/" + s.cfg.AppendFilename
	st, err := os.Stat(old)
	if err != nil || st.IsDir() {
		return nil
	}
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %v", s.cfg.AppendDirname, err)
	}
	m := &aof.Manifest{Base: &aof.FileInfo{Name: s.cfg.AppendFilename, Seq: 1, Type: aof.BaseFile}, CurBaseSeq: 1}
	if err := os.Rename(old, s.aofPath(s.cfg.AppendFilename)); err != nil {
		return fmt.Errorf("Error trying to rename the existing AOF to the AOF dir: %v", err)
	}
	if err := s.persistManifest(m); err != nil {
		return err
	}
	s.aof.manifest = m
	s.log.Info("Successfully migrated an old-style AOF into the AOF directory")
	return nil
}

// loadAOFFile replays one file of the AOF.
func (s *Server) loadAOFFile(name string, last bool) error {
	path := s.aofPath(name)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("The AOF file %s doesn't exist", name)
		}
		return fmt.Errorf("Fatal error: can't open the append log file %s for reading: %v", name, err)
	}
	if len(data) == 0 {
		return nil
	}
	tail := data
	tailStart := 0
	if len(data) >= 5 && string(data[:5]) == "REDIS" {
		s.log.Info("Reading RDB base file on AOF loading...")
		if err := s.loadRDBBytes(data); err != nil {
			return fmt.Errorf("Error reading the RDB base file %s, AOF loading aborted: %w", name, err)
		}
		tailStart = s.persist.loadEnd
		tail = data[tailStart:]
		if len(tail) > 0 {
			s.log.Info("Reading the remaining AOF tail...")
		}
	}
	validUpTo, err := s.replayAOF(tail)
	if err == nil {
		return nil
	}
	var ae *aof.Error
	truncated := errors.As(err, &ae) && errors.Is(err, aof.ErrTruncated)
	if !truncated {
		if errors.As(err, &ae) && errors.Is(err, aof.ErrFormat) {
			return fmt.Errorf("Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name)
		}
		return err
	}
	cut := int64(tailStart) + validUpTo
	if !s.cfg.AOFLoadTruncated {
		return fmt.Errorf("Unexpected end of file reading the append only file %s. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)
	}
	s.log.Warn(fmt.Sprintf("!!! Warning: short read while loading the AOF file %s!!!", name))
	s.log.Warn(fmt.Sprintf("!!! Truncating the AOF %s at offset %d !!!", name, cut))
	if err := os.Truncate(path, cut); err != nil {
		return fmt.Errorf("Error truncating the AOF file %s: %v", name, err)
	}
	s.log.Warn(fmt.Sprintf("AOF %s loaded anyway because aof-load-truncated is enabled", name))
	// as Redis, a file other than the last is cut back all the same but
	// the start fails (commands of later files may depend on the lost
	// ones); the next start finds it complete and loads
	if !last {
		return errors.New("Fatal error: the truncated file is not the last file")
	}
	return nil
}

// errIncompleteMulti is a file that ends inside MULTI: treated as a
// truncation at the MULTI.
var errIncompleteMulti = errors.New("incomplete MULTI/EXEC transaction")

// replayAOF runs the commands of data. On error it returns how much of
// data was valid (where a truncated file would be cut).
func (s *Server) replayAOF(data []byte) (int64, error) {
	c := &Client{srv: s, w: resp.NewWriter(), authenticated: true, user: "default", addr: "?:0", db: s.ks.DBs[0], created: time.Now(), flags: flagObey}
	r := aof.NewReader(data)
	var scout aofScout
	scout.r = aof.NewReader(data)
	var queue [][][]byte
	inMulti := false
	var beforeMulti int64
	for {
		scout.next(c.db)
		at := r.Offset()
		argv, err := r.Next()
		if err == io.EOF {
			if inMulti {
				s.log.Warn("Revert incomplete MULTI/EXEC transaction in AOF file")
				return beforeMulti, &aof.Error{Offset: beforeMulti, Msg: errIncompleteMulti.Error(), Err: aof.ErrTruncated}
			}
			return r.Offset(), nil
		}
		if err != nil {
			if inMulti && errors.Is(err, aof.ErrTruncated) {
				return beforeMulti, &aof.Error{Offset: beforeMulti, Msg: errIncompleteMulti.Error(), Err: aof.ErrTruncated}
			}
			return r.Offset(), err
		}
		name := strings.ToLower(unsafe.String(unsafe.SliceData(argv[0]), len(argv[0])))
		switch {
		case name == "multi":
			inMulti, beforeMulti, queue = true, at, queue[:0]
			continue
		case name == "exec" && inMulti:
			for _, q := range queue {
				if err := s.replayCommand(c, q); err != nil {
					return at, err
				}
			}
			inMulti = false
			continue
		case inMulti:
			queue = append(queue, slices.Clone(argv)) // the reader reuses argv
			continue
		}
		if err := s.replayCommand(c, argv); err != nil {
			return at, err
		}
	}
}

// aofScout reads the commands ahead of the replay, a block at a time, and
// touches the hash table buckets of their keys in one batch (Dict.Prefetch)
// so that the cache misses of a block's lookups overlap instead of each
// command taking its own: the lookups were a fifth of replaying a 1M-key
// base file.
type aofScout struct {
	r     *aof.Reader
	left  int // commands of the prefetched block not yet replayed
	keys  [16][]byte
	ended bool
}

func (sc *aofScout) next(db *keyspace.DB) {
	if sc.left > 0 {
		sc.left--
		return
	}
	if sc.ended {
		return
	}
	n := 0
	for sc.left < len(sc.keys) {
		argv, err := sc.r.Next()
		if err != nil {
			sc.ended = true
			break
		}
		sc.left++
		if len(argv) > 1 {
			sc.keys[n] = argv[1] // a slice of the data: stays valid
			n++
		}
	}
	prefetchSink += db.Dict().Prefetch(sc.keys[:n])
	sc.left--
}

// replayCommand runs one command from the AOF without the checks,
// statistics and propagation of a client's command (Redis calls the
// command's proc directly).
func (s *Server) replayCommand(c *Client, argv [][]byte) error {
	sc, _ := s.lookupCommand(argv)
	if sc == nil {
		return fmt.Errorf("Unknown command '%s' reading the append only file", argv[0])
	}
	if a := sc.meta.Arity; (a > 0 && len(argv) != a) || len(argv) < -a || sc.proc == nil {
		return fmt.Errorf("Bad file format reading the append only file: wrong number of arguments for '%s'", sc.name)
	}
	c.cmd, c.argv = sc, argv
	s.cmdTime = time.Now().UnixMilli()
	sc.proc(c, argv)
	c.db.Dict().FinishRehash()
	s.ks.Settle()
	s.cmdTime = 0
	c.w.Reset()
	c.argv = nil
	return nil
}

// aofBaseEncoder is the snapshotEncoder of a base file in AOF format: the
// commands that rebuild each key (aof.AppendValueCommands).
type aofBaseEncoder struct{ buf []byte }

func (e *aofBaseEncoder) Len() int { return len(e.buf) }
func (e *aofBaseEncoder) End()     {}
func (e *aofBaseEncoder) Take() []byte {
	b := e.buf
	e.buf = e.buf[:0]
	return b
}

// newAOFCommandsJob snapshots the data set as commands
// (aof-use-rdb-preamble no): function libraries, then per database a
// SELECT and each key's commands.
func (s *Server) newAOFCommandsJob() *rdbJob {
	j := &rdbJob{start: time.Now()}
	enc := &aofBaseEncoder{}
	j.enc = enc
	if s.scripts != nil && s.scripts.functions != nil {
		for _, l := range s.scripts.functions.Libraries() {
			enc.buf = aof.AppendFunctionLoad(enc.buf, []byte(l.Code))
		}
	}
	for _, db := range s.ks.DBs {
		j.total += int64(db.Len())
	}
	curDB := -1
	j.snap = s.ks.StartSnapshot(func(dbID int, e *keyspace.Entry, exp int64) {
		if dbID != curDB {
			enc.buf = aof.AppendCommand(enc.buf, []byte("SELECT"), []byte(itoa(int64(dbID))))
			curDB = dbID
		}
		enc.buf = aof.AppendValueCommands(enc.buf, unsafe.Slice(unsafe.StringData(e.Key), len(e.Key)), e.Value, exp)
		j.keys++
	})
	return j
}
