package cartridge

import (
	"math"
	"sort"
)

// CellResult is one reference cell registered against the target at one
// rotation: the translation found by the FFT cross-correlation and the
// pairwise-complete correlation there.
type CellResult struct {
	Row    int     `json:"row"`     // 0-based cell row in the reference grid
	Col    int     `json:"col"`     // 0-based cell column
	Theta  float64 `json:"theta"`   // rotation applied to the target, degrees
	DX     float64 `json:"dx"`      // translation along columns, px
	DY     float64 `json:"dy"`      // translation along rows, px
	FFTCCF float64 `json:"fft_ccf"` // zero-filled CCF maximum (only used to find the shift)
	Corr   float64 `json:"corr"`    // pairwise-complete Pearson correlation at (DX, DY)
}

// cellKey identifies a reference cell across rotations.
func (c CellResult) cellKey() int { return c.Row<<16 | c.Col }

// Thresholds are the congruence thresholds of the CMC decision rules.
type Thresholds struct {
	TransPx  float64 `json:"trans_px"`  // Tx = Ty, px (converted from µm by the caller)
	ThetaDeg float64 `json:"theta_deg"` // Tθ, degrees
	Corr     float64 `json:"corr"`      // TCCF
	Tau      int     `json:"tau"`       // High-CMC τ
}

// OriginalResult is the original-rule (Song 2013) decision of one direction.
type OriginalResult struct {
	Count       int          `json:"count"`
	Votes       int          `json:"votes"`        // cells that voted (medians are 0 without votes)
	MedianTheta float64      `json:"median_theta"` // consensus θ over the votes, degrees
	MedianDX    float64      `json:"median_dx"`    // consensus translation, px
	MedianDY    float64      `json:"median_dy"`
	CMCs        []CellResult `json:"cmcs"`
}

// OriginalCMC applies the original CMC rule to one direction's results: each
// cell votes with its highest-correlation rotation (ties keep every tied
// row, as cmcR does); the consensus is the median of x, y and θ over the
// votes; a vote is a CMC when it lies within the thresholds of the
// consensus and its correlation reaches TCCF. NaN correlations never vote.
func OriginalCMC(rows []CellResult, th Thresholds) OriginalResult {
	votes := bestPerCell(rows)
	if len(votes) == 0 {
		return OriginalResult{}
	}
	mx := median(votes, func(c CellResult) float64 { return c.DX })
	my := median(votes, func(c CellResult) float64 { return c.DY })
	mt := median(votes, func(c CellResult) float64 { return c.Theta })
	res := OriginalResult{MedianDX: mx, MedianDY: my, MedianTheta: mt, Votes: len(votes)}
	for _, v := range votes {
		if math.Abs(v.DX-mx) <= th.TransPx && math.Abs(v.DY-my) <= th.TransPx &&
			math.Abs(v.Theta-mt) <= th.ThetaDeg && v.Corr >= th.Corr {
			res.CMCs = append(res.CMCs, v)
		}
	}
	res.Count = len(res.CMCs)
	return res
}

// HighResult is the High-CMC (Tong 2015) decision of one direction.
type HighResult struct {
	Passed bool `json:"passed"`
	// CandidatesPerTheta[i] is CMC_θ for Thetas[i] (only rotations with at
	// least one candidate are listed).
	Thetas             []float64    `json:"thetas"`
	CandidatesPerTheta []int        `json:"candidates_per_theta"`
	CMCs               []CellResult `json:"cmcs"` // each cell once, at its best high rotation
}

// HighCMC applies the High-CMC rule to one direction: for each rotation the
// consensus translation is the median over all cells at that rotation; the
// candidates are the cells within TransPx of it with correlation ≥ TCCF.
// The "high" rotations are those with a candidate count ≥ max − τ; the
// direction passes when they span at most Tθ. The CMCs are the candidates at
// high rotations, each cell kept at its highest-correlation row.
func HighCMC(rows []CellResult, th Thresholds) HighResult {
	byTheta := map[float64][]CellResult{}
	for _, r := range rows {
		if math.IsNaN(r.Corr) {
			continue
		}
		byTheta[r.Theta] = append(byTheta[r.Theta], r)
	}
	var res HighResult
	var cands []CellResult
	counts := map[float64]int{}
	for theta, rs := range byTheta {
		mx := median(rs, func(c CellResult) float64 { return c.DX })
		my := median(rs, func(c CellResult) float64 { return c.DY })
		for _, r := range rs {
			if math.Abs(r.DX-mx) <= th.TransPx && math.Abs(r.DY-my) <= th.TransPx && r.Corr >= th.Corr {
				cands = append(cands, r)
				counts[theta]++
			}
		}
	}
	if len(cands) == 0 {
		return res
	}
	for t := range counts {
		res.Thetas = append(res.Thetas, t)
	}
	sort.Float64s(res.Thetas)
	maxCount := 0
	for _, t := range res.Thetas {
		res.CandidatesPerTheta = append(res.CandidatesPerTheta, counts[t])
		maxCount = max(maxCount, counts[t])
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range res.Thetas {
		if counts[t] >= maxCount-th.Tau {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
	}
	if hi-lo > th.ThetaDeg {
		return res
	}
	res.Passed = true
	var high []CellResult
	for _, c := range cands {
		if counts[c.Theta] >= maxCount-th.Tau {
			high = append(high, c)
		}
	}
	res.CMCs = bestPerCell(high)
	return res
}

// modalTheta returns the rotation at which most of the direction's High-CMCs
// lie, following cmcR's tie rule ("minDistance"): tied maxima further apart
// than Tθ fail, as does any rotation with a count within τ of the maximum
// lying further than Tθ from the nearest maximum. The result is the median of
// the tied maxima.
func modalTheta(cmcs []CellResult, th Thresholds) (float64, bool) {
	counts := map[float64]int{}
	for _, c := range cmcs {
		counts[c.Theta]++
	}
	if len(counts) == 0 {
		return math.NaN(), false
	}
	thetas := make([]float64, 0, len(counts))
	maxN := 0
	for t, n := range counts {
		thetas = append(thetas, t)
		maxN = max(maxN, n)
	}
	sort.Float64s(thetas)
	var modes []float64
	for _, t := range thetas {
		if counts[t] == maxN {
			modes = append(modes, t)
		}
	}
	for i := 1; i < len(modes); i++ {
		if modes[i]-modes[i-1] > th.ThetaDeg {
			return math.NaN(), false
		}
	}
	worst := 0.0
	for _, t := range thetas {
		if counts[t] < maxN-th.Tau {
			continue
		}
		d := math.Inf(1)
		for _, m := range modes {
			d = math.Min(d, math.Abs(m-t))
		}
		worst = math.Max(worst, d)
	}
	if worst > th.ThetaDeg {
		return math.NaN(), false
	}
	return medianFloats(modes), true
}

// Decision is the outcome of both decision rules over both directions.
type Decision struct {
	Forward      OriginalResult `json:"original_forward"`  // reference A cells against B
	Backward     OriginalResult `json:"original_backward"` // reference B cells against A
	OriginalMin  int            `json:"original_min"`      // min of the two original counts
	HighForward  HighResult     `json:"high_forward"`
	HighBackward HighResult     `json:"high_backward"`
	// HighCMC is the combined High-CMC count (cmcR decision_combineDirections
	// with missingThetaDecision="fail", compareThetas=TRUE); HighCombined says
	// whether the combination succeeded (else HighCMC = OriginalMin).
	HighCMC      int          `json:"high_cmc"`
	HighCombined bool         `json:"high_combined"`
	HighCMCs     []CellResult `json:"high_cmcs"` // the counted cells (cell index shared by both directions, as cmcR)
}

// Decide applies the original rule to each direction and combines the
// High-CMC results of the two directions as cmcR does:
//   - if either direction fails the High-CMC criterion, or its modal θ
//     cannot be determined, the count is the smaller original count;
//   - each direction's modal θ must lie within Tθ of that direction's
//     original-rule CMC median θ;
//   - the two modal θ must have opposite signs (or one be zero, or be within
//     Tθ of opposite) and equal magnitudes within Tθ;
//   - then the count is the number of distinct cell indices among both
//     directions' High-CMCs within ±Tθ of their direction's modal θ. As in
//     cmcR the cell index is shared by the two directions, so cell (r, c) of
//     A and cell (r, c) of B count once.
func Decide(fwd, bwd []CellResult, th Thresholds) Decision {
	d := Decision{
		Forward:      OriginalCMC(fwd, th),
		Backward:     OriginalCMC(bwd, th),
		HighForward:  HighCMC(fwd, th),
		HighBackward: HighCMC(bwd, th),
	}
	d.OriginalMin = min(d.Forward.Count, d.Backward.Count)
	d.HighCMC = d.OriginalMin
	initial := d.Forward.CMCs
	if d.Backward.Count < d.Forward.Count {
		initial = d.Backward.CMCs
	}
	d.HighCMCs = initial
	if !d.HighForward.Passed || !d.HighBackward.Passed {
		return d
	}
	tf, okf := modalTheta(d.HighForward.CMCs, th)
	tb, okb := modalTheta(d.HighBackward.CMCs, th)
	if !okf || !okb {
		return d
	}
	if !(math.Abs(tf-medianTheta(d.Forward.CMCs)) <= th.ThetaDeg) ||
		!(math.Abs(tb-medianTheta(d.Backward.CMCs)) <= th.ThetaDeg) {
		return d
	}
	if sign(tf) == sign(tb) && math.Abs(tf+tb) > th.ThetaDeg {
		return d
	}
	if math.Abs(math.Abs(tf)-math.Abs(tb)) > th.ThetaDeg {
		return d
	}
	var pool []CellResult
	for _, c := range d.HighForward.CMCs {
		if math.Abs(c.Theta-tf) <= th.ThetaDeg {
			pool = append(pool, c)
		}
	}
	for _, c := range d.HighBackward.CMCs {
		if math.Abs(c.Theta-tb) <= th.ThetaDeg {
			pool = append(pool, c)
		}
	}
	d.HighCMCs = onePerCell(bestPerCell(pool))
	d.HighCMC = len(d.HighCMCs)
	d.HighCombined = true
	return d
}

// bestPerCell keeps, for each cell, the rows with its highest correlation
// (ties all kept, NaN dropped), in a deterministic order.
func bestPerCell(rows []CellResult) []CellResult {
	best := map[int]float64{}
	for _, r := range rows {
		if math.IsNaN(r.Corr) {
			continue
		}
		if b, ok := best[r.cellKey()]; !ok || r.Corr > b {
			best[r.cellKey()] = r.Corr
		}
	}
	var out []CellResult
	for _, r := range rows {
		if b, ok := best[r.cellKey()]; ok && r.Corr == b {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].cellKey() != out[j].cellKey() {
			return out[i].cellKey() < out[j].cellKey()
		}
		return out[i].Theta < out[j].Theta
	})
	return out
}

// onePerCell keeps the first row of each cell of a bestPerCell result, so a
// cell tied across the two directions (self-comparison) counts once.
func onePerCell(rows []CellResult) []CellResult {
	var out []CellResult
	for i, r := range rows {
		if i == 0 || r.cellKey() != rows[i-1].cellKey() {
			out = append(out, r)
		}
	}
	return out
}

// Consensus returns the registration the congruent cells agree on: when
// the direction passed the High-CMC rule, its modal rotation and the median
// translation of the rotation's CMC candidates; otherwise the original-rule
// consensus of the CMCs (or of all votes when there is none). corr is the
// mean correlation of the cells it rests on. ok is false when there are no
// results.
func Consensus(rows []CellResult, th Thresholds) (theta, dx, dy, corr float64, ok bool) {
	if h := HighCMC(rows, th); h.Passed {
		if m, okm := modalTheta(h.CMCs, th); okm {
			var at []CellResult
			for _, r := range rows {
				if r.Theta == m && !math.IsNaN(r.Corr) {
					at = append(at, r)
				}
			}
			mx := median(at, func(c CellResult) float64 { return c.DX })
			my := median(at, func(c CellResult) float64 { return c.DY })
			var cand []CellResult
			for _, r := range at {
				if math.Abs(r.DX-mx) <= th.TransPx && math.Abs(r.DY-my) <= th.TransPx && r.Corr >= th.Corr {
					cand = append(cand, r)
				}
			}
			if len(cand) > 0 {
				return m, median(cand, func(c CellResult) float64 { return c.DX }),
					median(cand, func(c CellResult) float64 { return c.DY }), meanCorr(cand), true
			}
		}
	}
	o := OriginalCMC(rows, th)
	if o.Count > 0 {
		return medianTheta(o.CMCs), median(o.CMCs, func(c CellResult) float64 { return c.DX }),
			median(o.CMCs, func(c CellResult) float64 { return c.DY }), meanCorr(o.CMCs), true
	}
	if o.Votes == 0 {
		return 0, 0, 0, 0, false
	}
	return o.MedianTheta, o.MedianDX, o.MedianDY, meanCorr(bestPerCell(rows)), true
}

// meanCorr is the mean correlation of rows (0 for none).
func meanCorr(rows []CellResult) float64 {
	if len(rows) == 0 {
		return 0
	}
	var s float64
	for _, r := range rows {
		s += r.Corr
	}
	return s / float64(len(rows))
}

func medianTheta(cs []CellResult) float64 {
	return median(cs, func(c CellResult) float64 { return c.Theta })
}

// median is R's median (mean of the two middle values for an even count);
// NaN for no values.
func median(cs []CellResult, f func(CellResult) float64) float64 {
	v := make([]float64, len(cs))
	for i, c := range cs {
		v[i] = f(c)
	}
	return medianFloats(v)
}

func medianFloats(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
