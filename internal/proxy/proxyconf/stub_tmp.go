// Package proxyconf TEMPORARY stub (not committed) until pconf lands.
package proxyconf

import (
	"os"
	"time"
)

type Server struct {
	Addr   string
	Weight int
	Name   string
}

type Pool struct {
	Name, Listen                string
	ListenPerm                  os.FileMode
	Hash, HashTag, Distribution string
	Timeout                     time.Duration
	Backlog                     int
	Preconnect, Redis           bool
	RedisAuth                   string
	RedisDB                     int
	ServerConnections           int
	AutoEjectHosts              bool
	ServerRetryTimeout          time.Duration
	ServerFailureLimit          int
	Servers                     []Server
	Sentinels                   []string
	SentinelMasters             []Server
	ReadFromReplicas            bool
}
