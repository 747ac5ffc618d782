package search

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/fft"
)

// Land descriptor: log energies of the signature's spectrum in LandDim
// log-spaced wavelength bands between landShortUM and landLongUM, centred
// and scaled to unit length. Energies do not depend on where the striae sit
// along the signature (shift invariance, so no alignment is needed).
const (
	LandDim     = 32
	landShortUM = 20
	landLongUM  = 500
)

// BulletFeatures computes the coarse features of a processed bullet (one
// descriptor per land; missing or unsuitable lands stay nil).
func BulletFeatures(b *bullet.Bullet) (*Features, error) {
	if b == nil || len(b.Lands) == 0 {
		return nil, fmt.Errorf("search: bullet features: no lands")
	}
	if len(b.Lands) > maxLands {
		return nil, fmt.Errorf("search: bullet %s has %d lands, at most %d", b.Name, len(b.Lands), maxLands)
	}
	f := &Features{Kind: KindBullet, Lands: make([][]float32, len(b.Lands))}
	ok := 0
	for i, l := range b.Lands {
		if l == nil {
			continue
		}
		d, err := LandDescriptor(l.Signature, l.DX)
		if err != nil {
			continue
		}
		f.Lands[i] = d
		ok++
	}
	if ok == 0 {
		return nil, fmt.Errorf("%w: bullet %s has no land with a usable signature", ErrNoSignal, b.Name)
	}
	return f, nil
}

// LandDescriptor computes the descriptor of one land signature (µm, one
// value every dx µm, NaN = missing).
func LandDescriptor(sig []float64, dx float64) ([]float32, error) {
	if !(dx > 0) || dx > landShortUM/2 {
		return nil, fmt.Errorf("search: land signature spacing %g µm, need (0, %g]", dx, landShortUM/2.0)
	}
	var s float64
	k := 0
	for _, v := range sig {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s += v
			k++
		}
	}
	if k < 16 || float64(len(sig))*dx < 2*landLongUM {
		return nil, fmt.Errorf("%w (land signature of %d valid points over %.0f µm)", ErrNoSignal, k, float64(len(sig))*dx)
	}
	mean := s / float64(k)
	n := fft.GoodSize(len(sig))
	x := make([]float64, n)
	for i, v := range sig {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			// Hann taper against edge leakage.
			x[i] = (v - mean) * (0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(len(sig))))
		}
	}
	spec := fft.NewPlan1D(n).Forward(nil, x)
	var energy [LandDim]float64
	var count [LandDim]int
	lo, hi := math.Log(1/float64(landLongUM)), math.Log(1/float64(landShortUM))
	for j := 1; j < len(spec); j++ {
		f := float64(j) / (float64(n) * dx)
		lf := math.Log(f)
		if lf < lo || lf >= hi {
			continue
		}
		b := int((lf - lo) / (hi - lo) * LandDim)
		p := cmplx.Abs(spec[j])
		energy[b] += p * p
		count[b]++
	}
	d := make([]float32, LandDim)
	for b := range d {
		if count[b] > 0 {
			d[b] = float32(math.Log(energy[b]/float64(count[b]) + 1e-30))
		}
	}
	// Empty bands (short signatures, long wavelengths) take the neighbour's
	// value so that they do not look like a feature.
	for b := 1; b < LandDim; b++ {
		if count[b] == 0 {
			d[b] = d[b-1]
		}
	}
	for b := LandDim - 2; b >= 0; b-- {
		if count[b] == 0 && count[b+1] > 0 {
			d[b] = d[b+1]
		}
	}
	normalise(d)
	return d, nil
}

// bulletScore is the coarse similarity of two bullets: the best cyclic
// phase's mean land cosine (phase voting: all land pairs must agree on one
// phase). Phase k pairs a's land i with b's land (i+k) mod p.
func bulletScore(a, b [][]float32) (score float32, phase int) {
	p := max(len(a), len(b))
	score = float32(math.Inf(-1))
	for k := range p {
		var s float32
		n := 0
		for i := range p {
			j := (i + k) % p
			if i >= len(a) || j >= len(b) || a[i] == nil || b[j] == nil {
				continue
			}
			s += dot(a[i], b[j])
			n++
		}
		if n > 0 && s/float32(n) > score {
			score, phase = s/float32(n), k
		}
	}
	if math.IsInf(float64(score), -1) {
		score = -1
	}
	return score, phase
}

// dot is the inner product of equal-length vectors (four accumulators, so
// the additions pipeline).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// normalise centres v and scales it to unit length (left as zeros when
// constant).
func normalise(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	mean := s / float64(len(v))
	var ss float64
	for i := range v {
		v[i] -= float32(mean)
		ss += float64(v[i]) * float64(v[i])
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}
