package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestFunctionDumpRestoreAcrossServers moves function libraries both ways
// between a real redis-server and redoubt with FUNCTION DUMP / RESTORE:
// each side loads the other's payload (compressed and not) and runs the
// functions.
func TestFunctionDumpRestoreAcrossServers(t *testing.T) {
	ctx := context.Background()
	real := redis.NewClient(&redis.Options{Addr: testutil.StartRedis(t).Addr})
	ours := redis.NewClient(&redis.Options{Addr: testutil.StartRedoubt(t).Addr})
	defer real.Close()
	defer ours.Close()
	for _, dir := range []struct {
		name     string
		from, to *redis.Client
	}{{"redis→redoubt", real, ours}, {"redoubt→redis", ours, real}} {
		t.Run(dir.name, func(t *testing.T) {
			for _, c := range []*redis.Client{dir.from, dir.to} {
				c.FunctionFlush(ctx)
			}
			for i := 0; i < 5; i++ {
				pad := strings.Repeat(fmt.Sprintf("-- filler line %d compresses well\n", i), i*10)
				lib := fmt.Sprintf("#!lua name=lib%d\n%sredis.register_function{function_name='f%d', callback=function(keys, args) return 'lib%d:' .. (args[1] or '') end, flags={'no-writes'}, description='d%d'}", i, pad, i, i, i)
				if err := dir.from.FunctionLoad(ctx, lib).Err(); err != nil {
					t.Fatal(err)
				}
			}
			payload, err := dir.from.FunctionDump(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := dir.to.FunctionRestore(ctx, payload).Err(); err != nil {
				t.Fatalf("restore: %v", err)
			}
			for i := 0; i < 5; i++ {
				got, err := dir.to.Do(ctx, "FCALL_RO", fmt.Sprintf("f%d", i), 0, "x").Text()
				if want := fmt.Sprintf("lib%d:x", i); err != nil || got != want {
					t.Errorf("f%d: %q, %v; want %q", i, got, err, want)
				}
			}
			libs, err := dir.to.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result()
			if err != nil || len(libs) != 5 {
				t.Fatalf("FUNCTION LIST: %d libraries, %v", len(libs), err)
			}
			src, _ := dir.from.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result()
			code := map[string]string{}
			for _, l := range src {
				code[l.Name] = l.Code
			}
			for _, l := range libs {
				if l.Code != code[l.Name] || len(l.Functions) != 1 || l.Functions[0].Description != fmt.Sprintf("d%s", l.Name[3:]) {
					t.Errorf("library %s differs after restore: %+v", l.Name, l)
				}
			}
		})
	}
}
