// cmd_zset_blocking.go holds BZPOPMIN, BZPOPMAX and BZMPOP: the pops of
// cmd_zset.go that, finding all their keys empty, block on them through
// blocking.go until a ZADD (or anything else creating one of the keys as a
// sorted set) serves them, first blocked first.
package server

import (
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("bzpopmin", func(c *Client, args [][]byte) { c.bzpopMinMax(args, false) })
	register("bzpopmax", func(c *Client, args [][]byte) { c.bzpopMinMax(args, true) })
	register("bzmpop", cmdBzmpop)
}

// BZPOPMIN|BZPOPMAX key [key ...] timeout: the reply is flat, [key,
// member, score], in both protocols.
func (c *Client) bzpopMinMax(args [][]byte, fromMax bool) {
	timeout, ok := c.timeoutArg(args[len(args)-1], true)
	if !ok {
		return
	}
	c.blockingZpop(args[1:len(args)-1], fromMax, -1, false, timeout)
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: options are
// checked before the timeout, as Redis's zmpopGenericCommand does.
func cmdBzmpop(c *Client, args [][]byte) {
	keys, fromMax, count, ok := c.zmpopArgs(args, 2)
	if !ok {
		return
	}
	timeout, ok := c.timeoutArg(args[1], true)
	if !ok {
		return
	}
	c.blockingZpop(keys, fromMax, count, true, timeout)
}

// blockingZpop pops from the first non-empty key of keys, or blocks on all
// of them (inside MULTI it answers a null array at once, as a timeout).
// nested selects BZMPOP's [key, [[member, score]...]] shape.
func (c *Client) blockingZpop(keys [][]byte, fromMax bool, count int64, nested bool, timeout int64) {
	for _, key := range keys {
		z, ok := c.zsetWrite(key)
		if !ok {
			return
		}
		if z == nil || z.Len() == 0 {
			continue
		}
		c.zpopGeneric([][]byte{key}, fromMax, true, count, nested, nested)
		c.rewriteAsZpop(key, fromMax, count)
		return
	}
	if c.denyBlocking() {
		c.w.NullArray()
		return
	}
	c.blockForKeys(keyspace.KindZSet, keys, timeout, func(r *Client, key []byte, e *keyspace.Entry) bool {
		if z, ok := e.Value.(*types.ZSet); !ok || z.Len() == 0 {
			return false
		}
		r.zpopGeneric([][]byte{key}, fromMax, true, count, nested, nested)
		r.forcePropagation(propAll)
		r.rewriteAsZpop(key, fromMax, count)
		return true
	}, nil)
}

// rewriteAsZpop makes a blocking pop propagate as the ZPOPMIN/ZPOPMAX it
// amounted to.
func (c *Client) rewriteAsZpop(key []byte, fromMax bool, count int64) {
	verb := []byte("ZPOPMIN")
	if fromMax {
		verb = []byte("ZPOPMAX")
	}
	if count < 0 {
		c.rewritePropagation(verb, key)
		return
	}
	c.rewritePropagation(verb, key, []byte(itoa(count)))
}
