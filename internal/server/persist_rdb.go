// persist_rdb.go is RDB persistence: SAVE, BGSAVE [SCHEDULE], LASTSAVE,
// the save rules, stop-writes-on-bgsave-error and loading at start-up.
//
// BGSAVE does not fork. It takes a keyspace snapshot (keyspace/snapshot.go)
// and a goroutine drives it: a few hundred buckets at a time under the
// executor lock, encoded into an rdb.Encoder, whose bytes are written to a
// temp file outside the lock. Writes meanwhile hand the snapshot the
// pre-image of what they change. The file is fsynced and renamed over
// dbfilename only when complete, so a crash never leaves a half-written
// dump.
package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/logging"
	"github.com/redoubt/redoubt/internal/rdb"
)

// persistState is the save side of INFO persistence.
type persistState struct {
	job           *rdbJob
	lastOK        bool
	lastTry       time.Time
	lastBgsaveSec int64
	saves         int64
	lastCOW       int64
	scheduled     bool // BGSAVE SCHEDULE waiting for a running job
	loadedKeys    int64
	expiredOnLoad int64
	// loadMerge: a key already present is replaced, not an error (DEBUG
	// RELOAD MERGE)
	loadMerge bool
	// reloading: DEBUG RELOAD, whose file replaces same-named libraries
	reloading bool
	// dirtyAtStart is the change count a running save started at: what it
	// subtracts when it succeeds
	dirtyAtStart int64
	// loadEnd is the offset just past the last RDB loaded (the start of
	// the AOF tail after an RDB preamble)
	loadEnd int
}

// rdbJob is one BGSAVE in progress.
type rdbJob struct {
	snap    *keyspace.Snapshot
	enc     snapshotEncoder
	start   time.Time
	resized map[int]bool
	sizes   map[int][2]uint64
	encErr  error
	keys    int64
	total   int64
	aborted bool // FLUSHALL or SHUTDOWN cancelled it
	// walked: the snapshot has handed every key over; bigs: values still
	// being encoded in slices, oldest first
	walked bool
	bigs   []*bigUnit
	tail   [][]byte
	// socket: a diskless full sync streamed to replicas, not a file
	socket bool
	// steps and maxHold: how many locked steps the walk took and the
	// longest of them (what a client waits at worst for the lock)
	steps   int
	maxHold time.Duration
	// sched0 is the runtime's scheduling and GC pause histograms when
	// the walk began, for logWalk
	sched0 []metrics.Sample
}

// walkMetrics are the runtime histograms logWalk reports on: how long
// goroutines waited for a P, and how long GC stopped the world.
var walkMetrics = []string{"/sched/latencies:seconds", "/sched/pauses/total/gc:seconds"}

func readWalkMetrics() []metrics.Sample {
	m := make([]metrics.Sample, len(walkMetrics))
	for i, n := range walkMetrics {
		m[i].Name = n
	}
	metrics.Read(m)
	return m
}

// histDelta returns the p99 and the top of the highest bucket of what
// was recorded in h since h0 (seconds).
func histDelta(h0, h *metrics.Float64Histogram) (p99, top float64) {
	var total uint64
	for i := range h.Counts {
		total += h.Counts[i] - h0.Counts[i]
	}
	var seen uint64
	for i := range h.Counts {
		n := h.Counts[i] - h0.Counts[i]
		if n == 0 {
			continue
		}
		seen += n
		if p99 == 0 && seen*100 >= total*99 {
			p99 = h.Buckets[i+1]
		}
		top = h.Buckets[i+1]
	}
	return p99, top
}

const (
	// snapshotStepBuckets is how many buckets the walk covers between
	// checks of its bounds: a locked step ends once it has encoded
	// snapshotStepBytes or run for snapshotStepTime, whichever is first
	// (the time bound for values slow to encode, and for a walker thread
	// the OS ran slowly)
	snapshotStepBuckets = 64
	snapshotStepBytes   = 32 << 10
	snapshotStepTime    = time.Millisecond
	// snapshotStepPause is how long a background walker sleeps between
	// steps (the timer may round it up to about a millisecond)
	snapshotStepPause = 100 * time.Microsecond
	// bgsaveRetryDelay is how long a failed BGSAVE makes the save rules
	// wait (CONFIG_BGSAVE_RETRY_DELAY).
	bgsaveRetryDelay = 5 * time.Second
)

func init() {
	register("save", cmdSave)
	register("bgsave", cmdBgsave)
}

func (s *Server) rdbPath() string { return filepath.Join(s.cfg.Dir, s.cfg.DBFilename) }

// snapshotEncoder is what a snapshot job encodes into: an rdb.Encoder, or
// the commands of an AOF base (persist_aof.go).
type snapshotEncoder interface {
	Len() int
	End()
	Take() []byte
}

// newRDBJob starts a snapshot of everything, with the file's head (magic,
// aux fields, function libraries) already encoded.
func (s *Server) newRDBJob() *rdbJob { return s.newRDBJobFor(false) }

// rdbReq is what a replica asked to leave out of its RDB (REPLCONF
// rdb-filter-only, as redis-cli --functions-rdb sends).
type rdbReq uint8

const (
	rdbExcludeData rdbReq = 1 << iota
	rdbExcludeFunctions
)

// newRDBJobFor is newRDBJob; aofBase marks the file as an AOF's base.
func (s *Server) newRDBJobFor(aofBase bool) *rdbJob { return s.newRDBJobFiltered(aofBase, 0) }

// newRDBJobFiltered is newRDBJobFor leaving out what req says: without
// the data the keyspace is not walked at all.
func (s *Server) newRDBJobFiltered(aofBase bool, req rdbReq) *rdbJob {
	j := &rdbJob{start: time.Now(), resized: map[int]bool{}, sizes: map[int][2]uint64{}}
	enc := rdb.NewEncoder(s.cfg.RDBCompression, s.cfg.RDBChecksum)
	j.enc = enc
	enc.Aux("redis-ver", Version)
	enc.Aux("redis-bits", "64")
	enc.Aux("ctime", strconv.FormatInt(time.Now().Unix(), 10))
	enc.Aux("used-mem", strconv.FormatUint(s.usedMemory(), 10))
	enc.Aux("repl-stream-db", strconv.Itoa(s.replStreamDB()))
	enc.Aux("repl-id", s.repl.ids.Replid)
	enc.Aux("repl-offset", strconv.FormatInt(s.repl.offset(), 10))
	enc.Aux("aof-base", strconv.Itoa(b2i(aofBase)))
	if s.scripts != nil && s.scripts.functions != nil && req&rdbExcludeFunctions == 0 {
		for _, l := range s.scripts.functions.Libraries() {
			enc.Function(l.Code)
		}
	}
	for _, db := range s.ks.DBs {
		j.sizes[db.ID] = [2]uint64{uint64(db.Len()), uint64(db.Expires())}
		j.total += int64(db.Len())
	}
	lru := !s.ks.UseLFU && strings.Contains(s.maxmemoryPolicy(), "-lru")
	lfu := s.ks.UseLFU
	opts := s.rdbSaveOptions()
	opts.Scratch = &rdb.Scratch{}
	j.snap = s.ks.StartSnapshot(func(dbID int, e *keyspace.Entry, exp int64) {
		typ, err := rdb.TypeOf(e.Value)
		if err != nil {
			if j.encErr == nil {
				j.encErr = fmt.Errorf("key %q: %w", e.Key, err)
			}
			return
		}
		if enc.DB() != dbID {
			sz := j.sizes[dbID]
			enc.SelectDB(dbID, sz[0], sz[1], !j.resized[dbID])
			j.resized[dbID] = true
		}
		m := rdb.KeyMeta{ExpireAt: exp, Idle: -1, Freq: -1}
		if lru {
			m.Idle = s.ks.IdleMillis(e) / 1000
		} else if lfu {
			m.Freq = int(s.ks.LFUFreq(e))
		}
		// the key's bytes, not a copy (a million keys, a million garbage
		// slices otherwise): KeyHeader only reads them
		key := unsafe.Slice(unsafe.StringData(e.Key), len(e.Key))
		j.keys++
		if elems(e.Value) >= bigValueElems {
			j.holdBig(dbID, key, typ, m, e.Value, opts)
			return
		}
		enc.KeyHeader(key, typ, m)
		enc.SetBuffer(rdb.AppendValue(enc.Buffer(), e.Value, opts))
	})
	if req&rdbExcludeData != 0 {
		j.snap.Abort() // nothing to walk: the file is its head alone
		j.walked = true
	}
	return j
}

// bigValueElems is the size from which a value (set, hash, sorted set,
// list; a stream by its entries) is encoded in slices of
// rdb.YieldEvery elements, the lock released in between, instead of in
// one locked step (a 1M-field hash held every client for ~300 ms).
const bigValueElems = 4 * rdb.YieldEvery

// elems is a value's element count (0 for strings).
func elems(v keyspace.Value) int {
	switch l := v.(type) {
	case interface{ Len() int }:
		return l.Len()
	case interface{ Len() uint64 }: // streams
		return int(min(l.Len(), 1<<62))
	}
	return 0
}

// bigUnit is a big value being encoded in slices: its key's record
// (header and value) builds up in chunks, written to the file after the
// step that completes it, outside the lock. The encoding runs as a
// coroutine (iter.Pull) advanced only by whoever holds the executor lock:
// the walker, a slice per turn, or a write to the key, which finishes it
// first (keyspace.Snapshot.Hold), so the value never changes while half
// encoded.
type bigUnit struct {
	db      int
	chunks  [][]byte
	next    func() (struct{}, bool)
	stop    func()
	done    bool
	release func()
}

// holdBig queues the key's record for encoding in slices (in the sink).
func (j *rdbJob) holdBig(db int, key []byte, typ byte, m rdb.KeyMeta, v keyspace.Value, opts rdb.SaveOptions) {
	hdr := rdb.Encoder{Compress: opts.Compress}
	hdr.KeyHeader(key, typ, m)
	u := &bigUnit{db: db}
	first := append(make([]byte, 0, 64<<10), hdr.Take()...)
	opts.Scratch = &rdb.Scratch{} // the walk's own goes on meanwhile
	u.next, u.stop = iter.Pull(func(yield func(struct{}) bool) {
		opts.Yield = func(dst []byte) []byte {
			u.chunks = append(u.chunks, dst)
			yield(struct{}{})
			return make([]byte, 0, 64<<10)
		}
		u.chunks = append(u.chunks, rdb.AppendValue(first, v, opts))
	})
	u.release = j.snap.Hold(string(key), u.finish)
	j.bigs = append(j.bigs, u)
}

// advance encodes one slice; true once the value is complete.
func (u *bigUnit) advance() bool {
	if !u.done {
		if _, ok := u.next(); !ok {
			u.done = true
		}
	}
	return u.done
}

// finish encodes the rest at once.
func (u *bigUnit) finish() {
	for !u.advance() {
	}
}

// abort drops the job's held values (their coroutines run to the end).
func (j *rdbJob) abort() {
	j.snap.Abort()
	for _, u := range j.bigs {
		u.release()
		u.stop()
	}
	j.bigs, j.tail = nil, nil
}

// stepBig advances the oldest held value by a slice and reports whether
// it is complete: then its chunks are the job's tail, to be written right
// after this step's bytes (appendTail), behind a SELECTDB if needed.
func (j *rdbJob) stepBig() bool {
	u := j.bigs[0]
	if !u.advance() {
		return false
	}
	u.release()
	enc := j.enc.(*rdb.Encoder)
	if enc.DB() != u.db {
		sz := j.sizes[u.db]
		enc.SelectDB(u.db, sz[0], sz[1], !j.resized[u.db])
		j.resized[u.db] = true
	}
	j.tail = u.chunks
	j.bigs[0] = nil
	j.bigs = j.bigs[1:]
	return true
}

// appendTail appends a completed big value (a step's tail) after the
// step's bytes, with the lock released: the walker alone uses the
// checksum, and the tail was taken from the job under the lock, where an
// abort (FLUSHALL) may drop the job's own.
func (j *rdbJob) appendTail(out []byte, tail [][]byte) []byte {
	for _, c := range tail {
		j.enc.(*rdb.Encoder).Account(c)
		out = append(out, c...)
	}
	return out
}

// step advances the job by one bounded slice of the walk and returns the
// encoded bytes (a copy), the completed big value to append after them
// outside the lock (appendTail), and whether the file is complete. Lock
// held.
func (j *rdbJob) step(out []byte) ([]byte, [][]byte, bool) {
	walked := j.walked
	t0 := time.Now()
	for (!walked || len(j.bigs) > 0) && j.enc.Len() < snapshotStepBytes && time.Since(t0) < snapshotStepTime {
		if len(j.bigs) > 0 {
			if j.stepBig() {
				break // its tail goes out before anything else
			}
			continue
		}
		walked = j.snap.Step(snapshotStepBuckets)
	}
	j.walked = walked
	done := walked && len(j.bigs) == 0 && j.tail == nil
	if done {
		j.enc.End()
	}
	tail := j.tail
	j.tail = nil
	return append(out, j.enc.Take()...), tail, done
}

// writeRDB writes a complete job to a temp file in dir and renames it to
// path. lock/unlock bracket each step (a no-op pair for SAVE, which holds
// the lock throughout).
func (s *Server) writeRDB(j *rdbJob, path string, lock, unlock func()) error {
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	f, err := os.Create(tmp)
	if err != nil {
		lock()
		j.abort()
		unlock()
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %v", filepath.Base(tmp), filepath.Dir(path), err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for {
		lock()
		t0 := time.Now()
		var done bool
		var tail [][]byte
		if j.aborted {
			unlock()
			f.Close()
			os.Remove(tmp)
			return errSaveAborted
		}
		buf, tail, done = j.step(buf[:0])
		encErr := j.encErr
		if encErr != nil {
			j.abort()
		}
		j.steps++
		j.maxHold = max(j.maxHold, time.Since(t0))
		unlock()
		if encErr != nil {
			f.Close()
			os.Remove(tmp)
			return encErr
		}
		buf = j.appendTail(buf, tail)
		if _, err = w.Write(buf); err != nil {
			break
		}
		if done {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		lock()
		j.abort()
		unlock()
		os.Remove(tmp)
		return fmt.Errorf("Write error saving DB on disk: %v", err)
	}
	// syscall.Rename: os.Rename reports a directory in the way as EEXIST,
	// rename(2) (and so Redis's log) as EISDIR
	if err := syscall.Rename(tmp, path); err != nil {
		lock()
		j.abort()
		unlock()
		os.Remove(tmp)
		return fmt.Errorf("Error moving temp DB file %s on the final destination %s (in server root dir %s): %s",
			filepath.Base(tmp), filepath.Base(path), filepath.Dir(path), logging.Strerror(err))
	}
	return nil
}

// writeRDBBackground is writeRDB for a job running beside the clients
// (BGSAVE, BGREWRITEAOF): the lock is taken per step, and the walk runs
// with one more P than the server otherwise uses (see snapshotProcs).
func (s *Server) writeRDBBackground(j *rdbJob, path string) error {
	defer snapshotProcs()()
	j.sched0 = readWalkMetrics()
	// after each step the walker sleeps a moment, so clients waiting for
	// the lock run before it takes the next one. A Gosched did that for
	// the Go scheduler, but the walker's thread then never slept: on a
	// loaded host the OS preempted it in the middle of its steps, lock
	// held, for tens of ms (a step's wall time up to 70-400 ms for ~1 ms
	// of CPU). Pausing between steps, the walker yields its CPU at the
	// points where it holds nothing: GETs over 10 ms during a 1M-key
	// BGSAVE went from 3-4% to 0.1-0.7% (redis-server 0.2%), the save
	// from 1.6-2.5 s to 3.1-3.5 s (redis-server 2.5-2.7 s), same run.
	unlock := func() { s.mu.Unlock(); time.Sleep(snapshotStepPause) }
	return s.writeRDB(j, path, s.mu.Lock, unlock)
}

// logWalk logs, at verbose level, how the walk shared the lock.
func (s *Server) logWalk(j *rdbJob) {
	msg := fmt.Sprintf("Snapshot walk: %d keys in %d locked steps, longest %.3f ms", j.keys, j.steps, float64(j.maxHold.Microseconds())/1000)
	if j.sched0 != nil {
		// the waits the Go runtime adds (the OS's are not seen here)
		m := readWalkMetrics()
		sp99, smax := histDelta(j.sched0[0].Value.Float64Histogram(), m[0].Value.Float64Histogram())
		_, gmax := histDelta(j.sched0[1].Value.Float64Histogram(), m[1].Value.Float64Histogram())
		msg += fmt.Sprintf("; goroutines waited for a P: p99 <= %.3f ms, max <= %.3f ms; longest GC pause <= %.3f ms", sp99*1000, smax*1000, gmax*1000)
	}
	s.log.Log(context.Background(), logging.LevelVerbose, msg)
}

// saveDone records the end of a save (lock held).
func (s *Server) saveDone(j *rdbJob, err error, background bool) {
	r := &s.persist
	r.lastCOW = j.snap.PreservedEntries
	s.logWalk(j)
	if err == errSaveAborted {
		return // cancelled on purpose: not a failed save (Redis's SIGUSR1)
	}
	if err != nil {
		r.lastOK = false
		r.lastTry = time.Now()
		// the saving side's reason first, then the outcome, in Redis's
		// order (its child logs before the parent)
		s.log.Warn(err.Error())
		if background {
			s.log.Warn("Background saving error")
		}
		return
	}
	r.lastOK = true
	r.saves++
	s.intro.lastSave = time.Now().Unix()
	s.intro.dirty -= s.persist.dirtyAtStart
	if background {
		s.log.Info("Background saving terminated with success")
	} else {
		s.log.Info("DB saved on disk")
	}
}

// rdbSave is SAVE: the whole snapshot written with the lock held.
func (s *Server) rdbSave() error {
	// one snapshot at a time: a running AOF rewrite starts again after
	if s.aof.job != nil {
		s.aofAbortRewrite()
		s.aof.scheduled = true
	}
	j := s.newRDBJob()
	s.persist.dirtyAtStart = s.intro.dirty
	err := s.writeRDB(j, s.rdbPath(), func() {}, func() {})
	s.saveDone(j, err, false)
	return err
}

// bgsaveStart starts a BGSAVE (lock held).
func (s *Server) bgsaveStart() {
	j := s.newRDBJob()
	s.persist.job = j
	s.persist.dirtyAtStart = s.intro.dirty
	s.persist.lastTry = time.Now()
	s.log.Info("Background saving started")
	path := s.rdbPath()
	go func() {
		err := s.writeRDBBackground(j, path)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.persist.job != j {
			return // cancelled (abortSave); another save may run now
		}
		s.persist.job = nil
		s.persist.lastBgsaveSec = int64(time.Since(j.start).Seconds())
		s.saveDone(j, err, true)
		s.replBgsaveDone(err)
		s.startScheduledBgsave()
		s.startPendingSync()
	}()
}

// startScheduledBgsave runs the BGSAVE SCHEDULE that waited for the
// background job that just ended (lock held).
func (s *Server) startScheduledBgsave() {
	if s.persist.scheduled {
		s.persist.scheduled = false
		s.bgsaveStart()
	}
}

func cmdSave(c *Client, args [][]byte) {
	s := c.srv
	if s.persist.job != nil {
		c.addError("ERR Background save already in progress")
		return
	}
	if err := s.rdbSave(); err != nil {
		c.addError("ERR")
		return
	}
	c.w.OK()
}

func cmdBgsave(c *Client, args [][]byte) {
	s := c.srv
	schedule := false
	if len(args) > 1 {
		if len(args) != 2 || !strings.EqualFold(string(args[1]), "schedule") {
			c.addError(errSyntax)
			return
		}
		schedule = true
	}
	if s.persist.job != nil {
		if schedule {
			s.persist.scheduled = true
			c.w.Simple("Background saving scheduled")
			return
		}
		c.addError("ERR Background save already in progress")
		return
	}
	if s.aof.job != nil {
		if schedule {
			s.persist.scheduled = true
			c.w.Simple("Background saving scheduled")
			return
		}
		c.addError("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
		return
	}
	s.bgsaveStart()
	c.w.Simple("Background saving started")
}

// saveRulesCron starts a BGSAVE when a save rule is met (serverCron).
func (s *Server) saveRulesCron() {
	r := &s.persist
	if r.job != nil || s.aof.job != nil {
		return
	}
	now := time.Now()
	for _, p := range s.cfg.SaveParams {
		if s.intro.dirty >= int64(p.Changes) && now.Unix()-s.intro.lastSave > p.Seconds &&
			(r.lastOK || now.Sub(r.lastTry) > bgsaveRetryDelay) {
			s.log.Info(fmt.Sprintf("%d changes in %d seconds. Saving...", p.Changes, p.Seconds))
			s.bgsaveStart()
			return
		}
	}
}

const errMisconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// writesDeniedByDiskError is Redis's writeCommandsDeniedByDiskError for
// RDB: the last background save failed and the server is told to stop
// writes until one succeeds.
func (s *Server) writesDeniedByDiskError() bool {
	return s.cfg.StopWritesOnBgsaveError && len(s.cfg.SaveParams) > 0 && !s.persist.lastOK
}

var errSaveAborted = errors.New("Background saving was cancelled")

// loadRDB reads dbfilename at start-up into the empty keyspace.
func (s *Server) loadRDB() error {
	path := s.rdbPath()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("Fatal error loading the DB: %v. Exiting.", err)
	}
	start := time.Now()
	if err := s.loadRDBBytes(data); err != nil {
		return fmt.Errorf("Short read or corrupt RDB %s: %v. Exiting.", path, err)
	}
	s.log.Info(fmt.Sprintf("DB loaded from disk: %.3f seconds", time.Since(start).Seconds()))
	return nil
}

// loadRDBBytes decodes a whole RDB file into the keyspace.
func (s *Server) loadRDBBytes(data []byte) error {
	r := rdb.NewReader(data)
	ver, err := r.ReadHeader()
	if err != nil {
		return err
	}
	lim := s.rdbLimits()
	db := s.ks.DBs[0]
	now := time.Now().UnixMilli()
	if s.cmdTime == 0 {
		// one clock reading for the whole load (new keys' LRU stamps), as
		// Redis's cached server time: a clock call per key was 4% of it
		s.cmdTime = now
		defer func() { s.cmdTime = 0 }()
	}
	expireAt := int64(-1)
	var loaded, expired, skipped int64
	var batch loadBatch
	// flush adds the batched keys; called before the records that end a
	// database's keys (key metadata and AUX fields may come in between)
	flush := func() error {
		if batch.n == 0 {
			return nil
		}
		prefetchSink += db.Dict().Prefetch(batch.keys[:batch.n])
		for i := range batch.n {
			rec := &batch.recs[i]
			e, added := db.AddLoaded(batch.keys[i], rec.v)
			if !added {
				if !s.persist.loadMerge {
					batch.n = 0
					return r.Errorf(rec.at, "Duplicate key '%s' found in RDB file", batch.keys[i])
				}
				db.Delete(batch.keys[i])
				e, _ = db.AddLoaded(batch.keys[i], rec.v)
			}
			if rec.expireAt >= 0 {
				db.SetExpire(e, rec.expireAt)
			}
			loaded++
			batch.keys[i], rec.v = nil, nil
		}
		batch.n = 0
		return nil
	}
	for {
		typ, err := r.ReadType()
		if err != nil {
			return err
		}
		if typ == rdb.OpEOF || typ == rdb.OpSelectDB || typ == rdb.OpResizeDB {
			if err := flush(); err != nil {
				return err
			}
		}
		switch typ {
		case rdb.OpEOF:
			if ver >= 5 {
				if _, err := r.ReadChecksum(s.cfg.RDBChecksum); err != nil {
					return err
				}
			}
			s.persist.loadedKeys, s.persist.expiredOnLoad = loaded, expired
			s.persist.loadEnd = r.Pos() // where an AOF tail would start
			// Redis's closing line of every RDB load, the operator's count
			if skipped > 0 {
				s.log.Warn(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d.", loaded, expired, skipped))
			} else {
				s.log.Info(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d.", loaded, expired))
			}
			return nil
		case rdb.OpSelectDB:
			at := r.Pos()
			n, err := r.ReadPlainLen()
			if err != nil {
				return err
			}
			if n >= uint64(len(s.ks.DBs)) {
				return r.Errorf(at, "FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting", len(s.ks.DBs))
			}
			db = s.ks.DBs[n]
		case rdb.OpResizeDB:
			keys, err := r.ReadPlainLen()
			if err != nil {
				return err
			}
			expires, err := r.ReadPlainLen()
			if err != nil {
				return err
			}
			// presize the tables, as Redis does, so loading spends no
			// time rehashing (a hint: bounded by what the file could hold)
			db.Expand(int(min(keys, uint64(r.Remaining()))), int(min(expires, uint64(r.Remaining()))))
		case rdb.OpExpireTimeMS:
			if expireAt, err = r.ReadMillisecondTime(); err != nil {
				return err
			}
		case rdb.OpExpireTime:
			if expireAt, err = r.ReadTime32(); err != nil {
				return err
			}
			expireAt *= 1000
		case rdb.OpIdle:
			if _, err := r.ReadPlainLen(); err != nil {
				return err
			}
		case rdb.OpFreq:
			if _, err := r.ReadByte(); err != nil {
				return err
			}
		case rdb.OpAux:
			k, err := r.ReadString()
			if err != nil {
				return err
			}
			v, err := r.ReadString()
			if err != nil {
				return err
			}
			s.logAux(string(k), string(v))
			s.noteReplAux(string(k), string(v))
		case rdb.OpFunction2, rdb.OpFunction:
			at := r.Pos()
			code, msg := readFunctionRecord(r, typ)
			if msg != "" {
				return r.Errorf(at, "%s", msg)
			}
			if _, err := s.functionEngine().LoadLibrary(code, s.persist.loadMerge || s.persist.reloading); err != nil {
				return r.Errorf(at, "Failed loading library: %v", err)
			}
		case rdb.OpModuleAux:
			return r.Errorf(r.Pos()-1, "The RDB file contains AUX module data I can't load: no matching module")
		default:
			if !rdb.IsObjectType(typ) {
				return r.Errorf(r.Pos()-1, "Unknown RDB encoding type %d", typ)
			}
			at := r.Pos()
			key, err := r.ReadString()
			if err != nil {
				return err
			}
			v, err := rdb.ReadValue(r, typ, lim)
			if errors.Is(err, rdb.ErrEmptyKey) {
				// as Redis, a saved value with no elements is skipped
				expireAt = -1
				skipped++
				continue
			}
			if err != nil {
				return err
			}
			// a master drops keys that expired while saved; a replica
			// keeps them until its master's DEL, as Redis's iAmMaster()
			if expireAt >= 0 && expireAt < now && s.cfg.MasterHost == "" {
				expired++
			} else {
				batch.keys[batch.n] = key
				batch.recs[batch.n] = loadRecord{at: at, v: v, expireAt: expireAt}
				if batch.n++; batch.n == len(batch.keys) {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			expireAt = -1
		}
	}
}

// loadBatch holds decoded keys until a batch is full, so that the cache
// misses of their hash table lookups overlap (Dict.Prefetch) instead of
// being taken one key at a time: on a 1M-key file the lookups were a
// quarter of the load time.
type loadBatch struct {
	n    int
	keys [16][]byte
	recs [16]loadRecord
}

type loadRecord struct {
	at       int
	v        keyspace.Value
	expireAt int64
}

func (s *Server) logAux(k, v string) {
	switch k {
	case "redis-ver":
		s.log.Info("Loading RDB produced by version " + v)
	case "ctime":
		if t, err := strconv.ParseInt(v, 10, 64); err == nil {
			age := time.Now().Unix() - t
			s.log.Info(fmt.Sprintf("RDB age %d seconds", max(age, 0)))
		}
	case "aof-base":
		if n, _ := strconv.ParseInt(v, 10, 64); n != 0 {
			s.log.Info("RDB is base AOF")
		}
	case "used-mem":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			s.log.Info(fmt.Sprintf("RDB memory usage when created %.2f Mb", float64(n)/(1024*1024)))
		}
	}
}

// rdbLimits are the encoding thresholds loaded values are shaped by.
func (s *Server) rdbLimits() rdb.Limits {
	return rdb.Limits{
		HashMaxListpackEntries: s.cfg.HashMaxListpackEntries,
		HashMaxListpackValue:   s.cfg.HashMaxListpackValue,
		SetMaxIntsetEntries:    s.cfg.SetMaxIntsetEntries,
		ZSetMaxListpackEntries: s.cfg.ZsetMaxListpackEntries,
		ZSetMaxListpackValue:   s.cfg.ZsetMaxListpackValue,
		StreamNodeMaxEntries:   int(s.cfg.StreamNodeMaxEntries),
		StreamNodeMaxBytes:     int(s.cfg.StreamNodeMaxBytes),
	}
}

// isWriteCommand is Redis's is_write_command: a write command, or EXEC of
// a transaction that queued one.
func (c *Client) isWriteCommand(sc *serverCommand) bool {
	if sc.has(cmdWrite) {
		return true
	}
	if sc.isExec() {
		for _, q := range c.mstate.queue {
			if q.sc.has(cmdWrite) {
				return true
			}
		}
	}
	return false
}

// abortSave stops a running BGSAVE or diskless sync (FLUSHALL,
// SHUTDOWN): its file is dropped, the replicas waiting for it start over.
// Lock held.
func (s *Server) abortSave() {
	if j := s.persist.job; j != nil && !j.aborted {
		j.aborted = true
		j.abort()
		s.persist.job = nil // its goroutine drops the temp file on its own
		// as Redis's killed child
		if j.socket {
			s.log.Warn("Background transfer terminated by signal 10")
		} else {
			s.log.Warn("Background saving terminated by signal 10")
		}
		s.failReplicasWaitingBgsave()
	}
}

// rdbSaveOptions are the encoding choices values are saved with, from the
// configuration (files and DUMP alike).
func (s *Server) rdbSaveOptions() rdb.SaveOptions {
	return rdb.SaveOptions{
		Compress: s.cfg.RDBCompression, ListFill: s.cfg.ListMaxListpackSize, ListCompressDepth: s.cfg.ListCompressDepth,
		StreamNodeMaxEntries: int(s.cfg.StreamNodeMaxEntries), StreamNodeMaxBytes: int(s.cfg.StreamNodeMaxBytes),
	}
}
