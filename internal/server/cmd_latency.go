// cmd_latency.go is the latency monitor and the LATENCY command: events
// (such as "command", a command slower than latency-monitor-threshold ms)
// keep a ring of per-second maxima, which LATEST, HISTORY, GRAPH, DOCTOR and
// RESET report; HISTOGRAM reports the per-command latency histograms.
package server

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// latencyHistoryLen is how many samples each event keeps, as Redis.
const latencyHistoryLen = 160

type latencySample struct {
	time    int64 // unix seconds
	latency int64 // milliseconds
}

type latencySeries struct {
	next    int
	max     int64
	samples [latencyHistoryLen]latencySample
}

func init() {
	register("latency|latest", cmdLatencyLatest)
	register("latency|history", cmdLatencyHistory)
	register("latency|reset", cmdLatencyReset)
	register("latency|graph", cmdLatencyGraph)
	register("latency|doctor", cmdLatencyDoctor)
	register("latency|histogram", cmdLatencyHistogram)
	register("latency|help", cmdLatencyHelp)
}

// latencyAddSampleIfNeeded records ms for event when it reaches the
// configured threshold (0 disables the monitor).
func (s *Server) latencyAddSampleIfNeeded(event string, ms int64) {
	th := s.cfg.LatencyMonitorThreshold
	if th == 0 || ms < th {
		return
	}
	s.latencyAddSample(event, ms, time.Now().Unix())
}

func (s *Server) latencyAddSample(event string, ms, now int64) {
	in := &s.intro
	if in.latencyEvents == nil {
		in.latencyEvents = map[string]*latencySeries{}
	}
	ts := in.latencyEvents[event]
	if ts == nil {
		ts = &latencySeries{}
		in.latencyEvents[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.next+latencyHistoryLen-1)%latencyHistoryLen]
	if prev.time == now {
		prev.latency = max(prev.latency, ms)
		return
	}
	ts.samples[ts.next] = latencySample{time: now, latency: ms}
	ts.next = (ts.next + 1) % latencyHistoryLen
}

// latencyEventNames lists the events in a stable order.
func (s *Server) latencyEventNames() []string {
	names := make([]string, 0, len(s.intro.latencyEvents))
	for n := range s.intro.latencyEvents {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func cmdLatencyLatest(c *Client, args [][]byte) {
	s := c.srv
	names := s.latencyEventNames()
	c.w.ArrayLen(len(names))
	for _, n := range names {
		ts := s.intro.latencyEvents[n]
		last := ts.samples[(ts.next+latencyHistoryLen-1)%latencyHistoryLen]
		c.w.ArrayLen(4)
		c.w.BulkString(n)
		c.w.Int(last.time)
		c.w.Int(last.latency)
		c.w.Int(ts.max)
	}
}

func cmdLatencyHistory(c *Client, args [][]byte) {
	ts := c.srv.intro.latencyEvents[string(args[2])]
	if ts == nil {
		c.w.ArrayLen(0)
		return
	}
	samples := ts.ordered()
	c.w.ArrayLen(len(samples))
	for _, sm := range samples {
		c.w.ArrayLen(2)
		c.w.Int(sm.time)
		c.w.Int(sm.latency)
	}
}

// ordered returns the recorded samples, oldest first.
func (ts *latencySeries) ordered() []latencySample {
	var out []latencySample
	for j := 0; j < latencyHistoryLen; j++ {
		sm := ts.samples[(ts.next+j)%latencyHistoryLen]
		if sm.time != 0 {
			out = append(out, sm)
		}
	}
	return out
}

func cmdLatencyReset(c *Client, args [][]byte) {
	s := c.srv
	resets := 0
	if len(args) == 2 {
		resets = len(s.intro.latencyEvents)
		s.intro.latencyEvents = nil
	} else {
		for _, a := range args[2:] {
			for name := range s.intro.latencyEvents {
				if strings.EqualFold(name, string(a)) {
					delete(s.intro.latencyEvents, name)
					resets++
				}
			}
		}
	}
	c.w.Int(int64(resets))
}

func cmdLatencyGraph(c *Client, args [][]byte) {
	event := string(args[2])
	ts := c.srv.intro.latencyEvents[event]
	if ts == nil {
		c.addError(fmt.Sprintf("ERR No samples available for event '%s'", event))
		return
	}
	c.w.Verbatim("txt", latencyGraph(event, ts, time.Now().Unix()))
}

// latencyGraph draws the samples of one event as columns of characters,
// tallest for the highest latency, labelled with how long ago each was.
func latencyGraph(event string, ts *latencySeries, now int64) string {
	samples := ts.ordered()
	var lo, hi int64
	for i, sm := range samples {
		if i == 0 || sm.latency < lo {
			lo = sm.latency
		}
		hi = max(hi, sm.latency)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	const rows = 4
	if len(samples) > 80 {
		samples = samples[len(samples)-80:]
	}
	for r := rows; r >= 1; r-- {
		line := make([]byte, len(samples))
		for i, sm := range samples {
			h := int64(rows)
			if hi > lo {
				h = 1 + (sm.latency-lo)*(rows-1)/(hi-lo)
			}
			switch {
			case h >= int64(r):
				line[i] = '#'
			case h == int64(r)-1 && r > 1:
				line[i] = '_'
			default:
				line[i] = ' '
			}
		}
		b.WriteString(strings.TrimRight(string(line), " ") + "\n")
	}
	labels := make([]string, len(samples))
	width := 0
	for i, sm := range samples {
		labels[i] = agoLabel(now - sm.time)
		width = max(width, len(labels[i]))
	}
	for row := 0; row < width; row++ {
		line := make([]byte, len(samples))
		for i, l := range labels {
			line[i] = ' '
			if row < len(l) {
				line[i] = l[row]
			}
		}
		b.WriteString(strings.TrimRight(string(line), " ") + "\n")
	}
	return b.String()
}

func agoLabel(sec int64) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm", sec/60)
	case sec < 86400:
		return fmt.Sprintf("%dh", sec/3600)
	}
	return fmt.Sprintf("%dd", sec/86400)
}

func cmdLatencyDoctor(c *Client, args [][]byte) {
	c.w.Verbatim("txt", c.srv.latencyReport())
}

// latencyReport is a short plain-language summary of the latency monitor.
func (s *Server) latencyReport() string {
	var b strings.Builder
	th := s.cfg.LatencyMonitorThreshold
	names := s.latencyEventNames()
	switch {
	case th == 0 && len(names) == 0:
		b.WriteString("Latency monitoring is off (latency-monitor-threshold is 0), so there are no samples to analyse.\n" +
			"Enable it with CONFIG SET latency-monitor-threshold <milliseconds>.\n")
		return b.String()
	case len(names) == 0:
		fmt.Fprintf(&b, "No event reached the %d ms latency threshold so far.\n", th)
		return b.String()
	}
	fmt.Fprintf(&b, "Latency report (threshold %d ms):\n\n", th)
	for i, n := range names {
		ts := s.intro.latencyEvents[n]
		samples := ts.ordered()
		var sum, lo, hi int64
		for j, sm := range samples {
			sum += sm.latency
			if j == 0 || sm.latency < lo {
				lo = sm.latency
			}
			hi = max(hi, sm.latency)
		}
		avg := int64(0)
		if len(samples) > 0 {
			avg = sum / int64(len(samples))
		}
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, min %dms, max %dms, all time high %dms).\n",
			i+1, n, len(samples), avg, lo, hi, ts.max)
	}
	b.WriteString("\nSlow commands are listed by SLOWLOG GET; check them for O(N) commands on large values.\n")
	return b.String()
}

func cmdLatencyHistogram(c *Client, args [][]byte) {
	s := c.srv
	var cmds []*serverCommand
	if len(args) == 2 {
		cmds = s.commandsInInfoOrder()
	} else {
		for _, a := range args[2:] {
			sc := s.commands[strings.ToLower(string(a))]
			if sc == nil {
				// "parent|sub" names one subcommand
				top, sub, ok := strings.Cut(strings.ToLower(string(a)), "|")
				if p := s.commands[top]; ok && p != nil && p.subs != nil {
					if x := p.subs[sub]; x != nil {
						cmds = append(cmds, x)
					}
				}
				continue
			}
			cmds = append(cmds, sc)
			for _, sub := range sortedSubs(sc) {
				cmds = append(cmds, sub)
			}
		}
	}
	d := c.w.Defer()
	n := 0
	for _, sc := range cmds {
		if sc.hist == nil {
			continue
		}
		n++
		c.w.BulkString(sc.name)
		c.w.MapLen(2)
		c.w.BulkString("calls")
		c.w.Int(sc.hist.total)
		c.w.BulkString("histogram_usec")
		points := sc.hist.cumulative()
		c.w.MapLen(len(points))
		for _, p := range points {
			c.w.Int(p.upToUsec)
			c.w.Int(p.count)
		}
	}
	c.w.SetMapLen(d, n)
}

func cmdLatencyHelp(c *Client, args [][]byte) {
	replyHelpLines(c, args, []string{
		"DOCTOR",
		"    Show a plain-language analysis of the recorded latency events.",
		"GRAPH <event>",
		"    Draw the samples of latency event <event> as an ASCII graph.",
		"HISTORY <event>",
		"    List the (unix time, latency ms) samples of latency event <event>.",
		"LATEST",
		"    List the newest sample of every latency event.",
		"RESET [<event> ...]",
		"    Forget the samples of the given events (of all events when none given).",
		"HISTOGRAM [COMMAND ...]",
		"    Show the cumulative latency distribution of the given commands",
		"    (of every command that ran when none given).",
	})
}
