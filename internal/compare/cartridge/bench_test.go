package cartridge

import "testing"

func benchmarkFadulPair(b *testing.B, cfg Config) {
	ps := loadFadul(b, cfg, "1-1", "1-2")
	c, err := NewComparer(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Compare(ps[0], ps[1]); err != nil { // warm the per-scan caches
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Compare(ps[0], ps[1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareFadulPairExhaustive: Fadul 1-1 vs 1-2, both directions,
// 64 cells × 21 rotations, cmcR settings.
func BenchmarkCompareFadulPairExhaustive(b *testing.B) { benchmarkFadulPair(b, CmcRConfig()) }

// BenchmarkCompareFadulPairFast: the same pair in the default fast mode.
func BenchmarkCompareFadulPairFast(b *testing.B) { benchmarkFadulPair(b, DefaultConfig()) }
