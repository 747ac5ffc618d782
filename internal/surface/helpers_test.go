package surface

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fill returns an nx×ny map at spacing d µm with z = f(x, y) for x, y in µm
// from the origin.
func fill(nx, ny int, d float64, f func(x, y float64) float64) *Map {
	m := New(nx, ny, d, d)
	for r := 0; r < ny; r++ {
		for c := 0; c < nx; c++ {
			m.Set(c, r, f(float64(c)*d, float64(r)*d))
		}
	}
	return m
}

// punchHoles sets to NaN a random share frac of m's points and a disk of
// radius rad pixels around (cx, cy).
func punchHoles(m *Map, frac float64, cx, cy, rad float64, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for r := 0; r < m.NY; r++ {
		for c := 0; c < m.NX; c++ {
			dx, dy := float64(c)-cx, float64(r)-cy
			if rng.Float64() < frac || dx*dx+dy*dy <= rad*rad {
				m.Set(c, r, math.NaN())
			}
		}
	}
}

// annulus returns a size×size map at spacing d µm of band-limited random
// heights plus a tilt, valid only inside an annulus (outer radius
// 0.40·size, inner 0.19·size): about 61 % NaN, like a breech-face scan.
func annulus(size int, d float64, seed uint64) *Map {
	rng := rand.New(rand.NewPCG(seed, 2))
	type wave struct{ kx, ky, ph, a float64 }
	waves := make([]wave, 40)
	for i := range waves {
		lambda := 20 + 400*rng.Float64()
		th := 2 * math.Pi * rng.Float64()
		waves[i] = wave{2 * math.Pi / lambda * math.Cos(th), 2 * math.Pi / lambda * math.Sin(th), 2 * math.Pi * rng.Float64(), rng.Float64()}
	}
	m := New(size, size, d, d)
	c0 := float64(size-1) / 2
	for r := 0; r < size; r++ {
		for c := 0; c < size; c++ {
			rr := math.Hypot(float64(c)-c0, float64(r)-c0) / float64(size)
			if rr > 0.40 || rr < 0.19 {
				continue
			}
			x, y := float64(c)*d, float64(r)*d
			z := 0.002*x - 0.001*y + rng.NormFloat64()*0.05
			for _, w := range waves {
				z += w.a * math.Sin(w.kx*x+w.ky*y+w.ph)
			}
			m.Set(c, r, z)
		}
	}
	return m
}

// sameNaN fails unless a and b are NaN at exactly the same points.
func sameNaN(t *testing.T, what string, a, b *Map) {
	t.Helper()
	if len(a.Z) != len(b.Z) {
		t.Fatalf("%s: %d points, want %d", what, len(b.Z), len(a.Z))
	}
	for i := range a.Z {
		if math.IsNaN(a.Z[i]) != math.IsNaN(b.Z[i]) {
			t.Fatalf("%s: point %d (col %d, row %d) NaN %v, want %v", what, i, i%a.NX, i/a.NX, math.IsNaN(b.Z[i]), math.IsNaN(a.Z[i]))
		}
	}
}
