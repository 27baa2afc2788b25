// cmd_expire.go holds the TTL commands: EXPIRE, PEXPIRE, EXPIREAT,
// PEXPIREAT with NX|XX|GT|LT, TTL, PTTL, EXPIRETIME, PEXPIRETIME and
// PERSIST, following Redis 7.0's expire.c: options are checked before the
// time argument, overflow of the unit conversion or of the base time is an
// error, and an expire time already in the past deletes the key.
package server

import (
	"fmt"
	"math"
	"strings"

	"github.com/redoubt/redoubt/internal/keyspace"
)

// expire condition flags
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

func init() {
	register("expire", func(c *Client, args [][]byte) { expireGeneric(c, args, c.srv.now(), 1000) })
	register("pexpire", func(c *Client, args [][]byte) { expireGeneric(c, args, c.srv.now(), 1) })
	register("expireat", func(c *Client, args [][]byte) { expireGeneric(c, args, 0, 1000) })
	register("pexpireat", func(c *Client, args [][]byte) { expireGeneric(c, args, 0, 1) })
	register("ttl", func(c *Client, args [][]byte) { ttlGeneric(c, args, false, false) })
	register("pttl", func(c *Client, args [][]byte) { ttlGeneric(c, args, true, false) })
	register("expiretime", func(c *Client, args [][]byte) { ttlGeneric(c, args, false, true) })
	register("pexpiretime", func(c *Client, args [][]byte) { ttlGeneric(c, args, true, true) })
	register("persist", cmdPersist)
}

// parseExpireFlags reads the NX|XX|GT|LT options after the time argument.
func (c *Client) parseExpireFlags(opts [][]byte) (int, bool) {
	flags := 0
	for _, o := range opts {
		switch strings.ToLower(string(o)) {
		case "nx":
			flags |= expireNX
		case "xx":
			flags |= expireXX
		case "gt":
			flags |= expireGT
		case "lt":
			flags |= expireLT
		default:
			c.addError("ERR Unsupported option " + string(o))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.addError("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.addError("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

// expireGeneric sets the expire time of args[1] to basetime + args[2]*unit
// milliseconds (basetime 0 for the *AT forms).
func expireGeneric(c *Client, args [][]byte, basetime, unit int64) {
	key := args[1]
	flags, ok := c.parseExpireFlags(args[3:])
	if !ok {
		return
	}
	when, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if unit != 1 {
		if when > math.MaxInt64/unit || when < math.MinInt64/unit {
			c.addError(fmt.Sprintf(errInvalidExpire, c.cmd.name))
			return
		}
		when *= unit
	}
	if when > math.MaxInt64-basetime {
		c.addError(fmt.Sprintf(errInvalidExpire, c.cmd.name))
		return
	}
	when += basetime

	e := c.db.LookupNoStats(key)
	if e == nil {
		c.w.Int(0)
		return
	}
	if flags != 0 {
		current := c.db.ExpireOf(e) // 0: no TTL, an infinite one for GT/LT
		switch {
		case flags&expireNX != 0 && current != 0,
			flags&expireXX != 0 && current == 0,
			flags&expireGT != 0 && (current == 0 || when <= current),
			flags&expireLT != 0 && current != 0 && when >= current:
			c.w.Int(0)
			return
		}
	}
	if c.expireIsPast(when) {
		c.db.Delete(key)
		c.db.SignalModified(key)
		c.db.Notify(keyspace.ClassGeneric, "del", key)
		c.srv.markDirty(1)
		c.propagateAsDel(key, c.srv.cfg.LazyfreeExpire)
		c.w.Int(1)
		return
	}
	c.db.SetExpire(e, when)
	c.propagateAsPexpireat(key, when)
	c.w.Int(1) // Redis replies before it notifies here
	c.db.SignalModified(key)
	c.db.Notify(keyspace.ClassGeneric, "expire", key)
	c.srv.markDirty(1)
}

// expireIsPast tells whether an expire time should delete the key now.
// A replica keeps the key and waits for its master's DEL.
func (c *Client) expireIsPast(when int64) bool {
	return when <= c.srv.now() && !c.srv.ks.IsReplica
}

// ttlGeneric answers TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a
// missing key, -1 for a key without TTL.
func ttlGeneric(c *Client, args [][]byte, millis, absolute bool) {
	e := c.db.LookupNoTouch(args[1])
	if e == nil {
		c.w.Int(-2)
		return
	}
	ttl := c.db.ExpireOf(e)
	if ttl == 0 {
		c.w.Int(-1)
		return
	}
	if !absolute {
		ttl -= c.srv.now()
	}
	if ttl < 0 {
		ttl = 0
	}
	if !millis {
		// rounded in unsigned arithmetic: near the int64 limit Redis's
		// (ttl+500)/1000 yields the unsigned result
		ttl = int64((uint64(ttl) + 500) / 1000)
	}
	c.w.Int(ttl)
}

func cmdPersist(c *Client, args [][]byte) {
	e := c.db.LookupNoStats(args[1])
	if e == nil || !c.db.Persist(e) {
		c.w.Int(0)
		return
	}
	c.db.SignalModified(args[1])
	c.db.Notify(keyspace.ClassGeneric, "persist", args[1])
	c.srv.markDirty(1)
	c.w.Int(1)
}
