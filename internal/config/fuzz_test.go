// fuzz_test.go fuzzes the config parser: any text must yield a config or
// an error, never a panic, and a successful parse must print values that
// parse back to the same values.
package config

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"port 6379\nsave 900 1\nsave \"\"\n",
		"bind 127.0.0.1 -::1\nmaxmemory 1gb\nmaxmemory-clients 10%\n",
		"client-output-buffer-limit normal 0 0 0 replica 1mb 2mb 3\n",
		"notify-keyspace-events KEA\noom-score-adj-values \"1 2 3\"\n",
		"rename-command get \"\"\nuser default on nopass\ninclude x\n",
		"latency-tracking-info-percentiles 50 99.9\nshutdown-on-sigint save now\n",
		"replicaof 1.2.3.4 6379\nunixsocketperm 0777\nhz 1000\n",
		"requirepass \"a\\x00b\"\n'quoted' 'x\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			if c != nil {
				t.Fatal("config and error both returned")
			}
			return
		}
		if c == nil {
			t.Fatal("neither config nor error")
		}
		// Every value CONFIG GET prints must be accepted back by CONFIG SET
		// (except directives CONFIG SET refuses, and save, whose change
		// counts Redis truncates to a C int and may print negative).
		d := Default()
		d.Chdir = func(string) error { return nil }
		for _, dir := range directives {
			if dir.has(fImmutable|fProtected) || dir.name == "replicaof" || dir.name == "save" {
				continue
			}
			v := dir.get(c)
			if err := d.SetMany([][2]string{{dir.name, v}}, true); err != nil {
				t.Fatalf("%s %q printed but not accepted: %v", dir.name, v, err)
			}
			if got := dir.get(d); got != v {
				t.Fatalf("%s: set %q, got back %q", dir.name, v, got)
			}
		}
		_ = c.RewriteContent(text)
	})
}
