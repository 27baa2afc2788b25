// wait.go holds the one polling loop the tests use to wait for a
// condition with a generous deadline (never a timing assertion).
package testutil

import (
	"testing"
	"time"
)

// Poll calls check every 50 ms until it returns nil or timeout passes,
// and returns check's last error.
func Poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFor is Poll that fails the test, naming what was awaited.
func WaitFor(t testing.TB, desc string, timeout time.Duration, check func() error) {
	t.Helper()
	if err := Poll(timeout, check); err != nil {
		t.Fatalf("%s: not within %v: %v", desc, timeout, err)
	}
}
