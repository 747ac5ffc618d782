//go:build !unix

package procstat

import (
	"os"
	"time"
)

// SelfCPU returns this process's user + system CPU time: 0 here.
func SelfCPU() time.Duration { return 0 }

// ExitedPeakRSSMiB returns the peak resident set of a process that has
// ended: 0 here.
func ExitedPeakRSSMiB(*os.ProcessState) float64 { return 0 }
