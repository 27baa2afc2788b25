package integration

// repl_geo_test.go: GEO writes reach replicas as Redis 7.0 sends them
// (GEOADD as the equivalent ZADD with computed scores, GEORADIUS ...
// STORE and GEOSEARCHSTORE verbatim), so that a redis-server replica of a
// redoubt master and a redoubt replica of a redis-server master end up
// with their master's data set.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// geoWrites is a deterministic sequence of GEO writes (and a read).
var geoWrites = [][]any{
	{"GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
	{"GEOADD", "geo", "NX", "CH", "13.5", "38.2", "Palermo", "12.758489", "38.788135", "edge1"},
	{"GEOADD", "geo", "XX", "CH", "13.361390", "38.115556", "Palermo", "17.241510", "38.788135", "nope"},
	{"GEOADD", "geo", "13.361390", "38.115556", "Palermo"},
	{"GEOADD", "geo", "200", "38", "bad"},
	{"EVAL", "for i=0,149 do redis.call('GEOADD','grid',2.2+(i%15)*0.01,48.8+math.floor(i/15)*0.01,'p'..i) end return 1", "0"},
	{"MULTI"},
	{"GEOADD", "grid", "2.25", "48.85", "centre"},
	{"GEOSEARCHSTORE", "inbox", "grid", "FROMMEMBER", "centre", "BYBOX", "3", "2", "km", "ASC"},
	{"EXEC"},
	{"GEOSEARCHSTORE", "near", "grid", "FROMLONLAT", "2.25", "48.85", "BYRADIUS", "1", "km", "STOREDIST", "COUNT", "12"},
	{"GEORADIUS", "grid", "2.26", "48.84", "800", "m", "STORE", "r1"},
	{"GEORADIUS", "grid", "2.26", "48.84", "800", "m", "STOREDIST", "r2", "DESC", "COUNT", "5"},
	{"GEORADIUSBYMEMBER", "geo", "Palermo", "200", "km", "STORE", "r3"},
	{"GEORADIUS", "grid", "2.26", "48.84", "800", "m"},
	{"GEORADIUS", "grid", "50", "10", "1", "m", "STORE", "r1"},
	{"GEOSEARCHSTORE", "inbox", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"},
	{"GEOSEARCHSTORE", "grid2", "grid", "FROMLONLAT", "2.25", "48.85", "BYRADIUS", "100", "km", "COUNT", "130", "ANY"},
}

func TestReplGeo(t *testing.T) {
	ctx := context.Background()
	cmds := geoWrites
	var replies [2][]string
	var digests [2]string
	for ki, kind := range []string{"redis", "redoubt"} {
		tp := startXFTopo(t, kind)
		conn := tp.m.c.Conn()
		for _, c := range cmds {
			replies[ki] = append(replies[ki], xfDo(ctx, conn, c...))
		}
		conn.Close()
		waitReplicaInSync(t, tp.m.c, tp.ref.c)
		waitReplicaInSync(t, tp.m.c, tp.r.c)
		digests[ki] = digestOf(t, tp.m.c)
		for _, n := range []*replNode{tp.ref, tp.r} {
			if d := digestOf(t, n.c); d != digests[ki] {
				t.Errorf("%s: DEBUG DIGEST %s, master %s", n.name, d, digests[ki])
			}
		}
		for _, key := range []string{"geo", "grid", "inbox", "near", "r1", "r2", "r3", "grid2"} {
			want := fmt.Sprint(tp.m.c.Do(ctx, "DEBUG", "DIGEST-VALUE", key).Val())
			for _, n := range []*replNode{tp.ref, tp.r} {
				if got := fmt.Sprint(n.c.Do(ctx, "DEBUG", "DIGEST-VALUE", key).Val()); got != want {
					t.Errorf("%s: %s digest %s, master %s", n.name, key, got, want)
				}
			}
		}
	}
	for i := range cmds {
		if replies[0][i] != replies[1][i] {
			t.Errorf("%v: redis master replied %q, redoubt master %q", cmds[i], replies[0][i], replies[1][i])
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("masters' DEBUG DIGEST differ: redis %s, redoubt %s", digests[0], digests[1])
	}
}

// TestAOFGeoPropagationLikeRedis: the incr AOF of both servers holds the
// same commands after the GEO writes (GEOADD as ZADD with the scores), and
// the writes fire the same keyspace events.
func TestAOFGeoPropagationLikeRedis(t *testing.T) {
	ctx := context.Background()
	args := []string{"--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "always"}
	redisDir, redoubtDir := t.TempDir(), t.TempDir()
	r := testutil.StartRedisIn(t, redisDir, args...)
	p := testutil.StartRedoubtIn(t, redoubtDir, args...)
	var events [2][]string
	for i, addr := range []string{r.Addr, p.Addr} {
		c := dedicatedClient(t, addr)
		if err := c.Do(ctx, "CONFIG", "SET", "notify-keyspace-events", "KEA").Err(); err != nil {
			t.Fatal(err)
		}
		sub := newClient(t, addr).PSubscribe(ctx, "__key*__:*", "end")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range geoWrites {
			c.Do(ctx, cmd...)
		}
		c.Do(ctx, "PUBLISH", "end", "end")
		for {
			m, err := sub.ReceiveMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.Channel == "end" {
				break
			}
			events[i] = append(events[i], m.Channel+" "+m.Payload)
		}
		sub.Close()
	}
	if len(events[0]) < 20 || !strings.Contains(strings.Join(events[0], "\n"), "geosearchstore") {
		t.Errorf("too few events from redis-server: %q", events[0])
	}
	diffStates(t, "keyspace events (redis-server vs redoubt)", events[0], events[1])
	want, got := aofCommands(t, redisDir), aofCommands(t, redoubtDir)
	diffStates(t, "incr AOF (redis-server vs redoubt)", want, got)
	if !strings.Contains(strings.Join(got, "\n"), "zadd geo 3479099956230698 Palermo") {
		t.Errorf("GEOADD not propagated as ZADD:\n%s", strings.Join(got, "\n"))
	}
}
