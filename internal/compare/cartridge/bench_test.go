package cartridge

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time: on this shared
// machine wall time mostly measures the other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchmarkFadulPair(b *testing.B, cfg Config) {
	ps := loadFadul(b, "default", cfg, "1-1", "1-2")
	c, err := NewComparer(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Compare(ps[0], ps[1]); err != nil { // warm the per-scan caches
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := c.Compare(ps[0], ps[1]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkCompareFadulPairExhaustive: Fadul 1-1 vs 1-2, both directions,
// 64 cells × 21 rotations, cmcR settings.
func BenchmarkCompareFadulPairExhaustive(b *testing.B) { benchmarkFadulPair(b, CmcRConfig()) }

// BenchmarkCompareFadulPairFast: the same pair in the default fast mode.
func BenchmarkCompareFadulPairFast(b *testing.B) { benchmarkFadulPair(b, DefaultConfig()) }
