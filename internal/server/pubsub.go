// pubsub.go is Redis's publish/subscribe: channel, pattern and shard-channel
// subscriptions, PUBLISH/SPUBLISH delivery and the PUBSUB introspection
// command. Subscribers receive messages through their asynchronous output
// queue (async.go), so a subscriber whose goroutine sits in Read still gets
// them at once; the executing client gets its own messages inline, in the
// order Redis writes them into its reply buffer.
package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/redoubt/redoubt/internal/glob"
	"github.com/redoubt/redoubt/internal/resp"
)

func init() {
	register("subscribe", cmdSubscribe)
	register("unsubscribe", cmdUnsubscribe)
	register("psubscribe", cmdPsubscribe)
	register("punsubscribe", cmdPunsubscribe)
	register("ssubscribe", cmdSsubscribe)
	register("sunsubscribe", cmdSunsubscribe)
	register("publish", cmdPublish)
	register("spublish", cmdSpublish)
	register("pubsub|channels", cmdPubsubChannels)
	register("pubsub|numsub", cmdPubsubNumsub)
	register("pubsub|numpat", cmdPubsubNumpat)
	register("pubsub|shardchannels", cmdPubsubShardchannels)
	register("pubsub|shardnumsub", cmdPubsubShardnumsub)
	register("pubsub|help", cmdPubsubHelp)
	clientResetHooks = append(clientResetHooks, func(c *Client) { c.srv.unsubscribeAll(c) })
}

// pubsubState is the server side of subscriptions: who listens to what, in
// subscription order (that is the order messages are delivered in).
type pubsubState struct {
	channels map[string][]*Client
	shard    map[string][]*Client
	patterns map[string][]*Client
	// patternOrder lists the subscribed patterns in the order they were
	// first subscribed, so pattern deliveries have a stable order.
	patternOrder []string
	// executing is the client whose command is running, if any: messages
	// for it go straight into its reply buffer (see deliver).
	executing *Client
}

// subscriptions is the client side: what one client listens to, each kind
// in subscription order.
type subscriptions struct {
	channels []string
	patterns []string
	shard    []string
}

// kind selects plain or shard channels, as Redis's pubsubtype.
type pubsubKind struct {
	shard                  bool
	subscribeMsg, unsubMsg string
	messageMsg             string
	serverMap              func(s *Server) map[string][]*Client
	clientList             func(sub *subscriptions) *[]string
	subscriptionCount      func(sub *subscriptions) int
}

var (
	plainChannels = &pubsubKind{
		subscribeMsg: "subscribe", unsubMsg: "unsubscribe", messageMsg: "message",
		serverMap:         func(s *Server) map[string][]*Client { return s.pubsub.channels },
		clientList:        func(sub *subscriptions) *[]string { return &sub.channels },
		subscriptionCount: func(sub *subscriptions) int { return len(sub.channels) + len(sub.patterns) },
	}
	shardChannels = &pubsubKind{
		shard:        true,
		subscribeMsg: "ssubscribe", unsubMsg: "sunsubscribe", messageMsg: "smessage",
		serverMap:         func(s *Server) map[string][]*Client { return s.pubsub.shard },
		clientList:        func(sub *subscriptions) *[]string { return &sub.shard },
		subscriptionCount: func(sub *subscriptions) int { return len(sub.shard) },
	}
)

func (s *Server) initPubSub() {
	s.pubsub.channels = map[string][]*Client{}
	s.pubsub.shard = map[string][]*Client{}
	s.pubsub.patterns = map[string][]*Client{}
	s.installKeyspaceEvents()
}

// subs returns c's subscriptions, creating them on first use.
func (c *Client) subs() *subscriptions {
	if c.pubsubSubs == nil {
		c.pubsubSubs = &subscriptions{}
	}
	return c.pubsubSubs
}

// subscriptionCounts are the sub, psub and ssub fields of CLIENT LIST.
func (c *Client) subscriptionCounts() (channels, patterns, shard int) {
	if c.pubsubSubs == nil {
		return 0, 0, 0
	}
	return len(c.pubsubSubs.channels), len(c.pubsubSubs.patterns), len(c.pubsubSubs.shard)
}

func (c *Client) totalSubscriptions() int {
	a, b, d := c.subscriptionCounts()
	return a + b + d
}

// enterPubSub marks c subscribed; from here on others write to it, so its
// output goes through its asynchronous queue.
func (c *Client) enterPubSub() {
	c.flags |= flagPubSub
	c.startAsync()
}

// leavePubSubIfIdle clears the subscribed state once nothing is left.
func (c *Client) leavePubSubIfIdle() {
	if c.totalSubscriptions() == 0 {
		c.flags &^= flagPubSub
	}
}

// replyPush writes a subscription confirmation or message header: a push
// in RESP3, an array in RESP2.
func replyPushHeader(w *resp.Writer, n int, kind string) {
	w.PushLen(n)
	w.BulkString(kind)
}

func (c *Client) replySubscription(kind string, name []byte, count int) {
	replyPushHeader(c.w, 3, kind)
	if name == nil {
		c.w.Null()
	} else {
		c.w.Bulk(name)
	}
	c.w.Int(int64(count))
}

func (c *Client) subscribeChannels(kind *pubsubKind, names [][]byte) {
	s := c.srv
	sub := c.subs()
	list := kind.clientList(sub)
	m := kind.serverMap(s)
	for _, name := range names {
		ch := string(name)
		if !slices.Contains(*list, ch) {
			*list = append(*list, ch)
			m[ch] = append(m[ch], c)
		}
		c.replySubscription(kind.subscribeMsg, name, kind.subscriptionCount(sub))
	}
	c.enterPubSub()
}

// unsubscribeChannel drops one subscription of c and reports whether c had it.
func (c *Client) unsubscribeChannel(kind *pubsubKind, ch string, notify bool) bool {
	s := c.srv
	had := false
	if c.pubsubSubs != nil {
		list := kind.clientList(c.pubsubSubs)
		if i := slices.Index(*list, ch); i >= 0 {
			*list = slices.Delete(*list, i, i+1)
			m := kind.serverMap(s)
			m[ch] = removeClient(m[ch], c)
			if len(m[ch]) == 0 {
				delete(m, ch)
			}
			had = true
		}
	}
	if notify {
		c.replySubscription(kind.unsubMsg, []byte(ch), kind.subscriptionCount(c.subs()))
	}
	return had
}

// unsubscribeAllChannels drops every subscription of one kind, answering
// once per channel, or once with a null channel when there was none.
func (c *Client) unsubscribeAllChannels(kind *pubsubKind, notify bool) {
	var chans []string
	if c.pubsubSubs != nil {
		chans = slices.Clone(*kind.clientList(c.pubsubSubs))
	}
	for _, ch := range chans {
		c.unsubscribeChannel(kind, ch, notify)
	}
	if notify && len(chans) == 0 {
		c.replySubscription(kind.unsubMsg, nil, kind.subscriptionCount(c.subs()))
	}
}

func (c *Client) subscribePattern(pat []byte) {
	s := c.srv
	sub := c.subs()
	p := string(pat)
	if !slices.Contains(sub.patterns, p) {
		sub.patterns = append(sub.patterns, p)
		if _, ok := s.pubsub.patterns[p]; !ok {
			s.pubsub.patternOrder = append(s.pubsub.patternOrder, p)
		}
		s.pubsub.patterns[p] = append(s.pubsub.patterns[p], c)
	}
	c.replySubscription("psubscribe", pat, plainChannels.subscriptionCount(sub))
}

func (c *Client) unsubscribePattern(p string, notify bool) {
	s := c.srv
	if c.pubsubSubs != nil {
		if i := slices.Index(c.pubsubSubs.patterns, p); i >= 0 {
			c.pubsubSubs.patterns = slices.Delete(c.pubsubSubs.patterns, i, i+1)
			cl := removeClient(s.pubsub.patterns[p], c)
			if len(cl) == 0 {
				delete(s.pubsub.patterns, p)
				if j := slices.Index(s.pubsub.patternOrder, p); j >= 0 {
					s.pubsub.patternOrder = slices.Delete(s.pubsub.patternOrder, j, j+1)
				}
			} else {
				s.pubsub.patterns[p] = cl
			}
		}
	}
	if notify {
		c.replySubscription("punsubscribe", []byte(p), plainChannels.subscriptionCount(c.subs()))
	}
}

func (c *Client) unsubscribeAllPatterns(notify bool) {
	var pats []string
	if c.pubsubSubs != nil {
		pats = slices.Clone(c.pubsubSubs.patterns)
	}
	for _, p := range pats {
		c.unsubscribePattern(p, notify)
	}
	if notify && len(pats) == 0 {
		c.replySubscription("punsubscribe", nil, plainChannels.subscriptionCount(c.subs()))
	}
}

// unsubscribeAll silently drops every subscription of c (RESET, disconnect).
func (s *Server) unsubscribeAll(c *Client) {
	if c.pubsubSubs == nil {
		return
	}
	c.unsubscribeAllChannels(plainChannels, false)
	c.unsubscribeAllChannels(shardChannels, false)
	c.unsubscribeAllPatterns(false)
	c.flags &^= flagPubSub
}

func removeClient(list []*Client, c *Client) []*Client {
	if i := slices.Index(list, c); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return list
}

func cmdSubscribe(c *Client, args [][]byte) {
	c.subscribeChannels(plainChannels, args[1:])
}

func cmdSsubscribe(c *Client, args [][]byte) {
	// EXEC runs with Redis's deny-blocking flag, which only plain
	// SUBSCRIBE is exempt from.
	if c.flags&flagMulti != 0 {
		c.addError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	c.subscribeChannels(shardChannels, args[1:])
}

func cmdPsubscribe(c *Client, args [][]byte) {
	for _, p := range args[1:] {
		c.subscribePattern(p)
	}
	c.enterPubSub()
}

func unsubscribeGeneric(c *Client, kind *pubsubKind, args [][]byte) {
	if len(args) == 1 {
		c.unsubscribeAllChannels(kind, true)
	} else {
		for _, ch := range args[1:] {
			c.unsubscribeChannel(kind, string(ch), true)
		}
	}
	c.leavePubSubIfIdle()
}

func cmdUnsubscribe(c *Client, args [][]byte)  { unsubscribeGeneric(c, plainChannels, args) }
func cmdSunsubscribe(c *Client, args [][]byte) { unsubscribeGeneric(c, shardChannels, args) }

func cmdPunsubscribe(c *Client, args [][]byte) {
	if len(args) == 1 {
		c.unsubscribeAllPatterns(true)
	} else {
		for _, p := range args[1:] {
			c.unsubscribePattern(string(p), true)
		}
	}
	c.leavePubSubIfIdle()
}

func cmdPublish(c *Client, args [][]byte) {
	c.w.Int(int64(c.srv.publish(plainChannels, args[1], args[2])))
}

func cmdSpublish(c *Client, args [][]byte) {
	c.w.Int(int64(c.srv.publish(shardChannels, args[1], args[2])))
}

// encodedMessage renders one message once per protocol version.
type encodedMessage struct {
	build func(w *resp.Writer)
	bufs  [2][]byte
}

func (m *encodedMessage) forProto(proto int) []byte {
	i := 0
	if proto == 3 {
		i = 1
	}
	if m.bufs[i] == nil {
		w := &resp.Writer{Proto: proto}
		m.build(w)
		m.bufs[i] = w.Buf
	}
	return m.bufs[i]
}

// publish sends msg to the subscribers of channel, then (plain channels
// only) to the matching pattern subscribers, and returns how many
// deliveries were made.
func (s *Server) publish(kind *pubsubKind, channel, msg []byte) int {
	receivers := 0
	if subs := kind.serverMap(s)[string(channel)]; len(subs) > 0 {
		m := &encodedMessage{build: func(w *resp.Writer) {
			replyPushHeader(w, 3, kind.messageMsg)
			w.Bulk(channel)
			w.Bulk(msg)
		}}
		for _, t := range slices.Clone(subs) {
			s.deliver(t, m)
			receivers++
		}
	}
	if kind.shard || len(s.pubsub.patternOrder) == 0 {
		return receivers
	}
	for _, p := range slices.Clone(s.pubsub.patternOrder) {
		if !glob.Match([]byte(p), channel, false) {
			continue
		}
		m := &encodedMessage{build: func(w *resp.Writer) {
			replyPushHeader(w, 4, "pmessage")
			w.BulkString(p)
			w.Bulk(channel)
			w.Bulk(msg)
		}}
		for _, t := range slices.Clone(s.pubsub.patterns[p]) {
			s.deliver(t, m)
			receivers++
		}
	}
	return receivers
}

// deliver hands a message to one subscriber. The running client gets it in
// its reply buffer, after what its command already answered; any other
// gets it on its asynchronous queue, which its own replies also go through
// (flushed under the executor lock), so every client sees bytes in the
// order the executor produced them.
func (s *Server) deliver(t *Client, m *encodedMessage) {
	if t.flags&flagCloseASAP != 0 {
		return
	}
	b := m.forProto(t.w.Proto)
	if t == s.pubsub.executing {
		if !t.replyEnabled() {
			t.heldPushes = append(t.heldPushes, b...)
			return
		}
		t.w.Raw(b)
		return
	}
	if t.async == nil {
		t.startAsync()
	}
	t.pushAsync(b)
	s.checkOutputBufferLimits(t)
}

// PUBSUB subcommands.

var pubsubHelp = []string{
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
}

func cmdPubsubHelp(c *Client, args [][]byte) { replyHelpLines(c, args, pubsubHelp) }

func replyChannelList(c *Client, args [][]byte, m map[string][]*Client) {
	if len(args) > 3 {
		c.replySubcommandSyntaxError(args)
		return
	}
	var pat []byte
	if len(args) == 3 {
		pat = args[2]
	}
	d := c.w.Defer()
	n := 0
	for ch := range m {
		if pat == nil || glob.Match(pat, []byte(ch), false) {
			c.w.BulkString(ch)
			n++
		}
	}
	c.w.SetArrayLen(d, n)
}

func replyNumSub(c *Client, args [][]byte, m map[string][]*Client) {
	c.w.ArrayLen((len(args) - 2) * 2)
	for _, ch := range args[2:] {
		c.w.Bulk(ch)
		c.w.Int(int64(len(m[string(ch)])))
	}
}

func cmdPubsubChannels(c *Client, args [][]byte) { replyChannelList(c, args, c.srv.pubsub.channels) }
func cmdPubsubShardchannels(c *Client, args [][]byte) {
	replyChannelList(c, args, c.srv.pubsub.shard)
}
func cmdPubsubNumsub(c *Client, args [][]byte) { replyNumSub(c, args, c.srv.pubsub.channels) }
func cmdPubsubShardnumsub(c *Client, args [][]byte) {
	replyNumSub(c, args, c.srv.pubsub.shard)
}
func cmdPubsubNumpat(c *Client, args [][]byte) { c.w.Int(int64(len(c.srv.pubsub.patterns))) }

// replySubcommandSyntaxError is Redis's addReplySubcommandSyntaxError.
func (c *Client) replySubcommandSyntaxError(args [][]byte) {
	c.addError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.", args[1], strings.ToUpper(string(args[0]))))
}

// restoreHeldPushes appends, after CLIENT REPLY OFF|SKIP dropped a
// command's replies, the messages that command produced for its own client.
func (c *Client) restoreHeldPushes() {
	if len(c.heldPushes) > 0 {
		c.w.Raw(c.heldPushes)
		c.heldPushes = c.heldPushes[:0]
	}
}
