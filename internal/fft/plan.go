package fft

import (
	"fmt"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Plan2D computes forward and inverse 2D FFTs of real rows×cols arrays.
type Plan2D struct {
	rows, cols, half int
	rowFFT           *fourier.FFT
	colFFT           *fourier.CmplxFFT
	col              []complex128 // one column of the half spectrum
	rowBuf           []float64
}

// NewPlan2D returns a plan for rows×cols real arrays. Any positive size works;
// sizes whose prime factors are 2, 3 and 5 are fastest (see GoodSize).
func NewPlan2D(rows, cols int) *Plan2D {
	if rows <= 0 || cols <= 0 {
		panic(fmt.Sprintf("fft: bad size %d×%d", rows, cols))
	}
	return &Plan2D{
		rows: rows, cols: cols, half: cols/2 + 1,
		rowFFT: fourier.NewFFT(cols),
		colFFT: fourier.NewCmplxFFT(rows),
		col:    make([]complex128, rows),
		rowBuf: make([]float64, cols),
	}
}

// Size returns the plan's rows and cols.
func (p *Plan2D) Size() (rows, cols int) { return p.rows, p.cols }

// SpectrumLen returns the number of coefficients of a half spectrum: rows×(cols/2+1).
func (p *Plan2D) SpectrumLen() int { return p.rows * p.half }

// Forward writes the half spectrum of src (len rows×cols) into dst and returns
// it. A nil dst is allocated; a dst of the wrong length panics.
func (p *Plan2D) Forward(dst []complex128, src []float64) []complex128 {
	if len(src) != p.rows*p.cols {
		panic(fmt.Sprintf("fft: Forward src len %d, want %d", len(src), p.rows*p.cols))
	}
	dst = p.spectrumBuf(dst)
	for r := 0; r < p.rows; r++ {
		p.rowFFT.Coefficients(dst[r*p.half:(r+1)*p.half], src[r*p.cols:(r+1)*p.cols])
	}
	for k := 0; k < p.half; k++ {
		for r := 0; r < p.rows; r++ {
			p.col[r] = dst[r*p.half+k]
		}
		p.colFFT.Coefficients(p.col, p.col)
		for r := 0; r < p.rows; r++ {
			dst[r*p.half+k] = p.col[r]
		}
	}
	return dst
}

// Inverse writes the real array whose half spectrum is spec into dst and
// returns it, normalised so that Inverse(Forward(x)) == x. spec is used as
// scratch and overwritten. A nil dst is allocated; a wrong length panics.
func (p *Plan2D) Inverse(dst []float64, spec []complex128) []float64 {
	if len(spec) != p.rows*p.half {
		panic(fmt.Sprintf("fft: Inverse spectrum len %d, want %d", len(spec), p.rows*p.half))
	}
	if dst == nil {
		dst = make([]float64, p.rows*p.cols)
	} else if len(dst) != p.rows*p.cols {
		panic(fmt.Sprintf("fft: Inverse dst len %d, want %d", len(dst), p.rows*p.cols))
	}
	for k := 0; k < p.half; k++ {
		for r := 0; r < p.rows; r++ {
			p.col[r] = spec[r*p.half+k]
		}
		p.colFFT.Sequence(p.col, p.col)
		for r := 0; r < p.rows; r++ {
			spec[r*p.half+k] = p.col[r]
		}
	}
	scale := 1 / float64(p.rows*p.cols)
	for r := 0; r < p.rows; r++ {
		out := dst[r*p.cols : (r+1)*p.cols]
		p.rowFFT.Sequence(out, spec[r*p.half:(r+1)*p.half])
		for i := range out {
			out[i] *= scale
		}
	}
	return dst
}

func (p *Plan2D) spectrumBuf(dst []complex128) []complex128 {
	n := p.rows * p.half
	if dst == nil {
		return make([]complex128, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("fft: spectrum len %d, want %d", len(dst), n))
	}
	return dst
}

// GoodSize returns the smallest n' ≥ n whose only prime factors are 2, 3 and 5.
func GoodSize(n int) int {
	if n <= 1 {
		return 1
	}
	for m := n; ; m++ {
		k := m
		for _, f := range [...]int{2, 3, 5} {
			for k%f == 0 {
				k /= f
			}
		}
		if k == 1 {
			return m
		}
	}
}
