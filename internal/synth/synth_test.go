package synth

import (
	"math"
	"testing"

	"github.com/tracemark/tracemark/internal/surface"
)

// sameMaps reports whether a and b are bit-identical, NaNs included.
func sameMaps(a, b *surface.Map) bool {
	if a.NX != b.NX || a.NY != b.NY || a.DX != b.DX || a.DY != b.DY || len(a.Z) != len(b.Z) {
		return false
	}
	for i := range a.Z {
		if math.Float64bits(a.Z[i]) != math.Float64bits(b.Z[i]) {
			return false
		}
	}
	return true
}

// pearson returns the correlation of the pairs of x and y where both are finite
// and the number of such pairs.
func pearson(x, y []float64) (float64, int) {
	var sx, sy, sxx, syy, sxy float64
	n := 0
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
		sxy += x[i] * y[i]
		n++
	}
	if n < 3 {
		return 0, n
	}
	fn := float64(n)
	cov := sxy - sx*sy/fn
	vx, vy := sxx-sx*sx/fn, syy-sy*sy/fn
	if vx <= 0 || vy <= 0 {
		return 0, n
	}
	return cov / math.Sqrt(vx*vy), n
}

func TestRelativePose(t *testing.T) {
	// A breech-face point q seen in scans a and b must map from p_a to p_b.
	a := Truth{RotationDeg: 17, ShiftXUM: 40, ShiftYUM: -120}
	b := Truth{RotationDeg: -23, ShiftXUM: -150, ShiftYUM: 60}
	rot := func(deg, x, y float64) (float64, float64) {
		s, c := math.Sincos(deg * math.Pi / 180)
		return c*x - s*y, s*x + c*y
	}
	th, dx, dy := RelativePose(a, b)
	for _, pa := range [][2]float64{{0, 0}, {300, -50}, {-800, 900}} {
		qx, qy := rot(a.RotationDeg, pa[0], pa[1])
		qx, qy = qx+a.ShiftXUM, qy+a.ShiftYUM
		// Invert b's pose: p_b = R(−θb)(q − tb).
		wantX, wantY := rot(-b.RotationDeg, qx-b.ShiftXUM, qy-b.ShiftYUM)
		gx, gy := rot(th, pa[0], pa[1])
		gx, gy = gx+dx, gy+dy
		if math.Abs(gx-wantX) > 1e-9 || math.Abs(gy-wantY) > 1e-9 {
			t.Errorf("p_a=%v: got (%g, %g), want (%g, %g)", pa, gx, gy, wantX, wantY)
		}
	}
}

func TestBandFieldSpectrum(t *testing.T) {
	// A field band-limited to 16–250 µm must carry almost no power at 8 µm
	// wavelength and below: compare differences between neighbours (which
	// see short wavelengths) with the field's RMS.
	const n, dx = 128, 2.0
	v := bandField(newRand(1, 99), n, n, dx, 16, 250, 2.5)
	var s, ss float64
	for _, x := range v {
		s += x
		ss += x * x
	}
	if mean := s / float64(len(v)); math.Abs(mean) > 1e-9 {
		t.Errorf("mean %g, want 0", mean)
	}
	if rms := math.Sqrt(ss / float64(len(v))); math.Abs(rms-1) > 1e-9 {
		t.Errorf("rms %g, want 1", rms)
	}
	var dd float64
	for r := 0; r < n; r++ {
		for c := 0; c+1 < n; c++ {
			d := v[r*n+c+1] - v[r*n+c]
			dd += d * d
		}
	}
	if rmsDiff := math.Sqrt(dd / float64(n*(n-1))); rmsDiff > 0.3 {
		t.Errorf("neighbour-difference RMS %g of a unit field: too much short-wavelength power", rmsDiff)
	}
}
