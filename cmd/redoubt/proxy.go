// The proxy role: twemproxy's replacement, as "redoubt proxy" or through a
// link named nutcracker. The command line, -t, -h, -V and -D are handled
// here by proxycli; running the proxy is the core's, reached through
// runProxy, which the proxy core sets when it is merged.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/redoubt/redoubt/internal/proxy/proxycli"
)

// runProxy starts the proxy with parsed options and returns the exit code.
// Nil until the proxy core is wired in (e.g. runProxy = proxy.Run).
var runProxy func(proxycli.Options) int

func runProxyRole(prog string, args []string) int {
	proxycli.RedoubtVersion = version
	opts, code, run := proxycli.Main(prog, args, os.Stderr)
	if !run {
		return code
	}
	if addr := os.Getenv("REDOUBT_PPROF"); addr != "" {
		// opt-in profiling endpoint, as for the server role
		go func() {
			if err := http.ListenAndServe(addr, nil); err != nil {
				fmt.Fprintf(os.Stderr, "%s: pprof endpoint: %v\n", prog, err)
			}
		}()
	}
	if runProxy == nil {
		fmt.Fprintf(os.Stderr, "%s: proxy not built into this redoubt binary\n", prog)
		return 1
	}
	return runProxy(opts)
}
