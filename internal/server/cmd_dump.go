// cmd_dump.go is DUMP and RESTORE: a key's value in Redis's DUMP payload
// (RDB type byte and value encoding, RDB version, CRC64), so payloads move
// between redoubt and Redis both ways.
package server

import (
	"strings"

	"github.com/redoubt/redoubt/internal/rdb"
)

func init() {
	register("dump", cmdDump)
	register("restore", cmdRestore)
}

func cmdDump(c *Client, args [][]byte) {
	e := c.db.LookupNoTouch(args[1])
	if e == nil {
		c.w.Null()
		return
	}
	typ, err := rdb.TypeOf(e.Value)
	if err != nil {
		c.addError("ERR " + err.Error())
		return
	}
	p := rdb.AppendValue([]byte{typ}, e.Value, c.srv.rdbSaveOptions())
	c.w.Bulk(rdb.AppendDumpFooter(p))
}

func cmdRestore(c *Client, args [][]byte) {
	s := c.srv
	var replace, absTTL bool
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "replace":
			replace = true
		case opt == "absttl":
			absTTL = true
		case opt == "idletime" && more >= 1 && freq == -1:
			v, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if v < 0 {
				c.addError("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = v
			j++
		case opt == "freq" && more >= 1 && idle == -1:
			v, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				c.addError("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = v
			j++
		default:
			c.addError(errSyntax)
			return
		}
	}
	key := args[1]
	if !replace && c.db.LookupNoStats(key) != nil {
		c.addError("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if ttl < 0 {
		c.addError("ERR Invalid TTL value, must be >= 0")
		return
	}
	body, _, err := rdb.VerifyDump(args[3])
	if err != nil {
		c.addError("ERR DUMP payload version or checksum are wrong")
		return
	}
	r := rdb.NewReader(body)
	typ, err := r.ReadType()
	if err != nil || !rdb.IsObjectType(typ) {
		c.addError("ERR Bad data format")
		return
	}
	v, err := rdb.ReadValue(r, typ, s.rdbLimits())
	if err != nil { // bytes left over are not checked, as Redis
		c.addError("ERR Bad data format")
		return
	}
	deleted := false
	if replace {
		deleted = c.db.Delete(key)
	}
	if ttl != 0 && !absTTL {
		ttl += s.now()
	}
	if ttl != 0 && ttl <= s.now() {
		// already expired: nothing is created (a replaced key is gone)
		if deleted {
			c.db.SignalModified(key)
			c.db.Notify('g', "del", key)
			s.markDirty(1)
			c.propagateAsDel(key, s.cfg.LazyfreeServerDel)
		}
		c.w.OK()
		return
	}
	e := c.db.Add(key, v)
	if ttl != 0 {
		c.db.SetExpire(e, ttl)
		if !absTTL {
			// propagated with the absolute time it set
			argv := append([][]byte(nil), args...)
			argv[2] = []byte(itoa(ttl))
			c.rewritePropagation(append(argv, []byte("ABSTTL"))...)
		}
	}
	s.ks.SetAccess(e, idle, freq)
	c.db.SignalModified(key)
	c.db.Notify('g', "restore", key)
	s.markDirty(1)
	c.w.OK()
}
