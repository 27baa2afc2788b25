// Command repllag measures replication lag: while a load runs on the
// master, it reads the master's master_repl_offset (INFO replication)
// every -sample (10 ms), and polls each replica's offset (slave_repl_offset,
// or master_repl_offset where a replica has no slave_repl_offset) as fast
// as -poll allows (1 ms). The lag of one master sample for one replica is
// the time from that sample until the replica's offset first reached the
// sampled offset (0 when it already had it). Each reading is stamped with
// the midpoint of its INFO round trip. It runs until SIGTERM or SIGINT
// (or -duration), then keeps polling the replicas for up to -grace so that
// the last samples can be reached, and prints
//
//	n=<samples x replicas> p50=<ms> p99=<ms> max=<ms> unreached=<count>
//
// over all replicas together (with -v, one such line per replica on
// stderr too). A sample a replica never reached within -grace counts in
// unreached, not in the quantiles. compare.sh runs it during the SET load
// of its replication figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// reading is one offset seen at one time.
type reading struct {
	at  time.Time
	off int64
}

func main() {
	master := flag.String("master", "127.0.0.1:6379", "master address")
	replicas := flag.String("replicas", "", "comma-separated replica addresses")
	sample := flag.Duration("sample", 10*time.Millisecond, "interval between master offset samples")
	poll := flag.Duration("poll", time.Millisecond, "interval between replica offset polls")
	duration := flag.Duration("duration", 0, "stop sampling after this long (0: at SIGTERM/SIGINT)")
	grace := flag.Duration("grace", 5*time.Second, "how long to wait for the replicas to reach the last samples")
	verbose := flag.Bool("v", false, "also print one line per replica on stderr")
	flag.Parse()
	var addrs []string
	for _, a := range strings.Split(*replicas, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		fmt.Fprintln(os.Stderr, "repllag: no -replicas")
		os.Exit(2)
	}

	ctx := context.Background()
	mc := client(*master)
	if _, err := offset(ctx, mc, "master_repl_offset"); err != nil {
		fmt.Fprintln(os.Stderr, "repllag: master:", err)
		os.Exit(1)
	}

	// The replicas' pollers record a reading each time the offset moves;
	// they run until stopPolling is closed.
	stopPolling := make(chan struct{})
	seen := make([][]reading, len(addrs))
	var mu sync.Mutex // guards seen
	var wg sync.WaitGroup
	for i, addr := range addrs {
		rc := client(addr)
		if _, err := replicaOffset(ctx, rc); err != nil {
			fmt.Fprintf(os.Stderr, "repllag: replica %s: %v\n", addr, err)
			os.Exit(1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(*poll)
			defer tick.Stop()
			last := int64(-1)
			for {
				select {
				case <-stopPolling:
					return
				case <-tick.C:
				}
				t0 := time.Now()
				off, err := replicaOffset(ctx, rc)
				if err != nil {
					continue
				}
				if off != last {
					last = off
					mu.Lock()
					seen[i] = append(seen[i], reading{midpoint(t0, time.Now()), off})
					mu.Unlock()
				}
			}
		}()
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var deadline <-chan time.Time
	if *duration > 0 {
		deadline = time.After(*duration)
	}
	var samples []reading
	tick := time.NewTicker(*sample)
sampling:
	for {
		select {
		case <-stop:
			break sampling
		case <-deadline:
			break sampling
		case <-tick.C:
		}
		t0 := time.Now()
		off, err := offset(ctx, mc, "master_repl_offset")
		if err != nil {
			continue
		}
		samples = append(samples, reading{midpoint(t0, time.Now()), off})
	}
	tick.Stop()

	// Let the replicas reach the last sample (or give up after -grace).
	if len(samples) > 0 {
		want := samples[len(samples)-1].off
		end := time.Now().Add(*grace)
		for time.Now().Before(end) {
			mu.Lock()
			done := true
			for _, s := range seen {
				if len(s) == 0 || s[len(s)-1].off < want {
					done = false
				}
			}
			mu.Unlock()
			if done {
				break
			}
			time.Sleep(*poll)
		}
	}
	close(stopPolling)
	wg.Wait()

	var all []time.Duration
	unreached := 0
	for i, s := range seen {
		lags, miss := lagsOf(samples, s)
		all = append(all, lags...)
		unreached += miss
		if *verbose {
			fmt.Fprintf(os.Stderr, "%s: %s\n", addrs[i], summary(lags, miss))
		}
	}
	fmt.Println(summary(all, unreached))
}

// lagsOf gives, for each master sample, the time until the replica's
// readings (in time order, offsets never decreasing) first reached its
// offset, and how many samples it never reached.
func lagsOf(samples, seen []reading) ([]time.Duration, int) {
	var lags []time.Duration
	miss := 0
	for _, s := range samples {
		i, _ := slices.BinarySearchFunc(seen, s.off, func(r reading, off int64) int {
			switch {
			case r.off < off:
				return -1
			case r.off > off:
				return 1
			}
			return 0
		})
		if i == len(seen) {
			miss++
			continue
		}
		lags = append(lags, max(0, seen[i].at.Sub(s.at)))
	}
	return lags, miss
}

func summary(lags []time.Duration, unreached int) string {
	slices.Sort(lags)
	var worst time.Duration
	if len(lags) > 0 {
		worst = lags[len(lags)-1]
	}
	return fmt.Sprintf("n=%d p50=%.2f p99=%.2f max=%.2f unreached=%d", len(lags),
		ms(pct(lags, 0.5)), ms(pct(lags, 0.99)), ms(worst), unreached)
}

func client(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true,
		PoolSize: 1, MaxIdleConns: 1, MaxRetries: -1})
}

// replicaOffset is a replica's processed offset: slave_repl_offset, or
// master_repl_offset where the replica does not report the former.
func replicaOffset(ctx context.Context, c *redis.Client) (int64, error) {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return 0, err
	}
	if off, ok := field(info, "slave_repl_offset"); ok {
		return off, nil
	}
	if off, ok := field(info, "master_repl_offset"); ok {
		return off, nil
	}
	return 0, fmt.Errorf("no slave_repl_offset or master_repl_offset in INFO replication")
}

func offset(ctx context.Context, c *redis.Client, name string) (int64, error) {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return 0, err
	}
	off, ok := field(info, name)
	if !ok {
		return 0, fmt.Errorf("no %s in INFO replication", name)
	}
	return off, nil
}

// field is the integer value of name in an INFO reply.
func field(info, name string) (int64, bool) {
	for _, line := range strings.Split(info, "\n") {
		v, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), name+":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func midpoint(t0, t1 time.Time) time.Time { return t0.Add(t1.Sub(t0) / 2) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct is the q-quantile of sorted durations (0 when there are none).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
