// daemon.go implements "daemonize yes". Go cannot fork a running runtime,
// so the process re-executes itself detached in a new session with
// REDOUBT_DAEMONIZED set, and the foreground process exits once the child
// has started, as redis-server's fork-and-exit does.
package main

import (
	"os"
	"os/exec"
	"syscall"
)

const daemonEnv = "REDOUBT_DAEMONIZED"

// daemonized reports whether this process is the detached child.
func daemonized() bool { return os.Getenv(daemonEnv) == "1" }

// daemonize starts the detached copy of this process and returns the exit
// code for the foreground process.
func daemonize() int {
	exe, err := os.Executable()
	if err != nil {
		return 1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0] // keep the link name (redis-server) for role dispatch
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 1
	}
	cmd.Process.Release()
	return 0
}
