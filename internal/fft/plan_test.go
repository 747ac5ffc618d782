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
