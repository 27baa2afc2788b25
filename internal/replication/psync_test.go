package replication

import (
	"strings"
	"testing"
)

func TestTryPartialResync(t *testing.T) {
	r1 := strings.Repeat("a1", 20)
	r2 := strings.Repeat("b2", 20)
	zeros := strings.Repeat("0", 40)
	const replica = "127.0.0.1:6380"

	// A master promoted at offset 100 (replid2 valid up to 101) that has
	// since written 50 more bytes, with a 100-byte backlog: it holds 51..150.
	stream := make([]byte, 150)
	for i := range stream {
		stream[i] = byte(i + 1) // the byte at offset o is o
	}
	newBacklog := func() *Backlog {
		b := NewBacklog(100, 0)
		b.Append(stream)
		return b
	}
	promoted := IDs{Replid: r1, Replid2: r2, SecondReplidOffset: 101}
	fresh := IDs{Replid: r1, Replid2: zeros, SecondReplidOffset: -1}

	lack := func(off string) string {
		return "Unable to partial resync with replica " + replica + " for lack of backlog (Replica request was: " + off + ")."
	}
	accepted := func(n, off string) string {
		return "Partial resynchronization request from " + replica + " accepted. Sending " + n + " bytes of backlog starting from offset " + off + "."
	}
	tooFar := "Warning: replica " + replica + " tried to PSYNC with an offset that is greater than the master replication offset."

	tests := []struct {
		name      string
		ids       IDs
		noBacklog bool
		replid    string
		offset    int64
		notPsync2 bool
		want      PsyncDecision
		wantFrom  int64 // first offset of the expected backlog data when continuing
	}{
		{name: "forced full sync", ids: promoted, replid: "?", offset: -1,
			want: PsyncDecision{Log: "Full resync requested by replica " + replica}},
		{name: "question mark prefix", ids: promoted, replid: "?x", offset: 120,
			want: PsyncDecision{Log: "Full resync requested by replica " + replica}},
		{name: "unknown replid", ids: promoted, replid: strings.Repeat("c3", 20), offset: 120,
			want: PsyncDecision{Log: "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '" +
				strings.Repeat("c3", 20) + "', my replication IDs are '" + r1 + "' and '" + r2 + "')"}},
		{name: "empty replid", ids: promoted, replid: "", offset: 120,
			want: PsyncDecision{Log: "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '', my replication IDs are '" + r1 + "' and '" + r2 + "')"}},
		{name: "replid at end sends nothing", ids: promoted, replid: r1, offset: 151,
			want: PsyncDecision{Continue: true, Reply: "+CONTINUE " + r1 + "\r\n", Log: accepted("0", "151")}, wantFrom: 151},
		{name: "replid at first byte", ids: promoted, replid: r1, offset: 51,
			want: PsyncDecision{Continue: true, Reply: "+CONTINUE " + r1 + "\r\n", Log: accepted("100", "51")}, wantFrom: 51},
		{name: "replid uppercase", ids: promoted, replid: strings.ToUpper(r1), offset: 150,
			want: PsyncDecision{Continue: true, Reply: "+CONTINUE " + r1 + "\r\n", Log: accepted("1", "150")}, wantFrom: 150},
		{name: "replid before backlog", ids: promoted, replid: r1, offset: 50,
			want: PsyncDecision{Log: lack("50")}},
		{name: "replid past end", ids: promoted, replid: r1, offset: 152,
			want: PsyncDecision{Log: lack("152"), Warning: tooFar}},
		{name: "old protocol continue", ids: promoted, replid: r1, offset: 140, notPsync2: true,
			want: PsyncDecision{Continue: true, Reply: "+CONTINUE\r\n", Log: accepted("11", "140")}, wantFrom: 140},
		{name: "replid2 at its limit replies new replid", ids: promoted, replid: r2, offset: 101,
			want: PsyncDecision{Continue: true, Reply: "+CONTINUE " + r1 + "\r\n", Log: accepted("50", "101")}, wantFrom: 101},
		{name: "replid2 below its limit", ids: promoted, replid: strings.ToUpper(r2), offset: 60,
			want: PsyncDecision{Continue: true, Reply: "+CONTINUE " + r1 + "\r\n", Log: accepted("91", "60")}, wantFrom: 60},
		{name: "replid2 past its limit", ids: promoted, replid: r2, offset: 102,
			want: PsyncDecision{Log: "Partial resynchronization not accepted: Requested offset for second ID was 102, but I can reply up to 101"}},
		{name: "replid2 before backlog", ids: promoted, replid: r2, offset: 40,
			want: PsyncDecision{Log: lack("40")}},
		{name: "no backlog", ids: promoted, noBacklog: true, replid: r1, offset: 151,
			want: PsyncDecision{Log: lack("151")}},
		{name: "cleared replid2 asked past -1", ids: fresh, replid: zeros, offset: 5,
			want: PsyncDecision{Log: "Partial resynchronization not accepted: Requested offset for second ID was 5, but I can reply up to -1"}},
		// As in Redis, a cleared replid2 passes the ID check at offset <= -1,
		// and the backlog range check then refuses it.
		{name: "cleared replid2 at -1", ids: fresh, replid: zeros, offset: -1,
			want: PsyncDecision{Log: lack("-1")}},
		{name: "own replid with offset -1", ids: fresh, replid: r1, offset: -1,
			want: PsyncDecision{Log: lack("-1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b *Backlog
			if !tt.noBacklog {
				b = newBacklog()
			}
			got := TryPartialResync(tt.ids, b, PsyncRequest{Replid: tt.replid, Offset: tt.offset, Replica: replica, PSYNC2: !tt.notPsync2})
			if tt.want.Continue {
				tt.want.Backlog = stream[tt.wantFrom-1:]
			}
			if got.Continue != tt.want.Continue || got.Reply != tt.want.Reply || got.Log != tt.want.Log ||
				got.Warning != tt.want.Warning || string(got.Backlog) != string(tt.want.Backlog) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestPromotionScenario walks a PSYNC2 failover: a replica is promoted, its
// former sibling continues on the old replid and adopts the new one.
func TestPromotionScenario(t *testing.T) {
	oldMaster := NewIDs()
	promoted := IDs{Replid: oldMaster.Replid, Replid2: oldMaster.Replid2, SecondReplidOffset: -1}
	b := NewBacklog(DefaultBacklogSize, 0)
	b.Append([]byte("*1\r\n$4\r\nPING\r\n")) // 14 bytes received from the old master
	promoted.Shift(b.MasterReplOffset())
	b.Append([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"))

	// The sibling had all 14 bytes: it asks for offset 15 on the old replid.
	d := TryPartialResync(promoted, b, PsyncRequest{Replid: oldMaster.Replid, Offset: 15, Replica: "r", PSYNC2: true})
	if !d.Continue || d.Reply != "+CONTINUE "+promoted.Replid+"\r\n" || string(d.Backlog) != "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n" {
		t.Fatalf("sibling PSYNC: %+v", d)
	}
	// A replica that got bytes the promoted one never had cannot continue.
	d = TryPartialResync(promoted, b, PsyncRequest{Replid: oldMaster.Replid, Offset: 16, Replica: "r", PSYNC2: true})
	if d.Continue || !strings.Contains(d.Log, "Requested offset for second ID was 16, but I can reply up to 15") {
		t.Fatalf("ahead sibling PSYNC: %+v", d)
	}
}

func TestEqualFoldASCII(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"abc", "ABC", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"", "", true},
		{"k", "\u212a", false}, // Kelvin sign folds to k in Unicode, not in strcasecmp
		{"[", "{", false},
	}
	for _, tt := range tests {
		if got := equalFoldASCII(tt.a, tt.b); got != tt.want {
			t.Errorf("equalFoldASCII(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
