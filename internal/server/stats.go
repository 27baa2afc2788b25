// stats.go holds the counters INFO stats reports and the instantaneous
// rates sampled by the cron, as Redis's trackInstantaneousMetric.
package server

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const errorStatsMax = 128

type stats struct {
	// syncFull, syncPartialOK and syncPartialErr count the PSYNCs served
	// by a full sync, a continue, and a refused continue (INFO stats)
	syncFull, syncPartialOK, syncPartialErr int64
	commands                                int64
	totalConns                              int64
	rejectedConns                           int64
	netInput                                atomic.Int64
	netOutput                               atomic.Int64
	errorReplies                            int64
	errors                                  map[string]int64
	expiredKeys                             int64
	evictedKeys                             int64

	opsSamples, inSamples, outSamples [16]int64
	sampleIdx                         int
	lastSampleTime                    time.Time
	lastCommands, lastIn, lastOut     int64
}

// countError records an error reply under its code (the first word).
func (st *stats) countError(msg string) {
	st.errorReplies++
	code, _, _ := strings.Cut(msg, " ")
	if st.errors == nil {
		st.errors = map[string]int64{}
	}
	if _, ok := st.errors[code]; !ok && len(st.errors) >= errorStatsMax {
		return
	}
	st.errors[code]++
}

// sample records per-second rates for instantaneous_* fields.
func (st *stats) sample() {
	now := time.Now()
	if st.lastSampleTime.IsZero() {
		st.lastSampleTime = now
		st.lastCommands, st.lastIn, st.lastOut = st.commands, st.netInput.Load(), st.netOutput.Load()
		return
	}
	dt := now.Sub(st.lastSampleTime).Milliseconds()
	if dt < 100 {
		return
	}
	in, out := st.netInput.Load(), st.netOutput.Load()
	i := st.sampleIdx % len(st.opsSamples)
	st.opsSamples[i] = (st.commands - st.lastCommands) * 1000 / dt
	st.inSamples[i] = (in - st.lastIn) * 1000 / dt
	st.outSamples[i] = (out - st.lastOut) * 1000 / dt
	st.sampleIdx++
	st.lastSampleTime = now
	st.lastCommands, st.lastIn, st.lastOut = st.commands, in, out
}

func avgSamples(a *[16]int64) int64 {
	var sum int64
	for _, v := range a {
		sum += v
	}
	return sum / int64(len(a))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
