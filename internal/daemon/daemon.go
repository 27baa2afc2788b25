// Package daemon implements "daemonize yes" (redis-server) and -d
// (nutcracker). Go cannot fork a running runtime, so the process
// re-executes itself detached in a new session with REDOUBT_DAEMONIZED
// set, and the foreground process exits once the child has started, as a
// fork-and-exit does.
package daemon

import (
	"os"
	"os/exec"
	"syscall"
)

const env = "REDOUBT_DAEMONIZED"

// Detached reports whether this process is the detached child.
func Detached() bool { return os.Getenv(env) == "1" }

// Start starts the detached copy of this process and returns the exit
// code for the foreground process.
func Start() int {
	exe, err := os.Executable()
	if err != nil {
		return 1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0] // keep the link name (redis-server, nutcracker) for role dispatch
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 1
	}
	cmd.Process.Release()
	return 0
}
