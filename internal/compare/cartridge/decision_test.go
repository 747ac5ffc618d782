package cartridge

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// cmcR's per-cell results on 21 Fadul pairs (testdata/features_sample.csv.gz,
// from ../shared/reference/cmcr) and its counts (sample_counts.csv).
type cmcrPair struct{ ref, target string }

func loadCmcRFeatures(t *testing.T) map[cmcrPair][2][]CellResult {
	t.Helper()
	f, err := os.Open("testdata/features_sample.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	if _, err := r.Read(); err != nil { // header
		t.Fatal(err)
	}
	out := map[cmcrPair][2][]CellResult{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var c CellResult
		if _, err := fmt.Sscanf(rec[0], "%d, %d", &c.Row, &c.Col); err != nil {
			t.Fatalf("cellIndex %q: %v", rec[0], err)
		}
		c.Row--
		c.Col--
		vals := make([]float64, 5)
		for i := range vals {
			if vals[i], err = strconv.ParseFloat(rec[1+i], 64); err != nil {
				t.Fatalf("field %d %q: %v", 1+i, rec[1+i], err)
			}
		}
		c.DX, c.DY, c.FFTCCF, c.Corr, c.Theta = vals[0], vals[1], vals[2], vals[3], vals[4]
		k := cmcrPair{rec[7], rec[8]}
		e := out[k]
		if rec[6] == "reference_vs_target" {
			e[0] = append(e[0], c)
		} else {
			e[1] = append(e[1], c)
		}
		out[k] = e
	}
	return out
}

type cmcrCounts struct {
	same                               bool
	origFwd, origBwd, origMin, highCMC int
	cellsFwd, cellsBwd                 int
}

func loadCmcRCounts(t *testing.T) map[cmcrPair]cmcrCounts {
	t.Helper()
	f, err := os.Open("testdata/sample_counts.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	atoi := func(rec []string, name string) int {
		v, err := strconv.Atoi(rec[col[name]])
		if err != nil {
			t.Fatalf("%s=%q: %v", name, rec[col[name]], err)
		}
		return v
	}
	out := map[cmcrPair]cmcrCounts{}
	for _, rec := range recs[1:] {
		out[cmcrPair{rec[col["reference"]], rec[col["target"]]}] = cmcrCounts{
			same:     strings.EqualFold(rec[col["same_source"]], "TRUE"),
			origFwd:  atoi(rec, "original_rToT"),
			origBwd:  atoi(rec, "original_tToR"),
			origMin:  atoi(rec, "original_min"),
			highCMC:  atoi(rec, "highCMC"),
			cellsFwd: atoi(rec, "cells_rToT"),
			cellsBwd: atoi(rec, "cells_tToR"),
		}
	}
	return out
}

// cmcR's published settings for the Fadul study (parameters.csv).
var cmcrThresholds = Thresholds{TransPx: 20, ThetaDeg: 6, Corr: 0.5, Tau: 1}

// TestDecisionMatchesCmcR feeds cmcR's own per-cell results into our
// decision rules and requires cmcR's counts exactly.
func TestDecisionMatchesCmcR(t *testing.T) {
	feats := loadCmcRFeatures(t)
	counts := loadCmcRCounts(t)
	if len(counts) != 21 || len(feats) != 21 {
		t.Fatalf("read %d count rows and %d feature pairs, want 21 each", len(counts), len(feats))
	}
	for pair, want := range counts {
		rows, ok := feats[pair]
		if !ok {
			t.Errorf("%v: no features", pair)
			continue
		}
		d := Decide(rows[0], rows[1], cmcrThresholds)
		got := cmcrCounts{
			same:    want.same,
			origFwd: d.Forward.Count, origBwd: d.Backward.Count, origMin: d.OriginalMin, highCMC: d.HighCMC,
			cellsFwd: distinctCells(rows[0]), cellsBwd: distinctCells(rows[1]),
		}
		if got != want {
			t.Errorf("%s vs %s: got %+v, cmcR %+v", pair.ref, pair.target, got, want)
		}
	}
}

func distinctCells(rows []CellResult) int {
	seen := map[int]bool{}
	for _, r := range rows {
		seen[r.cellKey()] = true
	}
	return len(seen)
}

func TestOriginalCMCAnalytic(t *testing.T) {
	th := Thresholds{TransPx: 2, ThetaDeg: 3, Corr: 0.5, Tau: 1}
	rows := []CellResult{
		// cell 0 votes θ=3 (corr .9), congruent
		{Row: 0, Col: 0, Theta: 0, DX: 50, DY: 50, Corr: 0.4},
		{Row: 0, Col: 0, Theta: 3, DX: 10, DY: 5, Corr: 0.9},
		// cell 1 votes θ=3, congruent
		{Row: 0, Col: 1, Theta: 3, DX: 11, DY: 6, Corr: 0.7},
		// cell 2 votes θ=3 but far translation
		{Row: 0, Col: 2, Theta: 3, DX: 40, DY: 5, Corr: 0.8},
		// cell 3 congruent but weak
		{Row: 1, Col: 0, Theta: 3, DX: 10, DY: 5, Corr: 0.3},
		// cell 4 NaN never votes
		{Row: 1, Col: 1, Theta: 3, DX: 10, DY: 5, Corr: nan()},
	}
	r := OriginalCMC(rows, th)
	if r.Count != 2 || r.MedianTheta != 3 || r.MedianDX != 10.5 {
		t.Fatalf("got count %d median θ %g dx %g, want 2, 3, 10.5", r.Count, r.MedianTheta, r.MedianDX)
	}
	if h := HighCMC(rows, th); !h.Passed || len(h.CMCs) != 2 {
		t.Fatalf("High-CMC: passed %v with %d CMCs, want true with 2", h.Passed, len(h.CMCs))
	}
}
