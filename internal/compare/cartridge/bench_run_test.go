package cartridge

import (
	"context"
	"fmt"
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
