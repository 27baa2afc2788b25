// Package integration holds cross-process tests that talk to redoubt (and,
// where behaviour is compared, to a real redis-server) with real clients.
//
// conn_test.go covers the connection-level commands: the RESP3 handshake
// through go-redis, authentication, CLIENT KILL of another connection,
// CLIENT PAUSE holding back writes but not reads, and CLIENT REPLY modes.
// Each scenario runs against both servers so it asserts Redis's behaviour.
package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/test/testutil"
)

func TestHelloRESP3WithGoRedis(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		rdb := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 3, ClientName: "resp3client"})
		defer rdb.Close()

		hello, err := rdb.Do(ctx, "HELLO", "3").Result()
		if err != nil {
			t.Fatal(err)
		}
		m, ok := hello.(map[interface{}]interface{})
		if !ok {
			t.Fatalf("HELLO 3 reply is %T, want a RESP3 map", hello)
		}
		if m["proto"] != int64(3) || m["server"] != "redis" || m["version"] != "7.0.15" ||
			m["mode"] != "standalone" || m["role"] != "master" {
			t.Fatalf("HELLO map: %v", m)
		}
		if _, ok := m["id"].(int64); !ok {
			t.Fatalf("HELLO id: %v", m["id"])
		}
		if mods, ok := m["modules"].([]interface{}); !ok || len(mods) != 0 {
			t.Fatalf("HELLO modules: %#v", m["modules"])
		}
		// go-redis named the connection in its HELLO handshake.
		if name, err := rdb.ClientGetName(ctx).Result(); err != nil || name != "resp3client" {
			t.Fatalf("CLIENT GETNAME = %q, %v", name, err)
		}
		info, err := rdb.ClientInfo(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if info.Name != "resp3client" || info.Resp != 3 {
			t.Fatalf("CLIENT INFO: name %q resp %d", info.Name, info.Resp)
		}

		// The raw encoding switches with HELLO and back.
		rc := testutil.DialRaw(t, p.Addr)
		if got := rc.DoRaw("HELLO", "3"); !strings.HasPrefix(got, "%7\r\n") {
			t.Fatalf("HELLO 3 raw: %q", got)
		}
		if got := rc.DoRaw("GET", "nokey"); got != "_\r\n" {
			t.Fatalf("RESP3 null: %q", got)
		}
		if got := rc.DoRaw("HELLO", "2"); !strings.HasPrefix(got, "*14\r\n") {
			t.Fatalf("HELLO 2 raw: %q", got)
		}
		if got := rc.DoRaw("GET", "nokey"); got != "$-1\r\n" {
			t.Fatalf("RESP2 null: %q", got)
		}
	})
}

func TestAuthWithRequirePass(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		rc := testutil.DialRaw(t, p.Addr)
		if got := rc.DoRaw("GET", "k"); got != "-NOAUTH Authentication required.\r\n" {
			t.Fatalf("GET before AUTH: %q", got)
		}
		if got := rc.DoRaw("HELLO", "3"); !strings.HasPrefix(got, "-NOAUTH HELLO must be called with the client already authenticated") {
			t.Fatalf("HELLO before AUTH: %q", got)
		}
		if got := rc.DoRaw("AUTH", "wrong"); got != "-WRONGPASS invalid username-password pair or user is disabled.\r\n" {
			t.Fatalf("AUTH wrong: %q", got)
		}
		if got := rc.DoRaw("AUTH", "default", "wrong"); !strings.HasPrefix(got, "-WRONGPASS") {
			t.Fatalf("AUTH default wrong: %q", got)
		}
		if got := rc.DoRaw("HELLO", "3", "AUTH", "default", "secret"); !strings.HasPrefix(got, "%7\r\n") {
			t.Fatalf("HELLO 3 AUTH: %q", got)
		}
		if got := rc.DoRaw("GET", "k"); got != "_\r\n" {
			t.Fatalf("GET after HELLO AUTH: %q", got)
		}
		// RESET logs the client out again (the default user has a password).
		if got := rc.DoRaw("RESET"); got != "+RESET\r\n" {
			t.Fatalf("RESET: %q", got)
		}
		if got := rc.DoRaw("GET", "k"); got != "-NOAUTH Authentication required.\r\n" {
			t.Fatalf("GET after RESET: %q", got)
		}
		if got := rc.DoRaw("AUTH", "secret"); got != "+OK\r\n" {
			t.Fatalf("AUTH secret: %q", got)
		}
		if got := rc.DoRaw("GET", "k"); got != "$-1\r\n" {
			t.Fatalf("GET after AUTH (RESP2 after RESET): %q", got)
		}

		ctx := context.Background()
		good := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 3, Password: "secret"})
		defer good.Close()
		if err := good.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("go-redis with password: %v", err)
		}
		bad := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 3, Password: "nope", MaxRetries: -1})
		defer bad.Close()
		if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Fatalf("go-redis with a wrong password: %v", err)
		}
	}, "--requirepass", "secret")
}

// clientLine returns the CLIENT LIST line of the client with the given id,
// or "" when it is not listed.
func clientLine(t *testing.T, rdb *redis.Client, id int64) string {
	t.Helper()
	list, err := rdb.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("id=%d ", id)
	for _, l := range strings.Split(list, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func field(line, name string) string {
	for _, kv := range strings.Fields(line) {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

func TestClientKillAnotherConnection(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		admin := redis.NewClient(&redis.Options{Addr: p.Addr, PoolSize: 1})
		defer admin.Close()

		victim := testutil.DialRaw(t, p.Addr)
		victim.DoRaw("CLIENT", "SETNAME", "victim")
		id := parseIntReply(t, victim.DoRaw("CLIENT", "ID"))
		line := clientLine(t, admin, id)
		if field(line, "name") != "victim" {
			t.Fatalf("victim not listed: %q", line)
		}

		if n, err := admin.ClientKillByFilter(ctx, "ID", fmt.Sprint(id)).Result(); err != nil || n != 1 {
			t.Fatalf("CLIENT KILL ID: %d, %v", n, err)
		}
		victim.WaitClosed()
		if l := clientLine(t, admin, id); l != "" {
			t.Fatalf("killed client still listed: %q", l)
		}

		// Old form, by address; then nothing matches any more.
		other := testutil.DialRaw(t, p.Addr)
		oid := parseIntReply(t, other.DoRaw("CLIENT", "ID"))
		addr := field(clientLine(t, admin, oid), "addr")
		if err := admin.ClientKill(ctx, addr).Err(); err != nil {
			t.Fatalf("CLIENT KILL addr: %v", err)
		}
		other.WaitClosed()
		if err := admin.ClientKill(ctx, addr).Err(); err == nil || err.Error() != "ERR No such client" {
			t.Fatalf("CLIENT KILL of a gone addr: %v", err)
		}

		// A client may kill itself with SKIPME no: it gets the reply first.
		self := testutil.DialRaw(t, p.Addr)
		sid := parseIntReply(t, self.DoRaw("CLIENT", "ID"))
		if got := self.DoRaw("CLIENT", "KILL", "ID", fmt.Sprint(sid), "SKIPME", "no"); got != ":1\r\n" {
			t.Fatalf("self kill: %q", got)
		}
		self.WaitClosed()
		// With SKIPME yes (the default) it is spared.
		spared := testutil.DialRaw(t, p.Addr)
		spid := parseIntReply(t, spared.DoRaw("CLIENT", "ID"))
		if got := spared.DoRaw("CLIENT", "KILL", "ID", fmt.Sprint(spid)); got != ":0\r\n" {
			t.Fatalf("skipme kill: %q", got)
		}
		if got := spared.DoRaw("PING"); got != "+PONG\r\n" {
			t.Fatalf("spared client: %q", got)
		}
	})
}

func parseIntReply(t *testing.T, raw string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscanf(raw, ":%d\r\n", &n); err != nil {
		t.Fatalf("not an integer reply: %q", raw)
	}
	return n
}

// waitPausedOn polls CLIENT LIST until the client is blocked by the pause
// on command cmd: then its command has certainly reached the server.
func waitPausedOn(t *testing.T, admin *redis.Client, id int64, cmd string) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		l := clientLine(t, admin, id)
		if strings.Contains(field(l, "flags"), "b") && field(l, "cmd") == cmd {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("client %d never shown blocked on %s: %q", id, cmd, clientLine(t, admin, id))
}

func TestClientPauseWriteDelaysWritesNotReads(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		// The admin connection only runs reads and CLIENT commands, which
		// a WRITE pause lets through.
		admin := redis.NewClient(&redis.Options{Addr: p.Addr, PoolSize: 1})
		defer admin.Close()
		if err := admin.Set(ctx, "k", "old", 0).Err(); err != nil {
			t.Fatal(err)
		}

		writer := testutil.DialRaw(t, p.Addr)
		wid := parseIntReply(t, writer.DoRaw("CLIENT", "ID"))
		if err := admin.Do(ctx, "CLIENT", "PAUSE", "600000", "WRITE").Err(); err != nil {
			t.Fatal(err)
		}
		writer.Send("SET", "k", "new")
		waitPausedOn(t, admin, wid, "set")

		// Reads go on during the pause and see the old value.
		if v, err := admin.Get(ctx, "k").Result(); err != nil || v != "old" {
			t.Fatalf("GET during pause = %q, %v", v, err)
		}
		if err := admin.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
			t.Fatal(err)
		}
		if got := writer.ReadRaw(); got != "+OK\r\n" {
			t.Fatalf("SET after unpause: %q", got)
		}
		if v, err := admin.Get(ctx, "k").Result(); err != nil || v != "new" {
			t.Fatalf("GET after pause = %q, %v", v, err)
		}

		// PAUSE ALL holds back every command, CLIENT LIST and UNPAUSE
		// included, so it can only end by itself; what was sent meanwhile
		// then runs in order.
		reader := testutil.DialRaw(t, p.Addr)
		if err := admin.Do(ctx, "CLIENT", "PAUSE", "200", "ALL").Err(); err != nil {
			t.Fatal(err)
		}
		reader.Send("GET", "k")
		reader.Send("PING")
		if got := reader.ReadRaw(); got != "$3\r\nnew\r\n" {
			t.Fatalf("GET after PAUSE ALL: %q", got)
		}
		if got := reader.ReadRaw(); got != "+PONG\r\n" {
			t.Fatalf("PING after PAUSE ALL: %q", got)
		}
	})
}

func TestClientReplyOffSkip(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		rc := testutil.DialRaw(t, p.Addr)
		// Pipelined: only the replies of CLIENT REPLY ON and what follows
		// it may arrive.
		rc.Send("CLIENT", "REPLY", "OFF")
		rc.Send("SET", "a", "1")
		rc.Send("GET", "a")
		rc.Send("NOSUCHCOMMAND")
		rc.Send("CLIENT", "REPLY", "ON")
		rc.Send("GET", "a")
		if got := rc.ReadRaw(); got != "+OK\r\n" {
			t.Fatalf("first reply after REPLY OFF..ON: %q", got)
		}
		if got := rc.ReadRaw(); got != "$1\r\n1\r\n" {
			t.Fatalf("GET after REPLY ON: %q", got)
		}

		// SKIP drops exactly the next command's reply.
		rc.Send("CLIENT", "REPLY", "SKIP")
		rc.Send("SET", "b", "2")
		rc.Send("GET", "b")
		rc.Send("GET", "a")
		if got := rc.ReadRaw(); got != "$1\r\n2\r\n" {
			t.Fatalf("GET after SKIP: %q", got)
		}
		if got := rc.ReadRaw(); got != "$1\r\n1\r\n" {
			t.Fatalf("second GET after SKIP: %q", got)
		}
		// SKIP while OFF does nothing; ON restores replies.
		rc.Send("CLIENT", "REPLY", "OFF")
		rc.Send("CLIENT", "REPLY", "SKIP")
		rc.Send("GET", "a")
		rc.Send("CLIENT", "REPLY", "ON")
		rc.Send("PING")
		if got := rc.ReadRaw(); got != "+OK\r\n" {
			t.Fatalf("REPLY ON after OFF+SKIP: %q", got)
		}
		if got := rc.ReadRaw(); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
	})
}

// TestClientListFields checks that CLIENT LIST lines carry Redis 7.0's
// fields in Redis's order, with values that describe the connection.
func TestClientListFields(t *testing.T) {
	var want []string
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		rc := testutil.DialRaw(t, p.Addr)
		rc.DoRaw("SELECT", "2")
		rc.DoRaw("CLIENT", "SETNAME", "lister")
		raw := rc.DoRaw("CLIENT", "INFO")
		_, line, _ := strings.Cut(raw, "\r\n")
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\r\n"), "\n")
		var keys []string
		for _, kv := range strings.Fields(line) {
			k, _, _ := strings.Cut(kv, "=")
			keys = append(keys, k)
		}
		if want == nil {
			want = keys
		} else if strings.Join(keys, " ") != strings.Join(want, " ") {
			t.Fatalf("fields\n got %v\nwant %v", keys, want)
		}
		local := rc.Conn.LocalAddr().String()
		checks := map[string]string{
			"addr": local, "laddr": p.Addr, "name": "lister", "db": "2", "flags": "N",
			"cmd": "client|info", "user": "default", "resp": "2", "multi": "-1",
			"argv-mem": "10", "redir": "-1", "events": "r",
		}
		for k, v := range checks {
			if got := field(line, k); got != v {
				t.Errorf("%s=%q, want %q (line %q)", k, got, v, line)
			}
		}
		if fd := field(line, "fd"); fd == "" || fd == "-1" || fd == "0" {
			t.Errorf("fd=%q", fd)
		}
	})
}
