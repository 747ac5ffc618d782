package surface

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randomMap(nx, ny int, seed uint64, nanFrac float64) *Map {
	rng := rand.New(rand.NewPCG(seed, 3))
	m := New(nx, ny, 2, 2)
	for i := range m.Z {
		if rng.Float64() >= nanFrac {
			m.Z[i] = rng.NormFloat64()
		}
	}
	return m
}

func TestRotateQuarterTurnsExact(t *testing.T) {
	for _, n := range []int{6, 7} {
		m := randomMap(n, n, 1, 0.2)
		for _, mode := range []Interp{Bilinear, Nearest} {
			for _, tc := range []struct {
				deg float64
				// src returns the source column, row of output (c, r).
				src func(c, r int) (int, int)
			}{
				{0, func(c, r int) (int, int) { return c, r }},
				{90, func(c, r int) (int, int) { return n - 1 - r, c }},
				{-270, func(c, r int) (int, int) { return n - 1 - r, c }},
				{180, func(c, r int) (int, int) { return n - 1 - c, n - 1 - r }},
				{270, func(c, r int) (int, int) { return r, n - 1 - c }},
				{-90, func(c, r int) (int, int) { return r, n - 1 - c }},
				{720, func(c, r int) (int, int) { return c, r }},
			} {
				out := Rotate(nil, m, tc.deg, mode)
				for r := 0; r < n; r++ {
					for c := 0; c < n; c++ {
						sc, sr := tc.src(c, r)
						got, want := out.At(c, r), m.At(sc, sr)
						if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
							t.Fatalf("n=%d %v %g°: out(%d,%d) = %v, want in(%d,%d) = %v", n, mode, tc.deg, c, r, got, sc, sr, want)
						}
					}
				}
			}
		}
	}
}

func TestRotateDirection(t *testing.T) {
	// A bright point right of the centre moves above it (smaller row) at +90°
	// (counter-clockwise with row 0 at the top) and to about 45° up-right at
	// +45°.
	m := New(21, 21, 1, 1)
	for i := range m.Z {
		m.Z[i] = 0
	}
	m.Set(18, 10, 1)
	out := Rotate(nil, m, 90, Nearest)
	if out.At(10, 2) != 1 {
		t.Errorf("+90°: point not at column 10, row 2")
	}
	out = Rotate(nil, m, 45, Bilinear)
	bc, br, best := 0, 0, 0.0
	for r := 0; r < 21; r++ {
		for c := 0; c < 21; c++ {
			if v := out.At(c, r); v > best {
				bc, br, best = c, r, v
			}
		}
	}
	if want := 10 + 8/math.Sqrt2; math.Abs(float64(bc)-want) > 1 || math.Abs(float64(br)-(20-want)) > 1 {
		t.Errorf("+45°: peak at column %d row %d, want ≈ %.1f, %.1f", bc, br, want, 20-want)
	}
}

func TestRotateInterpolatesPlane(t *testing.T) {
	// A plane rotated by θ is a plane with the rotated gradient; bilinear
	// interpolation reproduces planes exactly (to rounding) inside the map.
	const n = 41
	m := fill(n, n, 1, func(x, y float64) float64 { return 3*x - 2*y })
	c0 := float64(n-1) / 2
	for _, deg := range []float64{17, -33.3, 128} {
		out := Rotate(nil, m, deg, Bilinear)
		s, co := math.Sincos(deg * math.Pi / 180)
		valid := 0
		for r := 0; r < n; r++ {
			for c := 0; c < n; c++ {
				v := out.At(c, r)
				u, w := float64(c)-c0, float64(r)-c0
				sx, sy := c0+u*co-w*s, c0+u*s+w*co
				inside := sx >= 0 && sy >= 0 && sx <= n-1 && sy <= n-1
				if inside != !math.IsNaN(v) {
					t.Fatalf("%g°: (%d,%d) NaN=%v but source inside=%v", deg, c, r, math.IsNaN(v), inside)
				}
				if inside {
					valid++
					if want := 3*sx - 2*sy; math.Abs(v-want) > 1e-9 {
						t.Fatalf("%g°: (%d,%d) = %v, want %v", deg, c, r, v, want)
					}
				}
			}
		}
		if valid < n*n/2 {
			t.Fatalf("%g°: only %d valid points", deg, valid)
		}
	}
}

func TestRotateNaNStaysNaN(t *testing.T) {
	m := fill(50, 50, 1, func(x, y float64) float64 { return math.Sin(x / 3) })
	punchHoles(m, 0, 30, 20, 6, 1)
	for _, mode := range []Interp{Bilinear, Nearest} {
		for _, deg := range []float64{5, 33, -71} {
			out := Rotate(nil, m, deg, mode)
			// The hole's rotated centre must be NaN, and the rotation back
			// must keep the hole.
			back := Rotate(nil, out, -deg, mode)
			for r := 17; r <= 23; r++ {
				for c := 27; c <= 33; c++ {
					if !math.IsNaN(back.At(c, r)) {
						t.Fatalf("%v %g°: hole point (%d,%d) filled after round trip", mode, deg, c, r)
					}
				}
			}
		}
	}
}

func TestRotateDstReuse(t *testing.T) {
	m := randomMap(30, 20, 4, 0.1)
	want := RotateAbout(nil, m, 12, 3, 4, Bilinear)
	dst := New(30, 20, 1, 1)
	got := RotateAbout(dst, m, 12, 3, 4, Bilinear)
	if got != dst {
		t.Fatal("dst not returned")
	}
	sameNaN(t, "reuse", want, got)
	for i := range want.Z {
		if !math.IsNaN(want.Z[i]) && want.Z[i] != got.Z[i] {
			t.Fatalf("reuse differs at %d", i)
		}
	}
	if got.DX != m.DX {
		t.Fatalf("dst spacing %v, want %v", got.DX, m.DX)
	}
	defer func() {
		if recover() == nil {
			t.Error("wrong-size dst did not panic")
		}
	}()
	RotateAbout(New(3, 3, 1, 1), m, 12, 3, 4, Bilinear)
}

func BenchmarkRotate545Bilinear(b *testing.B) { benchRotate(b, Bilinear) }
func BenchmarkRotate545Nearest(b *testing.B)  { benchRotate(b, Nearest) }

func benchRotate(b *testing.B, mode Interp) {
	m := annulus(545, 6.25, 1)
	dst := New(545, 545, 6.25, 6.25)
	deg := 0.0
	for b.Loop() {
		deg += 3.7
		Rotate(dst, m, deg, mode)
	}
}

// TestRotateMatchesReference compares RotateAbout with a direct per-point
// evaluation at many angles and centres, including centres off the map, so
// the per-row column range can never drop or add points.
func TestRotateMatchesReference(t *testing.T) {
	m := randomMap(31, 23, 9, 0.1)
	for _, deg := range []float64{0.5, 1e-9, 45, 89.999, 90, 135, 181, -2, 300} {
		for _, ctr := range [][2]float64{{15, 11}, {0, 0}, {30.5, -4}, {-20, 50}} {
			s, co := exactSinCos(deg)
			for _, mode := range []Interp{Bilinear, Nearest} {
				out := RotateAbout(nil, m, deg, ctr[0], ctr[1], mode)
				for r := 0; r < m.NY; r++ {
					for c := 0; c < m.NX; c++ {
						u, v := float64(c)-ctr[0], float64(r)-ctr[1]
						x, y := ctr[0]+u*co-v*s, ctr[1]+u*s+v*co
						var want float64
						if mode == Nearest {
							xi, yi := math.Round(x), math.Round(y)
							want = math.NaN()
							if xi >= 0 && yi >= 0 && xi < float64(m.NX) && yi < float64(m.NY) {
								want = m.At(int(xi), int(yi))
							}
						} else {
							want = m.bilinear(x, y)
						}
						got := out.At(c, r)
						if math.IsNaN(got) != math.IsNaN(want) || (!math.IsNaN(got) && math.Abs(got-want) > 1e-12) {
							t.Fatalf("%v %g° about %v: (%d,%d) = %v, want %v", mode, deg, ctr, c, r, got, want)
						}
					}
				}
			}
		}
	}
}
