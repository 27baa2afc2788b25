// election_test.go has table tests for the two decisions that are easy
// to get subtly wrong: who leads a failover (getLeader) and which replica
// is promoted (selectReplica).
package sentinel

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

var smT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const smMe = "me000000000000000000000000000000000000000"

func TestGetLeader(t *testing.T) {
	type vote struct {
		leader string
		epoch  uint64
	}
	cases := []struct {
		name   string
		quorum int
		others []vote // the other sentinels' last votes
		myVote string // a vote we already gave in epoch 5 ("" for none)
		want   string
	}{
		{"alone", 1, nil, "", smMe},
		{"alone quorum 2", 2, nil, "", ""},
		{"both others for me", 2, []vote{{smMe, 5}, {smMe, 5}}, "", smMe},
		{"we follow the most voted", 2, []vote{{"b", 5}, {"b", 5}}, "", "b"},
		{"one other for b: we vote b too", 2, []vote{{"b", 5}, {"", 0}}, "", "b"},
		{"split", 2, []vote{{"b", 5}, {"c", 5}}, smMe, ""},
		{"our earlier vote stands", 2, []vote{{"b", 5}}, smMe, ""},
		{"old epochs do not count", 2, []vote{{smMe, 4}, {smMe, 4}}, "", ""},
		{"majority of 5 is 3", 2, []vote{{smMe, 5}, {smMe, 5}, {"", 0}, {"", 0}}, "", smMe},
		{"2 of 5 is no majority", 2, []vote{{smMe, 5}, {"c", 5}, {"c", 5}, {"d", 5}}, smMe, ""},
		{"majority but below quorum", 4, []vote{{smMe, 5}, {smMe, 5}, {"", 0}, {"", 0}}, "", ""},
		{"majority and quorum", 4, []vote{{smMe, 5}, {smMe, 5}, {smMe, 5}, {"", 0}}, "", smMe},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(smMe, 26379)
			m.Rand = rand.New(rand.NewPCG(1, 2))
			m.CurrentEpoch = 5
			mm, _ := m.AddMaster("mym", Addr{"127.0.0.1", 7003}, c.quorum, smT0)
			mm.Flags |= FlagODown | FlagFailoverInProgress
			for i, v := range c.others {
				s, _ := m.AddSentinel(mm, "s"+strconv.Itoa(i), Addr{"127.0.0.1", 26380 + i}, smT0)
				s.Leader, s.LeaderEpoch = v.leader, v.epoch
			}
			if c.myVote != "" {
				mm.Leader, mm.LeaderEpoch = c.myVote, 5
			}
			if got := m.getLeader(smT0, mm, 5); got != c.want {
				t.Errorf("leader %q, want %q", got, c.want)
			}
		})
	}
}

func TestVoteLeader(t *testing.T) {
	m := New(smMe, 26379)
	m.Rand = rand.New(rand.NewPCG(1, 2))
	mm, _ := m.AddMaster("mym", Addr{"127.0.0.1", 7003}, 2, smT0)
	// A request for a later epoch moves ours and gets the vote.
	if l, e := m.voteLeader(smT0, mm, 3, "b"); l != "b" || e != 3 || m.CurrentEpoch != 3 {
		t.Fatalf("vote %s %d epoch %d", l, e, m.CurrentEpoch)
	}
	if !mm.FailoverStartTime.After(smT0.Add(-time.Nanosecond)) || mm.FailoverStartTime.Sub(smT0) >= time.Second {
		t.Errorf("voting for another must delay our failover by the desync: %v", mm.FailoverStartTime.Sub(smT0))
	}
	// One vote per epoch; older epochs get the vote we hold.
	if l, e := m.voteLeader(smT0, mm, 3, "c"); l != "b" || e != 3 {
		t.Errorf("second vote in epoch 3: %s %d", l, e)
	}
	if l, e := m.voteLeader(smT0, mm, 2, "c"); l != "b" || e != 3 {
		t.Errorf("vote for an older epoch: %s %d", l, e)
	}
	down, l, e := m.IsMasterDownByAddr(smT0, "127.0.0.1", 7003, 4, "*")
	if down || l != "*" || e != 0 {
		t.Errorf("is-master-down with *: %v %s %d", down, l, e)
	}
	if _, l, _ := m.IsMasterDownByAddr(smT0, "127.0.0.1", 7004, 4, "c"); l != "*" {
		t.Errorf("unknown master: %s", l)
	}
}

func TestSelectReplica(t *testing.T) {
	now := smT0.Add(time.Minute)
	type rep struct {
		prio     int
		offset   int64
		runID    string
		sdown    bool
		disconn  bool
		infoAge  time.Duration
		availAge time.Duration
		linkDown time.Duration
	}
	cases := []struct {
		name        string
		masterSDown bool // master SDOWN for 10 s
		reps        []rep
		want        int // index, -1 for none
	}{
		{"priority first", false, []rep{{prio: 100, offset: 900}, {prio: 50, offset: 1}}, 1},
		{"then offset", false, []rep{{prio: 100, offset: 10}, {prio: 100, offset: 20}}, 1},
		{"then run ID", false, []rep{{prio: 100, runID: "bbb"}, {prio: 100, runID: "aaa"}}, 1},
		{"unknown run ID last", false, []rep{{prio: 100}, {prio: 100, runID: "zzz"}}, 1},
		{"priority 0 never", false, []rep{{prio: 0, offset: 900}}, -1},
		{"sdown never", false, []rep{{prio: 100, sdown: true}, {prio: 200}}, 1},
		{"disconnected never", false, []rep{{prio: 100, disconn: true}, {prio: 200}}, 1},
		{"no reply for 5 pings", false, []rep{{prio: 100, availAge: 6 * time.Second}, {prio: 200}}, 1},
		{"info up to 3 periods old", false, []rep{{prio: 100, infoAge: 29 * time.Second}}, 0},
		{"info older than 3 periods", false, []rep{{prio: 100, infoAge: 31 * time.Second}}, -1},
		{"master sdown: info older than 5 s", true, []rep{{prio: 100, infoAge: 6 * time.Second}, {prio: 200}}, 1},
		// down-after 5 s: the limit is 10 s of master SDOWN + 50 s.
		{"link down too long", true, []rep{{prio: 100, linkDown: 61 * time.Second}, {prio: 200, linkDown: 59 * time.Second}}, 1},
		{"link down too long, master up", false, []rep{{prio: 100, linkDown: 51 * time.Second}}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(smMe, 26379)
			m.Timing = RedisTiming
			mm, _ := m.AddMaster("mym", Addr{"127.0.0.1", 7003}, 2, smT0)
			mm.DownAfter = 5 * time.Second
			if c.masterSDown {
				mm.Flags |= FlagSDown
				mm.SDownSince = now.Add(-10 * time.Second)
			}
			var insts []*Instance
			for i, r := range c.reps {
				inst, _ := m.AddReplica(mm, Addr{"127.0.0.1", 8000 + i}, smT0)
				inst.ReplicaPriority, inst.ReplicaReplOffset, inst.RunID = r.prio, r.offset, r.runID
				inst.Link.Connected, inst.Link.PubSubConnected = !r.disconn, !r.disconn
				inst.Link.LastAvailTime = now.Add(-r.availAge)
				inst.InfoRefresh = now.Add(-r.infoAge)
				inst.MasterLinkDownTime = r.linkDown
				if r.sdown {
					inst.Flags |= FlagSDown
				}
				insts = append(insts, inst)
			}
			got := m.selectReplica(now, mm)
			switch {
			case c.want < 0 && got != nil:
				t.Errorf("selected %s, want none", got.Name)
			case c.want >= 0 && got != insts[c.want]:
				name := "none"
				if got != nil {
					name = got.Name
				}
				t.Errorf("selected %s, want %s", name, insts[c.want].Name)
			}
		})
	}
}
