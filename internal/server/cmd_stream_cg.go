// cmd_stream_cg.go implements stream reads and consumer groups: XREAD,
// XREADGROUP (blocking through blocking.go), XGROUP, XACK, XPENDING,
// XCLAIM, XAUTOCLAIM and XINFO, following Redis 7.0's t_stream.c order of
// checks and replies.
package server

import (
	"fmt"
	"strings"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("xread", cmdXread)
	register("xreadgroup", cmdXread)
	register("xgroup|create", cmdXgroup)
	register("xgroup|setid", cmdXgroup)
	register("xgroup|destroy", cmdXgroup)
	register("xgroup|createconsumer", cmdXgroup)
	register("xgroup|delconsumer", cmdXgroup)
	register("xgroup|help", func(c *Client, args [][]byte) { replyHelpLines(c, args, xgroupHelp) })
	register("xack", cmdXack)
	register("xpending", cmdXpending)
	register("xclaim", cmdXclaim)
	register("xautoclaim", cmdXautoclaim)
	register("xinfo|stream", cmdXinfo)
	register("xinfo|groups", cmdXinfo)
	register("xinfo|consumers", cmdXinfo)
	register("xinfo|help", func(c *Client, args [][]byte) { replyHelpLines(c, args, xinfoHelp) })
	streamReadyHook = func(c *Client, key []byte) {
		if c.srv.blocking.byKind[keyspace.KindStream] > 0 {
			c.srv.signalKeyAsReady(c.db, string(key), keyspace.KindStream)
		}
	}
}

var xgroupHelp = []string{
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
}

var xinfoHelp = []string{
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
}

// maxID marks a ">" read in XREADGROUP.
var maxID = types.MaxStreamID

// xreadCount is XREAD_BLOCKED_DEFAULT_COUNT.
const xreadBlockedDefaultCount = 1000

// createConsumer is streamCreateConsumer with its keyspace event.
func (c *Client) createConsumer(g *types.StreamGroup, name []byte, key []byte) *types.StreamConsumer {
	cons := g.CreateConsumer(string(name), c.srv.now())
	if cons != nil {
		c.srv.markDirty(1)
		c.db.Notify(keyspace.ClassStream, "xgroup-createconsumer", key)
	}
	return cons
}

// consumerFor is streamLookupConsumer(SLC_DEFAULT): it refreshes the
// seen time; created (and then reported) when missing.
func (c *Client) consumerFor(g *types.StreamGroup, name, key []byte) (cons *types.StreamConsumer, created bool) {
	cons = g.Consumer(string(name))
	if cons == nil {
		cons = c.createConsumer(g, name, key)
		created = true
	}
	cons.SeenTime = c.srv.now()
	return cons, created
}

// groupRead names what a consumer-group read delivers to, for its reply
// and its propagation (Redis's streamPropInfo plus the consumer).
type groupRead struct {
	g         *types.StreamGroup
	cons      *types.StreamConsumer
	key       []byte
	groupName []byte
	noack     bool
}

// streamReplyRange writes the entries with id >= start (at most count, 0
// for all) as an array, delivering them to the group's consumer unless
// noack, as Redis's streamReplyWithRange with a group (gr nil without).
// Each delivery propagates as an XCLAIM; a NOACK read that moved the
// group propagates its new last ID. It returns the number of entries.
func (c *Client) streamReplyRange(s *types.Stream, start types.StreamID, count int64, gr *groupRead) int {
	d := c.w.Defer()
	n := 0
	now := c.srv.now()
	lastIDMoved := false
	s.Range(start, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
		if gr != nil && gr.g.LastID.Less(id) {
			s.AdvanceGroup(gr.g, id)
			lastIDMoved = true
		}
		writeStreamEntry(c.w, id, fv)
		if gr != nil && !gr.noack {
			gr.g.Deliver(id, gr.cons, now)
			if c.srv.propagating() {
				c.propagateXclaim(gr.key, gr.groupName, gr.g, id.AppendTo(nil), gr.g.PEL.Get(id))
			}
		}
		n++
		return count == 0 || int64(n) < count
	})
	if gr != nil && gr.noack && lastIDMoved && c.srv.propagating() {
		c.propagateGroupID(gr.key, gr.groupName, gr.g)
	}
	c.w.SetArrayLen(d, n)
	return n
}

// streamReplyHistory is streamReplyWithRangeFromConsumerPEL: the
// consumer's pending entries from start; deleted entries have nil fields.
func (c *Client) streamReplyHistory(s *types.Stream, start types.StreamID, count int64, cons *types.StreamConsumer) {
	type item struct {
		id   types.StreamID
		nack *types.StreamNACK
	}
	var items []item
	cons.PEL.Ascend(start, func(id types.StreamID, n *types.StreamNACK) bool {
		items = append(items, item{id, n})
		return count == 0 || int64(len(items)) < count
	})
	c.w.ArrayLen(len(items))
	now := c.srv.now()
	for _, it := range items {
		found := false
		s.Range(it.id, it.id, false, func(id types.StreamID, fv [][]byte) bool {
			writeStreamEntry(c.w, id, fv)
			found = true
			return false
		})
		if !found {
			c.w.ArrayLen(2)
			c.w.Bulk(it.id.AppendTo(nil))
			c.w.NullArray()
			continue
		}
		it.nack.DeliveryTime = now
		it.nack.DeliveryCount++
	}
}

// XREAD [COUNT n] [BLOCK ms] STREAMS key... id... and
// XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...
func cmdXread(c *Client, args [][]byte) {
	xreadgroup := c.cmd.name == "xreadgroup"
	timeout := int64(-1)
	count := int64(0)
	streamsArg, nstreams := 0, 0
	noack := false
	var group, consumer []byte
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case equalFoldASCII(o, "block") && more > 0:
			i++
			t, ok := c.timeoutArg(args[i], false)
			if !ok {
				return
			}
			timeout = t
		case equalFoldASCII(o, "count") && more > 0:
			i++
			n, ok := parseInt(args[i])
			if !ok {
				c.addError(errNotInt)
				return
			}
			if n < 0 {
				n = 0
			}
			count = n
		case equalFoldASCII(o, "streams") && more > 0:
			streamsArg = i + 1
			nstreams = len(args) - streamsArg
			if nstreams%2 != 0 {
				c.addError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return
			}
			nstreams /= 2
			i = len(args)
		case equalFoldASCII(o, "group") && more >= 2:
			if !xreadgroup {
				c.addError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			group, consumer = args[i+1], args[i+2]
			i += 2
		case equalFoldASCII(o, "noack"):
			if !xreadgroup {
				c.addError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			noack = true
		default:
			c.addError(errSyntax)
			return
		}
	}
	if streamsArg == 0 {
		c.addError(errSyntax)
		return
	}
	if xreadgroup && group == nil {
		c.addError("ERR Missing GROUP option for XREADGROUP")
		return
	}
	keys := args[streamsArg : streamsArg+nstreams]
	ids := make([]types.StreamID, nstreams)
	groups := make([]*types.StreamGroup, nstreams)
	for i := range keys {
		s, ok := c.streamOf(c.db.Lookup(keys[i]))
		if !ok {
			return
		}
		if group != nil {
			var g *types.StreamGroup
			if s != nil {
				g = s.Group(string(group))
			}
			if g == nil {
				c.addError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", keys[i], group))
				return
			}
			groups[i] = g
		}
		arg := args[streamsArg+nstreams+i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if xreadgroup {
				c.addError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if s != nil {
				ids[i] = s.LastID
			}
		case len(arg) == 1 && arg[0] == '>':
			if !xreadgroup {
				c.addError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids[i] = maxID
		default:
			id, _, ok := c.parseStreamID(arg, 0, true, false)
			if !ok {
				return
			}
			ids[i] = id
		}
	}
	served := 0
	var d = c.w.Defer()
	for i, key := range keys {
		e := c.db.Lookup(key)
		if e == nil {
			continue
		}
		s := e.Value.(*types.Stream)
		gt := ids[i]
		sync, history := false, false
		var cons *types.StreamConsumer
		if group != nil {
			if gt != maxID {
				sync, history = true, true
			} else if s.Len() > 0 {
				if groups[i].LastID.Less(s.LastLive()) {
					sync = true
					gt = groups[i].LastID
				}
			}
		} else if s.Len() > 0 && gt.Less(s.LastLive()) {
			sync = true
		}
		if !sync {
			continue
		}
		served++
		if c.w.Proto == 2 {
			c.w.ArrayLen(2)
		}
		c.w.Bulk(key)
		// created only when served, after the key (its event lands there)
		var gr *groupRead
		if group != nil {
			var created bool
			cons, created = c.consumerFor(groups[i], consumer, key)
			// without NOACK the XCLAIMs of the deliveries create it
			if created && noack && c.srv.propagating() {
				c.propagateConsumerCreation(key, group, cons.Name)
			}
			gr = &groupRead{g: groups[i], cons: cons, key: key, groupName: group, noack: noack}
		}
		start, _ := gt.Incr()
		if history {
			c.streamReplyHistory(s, start, count, cons)
		} else {
			c.streamReplyRange(s, start, count, gr)
		}
		if group != nil {
			c.srv.markDirty(1)
		}
	}
	// what a group read changed propagates as its effects (above), never
	// as the read itself
	c.preventPropagation()
	if served > 0 {
		if c.w.Proto == 2 {
			c.w.SetArrayLen(d, served)
		} else {
			c.w.SetMapLen(d, served)
		}
		return
	}
	if timeout == -1 {
		c.w.NullArray()
		return
	}
	if c.denyBlocking() {
		c.w.NullArray()
		return
	}
	c.blockOnStreams(keys, ids, timeout, count, group, consumer, noack)
}

// blockOnStreams blocks an XREAD/XREADGROUP client until one of its keys
// gets entries past the ID it waits for (">" follows the group's last ID).
func (c *Client) blockOnStreams(keys [][]byte, ids []types.StreamID, timeout, count int64, group, consumer []byte, noack bool) {
	if count == 0 {
		count = xreadBlockedDefaultCount
	}
	want := map[string]types.StreamID{}
	for i, k := range keys {
		if _, dup := want[string(k)]; !dup {
			want[string(k)] = ids[i]
		}
	}
	group = append([]byte(nil), group...)
	consumer = append([]byte(nil), consumer...)
	grouped := len(group) > 0 || c.cmd.name == "xreadgroup"
	c.blockForKeys(keyspace.KindStream, keys, timeout, func(r *Client, key []byte, e *keyspace.Entry) bool {
		s := e.Value.(*types.Stream)
		gt := want[string(key)]
		var g *types.StreamGroup
		if grouped {
			g = s.Group(string(group))
			if g == nil {
				r.addError("NOGROUP the consumer group this client was blocked on no longer exists")
				return true
			}
			gt = g.LastID
		}
		if !gt.Less(s.LastID) {
			return false
		}
		start, _ := gt.Incr()
		var gr *groupRead
		if g != nil {
			cons, created := r.consumerFor(g, consumer, key)
			if created && noack && r.srv.propagating() {
				r.propagateConsumerCreation(key, group, cons.Name)
			}
			gr = &groupRead{g: g, cons: cons, key: key, groupName: group, noack: noack}
		}
		if r.w.Proto == 2 {
			r.w.ArrayLen(1)
			r.w.ArrayLen(2)
		} else {
			r.w.MapLen(1)
		}
		r.w.Bulk(key)
		r.streamReplyRange(s, start, count, gr)
		return true
	}, nil)
}

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER
func cmdXgroup(c *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	mkstream := false
	entriesRead := int64(types.InvalidEntriesRead)
	for i := 5; i < len(args); {
		switch {
		case sub == "create" && equalFoldASCII(args[i], "mkstream"):
			mkstream = true
			i++
		case (sub == "create" || sub == "setid") && equalFoldASCII(args[i], "entriesread") && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok {
				c.addError(errNotInt)
				return
			}
			if n < 0 && n != types.InvalidEntriesRead {
				c.addError("ERR value for ENTRIESREAD must be positive or -1")
				return
			}
			entriesRead = n
			i += 2
		default:
			c.replySubcommandSyntaxError(args)
			return
		}
	}
	key := args[2]
	s, ok := c.streamOf(c.db.LookupNoStats(key))
	if !ok {
		return
	}
	name := string(args[3])
	var g *types.StreamGroup
	if !mkstream {
		if s == nil {
			c.addError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		g = s.Group(name)
		if g == nil && (sub == "setid" || sub == "createconsumer" || sub == "delconsumer") {
			c.addError(fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", name, key))
			return
		}
	}
	switch sub {
	case "create":
		if len(args) > 8 {
			c.replySubcommandSyntaxError(args)
			return
		}
		var id types.StreamID
		if len(args[4]) == 1 && args[4][0] == '$' {
			if s != nil {
				id = s.LastID
			}
		} else {
			var ok bool
			if id, _, ok = c.parseStreamID(args[4], 0, true, false); !ok {
				return
			}
		}
		if s == nil {
			s = types.NewStream()
			c.db.Add(key, s)
			c.db.SignalModified(key)
		}
		if s.CreateGroup(name, id, entriesRead) == nil {
			c.addError("BUSYGROUP Consumer Group name already exists")
			return
		}
		c.w.OK()
		c.srv.markDirty(1)
		c.db.Notify(keyspace.ClassStream, "xgroup-create", key)
	case "setid":
		if len(args) != 5 && len(args) != 7 {
			c.replySubcommandSyntaxError(args)
			return
		}
		var id types.StreamID
		if len(args[4]) == 1 && args[4][0] == '$' {
			id = s.LastID
		} else {
			var ok bool
			if id, _, ok = c.parseStreamID(args[4], 0, false, false); !ok {
				return
			}
		}
		g.LastID = id
		g.EntriesRead = entriesRead
		c.w.OK()
		c.srv.markDirty(1)
		c.db.Notify(keyspace.ClassStream, "xgroup-setid", key)
	case "destroy":
		if g == nil {
			c.w.Int(0)
			return
		}
		s.DestroyGroup(name)
		c.w.Int(1)
		c.srv.markDirty(1)
		c.db.Notify(keyspace.ClassStream, "xgroup-destroy", key)
		// XREADGROUP clients blocked on the group get -NOGROUP.
		if c.srv.blocking.byKind[keyspace.KindStream] > 0 {
			c.srv.signalKeyAsReady(c.db, string(key), keyspace.KindStream)
		}
	case "createconsumer":
		if c.createConsumer(g, args[4], key) != nil {
			c.w.Int(1)
		} else {
			c.w.Int(0)
		}
	case "delconsumer":
		// the event comes before the reply, and only for an existing consumer
		n := g.DeleteConsumer(string(args[4]))
		if n < 0 {
			n = 0
		} else {
			c.srv.markDirty(1)
			c.db.Notify(keyspace.ClassStream, "xgroup-delconsumer", key)
		}
		c.w.Int(int64(n))
	}
}

// XACK key group id [id ...]
func cmdXack(c *Client, args [][]byte) {
	_, g, ok := c.streamGroup(args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.w.Int(0)
		return
	}
	ids, ok := c.parseStreamIDs(args[3:])
	if !ok {
		return
	}
	n := 0
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	c.srv.markDirty(int64(n))
	c.w.Int(int64(n))
}

// XPENDING key group [[IDLE min-idle] start end count [consumer]]
func cmdXpending(c *Client, args [][]byte) {
	justInfo := len(args) == 3
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.addError(errSyntax)
		return
	}
	var start, end types.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		si := 3
		if equalFoldASCII(args[3], "idle") {
			n, ok := parseInt(args[4])
			if !ok {
				c.addError(errNotInt)
				return
			}
			minIdle = n
			if len(args) < 8 {
				c.addError(errSyntax)
				return
			}
			si += 2
		}
		n, ok := parseInt(args[si+2])
		if !ok {
			c.addError(errNotInt)
			return
		}
		if n < 0 {
			n = 0
		}
		count = n
		var ex bool
		if start, ex, ok = c.parseRangeID(args[si], 0); !ok {
			return
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				c.addError("ERR invalid start ID for the interval")
				return
			}
		}
		if end, ex, ok = c.parseRangeID(args[si+1], ^uint64(0)); !ok {
			return
		}
		if ex {
			if end, ok = end.Decr(); !ok {
				c.addError("ERR invalid end ID for the interval")
				return
			}
		}
		if si+3 < len(args) {
			consumer = args[si+3]
		}
	}
	_, g, ok := c.streamGroup(args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.addError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'", args[1], args[2]))
		return
	}
	if justInfo {
		c.w.ArrayLen(4)
		c.w.Int(int64(g.PEL.Len()))
		if g.PEL.Len() == 0 {
			c.w.Null()
			c.w.Null()
			c.w.NullArray()
			return
		}
		c.w.Bulk(g.PEL.First().AppendTo(nil))
		c.w.Bulk(g.PEL.Last().AppendTo(nil))
		d := c.w.Defer()
		n := 0
		for _, cons := range g.Consumers() {
			if cons.PEL.Len() == 0 {
				continue
			}
			c.w.ArrayLen(2)
			c.w.BulkString(cons.Name)
			c.w.BulkInt(int64(cons.PEL.Len()))
			n++
		}
		c.w.SetArrayLen(d, n)
		return
	}
	pel := &g.PEL
	if consumer != nil {
		cons := g.Consumer(string(consumer))
		if cons == nil {
			c.w.ArrayLen(0)
			return
		}
		pel = &cons.PEL
	}
	now := c.srv.now()
	d := c.w.Defer()
	n := 0
	pel.Ascend(start, func(id types.StreamID, nack *types.StreamNACK) bool {
		if count == 0 || end.Less(id) {
			return false
		}
		idle := now - nack.DeliveryTime
		if minIdle != 0 && idle < minIdle {
			return true
		}
		n++
		count--
		c.w.ArrayLen(4)
		c.w.Bulk(id.AppendTo(nil))
		c.w.BulkString(nack.Consumer.Name)
		if idle < 0 {
			idle = 0
		}
		c.w.Int(idle)
		c.w.Int(nack.DeliveryCount)
		return true
	})
	c.w.SetArrayLen(d, n)
}

// writeClaimed writes a claimed entry (or its ID), nil when deleted.
func (c *Client) writeClaimed(s *types.Stream, id types.StreamID, justID bool) {
	if justID {
		c.w.Bulk(id.AppendTo(nil))
		return
	}
	found := false
	s.Range(id, id, false, func(id types.StreamID, fv [][]byte) bool {
		writeStreamEntry(c.w, id, fv)
		found = true
		return false
	})
	if !found {
		c.w.Null()
	}
}

// entryExists is streamEntryExists.
func entryExists(s *types.Stream, id types.StreamID) bool {
	found := false
	s.Range(id, id, false, func(types.StreamID, [][]byte) bool {
		found = true
		return false
	})
	return found
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms]
// [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
func cmdXclaim(c *Client, args [][]byte) {
	s, g, ok := c.streamGroup(args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.addError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'", args[1], args[2]))
		return
	}
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.addError("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	var ids []types.StreamID
	j := 5
	for ; j < len(args); j++ {
		id, ok := parseStrictIDQuiet(args[j])
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.srv.now()
	retry, delivery := int64(-1), int64(-1)
	force, justID := false, false
	var lastID types.StreamID
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		o := args[j]
		switch {
		case equalFoldASCII(o, "force"):
			force = true
		case equalFoldASCII(o, "justid"):
			justID = true
		case equalFoldASCII(o, "idle") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				c.addError("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			delivery = now - n
		case equalFoldASCII(o, "time") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				c.addError("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			delivery = n
		case equalFoldASCII(o, "retrycount") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				c.addError("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retry = n
		case equalFoldASCII(o, "lastid") && more > 0:
			j++
			id, _, ok := c.parseStreamID(args[j], 0, true, false)
			if !ok {
				return
			}
			lastID = id
		default:
			c.addError(fmt.Sprintf("ERR Unrecognized XCLAIM option '%s'", o))
			return
		}
	}
	// a raised group last ID is a change of its own unless an XCLAIM of
	// an entry carries it (Redis's propagate_last_id)
	propagateLastID := false
	if g.LastID.Less(lastID) {
		g.LastID = lastID
		propagateLastID = true
	}
	if delivery != -1 {
		if delivery < 0 || delivery > now {
			delivery = now
		}
	} else {
		delivery = now
	}
	var cons *types.StreamConsumer
	d := c.w.Defer()
	n := 0
	// each change propagates as an XCLAIM of the ID as the caller wrote it
	prop := c.srv.propagating()
	for i, id := range ids {
		nack := g.PEL.Get(id)
		if !entryExists(s, id) {
			if nack != nil {
				// replayed, this XCLAIM finds no entry either and drops
				// the NACK
				if prop {
					c.propagateXclaim(args[1], args[2], g, args[5+i], nack)
				}
				g.Ack(id)
				propagateLastID = false
				c.srv.markDirty(1)
			}
			continue
		}
		if force && nack == nil {
			nack = &types.StreamNACK{DeliveryTime: now, DeliveryCount: 1}
			g.PEL.Insert(id, nack)
		}
		if nack == nil {
			continue
		}
		if nack.Consumer != nil && minIdle != 0 && now-nack.DeliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons, _ = c.consumerFor(g, args[3], args[1])
		}
		if nack.Consumer != cons && nack.Consumer != nil {
			nack.Consumer.PEL.Remove(id)
		}
		nack.DeliveryTime = delivery
		if retry >= 0 {
			nack.DeliveryCount = retry
		} else if !justID {
			nack.DeliveryCount++
		}
		if nack.Consumer != cons {
			cons.PEL.Insert(id, nack)
			nack.Consumer = cons
		}
		c.writeClaimed(s, id, justID)
		n++
		if prop {
			c.propagateXclaim(args[1], args[2], g, args[5+i], nack)
		}
		propagateLastID = false
		c.srv.markDirty(1)
	}
	if propagateLastID {
		if prop {
			c.propagateGroupID(args[1], args[2], g)
		}
		c.srv.markDirty(1)
	}
	c.preventPropagation()
	c.w.SetArrayLen(d, n)
}

// parseStrictIDQuiet parses a strict ID without replying.
func parseStrictIDQuiet(b []byte) (types.StreamID, bool) {
	if len(b) > 127 {
		return types.StreamID{}, false
	}
	ms, rest, hasDash := strings.Cut(string(b), "-")
	m, ok := parseU64([]byte(ms))
	if !ok {
		return types.StreamID{}, false
	}
	if !hasDash {
		return types.StreamID{Ms: m}, true
	}
	q, ok := parseU64([]byte(rest))
	if !ok {
		return types.StreamID{}, false
	}
	return types.StreamID{Ms: m, Seq: q}, true
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func cmdXautoclaim(c *Client, args [][]byte) {
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.addError("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	start, ex, ok := c.parseRangeID(args[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.addError("ERR invalid start ID for the interval")
			return
		}
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case equalFoldASCII(args[j], "count") && more > 0:
			n, ok := parseInt(args[j+1])
			if !ok || n < 1 || n > (1<<63-1)/16 {
				c.addError("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case equalFoldASCII(args[j], "justid"):
			justID = true
		default:
			c.addError(errSyntax)
			return
		}
	}
	s, g, ok := c.streamGroup(args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.addError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'", args[1], args[2]))
		return
	}
	attempts := count * 10
	now := c.srv.now()
	// every claim and every dropped NACK propagates as an XCLAIM, in PEL
	// order; the command itself never does
	prop := c.srv.propagating()
	c.preventPropagation()
	var cons *types.StreamConsumer
	var deleted, claimed []types.StreamID
	created := false
	cursor := start
	var endID types.StreamID
	for {
		if attempts == 0 || count == 0 {
			// the cursor is the next PEL entry not visited
			g.PEL.Ascend(cursor, func(id types.StreamID, _ *types.StreamNACK) bool {
				endID = id
				return false
			})
			break
		}
		attempts--
		var id types.StreamID
		var nack *types.StreamNACK
		g.PEL.Ascend(cursor, func(i types.StreamID, nk *types.StreamNACK) bool {
			id, nack = i, nk
			return false
		})
		if nack == nil {
			break
		}
		next, more := id.Incr()
		cursor = next
		if !entryExists(s, id) {
			if prop {
				c.propagateXclaim(args[1], args[2], g, id.AppendTo(nil), nack)
			}
			g.Ack(id)
			deleted = append(deleted, id)
			count--
		} else if minIdle == 0 || now-nack.DeliveryTime >= minIdle {
			if cons == nil {
				if cons = g.Consumer(string(args[3])); cons == nil {
					cons = g.CreateConsumer(string(args[3]), now)
					created = true
				}
				cons.SeenTime = now
			}
			if nack.Consumer != cons {
				nack.Consumer.PEL.Remove(id)
				cons.PEL.Insert(id, nack)
				nack.Consumer = cons
			}
			nack.DeliveryTime = now
			if !justID {
				nack.DeliveryCount++
			}
			if prop {
				c.propagateXclaim(args[1], args[2], g, id.AppendTo(nil), nack)
			}
			claimed = append(claimed, id)
			count--
		}
		if !more {
			break
		}
	}
	c.w.ArrayLen(3)
	c.w.Bulk(endID.AppendTo(nil))
	c.w.ArrayLen(len(claimed))
	// Redis creates the consumer while writing this array: its event
	// goes here.
	if created {
		c.db.Notify(keyspace.ClassStream, "xgroup-createconsumer", args[1])
	}
	// one change per deleted and per claimed entry, plus the consumer
	c.srv.markDirty(int64(len(deleted) + len(claimed)))
	if created {
		c.srv.markDirty(1)
	}
	for _, id := range claimed {
		c.writeClaimed(s, id, justID)
	}
	c.w.ArrayLen(len(deleted))
	for _, id := range deleted {
		c.w.Bulk(id.AppendTo(nil))
	}
}

// XINFO STREAM|GROUPS|CONSUMERS
func cmdXinfo(c *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	e := c.db.Lookup(args[2])
	if e == nil {
		c.addError(errNoSuchKey)
		return
	}
	s, ok := c.streamOf(e)
	if !ok {
		return
	}
	switch sub {
	case "consumers":
		g := s.Group(string(args[3]))
		if g == nil {
			c.addError(fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", args[3], args[2]))
			return
		}
		conss := g.Consumers()
		c.w.ArrayLen(len(conss))
		now := c.srv.now()
		for _, cons := range conss {
			idle := now - cons.SeenTime
			if idle < 0 {
				idle = 0
			}
			c.w.MapLen(3)
			c.w.BulkString("name")
			c.w.BulkString(cons.Name)
			c.w.BulkString("pending")
			c.w.Int(int64(cons.PEL.Len()))
			c.w.BulkString("idle")
			c.w.Int(idle)
		}
	case "groups":
		groups := s.Groups()
		c.w.ArrayLen(len(groups))
		for _, g := range groups {
			c.w.MapLen(6)
			c.w.BulkString("name")
			c.w.BulkString(g.Name)
			c.w.BulkString("consumers")
			c.w.Int(int64(len(g.Consumers())))
			c.w.BulkString("pending")
			c.w.Int(int64(g.PEL.Len()))
			c.w.BulkString("last-delivered-id")
			c.w.Bulk(g.LastID.AppendTo(nil))
			c.writeGroupCounters(s, g)
		}
	case "stream":
		c.xinfoStream(s, args)
	}
}

func (c *Client) writeGroupCounters(s *types.Stream, g *types.StreamGroup) {
	c.w.BulkString("entries-read")
	if g.EntriesRead != types.InvalidEntriesRead {
		c.w.Int(g.EntriesRead)
	} else {
		c.w.Null()
	}
	c.w.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		c.w.Int(lag)
	} else {
		c.w.Null()
	}
}

func (c *Client) xinfoStream(s *types.Stream, args [][]byte) {
	full := false
	count := int64(10)
	opts := args[3:]
	if len(opts) > 0 {
		if !equalFoldASCII(opts[0], "full") {
			c.replySubcommandSyntaxError(args)
			return
		}
		full = true
		switch len(opts) {
		case 1:
		case 3:
			if !equalFoldASCII(opts[1], "count") {
				c.replySubcommandSyntaxError(args)
				return
			}
			n, ok := parseInt(opts[2])
			if !ok {
				c.addError(errNotInt)
				return
			}
			if n < 0 {
				n = 10
			}
			count = n
		default:
			c.replySubcommandSyntaxError(args)
			return
		}
	}
	if full {
		c.w.MapLen(9)
	} else {
		c.w.MapLen(10)
	}
	c.w.BulkString("length")
	c.w.Int(int64(s.Len()))
	c.w.BulkString("radix-tree-keys")
	c.w.Int(int64(s.NodeCount()))
	c.w.BulkString("radix-tree-nodes")
	c.w.Int(int64(s.RaxNodes()))
	c.w.BulkString("last-generated-id")
	c.w.Bulk(s.LastID.AppendTo(nil))
	c.w.BulkString("max-deleted-entry-id")
	c.w.Bulk(s.MaxDeletedID.AppendTo(nil))
	c.w.BulkString("entries-added")
	c.w.Int(int64(s.EntriesAdded))
	c.w.BulkString("recorded-first-entry-id")
	c.w.Bulk(s.FirstID.AppendTo(nil))
	if !full {
		c.w.BulkString("groups")
		c.w.Int(int64(len(s.Groups())))
		for _, rev := range []bool{false, true} {
			if rev {
				c.w.BulkString("last-entry")
			} else {
				c.w.BulkString("first-entry")
			}
			found := false
			s.Range(types.StreamID{}, types.MaxStreamID, rev, func(id types.StreamID, fv [][]byte) bool {
				writeStreamEntry(c.w, id, fv)
				found = true
				return false
			})
			if !found {
				c.w.Null()
			}
		}
		return
	}
	c.w.BulkString("entries")
	d := c.w.Defer()
	n := 0
	if s.Len() > 0 {
		s.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
			writeStreamEntry(c.w, id, fv)
			n++
			return count == 0 || int64(n) < count
		})
	}
	c.w.SetArrayLen(d, n)
	c.w.BulkString("groups")
	groups := s.Groups()
	c.w.ArrayLen(len(groups))
	for _, g := range groups {
		c.w.MapLen(7)
		c.w.BulkString("name")
		c.w.BulkString(g.Name)
		c.w.BulkString("last-delivered-id")
		c.w.Bulk(g.LastID.AppendTo(nil))
		c.writeGroupCounters(s, g)
		c.w.BulkString("pel-count")
		c.w.Int(int64(g.PEL.Len()))
		c.w.BulkString("pending")
		d := c.w.Defer()
		n := 0
		g.PEL.Ascend(types.StreamID{}, func(id types.StreamID, nack *types.StreamNACK) bool {
			if count != 0 && int64(n) >= count {
				return false
			}
			c.w.ArrayLen(4)
			c.w.Bulk(id.AppendTo(nil))
			c.w.BulkString(nack.Consumer.Name)
			c.w.Int(nack.DeliveryTime)
			c.w.Int(nack.DeliveryCount)
			n++
			return true
		})
		c.w.SetArrayLen(d, n)
		c.w.BulkString("consumers")
		conss := g.Consumers()
		c.w.ArrayLen(len(conss))
		for _, cons := range conss {
			c.w.MapLen(4)
			c.w.BulkString("name")
			c.w.BulkString(cons.Name)
			c.w.BulkString("seen-time")
			c.w.Int(cons.SeenTime)
			c.w.BulkString("pel-count")
			c.w.Int(int64(cons.PEL.Len()))
			c.w.BulkString("pending")
			d := c.w.Defer()
			n := 0
			cons.PEL.Ascend(types.StreamID{}, func(id types.StreamID, nack *types.StreamNACK) bool {
				if count != 0 && int64(n) >= count {
					return false
				}
				c.w.ArrayLen(3)
				c.w.Bulk(id.AppendTo(nil))
				c.w.Int(nack.DeliveryTime)
				c.w.Int(nack.DeliveryCount)
				n++
				return true
			})
			c.w.SetArrayLen(d, n)
		}
	}
}

// streamGroup looks up the stream at key and its consumer group: g is nil
// when either is missing; ok is false when key holds another type (the
// WRONGTYPE error is already the reply).
func (c *Client) streamGroup(key, group []byte) (s *types.Stream, g *types.StreamGroup, ok bool) {
	if s, ok = c.streamOf(c.db.Lookup(key)); !ok {
		return nil, nil, false
	}
	if s != nil {
		g = s.Group(string(group))
	}
	return s, g, true
}
