package rdb_test

import (
	"fmt"

	"github.com/redoubt/redoubt/internal/rdb"
)

// A DUMP payload of a string value: type byte, encoded string, footer.
func ExampleAppendDumpFooter() {
	p := rdb.AppendDumpFooter(rdb.AppendString([]byte{rdb.TypeString}, []byte("hello"), true))
	fmt.Printf("%q\n", p)

	body, ver, err := rdb.VerifyDump(p)
	r := rdb.NewReader(body)
	typ, _ := r.ReadType()
	s, _ := r.ReadString()
	fmt.Println(ver, err, typ, string(s))
	// Output:
	// "\x00\x05hello\n\x00cr\xdfve4 \n"
	// 10 <nil> 0 hello
}

// FUNCTION DUMP writes each library as OpFunction2 and its code string.
func ExampleReader_ReadType() {
	var p []byte
	for _, code := range []string{"#!lua name=a\nreturn 1", "#!lua name=b\nreturn 2"} {
		p = append(p, rdb.OpFunction2)
		p = rdb.AppendString(p, []byte(code), true)
	}
	p = rdb.AppendDumpFooter(p)

	body, _, _ := rdb.VerifyDump(p)
	r := rdb.NewReader(body)
	for r.Remaining() > 0 {
		op, _ := r.ReadType()
		code, err := r.ReadString()
		fmt.Printf("%d %q %v\n", op, code, err)
	}
	// Output:
	// 245 "#!lua name=a\nreturn 1" <nil>
	// 245 "#!lua name=b\nreturn 2" <nil>
}
