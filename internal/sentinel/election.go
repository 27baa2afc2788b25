// election.go is the leader election of a failover: each sentinel gives
// one vote per epoch (sentinelVoteLeader, reached through
// SENTINEL is-master-down-by-addr), and a sentinel leads the failover of
// its epoch when a majority of all the sentinels it knows, and at least
// the quorum, voted for it (sentinelGetLeader).
package sentinel

import (
	"sort"
	"strings"
	"time"
)

// IsMasterDownByAddr answers SENTINEL is-master-down-by-addr: whether
// the master at host:port is SDOWN here (never while in TILT), and, when
// runID is not "*", this sentinel's vote for reqEpoch. leader is "*" when
// there is no vote to report.
func (m *Machine) IsMasterDownByAddr(now time.Time, host string, port int, reqEpoch uint64, runID string) (down bool, leader string, leaderEpoch uint64) {
	var mm *Master
	for _, c := range m.mastersByName() {
		if c.Addr.Port == port && sameHost(c.Addr.Host, host) {
			mm = c
			break
		}
	}
	leader = "*"
	if mm == nil {
		return false, leader, 0
	}
	down = !m.Tilt && mm.Flags&FlagSDown != 0
	if runID != "*" {
		var l string
		l, leaderEpoch = m.voteLeader(now, mm, reqEpoch, runID)
		if l != "" {
			leader = l
		}
	}
	return down, leader, leaderEpoch
}

// voteLeader is sentinelVoteLeader: vote for runID in reqEpoch unless we
// already voted in that epoch or a later one; return the vote we hold.
func (m *Machine) voteLeader(now time.Time, mm *Master, reqEpoch uint64, runID string) (string, uint64) {
	if reqEpoch > m.CurrentEpoch {
		m.CurrentEpoch = reqEpoch
		m.do(SaveConfig{})
		m.event(LevelWarning, "+new-epoch", &mm.Instance, "%d", m.CurrentEpoch)
	}
	if mm.LeaderEpoch < reqEpoch && m.CurrentEpoch <= reqEpoch {
		mm.Leader = runID
		mm.LeaderEpoch = m.CurrentEpoch
		m.do(SaveConfig{})
		m.event(LevelWarning, "+vote-for-leader", &mm.Instance, "%s %d", mm.Leader, mm.LeaderEpoch)
		// Having voted for another, hold back our own failover attempt.
		if !strings.EqualFold(mm.Leader, m.MyID) {
			mm.FailoverStartTime = now.Add(m.desync())
		}
	}
	return mm.Leader, mm.LeaderEpoch
}

func (m *Machine) desync() time.Duration {
	return time.Duration(m.Rand.IntN(maxDesync)) * time.Millisecond
}

// getLeader is sentinelGetLeader: the sentinel elected for epoch, or "".
// Our own vote goes to the most voted sentinel so far, or to ourselves.
func (m *Machine) getLeader(now time.Time, mm *Master, epoch uint64) string {
	voters := len(mm.Sentinels) + 1
	counts := map[string]int{}
	for _, s := range mm.Sentinels {
		if s.Leader != "" && s.LeaderEpoch == m.CurrentEpoch {
			counts[s.Leader]++
		}
	}
	winner, maxVotes := mostVoted(counts)

	want := m.MyID
	if winner != "" {
		want = winner
	}
	myVote, myEpoch := m.voteLeader(now, mm, epoch, want)
	if myVote != "" && myEpoch == epoch {
		counts[myVote]++
		if counts[myVote] > maxVotes {
			maxVotes = counts[myVote]
			winner = myVote
		}
	}
	if winner != "" && (maxVotes < voters/2+1 || maxVotes < mm.Quorum) {
		winner = ""
	}
	return winner
}

// mostVoted returns the run ID with most votes; ties go to the smallest
// run ID (Redis takes whichever its hash table yields first).
func mostVoted(counts map[string]int) (string, int) {
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	winner, maxVotes := "", 0
	for _, id := range ids {
		if counts[id] > maxVotes {
			winner, maxVotes = id, counts[id]
		}
	}
	return winner, maxVotes
}
