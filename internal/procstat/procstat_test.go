package procstat

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name string
		line string
		want time.Duration
	}{
		{"plain", "42 (tracemark) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 3 0 100 0 0", 2800 * time.Millisecond},
		{"spaces and parentheses in the name", "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 3 0", 100 * time.Millisecond},
		{"truncated", "42 (x) S 1 42", 0},
		{"no name", "garbage", 0},
		{"not numbers", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 a b 0 0", 0},
	} {
		if got := parseStatCPU([]byte(tc.line)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add([]byte("42 (tracemark) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d := parseStatCPU(b); d < 0 {
			t.Fatalf("negative CPU %v", d)
		}
	})
}

// TestThisProcess: on Linux every figure of this process is positive once
// it has worked a little, and a child's CPU and peak resident set are read.
func TestThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc and getrusage figures are measured on Linux")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 1.0; time.Now().Before(deadline); x *= 1.0000001 {
		_ = x
	}
	if c := SelfCPU(); c <= 0 {
		t.Errorf("SelfCPU %v", c)
	}
	if c := CPU(os.Getpid()); c <= 0 {
		t.Errorf("CPU(self) %v", c)
	}
	if p, r := PeakRSSMiB(), RSSMiB(); p <= 0 || r <= 0 {
		t.Errorf("peak RSS %.1f MiB, RSS %.1f MiB", p, r)
	}
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Skipf("no shell to start: %v", err)
	}
	if m := ExitedPeakRSSMiB(cmd.ProcessState); m <= 0 {
		t.Errorf("child's peak RSS %.2f MiB", m)
	}
}
