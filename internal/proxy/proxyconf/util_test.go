// A printer for comparing pools in tests.
package proxyconf

import "fmt"

func fmtAny(v any) string { return fmt.Sprintf("%+v", v) }
