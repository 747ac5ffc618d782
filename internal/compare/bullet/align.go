package bullet

import "math"

// alignment is the best relative shift of two signatures.
type alignment struct {
	ok bool
	// lag: a[i] lies opposite b[i-lag].
	lag int
	ccf float64
	// trimmed inputs (leading and trailing NaN removed) and their offsets.
	a, b       []float64
	aOff, bOff int
}

// alignSignatures slides b along a and returns the shift with the largest
// pairwise-complete Pearson correlation among shifts whose overlap covers at
// least minOverlap of the shorter signature (bulletxtrctr sig_align).
// Leading and trailing NaN are trimmed first. ok is false when no shift has
// an overlap with enough valid pairs.
//
// Cost O(n·lags): signatures without interior gaps take a fast path (one
// dot product per lag, the other sums from prefix sums).
func alignSignatures(a, b []float64, minOverlap float64) alignment {
	var r alignment
	af, al := validRange(a)
	bf, bl := validRange(b)
	if af < 0 || bf < 0 {
		return r
	}
	r.a, r.b, r.aOff, r.bOff = a[af:al+1], b[bf:bl+1], af, bf
	na, nb := len(r.a), len(r.b)
	minOv := int(math.Round(minOverlap * float64(min(na, nb))))
	minOv = max(minOv, 3)
	if min(na, nb) < minOv {
		return r
	}
	best := math.Inf(-1)
	bestLag := 0
	gaps := hasNaN(r.a) || hasNaN(r.b)
	var pa, pa2, pb, pb2 []float64
	if !gaps {
		pa, pa2 = prefixSums(r.a)
		pb, pb2 = prefixSums(r.b)
	}
	for lag := -(nb - minOv); lag <= na-minOv; lag++ {
		lo, hi := max(0, lag), min(na, nb+lag) // a indices of the overlap
		if hi-lo < minOv {
			continue
		}
		var c float64
		if gaps {
			c = maskedPearson(r.a[lo:hi], r.b[lo-lag:hi-lag])
		} else {
			n := float64(hi - lo)
			sa, saa := pa[hi]-pa[lo], pa2[hi]-pa2[lo]
			sb, sbb := pb[hi-lag]-pb[lo-lag], pb2[hi-lag]-pb2[lo-lag]
			sab := dot(r.a[lo:hi], r.b[lo-lag:hi-lag])
			c = pearsonFromSums(n, sa, sb, saa, sbb, sab)
		}
		if c > best {
			best, bestLag = c, lag
		}
	}
	if math.IsInf(best, -1) {
		return r
	}
	r.ok, r.lag, r.ccf = true, bestLag, best
	return r
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) {
			return true
		}
	}
	return false
}

func prefixSums(v []float64) (s, s2 []float64) {
	s = make([]float64, len(v)+1)
	s2 = make([]float64, len(v)+1)
	for i, x := range v {
		s[i+1] = s[i] + x
		s2[i+1] = s2[i] + x*x
	}
	return s, s2
}

func dot(a, b []float64) float64 {
	var s0, s1, s2, s3 float64
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
	return s0 + s1 + s2 + s3
}

// pearsonFromSums returns the Pearson correlation from raw sums, NaN when
// either side has no variance or fewer than 3 pairs.
func pearsonFromSums(n, sa, sb, saa, sbb, sab float64) float64 {
	if n < 3 {
		return math.NaN()
	}
	va := saa - sa*sa/n
	vb := sbb - sb*sb/n
	if !(va > 0) || !(vb > 0) {
		return math.NaN()
	}
	return (sab - sa*sb/n) / math.Sqrt(va*vb)
}

// maskedPearson is the Pearson correlation over the pairs where both a and b
// are valid (R's use = "pairwise.complete.obs").
func maskedPearson(a, b []float64) float64 {
	var n, sa, sb, saa, sbb, sab float64
	for i, x := range a {
		y := b[i]
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
	return pearsonFromSums(n, sa, sb, saa, sbb, sab)
}
