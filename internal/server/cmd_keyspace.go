// cmd_keyspace.go holds the generic keyspace commands: DEL, UNLINK, EXISTS,
// TYPE, RENAME(NX), KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, TOUCH,
// OBJECT, SWAPDB, MOVE and COPY. Each follows Redis 7.0's db.c/object.c in
// the order of its checks, so error precedence and lookup side effects
// (hit/miss counters, lazy expiry, access time) are the same.
package server

import (
	"bytes"
	"github.com/redoubt/redoubt/internal/glob"
	"math"
	"strconv"
	"strings"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

const (
	errSameObject        = "ERR source and destination objects are the same"
	errDBIndexOutOfRange = "ERR DB index is out of range"
	errInt32OutOfRange   = "ERR value is out of range, value must between -2147483648 and 2147483647"
	errInvalidScanCursor = "ERR invalid cursor"
	errLFUNotSet         = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFUIsSet          = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	// sharedRefcount is what OBJECT REFCOUNT reports for Redis's shared
	// small-integer objects (OBJ_SHARED_REFCOUNT).
	sharedRefcount = math.MaxInt32
	// sharedIntegers bounds the integers Redis keeps as shared objects.
	sharedIntegers = 10000
)

func init() {
	register("del", cmdDel)
	register("unlink", cmdDel)
	register("exists", cmdExists)
	register("type", cmdType)
	register("rename", func(c *Client, args [][]byte) { renameGeneric(c, args, false) })
	register("renamenx", func(c *Client, args [][]byte) { renameGeneric(c, args, true) })
	register("keys", cmdKeys)
	register("scan", cmdScan)
	register("randomkey", cmdRandomKey)
	register("dbsize", cmdDBSize)
	register("flushdb", cmdFlushDB)
	register("flushall", cmdFlushAll)
	register("touch", cmdTouch)
	register("object|help", cmdObjectHelp)
	register("object|encoding", cmdObjectEncoding)
	register("object|refcount", cmdObjectRefcount)
	register("object|idletime", cmdObjectIdletime)
	register("object|freq", cmdObjectFreq)
	register("swapdb", cmdSwapDB)
	register("move", cmdMove)
	register("copy", cmdCopy)
}

// dbIndexArg parses a 32-bit integer argument as Redis's
// getIntFromObjectOrReply: msg, when not empty, replaces both the
// "not an integer" and the "out of range" errors.
func (c *Client) dbIndexArg(b []byte, msg string) (int, bool) {
	n, ok := parseInt(b)
	if !ok {
		if msg == "" {
			msg = errNotInt
		}
		c.addError(msg)
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		if msg == "" {
			msg = errInt32OutOfRange
		}
		c.addError(msg)
		return 0, false
	}
	return int(n), true
}

// dbByIndex returns database id, or nil when out of range.
func (s *Server) dbByIndex(id int) *keyspace.DB {
	if id < 0 || id >= len(s.ks.DBs) {
		return nil
	}
	return s.ks.DBs[id]
}

// DEL and UNLINK: values are freed by the garbage collector either way, so
// UNLINK's background free needs nothing more.
func cmdDel(c *Client, args [][]byte) {
	deleted := 0
	for _, key := range args[1:] {
		// an expired key is reclaimed as expired, not counted as deleted
		c.db.ExpireIfNeeded(key)
		if c.db.Delete(key) {
			c.db.SignalModified(key)
			c.db.Notify(keyspace.ClassGeneric, "del", key)
			c.srv.markDirty(1)
			deleted++
		}
	}
	c.w.Int(int64(deleted))
}

func cmdExists(c *Client, args [][]byte) {
	n := 0
	for _, key := range args[1:] {
		if c.db.LookupNoTouch(key) != nil {
			n++
		}
	}
	c.w.Int(int64(n))
}

func cmdType(c *Client, args [][]byte) {
	c.w.Simple(typeName(c.db.LookupNoTouch(args[1])))
}

// typeName is the name TYPE reports for e, "none" for a missing key.
func typeName(e *keyspace.Entry) string {
	if e == nil {
		return "none"
	}
	return e.Value.Kind().String()
}

func renameGeneric(c *Client, args [][]byte, nx bool) {
	src, dst := args[1], args[2]
	e := c.db.LookupNoStats(src)
	if e == nil {
		c.addError(errNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.w.Int(0)
		} else {
			c.w.OK()
		}
		return
	}
	if c.db.LookupNoStats(dst) != nil {
		if nx {
			c.w.Int(0)
			return
		}
		c.db.Delete(dst)
	}
	moveEntry(c.db, e, c.db, dst)
	c.db.Delete(src)
	c.db.SignalModified(src)
	c.db.SignalModified(dst)
	c.db.Notify(keyspace.ClassGeneric, "rename_from", src)
	c.db.Notify(keyspace.ClassGeneric, "rename_to", dst)
	c.srv.markDirty(1)
	if nx {
		c.w.Int(1)
	} else {
		c.w.OK()
	}
}

// moveEntry adds e's value under key in db with e's TTL and access record:
// the same value object changes place, as RENAME and MOVE do in Redis.
// The source entry must still be in from (its TTL is read there).
func moveEntry(from *keyspace.DB, e *keyspace.Entry, db *keyspace.DB, key []byte) {
	at := from.ExpireOf(e)
	n := db.Add(key, e.Value)
	n.Access = e.Access
	if at != 0 {
		db.SetExpire(n, at)
	}
}

func cmdKeys(c *Client, args [][]byte) {
	pattern := args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	d := c.w.Defer()
	n := 0
	c.db.Dict().ForEach(func(e *keyspace.Entry) bool {
		if (all || glob.Match(pattern, []byte(e.Key), false)) && !c.db.IsExpired(e) {
			c.w.BulkString(e.Key)
			n++
		}
		return true
	})
	c.w.SetArrayLen(d, n)
}

// parseScanCursor parses a SCAN cursor as Redis's strtoul-based parser:
// decimal, optional sign (a '-' negates modulo 2^64), no spaces, no
// overflow; an empty argument is cursor 0.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	digits := b
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		digits = b[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func cmdScan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.addError(errInvalidScanCursor)
		return
	}
	opts, ok := c.parseScanOptions(args[2:], true)
	if !ok {
		return
	}
	var keys []string
	cursor = scanTable(cursor, opts.count, func(cur uint64) uint64 {
		return c.db.Dict().Scan(cur, func(e *keyspace.Entry) { keys = append(keys, e.Key) })
	}, func() int { return len(keys) })
	kept := keys[:0]
	for _, k := range keys {
		key := []byte(k)
		if opts.pattern != nil && !glob.Match(opts.pattern, key, false) {
			continue
		}
		if opts.typeName != nil && !strings.EqualFold(string(opts.typeName), typeName(c.db.LookupNoTouch(key))) {
			continue
		}
		if c.db.ExpireIfNeeded(key) {
			continue
		}
		kept = append(kept, k)
	}
	c.w.ArrayLen(2)
	// Redis prints the unsigned cursor through a signed conversion
	c.w.BulkInt(int64(cursor))
	c.w.ArrayLen(len(kept))
	for _, k := range kept {
		c.w.BulkString(k)
	}
}

// scanOptions are the MATCH, COUNT and TYPE options of the SCAN family.
// scanTable is Redis's scan loop over a hash table (scanGenericCommand):
// step is called with the cursor until the iteration ends, count items were
// collected, or count*10 steps were made, so a sparse table cannot stall
// the server. collected reports the items gathered so far. Callers whose
// elements reply as two items (a field and its value, a member and its
// score) pass twice the COUNT, as Redis does. The arithmetic wraps and the
// comparison is unsigned, as in Redis, so a huge COUNT scans everything.
func scanTable(cursor uint64, count int64, step func(cursor uint64) uint64, collected func() int) uint64 {
	maxIterations := count * 10
	for {
		cursor = step(cursor)
		if cursor == 0 || maxIterations == 0 || uint64(collected()) >= uint64(count) {
			return cursor
		}
		maxIterations--
	}
}

// replyEmptyScan is the reply of SSCAN/HSCAN/ZSCAN on a missing key: a
// finished iteration with no elements.
func (c *Client) replyEmptyScan() {
	c.w.ArrayLen(2)
	c.w.BulkString("0")
	c.w.ArrayLen(0)
}

type scanOptions struct {
	count    int64
	pattern  []byte // nil when absent or "*"
	typeName []byte // nil when absent
}

// parseScanOptions parses SCAN options in Redis's order, replying with the
// error itself; TYPE is accepted only when allowType (SCAN, not HSCAN...).
func (c *Client) parseScanOptions(args [][]byte, allowType bool) (scanOptions, bool) {
	opts := scanOptions{count: 10}
	for i := 0; i < len(args); i += 2 {
		more := len(args) - i
		opt := args[i]
		switch {
		case more >= 2 && strings.EqualFold(string(opt), "count"):
			n, ok := c.intArg(args[i+1])
			if !ok {
				return opts, false
			}
			if n < 1 {
				c.addError(errSyntax)
				return opts, false
			}
			opts.count = n
		case more >= 2 && strings.EqualFold(string(opt), "match"):
			p := args[i+1]
			if len(p) == 1 && p[0] == '*' {
				opts.pattern = nil
			} else {
				opts.pattern = p
			}
		case more >= 2 && allowType && strings.EqualFold(string(opt), "type"):
			opts.typeName = args[i+1]
		default:
			c.addError(errSyntax)
			return opts, false
		}
	}
	return opts, true
}

func cmdRandomKey(c *Client, args [][]byte) {
	e := c.db.Random()
	if e == nil {
		c.w.Null()
		return
	}
	c.w.BulkString(e.Key)
}

func cmdDBSize(c *Client, args [][]byte) { c.w.Int(int64(c.db.Len())) }

// flushArgsOK checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC argument. Both
// modes drop the tables at once; the collector frees the values.
func (c *Client) flushArgsOK(args [][]byte) bool {
	if len(args) == 1 || (len(args) == 2 && (strings.EqualFold(string(args[1]), "sync") || strings.EqualFold(string(args[1]), "async"))) {
		return true
	}
	c.addError(errSyntax)
	return false
}

func cmdFlushDB(c *Client, args [][]byte) {
	if !c.flushArgsOK(args) {
		return
	}
	c.srv.ks.SignalFlushed(c.db) // before: watchers of existing keys are touched
	c.srv.markDirty(int64(c.db.Flush()))
	// as Redis's forceCommandPropagation: an already empty database
	// changes no counter, yet the flush goes to the AOF and replicas
	c.forcePropagation(propAll)
	c.w.OK()
}

func cmdFlushAll(c *Client, args [][]byte) {
	if !c.flushArgsOK(args) {
		return
	}
	s := c.srv
	s.ks.SignalFlushed(nil)
	for _, db := range s.ks.DBs {
		s.markDirty(int64(db.Flush()))
	}
	// as Redis's flushAllDataAndResetRDB: a running BGSAVE is cancelled
	// and, with save rules, the now empty dataset is saved at once
	s.abortSave()
	if len(s.cfg.SaveParams) > 0 {
		s.rdbSave()
	}
	// the save just reset the change counter, and the databases may have
	// been empty: propagate anyway, as Redis's forceCommandPropagation
	c.forcePropagation(propAll)
	c.w.OK()
}

func cmdTouch(c *Client, args [][]byte) {
	n := 0
	for _, key := range args[1:] {
		if c.db.Lookup(key) != nil {
			n++
		}
	}
	c.w.Int(int64(n))
}

var objectHelp = []string{
	"ENCODING <key>",
	"    Show how the value at <key> is represented in memory.",
	"FREQ <key>",
	"    Show the LFU access counter of <key>, which grows roughly with the",
	"    logarithm of how often the key was read lately.",
	"IDLETIME <key>",
	"    Show about how many seconds have passed since <key> was last read or",
	"    written.",
	"REFCOUNT <key>",
	"    Show how many references the value at <key> has.",
}

func cmdObjectHelp(c *Client, args [][]byte) { replyHelpLines(c, args, objectHelp) }

// objectLookup is OBJECT's lookup: counts a hit or miss, records no
// access, and replies null for a missing key.
func (c *Client) objectLookup(key []byte) *keyspace.Entry {
	e := c.db.LookupNoNotify(key)
	if e == nil {
		c.w.Null()
	}
	return e
}

func cmdObjectEncoding(c *Client, args [][]byte) {
	if e := c.objectLookup(args[2]); e != nil {
		c.w.BulkString(e.Value.Encoding())
	}
}

func cmdObjectRefcount(c *Client, args [][]byte) {
	e := c.objectLookup(args[2])
	if e == nil {
		return
	}
	// small integers are shared objects in Redis unless an LRU/LFU
	// maxmemory-policy needs a per-key access record
	if s, ok := e.Value.(*types.String); ok && s.Enc == types.EncInt && !c.srv.evictionNeedsAccess() {
		if n, ok := parseInt(s.B); ok && n >= 0 && n < sharedIntegers {
			c.w.Int(sharedRefcount)
			return
		}
	}
	c.w.Int(1)
}

func cmdObjectIdletime(c *Client, args [][]byte) {
	e := c.objectLookup(args[2])
	if e == nil {
		return
	}
	if c.srv.ks.UseLFU {
		c.addError(errLFUIsSet)
		return
	}
	c.w.Int(c.srv.ks.IdleMillis(e) / 1000)
}

func cmdObjectFreq(c *Client, args [][]byte) {
	e := c.objectLookup(args[2])
	if e == nil {
		return
	}
	if !c.srv.ks.UseLFU {
		c.addError(errLFUNotSet)
		return
	}
	c.w.Int(int64(c.srv.ks.LFUFreq(e)))
}

// maxmemoryPolicy is the configured maxmemory-policy.
func (s *Server) maxmemoryPolicy() string { return s.cfg.MaxMemoryPolicy }

// evictionNeedsAccess tells whether maxmemory is set with an LRU or LFU
// policy, when Redis stops sharing small integers.
func (s *Server) evictionNeedsAccess() bool {
	if s.cfg.MaxMemory == 0 {
		return false
	}
	p := s.maxmemoryPolicy()
	return strings.Contains(p, "lru") || strings.Contains(p, "lfu")
}

// syncAccessPolicy makes the keyspace keep LFU counters or LRU clocks as
// maxmemory-policy asks; called from the cron so CONFIG SET takes effect.
func (s *Server) syncAccessPolicy() {
	s.ks.UseLFU = strings.HasSuffix(s.maxmemoryPolicy(), "-lfu")
	s.ks.LFULogFactor = s.cfg.LFULogFactor
	s.ks.LFUDecayTime = s.cfg.LFUDecayTime
}

func cmdSwapDB(c *Client, args [][]byte) {
	id1, ok := c.dbIndexArg(args[1], "ERR invalid first DB index")
	if !ok {
		return
	}
	id2, ok := c.dbIndexArg(args[2], "ERR invalid second DB index")
	if !ok {
		return
	}
	a, b := c.srv.dbByIndex(id1), c.srv.dbByIndex(id2)
	if a == nil || b == nil {
		c.addError(errDBIndexOutOfRange)
		return
	}
	if a != b {
		a.SwapWith(b)
		c.srv.ks.SignalSwapped(a, b)
	}
	c.srv.markDirty(1)
	c.w.OK()
}

func cmdMove(c *Client, args [][]byte) {
	id, ok := c.dbIndexArg(args[2], "")
	if !ok {
		return
	}
	dst := c.srv.dbByIndex(id)
	if dst == nil {
		c.addError(errDBIndexOutOfRange)
		return
	}
	if dst == c.db {
		c.addError(errSameObject)
		return
	}
	key := args[1]
	e := c.db.LookupNoStats(key)
	if e == nil || dst.LookupNoStats(key) != nil {
		c.w.Int(0)
		return
	}
	moveEntry(c.db, e, dst, key)
	c.db.Delete(key)
	c.db.SignalModified(key)
	dst.SignalModified(key)
	c.db.Notify(keyspace.ClassGeneric, "move_from", key)
	dst.Notify(keyspace.ClassGeneric, "move_to", key)
	c.srv.markDirty(1)
	c.w.Int(1)
}

func cmdCopy(c *Client, args [][]byte) {
	dst := c.db
	replace := false
	for j := 3; j < len(args); j++ {
		switch opt := string(args[j]); {
		case strings.EqualFold(opt, "replace"):
			replace = true
		case strings.EqualFold(opt, "db") && j+1 < len(args):
			id, ok := c.dbIndexArg(args[j+1], "")
			if !ok {
				return
			}
			if dst = c.srv.dbByIndex(id); dst == nil {
				c.addError(errDBIndexOutOfRange)
				return
			}
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	src, newKey := args[1], args[2]
	if dst == c.db && bytes.Equal(src, newKey) {
		c.addError(errSameObject)
		return
	}
	e := c.db.Lookup(src)
	if e == nil {
		c.w.Int(0)
		return
	}
	expire := c.db.ExpireOf(e)
	if dst.LookupNoStats(newKey) != nil {
		if !replace {
			c.w.Int(0)
			return
		}
		dst.Delete(newKey)
	}
	n := dst.Add(newKey, e.Value.Dup())
	if expire != 0 {
		dst.SetExpire(n, expire)
	}
	dst.SignalModified(newKey)
	dst.Notify(keyspace.ClassGeneric, "copy_to", newKey)
	c.srv.markDirty(1)
	c.w.Int(1)
}
