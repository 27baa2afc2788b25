// Command stall measures how long a client waits at worst: it sends GET
// every millisecond over one connection until it receives SIGTERM or
// SIGINT, then prints the longest round trip in milliseconds. compare.sh
// runs it during BGSAVE to find the longest stall a save causes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	flag.Parse()
	conn, err := net.Dial("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rd := bufio.NewReader(conn)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	req := []byte("*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n")
	var worst time.Duration
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			fmt.Printf("%.2f\n", float64(worst.Microseconds())/1000)
			return
		case <-tick.C:
		}
		t0 := time.Now()
		if _, err := conn.Write(req); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := readReply(rd); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if d := time.Since(t0); d > worst {
			worst = d
		}
	}
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
