package surface

import (
	"math"
	"testing"
)

func TestCropAndTrim(t *testing.T) {
	m := New(8, 6, 2, 3)
	m.X0, m.Y0 = 10, 20
	for r := 1; r <= 3; r++ {
		for c := 2; c <= 6; c++ {
			m.Set(c, r, float64(10*r+c))
		}
	}
	m.Set(4, 2, math.NaN())
	tr, c0, r0 := m.TrimNaN()
	if c0 != 2 || r0 != 1 || tr.NX != 5 || tr.NY != 3 {
		t.Fatalf("TrimNaN: %d×%d at %d,%d, want 5×3 at 2,1", tr.NX, tr.NY, c0, r0)
	}
	if tr.X0 != 14 || tr.Y0 != 23 || tr.At(0, 0) != 12 || tr.At(4, 2) != 36 || !math.IsNaN(tr.At(2, 1)) {
		t.Fatalf("TrimNaN content/origin wrong: %+v", tr)
	}
	tr.Set(0, 0, -1)
	if m.At(2, 1) != 12 {
		t.Fatal("TrimNaN aliases its input")
	}

	empty, c0, r0 := New(4, 4, 1, 1).TrimNaN()
	if empty.NX != 0 || empty.NY != 0 || c0 != 0 || r0 != 0 {
		t.Fatalf("all-NaN TrimNaN: %d×%d at %d,%d", empty.NX, empty.NY, c0, r0)
	}

	for _, tc := range []struct {
		x, y, w, h int
		ok         bool
	}{
		{0, 0, 8, 6, true}, {7, 5, 1, 1, true}, {3, 3, 0, 0, true},
		{-1, 0, 2, 2, false}, {0, 0, 9, 1, false}, {5, 4, 3, 3, false}, {0, 0, -1, 2, false},
	} {
		c, err := m.Crop(tc.x, tc.y, tc.w, tc.h)
		if (err == nil) != tc.ok {
			t.Errorf("Crop(%d,%d,%d,%d): err %v, want ok=%v", tc.x, tc.y, tc.w, tc.h, err, tc.ok)
			continue
		}
		if tc.ok && tc.w > 0 && tc.h > 0 {
			if c.NX != tc.w || c.NY != tc.h || c.X0 != 10+2*float64(tc.x) || c.Y0 != 20+3*float64(tc.y) {
				t.Errorf("Crop(%d,%d,%d,%d) geometry %+v", tc.x, tc.y, tc.w, tc.h, c)
			}
			a, b := c.At(tc.w-1, tc.h-1), m.At(tc.x+tc.w-1, tc.y+tc.h-1)
			if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
				t.Errorf("Crop(%d,%d,%d,%d) corner %v, want %v", tc.x, tc.y, tc.w, tc.h, a, b)
			}
		}
	}

	// µm crop: x in [14, 20) → columns 2, 3, 4; y in [23, 29.5) → rows 1, 2, 3.
	c, err := m.CropMicrons(14, 23, 6, 6.5)
	if err != nil || c.NX != 3 || c.NY != 3 || c.At(0, 0) != 12 {
		t.Fatalf("CropMicrons: %+v %v", c, err)
	}
	if c, err := m.CropMicrons(-100, -100, 50, 50); err != nil || c.NX != 0 {
		t.Fatalf("CropMicrons outside: %+v %v", c, err)
	}
	if _, err := m.CropMicrons(math.NaN(), 0, 1, 1); err == nil {
		t.Fatal("CropMicrons NaN accepted")
	}
}

func TestDecimate(t *testing.T) {
	m := fill(7, 5, 3.125, func(x, y float64) float64 { return x + 100*y })
	m.Set(2, 2, math.NaN())
	d, err := m.Decimate(2)
	if err != nil {
		t.Fatal(err)
	}
	if d.NX != 4 || d.NY != 3 || d.DX != 6.25 || d.DY != 6.25 {
		t.Fatalf("geometry %d×%d at %g×%g", d.NX, d.NY, d.DX, d.DY)
	}
	for r := 0; r < d.NY; r++ {
		for c := 0; c < d.NX; c++ {
			got, want := d.At(c, r), m.At(2*c, 2*r)
			if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("(%d,%d) = %v, want %v", c, r, got, want)
			}
		}
	}
	if _, err := m.Decimate(0); err == nil {
		t.Fatal("factor 0 accepted")
	}
}

func TestResample(t *testing.T) {
	// Bilinear resampling reproduces a plane exactly; holes stay holes.
	m := fill(41, 31, 2, func(x, y float64) float64 { return 0.5*x - 0.25*y + 3 })
	m.Set(10, 10, math.NaN())
	up, err := m.Interpolate(0.5, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if up.NX != 161 || up.NY != 121 {
		t.Fatalf("upsampled to %d×%d, want 161×121", up.NX, up.NY)
	}
	for r := 0; r < up.NY; r++ {
		for c := 0; c < up.NX; c++ {
			v := up.At(c, r)
			x, y := float64(c)*0.5, float64(r)*0.5
			nearHole := math.Abs(x-20) < 2 && math.Abs(y-20) < 2
			if nearHole != math.IsNaN(v) {
				t.Fatalf("(%g,%g) µm NaN=%v, want %v", x, y, math.IsNaN(v), nearHole)
			}
			if !nearHole && math.Abs(v-(0.5*x-0.25*y+3)) > 1e-9 {
				t.Fatalf("(%g,%g) µm = %v", x, y, v)
			}
		}
	}
	// Downsampling filters first (cut-off twice the new spacing): a 4 µm
	// sine, beyond the new 6 µm Nyquist wavelength, is attenuated to
	// 0.5^((6/4)²) ≈ 0.21 instead of aliasing at full amplitude.
	k := 2 * math.Pi / 4
	s := fill(400, 4, 1, func(x, y float64) float64 { return math.Sin(k * x) })
	down, err := s.Resample(3, 3)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := s.Interpolate(3, 3)
	peak := func(m *Map) float64 {
		p := 0.0
		for c := 30; c < m.NX-30; c++ {
			p = max(p, math.Abs(m.At(c, 0)))
		}
		return p
	}
	if want := math.Pow(0.5, 2.25); peak(raw) < 0.9 || math.Abs(peak(down)-want) > 0.02 {
		t.Errorf("aliased amplitude %.3f without and %.3f with anti-alias filter", peak(raw), peak(down))
	}
	if _, err := m.Resample(0, 1); err == nil {
		t.Error("zero spacing accepted")
	}
}
