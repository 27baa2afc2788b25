package integration

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/test/testutil"
)

// A script's redis.call runs as the user who called EVAL: denials raise
// "The user executing the script ..." (pcall returns it) and are logged in
// ACL LOG with context "lua", the caller's client info, and merged with a
// recent identical entry that moves back to the head.
func TestScriptACLDenialsLogged(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		admin := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 3})
		defer admin.Close()
		if err := admin.Do(ctx, "ACL", "SETUSER", "sc", "on", "nopass", "+eval", "+get", "+publish", "~k*", "&c*").Err(); err != nil {
			t.Fatal(err)
		}
		if err := admin.Do(ctx, "CONFIG", "RESETSTAT").Err(); err != nil {
			t.Fatal(err)
		}
		c := testutil.DialRaw(t, p.Addr)
		c.Do("AUTH", "sc", "x")
		if got := c.DoRaw("EVAL", "return redis.call('get', 'k1')", "0"); got != "$-1\r\n" {
			t.Fatalf("allowed GET: %q", got)
		}
		const setScript = "return redis.call('set', 'k1', 'v')"
		want := "-ERR The user executing the script can't run this command or subcommand script: " +
			sha1hex(setScript) + ", on @user_script:1.\r\n"
		if got := c.DoRaw("EVAL", setScript, "0"); got != want {
			t.Fatalf("SET from script:\n%q\nwant\n%q", got, want)
		}
		want = "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments\r\n"
		if got := c.DoRaw("EVAL", "return redis.pcall('get', 'other')", "0"); got != want {
			t.Fatalf("pcall GET other:\n%q\nwant\n%q", got, want)
		}
		const pubScript = "return redis.call('publish', 'news', 'm')"
		want = "-ERR The user executing the script can't publish to the channel mentioned in the command script: " +
			sha1hex(pubScript) + ", on @user_script:1.\r\n"
		if got := c.DoRaw("EVAL", pubScript, "0"); got != want {
			t.Fatalf("PUBLISH from script:\n%q\nwant\n%q", got, want)
		}
		// the same denial again: merged into the oldest entry, now first
		c.Do("EVAL", setScript, "0")

		// refused calls are rejected_calls of the command; each EVAL whose
		// reply is the refusal failed
		info, err := admin.Info(ctx, "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"cmdstat_set:calls=0,", "cmdstat_publish:calls=0,", "cmdstat_get:calls=1,"} {
			if !strings.Contains(info, w) {
				t.Fatalf("no %q in %s", w, info)
			}
		}
		for _, w := range []string{"set rejected_calls=2", "publish rejected_calls=1", "get rejected_calls=1", "eval failed_calls=4"} {
			cmd, field, _ := strings.Cut(w, " ")
			if !strings.Contains(cmdstatLine(info, cmd), ","+field+",") && !strings.HasSuffix(cmdstatLine(info, cmd), ","+field) {
				t.Fatalf("%s: %q", w, cmdstatLine(info, cmd))
			}
		}

		entries, err := admin.Do(ctx, "ACL", "LOG").Slice()
		if err != nil || len(entries) != 3 {
			t.Fatalf("ACL LOG: %v %v", entries, err)
		}
		for i, w := range []struct {
			what  string
			count int64
		}{{"command set", 2}, {"channel news", 1}, {"key other", 1}} {
			e := aclLogEntry(t, entries[i])
			if e["reason"].(string)+" "+e["object"].(string) != w.what || e["count"] != w.count ||
				e["context"] != "lua" || e["username"] != "sc" {
				t.Fatalf("entry %d: %v, want %s count %d", i, e, w.what, w.count)
			}
			// the client is the one that ran EVAL, not the script client
			info := e["client-info"].(string)
			if !strings.Contains(info, " cmd=eval ") || !strings.Contains(info, " user=sc ") {
				t.Fatalf("entry %d client-info: %q", i, info)
			}
		}
	})
}

// sha1hex names a script as Redis does in its error texts.
func sha1hex(body string) string {
	h := sha1.Sum([]byte(body))
	return hex.EncodeToString(h[:])
}

// cmdstatLine is the cmdstat_<cmd> line of INFO commandstats.
func cmdstatLine(info, cmd string) string {
	for _, l := range strings.Split(info, "\n") {
		if strings.HasPrefix(l, "cmdstat_"+cmd+":") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
