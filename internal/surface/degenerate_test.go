package surface

import (
	"math"
	"testing"
)

// TestDegenerateMaps runs every operation on empty, single-point, single-row
// and all-NaN maps: none may panic, and NaN must not turn into heights.
func TestDegenerateMaps(t *testing.T) {
	one := New(1, 1, 1, 1)
	one.Z[0] = 2
	row := fill(9, 1, 1, func(x, y float64) float64 { return x })
	col := fill(1, 9, 1, func(x, y float64) float64 { return y })
	for name, m := range map[string]*Map{
		"empty": New(0, 0, 1, 1), "one": one, "row": row, "col": col, "all NaN": New(5, 4, 1, 1),
	} {
		valid := m.ValidCount()
		check := func(op string, out *Map, err error) {
			t.Helper()
			if err != nil {
				t.Errorf("%s %s: %v", name, op, err)
				return
			}
			if out.ValidCount() > valid && op != "interpolate" {
				t.Errorf("%s %s: %d valid points from %d", name, op, out.ValidCount(), valid)
			}
		}
		for _, f := range []Filter{{}, {Kernel: KernelCMCR}} {
			out, err := f.BandPass(m, 2, 10)
			check("band-pass "+f.Kernel.String(), out, err)
			out, err = f.HighPass(m, 10)
			check("high-pass "+f.Kernel.String(), out, err)
		}
		check("rotate", Rotate(nil, m, 33, Bilinear), nil)
		check("rotate nearest", RotateAbout(nil, m, -90, 0, 0, Nearest), nil)
		for _, bad := range []float64{math.NaN(), math.Inf(1)} {
			if out := RotateAbout(nil, m, bad, 1, 1, Bilinear); out.ValidCount() != 0 {
				t.Errorf("%s: rotation by %v left %d valid points", name, bad, out.ValidCount())
			}
			if out := RotateAbout(nil, m, 10, bad, 1, Nearest); out.ValidCount() != 0 {
				t.Errorf("%s: rotation about column %v left %d valid points", name, bad, out.ValidCount())
			}
		}
		out, err := m.Decimate(3)
		check("decimate", out, err)
		out, err = m.Resample(0.7, 2.5)
		check("interpolate", out, err)
		out, err = m.Erode(1.5)
		check("erode", out, err)
		tr, _, _ := m.TrimNaN()
		check("trim", tr, nil)
		if s := m.Stats(); math.IsNaN(s.Mean + s.Sq + s.Sa + s.Min + s.Max + s.ValidFraction) {
			t.Errorf("%s: NaN in stats %+v", name, s)
		}
		z, mean, sd := m.Standardise()
		check("standardise", z, nil)
		if math.IsNaN(mean + sd) {
			t.Errorf("%s: standardise mean %v sd %v", name, mean, sd)
		}
		if _, err := m.FitPlane(); err == nil && valid < 3 {
			t.Errorf("%s: plane fitted to %d points", name, valid)
		}
		if _, err := m.ValidMask().Label(Eight); err != nil {
			t.Errorf("%s: label: %v", name, err)
		}
		m.ValidMask().Dilate(2)
	}
}
