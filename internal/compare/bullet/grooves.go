package bullet

import "math"

// locateGrooves finds the groove (shoulder) ends of a cross-cut profile and
// returns the sample indices of the first and last points kept.
//
// The default follows grooveFinder's rollapply method on the measured part
// of the profile: fill missing points by interpolation, smooth twice with a
// rolling mean, then from each edge take the first local maximum (the
// shoulder top) and the first local minimum after it (where the
// land-engraved area begins), and move it GrooveAdjustUM inwards. A side
// where no such minimum lies within GrooveCutoffUM of the edge (often the
// shoulder wall was too steep to be measured) or past the centre falls back
// to the "middle" rule for that side: drop (1-MiddleKeep)/2 of the measured
// width. method is "rollapply", "rollapply+middle" or "middle" (neither
// side found).
func locateGrooves(prof []float64, dx float64, p Params) (left, right int, method string) {
	first, last := validRange(prof)
	if first < 0 {
		return 0, len(prof) - 1, "middle"
	}
	seg := fillByExtension(prof[first : last+1])
	n := len(seg)
	w := max(1, int(math.Round(p.GrooveSmoothUM/dx)))
	cutoff := int(math.Round(p.GrooveCutoffUM / dx))
	adjust := int(math.Round(p.GrooveAdjustUM / dx))
	drop := int(math.Round(float64(n) * (1 - p.MiddleKeep) / 2))
	l, r := drop, n-1-drop
	lok, rok := false, false
	if n > 2*w+3 {
		sm := rollingMean(rollingMean(seg, w), w)
		centre := n / 2
		if i, ok := shoulder(sm); ok && i <= cutoff && i < centre {
			l, lok = i+adjust, true
		}
		if i, ok := shoulder(reversed(sm)); ok && i <= cutoff && n-1-i > centre {
			r, rok = n-1-i-adjust, true
		}
	}
	switch {
	case lok && rok:
		method = "rollapply"
	case lok || rok:
		method = "rollapply+middle"
	default:
		method = "middle"
	}
	return first + l, first + r, method
}

// shoulder returns the index of the first local minimum that follows the
// first local maximum of s (both over a 3-point window).
func shoulder(s []float64) (int, bool) {
	i := 1
	for ; i < len(s)-1; i++ {
		if s[i] > s[i-1] && s[i] >= s[i+1] {
			break
		}
	}
	for i++; i < len(s)-1; i++ {
		if s[i] < s[i-1] && s[i] <= s[i+1] {
			return i, true
		}
	}
	return 0, false
}

// rollingMean is a centred moving average of odd width w that shrinks the
// window at the ends (zoo::rollapply with partial = TRUE), so the output has
// the input's length and alignment.
func rollingMean(v []float64, w int) []float64 {
	if w%2 == 0 {
		w++
	}
	h := w / 2
	out := make([]float64, len(v))
	prefix := make([]float64, len(v)+1)
	for i, x := range v {
		prefix[i+1] = prefix[i] + x
	}
	for i := range v {
		lo, hi := max(0, i-h), min(len(v), i+h+1)
		out[i] = (prefix[hi] - prefix[lo]) / float64(hi-lo)
	}
	return out
}

// fillByExtension fills NaN as zoo::na.fill(x, "extend") does: linear
// interpolation across interior gaps, the nearest valid value at the ends.
// nil when every value is NaN.
func fillByExtension(v []float64) []float64 {
	first, last := validRange(v)
	if first < 0 {
		return nil
	}
	out := append([]float64(nil), v...)
	for i := 0; i < first; i++ {
		out[i] = v[first]
	}
	for i := last + 1; i < len(v); i++ {
		out[i] = v[last]
	}
	prev := first
	for i := first + 1; i <= last; i++ {
		if math.IsNaN(v[i]) {
			continue
		}
		for k := prev + 1; k < i; k++ {
			f := float64(k-prev) / float64(i-prev)
			out[k] = v[prev] + f*(v[i]-v[prev])
		}
		prev = i
	}
	return out
}

func reversed(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[len(v)-1-i] = x
	}
	return out
}
