package cartridge

import (
	"math"
	"testing"
)

// fitSample is a small overlapping two-class sample: same-source pairs
// have more congruent cells on average, some different-source pairs a few.
func fitSample() ([]Features, []bool) {
	var fs []Features
	var same []bool
	for i := range 40 {
		n := float64(i % 8) // 0..7 congruent cells
		fs = append(fs, Features{HighCMC: n, OriginalMin: n / 2, HighShare: n / 30, GlobalCorr: 0.1 + 0.01*float64(i%5)})
		same = append(same, false)
	}
	for i := range 12 {
		n := float64(3 + 2*i) // 3..25
		fs = append(fs, Features{HighCMC: n, OriginalMin: n * 0.7, HighShare: n / 30, CMCCorr: 0.6, GlobalCorr: 0.2 + 0.02*float64(i%4), ThetaAgree: 1})
		same = append(same, true)
	}
	return fs, same
}

// TestFitIsPriorFree: the fit balances the classes, so repeating every
// different-source pair three times (a training mix of 120:12 instead of
// 40:12) leaves the likelihood ratios unchanged, and the prior log-odds it
// records is 0.
func TestFitIsPriorFree(t *testing.T) {
	fs, same := fitSample()
	a, err := FitCalibration(fs, same, 1, "a", "test")
	if err != nil {
		t.Fatal(err)
	}
	var fs3 []Features
	var same3 []bool
	for i, f := range fs {
		k := 1
		if !same[i] {
			k = 3
		}
		for range k {
			fs3 = append(fs3, f)
			same3 = append(same3, same[i])
		}
	}
	b, err := FitCalibration(fs3, same3, 1, "b", "test")
	if err != nil {
		t.Fatal(err)
	}
	if a.PriorLogOdds != 0 || b.PriorLogOdds != 0 {
		t.Errorf("prior log-odds %g and %g, want 0 for a class-balanced fit", a.PriorLogOdds, b.PriorLogOdds)
	}
	for _, f := range fs {
		_, la := a.Score(f)
		_, lb := b.Score(f)
		if math.Abs(la-lb) > 1e-6 {
			t.Fatalf("log10 LR %g with a 40:12 mix, %g with 120:12: the training prior leaks into the LR", la, lb)
		}
	}
}

// TestShippedCalibrationDirections: with the shipped calibration a pair
// without any agreement has LR < 1 and one with many congruent cells LR > 1.
func TestShippedCalibrationDirections(t *testing.T) {
	c, err := DefaultCalibration()
	if err != nil {
		t.Fatal(err)
	}
	if _, l := c.Score(Features{GlobalCorr: 0.15, ThetaAgree: 1}); !(l < 0) {
		t.Errorf("no congruent cell: log10 LR %g, want < 0", l)
	}
	if _, l := c.Score(Features{HighCMC: 20, OriginalMin: 15, HighShare: 0.6, CMCCorr: 0.7, GlobalCorr: 0.4, ThetaAgree: 1}); !(l > 0) {
		t.Errorf("20 congruent cells: log10 LR %g, want > 0", l)
	}
}
