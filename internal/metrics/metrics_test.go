package metrics

import (
	"math"
	"testing"
)

func pairs(same, diff []float64) []Scored {
	var p []Scored
	for _, s := range same {
		p = append(p, Scored{s, true})
	}
	for _, d := range diff {
		p = append(p, Scored{d, false})
	}
	return p
}

func TestAUC(t *testing.T) {
	for _, c := range []struct {
		name       string
		same, diff []float64
		want       float64
	}{
		{"perfect", []float64{5, 6}, []float64{1, 2, 3}, 1},
		{"inverted", []float64{0, 1}, []float64{2, 3}, 0},
		{"all tied", []float64{1, 1}, []float64{1, 1}, 0.5},
		{"one swap", []float64{2, 4}, []float64{1, 3}, 0.75},
		{"NaN same ranks lowest", []float64{math.NaN(), 5}, []float64{1}, 0.5},
	} {
		if got := AUC(pairs(c.same, c.diff)); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: AUC = %g, want %g", c.name, got, c.want)
		}
	}
	if got := AUC(pairs([]float64{1}, nil)); !math.IsNaN(got) {
		t.Errorf("AUC with no different-source pairs = %g, want NaN", got)
	}
}

func TestEER(t *testing.T) {
	eer, thr := EER(pairs([]float64{5, 6}, []float64{1, 2, 3}))
	if eer != 0 || thr <= 3 || thr > 5 {
		t.Errorf("separable: EER = %g at %g, want 0 at a threshold in (3,5]", eer, thr)
	}
	// 4 same {1,5,6,7}, 4 diff {0,2,3,8}: at t=5, FNR=1/4, FPR=1/4.
	eer, thr = EER(pairs([]float64{1, 5, 6, 7}, []float64{0, 2, 3, 8}))
	if math.Abs(eer-0.25) > 1e-12 || thr != 5 {
		t.Errorf("overlap: EER = %g at %g, want 0.25 at 5", eer, thr)
	}
}

func TestRank(t *testing.T) {
	r := Rank([][]Scored{
		{{9, true}, {5, false}},             // rank 1
		{{5, true}, {9, false}, {7, false}}, // rank 3
		{{5, true}, {5, false}},             // tie: rank 2
		{{1, false}},                        // no mate: skipped
		{{1, true}, {2, true}, {3, false}},  // best mate 2 → rank 2
		{{0, true}, {1, false}, {2, false}, {3, false}, {4, false}, {5, false}, {6, false}}, // rank 7
	})
	if r.Queries != 5 {
		t.Fatalf("Queries = %d, want 5", r.Queries)
	}
	if want := 1.0 / 5; math.Abs(r.Top1-want) > 1e-12 {
		t.Errorf("Top1 = %g, want %g", r.Top1, want)
	}
	if want := 4.0 / 5; math.Abs(r.Top5-want) > 1e-12 {
		t.Errorf("Top5 = %g, want %g", r.Top5, want)
	}
	if want := 1.0; math.Abs(r.Top10-want) > 1e-12 {
		t.Errorf("Top10 = %g, want %g", r.Top10, want)
	}
	if want := (1 + 1.0/3 + 0.5 + 0.5 + 1.0/7) / 5; math.Abs(r.MRR-want) > 1e-12 {
		t.Errorf("MRR = %g, want %g", r.MRR, want)
	}
}

func TestSeparation(t *testing.T) {
	lo, hi := Separation(pairs([]float64{7, 9}, []float64{1, 2}))
	if lo != 7 || hi != 2 {
		t.Errorf("Separation = %g, %g; want 7, 2", lo, hi)
	}
}
