package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// PeakRSSMiB returns this process's peak resident set (VmHWM), MiB.
func PeakRSSMiB() float64 { return statusMiB("VmHWM:") }

// RSSMiB returns this process's resident set now (VmRSS), MiB.
func RSSMiB() float64 { return statusMiB("VmRSS:") }

// statusMiB reads a kB field of /proc/self/status, in MiB.
func statusMiB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// CPU returns the user + system CPU time process pid has used so far, from
// /proc/pid/stat (in clock ticks of 10 ms).
func CPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime from a /proc/pid/stat line: the 14th
// and 15th fields, counted after the command name, which may hold spaces
// and parentheses (hence the last ')').
func parseStatCPU(b []byte) time.Duration {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || ut < 0 || st < 0 {
		return 0
	}
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	return time.Duration(ut+st) * tick
}
