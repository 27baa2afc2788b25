// cmd_string.go holds the string commands.
package server

import "github.com/redoubt/redoubt/internal/types"

func init() {
	register("get", cmdGet)
	register("set", cmdSet)
}

func cmdGet(c *Client, args [][]byte) {
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Null()
		return
	}
	v, ok := e.Value.(*types.String)
	if !ok {
		c.addError(errWrongType)
		return
	}
	c.w.Bulk(v.B)
}

func cmdSet(c *Client, args [][]byte) {
	c.db.Set(args[1], types.NewString(args[2]), false)
	c.w.OK()
}
