// async.go is the asynchronous output path of a client: bytes produced by
// other clients' commands (MONITOR lines, later pub/sub messages) must reach
// a connection whose own goroutine sits blocked in Read. Such a client gets
// a small output queue guarded by its own mutex and a writer goroutine that
// drains it, so the executor never blocks on another client's socket.
//
// Once a client is asynchronous, its ordinary replies go through the same
// queue (flush appends instead of writing), which keeps every byte the
// client receives in the order the executor produced it.
package server

import (
	"sync"
)

// asyncOutputLimit bounds the queue of a client that does not read: past it
// the client is disconnected, as Redis does when an output buffer limit is hit.
const asyncOutputLimit = 1 << 30

// asyncOutput is the queue and its writer's wake-up signal.
type asyncOutput struct {
	mu      sync.Mutex
	pending []byte
	spare   []byte
	// writing is how many bytes the writer took and has not sent yet.
	writing int
	closed  bool
	wake    chan struct{}
	stopped chan struct{}
}

// startAsync switches c to asynchronous output and starts its writer.
// Idempotent. Called with the executor lock held.
func (c *Client) startAsync() {
	if c.async != nil {
		return
	}
	a := &asyncOutput{wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	c.async = a
	go c.asyncWriter(a)
}

// pushAsync queues b for c without blocking on c's socket. b is copied.
// Safe to call from any goroutine once startAsync ran.
func (c *Client) pushAsync(b []byte) {
	a := c.async
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	if len(a.pending)+len(b) > asyncOutputLimit {
		a.closed = true
		a.mu.Unlock()
		c.conn.Close()
		return
	}
	a.pending = append(a.pending, b...)
	// The signal is sent under mu so stopAsync cannot close wake under it.
	select {
	case a.wake <- struct{}{}:
	default:
	}
	a.mu.Unlock()
}

// unsent is the output queued for c that its peer has not taken yet: what
// output buffer limits are measured against.
func (a *asyncOutput) unsent() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pending) + a.writing
}

// asyncWriter drains the queue until the client goes away.
func (c *Client) asyncWriter(a *asyncOutput) {
	defer close(a.stopped)
	for range a.wake {
		a.mu.Lock()
		if a.closed && len(a.pending) == 0 {
			a.mu.Unlock()
			return
		}
		out := a.pending
		a.pending = a.spare[:0]
		a.writing = len(out)
		a.mu.Unlock()
		if len(out) > 0 {
			n, err := c.conn.Write(out)
			c.srv.stats.netOutput.Add(int64(n))
			if err != nil {
				a.mu.Lock()
				a.closed = true
				a.pending = nil
				a.mu.Unlock()
				c.conn.Close()
				return
			}
		}
		a.mu.Lock()
		a.writing = 0
		if cap(out) <= 1<<20 {
			a.spare = out[:0]
		}
		a.mu.Unlock()
	}
}

// stopAsync ends the writer after it sent what is queued; the caller then
// closes the connection. Called once, without the executor lock, when the
// client's connection goroutine ends.
func (c *Client) stopAsync() {
	a := c.async
	if a == nil {
		return
	}
	a.mu.Lock()
	a.closed = true
	select {
	case a.wake <- struct{}{}:
	default:
	}
	close(a.wake)
	a.mu.Unlock()
	<-a.stopped
}
