package cartridge

import (
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/procstat"
	"github.com/tracemark/tracemark/internal/realdata"
	"github.com/tracemark/tracemark/internal/x3p"
)

// loadFadul reads processed Fadul scans ("1-1", "F", ...) with the
// preprocessing preset and prepares them.
func loadFadul(t testing.TB, preset string, cfg Config, names ...string) []*Prepared {
	t.Helper()
	dir := realdata.Dir(t, "fadul")
	pcfg, err := PreprocessPreset(preset)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.Processed = true
	var out []*Prepared
	for _, n := range names {
		p, err := LoadScan(filepath.Join(dir, "fadulProcessed", "Fadul "+n+".x3p"), pcfg)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := Prepare("Fadul "+n, p.Map, cfg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pr)
	}
	return out
}

// TestFadulCmcRParity: in cmcR-compatible settings Fadul 1-1 vs 1-2 gives
// the published original-rule counts 18 (1-1 as reference) and 17
// (reversed) within ±2 (Zemmels 2022), and a High-CMC count near cmcR's 25.
func TestFadulCmcRParity(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive comparison; skipped with -short")
	}
	cfg := CmcRConfig()
	ps := loadFadul(t, "cmcr", cfg, "1-1", "1-2")
	c, err := NewComparer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Compare(ps[0], ps[1])
	if err != nil {
		t.Fatal(err)
	}
	d := r.Decision
	if abs(d.Forward.Count-18) > 2 || abs(d.Backward.Count-17) > 2 {
		t.Errorf("original CMC %d/%d, published 18/17 ± 2", d.Forward.Count, d.Backward.Count)
	}
	if abs(d.HighCMC-25) > 3 {
		t.Errorf("High-CMC %d, cmcR 25 ± 3", d.HighCMC)
	}
	// Cells kept: cmcR keeps 31 and 33.
	if abs(r.Forward.Cells-31) > 2 || abs(r.Backward.Cells-33) > 2 {
		t.Errorf("cells %d/%d, cmcR 31/33 ± 2", r.Forward.Cells, r.Backward.Cells)
	}
}

// TestFadulRegression compares a handful of Fadul pairs (the 21 pairs
// of cmcR's sample, and Fadul 3-2 and A of slide 3, whose whole-scan
// registration once went astray) in the default fast mode: every
// same-slide pair has a higher score than every different-slide pair and
// more congruent cells, by at least the published gap (Song 2014: 7 against
// 2) under both decision rules.
func TestFadulRegression(t *testing.T) {
	names := []string{"1-1", "1-2", "F", "2-1", "2-2", "C", "10-1", "3-2", "A"}
	slide := map[string]int{"1-1": 1, "1-2": 1, "F": 1, "2-1": 2, "2-2": 2, "C": 2, "10-1": 10, "3-2": 3, "A": 3}
	const publishedGap = 7 - 2
	cfg := DefaultConfig()
	ps := loadFadul(t, "default", cfg, names...)
	c, err := NewComparer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	minSame, maxDiff := 1<<30, -1
	minSameOrig, maxDiffOrig := 1<<30, -1
	minSameScore, maxDiffScore := 1e300, -1e300
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			r, err := c.Compare(ps[i], ps[j])
			if err != nil {
				t.Fatal(err)
			}
			n, o := r.Decision.HighCMC, r.Decision.OriginalMin
			t.Logf("%s vs %s: original %d/%d, High-CMC %d, score %.2f", names[i], names[j],
				r.Decision.Forward.Count, r.Decision.Backward.Count, n, r.Score)
			if slide[names[i]] == slide[names[j]] {
				minSame = min(minSame, n)
				minSameOrig = min(minSameOrig, o)
				minSameScore = min(minSameScore, r.Score)
			} else {
				maxDiff = max(maxDiff, n)
				maxDiffOrig = max(maxDiffOrig, o)
				maxDiffScore = max(maxDiffScore, r.Score)
			}
		}
	}
	if minSame-maxDiff < publishedGap || minSameOrig-maxDiffOrig < publishedGap || minSameScore <= maxDiffScore {
		t.Errorf("same-slide High-CMC ≥ %d vs different-slide ≤ %d, original ≥ %d vs ≤ %d (want gaps ≥ %d); scores ≥ %.2f vs ≤ %.2f",
			minSame, maxDiff, minSameOrig, maxDiffOrig, publishedGap, minSameScore, maxDiffScore)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// BenchmarkPreprocess runs the raw preprocessing chain on Fadul 1-1
// treated as raw input (545×545 at 6.25 µm).
func BenchmarkPreprocess(b *testing.B) {
	dir := realdata.Dir(b, "fadul")
	f, err := x3p.ReadFile(filepath.Join(dir, "fadulProcessed", "Fadul 1-1.x3p"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, _ := PreprocessPreset("default")
	cpu0 := procstat.SelfCPU()
	for b.Loop() {
		if _, err := Preprocess(f.Surface, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((procstat.SelfCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}
