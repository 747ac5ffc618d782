package bullet

import (
	"math"
	"sync"

	"github.com/tracemark/tracemark/internal/fft"
)

// alignment is the best relative shift of two signatures.
type alignment struct {
	ok bool
	// lag: a[i] lies opposite b[i-lag].
	lag int
	ccf float64
	// trimmed inputs (leading and trailing NaN removed).
	a, b []float64
}

// aligners recycles fft.Aligners, which keep FFT plans between calls but
// are not safe for concurrent use.
var aligners = sync.Pool{New: func() any { return fft.NewAligner() }}

// alignSignatures slides b along a and returns the shift with the largest
// pairwise-complete Pearson correlation among shifts whose overlap covers at
// least minOverlap of the shorter signature (bulletxtrctr sig_align) and
// holds at least half that many valid pairs. Leading and trailing NaN are
// trimmed first. ok is false when no shift qualifies. The correlation at
// every lag is exact (fft.Aligner: direct sums or masked FFT correlation,
// whichever is cheaper).
func alignSignatures(a, b []float64, minOverlap float64) alignment {
	var r alignment
	af, al := validRange(a)
	bf, bl := validRange(b)
	if af < 0 || bf < 0 {
		return r
	}
	r.a, r.b = a[af:al+1], b[bf:bl+1]
	minOv := max(3, int(math.Round(minOverlap*float64(min(len(r.a), len(r.b))))))
	fa := aligners.Get().(*fft.Aligner)
	res := fa.Align(r.a, r.b, max(3, minOv/2), minOv)
	aligners.Put(fa)
	if !res.OK || math.IsNaN(res.Corr) {
		return r
	}
	r.ok, r.lag, r.ccf = true, res.Lag, res.Corr
	return r
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
