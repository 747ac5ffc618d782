package synth

import (
	"math"
	"slices"
	"testing"

	"github.com/tracemark/tracemark/internal/metrics"
	"github.com/tracemark/tracemark/internal/surface"
)

// smallBullets is a cheap configuration for tests: coarse spacing, short lands.
func smallBullets(seed uint64) BulletConfig {
	return BulletConfig{Barrels: 3, Bullets: 2, Seed: seed, SpacingUM: 3.125, ShuffleLands: true, LandHeightUM: 300}
}

func TestBulletsDeterministic(t *testing.T) {
	a, err := Bullets(smallBullets(7))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bullets(smallBullets(7))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Bullets(smallBullets(8))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("lengths %d and %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Truth != b[i].Truth || a[i].Name != b[i].Name || !sameMaps(a[i].Surface, b[i].Surface) {
			t.Fatalf("scan %d (%s) differs between two runs with the same seed", i, a[i].Name)
		}
	}
	if sameMaps(a[0].Surface, c[0].Surface) {
		t.Error("seeds 7 and 8 gave the same first land")
	}
	// Barrel 1 does not depend on how many barrels the run has.
	cfg := smallBullets(7)
	cfg.Barrels = 1
	one, err := Bullets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		if one[i].Truth != a[i].Truth || !sameMaps(one[i].Surface, a[i].Surface) {
			t.Fatalf("scan %d of a one-barrel run differs from the three-barrel run", i)
		}
	}
}

func TestBulletsTruth(t *testing.T) {
	cfg := smallBullets(3)
	cfg.Lands = 5
	scans, err := Bullets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := cfg.Barrels * cfg.Bullets * cfg.Lands; len(scans) != want {
		t.Fatalf("%d scans, want %d", len(scans), want)
	}
	names := map[string]bool{}
	phases := map[int]bool{}
	for k := 0; k < len(scans); k += cfg.Lands {
		bullet := scans[k : k+cfg.Lands]
		phase := (bullet[0].Truth.BarrelLand - 1) % cfg.Lands
		phases[phase] = true
		for i, s := range bullet {
			tr := s.Truth
			if names[s.Name] {
				t.Errorf("duplicate name %s", s.Name)
			}
			names[s.Name] = true
			if s.Kind != KindBulletLand || tr.BulletID != bullet[0].Truth.BulletID || tr.ShotID != tr.BulletID {
				t.Errorf("%s: inconsistent kind or bullet id: %+v", s.Name, tr)
			}
			if tr.Land != i+1 {
				t.Errorf("%s: land %d, want scan index %d", s.Name, tr.Land, i+1)
			}
			if want := (i+phase)%cfg.Lands + 1; tr.BarrelLand != want {
				t.Errorf("%s: barrel land %d, want %d (a cyclic order)", s.Name, tr.BarrelLand, want)
			}
			if want := tr.SourceID + "-land-" + string(rune('0'+tr.BarrelLand)); tr.LandSourceID != want {
				t.Errorf("%s: land source %q, want %q", s.Name, tr.LandSourceID, want)
			}
		}
	}
	if len(phases) < 2 {
		t.Errorf("ShuffleLands gave the same phase to all %d bullets", len(scans)/cfg.Lands)
	}
}

func TestBulletsGeometry(t *testing.T) {
	for _, sp := range []float64{1.5, 1.5625, 3.125, 8} {
		cfg := BulletConfig{Barrels: 1, Bullets: 1, Lands: 1, SpacingUM: sp}
		scans, err := Bullets(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m := scans[0].Surface
		wantNX := int(math.Round(DefaultLandWidthUM / sp))
		wantNY := int(math.Round(DefaultLandHeightUM / sp))
		if m.NX != wantNX || m.NY != wantNY || m.DX != sp || m.DY != sp {
			t.Errorf("spacing %g: got %d×%d at %g×%g µm, want %d×%d", sp, m.NX, m.NY, m.DX, m.DY, wantNX, wantNY)
		}
		if f := m.ValidFraction(); f < 0.9 || f > 0.999 {
			t.Errorf("spacing %g: valid fraction %.3f, want 0.9–0.999 (dropouts on the shoulders only)", sp, f)
		}
		// Shoulders: after removing the land's curvature (a quadratic fitted to
		// the central 60 %), both outer ends stand well above the fit.
		prof := columnMeans(m, 0, m.NY)
		res := quadResidual(prof, int(0.2*float64(m.NX)), int(0.8*float64(m.NX)))
		edge := int(0.03 * float64(m.NX))
		left, right := nanMedian(res[:edge]), nanMedian(res[m.NX-edge:])
		if left < 10 || right < 10 {
			t.Errorf("spacing %g: shoulder rise %.1f µm left, %.1f µm right; want > 10", sp, left, right)
		}
		if mid := nanMedian(res[m.NX/2-edge : m.NX/2+edge]); math.Abs(mid) > 3 {
			t.Errorf("spacing %g: residual %.1f µm at the centre, want about 0", sp, mid)
		}
		// The true groove positions: flat just inside, fully risen 70 µm outside.
		tr := scans[0].Truth
		at := func(x float64) float64 {
			c := int(math.Round(x / sp))
			return nanMedian(res[max(0, c-2):min(m.NX, c+3)])
		}
		if in, out := at(tr.GrooveLeftUM+15), at(tr.GrooveLeftUM-70); math.Abs(in) > 4 || out < 20 {
			t.Errorf("spacing %g: left groove at %.0f µm: residual %.1f inside, %.1f outside", sp, tr.GrooveLeftUM, in, out)
		}
		if in, out := at(tr.GrooveRightUM-15), at(tr.GrooveRightUM+70); math.Abs(in) > 4 || out < 20 {
			t.Errorf("spacing %g: right groove at %.0f µm: residual %.1f inside, %.1f outside", sp, tr.GrooveRightUM, in, out)
		}
	}
}

func TestBulletsSameLandCorrelates(t *testing.T) {
	cfg := BulletConfig{Barrels: 3, Bullets: 3, Seed: 11, SpacingUM: 3.125, LandHeightUM: 200, ShuffleLands: true}
	scans, err := Bullets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sigs := make([][]float64, len(scans))
	for i, s := range scans {
		sigs[i] = signature(s.Surface)
	}
	maxLag := int(200 / cfg.SpacingUM)
	var pairs []metrics.Scored
	var same, diff []float64
	for i := range scans {
		for j := i + 1; j < len(scans); j++ {
			if scans[i].Truth.BulletID == scans[j].Truth.BulletID {
				continue
			}
			ccf := maxCCF(sigs[i], sigs[j], maxLag)
			km := scans[i].Truth.LandSourceID == scans[j].Truth.LandSourceID
			pairs = append(pairs, metrics.Scored{Score: ccf, Same: km})
			if km {
				same = append(same, ccf)
			} else {
				diff = append(diff, ccf)
			}
		}
	}
	auc := metrics.AUC(pairs)
	ms, md := mean(same), mean(diff)
	t.Logf("land CCF: KM mean %.3f (n=%d, min %.3f), KNM mean %.3f (n=%d, max %.3f), AUC %.4f",
		ms, len(same), slices.Min(same), md, len(diff), slices.Max(diff), auc)
	if ms < 0.6 || md > 0.45 || ms-md < 0.3 {
		t.Errorf("KM mean %.3f vs KNM mean %.3f: want KM ≥ 0.6, KNM ≤ 0.45, gap ≥ 0.3", ms, md)
	}
	if auc < 0.95 {
		t.Errorf("land AUC %.4f, want ≥ 0.95", auc)
	}
}

func TestBulletsShiftTruth(t *testing.T) {
	// Noise-free lands of one barrel land align at the lag the truth predicts.
	cfg := BulletConfig{Barrels: 1, Bullets: 4, Lands: 1, Seed: 9, SpacingUM: 2, LandHeightUM: 100, NoiseSNR: math.Inf(1)}
	scans, err := Bullets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := scans[0]
	for _, b := range scans[1:] {
		want := (a.Truth.ShiftXUM - b.Truth.ShiftXUM) / cfg.SpacingUM
		_, lag := bestLag(signature(a.Surface), signature(b.Surface), 100)
		if math.Abs(float64(lag)-want) > 1 {
			t.Errorf("%s vs %s: best lag %d samples, truth says %.1f", a.Name, b.Name, lag, want)
		}
	}
}

func TestBulletsSpacingKeepsMarks(t *testing.T) {
	// Without damage, one seed at two spacings scans the same bullets.
	gen := func(sp float64) []Scan {
		s, err := Bullets(BulletConfig{Barrels: 1, Bullets: 1, Lands: 2, Seed: 12, SpacingUM: sp, LandHeightUM: 120})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	fine, coarse := gen(2), gen(4)
	for i := range fine {
		tf, tc := fine[i].Truth, coarse[i].Truth
		if tf.ShiftXUM != tc.ShiftXUM || tf.GrooveLeftUM != tc.GrooveLeftUM || tf.LandSourceID != tc.LandSourceID {
			t.Errorf("land %d: truth differs between spacings: %+v vs %+v", i+1, tf, tc)
		}
		// Compare the fine signature decimated to the coarse grid.
		sf, sc := signature(fine[i].Surface), signature(coarse[i].Surface)
		n := min(len(sf)/2, len(sc))
		dec := make([]float64, n)
		for k := range dec {
			dec[k] = sf[2*k]
		}
		c, lag := bestLag(dec, sc[:n], 5)
		if c < 0.8 || lag != 0 {
			t.Errorf("land %d: 2 µm and 4 µm scans correlate %.3f at lag %d, want ≥ 0.8 at 0", i+1, c, lag)
		}
	}
}

func TestBulletsNoiseLowersCorrelation(t *testing.T) {
	// The same land of two bullets correlates less as the SNR falls.
	var prev = 2.0
	for _, snr := range []float64{math.Inf(1), 2.5, 0.7} {
		cfg := BulletConfig{Barrels: 1, Bullets: 2, Lands: 2, Seed: 5, SpacingUM: 3.125, LandHeightUM: 200, NoiseSNR: snr}
		scans, err := Bullets(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ccf := (maxCCF(signature(scans[0].Surface), signature(scans[2].Surface), 64) +
			maxCCF(signature(scans[1].Surface), signature(scans[3].Surface), 64)) / 2
		t.Logf("SNR %g: KM CCF %.3f", snr, ccf)
		if ccf >= prev {
			t.Errorf("SNR %g: CCF %.3f not below %.3f of the higher SNR", snr, ccf, prev)
		}
		prev = ccf
	}
}

func TestBulletsDamage(t *testing.T) {
	cfg := BulletConfig{Barrels: 2, Bullets: 4, Seed: 21, SpacingUM: 4, Damage: true}
	scans, err := Bullets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	broken := 0
	for _, s := range scans {
		m, h := s.Surface, s.Truth.BreakOffUM
		if h == 0 {
			continue
		}
		broken++
		// Every row below the break-off height is at least half missing,
		// and the row just above it is not (a cross-cut can start there).
		missing := func(k int) float64 { // share of row k above the base that is NaN
			n := 0
			for col := 0; col < m.NX; col++ {
				if math.IsNaN(m.At(col, m.NY-1-k)) {
					n++
				}
			}
			return float64(n) / float64(m.NX)
		}
		rows := int(math.Round(h / m.DY))
		for k := 0; k < rows; k++ {
			if f := missing(k); f < 0.5 {
				t.Errorf("%s: row %d above the base is %.0f%% missing, below the break-off at %.0f µm", s.Name, k, 100*f, h)
			}
		}
		if f := missing(rows); f >= 0.5 && f < 1 { // a later missing band may take the whole row
			t.Errorf("%s: the first row above the break-off at %.0f µm is %.0f%% missing", s.Name, h, 100*f)
		}
	}
	if broken == 0 || broken == len(scans) {
		t.Errorf("%d of %d lands broken off; want some but not all", broken, len(scans))
	}
}

func TestBulletConfigErrors(t *testing.T) {
	for _, c := range []BulletConfig{
		{Barrels: 0, Bullets: 1},
		{Barrels: 1, Bullets: 0},
		{Barrels: 1, Bullets: 1, Lands: -1},
		{Barrels: 1, Bullets: 1, SpacingUM: -1},
		{Barrels: 1, Bullets: 1, NoiseSNR: -2},
		{Barrels: 1, Bullets: 1, NoiseSNR: math.NaN()},
		{Barrels: 1, Bullets: 1, LandWidthUM: 5},
	} {
		if _, err := Bullets(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

// columnMeans averages rows [r0, r1) per column, ignoring NaN.
func columnMeans(m *surface.Map, r0, r1 int) []float64 {
	out := make([]float64, m.NX)
	for col := range out {
		var s float64
		n := 0
		for row := r0; row < r1; row++ {
			if v := m.At(col, row); !math.IsNaN(v) {
				s += v
				n++
			}
		}
		out[col] = math.NaN()
		if n > 0 {
			out[col] = s / float64(n)
		}
	}
	return out
}

// quadResidual fits a quadratic to v[lo:hi] and returns v minus the fit everywhere.
func quadResidual(v []float64, lo, hi int) []float64 {
	// Normal equations in t = i / len(v) for conditioning.
	var a [3][4]float64
	for i := lo; i < hi; i++ {
		if math.IsNaN(v[i]) {
			continue
		}
		t := float64(i) / float64(len(v))
		b := [3]float64{1, t, t * t}
		for r := range 3 {
			for c := range 3 {
				a[r][c] += b[r] * b[c]
			}
			a[r][3] += b[r] * v[i]
		}
	}
	for p := range 3 { // Gauss-Jordan
		for r := range 3 {
			if r != p {
				f := a[r][p] / a[p][p]
				for c := range 4 {
					a[r][c] -= f * a[p][c]
				}
			}
		}
	}
	out := make([]float64, len(v))
	for i := range v {
		t := float64(i) / float64(len(v))
		out[i] = v[i] - (a[0][3]/a[0][0] + a[1][3]/a[1][1]*t + a[2][3]/a[2][2]*t*t)
	}
	return out
}

// signature is a crude land signature: the mean of the rows in the middle
// third, restricted to the central 70 % of the columns, with the form (a
// quadratic) and waviness (a 60 µm moving average) removed.
func signature(m *surface.Map) []float64 {
	prof := columnMeans(m, m.NY/3, 2*m.NY/3)
	lo, hi := int(0.15*float64(m.NX)), int(0.85*float64(m.NX))
	res := quadResidual(prof, lo, hi)[lo:hi]
	w := max(1, int(30/m.DX))
	out := make([]float64, len(res))
	for i := range res {
		var s float64
		n := 0
		for k := max(0, i-w); k <= min(len(res)-1, i+w); k++ {
			if !math.IsNaN(res[k]) {
				s += res[k]
				n++
			}
		}
		out[i] = math.NaN()
		if n > 0 && !math.IsNaN(res[i]) {
			out[i] = res[i] - s/float64(n)
		}
	}
	return out
}

// maxCCF returns the largest correlation of a and b over lags within ±maxLag
// with at least 3/4 of the shorter length overlapping.
func maxCCF(a, b []float64, maxLag int) float64 {
	c, _ := bestLag(a, b, maxLag)
	return c
}

// bestLag returns the largest correlation of a[i] with b[i+lag] and its lag.
func bestLag(a, b []float64, maxLag int) (float64, int) {
	best, bestAt := -1.0, 0
	minOverlap := 3 * min(len(a), len(b)) / 4
	for lag := -maxLag; lag <= maxLag; lag++ {
		lo := max(0, -lag)
		hi := min(len(a), len(b)-lag)
		if hi-lo < minOverlap {
			continue
		}
		if c, n := pearson(a[lo:hi], b[lo+lag:hi+lag]); n >= minOverlap/2 && c > best {
			best, bestAt = c, lag
		}
	}
	return best, bestAt
}

func nanMedian(v []float64) float64 {
	var w []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			w = append(w, x)
		}
	}
	if len(w) == 0 {
		return math.NaN()
	}
	slices.Sort(w)
	return w[len(w)/2]
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
