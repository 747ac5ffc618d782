package cartridge

import (
	"errors"
	"fmt"
	"math"
)

// FitCalibration fits the logistic-regression score model to labelled
// feature vectors by iteratively reweighted least squares with an L2 penalty
// (ridge, strength lambda on standardised features; the intercept is not
// penalised), which keeps the weights finite when the classes separate.
// The two classes are weighted to equal total weight, each that of the
// smaller class (a same-source pair weighs m/n_same and a different-source
// pair m/n_diff, m = min(n_same, n_diff)), and the standardisation uses the
// same weights, so the fitted log-odds is that of even prior odds: the
// natural log of the likelihood ratio, the same whatever the mix of the
// training pairs (PriorLogOdds is 0). The smaller class bounds what the data
// can say, so it also sets the strength of the data against the penalty.
// Every feature measures agreement, so a negative weight can only come from
// collinearity or noise in the training data and would make the score
// rank worse with more agreement: the fit is constrained to non-negative
// weights (active set: the most negative feature is fixed at 0 and the rest
// refitted, until none is negative). It returns a Calibration whose weights
// apply to the raw features.
func FitCalibration(feats []Features, same []bool, lambda float64, version, data string) (*Calibration, error) {
	active := make([]bool, len(featureNames))
	for i := range active {
		active[i] = true
	}
	for {
		c, err := fitLogistic(feats, same, lambda, active, version, data)
		if err != nil {
			return nil, err
		}
		worst := -1
		for j, w := range c.Weights {
			if active[j] && w < 0 && (worst < 0 || w < c.Weights[worst]) {
				worst = j
			}
		}
		if worst < 0 {
			return c, nil
		}
		active[worst] = false
	}
}

func fitLogistic(feats []Features, same []bool, lambda float64, active []bool, version, data string) (*Calibration, error) {
	n := len(feats)
	if n != len(same) || n == 0 {
		return nil, fmt.Errorf("cartridge: fit: %d feature rows and %d labels", n, len(same))
	}
	var nSame int
	for _, s := range same {
		if s {
			nSame++
		}
	}
	if nSame == 0 || nSame == n {
		return nil, errors.New("cartridge: fit: need pairs of both classes")
	}
	// Class weights for even prior odds.
	m := float64(min(nSame, n-nSame))
	wSame, wDiff := m/float64(nSame), m/float64(n-nSame)
	weight := func(i int) float64 {
		if same[i] {
			return wSame
		}
		return wDiff
	}
	k := len(featureNames)
	// Standardise (weighted; the weights sum to 2m).
	mean := make([]float64, k)
	sd := make([]float64, k)
	x := make([][]float64, n)
	for i, f := range feats {
		x[i] = f.vector()
		for j, v := range x[i] {
			mean[j] += weight(i) * v / (2 * m)
		}
	}
	for i, r := range x {
		for j, v := range r {
			sd[j] += weight(i) * (v - mean[j]) * (v - mean[j]) / (2 * m)
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
		if !(sd[j] > 0) {
			sd[j] = 1 // constant feature: weight stays 0 under the penalty
		}
	}
	z := make([][]float64, n)
	for i, r := range x {
		z[i] = make([]float64, k+1)
		z[i][0] = 1
		for j, v := range r {
			if active[j] {
				z[i][j+1] = (v - mean[j]) / sd[j]
			}
		}
	}
	beta := make([]float64, k+1)
	for iter := 0; iter < 100; iter++ {
		// Newton step: (Zᵀ W Z + Λ) Δ = Zᵀ(y − p) − Λβ.
		h := make([][]float64, k+1)
		for a := range h {
			h[a] = make([]float64, k+1)
		}
		g := make([]float64, k+1)
		for i := range z {
			eta := 0.0
			for a, v := range z[i] {
				eta += beta[a] * v
			}
			p := 1 / (1 + math.Exp(-eta))
			y, cw := 0.0, weight(i)
			if same[i] {
				y = 1
			}
			w := cw * math.Max(p*(1-p), 1e-9)
			for a, va := range z[i] {
				g[a] += cw * (y - p) * va
				for b, vb := range z[i] {
					h[a][b] += w * va * vb
				}
			}
		}
		for a := 1; a <= k; a++ {
			h[a][a] += lambda
			g[a] -= lambda * beta[a]
		}
		step, err := solve(h, g)
		if err != nil {
			return nil, fmt.Errorf("cartridge: fit: %w", err)
		}
		var change float64
		for a := range beta {
			beta[a] += step[a]
			change = math.Max(change, math.Abs(step[a]))
		}
		if change < 1e-10 {
			break
		}
	}
	c := &Calibration{
		Version: version, Data: data, Features: append([]string(nil), featureNames...),
		Weights: make([]float64, k), TrainingPairs: n, TrainingSame: nSame,
	}
	c.Intercept = beta[0]
	for j := range k {
		c.Weights[j] = beta[j+1] / sd[j]
		c.Intercept -= beta[j+1] * mean[j] / sd[j]
	}
	return c, nil
}

// solve solves the small dense system a·x = b by Gaussian elimination with
// partial pivoting (a and b are overwritten).
func solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	for col := range n {
		p := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			return nil, errors.New("singular system")
		}
		a[col], a[p] = a[p], a[col]
		b[col], b[p] = b[p], b[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for c := col; c < n; c++ {
				a[r][c] -= f * a[col][c]
			}
			b[r] -= f * b[col]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for c := r + 1; c < n; c++ {
			s -= a[r][c] * x[c]
		}
		x[r] = s / a[r][r]
	}
	return x, nil
}
