package link

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Arguments read from the arena stay intact until ResetArena, across chunk
// boundaries, big arguments and long argvs; after a reset the memory is
// reused rather than allocated again.
func TestArenaBatches(t *testing.T) {
	var stream bytes.Buffer
	var want [][]string
	for i := 0; i < 5000; i++ {
		args := []string{"SET", fmt.Sprintf("key:%d", i), strings.Repeat("v", i%100)}
		switch i % 997 {
		case 1:
			args[2] = strings.Repeat("big", 20000) // past arenaChunk/4
		case 2:
			for j := 0; j < 300; j++ { // past argvChunk/4
				args = append(args, fmt.Sprint(j))
			}
		}
		fmt.Fprintf(&stream, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&stream, "$%d\r\n%s\r\n", len(a), a)
		}
		want = append(want, args)
	}
	l := &Link{r: bufio.NewReader(&stream), arena: arena{active: true}}
	var batch [][][]byte
	check := func(from int) {
		for k, argv := range batch {
			got := make([]string, len(argv))
			for j, a := range argv {
				got[j] = string(a)
			}
			if fmt.Sprint(got) != fmt.Sprint(want[from+k]) {
				t.Fatalf("command %d: got %.80q, want %.80q", from+k, got, want[from+k])
			}
		}
	}
	read := 0
	for read < len(want) {
		l.ResetArena()
		batch = batch[:0]
		from := read
		for n := 0; n < 700 && read < len(want); n++ { // several chunks per batch
			argv, _, err := l.ReadCommand()
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, argv)
			read++
		}
		check(from) // the whole batch is still intact at its end
	}
	allocs := testing.AllocsPerRun(10, func() {
		l.ResetArena()
		for i := 0; i < 100; i++ {
			l.arena.alloc(100)
			l.arena.argv(3)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch after warm-up", allocs)
	}
}
