package bullet

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Bullet is a set of processed lands in land order. A nil land is missing
// or unsuitable; Problems says why (same length as Lands, "" when fine).
type Bullet struct {
	Name     string
	Lands    []*Land
	Problems []string
}

// Value is a float64 that encodes NaN (not available) as JSON null.
type Value float64

// MarshalJSON writes null for NaN and ±Inf.
func (v Value) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', 6, 64), nil
}

// MatchedLand is one land pair on the best phase.
type MatchedLand struct {
	A, B     int      `json:"-"`
	LandA    int      `json:"land_a"` // 1-based
	LandB    int      `json:"land_b"`
	Score    float64  `json:"score"`
	Features Features `json:"features"`
	// Aligned signatures (µm) on a common frame, DX µm apart, for display.
	AlignedA []float64 `json:"-"`
	AlignedB []float64 `json:"-"`
	DX       float64   `json:"-"`
	striae   []striaGroup
}

// BulletComparison is the result of comparing two bullets.
type BulletComparison struct {
	A string `json:"bullet_a"`
	B string `json:"bullet_b"`
	// Scores[i][j] is the land score of A's land i+1 against B's land j+1
	// (null when either land is missing or unsuitable); CCF likewise.
	Scores [][]Value `json:"scores"`
	CCF    [][]Value `json:"ccf"`
	// Phase k pairs A's land i with B's land (i+k) mod p, p the larger land
	// count; PhaseScores[k] is the mean land score on phase k (SA(k)).
	Phase       int     `json:"phase"`
	PhaseScores []Value `json:"phase_scores"`
	// Score is the SAM: the mean land score on the best phase, in [0, 1].
	Score float64 `json:"score"`
	// ScoreCCF is the SAM of the CCF (best phase of the mean CCF).
	ScoreCCF float64 `json:"score_ccf"`
	// Margin is Score minus the mean score of the second-best phase.
	Margin float64 `json:"margin"`
	// PValue is the phase test (bulletxtrctr phase_test) p-value; null
	// with fewer than two phases or no spread among off-phase scores.
	PValue Value `json:"p_value"`
	// PairsOnPhase is the number of land pairs averaged on the best phase.
	PairsOnPhase int           `json:"pairs_on_phase"`
	Matched      []MatchedLand `json:"matched"`
	// Unsuitable lists the lands left out and why.
	Unsuitable []string `json:"unsuitable,omitempty"`
}

// CompareBullets compares every land of a with every land of b and
// combines the land scores by the sequence-average maximum over phases.
// Bullets may have different land counts and missing lands: each phase
// averages the pairs available on it. It fails only when no land pair at
// all can be compared.
func (c *Comparer) CompareBullets(a, b *Bullet) (*BulletComparison, error) {
	return c.combine(a, b, c.landMatrix(a, b, nil))
}

// landMatrix compares every land of a with every land of b; entries are nil
// where a land is missing or the pair cannot be aligned. each, when not
// nil, is called after every comparison attempted (for timing).
func (c *Comparer) landMatrix(a, b *Bullet, each func(i, j int)) [][]*LandComparison {
	full := make([][]*LandComparison, len(a.Lands))
	for i := range full {
		full[i] = make([]*LandComparison, len(b.Lands))
		for j := range full[i] {
			if a.Lands[i] == nil || b.Lands[j] == nil {
				continue
			}
			lc, err := c.CompareLands(a.Lands[i], b.Lands[j])
			if each != nil {
				each(i, j)
			}
			if err == nil { // else too short to overlap: no score for this pair
				full[i][j] = &lc
			}
		}
	}
	return full
}

// combine turns the land comparisons into the bullet comparison.
func (c *Comparer) combine(a, b *Bullet, full [][]*LandComparison) (*BulletComparison, error) {
	na, nb := len(a.Lands), len(b.Lands)
	r := &BulletComparison{A: a.Name, B: b.Name}
	for _, bl := range []*Bullet{a, b} {
		for i, l := range bl.Lands {
			if l == nil {
				why := "missing"
				if i < len(bl.Problems) && bl.Problems[i] != "" {
					why = bl.Problems[i]
				}
				r.Unsuitable = append(r.Unsuitable, fmt.Sprintf("%s land %d: %s", bl.Name, i+1, why))
			}
		}
	}
	r.Scores = make([][]Value, na)
	r.CCF = make([][]Value, na)
	for i := range full {
		r.Scores[i] = make([]Value, nb)
		r.CCF[i] = make([]Value, nb)
		for j, lc := range full[i] {
			r.Scores[i][j], r.CCF[i][j] = Value(math.NaN()), Value(math.NaN())
			if lc != nil {
				r.Scores[i][j], r.CCF[i][j] = Value(lc.Score), Value(lc.Features.CCF)
			}
		}
	}
	p := max(na, nb)
	score := func(i, j int) float64 { return full[i][j].Score }
	ccf := func(i, j int) float64 { return full[i][j].Features.CCF }
	means, counts := phaseMeans(full, p, score)
	best := -1
	for k := range means {
		if counts[k] > 0 && (best < 0 || means[k] > means[best]) {
			best = k
		}
	}
	if best < 0 {
		return nil, fmt.Errorf("bullet: %s vs %s: no land pair could be compared", a.Name, b.Name)
	}
	r.Phase, r.Score, r.PairsOnPhase = best, means[best], counts[best]
	second := math.Inf(-1)
	r.PhaseScores = make([]Value, p)
	for k := range means {
		r.PhaseScores[k] = Value(math.NaN())
		if counts[k] > 0 {
			r.PhaseScores[k] = Value(means[k])
			if k != best {
				second = math.Max(second, means[k])
			}
		}
	}
	r.Margin = r.Score
	if !math.IsInf(second, -1) {
		r.Margin = r.Score - second
	}
	cm, cc := phaseMeans(full, p, ccf)
	r.ScoreCCF = math.Inf(-1)
	for k := range cm {
		if cc[k] > 0 {
			r.ScoreCCF = math.Max(r.ScoreCCF, cm[k])
		}
	}
	r.PValue = Value(phaseTest(full, p, best, means, counts))
	for i := range full {
		j := (i + best) % p
		if j >= nb || full[i][j] == nil {
			continue
		}
		lc := full[i][j]
		r.Matched = append(r.Matched, MatchedLand{A: i, B: j, LandA: i + 1, LandB: j + 1, Score: lc.Score, Features: lc.Features, AlignedA: lc.AlignedA, AlignedB: lc.AlignedB, DX: lc.DX, striae: lc.striae})
	}
	return r, nil
}

// phaseMeans returns, for each phase k, the mean of v over the compared
// pairs (i, (i+k) mod p) and their number.
func phaseMeans(full [][]*LandComparison, p int, v func(i, j int) float64) ([]float64, []int) {
	means := make([]float64, p)
	counts := make([]int, p)
	for k := 0; k < p; k++ {
		for i := range full {
			j := (i + k) % p
			if j < len(full[i]) && full[i][j] != nil {
				means[k] += v(i, j)
				counts[k]++
			}
		}
		if counts[k] > 0 {
			means[k] /= float64(counts[k])
		}
	}
	return means, counts
}

// phaseTest returns the p-value of bulletxtrctr's phase test: under the
// null hypothesis the n phase means are exchangeable normal averages, and
// T = best phase mean − the floor(n/2)-th smallest phase mean has the
// distribution of the range between the maximum and that order statistic.
// σ of a phase mean is the SD of the off-phase land scores over √(lands per
// phase). NaN when it cannot be computed.
func phaseTest(full [][]*LandComparison, p, best int, means []float64, counts []int) float64 {
	var ms []float64
	var perPhase float64
	for k := range means {
		if counts[k] > 0 {
			ms = append(ms, means[k])
			perPhase += float64(counts[k])
		}
	}
	n := len(ms)
	if n < 2 {
		return math.NaN()
	}
	perPhase /= float64(n)
	var off []float64
	for i := range full {
		for j, lc := range full[i] {
			if lc != nil && (j-i-best+2*p)%p != 0 {
				off = append(off, lc.Score)
			}
		}
	}
	sigma := sd(off) / math.Sqrt(perPhase)
	sort.Float64s(ms)
	t := means[best] - ms[n/2-1]
	if !(sigma > 0) || t < 0 {
		return math.NaN()
	}
	return 1 - rangeCDF(t/sigma, n)
}

// rangeCDF returns P(X(n) − X(r) < t) for n iid standard normals, r = floor(n/2):
// C ∫ Φ(x)^(r−1) φ(x) [Φ(x+t) − Φ(x)]^(n−r) dx with C = n!/((r−1)!(n−r)!).
func rangeCDF(t float64, n int) float64 {
	r := n / 2
	logC := lgamma(n+1) - lgamma(r) - lgamma(n-r+1)
	const lo, hi, steps = -9.0, 9.0, 3600 // Simpson, h = 0.005
	h := (hi - lo) / steps
	var s float64
	for k := 0; k <= steps; k++ {
		x := lo + float64(k)*h
		F := normCDF(x)
		g := math.Pow(F, float64(r-1)) * normPDF(x) * math.Pow(normCDF(x+t)-F, float64(n-r))
		switch {
		case k == 0 || k == steps:
		case k%2 == 1:
			g *= 4
		default:
			g *= 2
		}
		s += g
	}
	return math.Min(1, math.Exp(logC)*s*h/3)
}

func lgamma(n int) float64 { v, _ := math.Lgamma(float64(n)); return v }

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
