package bullet

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// smoothNoise returns n samples of noise smoothed over about w samples,
// a stand-in for a striation signature.
func smoothNoise(r *rand.Rand, n, w int) []float64 {
	raw := make([]float64, n+w)
	for i := range raw {
		raw[i] = r.NormFloat64()
	}
	out := make([]float64, n)
	for i := range out {
		for k := 0; k < w; k++ {
			out[i] += raw[i+k] / math.Sqrt(float64(w))
		}
	}
	return out
}

func TestAlignKnownShift(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 7))
	base := smoothNoise(r, 700, 6)
	for _, shift := range []int{-60, 0, 37} {
		// a = base[100:600]; b starts shift samples later in base.
		a := base[100:600]
		b := append([]float64(nil), base[100+shift:600+shift]...)
		for i := range b {
			b[i] += 0.2 * r.NormFloat64()
		}
		b[250] = math.NaN() // an interior gap takes the masked path
		al := alignSignatures(a, b, 0.75)
		// a[i] = base[100+i] lies opposite b[i-lag] = base[100+shift+i-lag].
		if !al.ok || al.lag != shift || al.ccf < 0.9 {
			t.Errorf("shift %d: got ok=%v lag %d ccf %.3f", shift, al.ok, al.lag, al.ccf)
		}
	}
	if al := alignSignatures(make([]float64, 10), []float64{math.NaN()}, 0.75); al.ok {
		t.Error("an all-missing signature must not align")
	}
}

func TestFeaturesOfIdenticalSignatures(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	s := smoothNoise(r, 1200, 8)
	al := alignSignatures(s, s, 0.75)
	s1, s2 := alignedPair(al)
	f, _ := computeFeatures(al, s1, s2, 1.5625, DefaultParams())
	if al.lag != 0 || math.Abs(f.CCF-1) > 1e-12 || math.Abs(f.RoughCor-1) > 1e-9 || f.D != 0 {
		t.Errorf("lag %d ccf %g rough_cor %g D %g; want 0, 1, 1, 0", al.lag, f.CCF, f.RoughCor, f.D)
	}
	if f.Matches == 0 || f.Mismatches != 0 || f.CMS != f.Matches || f.NonCMS != 0 || f.LeftCMS != f.Matches {
		t.Errorf("striae: %d matches, %d mismatches, CMS %d, non-CMS %d, left CMS %d", f.Matches, f.Mismatches, f.CMS, f.NonCMS, f.LeftCMS)
	}
	if want := float64(f.Matches) / (1200 * 1.5625 / 1000); math.Abs(f.MatchesPerMM-want) > 1e-9 {
		t.Errorf("matches per mm %g, want %g", f.MatchesPerMM, want)
	}
	// Unrelated signatures share few consecutive striae.
	al2 := alignSignatures(s, smoothNoise(r, 1200, 8), 0.75)
	u1, u2 := alignedPair(al2)
	g, _ := computeFeatures(al2, u1, u2, 1.5625, DefaultParams())
	if g.CMS >= f.CMS/2 {
		t.Errorf("unrelated signatures: CMS %d, identical %d", g.CMS, f.CMS)
	}
}

func TestMatchStriae(t *testing.T) {
	ex := func(sig int, ats []int, typs []int) []extremum {
		var e []extremum
		for i, a := range ats {
			e = append(e, extremum{at: a, typ: typs[i], sig: sig, xmin: float64(a) - 2, xmax: float64(a) + 2, height: 1})
		}
		return e
	}
	// Peaks at 10 and 30 on both; a valley at 50 on one and a peak at 51 on
	// the other; a lone peak at 80.
	g := matchStriae(ex(0, []int{10, 30, 50, 80}, []int{1, 1, -1, 1}), ex(1, []int{11, 30, 51}, []int{1, 1, 1}))
	var got []bool
	for _, x := range g {
		got = append(got, x.match)
	}
	want := []bool{true, true, false, false}
	if len(got) != len(want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("groups %v, want %v", got, want)
		}
	}
	if n := longestRun(g, true, nil); n != 2 {
		t.Errorf("CMS %d, want 2", n)
	}
}

// TestRangeCDF checks the phase-test reference distribution against a
// simulation of max − floor(n/2)-th order statistic of n normals.
func TestRangeCDF(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{3, 6, 8} {
		const draws = 40000
		ts := make([]float64, draws)
		x := make([]float64, n)
		for d := range ts {
			for i := range x {
				x[i] = r.NormFloat64()
			}
			sort.Float64s(x)
			ts[d] = x[n-1] - x[n/2-1]
		}
		for _, tt := range []float64{0.5, 1, 2, 3} {
			var below float64
			for _, v := range ts {
				if v < tt {
					below++
				}
			}
			emp := below / draws
			if got := rangeCDF(tt, n); math.Abs(got-emp) > 0.01 {
				t.Errorf("n=%d t=%g: rangeCDF %.4f, simulated %.4f", n, tt, got, emp)
			}
		}
	}
}

// TestCompareBulletsMissingLands drops lands from the Hamby 44 bullets:
// the phase must survive and the missing lands be reported.
func TestCompareBulletsMissingLands(t *testing.T) {
	b1, b2 := hamby44(t)
	c, err := NewComparer()
	if err != nil {
		t.Fatal(err)
	}
	five := &Bullet{Name: b1.Name, Lands: b1.Lands[:5], Problems: b1.Problems[:5]} // a 5-land scan
	gap := &Bullet{Name: b2.Name, Lands: append([]*Land(nil), b2.Lands...), Problems: append([]string(nil), b2.Problems...)}
	gap.Lands[2], gap.Problems[2] = nil, "tank rash"
	r, err := c.CompareBullets(five, gap)
	if err != nil {
		t.Fatal(err)
	}
	if r.Phase != 4 || r.PairsOnPhase != 4 {
		t.Errorf("phase %d over %d pairs, want 4 over 4 (lands 1–5 minus the one facing the missing land 3)", r.Phase, r.PairsOnPhase)
	}
	if len(r.Unsuitable) != 1 || !strings.Contains(r.Unsuitable[0], "land 3: tank rash") {
		t.Errorf("unsuitable %q", r.Unsuitable)
	}
	if len(r.Scores) != 5 || len(r.Scores[0]) != 6 || !math.IsNaN(float64(r.Scores[0][2])) {
		t.Errorf("score matrix %d×%d with [0][2] = %v; want 5×6 and null", len(r.Scores), len(r.Scores[0]), r.Scores[0][2])
	}
	if !(r.Score >= 0 && r.Score <= 1) || !(r.Margin > 0) {
		t.Errorf("score %v margin %v", r.Score, r.Margin)
	}
	if _, err := c.CompareBullets(&Bullet{Name: "x", Lands: []*Land{nil}}, b2); err == nil {
		t.Error("a bullet without any land must be an error")
	}
}

func TestValueJSON(t *testing.T) {
	for v, want := range map[float64]string{math.NaN(): "null", math.Inf(1): "null", 0.25: "0.25"} {
		b, _ := Value(v).MarshalJSON()
		if string(b) != want {
			t.Errorf("%v: %s, want %s", v, b, want)
		}
	}
}

// TestNeverNaN: flat or degenerate signatures give an error or a finite
// score, never NaN.
func TestNeverNaN(t *testing.T) {
	c, err := NewComparer()
	if err != nil {
		t.Fatal(err)
	}
	flat := &Land{Name: "flat", DX: 2, Signature: make([]float64, 500)}
	r := rand.New(rand.NewPCG(5, 5))
	rough := &Land{Name: "rough", DX: 2, Signature: smoothNoise(r, 500, 5)}
	for _, pair := range [][2]*Land{{flat, flat}, {flat, rough}, {rough, rough}} {
		lc, err := c.CompareLands(pair[0], pair[1])
		if err == nil && (math.IsNaN(lc.Score) || lc.Score < 0 || lc.Score > 1) {
			t.Errorf("%s vs %s: score %v", pair[0].Name, pair[1].Name, lc.Score)
		}
	}
	nanFeatures := Features{CCF: math.NaN(), RoughCor: math.NaN(), D: math.NaN(), SdD: math.NaN()}
	nanFeatures.sanitize()
	if s := c.Model.Score(nanFeatures); math.IsNaN(s) {
		t.Error("sanitised features must not score NaN")
	}
}
