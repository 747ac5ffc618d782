package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// naiveDFT2 is the textbook O(n⁴) transform used as the reference.
func naiveDFT2(x []float64, rows, cols int) []complex128 {
	out := make([]complex128, rows*cols)
	for u := 0; u < rows; u++ {
		for v := 0; v < cols; v++ {
			var s complex128
			for r := 0; r < rows; r++ {
				for c := 0; c < cols; c++ {
					ang := -2 * math.Pi * (float64(u*r)/float64(rows) + float64(v*c)/float64(cols))
					s += complex(x[r*cols+c], 0) * cmplx.Exp(complex(0, ang))
				}
			}
			out[u*cols+v] = s
		}
	}
	return out
}

func TestPlan2DMatchesNaiveDFT(t *testing.T) {
	const tol = 1e-9
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {5, 4}, {6, 7}, {8, 8}, {9, 10}} {
		rows, cols := sz[0], sz[1]
		x := make([]float64, rows*cols)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		p := NewPlan2D(rows, cols)
		got := p.Forward(nil, x)
		want := naiveDFT2(x, rows, cols)
		half := cols/2 + 1
		for u := 0; u < rows; u++ {
			for v := 0; v < half; v++ {
				if d := cmplx.Abs(got[u*half+v] - want[u*cols+v]); d > tol {
					t.Fatalf("%dx%d: coefficient (%d,%d) = %v, want %v", rows, cols, u, v, got[u*half+v], want[u*cols+v])
				}
			}
		}
		back := p.Inverse(nil, got)
		for i := range x {
			if math.Abs(back[i]-x[i]) > tol {
				t.Fatalf("%dx%d: round trip [%d] = %g, want %g", rows, cols, i, back[i], x[i])
			}
		}
	}
}

func TestGoodSize(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 1}, {1, 1}, {7, 8}, {11, 12}, {13, 15}, {17, 18}, {257, 270}, {545, 576}} {
		if got := GoodSize(c.in); got != c.want {
			t.Errorf("GoodSize(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func naiveDFT1(x []float64) []complex128 {
	n := len(x)
	out := make([]complex128, n)
	for k := range n {
		var s complex128
		for j, v := range x {
			s += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64((j*k)%n)/float64(n)))
		}
		out[k] = s
	}
	return out
}

func TestPlan1DMatchesNaiveDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for n := 1; n <= 130; n++ {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		p := NewPlan1D(n)
		got := p.Forward(nil, x)
		want := naiveDFT1(x)
		for k := range got {
			if d := cmplx.Abs(got[k] - want[k]); d > 1e-9 {
				t.Fatalf("n=%d: coefficient %d = %v, want %v", n, k, got[k], want[k])
			}
		}
		back := p.Inverse(nil, got)
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-12 {
				t.Fatalf("n=%d: round trip [%d] = %g, want %g", n, i, back[i], x[i])
			}
		}
	}
}

// Round trips and agreement with the gonum reference for many sizes,
// including odd, prime and the GoodSize ones the correlators use.
func TestPlan2DMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	sizes := [][2]int{{1, 2}, {3, 1}, {16, 16}, {7, 11}, {13, 26}, {30, 45}, {64, 50}, {49, 121},
		{96, 100}, {128, 128}, {135, 144}, {270, 270}, {288, 288}, {243, 250}, {17, 289}}
	for _, sz := range sizes {
		rows, cols := sz[0], sz[1]
		x := make([]float64, rows*cols)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		// Zero rows exercise the skipped blocks.
		for i := range min(rows/3, rows) * cols {
			x[len(x)-1-i] = 0
		}
		p := NewPlan2D(rows, cols)
		g := newGonumPlan2D(rows, cols)
		got := p.Forward(nil, x)
		want := g.Forward(make([]complex128, p.SpectrumLen()), x)
		scale := math.Sqrt(float64(rows * cols))
		for i := range got {
			if d := cmplx.Abs(got[i] - want[i]); d > 1e-11*scale {
				t.Fatalf("%dx%d: coefficient %d = %v, gonum %v", rows, cols, i, got[i], want[i])
			}
		}
		back := p.Inverse(nil, got)
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-12 {
				t.Fatalf("%dx%d: round trip [%d] = %g, want %g", rows, cols, i, back[i], x[i])
			}
		}
	}
}

func TestPlanAllocs(t *testing.T) {
	p := NewPlan2D(60, 48)
	x := make([]float64, 60*48)
	x[5] = 1
	spec := make([]complex128, p.SpectrumLen())
	if n := testing.AllocsPerRun(3, func() { p.Inverse(x, p.Forward(spec, x)) }); n != 0 {
		t.Errorf("Plan2D: %v allocations per round trip", n)
	}
	q := NewPlan1D(90)
	y := make([]float64, 90)
	s1 := make([]complex128, 46)
	if n := testing.AllocsPerRun(3, func() { q.Inverse(y, q.Forward(s1, y)) }); n != 0 {
		t.Errorf("Plan1D: %v allocations per round trip", n)
	}
}

// The assembly butterflies (amd64: AVX for even widths when the CPU has it,
// SSE2 otherwise) and the Go ones give the same transform,
// so the Go path, which other architectures run, stays tested here too.
func TestKernelAsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{2, 3, 4, 5, 8, 12, 15, 16, 30, 40, 45, 60, 64, 75, 96, 120, 125, 240, 243, 250, 256, 288} {
		for _, V := range []int{1, 2, 3, 4, 8, 13, 16} {
			withAsm, sse, pure := newCplan(n), newCplan(n), newCplan(n)
			for k := range pure.passes {
				pure.passes[k].asm = false
				sse.passes[k].avx = false
			}
			x := make([]complex128, n*V)
			for i := range x {
				x[i] = complex(rng.NormFloat64(), rng.NormFloat64())
			}
			a := withAsm.transform(append([]complex128(nil), x...), make([]complex128, n*V), V)
			b := pure.transform(append([]complex128(nil), x...), make([]complex128, n*V), V)
			c := sse.transform(append([]complex128(nil), x...), make([]complex128, n*V), V)
			for i := range a {
				if d := cmplx.Abs(a[i] - b[i]); d > 1e-12*math.Sqrt(float64(n)) {
					t.Fatalf("n=%d V=%d: element %d: asm %v, Go %v", n, V, i, a[i], b[i])
				}
				if d := cmplx.Abs(c[i] - b[i]); d > 1e-12*math.Sqrt(float64(n)) {
					t.Fatalf("n=%d V=%d: element %d: SSE2 %v, Go %v", n, V, i, c[i], b[i])
				}
			}
		}
	}
}

func TestMulSpectra(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	for _, n := range []int{0, 1, 2, 3, 8, 101} {
		a, b, got := make([]complex128, n), make([]complex128, n), make([]complex128, n)
		for i := range a {
			a[i] = complex(rng.NormFloat64(), rng.NormFloat64())
			b[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		mulSpectra(got, a, b)
		for i := range got {
			if d := cmplx.Abs(got[i] - a[i]*b[i]); d > 1e-15 {
				t.Fatalf("n=%d: [%d] = %v, want %v", n, i, got[i], a[i]*b[i])
			}
		}
	}
}

// TestOnlyRows: a pruned inverse gives the full inverse's values on the
// rows asked for, and nil restores full inverses.
func TestOnlyRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const rows, cols = 64, 48
	x := make([]float64, rows*cols)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	p := NewPlan2D(rows, cols)
	want := p.Inverse(nil, p.Forward(nil, x))
	wanted := []int{0, 5, 14, 50, 63}
	p.OnlyRows(wanted)
	got := p.Inverse(nil, p.Forward(nil, x))
	for _, row := range wanted {
		for c := range cols {
			if d := math.Abs(got[row*cols+c] - want[row*cols+c]); d > 1e-12 {
				t.Fatalf("row %d col %d: %g, want %g", row, c, got[row*cols+c], want[row*cols+c])
			}
		}
	}
	skipped := 0
	for row := 16; row < 48; row++ {
		if got[row*cols] == 0 {
			skipped++
		}
	}
	if skipped == 0 {
		t.Error("rows 16–47 were computed although no row of their blocks was asked for")
	}
	p.OnlyRows(nil)
	got = p.Inverse(nil, p.Forward(nil, x))
	for i := range got {
		if math.Abs(got[i]-x[i]) > 1e-12 {
			t.Fatalf("after OnlyRows(nil): value %d = %g, want %g", i, got[i], x[i])
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("OnlyRows accepted a row outside the plan")
		}
	}()
	p.OnlyRows([]int{rows})
}
