package surface_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/x3p"
)

func readFadul(tb testing.TB, name string) *surface.Map {
	tb.Helper()
	dir := realdata.Dir(tb, "fadul")
	f, err := x3p.ReadFile(filepath.Join(dir, "fadulProcessed", name+".x3p"))
	if err != nil {
		tb.Fatal(err)
	}
	if f.Surface == nil {
		tb.Fatalf("%s: no surface", name)
	}
	return f.Surface
}

// TestFadulOperations runs the operations on a processed Fadul breech face
// (545×545 at 6.25 µm, 72.2 % NaN; values from scan_info.tsv).
func TestFadulOperations(t *testing.T) {
	m := readFadul(t, "Fadul 1-1")
	s := m.Stats()
	if m.NX != 545 || m.NY != 545 || math.Abs(m.DX-6.25) > 1e-9 {
		t.Fatalf("Fadul 1-1 is %d×%d at %g µm, want 545×545 at 6.25", m.NX, m.NY, m.DX)
	}
	if math.Abs(s.ValidFraction-(1-0.722)) > 0.001 || math.Abs(s.Min+8.917) > 0.001 || math.Abs(s.Max-9.664) > 0.001 {
		t.Fatalf("stats %+v, want valid 0.278, range −8.917…9.664 µm", s)
	}

	t.Run("band-pass keeps NaN and removes long waves", func(t *testing.T) {
		for _, f := range []surface.Filter{{}, {Kernel: surface.KernelCMCR}} {
			bp, err := f.BandPass(m, 16, 250)
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.Z {
				if math.IsNaN(m.Z[i]) != math.IsNaN(bp.Z[i]) || math.IsInf(bp.Z[i], 0) {
					t.Fatalf("%v: point %d: in %v, out %v", f.Kernel, i, m.Z[i], bp.Z[i])
				}
			}
			// Already band-passed 16–500 µm by cmcR: a 250 µm cut removes
			// some, not most, of the texture.
			if q := bp.Stats().Sq / s.Sq; q > 0.99 || q < 0.3 {
				t.Errorf("%v: Sq ratio %.3f after 16–250 µm band-pass", f.Kernel, q)
			}
		}
	})

	t.Run("rotation", func(t *testing.T) {
		r := m
		for range 4 {
			r = surface.Rotate(nil, r, 90, surface.Bilinear)
		}
		for i := range m.Z {
			if m.Z[i] != r.Z[i] && !(math.IsNaN(m.Z[i]) && math.IsNaN(r.Z[i])) {
				t.Fatalf("four quarter turns changed point %d: %v → %v", i, m.Z[i], r.Z[i])
			}
		}
		back := surface.Rotate(nil, surface.Rotate(nil, m, 27, surface.Bilinear), -27, surface.Bilinear)
		if c := correlation(m, back); c < 0.95 {
			t.Errorf("±27° round trip correlation %.3f", c)
		}
		// Bilinear grows each hole by up to a pixel per rotation; this scan's
		// valid region is a thin ring with a long edge.
		if lost := float64(m.ValidCount()-back.ValidCount()) / float64(m.ValidCount()); lost < 0 || lost > 0.08 {
			t.Errorf("±27° round trip lost %.3f of the valid points", lost)
		}
	})

	t.Run("plane", func(t *testing.T) {
		p, err := m.FitPlaneQuantile(0.5)
		if err != nil {
			t.Fatal(err)
		}
		// Processed scans are de-trended already: a slope of 1e-3 µm/µm
		// would be 3.4 µm across the map.
		if math.Abs(p.B) > 1e-3 || math.Abs(p.C) > 1e-3 {
			t.Errorf("median plane of a de-trended scan %+v", p)
		}
		tilted := m.SubtractPlane(surface.Plane{A: 3, B: -0.01, C: 0.02})
		got, err := tilted.FitPlaneQuantile(0.5)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.B-(p.B+0.01)) > 1e-6 || math.Abs(got.C-(p.C-0.02)) > 1e-6 {
			t.Errorf("added tilt not recovered: %+v vs %+v", got, p)
		}
	})

	t.Run("masks", func(t *testing.T) {
		cs, err := m.ValidMask().Not().Label(surface.Four)
		if err != nil {
			t.Fatal(err)
		}
		// In Fadul 1-1 the firing-pin hole merges with a large unmeasured
		// part of the breech face (the ring is open on the left), and the
		// ring touches the edges, so the exterior is four corner pieces.
		ext := cs.At(0, 0)
		hole := cs.At(272, 272)
		if ext == 0 || hole == 0 || ext == hole {
			t.Fatalf("exterior label %d, centre label %d", ext, hole)
		}
		h := cs.Parts[hole-1]
		if big, _ := cs.Largest(); big.Label != hole || h.MinCol > 272 || h.MaxCol < 272 || h.MinRow > 272 || h.MaxRow < 272 {
			t.Errorf("centre component %+v is not the largest (%+v) or misses the centre", h, big)
		}
		if n := cs.Parts[ext-1].Size; n < 10000 || n > 20000 {
			t.Errorf("top-left exterior piece has %d points, want ≈ 16000", n)
		}
		e, err := m.Erode(50)
		if err != nil {
			t.Fatal(err)
		}
		if e.ValidCount() >= m.ValidCount() || e.ValidCount() < m.ValidCount()/3 {
			t.Errorf("eroding 50 µm kept %d of %d points", e.ValidCount(), m.ValidCount())
		}
	})
}

func correlation(a, b *surface.Map) float64 {
	var sa, sb, saa, sbb, sab, n float64
	for i := range a.Z {
		x, y := a.Z[i], b.Z[i]
		if math.IsNaN(x) || math.IsNaN(y) {
			continue
		}
		n++
		sa += x
		sb += y
		saa += x * x
		sbb += y * y
		sab += x * y
	}
	return (sab/n - sa/n*sb/n) / math.Sqrt((saa/n-sa*sa/n/n)*(sbb/n-sb*sb/n/n))
}
