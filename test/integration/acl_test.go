// acl_test.go checks ACL users through go-redis on both servers: AUTH and
// HELLO AUTH as ACL users, each kind of denial (command, key, channel,
// auth) recorded in ACL LOG with Redis 7.0's fields, requirepass as the
// default user's password, and DELUSER closing the user's connections.
package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/test/testutil"
)

func TestACLDenialsLogged(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		admin := redis.NewClient(&redis.Options{Addr: p.Addr})
		defer admin.Close()
		if err := admin.Do(ctx, "ACL", "SETUSER", "alice", "on", ">pw", "~k*", "&c*", "+get", "+publish").Err(); err != nil {
			t.Fatal(err)
		}
		for _, proto := range []int{2, 3} {
			alice := redis.NewClient(&redis.Options{Addr: p.Addr, Username: "alice", Password: "pw", Protocol: proto})
			if who, err := alice.Do(ctx, "ACL", "WHOAMI").Result(); err == nil {
				t.Fatalf("WHOAMI allowed: %v", who) // alice lacks acl|whoami
			} else if err.Error() != "NOPERM this user has no permissions to run the 'acl|whoami' command" {
				t.Fatalf("WHOAMI: %v", err)
			}
			if err := alice.Get(ctx, "k1").Err(); err != redis.Nil {
				t.Fatalf("GET k1: %v", err)
			}
			if err := alice.Set(ctx, "k1", "v", 0).Err(); err == nil || err.Error() != "NOPERM this user has no permissions to run the 'set' command" {
				t.Fatalf("SET: %v", err)
			}
			if err := alice.Get(ctx, "other").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to access one of the keys used as arguments" {
				t.Fatalf("GET other: %v", err)
			}
			if err := alice.Publish(ctx, "news", "m").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to access one of the channels used as arguments" {
				t.Fatalf("PUBLISH: %v", err)
			}
			alice.Close()
		}
		bad := redis.NewClient(&redis.Options{Addr: p.Addr, Username: "alice", Password: "wrong", MaxRetries: -1})
		err := bad.Ping(ctx).Err()
		bad.Close()
		if err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS invalid username-password pair or user is disabled.") {
			t.Fatalf("wrong password: %v", err)
		}

		entries, err := admin.Do(ctx, "ACL", "LOG").Slice()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]map[string]interface{}{}
		for _, e := range entries {
			m := aclLogEntry(t, e)
			got[m["reason"].(string)+" "+m["object"].(string)] = m
		}
		want := map[string]int64{"command acl|whoami": 2, "command set": 2, "key other": 2, "channel news": 2, "auth hello": 1, "auth auth": 1}
		if len(got) != len(want) {
			t.Fatalf("ACL LOG entries: %v", got)
		}
		for k, n := range want {
			m := got[k]
			if m == nil {
				t.Fatalf("no ACL LOG entry %q in %v", k, got)
			}
			if m["count"] != n || m["context"] != "toplevel" || m["username"] != "alice" {
				t.Fatalf("%s: %v", k, m)
			}
			if _, ok := m["age-seconds"]; !ok || !strings.Contains(m["client-info"].(string), " addr=") {
				t.Fatalf("%s: %v", k, m)
			}
			if len(m) != 7 {
				t.Fatalf("%s has %d fields: %v", k, len(m), m)
			}
		}
		if err := admin.Do(ctx, "ACL", "LOG", "RESET").Err(); err != nil {
			t.Fatal(err)
		}
		if n, _ := admin.Do(ctx, "ACL", "LOG").Slice(); len(n) != 0 {
			t.Fatalf("after RESET: %v", n)
		}
	})
}

// aclLogEntry turns one ACL LOG entry (a RESP3 map) into a string-keyed map.
func aclLogEntry(t *testing.T, e interface{}) map[string]interface{} {
	t.Helper()
	rm, ok := e.(map[interface{}]interface{})
	if !ok {
		t.Fatalf("ACL LOG entry is %T", e)
	}
	var flat []interface{}
	for k, v := range rm {
		flat = append(flat, k, v)
	}
	m := map[string]interface{}{}
	for i := 0; i+1 < len(flat); i += 2 {
		m[flat[i].(string)] = flat[i+1]
	}
	return m
}

func TestACLAuthAndHello(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		admin := redis.NewClient(&redis.Options{Addr: p.Addr, Password: "secret"})
		defer admin.Close()
		if err := admin.Do(ctx, "ACL", "SETUSER", "bob", "on", ">b1", ">b2", "~*", "+@all").Err(); err != nil {
			t.Fatal(err)
		}
		for _, pass := range []string{"b1", "b2"} {
			for _, proto := range []int{2, 3} {
				// go-redis sends HELLO proto AUTH user pass (then AUTH when HELLO fails).
				bob := redis.NewClient(&redis.Options{Addr: p.Addr, Username: "bob", Password: pass, Protocol: proto})
				who, err := bob.Do(ctx, "ACL", "WHOAMI").Text()
				bob.Close()
				if err != nil || who != "bob" {
					t.Fatalf("bob/%s RESP%d: %q %v", pass, proto, who, err)
				}
			}
		}
		// requirepass is the default user's password.
		noauth := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
		if err := noauth.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Fatalf("no password: %v", err)
		}
		noauth.Close()
		if err := admin.Do(ctx, "AUTH", "default", "secret").Err(); err != nil {
			t.Fatal(err)
		}
		// A disabled user cannot log in.
		if err := admin.Do(ctx, "ACL", "SETUSER", "bob", "off").Err(); err != nil {
			t.Fatal(err)
		}
		off := redis.NewClient(&redis.Options{Addr: p.Addr, Username: "bob", Password: "b1", MaxRetries: -1})
		if err := off.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
			t.Fatalf("disabled user: %v", err)
		}
		off.Close()
		// Deleting a user closes its connections.
		if err := admin.Do(ctx, "ACL", "SETUSER", "bob", "on").Err(); err != nil {
			t.Fatal(err)
		}
		bob := redis.NewClient(&redis.Options{Addr: p.Addr, Username: "bob", Password: "b1", MaxRetries: -1, PoolSize: 1})
		defer bob.Close()
		if err := bob.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := admin.Do(ctx, "ACL", "DELUSER", "bob").Int(); err != nil || n != 1 {
			t.Fatalf("DELUSER: %d %v", n, err)
		}
		if err := bob.Ping(ctx).Err(); err == nil {
			t.Fatal("connection of a deleted user still works")
		}
	}, "--requirepass", "secret")
}

func TestACLFileLoadSave(t *testing.T) {
	dir := t.TempDir()
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(dir, s.name+".acl")
			if err := os.WriteFile(path, []byte("user default on nopass ~* &* +@all\nuser a on >x ~k* +get\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			p := s.start(t, "--aclfile", path)
			rdb := redis.NewClient(&redis.Options{Addr: p.Addr})
			defer rdb.Close()
			list, err := rdb.Do(ctx, "ACL", "LIST").StringSlice()
			if err != nil || strings.Join(list, "\n") != "user a on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~k* resetchannels -@all +get\nuser default on nopass ~* &* +@all" {
				t.Fatalf("ACL LIST: %q %v", list, err)
			}
			if err := rdb.Do(ctx, "ACL", "SETUSER", "b", "on", "&x").Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Do(ctx, "ACL", "SAVE").Err(); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if string(data) != "user a on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~k* resetchannels -@all +get\nuser b on resetchannels &x -@all\nuser default on nopass ~* &* +@all\n" {
				t.Fatalf("saved: %q", data)
			}
			os.WriteFile(path, []byte("user a on bogus\nfoo bar\nuser a off\n"), 0o644)
			want := "ERR " + path + ":1: Syntax error. " + path + ":2 should start with user keyword followed by the username. WARNING: Duplicate user 'a' found on line 3. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
			if err := rdb.Do(ctx, "ACL", "LOAD").Err(); err == nil || err.Error() != want {
				t.Fatalf("ACL LOAD: %v", err)
			}
			os.WriteFile(path, []byte("user c on nopass +@all ~*\n"), 0o644)
			if err := rdb.Do(ctx, "ACL", "LOAD").Err(); err != nil {
				t.Fatal(err)
			}
			users, _ := rdb.Do(ctx, "ACL", "USERS").StringSlice()
			if strings.Join(users, ",") != "c,default" {
				t.Fatalf("users after LOAD: %v", users)
			}
		})
	}
}

func TestACLUserDirectives(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		rdb := redis.NewClient(&redis.Options{Addr: p.Addr, Username: "ops", Password: "o"})
		defer rdb.Close()
		if who, err := rdb.Do(ctx, "ACL", "WHOAMI").Text(); err != nil || who != "ops" {
			t.Fatalf("WHOAMI %q %v", who, err)
		}
		list, _ := rdb.Do(ctx, "ACL", "LIST").StringSlice()
		if strings.Join(list, "\n") != "user default off sanitize-payload resetchannels -@all\nuser ops on #65c74c15a686187bb6bbf9958f494fc6b80068034a659a9ad44991b08c58f2d2 ~* resetchannels +@all" {
			t.Fatalf("ACL LIST %q", list)
		}
	}, "--user", "ops", "on", ">o", "~*", "+@all", "--user", "default", "off")
	// users in the config and an aclfile at once are refused at startup.
	for _, s := range []string{testutil.RedisServerPath(t), testutil.RedoubtBinary(t)} {
		args := []string{"--port", strconv.Itoa(testutil.FreePort(t)), "--aclfile", "/nonexistent.acl", "--user", "x", "on"}
		if strings.HasSuffix(s, "redoubt") {
			args = append([]string{"server"}, args...)
		}
		out, err := exec.Command(s, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid") {
			t.Fatalf("%s: %v %s", s, err, out)
		}
	}
}

// Rules changed between MULTI and EXEC: EXEC refuses the queued commands
// that are no longer allowed and logs them with context "multi".
func TestACLChangedBeforeExec(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		admin := redis.NewClient(&redis.Options{Addr: p.Addr})
		defer admin.Close()
		if err := admin.Do(ctx, "ACL", "SETUSER", "m", "on", "nopass", "~*", "&*", "+@all").Err(); err != nil {
			t.Fatal(err)
		}
		m := testutil.DialRaw(t, p.Addr)
		for _, c := range [][]string{{"AUTH", "m", "x"}, {"MULTI"}, {"GET", "k"}, {"SET", "k", "v"}, {"PUBLISH", "ch", "v"}, {"PING"}} {
			m.Do(c...)
		}
		if err := admin.Do(ctx, "ACL", "SETUSER", "m", "-get", "resetkeys", "~k2", "resetchannels").Err(); err != nil {
			t.Fatal(err)
		}
		const prefix = "-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: "
		want := "*4\r\n" + prefix + "no permission to execute the command or subcommand\r\n" +
			prefix + "no permission to touch the specified keys\r\n" +
			prefix + "no permission to access one of the channels used as arguments\r\n+PONG\r\n"
		if got := m.DoRaw("EXEC"); got != want {
			t.Fatalf("EXEC:\n%q\nwant\n%q", got, want)
		}
		entries, err := admin.Do(ctx, "ACL", "LOG").Slice()
		if err != nil || len(entries) != 3 {
			t.Fatalf("ACL LOG: %v %v", entries, err)
		}
		for i, want := range []string{"channel ch", "key k", "command get"} {
			e := aclLogEntry(t, entries[i])
			if e["reason"].(string)+" "+e["object"].(string) != want || e["context"] != "multi" || e["username"] != "m" {
				t.Fatalf("entry %d: %v", i, e)
			}
		}
	})
}

// Narrowing a user's channels closes its connections subscribed to
// channels it may no longer use; acllog-max-len bounds ACL LOG.
func TestACLPubsubKillAndLogLen(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		admin := redis.NewClient(&redis.Options{Addr: p.Addr})
		defer admin.Close()
		if err := admin.Do(ctx, "ACL", "SETUSER", "s", "on", "nopass", "&*", "+@all").Err(); err != nil {
			t.Fatal(err)
		}
		sub := testutil.DialRaw(t, p.Addr)
		sub.Do("AUTH", "s", "x")
		sub.Do("SUBSCRIBE", "news")
		if err := admin.Do(ctx, "ACL", "SETUSER", "s", "resetchannels", "&news").Err(); err != nil {
			t.Fatal(err)
		}
		if got := sub.DoRaw("PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
			t.Fatalf("still allowed: PING %q", got)
		}
		if err := admin.Do(ctx, "ACL", "SETUSER", "s", "resetchannels", "&other").Err(); err != nil {
			t.Fatal(err)
		}
		sub.WaitClosed()

		if err := admin.Do(ctx, "CONFIG", "SET", "acllog-max-len", "2").Err(); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"u1", "u2", "u3"} {
			admin.Do(ctx, "AUTH", u, "x")
		}
		if n, _ := admin.Do(ctx, "ACL", "LOG").Slice(); len(n) != 2 {
			t.Fatalf("ACL LOG holds %d entries, want 2", len(n))
		}
	})
}
