package bullet

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/metrics"
	"github.com/tracemark/tracemark/internal/synth"
)

var update = flag.Bool("update", false, "rewrite model.json from a fresh fit on synthetic bullets")

// candidateFeatures are the predictors the model may use, with the sign
// their coefficient must have: the dimensionless features of the
// bulletxtrctr forest (ccf, rough_cor, striae counts per mm). The absolute
// heights (D, sd_D, sum_peaks, in µm) are left out because they scale with
// the striation depth of the ammunition and instrument, which synthetic
// training lands cannot know; D/sd_D keeps their ratio.
var candidateFeatures = []struct {
	name string
	sign float64
}{
	{"ccf", 1}, {"rough_cor", 1}, {"D_over_sd", -1},
	{"matches_per_mm", 1}, {"mismatches_per_mm", -1},
	{"cms_per_mm", 1}, {"non_cms_per_mm", -1},
}

// fitSignConsistent fits on all candidates, then repeatedly drops the
// feature whose coefficient has the most wrong sign (collinear features
// trade weight with nonsensical signs, which would not transfer to real
// lands) and refits, until every sign agrees with its expected direction.
func fitSignConsistent(fs []Features, same []bool) *Model {
	names := make([]string, len(candidateFeatures))
	signs := map[string]float64{}
	for i, c := range candidateFeatures {
		names[i] = c.name
		signs[c.name] = c.sign
	}
	for {
		m := fitLogistic(names, fs, same, ridge)
		worst, worstV := -1, 0.0
		for i, name := range names {
			if v := m.Coef[i] * signs[name]; v < worstV {
				worst, worstV = i, v
			}
		}
		if worst < 0 || len(names) == 1 {
			return m
		}
		names = append(names[:worst:worst], names[worst+1:]...)
	}
}

// trainingSets are the synthetic bullets the model is fitted on: two seeds,
// two resolutions, damaged lands in shuffled phase. None of the real scans
// is used, so the Hamby 44 figures are out of sample.
var trainingSets = []synth.BulletConfig{
	{Barrels: 4, Bullets: 3, Seed: 101, SpacingUM: 2.5, Damage: true, ShuffleLands: true},
	{Barrels: 4, Bullets: 3, Seed: 202, SpacingUM: 6.25, Damage: true, ShuffleLands: true},
}

const ridge = 1.0 // L2 penalty on the standardised coefficients

func describeTraining() string {
	var parts []string
	for _, c := range trainingSets {
		parts = append(parts, fmt.Sprintf("synth.Bullets{Barrels:%d Bullets:%d Seed:%d SpacingUM:%g Damage:%v ShuffleLands:%v}", c.Barrels, c.Bullets, c.Seed, c.SpacingUM, c.Damage, c.ShuffleLands))
	}
	return strings.Join(parts, " + ") + "; all cross-bullet land pairs; logistic regression, ridge 1, features dropped until every coefficient has its expected sign"
}

// trainingPairs processes the synthetic lands and returns the features and
// same-land labels of every pair of lands from different bullets.
func trainingPairs(t testing.TB, cfgs []synth.BulletConfig) ([]Features, []bool) {
	c := &Comparer{Params: DefaultParams(), Model: &Model{}}
	var fs []Features
	var same []bool
	for _, cfg := range cfgs {
		scans, err := synth.Bullets(cfg)
		if err != nil {
			t.Fatal(err)
		}
		lands := make([]*Land, len(scans))
		for i, s := range scans {
			if l, err := ProcessLand(s.Surface, c.Params); err == nil {
				lands[i] = l
			}
		}
		for i := range scans {
			for j := i + 1; j < len(scans); j++ {
				if lands[i] == nil || lands[j] == nil || scans[i].Truth.BulletID == scans[j].Truth.BulletID {
					continue
				}
				lc, err := c.compareFeatures(lands[i], lands[j])
				if err != nil {
					continue
				}
				fs = append(fs, lc)
				same = append(same, scans[i].Truth.LandSourceID == scans[j].Truth.LandSourceID)
			}
		}
	}
	return fs, same
}

// fitLogistic fits a ridge-penalised logistic regression by Newton's method.
func fitLogistic(names []string, fs []Features, same []bool, lambda float64) *Model {
	k := len(names)
	x := make([][]float64, len(fs))
	m := &Model{Features: names, Mean: make([]float64, k), Scale: make([]float64, k), Coef: make([]float64, k)}
	for i, f := range fs {
		x[i] = make([]float64, k)
		for j, name := range names {
			x[i][j], _ = featureValue(f, name)
			m.Mean[j] += x[i][j] / float64(len(fs))
		}
	}
	for i := range x {
		for j := range names {
			d := x[i][j] - m.Mean[j]
			m.Scale[j] += d * d / float64(len(fs)-1)
		}
	}
	for j := range names {
		m.Scale[j] = math.Sqrt(m.Scale[j])
		if m.Scale[j] == 0 {
			m.Scale[j] = 1
		}
		for i := range x {
			x[i][j] = (x[i][j] - m.Mean[j]) / m.Scale[j]
		}
	}
	// beta[0] is the intercept (not penalised).
	beta := make([]float64, k+1)
	for iter := 0; iter < 100; iter++ {
		g := make([]float64, k+1)
		h := make([][]float64, k+1)
		for a := range h {
			h[a] = make([]float64, k+1)
		}
		for i := range x {
			row := append([]float64{1}, x[i]...)
			z := 0.0
			for a, v := range row {
				z += beta[a] * v
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if same[i] {
				y = 1
			}
			w := p * (1 - p)
			for a := range row {
				g[a] += (y - p) * row[a]
				for b := range row {
					h[a][b] += w * row[a] * row[b]
				}
			}
		}
		for a := 1; a <= k; a++ {
			g[a] -= lambda * beta[a]
			h[a][a] += lambda
		}
		step := solve(h, g)
		var norm float64
		for a := range beta {
			beta[a] += step[a]
			norm += step[a] * step[a]
		}
		if norm < 1e-20 {
			break
		}
	}
	m.Intercept = beta[0]
	copy(m.Coef, beta[1:])
	return m
}

// solve solves a·x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}

// TestFitLandModel refits the land model on the synthetic training sets and
// checks that the shipped model.json scores them as well as that fit;
// with -update it rewrites model.json instead.
func TestFitLandModel(t *testing.T) {
	if testing.Short() && !*update {
		t.Skip("refits the model on synthetic bullets (about a minute of CPU)")
	}
	fs, same := trainingPairs(t, trainingSets)
	fit := fitSignConsistent(fs, same)
	fit.Version = "lr-synth-1"
	fit.TrainedOn = describeTraining()
	scored := make([]metrics.Scored, len(fs))
	nSame := 0
	for i, f := range fs {
		scored[i] = metrics.Scored{Score: fit.Score(f), Same: same[i]}
		if same[i] {
			nSame++
		}
	}
	eer, _ := metrics.EER(scored)
	t.Logf("training: %d pairs (%d same land), AUC %.4f, EER %.4f", len(fs), nSame, metrics.AUC(scored), eer)
	t.Logf("coefficients: intercept %.3f, %v × %v", fit.Intercept, fit.Features, fit.Coef)
	if *update {
		b, err := json.MarshalIndent(fit, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("model.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	shipped, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	// The fit is deterministic, but internal/synth evolves: a shipped model
	// that differs from the fresh fit only needs a refit when it scores the
	// current synthetic lands clearly worse.
	for i := range fit.Coef {
		if len(shipped.Coef) != len(fit.Coef) || shipped.Features[i] != fit.Features[i] || math.Abs(shipped.Coef[i]-fit.Coef[i]) > 1e-6*math.Max(1, math.Abs(fit.Coef[i])) {
			t.Logf("model.json differs from a fresh fit (synthetic data changed?): refit with go test -run TestFitLandModel -update")
			break
		}
	}
	shippedScored := make([]metrics.Scored, len(fs))
	for i, f := range fs {
		shippedScored[i] = metrics.Scored{Score: shipped.Score(f), Same: same[i]}
	}
	if a, b := metrics.AUC(shippedScored), metrics.AUC(scored); a < b-0.02 {
		t.Errorf("shipped model AUC %.4f on the current synthetic lands, a fresh fit %.4f: run go test -run TestFitLandModel -update", a, b)
	}
}
