package cartridge

import (
	"testing"

	"github.com/tracemark/tracemark/internal/procstat"
)

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
	cpu0 := procstat.SelfCPU()
	for b.Loop() {
		if _, err := c.Compare(ps[0], ps[1]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((procstat.SelfCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkCompareFadulPairExhaustive: Fadul 1-1 vs 1-2, both directions,
// 64 cells × 21 rotations, cmcR settings.
func BenchmarkCompareFadulPairExhaustive(b *testing.B) { benchmarkFadulPair(b, CmcRConfig()) }

// BenchmarkCompareFadulPairFast: the same pair in the default fast mode.
func BenchmarkCompareFadulPairFast(b *testing.B) { benchmarkFadulPair(b, DefaultConfig()) }
