package server

import (
	"strings"

	"github.com/redoubt/redoubt/internal/rdb"
)

// FUNCTION DUMP and RESTORE: the payload is the function libraries as an
// RDB file holds them (one FUNCTION2 opcode and code string each), then the
// RDB version and a CRC64, as Redis's DUMP payloads.

func init() {
	register("function|dump", functionDumpCommand)
	register("function|restore", functionRestoreCommand)
}

func functionDumpCommand(c *Client, args [][]byte) {
	var p []byte
	for _, l := range c.srv.functionEngine().Libraries() {
		p = append(p, rdb.OpFunction2)
		p = rdb.AppendString(p, []byte(l.Code), c.srv.cfg.RDBCompression)
	}
	c.w.Bulk(rdb.AppendDumpFooter(p))
}

func functionRestoreCommand(c *Client, args [][]byte) {
	if len(args) > 4 {
		replySubcommandSyntaxError(c, args)
		return
	}
	policy := "append"
	if len(args) == 4 {
		policy = strings.ToLower(string(args[3]))
		if policy != "append" && policy != "replace" && policy != "flush" {
			c.addError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	body, _, err := rdb.VerifyDump(args[2])
	if err != nil {
		c.addError("ERR DUMP payload version or checksum are wrong")
		return
	}
	codes, msg := functionCodes(body)
	if msg != "" {
		c.addError("ERR " + msg)
		return
	}
	if err := c.srv.functionEngine().RestoreLibraries(codes, policy); err != nil {
		c.addError(err.Error())
		return
	}
	c.srv.markDirty(1)
	c.w.OK()
}

// functionCodes reads the library codes of a FUNCTION DUMP body, with
// Redis's complaint when it holds anything else.
func functionCodes(body []byte) ([]string, string) {
	r := rdb.NewReader(body)
	var codes []string
	for r.Remaining() > 0 {
		t, err := r.ReadType()
		if err != nil {
			return nil, "can not read data type"
		}
		if t != rdb.OpFunction2 && t != rdb.OpFunction {
			return nil, "given type is not a function"
		}
		code, msg := readFunctionRecord(r, t)
		if msg != "" {
			return nil, msg
		}
		codes = append(codes, code)
	}
	return codes, ""
}

// readFunctionRecord reads one function library record of type t (after
// its opcode), as in an RDB file or a FUNCTION DUMP payload.
func readFunctionRecord(r *rdb.Reader, t byte) (string, string) {
	if t == rdb.OpFunction {
		// the 7.0 release candidates' layout: name, engine, optional
		// description, then the code without its first line
		return preGAFunction(r)
	}
	code, err := r.ReadString()
	if err != nil {
		return "", "Failed loading library payload"
	}
	return string(code), ""
}

func preGAFunction(r *rdb.Reader) (string, string) {
	name, err := r.ReadString()
	if err != nil {
		return "", "Failed loading library name"
	}
	engine, err := r.ReadString()
	if err != nil {
		return "", "Failed loading engine name"
	}
	hasDesc, _, err := r.ReadLen()
	if err != nil {
		return "", "Failed loading library description indicator"
	}
	if hasDesc != 0 {
		if _, err := r.ReadString(); err != nil {
			return "", "Failed loading library description"
		}
	}
	blob, err := r.ReadString()
	if err != nil {
		return "", "Failed loading library blob"
	}
	return "#!" + string(engine) + " name=" + string(name) + "\n" + string(blob), ""
}
