// persist_aof.go is the append-only file as Redis 7 keeps it: a directory
// (appenddirname) holding a base file (RDB or AOF format), incremental
// files of propagated commands, and a manifest naming them.
//
// Commands reach the AOF through the propagation stream (propagate.go):
// feed appends their RESP form to a buffer under the executor lock. The
// buffer is written to the current incr file before the replies of the
// batch that produced it are sent (Client.awaitAOF), by whichever client
// gets there first: one write (and, with appendfsync always, one fsync)
// covers every client waiting at that moment, as Redis's one write per
// event loop iteration covers every client served in it. everysec fsyncs
// from the cron in the background; no leaves it to the kernel.
//
// BGREWRITEAOF, like BGSAVE, walks a keyspace snapshot without fork: a new
// incr file is opened at the instant the snapshot is taken, so the new
// base plus the incr files from then on are exactly the data set.
package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/logging"
)

type aofStatus int

const (
	aofOff aofStatus = iota
	aofOn
	// aofWaitRewrite: turned on at run time, writing to a temp incr file
	// until the first rewrite produces the base (Redis's AOF_WAIT_REWRITE)
	aofWaitRewrite
)

// aofState is the AOF side of persistence. Fields above the mutexes are
// owned by the executor lock.
type aofState struct {
	state    aofStatus
	manifest *aof.Manifest
	selDB    int   // database of the last SELECT written (-1: none yet)
	lastTS   int64 // unix second of the last #TS annotation
	job      *aofRewriteJob
	// scheduled: BGREWRITEAOF waiting for a BGSAVE to finish
	scheduled bool

	// statistics for INFO
	rewrites, consecutiveFailures int64
	lastRewriteOK                 bool
	lastRewriteSec                int64
	lastCOW                       int64
	baseSize                      int64 // size of the data when the last rewrite ended
	lastFsyncErrLogged            time.Time

	// bmu guards the pending buffer, which the executor appends to and the
	// writer takes.
	bmu sync.Mutex
	buf []byte
	// appended is the total of bytes ever fed; changed under bmu, read
	// without it by the executor, which alone feeds.
	appended atomic.Int64
	file     *os.File
	fileName string
	// wmu is held by the one goroutine writing the buffer out.
	wmu   sync.Mutex
	spare []byte
	// written is how much of the stream is in the file (write(2) done, and
	// fsynced too under appendfsync always): replies up to it may go out.
	written atomic.Int64
	// flushMu guards flushing: whether a client is writing for the others
	// (writeUpTo); flushed is broadcast when it is done, so every client
	// the write covered goes on at once.
	flushMu  sync.Mutex
	flushing bool
	flushed  sync.Cond
	// size is the AOF's total size on disk (base + incrs), for INFO and
	// automatic rewrite
	size      atomic.Int64
	writeErr  atomic.Pointer[error]
	fsyncing  atomic.Bool
	lastFsync atomic.Int64 // unix ms of the last fsync started
	// syncedOffset is how much of the stream the last fsync covered.
	syncedOffset atomic.Int64
}

// aofRewriteJob is one BGREWRITEAOF in progress.
type aofRewriteJob struct {
	rdb      *rdbJob
	start    time.Time
	tempBase string
	aborted  bool
}

func init() {
	register("bgrewriteaof", cmdBgrewriteaof)
}

func (s *Server) aofDir() string { return filepath.Join(s.cfg.Dir, s.cfg.AppendDirname) }

func (s *Server) aofPath(name string) string { return filepath.Join(s.aofDir(), name) }

// feed appends one propagated command (lock held).
func (a *aofState) feed(s *Server, db int, argv [][]byte) {
	a.bmu.Lock()
	n := len(a.buf)
	if s.cfg.AOFTimestampEnabled {
		if now := time.Now().Unix(); now != a.lastTS {
			a.buf = aof.AppendTimestamp(a.buf, now)
			a.lastTS = now
		}
	}
	if db != a.selDB {
		a.buf = aof.AppendSelect(a.buf, db)
		a.selDB = db
	}
	a.buf = aof.AppendCommand(a.buf, argv...)
	a.appended.Add(int64(len(a.buf) - n))
	a.bmu.Unlock()
}

// appendedOffset is the end of the stream fed so far (lock held).
func (a *aofState) appendedOffset() int64 { return a.appended.Load() }

// awaitAOF writes the AOF up to what the client's batch produced before
// its replies go out: a reply acknowledges a write only once the write is
// in the file (and fsynced with appendfsync always). Lock not held.
func (c *Client) awaitAOF() {
	if c.aofWait == 0 {
		return
	}
	target := c.aofWait
	c.aofWait = 0
	if c.srv.aof.written.Load() < target {
		// let the clients whose input is ready run their commands first,
		// so that one write covers them all (Redis's event loop serves
		// every ready client before its one AOF write)
		runtime.Gosched()
	}
	c.srv.aof.writeUpTo(c.srv, target)
}

// noteAOFWait records, at the end of a batch (lock held), what the
// client's replies must wait for.
func (c *Client) noteAOFWait() {
	a := &c.srv.aof
	if a.state == aofOff {
		return
	}
	if off := a.appendedOffset(); off > a.written.Load() {
		c.aofWait = off
	}
}

// writeUpTo makes sure the stream up to target is written (and fsynced
// under appendfsync always). One caller writes everything pending while
// the others wait for it: those it covered return as soon as it is done,
// the rest elect the next writer. Callers hold no lock: the writer takes
// only bmu, never s.mu.
func (a *aofState) writeUpTo(s *Server, target int64) {
	if a.written.Load() >= target {
		return
	}
	a.flushMu.Lock()
	if a.flushed.L == nil {
		a.flushed.L = &a.flushMu
	}
	for a.written.Load() < target {
		if a.flushing {
			a.flushed.Wait()
			continue
		}
		a.flushing = true
		a.flushMu.Unlock()
		a.wmu.Lock()
		a.writeLocked(s)
		a.wmu.Unlock()
		a.flushMu.Lock()
		a.flushing = false
		a.flushed.Broadcast()
	}
	a.flushMu.Unlock()
}

// writeLocked writes everything pending (wmu held).
func (a *aofState) writeLocked(s *Server) {
	a.bmu.Lock()
	data, end, f := a.buf, a.appended.Load(), a.file
	a.buf = a.spare[:0]
	a.bmu.Unlock()
	if len(data) > 0 && f != nil {
		always := s.cfg.AppendFsync == "always"
		if _, err := f.Write(data); err != nil {
			if always {
				// the clients waiting for this write were promised it is
				// on disk when they hear back: as Redis, exit instead
				s.log.Warn("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
				os.Exit(1)
			}
			a.recordWriteError(s, err)
		} else {
			a.writeErr.Store(nil)
			a.size.Add(int64(len(data)))
			if always && !a.fsyncPaused(s) {
				if err := fdatasync(f); err != nil && !errors.Is(err, os.ErrClosed) {
					s.log.Warn(fmt.Sprintf("Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. Exiting...", logging.Strerror(err)))
					os.Exit(1)
				}
				a.syncedOffset.Store(end)
			}
		}
	}
	if cap(data) <= 1<<20 {
		a.spare = data[:0]
	} else {
		a.spare = nil // do not keep a burst's buffer forever
	}
	a.written.Store(end)
}

func (a *aofState) recordWriteError(s *Server, err error) {
	a.writeErr.Store(&err)
	s.log.Warn("Error writing to the AOF file: " + err.Error())
}

// fsyncPaused is no-appendfsync-on-rewrite while a rewrite runs.
func (a *aofState) fsyncPaused(s *Server) bool {
	return s.cfg.NoAppendFsyncOnRewrite && a.job != nil
}

// aofCron writes what is pending (keys deleted by the expiry cycle have
// no client waiting for them), fsyncs once a second under everysec and
// starts an automatic rewrite when the file grew enough (lock held).
func (s *Server) aofCron() {
	a := &s.aof
	if a.state == aofOff {
		return
	}
	if off := a.appendedOffset(); off > a.written.Load() {
		go a.writeUpTo(s, off)
	}
	if s.cfg.AppendFsync == "everysec" && !a.fsyncPaused(s) {
		now := time.Now().UnixMilli()
		if now-a.lastFsync.Load() >= 1000 && a.written.Load() > a.syncedOffset.Load() && a.fsyncing.CompareAndSwap(false, true) {
			a.lastFsync.Store(now)
			f, upTo := a.file, a.written.Load()
			go func() {
				defer a.fsyncing.Store(false)
				if err := fdatasync(f); err != nil && !errors.Is(err, os.ErrClosed) {
					a.recordWriteError(s, err)
					return
				}
				a.syncedOffset.Store(upTo)
			}()
		}
	}
	if a.scheduled && a.job == nil && s.persist.job == nil {
		a.scheduled = false
		s.aofRewriteStart()
		return
	}
	perc, minSize := s.cfg.AutoAOFRewritePercentage, s.cfg.AutoAOFRewriteMinSize
	if a.state == aofOn && perc > 0 && a.job == nil && s.persist.job == nil {
		size, base := a.size.Load(), max(a.baseSize, 1)
		if size > minSize {
			if growth := size*100/base - 100; growth >= int64(perc) {
				s.log.Info(fmt.Sprintf("Starting automatic rewriting of AOF on %d%% growth", growth))
				s.aofRewriteStart()
			}
		}
	}
}

// fdatasync flushes f's data, and its metadata only as far as needed to
// read the data back (its size, not its times): what Redis calls on Linux
// for the AOF, cheaper than fsync.
func fdatasync(f *os.File) error {
	if f == nil {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fdatasync(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		// Control fails only when f is closed (by a switch of files)
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: os.ErrClosed}
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// aofFlushAndSync writes and fsyncs everything (SHUTDOWN, switching files;
// lock held).
func (s *Server) aofFlushAndSync() {
	a := &s.aof
	if a.state == aofOff {
		return
	}
	a.wmu.Lock()
	a.writeLocked(s)
	if a.file != nil {
		a.file.Sync()
	}
	a.syncedOffset.Store(a.written.Load())
	a.wmu.Unlock()
}

// openIncr makes the incr file name (in the AOF directory) the target of
// the stream (lock held); what was fed before goes to the old file first.
// fresh empties the file, as Redis opens a new or temp incr file with
// O_TRUNC: one left by a crash (a temp incr file of a CONFIG SET
// appendonly yes cut short) must not bring back its commands, and
// reopening the temp incr file when a scheduled rewrite starts drops what
// the rewrite's snapshot holds. named, if set, persists the manifest
// that names the file before the stream moves to it; on error the stream
// stays on the old file.
func (s *Server) openIncr(name string, fresh bool, named func() error) error {
	a := &s.aof
	a.wmu.Lock()
	a.writeLocked(s) // before a fresh file of the same name is emptied
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if fresh {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(s.aofPath(name), flags, 0o644)
	if err == nil && named != nil {
		if err = named(); err != nil {
			f.Close()
		}
	}
	if err != nil {
		a.wmu.Unlock()
		return err
	}
	old := a.file
	a.bmu.Lock()
	a.file, a.fileName = f, name
	a.selDB = -1 // a new file starts with a SELECT
	a.lastTS = 0
	a.bmu.Unlock()
	a.wmu.Unlock()
	if old != nil && old != f {
		old.Sync()
		old.Close()
	}
	return nil
}

// persistManifest writes the manifest atomically (temp file, fsync,
// rename, fsync of the directory).
func (s *Server) persistManifest(m *aof.Manifest) error {
	name := aof.ManifestName(s.cfg.AppendFilename)
	tmp := s.aofPath("temp-" + name)
	if err := writeFileSync(tmp, m.Encode()); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.aofPath(name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(s.aofDir())
}

func writeFileSync(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// aofSizeOnDisk sums the sizes of the files the manifest names.
func (s *Server) aofSizeOnDisk(m *aof.Manifest) (total, base int64) {
	if m.Base != nil {
		if st, err := os.Stat(s.aofPath(m.Base.Name)); err == nil {
			base = st.Size()
		}
	}
	total = base
	for _, f := range m.Incrs {
		if st, err := os.Stat(s.aofPath(f.Name)); err == nil {
			total += st.Size()
		}
	}
	return total, base
}

// aofStartOnBoot opens the AOF after the data was loaded (lock held or
// not yet serving). With no AOF on disk it writes a base of the current
// data first, as Redis does ("Creating AOF base file ... on server start").
func (s *Server) aofStartOnBoot() error {
	a := &s.aof
	a.lastRewriteOK = true
	if !s.cfg.AppendOnly {
		return nil
	}
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %v", s.cfg.AppendDirname, err)
	}
	m := a.manifest
	if m == nil {
		m = &aof.Manifest{}
	}
	if m.Base == nil && len(m.Incrs) == 0 {
		base := m.NewBase(s.cfg.AppendFilename, s.cfg.AOFUseRDBPreamble)
		if err := s.writeBaseSync(s.aofPath(base.Name), s.cfg.AOFUseRDBPreamble); err != nil {
			return err
		}
		s.log.Info("Creating AOF base file " + base.Name + " on server start")
	}
	if len(m.Incrs) == 0 {
		incr := m.NewIncr(s.cfg.AppendFilename)
		s.log.Info("Creating AOF incr file " + incr.Name + " on server start")
	} else {
		s.log.Info("Opening AOF incr file " + m.Incrs[len(m.Incrs)-1].Name + " on server start")
	}
	a.manifest = m
	if err := s.persistManifest(m); err != nil {
		return err
	}
	last := m.Incrs[len(m.Incrs)-1]
	a.state = aofOn
	if err := s.openIncr(last.Name, false, nil); err != nil {
		a.state = aofOff
		return err
	}
	total, base := s.aofSizeOnDisk(m)
	a.size.Store(total)
	a.baseSize = base
	s.deleteHistoryFiles()
	return nil
}

// writeBaseSync writes a base file of the current data with the lock held
// throughout (start-up, where nobody else runs yet).
func (s *Server) writeBaseSync(path string, rdbPreamble bool) error {
	j := s.newBaseJob(rdbPreamble)
	return s.writeRDB(j, path, func() {}, func() {})
}

// newBaseJob is the snapshot job a base file is written from: an RDB
// (aof-use-rdb-preamble) or the commands that rebuild every key.
func (s *Server) newBaseJob(rdbPreamble bool) *rdbJob {
	if rdbPreamble {
		return s.newRDBJobFor(true)
	}
	return s.newAOFCommandsJob()
}

// deleteHistoryFiles drops the files the manifest marked as history and
// unlinks them in the background, as Redis's bio thread does: unlinking a
// large incr file took ~55 ms, all of it a stall while the lock was held.
// A crash before the unlink leaves files the manifest no longer names,
// which nothing reads.
func (s *Server) deleteHistoryFiles() {
	m := s.aof.manifest
	if m == nil || len(m.History) == 0 {
		return
	}
	paths := make([]string, 0, len(m.History))
	for _, h := range m.History {
		s.log.Info("Removing the history file " + h.Name + " in the background")
		paths = append(paths, s.aofPath(h.Name))
	}
	m.History = nil
	s.persistManifest(m)
	s.bgUnlink(paths)
}

// bgUnlink removes files off the lock; a clean shutdown waits for it.
func (s *Server) bgUnlink(paths []string) {
	s.unlinks.Add(1)
	go func() {
		defer s.unlinks.Done()
		for _, p := range paths {
			os.Remove(p)
		}
	}()
}

// aofRewriteStart starts a BGREWRITEAOF (lock held).
func (s *Server) aofRewriteStart() error {
	a := &s.aof
	// BGREWRITEAOF works with the AOF off too, as Redis: it writes a base
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		s.log.Warn("Can't open or create append-only dir " + s.cfg.AppendDirname + ": " + err.Error())
		return err
	}
	// the new incr file starts at the instant of the snapshot
	if a.state == aofOn {
		m := a.manifest.Clone()
		incr := m.NewIncr(s.cfg.AppendFilename)
		persist := func() error {
			if err := s.persistManifest(m); err != nil {
				s.log.Warn("Can't persist the AOF manifest: " + err.Error())
				return err
			}
			return nil
		}
		if err := s.openIncr(incr.Name, true, persist); err != nil {
			s.log.Warn("Can't open new incr AOF file: " + err.Error())
			return err
		}
		a.manifest = m
		s.log.Info("Creating AOF incr file " + incr.Name + " on background rewrite")
	} else if a.state == aofWaitRewrite {
		if err := s.openIncr(aof.TempIncrName(s.cfg.AppendFilename), true, nil); err != nil {
			s.log.Warn("Can't open the temp incr AOF file: " + err.Error())
			return err
		}
	}
	// the temp base is written in dir, not in the AOF directory, as Redis:
	// a rewrite cut short by a crash leaves nothing the manifest lacks there
	job := &aofRewriteJob{start: time.Now(), tempBase: filepath.Join(s.cfg.Dir, aof.TempRewriteBgName(os.Getpid()))}
	job.rdb = s.newBaseJob(s.cfg.AOFUseRDBPreamble)
	a.job = job
	s.log.Info("Background append only file rewriting started")
	go func() {
		err := s.writeRDBBackground(job.rdb, job.tempBase)
		s.mu.Lock()
		defer s.mu.Unlock()
		// installing the new base (renames, manifest fsync) holds the
		// lock, as in Redis's main thread: its time is logged beside the
		// walk's steps
		t0 := time.Now()
		defer func() {
			s.log.Log(context.Background(), logging.LevelVerbose, fmt.Sprintf("AOF rewrite end held the lock %.3f ms", float64(time.Since(t0).Microseconds())/1000))
		}()
		if a.job != job {
			return // cancelled
		}
		a.job = nil
		s.aofRewriteDone(job, err)
		if s.persist.scheduled && s.persist.job == nil {
			s.persist.scheduled = false
			s.bgsaveStart()
		}
	}()
	return nil
}

// aofRewriteDone installs the new base (lock held).
func (s *Server) aofRewriteDone(job *aofRewriteJob, err error) {
	a := &s.aof
	a.lastCOW = job.rdb.snap.PreservedEntries
	s.logWalk(job.rdb)
	a.lastRewriteSec = int64(time.Since(job.start).Seconds())
	fail := func(err error) {
		os.Remove(job.tempBase)
		a.lastRewriteOK = false
		a.consecutiveFailures++
		s.log.Warn("Background AOF rewrite terminated with error: " + err.Error())
	}
	if err != nil {
		if err != errSaveAborted {
			fail(err)
		}
		return
	}
	s.log.Info("Background AOF rewrite terminated with success")
	// turned on at run time, the files of an earlier AOF (if any) become
	// history; their sequence numbers go on
	m := &aof.Manifest{}
	if a.manifest != nil {
		m = a.manifest.Clone()
	}
	if a.state == aofWaitRewrite {
		m.History = append(m.History, m.Incrs...)
		m.Incrs = nil
	}
	base := m.NewBase(s.cfg.AppendFilename, s.cfg.AOFUseRDBPreamble)
	if err := os.Rename(job.tempBase, s.aofPath(base.Name)); err != nil {
		fail(err)
		return
	}
	s.log.Info(fmt.Sprintf("Successfully renamed the temporary AOF base file %s into %s", filepath.Base(job.tempBase), base.Name))
	if a.state == aofWaitRewrite {
		incr := m.NewIncr(s.cfg.AppendFilename)
		if err := os.Rename(s.aofPath(a.fileName), s.aofPath(incr.Name)); err != nil {
			fail(err)
			return
		}
		a.bmu.Lock()
		a.fileName = incr.Name
		a.bmu.Unlock()
		s.log.Info(fmt.Sprintf("Successfully renamed the temporary AOF incr file %s into %s", aof.TempIncrName(s.cfg.AppendFilename), incr.Name))
	} else {
		m.MarkRewrittenIncrsAsHistory()
	}
	if err := s.persistManifest(m); err != nil {
		fail(err)
		return
	}
	a.manifest = m
	if a.state == aofWaitRewrite {
		a.state = aofOn
		s.log.Info("AOF rewrite: now the server persists on AOF")
	}
	total, baseSize := s.aofSizeOnDisk(m)
	a.size.Store(total + (a.appendedOffset() - a.written.Load()))
	a.baseSize = baseSize
	a.rewrites++
	a.consecutiveFailures = 0
	a.lastRewriteOK = true
	s.deleteHistoryFiles()
	s.log.Info("Background AOF rewrite finished successfully")
}

func cmdBgrewriteaof(c *Client, args [][]byte) {
	s := c.srv
	a := &s.aof
	switch {
	case a.job != nil:
		c.addError("ERR Background append only file rewriting already in progress")
	case s.persist.job != nil:
		a.scheduled = true
		c.w.Simple("Background append only file rewriting scheduled")
	default:
		if err := s.aofRewriteStart(); err != nil {
			c.addError("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
			return
		}
		c.w.Simple("Background append only file rewriting started")
	}
}

// aofAbortRewrite cancels a running rewrite (FLUSHALL, SHUTDOWN, turning
// the AOF off; lock held).
func (s *Server) aofAbortRewrite() {
	a := &s.aof
	if j := a.job; j != nil {
		j.rdb.aborted = true
		j.rdb.abort()
		a.job = nil
		os.Remove(j.tempBase)
		s.log.Info("Killing running AOF rewrite child")
	}
}

// startAppendOnly is CONFIG SET appendonly yes: the AOF starts with a
// rewrite; until it ends, commands go to a temp incr file.
func (s *Server) startAppendOnly() error {
	a := &s.aof
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return err
	}
	if s.persist.job != nil {
		a.state = aofWaitRewrite
		a.scheduled = true
		if err := s.openIncr(aof.TempIncrName(s.cfg.AppendFilename), true, nil); err != nil {
			a.state = aofOff
			return err
		}
		s.log.Info("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
		return nil
	}
	if a.job != nil {
		s.aofAbortRewrite()
	}
	a.state = aofWaitRewrite
	if err := s.aofRewriteStart(); err != nil {
		a.state = aofOff
		s.log.Warn("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
		return errors.New("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation")
	}
	return nil
}

// stopAppendOnly is CONFIG SET appendonly no.
func (s *Server) stopAppendOnly() {
	a := &s.aof
	s.aofFlushAndSync()
	s.aofAbortRewrite()
	a.scheduled = false
	a.bmu.Lock()
	if a.file != nil {
		a.file.Close()
	}
	a.file, a.fileName = nil, ""
	a.buf = a.buf[:0]
	a.bmu.Unlock()
	a.written.Store(a.appended.Load())
	a.state = aofOff
}

// aofWriteError is the MISCONF text while the last AOF write failed.
func (s *Server) aofWriteError() string {
	if s.aof.state == aofOff {
		return ""
	}
	if p := s.aof.writeErr.Load(); p != nil {
		return "MISCONF Errors writing to the AOF file: " + (*p).Error()
	}
	return ""
}

// loadData loads the data set at start-up: from the AOF when appendonly
// is on (even if a dump.rdb exists, as Redis), else from the RDB file.
func (s *Server) loadData() error {
	// Nearly all that loading allocates stays live, so collections during
	// it only scan the growing dataset again and again (a quarter of the
	// CPU of loading 1M keys): the collector waits until it is done. A
	// memory limit (maxmemory) still makes it collect.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	if !s.cfg.AppendOnly {
		// an AOF left from before is remembered, so turning it on again
		// continues its sequence numbers (Redis loads the manifest always)
		if data, err := os.ReadFile(s.aofPath(aof.ManifestName(s.cfg.AppendFilename))); err == nil {
			if m, err := aof.ParseManifest(data); err == nil {
				s.aof.manifest = m
			}
		}
		return s.loadRDB()
	}
	if err := s.loadAOF(); err != nil {
		return err
	}
	return s.aofStartOnBoot()
}

// installAOFConfigHook turns the AOF on and off with CONFIG SET appendonly.
func (s *Server) installAOFConfigHook() {
	s.cfg.SetApply("appendonly", func() error {
		if s.cfg.AppendOnly && s.aof.state == aofOff {
			return s.startAppendOnly()
		}
		if !s.cfg.AppendOnly && s.aof.state != aofOff {
			s.stopAppendOnly()
		}
		return nil
	})
}
