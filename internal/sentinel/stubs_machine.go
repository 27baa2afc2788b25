package sentinel

import "time"

// Placeholders for the timed logic (monitoring, failure detection,
// election, failover); replaced by monitor.go, down.go, election.go and
// failover.go.

// Step feeds one event to the machine.
func (m *Machine) Step(now time.Time, ev Event) {}

// Tick runs the periodic work (sentinelTimer's per-instance handling).
func (m *Machine) Tick(now time.Time) {}

// IsMasterDownByAddr answers SENTINEL is-master-down-by-addr: whether
// the master at host:port is SDOWN here, and, when runID is not "*", this
// sentinel's vote for reqEpoch (sentinelVoteLeader).
func (m *Machine) IsMasterDownByAddr(now time.Time, host string, port int, reqEpoch uint64, runID string) (down bool, leader string, leaderEpoch uint64) {
	return false, "*", 0
}

// ForceFailover starts a failover without agreement (SENTINEL FAILOVER);
// the error text is the whole error reply ("INPROG ...", "NOGOODSLAVE ...").
func (m *Machine) ForceFailover(mm *Master, now time.Time) string { return "" }
