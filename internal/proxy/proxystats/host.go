// The stats "source" is the machine's hostname, as nutcracker's gethostname.
package proxystats

import "os"

var hostname = os.Hostname
