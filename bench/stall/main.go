// Command stall measures how long a client waits at worst: it sends GET
// every millisecond over one connection until it receives SIGTERM or
// SIGINT (or -duration passes), then prints the longest round trip in
// milliseconds. compare.sh runs it during BGSAVE to find the longest stall
// a save causes. With -stats it prints the sample count, p50, p99, p99.9,
// max and how many round trips took over 10 ms instead, so that a run
// with no save beside it gives the host's own noise to compare with.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	duration := flag.Duration("duration", 0, "stop after this long (0: at SIGTERM/SIGINT)")
	stats := flag.Bool("stats", false, "print n, p50, p99, p99.9, max and count over 10 ms")
	flag.Parse()
	conn, err := net.Dial("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rd := bufio.NewReader(conn)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var deadline <-chan time.Time
	if *duration > 0 {
		deadline = time.After(*duration)
	}
	req := []byte("*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n")
	var worst time.Duration
	var samples []time.Duration
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
		case <-deadline:
		case <-tick.C:
			t0 := time.Now()
			if _, err := conn.Write(req); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if err := readReply(rd); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			d := time.Since(t0)
			worst = max(worst, d)
			if *stats {
				samples = append(samples, d)
			}
			continue
		}
		break
	}
	if !*stats {
		fmt.Printf("%.2f\n", ms(worst))
		return
	}
	slices.Sort(samples)
	over := 0
	for _, d := range samples {
		if d > 10*time.Millisecond {
			over++
		}
	}
	fmt.Printf("n=%d p50=%.2f p99=%.2f p99.9=%.2f max=%.2f over10ms=%d\n", len(samples),
		ms(pct(samples, 0.5)), ms(pct(samples, 0.99)), ms(pct(samples, 0.999)), ms(worst), over)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct is the q-quantile of sorted samples (0 when there are none).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// readReply consumes one bulk-string or error reply.
func readReply(rd *bufio.Reader) error {
	line, err := rd.ReadString('\n')
	if err != nil {
		return err
	}
	if len(line) > 0 && line[0] == '$' {
		var n int
		fmt.Sscanf(line[1:], "%d", &n)
		if n >= 0 {
			_, err = rd.Discard(n + 2)
		}
	}
	return err
}
