// aof_crash_test.go kills redoubt with SIGKILL at random moments under a
// steady write load and checks what the append-only file brings back:
// with appendfsync always every acknowledged write, with everysec all but
// the writes of the last moments; a log is always a prefix (no holes), a
// transaction is all or nothing, a tail torn inside a command loses only
// that command (and loads in redis-server alike), and a kill in the middle
// of BGREWRITEAOF leaves a manifest that loads.
package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

const crashWriters = 4

// crashWriter is one client's record of its acknowledged writes. Its seq s
// is RPUSH log:w s, INCR ctr:w, SET k:w:s: odd seqs as one MULTI/EXEC,
// even ones as three commands in turn, so a kill can catch an even seq
// half done but never an odd one.
type crashWriter struct {
	id    int
	acked int         // last acknowledged seq
	ackAt []time.Time // ackAt[s]: when seq s was acknowledged
	// lowest seq a restart may come back with (acked, or less for a
	// torn tail); everysec checks losses against ackAt instead
	floor int
}

func (w *crashWriter) logKey() string   { return fmt.Sprintf("log:%d", w.id) }
func (w *crashWriter) ctrKey() string   { return fmt.Sprintf("ctr:%d", w.id) }
func (w *crashWriter) key(s int) string { return fmt.Sprintf("k:%d:%d", w.id, s) }
func (w *crashWriter) value(s int) string {
	return fmt.Sprintf("%d:%d:%s", w.id, s, strings.Repeat("v", (s*7+w.id)%90))
}

// startWriters connects the writers and sets them writing.
func startWriters(t *testing.T, addr string, ws []*crashWriter) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for _, w := range ws {
		// connected before the kill is timed, so every writer writes
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 1})
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); defer c.Close(); w.run(c) }()
	}
	return &wg
}

// run writes seq after seq until a command fails (the server was killed).
func (w *crashWriter) run(c *redis.Client) {
	ctx := context.Background()
	for {
		s := w.acked + 1
		var err error
		if s%2 == 1 {
			_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.RPush(ctx, w.logKey(), s)
				p.Incr(ctx, w.ctrKey())
				p.Set(ctx, w.key(s), w.value(s), 0)
				return nil
			})
		} else if err = c.RPush(ctx, w.logKey(), s).Err(); err == nil {
			if err = c.Incr(ctx, w.ctrKey()).Err(); err == nil {
				err = c.Set(ctx, w.key(s), w.value(s), 0).Err()
			}
		}
		if err != nil {
			return
		}
		w.acked = s
		w.ackAt = append(w.ackAt[:s], time.Now())
	}
}

// crashState is what one writer's keys hold after a restart.
type crashState struct {
	nLog, nCtr, nKey int // list length, counter, keys 1..nKey all present
}

// checkWriter reads writer w's keys and fails on anything no crash can
// explain: a hole or a wrong element in the log, a key missing below
// one present or with a wrong value, state beyond the one seq in flight,
// the parts of a seq out of order, a transaction half applied.
func checkWriter(t *testing.T, c *redis.Client, w *crashWriter) crashState {
	t.Helper()
	ctx := context.Background()
	var st crashState
	elems, err := c.LRange(ctx, w.logKey(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range elems {
		if e != strconv.Itoa(i+1) {
			t.Fatalf("writer %d: %s[%d] = %s, want %d (a hole in the log)", w.id, w.logKey(), i, e, i+1)
		}
	}
	st.nLog = len(elems)
	if v, err := c.Get(ctx, w.ctrKey()).Int(); err == nil {
		st.nCtr = v
	} else if err != redis.Nil {
		t.Fatal(err)
	}
	upto := w.acked + 1
	keys := make([]string, 0, upto)
	for s := 1; s <= upto; s++ {
		keys = append(keys, w.key(s))
	}
	for from := 0; from < len(keys); from += 1000 {
		vals, err := c.MGet(ctx, keys[from:min(from+1000, len(keys))]...).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			s := from + i + 1
			switch {
			case v == nil:
				continue
			case st.nKey != s-1:
				t.Fatalf("writer %d: %s present but %s missing", w.id, w.key(s), w.key(st.nKey+1))
			case v.(string) != w.value(s):
				t.Fatalf("writer %d: %s = %q, want %q", w.id, w.key(s), v, w.value(s))
			}
			st.nKey = s
		}
	}
	// a writer has one seq in flight at a time: at most one is partial
	if !(st.nKey <= st.nCtr && st.nCtr <= st.nLog && st.nLog <= w.acked+1 && st.nKey >= st.nLog-1) {
		t.Fatalf("writer %d (acked %d): keys up to %d, counter %d, log %d: not a prefix of the writes", w.id, w.acked, st.nKey, st.nCtr, st.nLog)
	}
	if st.nLog%2 == 1 && (st.nKey != st.nLog || st.nCtr != st.nLog) {
		t.Fatalf("writer %d: transaction of seq %d half applied: keys %d, counter %d", w.id, st.nLog, st.nKey, st.nCtr)
	}
	return st
}

// resume finishes a seq a kill left half done and makes what the server
// holds the writer's new acknowledged state.
func (w *crashWriter) resume(t *testing.T, c *redis.Client, st crashState) {
	t.Helper()
	ctx := context.Background()
	if st.nCtr < st.nLog {
		if err := c.Incr(ctx, w.ctrKey()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if st.nKey < st.nLog {
		if err := c.Set(ctx, w.key(st.nLog), w.value(st.nLog), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	w.ackAt = w.ackAt[:min(len(w.ackAt), st.nLog+1)]
	for len(w.ackAt) <= st.nLog {
		w.ackAt = append(w.ackAt, time.Now())
	}
	w.acked, w.floor = st.nLog, st.nLog
}

// waitLoaded waits until a server (redis-server answers LOADING while it
// loads) serves commands.
func waitLoaded(t *testing.T, c *redis.Client) {
	t.Helper()
	var err error
	for i := 0; i < 1000; i++ {
		if err = c.Ping(context.Background()).Err(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server not ready: %v", err)
}

// aofCommand is one command of an AOF file and where it starts.
type aofCommand struct {
	at   int64
	argv []string
}

// parseAOFCommands splits an AOF file in RESP format into its commands.
func parseAOFCommands(t *testing.T, data []byte) []aofCommand {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(data))
	var out []aofCommand
	var at int64
	line := func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("AOF at %d: %v", at, err)
		}
		at += int64(len(l))
		return strings.TrimRight(l, "\r\n")
	}
	for at < int64(len(data)) {
		start := at
		head := line()
		if !strings.HasPrefix(head, "*") {
			t.Fatalf("AOF at %d: %q is not a command", start, head)
		}
		n, _ := strconv.Atoi(head[1:])
		cmd := aofCommand{at: start}
		for i := 0; i < n; i++ {
			l, _ := strconv.Atoi(line()[1:])
			buf := make([]byte, l+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				t.Fatalf("AOF at %d: %v", at, err)
			}
			at += int64(l + 2)
			cmd.argv = append(cmd.argv, string(buf[:l]))
		}
		out = append(out, cmd)
	}
	return out
}

// lastIncrFile is the path of the last incr file the manifest names.
func lastIncrFile(t *testing.T, dir string) string {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for _, l := range strings.Split(string(m), "\n") {
		f := strings.Fields(l)
		if len(f) >= 6 && f[5] == "i" {
			last = f[1]
		}
	}
	if last == "" {
		t.Fatalf("no incr file in the manifest:\n%s", m)
	}
	return filepath.Join(dir, "appendonlydir", last)
}

// tearTail cuts the last incr file inside its last command, as a write
// torn by a crash, and lowers the floor of the writer whose seq that
// command (or the transaction it ends) belonged to. It reports whether
// it cut.
func tearTail(t *testing.T, dir string, rng *rand.Rand, ws []*crashWriter) bool {
	t.Helper()
	path := lastIncrFile(t, dir)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmds := parseAOFCommands(t, data)
	if len(cmds) < 2 {
		return false
	}
	last := cmds[len(cmds)-1]
	unit := []aofCommand{last}
	if strings.EqualFold(last.argv[0], "EXEC") {
		for i := len(cmds) - 2; i >= 0; i-- {
			if strings.EqualFold(cmds[i].argv[0], "MULTI") {
				unit = cmds[i:]
				break
			}
		}
	}
	// the writer and seq the torn command belongs to
	lastPush := map[int]int{}
	for _, c := range cmds {
		if strings.EqualFold(c.argv[0], "RPUSH") {
			id, _ := strconv.Atoi(strings.TrimPrefix(c.argv[1], "log:"))
			lastPush[id], _ = strconv.Atoi(c.argv[2])
		}
	}
	id, seq := -1, 0
	for _, c := range unit {
		if len(c.argv) < 2 {
			continue
		}
		var k string
		if _, err := fmt.Sscanf(c.argv[1], "log:%d", &id); err == nil {
			k = "log"
		} else if _, err := fmt.Sscanf(c.argv[1], "ctr:%d", &id); err == nil {
			k = "ctr"
		} else if _, err := fmt.Sscanf(c.argv[1], "k:%d:%d", &id, &seq); err == nil {
			k = "k"
		}
		if k == "log" || k == "ctr" {
			seq = lastPush[id]
		}
		if k != "" {
			break
		}
	}
	if id < 0 || id >= len(ws) || seq == 0 {
		t.Logf("last command %q is not a writer's: not tearing", last.argv)
		return false
	}
	size := int64(len(data))
	cut := last.at + 1 + rng.Int63n(size-last.at-1)
	if err := os.Truncate(path, cut); err != nil {
		t.Fatal(err)
	}
	ws[id].floor = min(ws[id].floor, seq-1)
	t.Logf("tore %s at %d of %d, inside %q (writer %d seq %d)", filepath.Base(path), cut, size, last.argv[0], id, seq)
	return true
}

// crashCheckAll checks every writer's data after a restart against its
// acknowledged writes and returns the states; DBSIZE must be what they
// hold plus extra keys loaded beforehand (no key that was never written).
func crashCheckAll(t *testing.T, c *redis.Client, ws []*crashWriter, extra int64) []crashState {
	t.Helper()
	sts := make([]crashState, len(ws))
	want := extra
	for i, w := range ws {
		sts[i] = checkWriter(t, c, w)
		want += int64(sts[i].nKey)
		if sts[i].nLog > 0 {
			want++
		}
		if sts[i].nCtr > 0 {
			want++
		}
	}
	if n := c.DBSize(context.Background()).Val(); n != want {
		t.Fatalf("DBSIZE %d, want %d", n, want)
	}
	return sts
}

// crashLoop runs rounds of write load, kill -9 and restart on one AOF
// directory with the given fsync policy.
func crashLoop(t *testing.T, fsync string, rounds int) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", fsync, "--save", ""}
	ws := make([]*crashWriter, crashWriters)
	for i := range ws {
		ws[i] = &crashWriter{id: i, ackAt: []time.Time{{}}}
	}
	p := testutil.StartRedoubtIn(t, dir, args...)
	ctx := context.Background()
	lost, tornLost, torn, compared := 0, 0, 0, 0
	for round := 0; round < rounds; round++ {
		wg := startWriters(t, p.Addr, ws)
		time.Sleep(time.Duration(50+rng.Intn(350)) * time.Millisecond)
		killAt := time.Now()
		p.Cmd.Process.Kill()
		<-p.Exited
		wg.Wait()

		tore := round%5 == 2 && tearTail(t, dir, rng, ws)
		if tore {
			torn++
		}
		var redisWant []int64
		if tore && compared < 2 {
			// real Redis loads the same files (it truncates its copy)
			compared++
			d := t.TempDir()
			copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(d, "appendonlydir"))
			r := testutil.StartRedisIn(t, d, "--appendonly", "yes")
			rc := redis.NewClient(&redis.Options{Addr: r.Addr})
			waitLoaded(t, rc)
			redisWant = append(redisWant, rc.DBSize(ctx).Val())
			for _, w := range ws {
				n, _ := rc.Get(ctx, w.ctrKey()).Int64()
				redisWant = append(redisWant, rc.LLen(ctx, w.logKey()).Val(), n)
			}
			rc.Close()
			r.Cmd.Process.Kill()
			<-r.Exited
		}

		p = testutil.StartRedoubtIn(t, dir, args...)
		c := redis.NewClient(&redis.Options{Addr: p.Addr})
		sts := crashCheckAll(t, c, ws, 0)
		if tore {
			log, _ := os.ReadFile(p.Log)
			if !strings.Contains(string(log), "!!! Truncating the AOF") {
				t.Fatalf("round %d: the torn tail was not truncated:\n%s", round, log)
			}
		}
		if redisWant != nil {
			got := []int64{c.DBSize(ctx).Val()}
			for _, w := range ws {
				n, _ := c.Get(ctx, w.ctrKey()).Int64()
				got = append(got, c.LLen(ctx, w.logKey()).Val(), n)
			}
			if !slices.Equal(got, redisWant) {
				t.Fatalf("round %d: redoubt loaded DBSIZE, then LLEN and counter per writer %v; redis-server %v", round, got, redisWant)
			}
		}
		for i, w := range ws {
			checkLoss(t, round, fsync, w, sts[i], killAt)
			lost += max(0, w.floor-sts[i].nKey)
			tornLost += max(0, w.acked-max(sts[i].nKey, w.floor))
			w.resume(t, c, sts[i])
		}
		c.Close()
	}
	total := 0
	for _, w := range ws {
		total += w.acked
	}
	t.Logf("%s: %d rounds, %d seqs acknowledged in all, %d torn tails (%d compared with redis-server, %d acknowledged seqs torn off), %d acknowledged seqs lost otherwise", fsync, rounds, total, torn, compared, tornLost, lost)
}

// checkLoss fails when a restart lost more than the fsync policy allows:
// with always no acknowledged seq (below the floor a torn tail left),
// with everysec none acknowledged more than 2 s before the kill.
func checkLoss(t *testing.T, round int, fsync string, w *crashWriter, st crashState, killAt time.Time) {
	t.Helper()
	if st.nKey >= w.floor {
		return
	}
	if fsync == "always" {
		t.Fatalf("round %d: writer %d lost acknowledged writes: seqs %d..%d (acknowledged up to %d)", round, w.id, st.nKey+1, w.floor, w.acked)
	}
	for s := st.nKey + 1; s <= w.floor; s++ {
		if age := killAt.Sub(w.ackAt[s]); age > 2*time.Second {
			t.Fatalf("round %d: writer %d lost seq %d, acknowledged %v before the kill", round, w.id, s, age)
		}
	}
}

func TestAOFCrashAlways(t *testing.T)   { crashLoop(t, "always", 20) }
func TestAOFCrashEverysec(t *testing.T) { crashLoop(t, "everysec", 20) }

// checkManifest fails unless the manifest names one base and increasing
// incr files that all exist; it returns the files of the AOF directory
// (and temp files of dir) the manifest does not name.
func checkManifest(t *testing.T, dir string) (stray []string) {
	t.Helper()
	aofDir := filepath.Join(dir, "appendonlydir")
	m, err := os.ReadFile(filepath.Join(aofDir, "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{"appendonly.aof.manifest": true}
	bases, baseSeq, lastSeq, firstIncr := 0, 0, 0, 0
	for _, l := range strings.Split(strings.TrimSpace(string(m)), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || f[0] != "file" || f[2] != "seq" || f[4] != "type" {
			t.Fatalf("manifest line %q:\n%s", l, m)
		}
		seq, _ := strconv.Atoi(f[3])
		switch f[5] {
		case "b":
			bases, baseSeq = bases+1, seq
		case "i":
			if seq <= lastSeq {
				t.Fatalf("incr seq %d after %d:\n%s", seq, lastSeq, m)
			}
			if firstIncr == 0 {
				firstIncr = seq
			}
			lastSeq = seq
		}
		if f[5] != "h" {
			if _, err := os.Stat(filepath.Join(aofDir, f[1])); err != nil {
				t.Fatalf("manifest names %s: %v\n%s", f[1], err, m)
			}
		}
		named[f[1]] = true
	}
	if bases != 1 || lastSeq == 0 {
		t.Fatalf("manifest with %d bases, last incr seq %d:\n%s", bases, lastSeq, m)
	}
	ents, _ := os.ReadDir(aofDir)
	for _, e := range ents {
		var seq int
		var format string
		if _, err := fmt.Sscanf(e.Name(), "appendonly.aof.%d.base.%s", &seq, &format); err == nil && seq > baseSeq {
			// a kill between the rename of a new base and the manifest
			// naming it (Redis has the same window); the next rewrite
			// takes the name again
			t.Logf("base %s not yet in the manifest", e.Name())
			continue
		}
		// a kill after the manifest dropped a history file and before
		// its background unlink (Redis's bio thread has the same window)
		if _, err := fmt.Sscanf(e.Name(), "appendonly.aof.%d.base.%s", &seq, &format); err == nil && seq < baseSeq {
			t.Logf("history %s not yet unlinked", e.Name())
			continue
		}
		if _, err := fmt.Sscanf(e.Name(), "appendonly.aof.%d.incr.aof", &seq); err == nil && firstIncr > 0 && seq < firstIncr {
			t.Logf("history %s not yet unlinked", e.Name())
			continue
		}
		if !named[e.Name()] {
			stray = append(stray, "appendonlydir/"+e.Name())
		}
	}
	ents, _ = os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "temp-") {
			stray = append(stray, e.Name())
		}
	}
	return stray
}

// TestAOFCrashDuringRewrite kills redoubt (appendfsync always) while
// BGREWRITEAOF walks a data set big enough to take a while, under write
// load: every acknowledged write and every preloaded key must load, from
// a manifest that names existing files; then a rewrite that completes,
// a last kill, and redis-server loads the same directory.
func TestAOFCrashDuringRewrite(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", "always", "--save", ""}
	p := testutil.StartRedoubtIn(t, dir, args...)
	ctx := context.Background()
	preload := 200000
	if testutil.RaceBuilt() {
		preload = 20000 // the race detector makes a rewrite some 50 times slower
	}
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	for from := 0; from < preload; from += 5000 {
		pipe := c.Pipeline()
		for i := from; i < from+5000; i++ {
			pipe.Set(ctx, fmt.Sprintf("pre:%d", i), strings.Repeat("p", i%50), 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// how long a rewrite takes here, to kill inside the next ones
	t0 := time.Now()
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitAOFRewrite(t, c)
	took := time.Since(t0)
	c.Close()
	t.Logf("a rewrite of %d keys takes %v", preload, took)

	ws := make([]*crashWriter, crashWriters)
	for i := range ws {
		ws[i] = &crashWriter{id: i, ackAt: []time.Time{{}}}
	}
	const rounds = 5
	midRewrite := 0
	for round := 0; round <= rounds; round++ {
		final := round == rounds
		wg := startWriters(t, p.Addr, ws)
		c := redis.NewClient(&redis.Options{Addr: p.Addr})
		time.Sleep(time.Duration(10+rng.Intn(30)) * time.Millisecond)
		if err := c.BgRewriteAOF(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if final {
			waitAOFRewrite(t, c)
			time.Sleep(time.Duration(10+rng.Intn(50)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rng.Int63n(int64(took) * 3 / 4)))
			if infoText(t, c, "persistence", "aof_rewrite_in_progress") == "1" {
				midRewrite++
			}
		}
		c.Close()
		p.Cmd.Process.Kill()
		<-p.Exited
		wg.Wait()

		for _, f := range checkManifest(t, dir) {
			// a rewrite cut short leaves its temp file in dir, and a kill
			// between writing the new manifest and its rename leaves
			// appendonlydir/temp-appendonly.aof.manifest, as in Redis
			if !strings.HasPrefix(filepath.Base(f), "temp-") {
				t.Fatalf("round %d: after the kill, %s is in no manifest", round, f)
			}
		}
		p = testutil.StartRedoubtIn(t, dir, args...)
		c = redis.NewClient(&redis.Options{Addr: p.Addr})
		sts := crashCheckAll(t, c, ws, int64(preload))
		for i, w := range ws {
			checkLoss(t, round, "always", w, sts[i], time.Now())
			w.resume(t, c, sts[i])
		}
		c.Close()
		checkManifest(t, dir)
	}
	if midRewrite == 0 {
		t.Errorf("no kill landed during a rewrite (a rewrite takes %v)", took)
	}
	t.Logf("%d of %d kills during a rewrite", midRewrite, rounds)

	// redis-server loads what redoubt left, to the same keys
	p.Cmd.Process.Kill()
	<-p.Exited
	d := t.TempDir()
	copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(d, "appendonlydir"))
	r := testutil.StartRedisIn(t, d, "--appendonly", "yes")
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitLoaded(t, rc)
	crashCheckAll(t, rc, ws, int64(preload))
}

// TestAOFStaleTempIncr: a kill while CONFIG SET appendonly yes waits for
// its first rewrite leaves temp-appendonly.aof.incr behind. Turning the
// AOF on again later must start that file empty (Redis opens it with
// O_TRUNC): its old commands would otherwise be renamed into the new
// incr file and replayed over the new base.
func TestAOFStaleTempIncr(t *testing.T) {
	for _, bin := range []string{"redoubt", "redis"} {
		t.Run(bin, func(t *testing.T) {
			dir := t.TempDir()
			p := testutil.StartKindIn(t, bin, dir)
			c := redis.NewClient(&redis.Options{Addr: p.Addr})
			defer c.Close()
			ctx := context.Background()
			c.Set(ctx, "x", "current", 0)
			aofDir := filepath.Join(dir, "appendonlydir")
			os.MkdirAll(aofDir, 0o755)
			stale := "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$5\r\nstale\r\n*2\r\n$4\r\nINCR\r\n$7\r\nghost:1\r\n"
			if err := os.WriteFile(filepath.Join(aofDir, "temp-appendonly.aof.incr"), []byte(stale), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
				t.Fatal(err)
			}
			c.Set(ctx, "y", "during", 0)
			waitAOFRewrite(t, c)
			p.Cmd.Process.Kill()
			<-p.Exited
			p2 := testutil.StartKindIn(t, bin, dir, "--appendonly", "yes")
			c2 := redis.NewClient(&redis.Options{Addr: p2.Addr})
			defer c2.Close()
			waitLoaded(t, c2)
			if x, y, n := c2.Get(ctx, "x").Val(), c2.Get(ctx, "y").Val(), c2.DBSize(ctx).Val(); x != "current" || y != "during" || n != 2 {
				t.Errorf("after restart x=%q y=%q and %d keys; want current, during, 2 keys", x, y, n)
			}
		})
	}
}

// TestAOFEnabledBehindBgsave: CONFIG SET appendonly yes while a BGSAVE
// runs schedules the first rewrite; the writes in between land in the
// temp incr file and in that rewrite's snapshot, and must be replayed
// once, not twice, after a kill -9.
func TestAOFEnabledBehindBgsave(t *testing.T) {
	for _, bin := range []string{"redoubt", "redis"} {
		t.Run(bin, func(t *testing.T) {
			dir := t.TempDir()
			p := testutil.StartKindIn(t, bin, dir)
			c := redis.NewClient(&redis.Options{Addr: p.Addr})
			defer c.Close()
			ctx := context.Background()
			// the rewrite is scheduled whatever the size: the BGSAVE child or
			// snapshot cannot finish between two commands of one pipeline
			const preload = 20000
			for from := 0; from < preload; from += 10000 {
				pipe := c.Pipeline()
				for i := from; i < from+10000; i++ {
					pipe.Set(ctx, fmt.Sprintf("pre:%d", i), i, 0)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// one pipeline: the BGSAVE cannot be over when the AOF is enabled
			pipe := c.Pipeline()
			pipe.BgSave(ctx)
			pipe.ConfigSet(ctx, "appendonly", "yes")
			pipe.Incr(ctx, "counter")
			pipe.RPush(ctx, "list", "once")
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			waitAOFRewrite(t, c)
			if log, _ := os.ReadFile(p.Log); !strings.Contains(string(log), "An AOF background was scheduled to start when possible") {
				t.Fatalf("the rewrite was not scheduled behind the BGSAVE:\n%s", log)
			}
			p.Cmd.Process.Kill()
			<-p.Exited
			p2 := testutil.StartKindIn(t, bin, dir, "--appendonly", "yes")
			c2 := redis.NewClient(&redis.Options{Addr: p2.Addr})
			defer c2.Close()
			waitLoaded(t, c2)
			if n, l, keys := c2.Get(ctx, "counter").Val(), c2.LRange(ctx, "list", 0, -1).Val(), c2.DBSize(ctx).Val(); n != "1" || len(l) != 1 || keys != preload+2 {
				t.Errorf("after restart counter=%s list=%v, %d keys; want 1, [once], %d", n, l, keys, preload+2)
			}
		})
	}
}

// TestAOFTornNotLastFile: a torn tail in an incr file followed by another
// (a torn write, then a rewrite that opened the next incr file) is cut
// back, but the start fails with Redis's message, as in redis-server; the
// next start loads what is left.
func TestAOFTornNotLastFile(t *testing.T) {
	dir := tenKeysThenKill(t)
	ctx := context.Background()
	aofDir := filepath.Join(dir, "appendonlydir")
	incr := filepath.Join(aofDir, "appendonly.aof.1.incr.aof")
	good, err := os.Stat(incr)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(incr, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$5\r\nva")
	f.Close()
	m, _ := os.OpenFile(filepath.Join(aofDir, "appendonly.aof.manifest"), os.O_APPEND|os.O_WRONLY, 0)
	m.WriteString("file appendonly.aof.2.incr.aof seq 2 type i\n")
	m.Close()
	os.WriteFile(filepath.Join(aofDir, "appendonly.aof.2.incr.aof"), nil, 0o644)

	for _, bin := range []string{"redoubt", "redis"} {
		t.Run(bin, func(t *testing.T) {
			d := t.TempDir()
			copyDir(t, aofDir, filepath.Join(d, "appendonlydir"))
			out := runUntilExit(t, bin, d, "--appendonly", "yes")
			if !strings.Contains(out, "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset") ||
				!strings.Contains(out, "Fatal error: the truncated file is not the last file") {
				t.Errorf("first start:\n%s", out)
			}
			st, _ := os.Stat(filepath.Join(d, "appendonlydir", "appendonly.aof.1.incr.aof"))
			if st.Size() != good.Size() {
				t.Errorf("file cut back to %d, want %d", st.Size(), good.Size())
			}
			s := testutil.StartKindIn(t, bin, d, "--appendonly", "yes")
			c := redis.NewClient(&redis.Options{Addr: s.Addr})
			defer c.Close()
			waitLoaded(t, c)
			if n := c.DBSize(ctx).Val(); n != 10 {
				t.Errorf("second start: %d keys, want 10", n)
			}
		})
	}
}
