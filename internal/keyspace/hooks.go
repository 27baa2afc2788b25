// hooks.go gives commands one call per key event (modification,
// notification, flush, swap) that forwards to Keyspace.Hooks when the
// server installed them, so WATCH, client tracking and keyspace
// notifications can be attached without touching the command handlers.
package keyspace

// Notification classes, as the letters of notify-keyspace-events.
const (
	ClassGeneric byte = 'g'
	ClassString  byte = '$'
	ClassList    byte = 'l'
	ClassSet     byte = 's'
	ClassHash    byte = 'h'
	ClassZSet    byte = 'z'
	ClassStream  byte = 't'
	ClassExpired byte = 'x'
	ClassEvicted byte = 'e'
	ClassKeyMiss byte = 'm'
	ClassNew     byte = 'n'
)

// SignalModified reports that key was changed by a command.
func (db *DB) SignalModified(key []byte) {
	if db.ks.EntrySize != nil {
		if e := db.dict.Find(key); e != nil {
			db.markDirty(e)
		}
	}
	if h := db.ks.Hooks.KeyModified; h != nil {
		h(db, string(key))
	}
}

// Notify emits a keyspace event for key.
func (db *DB) Notify(class byte, event string, key []byte) {
	if h := db.ks.Hooks.Event; h != nil {
		h(db, class, event, key)
	}
}

// SignalFlushed reports FLUSHDB of db, or FLUSHALL when db is nil, before
// the databases are emptied.
func (ks *Keyspace) SignalFlushed(db *DB) {
	if h := ks.Hooks.Flushed; h != nil {
		h(db)
	}
}

// SignalSwapped reports SWAPDB of a and b.
func (ks *Keyspace) SignalSwapped(a, b *DB) {
	if h := ks.Hooks.Swapped; h != nil {
		h(a, b)
	}
}
