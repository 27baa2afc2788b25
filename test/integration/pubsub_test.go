// pubsub_test.go compares pub/sub delivery between the real redis-server
// and redoubt with two connections: a subscriber reading raw RESP while
// another client runs a script of commands with keyspace notifications on.
// The subscriber's byte streams must be identical. It also checks that a
// subscriber that stops reading is disconnected once it exceeds the pubsub
// client-output-buffer-limit (hard, then soft limit), as Redis does.
package integration

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

// pubsubStep is one command of the publisher, or (waitFor set) a pause
// until the subscriber received a message containing waitFor (events the
// server emits on its own, such as active expiry).
type pubsubStep struct {
	cmd     []string
	waitFor string
}

func cmd(args ...string) pubsubStep { return pubsubStep{cmd: args} }

// subscriberStream subscribes one connection (in protocol proto), runs the
// steps on another, and returns every byte the subscriber received. After
// each command the publisher publishes a marker, and the subscriber reads
// up to it, so the stream is cut at the same places on both servers.
func subscriberStream(t *testing.T, addr string, proto int, steps []pubsubStep) []byte {
	sub := testutil.DialRaw(t, addr)
	pub := testutil.DialRaw(t, addr)
	var stream bytes.Buffer
	if proto == 3 {
		sub.Do("HELLO", "3") // its reply holds the client id: not compared
	}
	for _, setup := range [][]string{
		{"SUBSCRIBE", "marker", "news.sport", "news.weather"},
		{"PSUBSCRIBE", "__keyspace@*__:*", "__keyevent@0__:*", "news.*"},
	} {
		sub.Send(setup...)
		for range setup[1:] {
			stream.Write(sub.Read().Raw)
		}
	}
	readUntil := func(what string) {
		t.Helper()
		for {
			rep := sub.Read()
			stream.Write(rep.Raw)
			if bytes.Contains(rep.Raw, []byte(what)) {
				return
			}
		}
	}
	for i, st := range steps {
		if st.waitFor != "" {
			readUntil(st.waitFor)
			continue
		}
		fmt.Fprintf(&stream, "[%s] ", strings.Join(st.cmd, " "))
		stream.Write(pub.Do(st.cmd...).Raw)
		marker := "step-" + strconv.Itoa(i)
		pub.Do("PUBLISH", "marker", marker)
		readUntil(marker)
	}
	return stream.Bytes()
}

func pubsubScript() []pubsubStep {
	return []pubsubStep{
		cmd("CONFIG", "SET", "notify-keyspace-events", "KEA"),
		cmd("PUBLISH", "news.sport", "goal"),
		cmd("PUBLISH", "news.weather", "rain"),
		cmd("PUBLISH", "news.other", "unsubscribed channel, matched pattern"),
		cmd("PUBLISH", "elsewhere", "nobody"),
		cmd("SPUBLISH", "news.sport", "shard channels are apart"),
		cmd("SET", "k", "v"),
		cmd("SET", "k", "v2", "EX", "100", "GET"),
		cmd("SETNX", "k", "x"),
		cmd("APPEND", "k", "tail"),
		cmd("SETRANGE", "k", "1", "zz"),
		cmd("INCR", "n"),
		cmd("INCRBY", "n", "10"),
		cmd("DECR", "n"),
		cmd("INCRBYFLOAT", "f", "0.5"),
		cmd("MSET", "a", "1", "b", "2", "c", "3"),
		cmd("MSETNX", "d", "4", "e", "5"),
		cmd("GETSET", "a", "9"),
		cmd("GETDEL", "b"),
		cmd("GETEX", "c", "PX", "100000"),
		cmd("GETEX", "c", "PERSIST"),
		cmd("EXPIRE", "d", "100"),
		cmd("PEXPIREAT", "d", "99999999999999"),
		cmd("PERSIST", "d"),
		cmd("EXPIRE", "e", "-1"),
		cmd("RENAME", "a", "a2"),
		cmd("RENAMENX", "a2", "k"),
		cmd("COPY", "a2", "a3"),
		cmd("MOVE", "a3", "1"),
		cmd("SELECT", "1"),
		cmd("SET", "in-db1", "x"),
		cmd("DEL", "a3", "in-db1"),
		cmd("SELECT", "0"),
		cmd("DEL", "a2", "c", "missing"),
		cmd("UNLINK", "d"),
		cmd("GET", "missing"),
		// lazy expiry: the key is gone by the time GET looks at it (active
		// expiry is off meanwhile, or it could win the race on either server)
		cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
		cmd("SET", "lazy", "v", "PX", "1"),
		cmd("DEBUG", "SLEEP", "0.01"),
		cmd("GET", "lazy"),
		cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
		// active expiry: nobody touches the key, the server expires it
		cmd("SET", "active", "v", "PX", "1"),
		{waitFor: "__keyevent@0__:expired"},
		// classes switched off and on
		cmd("CONFIG", "SET", "notify-keyspace-events", "Kg"),
		cmd("SET", "k", "silent"),
		cmd("DEL", "k"),
		cmd("CONFIG", "SET", "notify-keyspace-events", "E$xnm"),
		cmd("SET", "k", "v"),
		cmd("GET", "nothing-here"),
		cmd("EXISTS", "nothing-here"),
		cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
		cmd("SET", "gone", "v", "PX", "1"),
		cmd("DEBUG", "SLEEP", "0.01"),
		cmd("STRLEN", "gone"),
		cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
		cmd("CONFIG", "SET", "notify-keyspace-events", ""),
		cmd("SET", "k", "v"),
		cmd("PUBLISH", "news.sport", "still subscribed"),
	}
}

func TestPubSubStreamMatchesRedis(t *testing.T) {
	args := []string{"--enable-debug-command", "yes"}
	real := testutil.StartRedis(t, args...)
	ours := testutil.StartRedoubt(t, args...)
	for _, proto := range []int{2, 3} {
		t.Run("resp"+strconv.Itoa(proto), func(t *testing.T) {
			for _, p := range []*testutil.Proc{real, ours} {
				testutil.DialRaw(t, p.Addr).Do("FLUSHALL")
			}
			want := subscriberStream(t, real.Addr, proto, pubsubScript())
			got := subscriberStream(t, ours.Addr, proto, pubsubScript())
			if !bytes.Equal(want, got) {
				t.Fatalf("subscriber streams differ\nredis:\n%q\nredoubt:\n%q\nfirst difference at byte %d",
					want, got, firstDiff(want, got))
			}
			// the stream carries the events, not just markers
			for _, ev := range []string{"__keyevent@0__:expired", "__keyspace@0__:k", "__keyspace@1__:in-db1", "keymiss", "__keyevent@0__:new", "pmessage"} {
				if !bytes.Contains(got, []byte(ev)) {
					t.Errorf("stream lacks %q", ev)
				}
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// floodUntilDropped publishes large messages on channel until no
// subscriber receives them, pausing between messages when pause is set,
// and returns how many it published.
func floodUntilDropped(t *testing.T, pub *testutil.RawConn, channel string, pause time.Duration, limit int) int {
	t.Helper()
	payload := strings.Repeat("x", 64*1024)
	for i := 1; i <= limit; i++ {
		rep := pub.Do("PUBLISH", channel, payload)
		if string(rep.Raw) == ":0\r\n" {
			return i
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	t.Fatalf("the subscriber that does not read was still subscribed after %d messages of 64KB", limit)
	return 0
}

// drainUntilClosed reads what the server had sent and asserts the
// connection then ends (not a read timeout).
func drainUntilClosed(t *testing.T, c *testutil.RawConn) {
	t.Helper()
	buf := make([]byte, 1<<16)
	for {
		c.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.R.Read(buf)
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the slow subscriber's connection is still open")
		}
		return
	}
}

func TestSlowSubscriberIsDisconnected(t *testing.T) {
	cases := []struct {
		name, limit string
		pause       time.Duration
		maxMessages int
	}{
		// 1MB hard limit: kernel socket buffers absorb a few MB first
		{"hard", "pubsub 1mb 0 0", 0, 2000},
		// over 256KB for more than a second
		{"soft", "pubsub 0 256kb 1", 20 * time.Millisecond, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, start := range []func(testing.TB, ...string) *testutil.Proc{testutil.StartRedis, testutil.StartRedoubt} {
				p := start(t, "--client-output-buffer-limit", tc.limit, "--loglevel", "notice")
				sub := testutil.DialRaw(t, p.Addr)
				if got := sub.DoRaw("SUBSCRIBE", "slow"); !strings.Contains(got, "slow") {
					t.Fatalf("SUBSCRIBE: %q", got)
				}
				// a well-behaved subscriber on the same channel is kept
				good := testutil.DialRaw(t, p.Addr)
				good.DoRaw("SUBSCRIBE", "other")
				pub := testutil.DialRaw(t, p.Addr)
				n := floodUntilDropped(t, pub, "slow", tc.pause, tc.maxMessages)
				if n < 2 {
					t.Fatalf("dropped after %d message(s): the limit cannot have been reached", n)
				}
				drainUntilClosed(t, sub)
				if got := pub.DoRaw("PUBLISH", "other", "hi"); got != ":1\r\n" {
					t.Fatalf("the subscriber that reads was affected: PUBLISH said %q", got)
				}
				if got := good.ReadRaw(); !strings.Contains(got, "hi") {
					t.Fatalf("good subscriber got %q", got)
				}
				if info := pub.Do("INFO", "stats").Body(); !strings.Contains(info, "pubsub_channels:1\r\n") {
					t.Fatalf("the dropped subscriber's channel is still counted:\n%s", info)
				}
				log, _ := os.ReadFile(p.Log)
				// Redis logs "scheduled to be closed ASAP" or, when it closes
				// the client at once, "closed": either names the limit
				if !bytes.Contains(log, []byte("for overcoming of output buffer limits.")) ||
					!bytes.Contains(log, []byte("sub=1")) {
					t.Fatalf("no output-buffer-limit log line in\n%s", log)
				}
			}
		})
	}
}

// TestOwnMessagesIgnoreReplyOff checks, on one RESP3 connection, that
// messages a client publishes to itself reach it even while CLIENT REPLY
// OFF or SKIP drops its replies, as Redis sends pushes regardless.
func TestOwnMessagesIgnoreReplyOff(t *testing.T) {
	script := [][]string{
		{"SUBSCRIBE", "self"},
		{"CLIENT", "REPLY", "OFF"},
		{"PUBLISH", "self", "reply dropped, message kept"},
		{"CLIENT", "REPLY", "ON"},
		{"CLIENT", "REPLY", "SKIP"},
		{"PUBLISH", "self", "skipped"},
		{"PUBLISH", "self", "answered"},
		{"PING", "end"},
	}
	stream := func(addr string) []byte {
		c := testutil.DialRaw(t, addr)
		c.Do("HELLO", "3")
		var pipeline []byte
		for _, args := range script {
			pipeline = append(pipeline, testutil.EncodeCommand(args...)...)
		}
		c.Conn.Write(pipeline)
		var out bytes.Buffer
		for !bytes.HasSuffix(out.Bytes(), []byte("$3\r\nend\r\n")) {
			out.Write(c.Read().Raw)
		}
		return out.Bytes()
	}
	want := stream(testutil.StartRedis(t).Addr)
	got := stream(testutil.StartRedoubt(t).Addr)
	if !bytes.Equal(want, got) {
		t.Fatalf("redis:\n%q\nredoubt:\n%q", want, got)
	}
	if !bytes.Contains(got, []byte("message kept")) || !bytes.Contains(got, []byte("$7\r\nskipped")) {
		t.Fatalf("own messages missing: %q", got)
	}
}
