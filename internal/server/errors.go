// errors.go holds the error replies shared by many commands, worded as Redis 7.
package server

import "github.com/redoubt/redoubt/internal/keyspace"

const (
	errWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInt        = "ERR value is not an integer or out of range"
	errNotFloat      = "ERR value is not a valid float"
	errSyntax        = "ERR syntax error"
	errNoSuchKey     = "ERR no such key"
	errOverflow      = "ERR increment or decrement would overflow"
	errInvalidExpire = "ERR invalid expire time in '%s' command"

	// multi-key commands with numkeys / LIMIT / COUNT arguments
	errNumkeysPositive = "ERR numkeys should be greater than 0"
	errNumkeysTooMany  = "ERR Number of keys can't be greater than number of args"
	errLimitNegative   = "ERR LIMIT can't be negative"
	errCountPositive   = "ERR count should be greater than 0"
	errOutOfRange      = "ERR value is out of range"
	errMustBePositive  = "ERR value is out of range, must be positive"
)

// valueAs returns e's value as the type T a command works on, or replies
// WRONGTYPE.
func valueAs[T keyspace.Value](c *Client, e *keyspace.Entry) (T, bool) {
	v, ok := e.Value.(T)
	if !ok {
		c.addError(errWrongType)
	}
	return v, ok
}
