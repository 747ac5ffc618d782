package fft

import "fmt"

// Plan1D computes forward and inverse FFTs of real arrays of one length,
// with the same conventions as Plan2D: Forward is unnormalised and returns
// n/2+1 coefficients; Inverse divides by n. It is not safe for concurrent
// use.
type Plan1D struct {
	n    int
	r    *rplan
	a, b []complex128
}

// NewPlan1D returns a plan for real arrays of length n > 0.
func NewPlan1D(n int) *Plan1D {
	if n <= 0 {
		panic(fmt.Sprintf("fft: bad length %d", n))
	}
	r := newRplan(n)
	return &Plan1D{n: n, r: r, a: make([]complex128, r.clen()), b: make([]complex128, r.clen())}
}

// Len returns the plan's length.
func (p *Plan1D) Len() int { return p.n }

// Forward writes the n/2+1 coefficients of src into dst (nil allocates) and
// returns it.
func (p *Plan1D) Forward(dst []complex128, src []float64) []complex128 {
	if len(src) != p.n {
		panic(fmt.Sprintf("fft: Forward src len %d, want %d", len(src), p.n))
	}
	if dst == nil {
		dst = make([]complex128, p.n/2+1)
	} else if len(dst) != p.n/2+1 {
		panic(fmt.Sprintf("fft: Forward dst len %d, want %d", len(dst), p.n/2+1))
	}
	p.r.forwardRows(dst, src, 1, p.a, p.b)
	return dst
}

// Inverse writes the real array with half spectrum spec into dst (nil
// allocates), normalised so that Inverse(Forward(x)) == x. spec is not
// modified (unlike Plan2D.Inverse).
func (p *Plan1D) Inverse(dst []float64, spec []complex128) []float64 {
	if len(spec) != p.n/2+1 {
		panic(fmt.Sprintf("fft: Inverse spectrum len %d, want %d", len(spec), p.n/2+1))
	}
	if dst == nil {
		dst = make([]float64, p.n)
	} else if len(dst) != p.n {
		panic(fmt.Sprintf("fft: Inverse dst len %d, want %d", len(dst), p.n))
	}
	p.r.inverseRows(dst, spec, 1, 1, p.a, p.b)
	return dst
}
