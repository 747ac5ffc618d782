package fft

import "gonum.org/v1/gonum/dsp/fourier"

// gonumPlan2D is the previous implementation (gonum real FFT along rows,
// complex FFT along columns), kept as an independent reference for the tests
// and as the baseline of the benchmarks.
type gonumPlan2D struct {
	rows, cols, half int
	rowFFT           *fourier.FFT
	colFFT           *fourier.CmplxFFT
	col              []complex128
}

func newGonumPlan2D(rows, cols int) *gonumPlan2D {
	return &gonumPlan2D{
		rows: rows, cols: cols, half: cols/2 + 1,
		rowFFT: fourier.NewFFT(cols),
		colFFT: fourier.NewCmplxFFT(rows),
		col:    make([]complex128, rows),
	}
}

func (p *gonumPlan2D) Forward(dst []complex128, src []float64) []complex128 {
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

func (p *gonumPlan2D) Inverse(dst []float64, spec []complex128) []float64 {
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
