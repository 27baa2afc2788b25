// Wires the proxy core into the proxy role.
package main

import "github.com/redoubt/redoubt/internal/proxy"

func init() { runProxy = proxy.Run }
