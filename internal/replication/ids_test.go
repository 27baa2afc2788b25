package replication

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewID()
		if !hexID.MatchString(id) {
			t.Fatalf("NewID() = %q, want 40 lowercase hex chars", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestNewIDFrom(t *testing.T) {
	raw := make([]byte, IDLen)
	for i := range raw {
		raw[i] = byte(i*17 + 0xf0) // high nibble must not matter
	}
	got := NewIDFrom(bytes.NewReader(raw))
	want := ""
	for i := range raw {
		want += string("0123456789abcdef"[raw[i]&0x0f])
	}
	if got != want {
		t.Fatalf("NewIDFrom = %q, want %q", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewIDFrom on a short reader did not panic")
		}
	}()
	NewIDFrom(bytes.NewReader(raw[:10]))
}

func TestIDsLifecycle(t *testing.T) {
	ids := NewIDs()
	if !hexID.MatchString(ids.Replid) || ids.Replid2 != strings.Repeat("0", 40) || ids.SecondReplidOffset != -1 {
		t.Fatalf("NewIDs() = %+v", ids)
	}

	old := ids.Replid
	line := ids.Shift(1234)
	if ids.Replid2 != old || ids.SecondReplidOffset != 1235 || ids.Replid == old || !hexID.MatchString(ids.Replid) {
		t.Fatalf("after Shift(1234) from %s: %+v", old, ids)
	}
	wantLine := "Setting secondary replication ID to " + old + ", valid up to offset: 1235. New replication ID is " + ids.Replid
	if line != wantLine {
		t.Errorf("Shift log = %q, want %q", line, wantLine)
	}

	cur := ids.Replid
	ids.ClearID2()
	if ids.Replid != cur || ids.Replid2 != strings.Repeat("0", 40) || ids.SecondReplidOffset != -1 {
		t.Fatalf("after ClearID2: %+v", ids)
	}

	ids.Change()
	if ids.Replid == cur || !hexID.MatchString(ids.Replid) {
		t.Fatalf("Change kept %q", ids.Replid)
	}
}
