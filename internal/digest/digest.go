// Package digest computes DEBUG DIGEST and DEBUG DIGEST-VALUE exactly as
// Redis does (debug.c), so that the same dataset gives the same 40 hex
// digits on redoubt and on redis-server: replicas, AOF/RDB round trips and
// mixed deployments can be compared with one command.
//
// Redis's scheme: unordered collections (keys, set members, hash fields,
// sorted-set members) XOR the SHA1 of their elements, so order does not
// matter; ordered ones (list elements, stream entries, the parts of one
// element) "mix": digest = SHA1(digest XOR SHA1(data)).
package digest

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/types"
)

// Sum is a 20-byte digest.
type Sum [20]byte

// Hex is the digest as Redis prints it.
func (d *Sum) Hex() string { return fmt.Sprintf("%x", d[:]) }

// xor folds SHA1(p) into d.
func (d *Sum) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix folds p into d so that order matters.
func (d *Sum) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

// xorSum folds an element's or a key's own digest in, unordered.
func (d *Sum) xorSum(o *Sum) { d.xor(o[:]) }

// Redis's object type numbers, hashed first into a value's digest.
const (
	typeString = 0
	typeList   = 1
	typeSet    = 2
	typeZSet   = 3
	typeHash   = 4
	typeStream = 6
)

// mixType starts a value's digest with its Redis type number.
func (d *Sum) mixType(t uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], t)
	d.mix(b[:])
}

// Value folds v into d as xorObjectDigest does; volatile is whether the
// key has a TTL (only its presence counts, not the time).
func Value(d *Sum, v keyspace.Value, volatile bool) {
	switch v := v.(type) {
	case *types.String:
		d.mixType(typeString)
		d.mix(v.B)
	case *types.List:
		d.mixType(typeList)
		for i := range v.Len() {
			d.mix(v.At(i))
		}
	case *types.Set:
		d.mixType(typeSet)
		v.ForEach(func(m string) bool {
			d.xor([]byte(m))
			return true
		})
	case *types.ZSet:
		d.mixType(typeZSet)
		var buf []byte
		for n := v.First(); n != nil; n = n.Next() {
			var e Sum
			e.mix([]byte(n.Member))
			buf = resp.AppendDouble(buf[:0], n.Score) // "%.17g", as Redis
			e.mix(buf)
			d.xorSum(&e)
		}
	case *types.Hash:
		d.mixType(typeHash)
		v.ForEach(func(f, val []byte) bool {
			var e Sum
			e.mix(f)
			e.mix(val)
			d.xorSum(&e)
			return true
		})
	case *types.Stream:
		d.mixType(typeStream)
		var id []byte
		v.Range(types.StreamID{}, types.MaxStreamID, false, func(sid types.StreamID, fv [][]byte) bool {
			// "%U.%U": a dot, not the dash of the ID's usual form
			id = strconv.AppendUint(id[:0], sid.Ms, 10)
			id = append(id, '.')
			id = strconv.AppendUint(id, sid.Seq, 10)
			d.mix(id)
			for _, p := range fv {
				d.mix(p)
			}
			return true
		})
	}
	if volatile {
		d.xor([]byte("!!expire!!"))
	}
}

// Dataset is computeDatasetDigest: every key of every non-empty database,
// logically expired ones included, as Redis walks its dicts. All zeros
// for an empty dataset.
func Dataset(dbs []*keyspace.DB) Sum {
	var final Sum
	for i, db := range dbs {
		if db.Len() == 0 {
			continue
		}
		var id [4]byte
		binary.BigEndian.PutUint32(id[:], uint32(i))
		final.mix(id[:])
		db.Dict().ForEach(func(e *keyspace.Entry) bool {
			var d Sum
			d.mix([]byte(e.Key))
			Value(&d, e.Value, db.ExpireOf(e) != 0)
			final.xorSum(&d)
			return true
		})
	}
	return final
}
