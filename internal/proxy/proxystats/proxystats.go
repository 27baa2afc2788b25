// Package proxystats keeps the proxy's counters and renders them as
// twemproxy's stats port does: one JSON document per TCP connection, with
// nutcracker's field names, order and spacing, so that existing monitoring
// (nutcracker-web, collectd and zabbix plugins, scripts grepping the text)
// keeps working. The field names and descriptions are those of nc_stats.h.
package proxystats

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
)

// PoolCounters are a pool's counters, in nutcracker's order.
type PoolCounters struct {
	ClientEOF, ClientErr, ClientConnections, ServerEjects, ForwardError, Fragments atomic.Int64
}

// ServerCounters are a server's counters, in nutcracker's order.
// ServerEjectedAt is in microseconds since the epoch.
type ServerCounters struct {
	ServerEOF, ServerErr, ServerTimedout, ServerConnections, ServerEjectedAt,
	Requests, RequestBytes, Responses, ResponseBytes,
	InQueue, InQueueBytes, OutQueue, OutQueueBytes atomic.Int64
}

// Field is one counter's name and its description (printed by -D).
type Field struct{ Name, Desc string }

// PoolFields and ServerFields list the counters in output order.
var (
	PoolFields = []Field{
		{"client_eof", "# eof on client connections"},
		{"client_err", "# errors on client connections"},
		{"client_connections", "# active client connections"},
		{"server_ejects", "# times backend server was ejected"},
		{"forward_error", "# times we encountered a forwarding error"},
		{"fragments", "# fragments created from a multi-vector request"},
	}
	ServerFields = []Field{
		{"server_eof", "# eof on server connections"},
		{"server_err", "# errors on server connections"},
		{"server_timedout", "# timeouts on server connections"},
		{"server_connections", "# active server connections"},
		{"server_ejected_at", "timestamp when server was ejected in usec since epoch"},
		{"requests", "# requests"},
		{"request_bytes", "total request bytes"},
		{"responses", "# responses"},
		{"response_bytes", "total response bytes"},
		{"in_queue", "# requests in incoming queue"},
		{"in_queue_bytes", "current request bytes in incoming queue"},
		{"out_queue", "# requests in outgoing queue"},
		{"out_queue_bytes", "current request bytes in outgoing queue"},
	}
)

// Describe writes what "nutcracker -D" prints after its version lines.
func Describe(w io.Writer) {
	fmt.Fprintln(w, "pool stats:")
	for _, f := range PoolFields {
		fmt.Fprintf(w, "  %-20s\"%s\"\n", f.Name, f.Desc)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "server stats:")
	for _, f := range ServerFields {
		fmt.Fprintf(w, "  %-20s\"%s\"\n", f.Name, f.Desc)
	}
}

func (c *PoolCounters) values() []int64 {
	return []int64{c.ClientEOF.Load(), c.ClientErr.Load(), c.ClientConnections.Load(),
		c.ServerEjects.Load(), c.ForwardError.Load(), c.Fragments.Load()}
}

func (c *ServerCounters) values() []int64 {
	return []int64{c.ServerEOF.Load(), c.ServerErr.Load(), c.ServerTimedout.Load(),
		c.ServerConnections.Load(), c.ServerEjectedAt.Load(), c.Requests.Load(),
		c.RequestBytes.Load(), c.Responses.Load(), c.ResponseBytes.Load(),
		c.InQueue.Load(), c.InQueueBytes.Load(), c.OutQueue.Load(), c.OutQueueBytes.Load()}
}

// PoolStats is one pool's counters and its servers'.
type PoolStats struct {
	Name string
	PoolCounters
	Servers []*ServerStats
}

// ServerStats is one server's counters; Name is the key in the JSON
// (twemproxy uses the server's hashing name).
type ServerStats struct {
	Name string
	ServerCounters
}

// Stats is the whole proxy's: what the stats port serves.
type Stats struct {
	Service string // "nutcracker", kept for monitoring that checks it
	Source  string // the hostname
	Version string // the proxy's version string
	Start   time.Time

	TotalConnections atomic.Int64 // connections accepted since start (clients, as nutcracker counts them)
	CurrConnections  atomic.Int64

	Pools []*PoolStats
}

// New makes the counters for pools as proxyconf returns them (the order
// nutcracker lists them in). Servers are keyed by their hashing name, then
// the Sentinel masters by name.
func New(version string, pools []proxyconf.Pool, start time.Time) *Stats {
	s := &Stats{Service: "nutcracker", Version: version, Start: start}
	if h, err := hostname(); err == nil {
		s.Source = h
	} else {
		s.Source = "unknown"
	}
	for _, p := range pools {
		ps := &PoolStats{Name: p.Name}
		for _, srv := range p.Servers {
			ps.Servers = append(ps.Servers, &ServerStats{Name: srv.HashName()})
		}
		for _, srv := range p.SentinelMasters {
			ps.Servers = append(ps.Servers, &ServerStats{Name: srv.Name})
		}
		s.Pools = append(s.Pools, ps)
	}
	return s
}

// Snapshot is a copy of the counters at one moment: nutcracker serves the
// last aggregate (taken every stats interval), not live values.
type Snapshot struct {
	Service, Source, Version string
	Uptime, Timestamp        int64 // seconds
	TotalConnections         int64
	CurrConnections          int64
	Pools                    []PoolSnapshot
}

// PoolSnapshot holds values in PoolFields order.
type PoolSnapshot struct {
	Name    string
	Values  []int64
	Servers []ServerSnapshot
}

// ServerSnapshot holds values in ServerFields order.
type ServerSnapshot struct {
	Name   string
	Values []int64
}

// Snapshot copies the counters at now.
func (s *Stats) Snapshot(now time.Time) Snapshot {
	sn := Snapshot{Service: s.Service, Source: s.Source, Version: s.Version,
		Timestamp: now.Unix(), Uptime: now.Unix() - s.Start.Unix(),
		TotalConnections: s.TotalConnections.Load(), CurrConnections: s.CurrConnections.Load()}
	for _, p := range s.Pools {
		ps := PoolSnapshot{Name: p.Name, Values: p.PoolCounters.values()}
		for _, srv := range p.Servers {
			ps.Servers = append(ps.Servers, ServerSnapshot{Name: srv.Name, Values: srv.ServerCounters.values()})
		}
		sn.Pools = append(sn.Pools, ps)
	}
	return sn
}

// JSON renders the counters at now as nutcracker's stats port does.
func (s *Stats) JSON(now time.Time) []byte { return s.Snapshot(now).JSON() }

// JSON renders the snapshot byte for byte as nc_stats.c: every value is
// written followed by ", ", and closing a nesting rewrites the last two
// bytes, which gives `..., "a":0}},"next": {` and a final "}\n". Names are
// not escaped, as nutcracker does not escape them.
func (sn Snapshot) JSON() []byte {
	b := []byte{'{'}
	num := func(k string, v int64) {
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, v, 10)
		b = append(b, ", "...)
	}
	raw := func(k, v string) { b = append(b, `"`+k+`":"`+v+`", `...) }
	raw("service", sn.Service)
	raw("source", sn.Source)
	raw("version", sn.Version)
	num("uptime", sn.Uptime)
	num("timestamp", sn.Timestamp)
	num("total_connections", sn.TotalConnections)
	num("curr_connections", sn.CurrConnections)
	begin := func(k string) { b = append(b, `"`+k+`": {`...) }
	end := func() {
		n := len(b)
		switch b[n-2] {
		case ',': // `, ` becomes `},`
			b[n-2], b[n-1] = '}', ','
		case '}': // `},` becomes `}},`
			b[n-1] = '}'
			b = append(b, ',')
		default: // an empty object: nutcracker never writes one
			b = append(b, "},"...)
		}
	}
	for _, p := range sn.Pools {
		begin(p.Name)
		for i, f := range PoolFields {
			num(f.Name, p.Values[i])
		}
		for _, srv := range p.Servers {
			begin(srv.Name)
			for i, f := range ServerFields {
				num(f.Name, srv.Values[i])
			}
			end()
		}
		end()
	}
	b[len(b)-1] = '}'
	return append(b, '\n')
}

// Server serves the stats on a listener: each connection gets one JSON
// document and is closed, without reading anything.
type Server struct {
	Stats *Stats
	// Doc returns the document to send; nil means s.Stats.JSON(time.Now()).
	// The core may set it to serve the last interval's aggregate instead.
	Doc func() []byte
}

// Serve accepts until the listener is closed.
func (srv *Server) Serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		var doc []byte
		if srv.Doc != nil {
			doc = srv.Doc()
		} else {
			doc = srv.Stats.JSON(time.Now())
		}
		go func() {
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			c.Write(doc)
			c.Close()
		}()
	}
}

// Listen opens the stats address as nutcracker does ("-a addr -s port").
func Listen(addr string, port int) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
}
