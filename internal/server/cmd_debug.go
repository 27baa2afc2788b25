// cmd_debug.go holds DEBUG, the developer command tests rely on: SLEEP
// (block the executor), OBJECT (a key's low-level description),
// SET-ACTIVE-EXPIRE, PROTOCOL (one reply of each RESP type), LOG,
// ERROR and DIGEST / DIGEST-VALUE. It only runs when enable-debug-command allows it (see
// protectedDenial in cmd_server.go).
package server

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/digest"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("debug", cmdDebug)
}

func cmdDebug(c *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	n := len(args)
	switch {
	case sub == "help" && n == 2:
		debugHelp(c, args)
	case sub == "sleep" && n == 3:
		secs, _ := strconv.ParseFloat(strings.TrimSpace(string(args[2])), 64)
		if us := int64(secs * 1e6); us > 0 {
			time.Sleep(time.Duration(us) * time.Microsecond)
		}
		c.w.OK()
	case sub == "object" && n == 3:
		debugObject(c, args[2])
	case sub == "set-active-expire" && n == 3:
		v, _ := strconv.Atoi(leadingInt(string(args[2])))
		c.srv.debugNoActiveExpire = v == 0
		c.w.OK()
	case sub == "log" && n == 3:
		c.srv.log.Warn("DEBUG LOG: " + string(args[2]))
		c.w.OK()
	case sub == "error" && n == 3:
		c.addError(string(args[2]))
	case sub == "reload":
		debugReload(c, args[2:])
	case sub == "loadaof" && n == 2:
		debugLoadAOF(c)
	case sub == "protocol" && n == 3:
		debugProtocol(c, strings.ToLower(string(args[2])))
	case sub == "digest" && n == 2:
		d := digest.Dataset(c.srv.ks.DBs)
		c.w.Simple(d.Hex())
	case sub == "digest-value":
		// logically expired keys too, as Redis (a debug command looks
		// at the dict, not through expiry)
		c.w.ArrayLen(n - 2)
		for _, key := range args[2:] {
			var d digest.Sum
			if e := c.db.Peek(key); e != nil {
				digest.Value(&d, e.Value, c.db.ExpireOf(e) != 0)
			}
			c.w.Simple(d.Hex())
		}
	default:
		replySubcommandSyntaxError(c, args)
	}
}

// leadingInt is the prefix atoi(3) would read.
func leadingInt(s string) string {
	s = strings.TrimLeft(s, " \t\n")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return s[:end]
}

func debugObject(c *Client, key []byte) {
	e := c.db.Peek(key)
	if e == nil {
		c.addError(errNoSuchKey)
		return
	}
	lru := lruClock(c.srv.now())
	c.w.Simple(fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		e.Value, 1, e.Value.Encoding(), serializedLength(e.Value), lru, 0))
}

// serializedLength is the size of v in an RDB file, for strings; other
// types report the value's estimated size until RDB encoding exists.
// Strings are not LZF-compressed here, so long repetitive strings report
// more than Redis.
func serializedLength(v keyspace.Value) int {
	s, ok := v.(*types.String)
	if !ok {
		return int(valueMemoryUsage(v, 5))
	}
	if len(s.B) <= 11 {
		if n, err := strconv.ParseInt(string(s.B), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(s.B) {
			switch {
			case n >= -1<<7 && n < 1<<7:
				return 2
			case n >= -1<<15 && n < 1<<15:
				return 3
			case n >= -1<<31 && n < 1<<31:
				return 5
			}
		}
	}
	return rdbLenSize(len(s.B)) + len(s.B)
}

// rdbLenSize is the bytes of an RDB length prefix for n.
func rdbLenSize(n int) int {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case n <= 1<<32-1:
		return 5
	}
	return 9
}

func debugProtocol(c *Client, name string) {
	w := c.w
	switch name {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array":
		w.ArrayLen(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "set":
		w.SetLen(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "map":
		w.MapLen(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Proto >= 3 {
			w.AttributeLen(1)
			w.BulkString("key-popularity")
			w.ArrayLen(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto < 3 {
			c.addError("ERR RESP2 is not supported by this command")
			return
		}
		w.PushLen(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("txt", "This is a verbatim\nstring")
	default:
		c.addError("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

func debugHelp(c *Client, args [][]byte) {
	replyHelpLines(c, args, []string{
		"DIGEST",
		"    Reply with a hex digest of the whole dataset (Redis's algorithm).",
		"DIGEST-VALUE <key> [<key> ...]",
		"    Reply with a hex digest of each key's value.",
		"ERROR <string>",
		"    Reply with <string> as an error.",
		"LOG <message>",
		"    Append <message> to the server's log.",
		"OBJECT <key>",
		"    Describe the value stored at <key> (address, encoding, sizes, LRU).",
		"PROTOCOL <type>",
		"    Reply with a sample value of RESP type <type>: string, integer, double,",
		"    bignum, null, array, set, map, attrib, push, verbatim, true or false.",
		"SET-ACTIVE-EXPIRE <0|1>",
		"    0 stops the background expiry of keys nobody reads; 1 restores it.",
		"SLEEP <seconds>",
		"    Block the server for <seconds> (fractions allowed).",
	})
}

// debugReload is DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the dataset,
// empty it and load the file back, as a test of the round trip.
func debugReload(c *Client, opts [][]byte) {
	s := c.srv
	save, flush, merge := true, true, false
	for _, o := range opts {
		switch strings.ToLower(string(o)) {
		case "merge":
			merge = true
		case "noflush":
			flush = false
		case "nosave":
			save = false
		default:
			c.addError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	if save {
		if s.persist.job != nil {
			s.abortSave()
		}
		if err := s.rdbSave(); err != nil {
			c.addError("ERR Error trying to save the DB")
			return
		}
	}
	if flush {
		s.ks.SignalFlushed(nil)
		for _, db := range s.ks.DBs {
			db.Flush()
		}
	}
	data, err := os.ReadFile(s.rdbPath())
	if err == nil {
		// libraries stay and are replaced by the file's, as Redis's reload
		s.persist.loadMerge, s.persist.reloading = merge, true
		err = s.loadRDBBytes(data)
		s.persist.loadMerge, s.persist.reloading = false, false
	}
	if err != nil {
		c.addError("ERR Error trying to load the RDB dump, check server logs.")
		s.log.Warn("Error loading RDB on DEBUG RELOAD: " + err.Error())
		return
	}
	s.log.Info("DB reloaded by DEBUG RELOAD")
	c.w.OK()
}

// debugLoadAOF is DEBUG LOADAOF: the data set replaced by what the AOF on
// disk holds (written out first when the AOF is on). As Redis, a file that
// cannot be loaded ends the process.
func debugLoadAOF(c *Client) {
	s := c.srv
	if s.aof.state == aofOn {
		s.aofFlushAndSync()
	}
	s.ks.SignalFlushed(nil)
	for _, db := range s.ks.DBs {
		db.Flush()
	}
	s.persist.reloading = true
	err := s.loadAOF()
	s.persist.reloading = false
	if err != nil {
		s.log.Warn(err.Error())
		os.Exit(1)
	}
	c.preventPropagation()
	s.log.Info("Append Only File loaded by DEBUG LOADAOF")
	c.w.OK()
}
