// Command failovertime measures a Sentinel failover as a client sees it,
// for bench/sentinel_failover.sh. "failovertime kill" sends SIGKILL to the
// master's pid and then, every 10 ms, asks each sentinel for the master's
// address (SENTINEL get-master-addr-by-name) and tries a SET there; it
// prints the milliseconds from the kill to the first SET that succeeds (a
// replica answers READONLY, so success means a master) and that address. "failovertime wait"
// waits until the group is whole again (all sentinels name the same master,
// know each other, list the replicas as healthy, and the master has them
// all online) and prints that master's address. It speaks RESP2 over plain
// connections so that no client library's pooling or retries are timed.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	sentinels = flag.String("sentinels", "", "comma-separated sentinel addresses")
	name      = flag.String("name", "mymaster", "master name")
	password  = flag.String("password", "", "the data nodes' password")
	pid       = flag.Int("pid", 0, "kill: pid of the master to SIGKILL")
	old       = flag.String("old", "", "kill: the master's address (never a valid answer)")
	replicas  = flag.Int("replicas", 3, "wait: the number of replicas expected")
	timeout   = flag.Duration("timeout", 120*time.Second, "give up after this long")
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: failovertime kill|wait -sentinels a,b,c [flags]")
		flag.PrintDefaults()
	}
	if len(os.Args) < 2 {
		flag.Usage()
		os.Exit(2)
	}
	mode := os.Args[1]
	flag.CommandLine.Parse(os.Args[2:])
	addrs := strings.Split(*sentinels, ",")
	var err error
	switch mode {
	case "kill":
		err = kill(addrs)
	case "wait":
		err = wait(addrs)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "failovertime:", err)
		os.Exit(1)
	}
}

func kill(addrs []string) error {
	if *pid == 0 || *old == "" {
		return errors.New("kill needs -pid and -old")
	}
	start := time.Now()
	if err := syscall.Kill(*pid, syscall.SIGKILL); err != nil {
		return err
	}
	for time.Since(start) < *timeout {
		for _, s := range addrs {
			a, err := masterAddr(s)
			if err != nil || a == *old {
				continue
			}
			if r, err := do(a, "SET", "failovertime", strconv.FormatInt(time.Now().UnixNano(), 10)); err == nil && r == "OK" {
				fmt.Println(time.Since(start).Milliseconds(), a)
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no write succeeded within %v", *timeout)
}

func wait(addrs []string) error {
	start := time.Now()
	var last error
	for time.Since(start) < *timeout {
		m, err := whole(addrs)
		if err == nil {
			fmt.Println(m)
			return nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("group not whole within %v: %v", *timeout, last)
}

// whole checks the group once and returns the master's address.
func whole(addrs []string) (string, error) {
	master := ""
	for _, s := range addrs {
		a, err := masterAddr(s)
		if err != nil {
			return "", fmt.Errorf("%s: %v", s, err)
		}
		if master == "" {
			master = a
		} else if a != master {
			return "", fmt.Errorf("%s names %s, another sentinel %s", s, a, master)
		}
		m, err := fields(s, "SENTINEL", "master", *name)
		if err != nil {
			return "", err
		}
		if len(m) == 0 {
			return "", fmt.Errorf("%s: SENTINEL master: no such master", s)
		}
		if f := m[0]["flags"]; f != "master" {
			return "", fmt.Errorf("%s: master flags %s", s, f)
		}
		if n := m[0]["num-other-sentinels"]; n != strconv.Itoa(len(addrs)-1) {
			return "", fmt.Errorf("%s: %s other sentinels", s, n)
		}
		rs, err := fields(s, "SENTINEL", "replicas", *name)
		if err != nil {
			return "", err
		}
		ok := 0
		for _, r := range rs {
			if r["flags"] == "slave" && r["master-link-status"] == "ok" && r["master-host"]+":"+r["master-port"] == master {
				ok++
			}
		}
		if ok != *replicas {
			return "", fmt.Errorf("%s: %d healthy replicas of %s, want %d", s, ok, master, *replicas)
		}
	}
	info, err := do(master, "INFO", "replication")
	if err != nil {
		return "", err
	}
	if n := strings.Count(info, "state=online"); n != *replicas {
		return "", fmt.Errorf("master %s has %d online replicas", master, n)
	}
	return master, nil
}

func masterAddr(sentinel string) (string, error) {
	v, err := call(sentinel, false, "SENTINEL", "get-master-addr-by-name", *name)
	if err != nil {
		return "", err
	}
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return "", fmt.Errorf("get-master-addr-by-name: %v", v)
	}
	return fmt.Sprintf("%v:%v", a[0], a[1]), nil
}

// fields runs a command answering a list of flat field/value lists (or a
// single one, as SENTINEL master does) and returns them as maps.
func fields(addr string, args ...string) ([]map[string]string, error) {
	v, err := call(addr, false, args...)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: %v", args[1], v)
	}
	if len(list) > 0 {
		if _, flat := list[0].(string); flat {
			list = []any{list}
		}
	}
	var out []map[string]string
	for _, e := range list {
		kv, _ := e.([]any)
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = fmt.Sprint(kv[i+1])
		}
		out = append(out, m)
	}
	return out, nil
}

// do runs a command on a data node (authenticating first) and returns a
// simple reply as a string.
func do(addr string, args ...string) (string, error) {
	v, err := call(addr, true, args...)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("unexpected reply %v", v)
	}
	return s, nil
}

// call opens a connection, sends AUTH (for data nodes, when a password is
// set) and the command, and reads the reply; short deadlines, since a dead
// or paused node must not hold up the polling.
func call(addr string, auth bool, args ...string) (any, error) {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	r := bufio.NewReader(c)
	if auth && *password != "" {
		if _, err := c.Write(encode("AUTH", *password)); err != nil {
			return nil, err
		}
		if _, err := read(r); err != nil {
			return nil, err
		}
	}
	if _, err := c.Write(encode(args...)); err != nil {
		return nil, err
	}
	return read(r)
}

func encode(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// read parses one RESP2 reply: strings, integers (as strings), arrays
// ([]any), nil; an error reply is returned as an error.
func read(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = read(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
