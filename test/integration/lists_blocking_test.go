// lists_blocking_test.go runs the blocking list scenarios a single reply
// cannot show against the real redis-server and redoubt alike, with real
// clients (go-redis and raw sockets): a blocked client served by another
// client's push, FIFO order among blocked clients, BLMOVE chains, timeouts,
// CLIENT UNBLOCK, pipelined commands held back behind a blocked command,
// and blocked clients that are killed or disconnect (they must not consume
// elements). Each step waits for observable state (INFO blocked_clients),
// never for an amount of time.
package integration

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// dedicatedClient is a go-redis client with exactly one connection, so its
// CLIENT ID is the connection that blocks.
func dedicatedClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 1, MaxIdleConns: 1, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func infoField(t *testing.T, c *redis.Client, section, field string) int {
	t.Helper()
	info, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s: %q", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return 0
}

// waitBlocked waits until exactly n clients are blocked.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := infoField(t, c, "clients", "blocked_clients")
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients stayed %d, want %d", got, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type popResult struct {
	val []string
	err error
}

// blpopAsync starts BLPOP on its own connection and returns its result channel.
func blpopAsync(t *testing.T, addr string, keys ...string) <-chan popResult {
	c := dedicatedClient(t, addr)
	ch := make(chan popResult, 1)
	go func() {
		v, err := c.BLPop(context.Background(), 0, keys...).Result()
		ch <- popResult{v, err}
	}()
	return ch
}

// recv waits for the reply of a client blocked in another goroutine.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("blocked client was never served")
	}
	var zero T
	return zero
}

func TestBlpopServedByLaterPush(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		ch := blpopAsync(t, addr, "k")
		waitBlocked(t, c, 1)
		list, err := c.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(list, "flags=b ") || !strings.Contains(list, "cmd=blpop") {
			t.Fatalf("CLIENT LIST does not show the blocked client:\n%s", list)
		}
		if n := c.LPush(ctx, "k", "v1", "v2").Val(); n != 2 {
			t.Fatalf("LPUSH replied %d", n)
		}
		r := recv(t, ch)
		if r.err != nil || fmt.Sprint(r.val) != "[k v2]" {
			t.Fatalf("BLPOP got %v %v", r.val, r.err)
		}
		if got := c.LRange(ctx, "k", 0, -1).Val(); fmt.Sprint(got) != "[v1]" {
			t.Fatalf("list after serving: %v", got)
		}
		waitBlocked(t, c, 0)
	})
}

func TestBlockedClientsServedInOrder(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		var chans []<-chan popResult
		for i := 0; i < 3; i++ {
			chans = append(chans, blpopAsync(t, addr, "other", "k"))
			waitBlocked(t, c, i+1)
		}
		// one client blocked on two keys, served by the second
		multi := blpopAsync(t, addr, "k1", "k2")
		waitBlocked(t, c, 4)
		if err := c.RPush(ctx, "k", "a", "b", "c", "d").Err(); err != nil {
			t.Fatal(err)
		}
		for i, ch := range chans {
			r := recv(t, ch)
			want := fmt.Sprintf("[k %c]", 'a'+i)
			if r.err != nil || fmt.Sprint(r.val) != want {
				t.Fatalf("client %d got %v %v, want %s", i, r.val, r.err, want)
			}
		}
		if got := c.LRange(ctx, "k", 0, -1).Val(); fmt.Sprint(got) != "[d]" {
			t.Fatalf("left in list: %v", got)
		}
		c.RPush(ctx, "k2", "x")
		if r := recv(t, multi); fmt.Sprint(r.val) != "[k2 x]" {
			t.Fatalf("multi-key client got %v %v", r.val, r.err)
		}
		waitBlocked(t, c, 0)
		if c.Exists(ctx, "k2").Val() != 0 {
			t.Fatal("emptied list not deleted")
		}
	})
}

func TestBlmoveChains(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		move := func(src, dst string) <-chan popResult {
			cl := dedicatedClient(t, addr)
			ch := make(chan popResult, 1)
			go func() {
				v, err := cl.BLMove(ctx, src, dst, "LEFT", "RIGHT", 0).Result()
				ch <- popResult{[]string{v}, err}
			}()
			return ch
		}
		m1 := move("k1", "k2")
		waitBlocked(t, c, 1)
		m2 := move("k2", "k3")
		waitBlocked(t, c, 2)
		last := blpopAsync(t, addr, "k3")
		waitBlocked(t, c, 3)
		c.RPush(ctx, "k1", "x")
		for i, ch := range []<-chan popResult{m1, m2} {
			if r := recv(t, ch); r.err != nil || r.val[0] != "x" {
				t.Fatalf("BLMOVE %d got %v %v", i, r.val, r.err)
			}
		}
		if r := recv(t, last); fmt.Sprint(r.val) != "[k3 x]" {
			t.Fatalf("BLPOP at the end of the chain got %v %v", r.val, r.err)
		}
		if n := c.Exists(ctx, "k1", "k2", "k3").Val(); n != 0 {
			t.Fatalf("%d keys left after the chain", n)
		}

		// source == destination: each client rotates the list in turn
		r1 := move("rot", "rot")
		waitBlocked(t, c, 1)
		r2 := move("rot", "rot")
		waitBlocked(t, c, 2)
		c.RPush(ctx, "rot", "a")
		for _, ch := range []<-chan popResult{r1, r2} {
			if r := recv(t, ch); r.err != nil || r.val[0] != "a" {
				t.Fatalf("rotating BLMOVE got %v %v", r.val, r.err)
			}
		}
		if got := c.LRange(ctx, "rot", 0, -1).Val(); fmt.Sprint(got) != "[a]" {
			t.Fatalf("rotated list: %v", got)
		}

		// destination of the wrong type: WRONGTYPE, nothing popped
		c.Set(ctx, "str", "v", 0)
		bad := move("src", "str")
		waitBlocked(t, c, 1)
		c.RPush(ctx, "src", "y")
		if r := recv(t, bad); r.err == nil || !strings.HasPrefix(r.err.Error(), "WRONGTYPE") {
			t.Fatalf("BLMOVE to a string got %v %v", r.val, r.err)
		}
		if got := c.LRange(ctx, "src", 0, -1).Val(); fmt.Sprint(got) != "[y]" {
			t.Fatalf("source after WRONGTYPE: %v", got)
		}
		waitBlocked(t, c, 0)
	})
}

func TestBlockingTimeouts(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		raw := testutil.DialRaw(t, addr)
		// every list timeout replies a null array, BLMOVE's included
		for _, cmd := range [][]string{
			{"BLPOP", "nokey", "0.02"}, {"BRPOP", "a", "b", "0.001"},
			{"BLMOVE", "nokey", "dst", "LEFT", "RIGHT", "0.02"}, {"BRPOPLPUSH", "nokey", "dst", "0.02"},
			{"BLMPOP", "0.02", "2", "a", "b", "LEFT"},
		} {
			if got := raw.DoRaw(cmd...); got != "*-1\r\n" {
				t.Fatalf("%v timeout reply %q", cmd, got)
			}
		}
		if err := c.BLPop(ctx, time.Second, "nokey").Err(); err != redis.Nil {
			t.Fatalf("BLPOP timeout: %v", err)
		}
		waitBlocked(t, c, 0)
		if n := c.Exists(ctx, "dst").Val(); n != 0 {
			t.Fatal("timed out BLMOVE created its destination")
		}
	})
}

func TestClientUnblock(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		for _, mode := range []string{"TIMEOUT", "ERROR", ""} {
			b := dedicatedClient(t, addr)
			id := b.ClientID(ctx).Val()
			if n := c.Do(ctx, "CLIENT", "UNBLOCK", id).Val(); n != int64(0) {
				t.Fatalf("CLIENT UNBLOCK of a client not blocked: %v", n)
			}
			ch := make(chan error, 1)
			go func() { ch <- b.BRPop(ctx, 0, "k").Err() }()
			waitBlocked(t, c, 1)
			args := []any{"CLIENT", "UNBLOCK", id}
			if mode != "" {
				args = append(args, mode)
			}
			if n := c.Do(ctx, args...).Val(); n != int64(1) {
				t.Fatalf("CLIENT UNBLOCK %s replied %v", mode, n)
			}
			var err error
			select {
			case err = <-ch:
			case <-time.After(10 * time.Second):
				t.Fatal("CLIENT UNBLOCK did not wake the client")
			}
			if mode == "ERROR" {
				if err == nil || err.Error() != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
					t.Fatalf("unblocked with ERROR: %v", err)
				}
			} else if err != redis.Nil {
				t.Fatalf("unblocked with %q: %v", mode, err)
			}
			waitBlocked(t, c, 0)
			// the client is usable again
			if err := b.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		c.RPush(ctx, "k", "v")
		if c.LLen(ctx, "k").Val() != 1 {
			t.Fatal("an unblocked client consumed an element")
		}
	})
}

func TestPipelinedCommandsWaitForBlockedCommand(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var req []byte
		for _, cmd := range [][]string{{"BLPOP", "k", "0"}, {"SET", "after", "1"}, {"INCR", "after"}} {
			req = append(req, testutil.EncodeCommand(cmd...)...)
		}
		if _, err := conn.Write(req); err != nil {
			t.Fatal(err)
		}
		waitBlocked(t, c, 1)
		if err := c.Get(ctx, "after").Err(); err != redis.Nil {
			t.Fatalf("a command pipelined after BLPOP ran early: %v", err)
		}
		// more input while blocked is buffered too
		conn.Write(testutil.EncodeCommand("INCR", "after"))
		c.RPush(ctx, "k", "v")
		rd := bufio.NewReader(conn)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var got []string
		for i := 0; i < 4; i++ {
			r, err := testutil.ReadReply(rd)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(r.Raw))
		}
		want := []string{"*2\r\n$1\r\nk\r\n$1\r\nv\r\n", "+OK\r\n", ":2\r\n", ":3\r\n"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("replies %q, want %q", got, want)
		}
	})
}

func TestBlockedClientKilledOrGone(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		b := dedicatedClient(t, addr)
		id := b.ClientID(ctx).Val()
		ch := make(chan error, 1)
		go func() { ch <- b.BLPop(ctx, 0, "k").Err() }()
		waitBlocked(t, c, 1)
		if n := c.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Val(); n != 1 {
			t.Fatalf("CLIENT KILL killed %d", n)
		}
		select {
		case err := <-ch:
			if err == nil || errors.Is(err, redis.Nil) {
				t.Fatalf("killed client got %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("killed client never returned")
		}
		waitBlocked(t, c, 0)

		// a blocked client that disconnects is forgotten at once
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(testutil.EncodeCommand("BRPOP", "k", "0"))
		waitBlocked(t, c, 1)
		conn.Close()
		waitBlocked(t, c, 0)
		c.RPush(ctx, "k", "v")
		if got := c.LRange(ctx, "k", 0, -1).Val(); fmt.Sprint(got) != "[v]" {
			t.Fatalf("a gone client consumed an element: %v", got)
		}
	})
}

func TestBlockingInfoCounters(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		c := newClient(t, addr)
		forever := blpopAsync(t, addr, "k")
		waitBlocked(t, c, 1)
		if n := infoField(t, c, "clients", "clients_in_timeout_table"); n != 0 {
			t.Fatalf("clients_in_timeout_table %d with a timeout of 0", n)
		}
		b := dedicatedClient(t, addr)
		go b.BLPop(context.Background(), time.Hour, "k2")
		waitBlocked(t, c, 2)
		if n := infoField(t, c, "clients", "clients_in_timeout_table"); n != 1 {
			t.Fatalf("clients_in_timeout_table %d", n)
		}
		c.RPush(context.Background(), "k", "v", "w")
		recv(t, forever)
		c.RPush(context.Background(), "k2", "v")
		waitBlocked(t, c, 0)
		if n := infoField(t, c, "clients", "clients_in_timeout_table"); n != 0 {
			t.Fatalf("clients_in_timeout_table %d after serving", n)
		}
	})
}

func TestBlockingInsideMulti(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		raw := testutil.DialRaw(t, addr)
		if got := raw.DoRaw("MULTI"); got != "+OK\r\n" {
			t.Skipf("MULTI not available: %q", got)
		}
		for _, cmd := range [][]string{{"BLPOP", "nokey", "0"}, {"BLMOVE", "nokey", "d", "LEFT", "RIGHT", "0"}, {"BLMPOP", "0", "1", "nokey", "LEFT"}} {
			if got := raw.DoRaw(cmd...); got != "+QUEUED\r\n" {
				t.Fatalf("%v: %q", cmd, got)
			}
		}
		if got := raw.DoRaw("EXEC"); got != "*3\r\n*-1\r\n$-1\r\n*-1\r\n" {
			t.Fatalf("EXEC replied %q", got)
		}
	})
}
