package fft

import (
	"math"
)

// Alignment is the best lag between two 1D signals found by Aligner.Align.
type Alignment struct {
	// Lag pairs y[j] with x[j+Lag].
	Lag int
	// Corr is the pairwise-complete Pearson correlation at Lag.
	Corr float64
	// Pairs is the number of valid (both non-NaN) pairs at Lag.
	Pairs int
	// OK is false when no lag satisfies the overlap limits (Corr is then NaN).
	OK bool
}

// Aligner computes the masked normalised cross-correlation of two 1D
// signals (NaN = missing) at every lag: the exact pairwise-complete Pearson
// correlation, as bulletxtrctr's sig_align computes it lag by lag. It keeps
// plans and buffers between calls, so repeated calls with similar lengths
// allocate nothing. It is not safe for concurrent use: make one per
// goroutine.
type Aligner struct {
	plans  map[int]*Plan1D
	bufs   [8][]float64
	spec   [4][]complex128
	prod   []complex128
	curve  []float64
	pairs  []int32
	minLag int
}

// NewAligner returns an Aligner.
func NewAligner() *Aligner {
	return &Aligner{plans: make(map[int]*Plan1D)}
}

// lagRange returns the lags whose geometric overlap is at least minSpan
// (and at least 1): lo ≤ hi, or ok false when there is none.
func lagRange(nx, ny, minSpan int) (lo, hi int, ok bool) {
	ms := max(minSpan, 1)
	if ms > min(nx, ny) {
		return 0, 0, false
	}
	return ms - ny, nx - ms, true
}

// Align returns the lag maximising the pairwise-complete correlation of x
// and y, over the lags where the signals' index ranges overlap by at least
// minSpan samples (bulletxtrctr: round(0.75 × the shorter length)) and at
// least max(minPairs, 2) pairs are both valid. Ties go to the lag nearest
// zero, then the smaller lag. Neither input is modified. The whole curve is
// available from Curve until the next call.
func (a *Aligner) Align(x, y []float64, minPairs, minSpan int) Alignment {
	nx, ny := len(x), len(y)
	lo, hi, ok := lagRange(nx, ny, minSpan)
	if !ok {
		a.curve, a.pairs, a.minLag = a.curve[:0], a.pairs[:0], 0
		return Alignment{Corr: math.NaN()}
	}
	nl := hi - lo + 1
	a.curve = resizeF(a.curve, nl)
	if cap(a.pairs) >= nl {
		a.pairs = a.pairs[:nl]
	} else {
		a.pairs = make([]int32, nl)
	}
	a.minLag = lo
	minN := max(minPairs, 2)
	if a.directCheaper(nx, ny, lo, hi) {
		alignDirect(x, y, lo, minN, a.curve, a.pairs)
	} else {
		a.alignFFT(x, y, lo, hi, minN)
	}
	best := Alignment{Corr: math.NaN()}
	for i, v := range a.curve {
		if math.IsNaN(v) {
			continue
		}
		lag := lo + i
		if !best.OK || v > best.Corr || (v == best.Corr && abs(lag) < abs(best.Lag)) {
			best = Alignment{Lag: lag, Corr: v, Pairs: int(a.pairs[i]), OK: true}
		}
	}
	return best
}

// Curve returns the correlation at every lag of the last Align call:
// corr[i] is the value at lag minLag+i (NaN where undefined), pairs[i] the
// number of valid pairs. The slices are reused by the next call.
func (a *Aligner) Curve() (minLag int, corr []float64, pairs []int32) {
	return a.minLag, a.curve, a.pairs
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// directCheaper estimates whether the O(lags × overlap) loop beats the FFT
// path (twelve real transforms of the padded length).
func (a *Aligner) directCheaper(nx, ny, lo, hi int) bool {
	var work int
	for l := lo; l <= hi; l++ {
		work += min(nx, l+ny) - max(0, l)
	}
	n := GoodSize(max(nx-lo, hi+ny))
	fftWork := 12 * n * bitLen(n) / 2
	return work <= fftWork
}

func bitLen(n int) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b
}

// alignDirect fills curve and pairs for lags lo.. by direct summation.
func alignDirect(x, y []float64, lo, minN int, curve []float64, pairs []int32) {
	nx, ny := len(x), len(y)
	for i := range curve {
		lag := lo + i
		j0, j1 := max(0, -lag), min(ny, nx-lag)
		// One pass with shifted origin: subtracting the first valid pair
		// keeps the sums small enough for the one-pass formula.
		var n, sx, sxx, sy, syy, sxy float64
		var x0, y0 float64
		started := false
		for j := j0; j < j1; j++ {
			u, v := x[j+lag], y[j]
			if math.IsNaN(u) || math.IsNaN(v) {
				continue
			}
			if !started {
				x0, y0, started = u, v, true
			}
			u -= x0
			v -= y0
			n++
			sx += u
			sy += v
			sxx += u * u
			syy += v * v
			sxy += u * v
		}
		pairs[i] = int32(n)
		curve[i] = pearsonFromSums(n, sx, sxx, sy, syy, sxy, minN)
	}
}

// alignFFT fills a.curve and a.pairs for lags lo..hi with FFTs: the six sums
// of the pairwise Pearson correlation are correlations of the masks, the
// masked signals and their squares.
func (a *Aligner) alignFFT(x, y []float64, lo, hi, minN int) {
	nx, ny := len(x), len(y)
	n := GoodSize(max(nx-lo, hi+ny))
	if n%2 != 0 {
		n = goodEven(n)
	}
	p := a.plans[n]
	if p == nil {
		p = NewPlan1D(n)
		a.plans[n] = p
	}
	h := n/2 + 1
	for k := range a.bufs {
		a.bufs[k] = resizeF(a.bufs[k], n)
	}
	for k := range a.spec {
		a.spec[k] = resizeC(a.spec[k], h)
	}
	a.prod = resizeC(a.prod, h)
	// Standardise each signal globally for numerical range; the Pearson
	// correlation is invariant to it.
	mx, sdx, cx := meanSD(x)
	my, sdy, cy := meanSD(y)
	if cx < 2 || cy < 2 || !(sdx > 0) || !(sdy > 0) {
		fillNaN(a.curve)
		clear(a.pairs)
		return
	}
	// x side: mask, z, z²; y side: mask, z, z² (spectra conjugated).
	fill3(a.bufs[0], a.bufs[1], a.bufs[2], x, mx, sdx)
	fill3(a.bufs[3], a.bufs[4], a.bufs[5], y, my, sdy)
	xw := p.Forward(a.spec[0], a.bufs[0])
	xa := p.Forward(a.spec[1], a.bufs[1])
	yw := p.Forward(a.spec[2], a.bufs[3])
	ya := p.Forward(a.spec[3], a.bufs[4])
	conjugate(yw)
	conjugate(ya)
	cnt, sx, sy, sxy := a.bufs[6], a.bufs[7], a.bufs[0], a.bufs[3]
	// The z² spectra are needed once each; transform them into prod directly.
	a.corr1D(p, cnt, xw, yw)
	a.corr1D(p, sx, xa, yw)
	a.corr1D(p, sy, xw, ya)
	a.corr1D(p, sxy, xa, ya)
	xb := p.Forward(a.prod, a.bufs[2])
	for i, v := range xb {
		xb[i] = v * yw[i]
	}
	sxx := p.Inverse(a.bufs[1], xb)
	yb := p.Forward(a.prod, a.bufs[5])
	for i, v := range yb {
		yb[i] = complex(real(v), -imag(v)) * xw[i]
	}
	syy := p.Inverse(a.bufs[2], yb)
	for i := range a.curve {
		k := mod(lo+i, n)
		np := math.Round(cnt[k])
		a.pairs[i] = int32(np)
		a.curve[i] = pearsonFromSums(np, sx[k], sxx[k], sy[k], syy[k], sxy[k], minN)
	}
}

// corr1D writes the circular correlation with spectra u and conjugated v
// into dst.
func (a *Aligner) corr1D(p *Plan1D, dst []float64, u, v []complex128) {
	for i := range u {
		a.prod[i] = u[i] * v[i]
	}
	p.Inverse(dst, a.prod)
}

// fill3 writes mask, z and z² of src (zero padded) into w, z, z2.
func fill3(w, z, z2, src []float64, mean, sd float64) {
	clear(w)
	clear(z)
	clear(z2)
	inv := 1 / sd
	for i, v := range src {
		if math.IsNaN(v) {
			continue
		}
		d := (v - mean) * inv
		w[i] = 1
		z[i] = d
		z2[i] = d * d
	}
}
