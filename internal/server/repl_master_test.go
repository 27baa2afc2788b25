package server

import (
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/replication"
)

// TestReplicaOverLimit: client-output-buffer-limit replica as Redis 7
// applies it — the hard limit is at least repl-backlog-size, the soft one
// counts only once it has held for longer than its seconds.
func TestReplicaOverLimit(t *testing.T) {
	cfg := config.Default()
	s := New(cfg)
	cases := []struct {
		name      string
		limit     config.OutputBufferLimit
		backlog   int64
		used      uint64
		softSince time.Duration // 0: first time over the soft limit
		want      bool
	}{
		{"under", config.OutputBufferLimit{Hard: 1000, Soft: 500, SoftSeconds: 60}, 100, 400, 0, false},
		{"hard", config.OutputBufferLimit{Hard: 1000}, 100, 1000, 0, true},
		{"hard raised to the backlog", config.OutputBufferLimit{Hard: 1000}, 5000, 4999, 0, false},
		{"over the raised hard", config.OutputBufferLimit{Hard: 1000}, 5000, 5000, 0, true},
		{"no limits", config.OutputBufferLimit{}, 100, 1 << 40, 0, false},
		{"soft, first seen", config.OutputBufferLimit{Soft: 500, SoftSeconds: 10}, 100, 600, 0, false},
		{"soft, within its seconds", config.OutputBufferLimit{Soft: 500, SoftSeconds: 10}, 100, 600, 5 * time.Second, false},
		{"soft, held too long", config.OutputBufferLimit{Soft: 500, SoftSeconds: 10}, 100, 600, 20 * time.Second, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.cfg.ClientOutputBuffer[config.ClassReplica] = tc.limit
			s.cfg.ReplBacklogSize = tc.backlog
			l := &replicaLink{c: &Client{}}
			if tc.softSince > 0 {
				l.c.obufSoftLimitSince = time.Now().Add(-tc.softSince).Unix()
			}
			if got := s.replicaOverLimit(l, tc.used); got != tc.want {
				t.Errorf("replicaOverLimit(%d) = %v, want %v", tc.used, got, tc.want)
			}
		})
	}
}

// TestReplStateNames: INFO's state field names Redis's states.
func TestReplStateNames(t *testing.T) {
	for st, want := range map[replState]string{
		replWaitBgsaveStart: "wait_bgsave", replWaitBgsaveEnd: "wait_bgsave",
		replSendBulk: "send_bulk", replOnline: "online",
	} {
		if got := st.String(); got != want {
			t.Errorf("%d: %q, want %q", st, got, want)
		}
	}
}

// TestBacklogTTLFreesBacklog: without replicas for longer than
// repl-backlog-ttl the backlog goes, with a new replid and the offset kept;
// a ttl of 0 keeps it.
func TestBacklogTTLFreesBacklog(t *testing.T) {
	for _, ttl := range []int64{0, 10} {
		s := New(config.Default())
		s.cfg.ReplBacklogTTL = ttl
		s.repl.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), 0)
		s.feedReplicas(0, [][]byte{[]byte("SET"), []byte("k"), []byte("v")})
		off, id := s.repl.offset(), s.repl.ids.Replid
		now := time.Now()
		s.replBacklogTTL(now)
		s.replBacklogTTL(now.Add(time.Duration(ttl)*time.Second + time.Second))
		if ttl == 0 {
			if s.repl.backlog == nil {
				t.Error("ttl 0 freed the backlog")
			}
			continue
		}
		if s.repl.backlog != nil {
			t.Fatal("backlog kept past the ttl")
		}
		if s.repl.ids.Replid == id {
			t.Error("replid unchanged")
		}
		if s.repl.offset() != off || off == 0 {
			t.Errorf("offset %d after freeing, want %d", s.repl.offset(), off)
		}
	}
}
