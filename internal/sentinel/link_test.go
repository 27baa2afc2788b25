// link_test.go tests the links against a real redis-server: connecting
// with and without AUTH, replies (simple, bulk, MULTI/EXEC blocks), hello
// messages on the Pub/Sub link, and the link going down when the server
// refuses or dies. Events are captured through the driver's step seam.
package sentinel

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/resp"
)

// waitLimit is how long a test waits for something that should happen.
const waitLimit = 15 * time.Second

// recorder collects the events a driver's links deliver.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) add(ev Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.evs...)
}

// wait returns the first event matching pred, waiting for one to arrive.
func (r *recorder) wait(t *testing.T, what string, pred func(Event) bool) Event {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		for _, ev := range r.all() {
			if pred(ev) {
				return ev
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s; events: %+v", what, r.all())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *recorder) count(pred func(Event) bool) int {
	n := 0
	for _, ev := range r.all() {
		if pred(ev) {
			n++
		}
	}
	return n
}

// newTestDriver returns a driver whose events go to a recorder instead
// of a machine; it is stopped at the end of the test.
func newTestDriver(t *testing.T) (*Driver, *recorder) {
	d := NewDriver(New(strings.Repeat("a", 40), 26379), Hooks{})
	rec := &recorder{}
	d.step = func(now time.Time, ev Event) { rec.add(ev) }
	t.Cleanup(d.Stop)
	return d, rec
}

func isLink(id ID, pubsub, up bool) func(Event) bool {
	return func(ev Event) bool {
		l, ok := ev.(LinkEvent)
		return ok && l.ID == id && l.PubSub == pubsub && l.Up == up
	}
}

func isReply(id ID, kind CommandKind) func(Event) bool {
	return func(ev Event) bool {
		r, ok := ev.(CommandReply)
		return ok && r.ID == id && r.Kind == kind
	}
}

// redisServer is a redis-server started for one test.
type redisServer struct {
	port int
	conf string
	dir  string
	cmd  *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis starts redis-server on a free port with a config file (so
// CONFIG REWRITE works) holding extra lines.
func startRedis(t *testing.T, extra ...string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	s := &redisServer{port: freePort(t), dir: t.TempDir()}
	s.conf = filepath.Join(s.dir, "redis.conf")
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir %s\n%s\n", s.port, s.dir, strings.Join(extra, "\n"))
	if err := os.WriteFile(s.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.start(t)
	t.Cleanup(s.kill)
	return s
}

func (s *redisServer) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command("redis-server", s.conf, "--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log"))
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		c, err := net.Dial("tcp", s.addr().String())
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %d did not start: %v", s.port, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *redisServer) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *redisServer) addr() Addr { return Addr{Host: "127.0.0.1", Port: s.port} }

// client is a plain client for checking the server's side.
type client struct {
	nc net.Conn
	rd replyReader
}

func (s *redisServer) client(t *testing.T, auth ...string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", s.addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{nc: nc, rd: replyReader{br: bufio.NewReader(nc)}}
	if len(auth) > 0 {
		c.do(t, append([]string{"AUTH"}, auth...)...)
	}
	return c
}

func (c *client) do(t *testing.T, args ...string) Reply {
	t.Helper()
	w := resp.Writer{}
	w.ArrayLen(len(args))
	for _, a := range args {
		w.BulkString(a)
	}
	if _, err := c.nc.Write(w.Buf); err != nil {
		t.Fatal(err)
	}
	r, _, err := c.rd.read()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitCond polls cond until it holds.
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLinkConnectPingInfo(t *testing.T) {
	s := startRedis(t)
	d, rec := newTestDriver(t)
	d.apply(
		Connect{ID: 1, Addr: s.addr(), PubSub: true, ClientName: "sentinel-aaaaaaaa-cmd"},
		Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}},
		Command{ID: 1, Kind: CmdInfo, Args: []string{"INFO"}},
	)
	up := rec.wait(t, "command link up", isLink(1, false, true)).(LinkEvent)
	if up.LocalIP != "127.0.0.1" || up.Err != "" {
		t.Errorf("up event %+v", up)
	}
	pup := rec.wait(t, "pubsub link up", isLink(1, true, true)).(LinkEvent)
	if pup.LocalIP != "127.0.0.1" {
		t.Errorf("pubsub up event %+v", pup)
	}
	pong := rec.wait(t, "PONG", isReply(1, CmdPing)).(CommandReply)
	if pong.Reply.Str != "PONG" || !pong.Reply.Status {
		t.Errorf("PING reply %+v", pong.Reply)
	}
	info := rec.wait(t, "INFO reply", isReply(1, CmdInfo)).(CommandReply)
	if !strings.Contains(info.Reply.Str, "redis_version:") || !strings.Contains(info.Reply.Str, "role:master") {
		t.Errorf("INFO reply %.200q", info.Reply.Str)
	}
	// The up event comes before any reply of its link.
	evs := rec.all()
	for i, ev := range evs {
		if isReply(1, CmdPing)(ev) {
			for _, before := range evs[:i] {
				if isLink(1, false, true)(before) {
					goto named
				}
			}
			t.Errorf("PONG before the link's up event: %+v", evs)
		}
	}
named:
	// Both connections are named as Redis names them.
	c := s.client(t)
	waitCond(t, "client names", func() bool {
		list := c.do(t, "CLIENT", "LIST").Str
		return strings.Contains(list, "name=sentinel-aaaaaaaa-cmd ") && strings.Contains(list, "name=sentinel-aaaaaaaa-pubsub ")
	})
}

func TestLinkAuth(t *testing.T) {
	s := startRedis(t, "requirepass secret", "user sent on >spw ~* &* +@all")
	d, rec := newTestDriver(t)
	d.apply(
		Connect{ID: 1, Addr: s.addr(), Pass: "secret", ClientName: "sentinel-aaaaaaaa-cmd"},
		Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}},
		Connect{ID: 2, Addr: s.addr(), User: "sent", Pass: "spw", ClientName: "sentinel-aaaaaaaa-cmd"},
		Command{ID: 2, Kind: CmdPing, Args: []string{"PING"}},
		// A wrong password does not drop the link (as Redis): the
		// instance answers -NOAUTH and the machine sees that.
		Connect{ID: 3, Addr: s.addr(), Pass: "wrong", ClientName: "sentinel-aaaaaaaa-cmd"},
		Command{ID: 3, Kind: CmdPing, Args: []string{"PING"}},
		// No password at all.
		Connect{ID: 4, Addr: s.addr()},
		Command{ID: 4, Kind: CmdPing, Args: []string{"PING"}},
	)
	for _, id := range []ID{1, 2} {
		r := rec.wait(t, "PONG", isReply(id, CmdPing)).(CommandReply)
		if r.Reply.Str != "PONG" {
			t.Errorf("link %d: PING reply %+v", id, r.Reply)
		}
	}
	for _, id := range []ID{3, 4} {
		r := rec.wait(t, "NOAUTH", isReply(id, CmdPing)).(CommandReply)
		if !strings.HasPrefix(r.Reply.Err, "NOAUTH") {
			t.Errorf("link %d: PING reply %+v", id, r.Reply)
		}
		if n := rec.count(isLink(id, false, false)); n != 0 {
			t.Errorf("link %d went down", id)
		}
	}
	c := s.client(t, "secret")
	list := c.do(t, "CLIENT", "LIST").Str
	if !strings.Contains(list, "user=sent") || !strings.Contains(list, "name=sentinel-aaaaaaaa-cmd") {
		t.Errorf("CLIENT LIST:\n%s", list)
	}
}

func TestLinkHello(t *testing.T) {
	s := startRedis(t, "requirepass secret")
	d, rec := newTestDriver(t)
	d.apply(Connect{ID: 7, Addr: s.addr(), PubSub: true, Pass: "secret", ClientName: "sentinel-aaaaaaaa-cmd"})
	rec.wait(t, "pubsub link up", isLink(7, true, true))
	c := s.client(t, "secret")
	payload := "127.0.0.1,26379," + strings.Repeat("b", 40) + ",0,mymaster,127.0.0.1,6379,0"
	// The SUBSCRIBE may not have been processed yet: publish until the
	// channel has a subscriber.
	waitCond(t, "a subscriber", func() bool {
		return c.do(t, "PUBLISH", helloChannel, payload).Int > 0
	})
	h := rec.wait(t, "hello", func(ev Event) bool { _, ok := ev.(HelloMessage); return ok }).(HelloMessage)
	if h.ID != 7 || h.Payload != payload {
		t.Errorf("hello %+v", h)
	}
	// Other channels are not heard.
	c.do(t, "PUBLISH", "other", "x")
	if n := rec.count(func(ev Event) bool { _, ok := ev.(HelloMessage); return ok }); n < 1 {
		t.Errorf("%d hellos", n)
	}
}

func TestLinkBlock(t *testing.T) {
	s := startRedis(t)
	d, rec := newTestDriver(t)
	d.apply(
		Connect{ID: 1, Addr: s.addr(), PubSub: true, ClientName: "sentinel-aaaaaaaa-cmd"},
	)
	rec.wait(t, "pubsub link up", isLink(1, true, true))
	d.apply(
		Command{ID: 1, Kind: CmdReplicaOf, Block: [][]string{
			{"MULTI"},
			{"SLAVEOF", "NO", "ONE"},
			{"CONFIG", "REWRITE"},
			{"CLIENT", "KILL", "TYPE", "normal"},
			{"CLIENT", "KILL", "TYPE", "pubsub"},
			{"EXEC"},
		}},
		Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}},
	)
	r := rec.wait(t, "EXEC reply", isReply(1, CmdReplicaOf)).(CommandReply).Reply
	if !r.IsArr || len(r.Array) != 4 {
		t.Fatalf("EXEC reply %+v", r)
	}
	if r.Array[0].Str != "OK" || r.Array[1].Str != "OK" || !r.Array[2].IsInt || !r.Array[3].IsInt || r.Array[3].Int != 1 {
		t.Errorf("EXEC reply %+v", r)
	}
	// The replies after the block are still matched to their commands.
	pong := rec.wait(t, "PONG", isReply(1, CmdPing)).(CommandReply)
	if pong.Reply.Str != "PONG" {
		t.Errorf("PING after the block: %+v", pong.Reply)
	}
	if n := rec.count(isReply(1, CmdReplicaOf)); n != 1 {
		t.Errorf("%d replies to the block", n)
	}
	// CLIENT KILL TYPE pubsub killed our own Pub/Sub link.
	down := rec.wait(t, "pubsub link down", isLink(1, true, false)).(LinkEvent)
	if down.Err == "" {
		t.Errorf("down event without a reason: %+v", down)
	}
	conf, err := os.ReadFile(s.conf)
	if err != nil || !strings.Contains(string(conf), "Generated by CONFIG REWRITE") {
		t.Errorf("config not rewritten: %v\n%s", err, conf)
	}
	// A block with an error inside: EXEC's -EXECABORT is the reply.
	d.apply(Command{ID: 1, Kind: CmdReplicaOf, Block: [][]string{{"MULTI"}, {"NOSUCHCOMMAND"}, {"EXEC"}}})
	waitCond(t, "second block reply", func() bool { return rec.count(isReply(1, CmdReplicaOf)) == 2 })
	var last Reply
	for _, ev := range rec.all() {
		if isReply(1, CmdReplicaOf)(ev) {
			last = ev.(CommandReply).Reply
		}
	}
	if !strings.HasPrefix(last.Err, "EXECABORT") {
		t.Errorf("aborted block reply %+v", last)
	}
}

func TestLinkRefused(t *testing.T) {
	port := freePort(t)
	d, rec := newTestDriver(t)
	d.apply(Connect{ID: 1, Addr: Addr{Host: "127.0.0.1", Port: port}, PubSub: true},
		Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}})
	for _, ps := range []bool{false, true} {
		down := rec.wait(t, "link down", isLink(1, ps, false)).(LinkEvent)
		if !strings.Contains(down.Err, "refused") {
			t.Errorf("down event %+v", down)
		}
	}
	if n := rec.count(func(ev Event) bool { _, ok := ev.(CommandReply); return ok }); n != 0 {
		t.Errorf("a reply from a refused link")
	}
}

func TestLinkServerKilledAndReconnect(t *testing.T) {
	s := startRedis(t)
	d, rec := newTestDriver(t)
	connect := Connect{ID: 1, Addr: s.addr(), PubSub: true, ClientName: "sentinel-aaaaaaaa-cmd"}
	d.apply(connect)
	rec.wait(t, "command link up", isLink(1, false, true))
	rec.wait(t, "pubsub link up", isLink(1, true, true))
	s.kill()
	for _, ps := range []bool{false, true} {
		down := rec.wait(t, "link down", isLink(1, ps, false)).(LinkEvent)
		if down.Err == "" {
			t.Errorf("down without a reason: %+v", down)
		}
	}
	// Commands on a dead link are dropped, not answered.
	d.apply(Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}})

	s.start(t)
	d.apply(connect, Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}})
	waitCond(t, "links up again", func() bool {
		return rec.count(isLink(1, false, true)) == 2 && rec.count(isLink(1, true, true)) == 2
	})
	pong := rec.wait(t, "PONG", isReply(1, CmdPing)).(CommandReply)
	if pong.Reply.Str != "PONG" {
		t.Errorf("PING after reconnect: %+v", pong.Reply)
	}
	if rec.count(isReply(1, CmdPing)) != 1 {
		t.Errorf("the PING sent while down was answered")
	}
	// One down event per connection that died.
	if n, m := rec.count(isLink(1, false, false)), rec.count(isLink(1, true, false)); n != 1 || m != 1 {
		t.Errorf("down events: %d command, %d pubsub", n, m)
	}
}

func TestLinkReplyReaderRESP3(t *testing.T) {
	in := "%2\r\n+a\r\n:1\r\n$1\r\nb\r\n*2\r\n_\r\n#t\r\n" + // map
		"~2\r\n,3.5\r\n(12345678901234567890\r\n" + // set, double, big number
		"=8\r\ntxt:info\r\n" + // verbatim
		"!7\r\nERR bad\r\n" + // blob error
		"|1\r\n+key\r\n+val\r\n:42\r\n" + // an attribute, then the value
		">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n" + // push
		"$-1\r\n*-1\r\n*0\r\n-ERR x\r\n"
	rd := replyReader{br: bufio.NewReader(strings.NewReader(in))}
	next := func() (Reply, bool) {
		r, push, err := rd.read()
		if err != nil {
			t.Fatal(err)
		}
		return r, push
	}
	r, _ := next()
	if !r.Map || !r.IsArr || len(r.Array) != 4 || r.Array[0].Str != "a" || r.Array[1].Int != 1 ||
		r.Array[2].Str != "b" || len(r.Array[3].Array) != 2 || !r.Array[3].Array[0].Nil || r.Array[3].Array[1].Int != 1 {
		t.Errorf("map %+v", r)
	}
	r, _ = next()
	if !r.IsArr || r.Map || len(r.Array) != 2 || r.Array[0].Str != "3.5" || r.Array[1].Str != "12345678901234567890" {
		t.Errorf("set %+v", r)
	}
	if r, _ = next(); r.Str != "info" {
		t.Errorf("verbatim %+v", r)
	}
	if r, _ = next(); r.Err != "ERR bad" {
		t.Errorf("blob error %+v", r)
	}
	if r, _ = next(); !r.IsInt || r.Int != 42 {
		t.Errorf("after attribute %+v", r)
	}
	r, push := next()
	if !push || len(r.Array) != 3 || r.Array[0].Str != "message" {
		t.Errorf("push %+v %v", r, push)
	}
	if r, _ = next(); !r.Nil {
		t.Errorf("nil bulk %+v", r)
	}
	if r, _ = next(); !r.Nil {
		t.Errorf("nil array %+v", r)
	}
	if r, _ = next(); !r.IsArr || len(r.Array) != 0 || r.Nil {
		t.Errorf("empty array %+v", r)
	}
	if r, _ = next(); r.Err != "ERR x" {
		t.Errorf("error %+v", r)
	}
	if _, _, err := rd.read(); err == nil {
		t.Errorf("read past the end")
	}
	bad := replyReader{br: bufio.NewReader(strings.NewReader("$5\r\nab\r\n"))}
	if _, _, err := bad.read(); err == nil {
		t.Errorf("short bulk accepted")
	}
}

func TestLinkWriteTimeout(t *testing.T) {
	// A peer that accepts and never reads: the write blocks once the
	// socket buffers are full, and the deadline ends the link.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	defer func() {
		l.Close()
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	}()
	d, rec := newTestDriver(t)
	d.WriteTimeout = 100 * time.Millisecond
	port := l.Addr().(*net.TCPAddr).Port
	d.apply(Connect{ID: 1, Addr: Addr{Host: "127.0.0.1", Port: port}})
	rec.wait(t, "link up", isLink(1, false, true))
	d.apply(Command{ID: 1, Kind: CmdPublishHello, Args: []string{"PUBLISH", helloChannel, strings.Repeat("x", 64<<20)}})
	down := rec.wait(t, "link down", isLink(1, false, false)).(LinkEvent)
	if down.Err != "Timeout" {
		t.Errorf("down event %+v", down)
	}
}

func TestLinkClientNames(t *testing.T) {
	for _, tc := range []struct{ in, cmd, pubsub string }{
		{"sentinel-0123abcd-cmd", "sentinel-0123abcd-cmd", "sentinel-0123abcd-pubsub"},
		{"sentinel-0123abcd", "sentinel-0123abcd-cmd", "sentinel-0123abcd-pubsub"},
		{"", "", ""},
	} {
		c := Connect{ClientName: tc.in}
		if c.cmdName() != tc.cmd || c.pubsubName() != tc.pubsub {
			t.Errorf("%q: %q %q", tc.in, c.cmdName(), c.pubsubName())
		}
	}
}
