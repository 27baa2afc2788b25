// help.go holds the one writer every <CMD> HELP reply goes through, so all
// help replies share Redis's framing (header line, entries, closing HELP
// entry) while each command supplies only its own entries.
package server

import "strings"

// replyHelpLines writes a HELP reply: the header naming the command, the
// command's entries, and the HELP entry itself. The header and the HELP
// entry are the fixed framing clients see from Redis.
func replyHelpLines(c *Client, args [][]byte, lines []string) {
	c.w.ArrayLen(len(lines) + 3)
	c.w.Simple(strings.ToUpper(string(args[0])) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.Simple(l)
	}
	c.w.Simple("HELP")
	c.w.Simple("    Prints this help.")
}
