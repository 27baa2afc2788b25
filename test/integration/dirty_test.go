// dirty_test.go checks that every write command changes the dirty counter
// (INFO persistence rdb_changes_since_last_save) by the same amount as real
// Redis, since the counter drives save rules and, in Redis, propagation.
package integration

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

// dirtyScript is run line by line; after each line the dirty delta is read
// on a second connection (so lines inside MULTI are measured too).
// Pseudo-commands: "@sleep MS"; "@bsend CMD..." sends CMD on a third
// connection without reading; "@bread" reads that connection's reply.
var dirtyScript = `
SET s v
SET s v
SET s v NX
SET s v2 XX
SET nx v XX
SET s v3 GET
SET s v EX 100
SET s v KEEPTTL
SET s v EX 0
SETNX s v
SETNX s2 v
SETEX se 100 v
PSETEX pse 100000 v
SETEX se 0 v
MSET m1 a m2 b m3 c
MSET m1 a
MSETNX m1 a m9 b
MSETNX n1 a n2 b n3 c
GETSET s x
GETSET newgs x
GETDEL s
GETDEL s
GETEX m1
GETEX m1 EX 100
GETEX m1 PERSIST
GETEX m1 PERSIST
GETEX nokey EX 100
GETEX m2 PX 0
APPEND ap hello
APPEND ap world
APPEND ap ""
SETRANGE sr 5 x
SETRANGE sr 0 ""
SETRANGE sr2 0 ""
SETRANGE sr 100000000000 x
INCR i
INCRBY i 10
DECR i
DECRBY i 3
INCRBYFLOAT f 1.5
INCR ap
INCRBY i notanumber
GET s
STRLEN ap
SETBIT b 7 1
SETBIT b 7 1
SETBIT b 100 0
BITFIELD bf SET u8 0 255
BITFIELD bf GET u8 0
BITFIELD bf INCRBY u8 0 1 OVERFLOW FAIL INCRBY u8 0 1
BITFIELD bf OVERFLOW FAIL INCRBY u8 0 300
BITFIELD bf2 GET u8 0
BITFIELD_RO bf GET u8 0
BITOP AND bo b bf
BITOP OR bo nosuch1 nosuch2
BITOP NOT bo2 b
BITCOUNT b
DEL m1 m2 m3 nosuch
DEL nosuch
UNLINK n1 n2
EXISTS n3
SET r1 v
RENAME r1 r2
RENAME r2 r2
RENAME nosuch x
RENAMENX r2 n3
RENAMENX r2 r3
COPY r3 r4
COPY r3 r4
COPY r3 r4 REPLACE
COPY nosuch r5
MOVE r4 1
MOVE r4 1
MOVE nosuch 1
EXPIRE r3 100
EXPIRE r3 100 NX
EXPIRE r3 200 GT
EXPIRE nosuch 100
PEXPIRE r3 100000
EXPIREAT r3 9999999999
PEXPIREAT r3 9999999999000
PERSIST r3
PERSIST r3
PERSIST nosuch
EXPIRE r3 -1
EXPIRE r3 -1
TTL r3
SET ex1 v
PEXPIRE ex1 1
@sleep 30
GET ex1
SET ex2 v
PEXPIRE ex2 1
@sleep 30
EXISTS ex2
SET ex3 v
PEXPIRE ex3 1
@sleep 30
SET ex3 w
TOUCH ex3
SWAPDB 0 1
SWAPDB 0 1
SELECT 1
FLUSHDB
SELECT 0
HSET h a 1 b 2
HSET h a 1 c 3
HSETNX h a 9
HSETNX h z 9
HMSET h a 2 d 4
HDEL h a b nosuch
HDEL h nosuch
HDEL nosuch a
HINCRBY h n 5
HINCRBYFLOAT h fl 1.5
HINCRBY h d notnum
HGET h c
HGETALL h
HDEL h c d n fl z
EXISTS h
ZADD z 1 a 2 b
ZADD z 1 a
ZADD z 3 a
ZADD z NX 5 a 6 c
ZADD z XX 7 a 8 d
ZADD z CH 9 a 10 e
ZADD z INCR 1 a
ZADD z GT 1 a
ZADD z LT 1 a
ZINCRBY z 2 b
ZREM z b nosuch
ZREM z nosuch
ZREMRANGEBYRANK z 0 0
ZREMRANGEBYSCORE z 100 200
ZADD z 1 a 2 b 3 c 4 d
ZREMRANGEBYSCORE z 1 2
ZREMRANGEBYLEX z - +
ZADD z2 1 x 2 y 3 z
ZADD z3 1 y 2 w
ZUNIONSTORE zu 2 z2 z3
ZINTERSTORE zi 2 z2 z3
ZDIFFSTORE zd 2 z2 z3
ZINTERSTORE zi 2 z2 nosuch
ZRANGESTORE zr z2 0 -1
ZRANGESTORE zr nosuch 0 -1
ZPOPMIN z2
ZPOPMAX z2 5
ZPOPMIN nosuch
ZMPOP 1 z3 MIN COUNT 1
ZMPOP 2 nosuch z3 MAX
ZADD zbl 1 a
BZPOPMIN zbl 0
ZADD zbl2 1 a 2 b
BZMPOP 0 2 nosuch2 zbl2 MIN
ZRANGE zu 0 -1
PFADD hl a b c
PFADD hl a b c
PFADD hl
PFADD hl2
PFCOUNT hl
PFCOUNT hl
PFADD hl d
PFCOUNT hl
PFCOUNT hl hl2
PFMERGE hl3 hl hl2
PFMERGE hl3
XADD st 1-1 f v
XADD st 2-1 f v
XADD st NOMKSTREAM * f v
XADD nost NOMKSTREAM * f v
XADD st 1-1 f v
XADD st MAXLEN 1 3-1 f v
XTRIM st MAXLEN 0
XTRIM st MAXLEN 0
XADD st 4-1 f v
XADD st 5-1 f v
XDEL st 4-1 9-9
XDEL st 9-9
XSETID st 10-1
XSETID st 1-1
XGROUP CREATE st g1 0
XGROUP CREATE st g1 0
XGROUP CREATE st2 g1 0 MKSTREAM
XGROUP CREATECONSUMER st g1 c1
XGROUP CREATECONSUMER st g1 c1
XGROUP SETID st g1 0
XREADGROUP GROUP g1 c1 COUNT 1 STREAMS st >
XREADGROUP GROUP g1 c2 COUNT 1 STREAMS st >
XREADGROUP GROUP g1 c1 STREAMS st 0
XREADGROUP GROUP g1 c3 STREAMS st 0
XREADGROUP GROUP g1 c1 NOACK STREAMS st >
XADD st 11-1 f v
XREADGROUP GROUP g1 c1 NOACK STREAMS st >
XACK st g1 5-1 99-9
XACK st g1 99-9
XGROUP SETID st g1 0
XREADGROUP GROUP g1 c1 STREAMS st >
XCLAIM st g1 c4 0 5-1 11-1
XCLAIM st g1 c4 0 5-1 JUSTID
XCLAIM st g1 c4 0 99-9
XAUTOCLAIM st g1 c5 0 0
XAUTOCLAIM st g1 c5 0 0 JUSTID
XGROUP DELCONSUMER st g1 c5
XGROUP DELCONSUMER st g1 nosuch
XGROUP DESTROY st g1
XGROUP DESTROY st g1
XLEN st
XINFO STREAM st
LPUSH l a b c
RPUSH l d
LPUSHX nol a
LPOP l
RPOP l 2
LMOVE l l2 LEFT RIGHT
LMOVE nol l2 LEFT RIGHT
RPOPLPUSH l2 l
LMPOP 1 l LEFT COUNT 5
RPUSH l2 x y
LSET l2 0 x
BLPOP l2 0
@bsend BLPOP blk 0
LPUSH blk a
@bread
@bsend BRPOPLPUSH blk2 blk3 0
RPUSH blk2 a b
@bread
@bsend BZPOPMAX bz 0
ZADD bz 1 a 2 b
@bread
XGROUP CREATE bs gb $ MKSTREAM
@bsend XREADGROUP GROUP gb c BLOCK 0 STREAMS bs >
XADD bs 1-1 f v
@bread
SADD sa a b
SREM sa a
SMOVE sa sb b
SPOP nosuch
SINTERSTORE si sa sb
SADD so 3 1 2
SORT so STORE sorted
SORT nosuch STORE sorted
MULTI
SET t1 v
INCR t2
DEL t1 nosuch
EXEC
MULTI
GET t2
EXEC
MULTI
SET t3 v
DISCARD
MULTI
SET t4 v
NOSUCHCMD
EXEC
EVAL "redis.call('SET','e1','v') redis.call('DEL','e1','e2') return 1" 0
EVAL "return redis.call('GET','e1')" 0
EVAL "redis.call('HSET','eh','a','1','b','2') return 1" 0
FUNCTION LOAD "#!lua name=lib\nredis.register_function('f', function(k, a) return redis.call('INCR', k[1]) end)"
FCALL f 1 fk
FUNCTION DELETE lib
SET big v
FLUSHDB
SET big v
FLUSHDB
MSET a 1 b 2 c 3
SELECT 1
SET x y
SELECT 0
FLUSHALL
FLUSHALL
SET after v
GETEX after EXAT 1
SET after v
EXPIRE after -5
SET after v
PEXPIREAT after 1
SETEX sx 1000 v
RESTORE-NOT-A-COMMAND x
SET s v GET
LPUSH wrong a
SET wrong v GET
GETSET wrong v
INCRBYFLOAT wrong 1
APPEND wrong x
SETRANGE nsr 3 abc
SETRANGE nsr 0 ""
SETBIT nsb 0 0
BITFIELD nsb2 SET u8 0 0
BITFIELD nsb2 SET u8 0 0
BITFIELD nsb2 INCRBY u8 0 0
BITOP AND nothing n1 n2
HINCRBYFLOAT hf x 2.5
HINCRBYFLOAT hf x notnum
HSET wrong a b
HSETNX hf y 1
HMSET hf y 2 z 3
HDEL hf x y z
ZINCRBY zn +inf a
ZINCRBY zn -inf a
ZADD zn 1 b nan c
ZADD zn XX 5 nosuch
ZADD zn NX 9 b
ZADD zn GT CH 0 b 2 b
ZADD nozset XX 1 a
ZREMRANGEBYRANK zn 10 20
ZREMRANGEBYSCORE nosuch 0 1
ZREMRANGEBYLEX zn [a [a
ZADD zw 1 a 2 b
ZADD zw2 3 a
ZINTERSTORE zwi 2 zw zw2 WEIGHTS 2 3 AGGREGATE MAX
ZUNIONSTORE zwi 1 nosuch
ZUNIONSTORE zwi 1 nosuch
ZDIFFSTORE zwd 1 zw
ZRANGESTORE zwr zw 0 0 REV
ZPOPMIN zw 0
ZPOPMAX nosuch 3
ZMPOP 1 zw MAX COUNT 10
RPUSH li a b c d e a
LINSERT li BEFORE c x
LINSERT li BEFORE nosuch x
LREM li 0 a
LREM li 0 nosuch
LTRIM li 1 2
LTRIM li 0 -1
LTRIM li 5 10
RPUSHX li a
RPUSHX nosuch a
LPOS li a
SADD sx2 a b c d
SPOP sx2 2
SPOP sx2
SREM sx2 nosuch
SMOVE sx2 sx3 nosuch
SUNIONSTORE su sx2 sx3
SDIFFSTORE sd sx2 sx2
SINTERSTORE si2 nosuch sx2
SRANDMEMBER su 2
@bsend BLMPOP 0 1 bm LEFT COUNT 5
RPUSH bm a b c
@bread
@bsend BLMOVE bmv bmd LEFT RIGHT 0
RPUSH bmv a
@bread
@bsend BZMPOP 0 1 bzm MIN COUNT 2
ZADD bzm 1 a 2 b 3 c
@bread
XGROUP CREATE bn gn $ MKSTREAM
@bsend XREADGROUP GROUP gn c NOACK BLOCK 0 STREAMS bn >
XADD bn 1-1 f v
@bread
XADD bn MAXLEN 1 2-1 f v
XADD bn MAXLEN ~ 1 3-1 f v
XGROUP CREATE bn gx 0 ENTRIESREAD 1
XREADGROUP GROUP gx c1 STREAMS bn >
XREADGROUP GROUP gx c1 STREAMS bn >
XDEL bn 3-1
XCLAIM bn gx c2 0 3-1
XCLAIM bn gx c2 0 9-9 LASTID 50-0
XCLAIM bn gx c2 0 9-9 LASTID 50-0
XADD bn 60-1 f v
XREADGROUP GROUP gx c1 STREAMS bn >
XDEL bn 60-1
XAUTOCLAIM bn gx c9 0 0
XAUTOCLAIM bn gx c9 0 0
XINFO GROUPS bn
XGROUP SETID bn gx $
XGROUP CREATECONSUMER bn gx c9
XGROUP DELCONSUMER bn gx c9
PFADD hx a
PFDEBUG TODENSE hx
PFDEBUG TODENSE hx
PFADD hy a
PFDEBUG GETREG hy
PFDEBUG GETREG hy
PFDEBUG ENCODING hy
PFCOUNT hx
PFCOUNT hx
COPY s cs DB 1
COPY s cs DB 1
SWAPDB 0 0
SWAPDB 0 99
FLUSHDB ASYNC
MSET q1 1 q2 2
FLUSHALL SYNC
MULTI
SET m1 v
LPUSH m1 x
INCR m2
EXEC
MULTI
SET m3 v
EXPIRE m3 100
PERSIST m3
DEL m3
EXEC
WATCH w
SET w v
MULTI
SET w v2
EXEC
EVAL "redis.call('INCR','ei') redis.call('INCR','ei') return redis.call('GET','ei')" 0
EVAL "redis.call('SET','ej','v') return redis.pcall('LPUSH','ej','x')" 0
EVAL "redis.call('SET','ek','v') return redis.call('LPUSH','ek','x')" 0
EVAL "return redis.call('ZADD','ez','1','a','2','b','3','c')" 0
SCRIPT FLUSH
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('g', function(k, a) return redis.call('SET', k[1], a[1]) end)"
FCALL g 1 gk gv
FUNCTION FLUSH
FUNCTION FLUSH
`

// splitDirtyLine splits on spaces, keeping double-quoted words (with \n
// escapes) together.
func splitDirtyLine(line string) []string {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			end := strings.Index(line[1:], "\"")
			out = append(out, strings.ReplaceAll(line[1:1+end], `\n`, "\n"))
			line = line[end+2:]
			continue
		}
		w, rest, _ := strings.Cut(line, " ")
		out = append(out, w)
		line = rest
	}
	return out
}

var dirtyRe = regexp.MustCompile(`rdb_changes_since_last_save:(\d+)`)

func readDirty(t *testing.T, c *testutil.RawConn) int64 {
	t.Helper()
	m := dirtyRe.FindStringSubmatch(c.Do("INFO", "persistence").Body())
	if m == nil {
		t.Fatal("no rdb_changes_since_last_save in INFO persistence")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

type dirtyStep struct {
	line  string
	delta int64
	reply string
}

func runDirtyScript(t *testing.T, addr string) []dirtyStep {
	cmd := testutil.DialRaw(t, addr)
	info := testutil.DialRaw(t, addr)
	blk := testutil.DialRaw(t, addr)
	var steps []dirtyStep
	last := readDirty(t, info)
	for _, line := range strings.Split(dirtyScript, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		args := splitDirtyLine(line)
		reply := ""
		switch args[0] {
		case "@sleep":
			ms, _ := strconv.Atoi(args[1])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			continue
		case "@bsend":
			blk.Send(args[1:]...)
			// the pop must be blocked before the next line serves it
			waitOneBlocked(t, info)
		case "@bread":
			reply = blk.ReadRaw()
		default:
			reply = cmd.DoRaw(args...)
		}
		now := readDirty(t, info)
		steps = append(steps, dirtyStep{line, now - last, reply})
		last = now
	}
	return steps
}

// waitOneBlocked polls INFO clients until one client is blocked.
func waitOneBlocked(t *testing.T, info *testutil.RawConn) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if strings.Contains(info.Do("INFO", "clients").Body(), "blocked_clients:1") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("client never blocked")
}

func TestDirtyCounterMatchesRedis(t *testing.T) {
	results := map[string][]dirtyStep{}
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		results[t.Name()[strings.LastIndex(t.Name(), "/")+1:]] = runDirtyScript(t, p.Addr)
	})
	want, got := results["redis"], results["redoubt"]
	if want == nil || got == nil {
		t.Skip("one server did not run")
	}
	if len(want) != len(got) {
		t.Fatalf("step counts differ: redis %d, redoubt %d", len(want), len(got))
	}
	t.Logf("%d command lines compared", len(want))
	bad := 0
	for i := range want {
		if want[i].delta != got[i].delta {
			bad++
			if bad <= 60 {
				t.Errorf("%s: dirty +%d in redis, +%d in redoubt (replies %q / %q)",
					want[i].line, want[i].delta, got[i].delta, trimReply(want[i].reply), trimReply(got[i].reply))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d lines differ", bad, len(want))
	}
}

func trimReply(s string) string {
	if len(s) > 60 {
		return s[:60] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}
