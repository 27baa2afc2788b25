// Logging at nutcracker's verbosity levels (-v 0..11): messages at or
// below the configured level go to the log output.
package proxy

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// nutcracker's levels
const (
	LogEmerg  = 0
	LogAlert  = 1
	LogCrit   = 2
	LogError  = 3
	LogWarn   = 4
	LogNotice = 5
	LogInfo   = 6
	LogDebug  = 7
)

var (
	logLevel atomic.Int32
	logMu    sync.Mutex
	logOut   io.Writer = os.Stderr
)

func init() { logLevel.Store(LogNotice) }

// SetLog sets where log lines go and the verbosity.
func SetLog(w io.Writer, level int) {
	logMu.Lock()
	if w != nil {
		logOut = w
	}
	logMu.Unlock()
	logLevel.Store(int32(level))
}

func logf(level int, format string, args ...any) {
	if int32(level) > logLevel.Load() {
		return
	}
	line := fmt.Sprintf("[%s] "+format+"\n", append([]any{time.Now().Format("2006-01-02 15:04:05.000")}, args...)...)
	logMu.Lock()
	io.WriteString(logOut, line)
	logMu.Unlock()
}
