// Clients that resolve the master through Sentinel must follow a failover:
// a writer INCRs a counter through go-redis's FailoverClient (and through
// redis-py's redis.sentinel.Sentinel), the master is killed with kill -9,
// and the writes continue on the new master. The final counter bounds what
// was lost or doubled: acknowledged INCRs minus the few in flight at the
// kill (acknowledged by the old master, not yet replicated) up to
// acknowledged plus failed (a failed INCR may still have been applied).
package sentinel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// inFlight is how many acknowledged INCRs the kill may lose: the one whose
// reply left before its replication stream did, and one more for luck with
// the stream's ordering (a single sequential writer).
const inFlight = 2

// clientSetup is a master, one replica and three sentinels, all discovered.
type clientSetup struct {
	g       *group
	master  *testutil.Proc
	replica *testutil.Proc
	pass    string
}

func startClientSetup(t *testing.T, kind string) *clientSetup {
	const pass = "client-pass"
	master := testutil.StartRedis(t, dataArgs(pass)...)
	replica := testutil.StartRedis(t, replicaArgs(pass, master.Port)...)
	waitSynced(t, node(t, replica.Addr, pass))
	g := startGroup(t, []string{kind, kind, kind}, groupConf{
		name: "mymaster", masterPort: master.Port, quorum: 2, pass: pass,
		downAfter: 1000, failoverTimeout: 5000,
	})
	g.waitDiscovery(1)
	return &clientSetup{g: g, master: master, replica: replica, pass: pass}
}

func (s *clientSetup) sentinelAddrs() []string {
	var out []string
	for _, p := range s.g.sentinels {
		out = append(out, p.Addr)
	}
	return out
}

// failover kills the master and waits until the sentinels agree on the
// replica and it has become master.
func (s *clientSetup) failover(t *testing.T) {
	s.master.Signal(syscall.SIGKILL)
	s.g.waitAgree("sentinels name the replica", failoverWait, func(a string) bool { return a == s.replica.Addr })
	waitRole(t, node(t, s.replica.Addr, s.pass), "master", failoverWait)
}

// checkCounter reads the counter on the new master and checks the bounds.
func (s *clientSetup) checkCounter(t *testing.T, acked, failed int64) {
	v, err := node(t, s.replica.Addr, s.pass).Get(context.Background(), "counter").Int64()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("counter %d, acknowledged %d, failed %d", v, acked, failed)
	if v < acked-inFlight || v > acked+failed {
		t.Fatalf("counter %d outside [acknowledged-%d, acknowledged+failed] = [%d, %d]\n%s",
			v, inFlight, acked-inFlight, acked+failed, s.g.diag())
	}
}

func TestClientsFollowFailover(t *testing.T) {
	t.Parallel()
	for _, kind := range sentinelKinds() {
		t.Run(kind+"/go-redis", func(t *testing.T) {
			t.Parallel()
			goRedisFollows(t, kind)
		})
		t.Run(kind+"/redis-py", func(t *testing.T) {
			t.Parallel()
			redisPyFollows(t, kind)
		})
	}
}

func goRedisFollows(t *testing.T, kind string) {
	s := startClientSetup(t, kind)
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    s.g.name,
		SentinelAddrs: s.sentinelAddrs(),
		Password:      s.pass,
		// our loop retries, so each failure is counted
		MaxRetries:   -1,
		DialTimeout:  500 * time.Millisecond,
		ReadTimeout:  500 * time.Millisecond,
		WriteTimeout: 500 * time.Millisecond,
	})
	t.Cleanup(func() { c.Close() })

	var acked, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := c.Incr(ctx, "counter").Err()
			cancel()
			if err == nil {
				acked.Add(1)
				time.Sleep(time.Millisecond) // a steady, light load
			} else {
				failed.Add(1)
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()
	stopWriter := func() { close(stop); wg.Wait() }

	if err := testutil.Poll(discoverWait, func() error {
		if acked.Load() < 100 {
			return errors.New("writer has not started")
		}
		return nil
	}); err != nil {
		stopWriter()
		t.Fatalf("%v (failed %d)", err, failed.Load())
	}
	s.failover(t)
	// writes continue on the new master
	base := acked.Load()
	if err := testutil.Poll(failoverWait, func() error {
		if n := acked.Load(); n < base+100 {
			return fmt.Errorf("%d writes acknowledged since the switch", n-base)
		}
		return nil
	}); err != nil {
		stopWriter()
		t.Fatalf("writer does not follow: %v (failed %d)\n%s", err, failed.Load(), s.g.diag())
	}
	stopWriter()
	s.checkCounter(t, acked.Load(), failed.Load())
}

// pyWriter writes through redis.sentinel.Sentinel until the stop file
// exists, printing "ok <n> failed <m>" every 100 ms and once at the end
// after "final".
const pyWriter = `
import os, sys, time
import redis
from redis.sentinel import Sentinel

addrs = [(a.split(':')[0], int(a.split(':')[1])) for a in sys.argv[1].split(',')]
name, password, stopfile = sys.argv[2], sys.argv[3], sys.argv[4]
s = Sentinel(addrs, socket_timeout=0.5, socket_connect_timeout=0.5)
m = s.master_for(name, password=password, socket_timeout=0.5, socket_connect_timeout=0.5)
ok = failed = 0
last = time.time()
while not os.path.exists(stopfile):
    try:
        m.incr('counter')
        ok += 1
        time.sleep(0.001)
    except redis.exceptions.RedisError:
        failed += 1
        time.sleep(0.05)
    if time.time() - last > 0.1:
        print('ok %d failed %d' % (ok, failed), flush=True)
        last = time.time()
print('final', flush=True)
print('ok %d failed %d' % (ok, failed), flush=True)
`

func redisPyFollows(t *testing.T, kind string) {
	py := "/usr/bin/python3" // the python3 on PATH may be a pyenv shim without redis
	if out, err := exec.Command(py, "-c", "import redis.sentinel").CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-redis is not installed: %v\n%s", err, out)
		}
		t.Skipf("python3-redis not installed (apt-get install python3-redis): %v", err)
	}
	s := startClientSetup(t, kind)
	dir := t.TempDir()
	script, stopFile := filepath.Join(dir, "writer.py"), filepath.Join(dir, "stop")
	if err := os.WriteFile(script, []byte(pyWriter), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script, strings.Join(s.sentinelAddrs(), ","), s.g.name, s.pass, stopFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	// the script's progress, read as it comes
	var mu sync.Mutex
	var ok, failed int64
	final := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			mu.Lock()
			if sc.Text() == "final" {
				final = true
			}
			fmt.Sscanf(sc.Text(), "ok %d failed %d", &ok, &failed)
			mu.Unlock()
		}
	}()
	counts := func() (int64, int64) { mu.Lock(); defer mu.Unlock(); return ok, failed }

	if err := testutil.Poll(discoverWait, func() error {
		if o, _ := counts(); o < 100 {
			return errors.New("python writer has not started")
		}
		return nil
	}); err != nil {
		t.Fatalf("%v; stderr:\n%s", err, stderr.String())
	}
	s.failover(t)
	base, _ := counts()
	if err := testutil.Poll(failoverWait, func() error {
		if o, _ := counts(); o < base+100 {
			return fmt.Errorf("%d writes acknowledged since the switch", o-base)
		}
		return nil
	}); err != nil {
		t.Fatalf("python writer does not follow: %v; stderr:\n%s\n%s", err, stderr.String(), s.g.diag())
	}
	if err := os.WriteFile(stopFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	<-done
	cmd.Wait()
	if !final {
		t.Fatalf("python writer did not finish cleanly; stderr:\n%s", stderr.String())
	}
	o, f := counts()
	s.checkCounter(t, o, f)
}
