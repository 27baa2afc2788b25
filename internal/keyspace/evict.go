// evict.go picks the keys maxmemory eviction removes, as Redis's
// evict.c: approximated LRU, LFU and TTL by sampling a few keys of each
// database into a small pool of the best candidates seen so far (the
// pool survives between evictions, so good candidates accumulate), and
// random eviction that walks the databases round robin.
package keyspace

import "math"

// EvictionScore is how a sampled key is ranked; a higher score is a
// better victim.
type EvictionScore int

const (
	ScoreLRU EvictionScore = iota // idle time
	ScoreLFU                      // 255 minus the decayed access counter
	ScoreTTL                      // the nearer the expire time, the higher
)

// evictionPoolSize is EVPOOL_SIZE.
const evictionPoolSize = 16

type poolEntry struct {
	score uint64
	key   string
	db    int
}

// EvictionPool holds the best candidates, sorted by ascending score.
type EvictionPool struct {
	entries []poolEntry
	sample  []*Entry
}

func (p *EvictionPool) insert(score uint64, key string, db int) {
	i := 0
	for i < len(p.entries) && p.entries[i].score < score {
		i++
	}
	if len(p.entries) == evictionPoolSize {
		if i == 0 {
			return // worse than every candidate of a full pool
		}
		// drop the worst to make room
		copy(p.entries, p.entries[1:i])
		i--
		p.entries[i] = poolEntry{score, key, db}
		return
	}
	p.entries = append(p.entries, poolEntry{})
	copy(p.entries[i+1:], p.entries[i:])
	p.entries[i] = poolEntry{score, key, db}
}

func (ks *Keyspace) populatePool(p *EvictionPool, db *DB, volatile bool, score EvictionScore, samples int) {
	from := db.dict
	if volatile {
		from = db.expires
	}
	p.sample = from.Sample(p.sample[:0], samples)
	for _, s := range p.sample {
		var v uint64
		switch score {
		case ScoreTTL:
			v = math.MaxUint64 - uint64(s.Value.(expireAt))
		default:
			e := s
			if volatile {
				if e = db.dict.Find([]byte(s.Key)); e == nil {
					continue
				}
			}
			if score == ScoreLFU {
				v = 255 - uint64(ks.LFUFreq(e))
			} else {
				v = uint64(ks.IdleMillis(e))
			}
		}
		p.insert(v, s.Key, db.ID)
	}
	clear(p.sample)
}

// EvictionVictim picks the key to evict by sampling: keys with a TTL only
// when volatile, ranked by score. It returns nil when there is no
// candidate at all.
func (ks *Keyspace) EvictionVictim(p *EvictionPool, volatile bool, score EvictionScore, samples int) (*DB, *Entry) {
	for {
		// Only an empty keyspace ends the search: a sample can come back
		// empty from a sparse table (one just grown, or thinned by
		// eviction), and Redis then samples again rather than fail the
		// command with OOM.
		keys := 0
		for _, db := range ks.DBs {
			from := db.dict
			if volatile {
				from = db.expires
			}
			if n := from.Len(); n > 0 {
				keys += n
				ks.populatePool(p, db, volatile, score, samples)
			}
		}
		if keys == 0 {
			return nil, nil
		}
		// the best candidate that still exists wins; stale ones are dropped
		for len(p.entries) > 0 {
			last := p.entries[len(p.entries)-1]
			p.entries = p.entries[:len(p.entries)-1]
			if last.db >= len(ks.DBs) {
				continue
			}
			db := ks.DBs[last.db]
			from := db.dict
			if volatile {
				from = db.expires
			}
			if from.Find([]byte(last.key)) != nil {
				return db, db.dict.Find([]byte(last.key))
			}
		}
	}
}

// RandomVictim picks a random key (with a TTL when volatile), taking the
// databases in turn from *next; nil when none has a candidate.
func (ks *Keyspace) RandomVictim(next *int, volatile bool) (*DB, *Entry) {
	for range ks.DBs {
		*next = (*next + 1) % len(ks.DBs)
		db := ks.DBs[*next]
		from := db.dict
		if volatile {
			from = db.expires
		}
		if from.Len() == 0 {
			continue
		}
		if e := from.Random(); e != nil {
			return db, db.dict.Find([]byte(e.Key))
		}
	}
	return nil, nil
}
