package cartridge

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

// TestRunBench writes a small synthetic set as X3P files with a truth CSV
// and runs the benchmark on it with two workers.
func TestRunBench(t *testing.T) {
	dir := t.TempDir()
	scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: 2, Shots: 2, Seed: 9, SizePX: 360, NoiseSNR: 3})
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("file,source_id\n")
	for _, s := range scans {
		name := s.Name + ".x3p"
		if err := x3p.WriteFile(filepath.Join(dir, name), x3p.New(s.Surface)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&csv, "%s,%s\n", name, s.Truth.SourceID)
	}
	truth := filepath.Join(dir, "truth.csv")
	if err := os.WriteFile(truth, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	pcfg, _ := PreprocessPreset("default")
	steps := 0
	rep, err := RunBench(context.Background(), BenchConfig{
		DataDir: dir, TruthCSV: truth, Workers: 2, Preprocessed: true,
		Preprocess: pcfg, Compare: DefaultConfig(), Step: func() { steps++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pairs != 6 || rep.SameSourcePairs != 2 || steps != 4+6 {
		t.Fatalf("pairs %d (same %d), %d progress steps; want 6 (2) and 10", rep.Pairs, rep.SameSourcePairs, steps)
	}
	if rep.AUC != 1 || rep.Top1 != 1 || rep.CMCSameMin <= rep.CMCDiffMax {
		t.Errorf("AUC %g, top-1 %g, High-CMC same ≥ %d vs different ≤ %d on an easy synthetic set",
			rep.AUC, rep.Top1, rep.CMCSameMin, rep.CMCDiffMax)
	}
	if rep.PairsPerSecond <= 0 || rep.MedianPairMS <= 0 || rep.Workers != 2 || rep.GoVersion == "" {
		t.Errorf("speed/machine fields missing: %+v", rep)
	}
}

// TestCllr checks the log-likelihood-ratio cost against values worked by
// hand: an uninformative LR of 1 costs 1 bit; LR 10 for every same-source
// pair and 1/10 for every different-source pair costs log2(1.1); the cost
// grows when the LRs point the wrong way; huge LRs do not overflow.
func TestCllr(t *testing.T) {
	for _, tc := range []struct {
		name       string
		same, diff []float64
		want       float64
	}{
		{"uninformative", []float64{0, 0}, []float64{0}, 1},
		{"right by 10", []float64{1}, []float64{-1, -1}, math.Log2(1.1)},
		{"wrong by 10", []float64{-1}, []float64{1}, math.Log2(11)},
		{"huge and right", []float64{400}, []float64{-400}, 0},
		{"huge and wrong", []float64{-400}, []float64{400}, 400 / math.Log10(2)},
	} {
		if got := Cllr(tc.same, tc.diff); math.Abs(got-tc.want) > 1e-9*math.Max(1, tc.want) {
			t.Errorf("%s: Cllr %g, want %g", tc.name, got, tc.want)
		}
	}
	if !math.IsNaN(Cllr(nil, []float64{0})) {
		t.Error("Cllr without same-source pairs is not NaN")
	}
}
