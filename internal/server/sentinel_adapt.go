// sentinel_adapt.go holds the calls into the sentinel Machine whose
// signatures are changing while sentinel mode is being built, so a merge
// touches only this file: InfoSection gains the clock, and a hello
// message received by PUBLISH gets its own method (Machine.Hello).
package server

import (
	"time"

	"github.com/redoubt/redoubt/internal/sentinel"
)

// sentinelInfoSection is INFO's "# Sentinel" section.
// At merge: return m.InfoSection(now).
func sentinelInfoSection(m *sentinel.Machine, now time.Time) string {
	return m.InfoSection()
}

// sentinelHello hands the machine a hello message another sentinel
// PUBLISHed to us directly. At merge: m.Hello(now, payload).
func sentinelHello(m *sentinel.Machine, now time.Time, payload string) {
	m.Step(now, sentinel.HelloMessage{Payload: payload})
}
