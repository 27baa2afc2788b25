// db.go holds the numbered databases and the key operations every command
// goes through: lookups that apply lazy expiry and keep hit/miss counts,
// adds, overwrites, deletes and TTL changes. Callers hold the executor lock;
// nothing here is safe for concurrent use.
package keyspace

// Kind is a value's type as TYPE reports it.
type Kind uint8

const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

var kindNames = [...]string{"string", "list", "set", "zset", "hash", "stream"}

func (k Kind) String() string { return kindNames[k] }

// Value is what a key holds. Each data type in internal/types implements it.
type Value interface {
	Kind() Kind
	// Encoding is the name OBJECT ENCODING reports.
	Encoding() string
	// Dup returns a deep copy (COPY, and values shared with snapshots).
	Dup() Value
}

// Hooks let the server react to key events without the keyspace knowing
// about clients, propagation or notifications.
type Hooks struct {
	// Expired is called after a key was deleted because its TTL passed.
	Expired func(db *DB, key string)
	// KeyModified is Redis's signalModifiedKey: WATCH and client-side
	// caching invalidate on it. The server sets it only while someone
	// listens (a client WATCHes a key), as the call costs every write an
	// allocation.
	KeyModified func(db *DB, key string)
	// Event is a keyspace notification; class is the notify-keyspace-events
	// letter of the event's class ('g' generic, 'x' expired, '$' string...).
	// key is only valid during the call (a string would cost every write
	// command an allocation even with notifications off).
	Event func(db *DB, class byte, event string, key []byte)
	// Flushed is called before FLUSHDB (db set) or FLUSHALL (db nil)
	// empties the databases, so WATCH can tell which keys existed.
	Flushed func(db *DB)
	// Swapped is called after SWAPDB exchanged the contents of a and b.
	Swapped func(a, b *DB)
	// Added is called when a key is created (Redis's signalKeyAsReady in
	// dbAdd): clients blocked on that key may now be served.
	Added func(db *DB, e *Entry)
}

// Keyspace is the set of databases.
type Keyspace struct {
	DBs   []*DB
	Hooks Hooks
	// Now returns the time (unix ms) used for expiry decisions; the server
	// caches it per command so one command sees one instant.
	Now func() int64
	// IsReplica makes lookups hide expired keys without deleting them:
	// a replica waits for its master's DEL.
	IsReplica bool
	// MasterApplying is set while a replica applies its master's stream:
	// the master decides what exists, so a logically expired key is
	// still there for it (Redis's expireIfNeeded for the master client).
	MasterApplying bool

	// UseLFU makes Entry.Access an LFU counter instead of an LRU clock
	// (maxmemory-policy allkeys-lfu / volatile-lfu).
	UseLFU bool
	// LFULogFactor and LFUDecayTime are lfu-log-factor and lfu-decay-time.
	LFULogFactor int
	LFUDecayTime int

	// EntrySize estimates a key's footprint (memacct.go); nil turns the
	// dataset accounting off.
	EntrySize func(e *Entry) uint64
	dirty     []dirtyEntry

	Hits, Misses           int64
	ExpiredKeys            int64
	ExpiredStalePerc       float64
	ExpiredTimeCapReached  int64
	ExpireCycleCPUMillis   int64
	activeExpireDB         int
	activeExpireTimelimitQ bool
}

// New creates n empty databases.
func New(n int, now func() int64) *Keyspace {
	ks := &Keyspace{Now: now, LFULogFactor: 10, LFUDecayTime: 1}
	ks.DBs = make([]*DB, n)
	for i := range ks.DBs {
		ks.DBs[i] = newDB(i, ks)
	}
	return ks
}

// DB is one numbered database.
type DB struct {
	ID      int
	ks      *Keyspace
	dict    *Dict
	expires *Dict
	AvgTTL  int64
	// dataBytes is the sum of the accounted footprints of the keys.
	dataBytes int64
	// expiresCursor is where the active expiry cycle resumes.
	expiresCursor uint64
}

func newDB(id int, ks *Keyspace) *DB {
	return &DB{ID: id, ks: ks, dict: NewDict(), expires: NewDict()}
}

// Len is the number of keys (DBSIZE).
func (db *DB) Len() int { return db.dict.Len() }

// Expires is the number of keys with a TTL.
func (db *DB) Expires() int { return db.expires.Len() }

// Dict exposes the main table to SCAN, RANDOMKEY and snapshots.
func (db *DB) Dict() *Dict { return db.dict }

// expireAt is the value an expires-table entry holds: the key's expire
// time in unix ms. It is never stored in the main table.
type expireAt int64

func (expireAt) Kind() Kind                { return KindString }
func (expireAt) Encoding() string          { return "" }
func (t expireAt) Dup() Value              { return t }
func (db *DB) expireEntry(e *Entry) *Entry { return db.expires.Find([]byte(e.Key)) }

// ExpireOf returns e's expire time in unix ms, or 0 when it has no TTL.
func (db *DB) ExpireOf(e *Entry) int64 {
	if !e.volatile {
		return 0
	}
	if x := db.expireEntry(e); x != nil {
		return int64(x.Value.(expireAt))
	}
	return 0
}

// expired tells whether e's TTL passed. As Redis, a key is still alive at
// the very millisecond of its expire time.
func (db *DB) expired(e *Entry) bool {
	if !e.volatile {
		return false
	}
	at := db.ExpireOf(e)
	return at != 0 && db.ks.Now() > at
}

// expireIfNeeded deletes e when its TTL passed and reports whether the key
// is logically gone. On a replica the key is hidden but kept.
func (db *DB) expireIfNeeded(e *Entry) bool {
	if !db.expired(e) {
		return false
	}
	if db.ks.IsReplica {
		return !db.ks.MasterApplying
	}
	db.deleteExpired(e.Key)
	return true
}

// ExpireIfNeeded deletes key when its TTL passed and reports whether it is
// logically gone (DEL and SCAN reclaim expired keys they meet this way).
func (db *DB) ExpireIfNeeded(key []byte) bool {
	e := db.dict.Find(key)
	return e != nil && db.expireIfNeeded(e)
}

// IsExpired tells whether e's TTL passed, without deleting it (KEYS).
func (db *DB) IsExpired(e *Entry) bool { return db.expired(e) }

func (db *DB) deleteExpired(key string) {
	db.Delete([]byte(key))
	db.ks.ExpiredKeys++
	db.Notify(ClassExpired, "expired", []byte(key))
	if db.ks.Hooks.Expired != nil {
		db.ks.Hooks.Expired(db, key)
	}
	// an expired key is a modified one for WATCH and tracking, as Redis's
	// deleteExpiredKeyAndPropagate signals it
	if h := db.ks.Hooks.KeyModified; h != nil {
		h(db, key)
	}
}

// Lookup finds a live key for a read, counts a hit or a miss and records
// the access for OBJECT IDLETIME/FREQ and eviction.
func (db *DB) Lookup(key []byte) *Entry {
	e := db.LookupNoTouch(key)
	if e != nil {
		db.ks.touch(e)
	}
	return e
}

// LookupNoTouch finds a live key and counts a hit or a miss without
// recording an access: the lookups of EXISTS, TYPE, TTL and OBJECT, which
// inspect a key rather than use it.
func (db *DB) LookupNoTouch(key []byte) *Entry {
	e := db.LookupNoNotify(key)
	if e == nil {
		db.Notify(ClassKeyMiss, "keymiss", key)
	}
	return e
}

// LookupNoNotify is LookupNoTouch without the "keymiss" keyspace event
// (OBJECT's lookup in Redis).
func (db *DB) LookupNoNotify(key []byte) *Entry {
	e := db.dict.Find(key)
	if e == nil || db.expireIfNeeded(e) {
		db.ks.Misses++
		return nil
	}
	db.ks.Hits++
	return e
}

// LookupNoStats finds a live key for a write (Redis's lookupKeyWrite):
// hit/miss counters are left alone but the access is recorded.
func (db *DB) LookupNoStats(key []byte) *Entry {
	e := db.dict.Find(key)
	if e == nil || db.expireIfNeeded(e) {
		return nil
	}
	db.ks.touch(e)
	db.markDirty(e)
	db.beforeWriteEntry(e)
	return e
}

// Peek returns the entry even if logically expired, without side effects.
func (db *DB) Peek(key []byte) *Entry { return db.dict.Find(key) }

// Add inserts a key that does not exist and returns its entry. It emits
// the "new" keyspace event, as Redis's dbAdd.
func (db *DB) Add(key []byte, v Value) *Entry {
	db.beforeWrite(key)
	e := NewEntry(key)
	e.Value, e.Access = v, db.ks.newAccess()
	db.dict.Add(e)
	db.markDirty(e)
	db.Notify(ClassNew, "new", key)
	if h := db.ks.Hooks.Added; h != nil {
		h(db, e)
	}
	return e
}

// AddLoaded adds a key read from a file (RDB, AOF base): one hash and one
// chain walk for the duplicate check and the insert, and no keyspace
// event, as Redis's loader. It reports false, adding nothing, when the key
// exists.
func (db *DB) AddLoaded(key []byte, v Value) (*Entry, bool) {
	if e, h := db.dict.FindWithHash(key); e == nil {
		db.beforeWrite(key)
		e = NewEntry(key)
		e.Value, e.Access = v, db.ks.newAccess()
		db.dict.AddHashed(e, h)
		db.markDirty(e)
		return e, true
	}
	return nil, false
}

// Set stores v at key, creating it or replacing its value. A replaced key
// loses its TTL unless keepTTL.
func (db *DB) Set(key []byte, v Value, keepTTL bool) *Entry {
	e := db.dict.Find(key)
	if e == nil {
		return db.Add(key, v)
	}
	db.beforeWrite(key)
	e.Value = v
	db.markDirty(e)
	if !db.ks.UseLFU {
		// a new value object starts with a fresh LRU clock; under LFU
		// Redis keeps the old counter
		e.Access = db.ks.LRUClock()
	}
	if !keepTTL && e.volatile {
		db.removeExpire(e)
	}
	return e
}

// Delete removes key and reports whether it existed.
func (db *DB) Delete(key []byte) bool {
	db.beforeWrite(key)
	e := db.dict.Delete(key)
	if e == nil {
		return false
	}
	db.unaccount(e)
	if e.volatile {
		db.expires.Delete(key)
	}
	return true
}

// SetExpire sets an absolute expiry time in unix ms.
func (db *DB) SetExpire(e *Entry, at int64) {
	db.beforeWriteEntry(e)
	if !e.volatile {
		db.expires.Add(&Entry{Key: e.Key, Value: expireAt(at)})
		e.volatile = true
	} else if x := db.expireEntry(e); x != nil {
		x.Value = expireAt(at)
	}
}

// Persist removes the TTL of e and reports whether it had one.
func (db *DB) Persist(e *Entry) bool {
	if !e.volatile {
		return false
	}
	db.removeExpire(e)
	return true
}

func (db *DB) removeExpire(e *Entry) {
	db.beforeWriteEntry(e)
	db.expires.Delete([]byte(e.Key))
	e.volatile = false
}

// Expand presizes the tables for keys keys, expires of them with a TTL
// (RESIZEDB while loading).
func (db *DB) Expand(keys, expires int) {
	db.dict.Expand(keys)
	db.expires.Expand(expires)
}

// Flush removes every key and returns how many there were.
func (db *DB) Flush() int {
	n := db.dict.Len()
	db.dict = NewDict()
	db.expires = NewDict()
	db.AvgTTL = 0
	db.dataBytes = 0
	db.expiresCursor = 0
	return n
}

// SwapWith exchanges the contents of two databases (SWAPDB).
func (db *DB) SwapWith(o *DB) {
	db.dict, o.dict = o.dict, db.dict
	db.expires, o.expires = o.expires, db.expires
	db.AvgTTL, o.AvgTTL = o.AvgTTL, db.AvgTTL
	db.dataBytes, o.dataBytes = o.dataBytes, db.dataBytes
	db.expiresCursor, o.expiresCursor = o.expiresCursor, db.expiresCursor
}

// Detach moves every database's contents out into databases off the
// keyspace, leaving it empty; Reattach puts them back. A replica loading
// its master's payload with repl-diskless-load swapdb keeps its old data
// set this way, to restore it if the payload does not load.
func (ks *Keyspace) Detach() []*DB {
	out := make([]*DB, len(ks.DBs))
	for i, db := range ks.DBs {
		out[i] = newDB(i, ks)
		db.SwapWith(out[i])
	}
	return out
}

// Reattach drops what the databases hold and puts detached contents back.
func (ks *Keyspace) Reattach(saved []*DB) {
	for i, db := range ks.DBs {
		db.Flush()
		db.SwapWith(saved[i])
	}
}

// Random returns a random live key, or nil when the database is empty.
// Expired keys met on the way are reclaimed, as RANDOMKEY does.
func (db *DB) Random() *Entry {
	allVolatile := db.dict.Len() == db.expires.Len()
	for tries := 0; ; tries++ {
		e := db.dict.Random()
		if e == nil {
			return nil
		}
		if !db.expired(e) {
			return e
		}
		if allVolatile && tries > 100 && db.ks.IsReplica {
			// every key is logically expired on a replica: return one anyway
			return e
		}
		if !db.ks.IsReplica {
			db.deleteExpired(e.Key)
		}
	}
}

// Cron does the incremental housekeeping of one database: active rehashing
// and shrinking of sparse tables.
func (db *DB) Cron() {
	db.dict.ShrinkIfNeeded()
	db.expires.ShrinkIfNeeded()
	db.dict.RehashFor(1)
	db.expires.RehashFor(1)
}
