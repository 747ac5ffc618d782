package bullet

import (
	"math"
	"sort"
)

// Features describe how well two aligned land signatures agree
// (bulletxtrctr extract_features_all, resolution-normalised). Counts of
// striae are given raw and per mm of overlap (matches, CMS, sum of peaks)
// or per mm of the joint length (mismatches, non-CMS), as bulletxtrctr does.
type Features struct {
	CCF       float64 `json:"ccf"`        // Pearson correlation at the best lag
	RoughCor  float64 `json:"rough_cor"`  // correlation after removing a span-0.3 loess of the mean signature
	LagUM     float64 `json:"lag_um"`     // shift of B against A, µm
	D         float64 `json:"D"`          // RMS difference over the overlap, µm
	SdD       float64 `json:"sd_D"`       // sd(A) + sd(B), µm
	OverlapMM float64 `json:"overlap_mm"` // length where both are measured, mm
	LengthMM  float64 `json:"length_mm"`  // joint length of the aligned signatures, mm

	Matches    int     `json:"matches"`    // matching striae (peaks or valleys)
	Mismatches int     `json:"mismatches"` // striae groups without a match
	CMS        int     `json:"cms"`        // longest run of consecutive matching striae
	CMS2       int     `json:"cms2"`       // the same counting peaks only
	NonCMS     int     `json:"non_cms"`    // longest run of non-matching striae
	LeftCMS    int     `json:"left_cms"`   // matching striae at the left end
	RightCMS   int     `json:"right_cms"`  // matching striae at the right end
	SumPeaks   float64 `json:"sum_peaks"`  // Σ|mean height| of matched striae, µm

	MatchesPerMM    float64 `json:"matches_per_mm"`
	MismatchesPerMM float64 `json:"mismatches_per_mm"`
	CMSPerMM        float64 `json:"cms_per_mm"`
	CMS2PerMM       float64 `json:"cms2_per_mm"`
	NonCMSPerMM     float64 `json:"non_cms_per_mm"`
	LeftCMSPerMM    float64 `json:"left_cms_per_mm"`
	RightCMSPerMM   float64 `json:"right_cms_per_mm"`
	SumPeaksPerMM   float64 `json:"sum_peaks_per_mm"`
}

// Striae classification of a pooled group of extrema.
type striaGroup struct {
	xmin, xmax float64 // sample positions in the aligned frame
	match      bool
	peak       bool // type of the group's first extremum
	height     float64
}

// extremum is a peak (+1) or valley (-1) of one signature.
type extremum struct {
	at         int
	typ        int
	height     float64
	xmin, xmax float64
	sig        int // 0 or 1
}

// striae finds the peaks and valleys of s (bulletxtrctr sig_get_peaks):
// a rolling mean of w samples applied twice (NaN propagates), local maxima
// and minima over 3 points, each given an interval reaching a third of the
// way to its neighbouring extrema. Heights are those of s itself.
func striae(s []float64, w, sig int) []extremum {
	sm := rollingMeanNaN(rollingMeanNaN(s, w), w)
	var ex []extremum
	for i := 1; i+1 < len(sm); i++ {
		a, b, c := sm[i-1], sm[i], sm[i+1]
		if math.IsNaN(a) || math.IsNaN(b) || math.IsNaN(c) {
			continue
		}
		switch {
		case b >= a && b >= c:
			ex = append(ex, extremum{at: i, typ: 1, height: s[i], sig: sig})
		case b <= a && b <= c:
			ex = append(ex, extremum{at: i, typ: -1, height: s[i], sig: sig})
		}
	}
	for k := range ex {
		var before, after float64
		switch {
		case len(ex) == 1:
		case k == 0:
			before = float64(ex[1].at - ex[0].at)
			after = before
		case k == len(ex)-1:
			after = float64(ex[k].at - ex[k-1].at)
			before = after
		default:
			before = float64(ex[k].at - ex[k-1].at)
			after = float64(ex[k+1].at - ex[k].at)
		}
		ex[k].xmin = float64(ex[k].at) - before/3
		ex[k].xmax = float64(ex[k].at) + after/3
	}
	return ex
}

// rollingMeanNaN is a centred moving average of w samples that is NaN
// wherever the window is incomplete or holds a NaN (zoo::rollapply with
// fill = NA).
func rollingMeanNaN(v []float64, w int) []float64 {
	out := make([]float64, len(v))
	for i := range out {
		out[i] = math.NaN()
	}
	if w < 1 || w > len(v) {
		return out
	}
	lead := (w - 1) / 2 // zoo centres even windows one to the left
	var sum float64
	bad := 0
	for i, x := range v {
		if math.IsNaN(x) {
			bad++
		} else {
			sum += x
		}
		if j := i - w; j >= 0 {
			if math.IsNaN(v[j]) {
				bad--
			} else {
				sum -= v[j]
			}
		}
		if i >= w-1 && bad == 0 {
			out[i-w+1+lead] = sum / float64(w)
		}
	}
	return out
}

// matchStriae pools the extrema intervals of both signatures; overlapping
// intervals form a group, which matches when it holds extrema of both
// signatures that are all of one type (striation_identify_matches).
func matchStriae(e1, e2 []extremum) []striaGroup {
	type edge struct {
		x     float64
		start bool
		e     *extremum
	}
	all := append(append([]extremum(nil), e1...), e2...)
	edges := make([]edge, 0, 2*len(all))
	for i := range all {
		edges = append(edges, edge{all[i].xmin, true, &all[i]}, edge{all[i].xmax, false, &all[i]})
	}
	sort.SliceStable(edges, func(i, j int) bool {
		if edges[i].x != edges[j].x {
			return edges[i].x < edges[j].x
		}
		return edges[i].start && !edges[j].start // touching intervals merge
	})
	var groups []striaGroup
	open := 0
	var cur []*extremum
	var gmin float64
	for _, e := range edges {
		if e.start {
			if open == 0 {
				gmin = e.x
				cur = cur[:0]
			}
			open++
			cur = append(cur, e.e)
			continue
		}
		open--
		if open > 0 {
			continue
		}
		g := striaGroup{xmin: gmin, xmax: e.x, peak: cur[0].typ == 1}
		var in [2]bool
		sameType := true
		var h float64
		for _, x := range cur {
			in[x.sig] = true
			if x.typ != cur[0].typ {
				sameType = false
			}
			h += x.height
		}
		g.height = h / float64(len(cur))
		g.match = in[0] && in[1] && sameType
		groups = append(groups, g)
	}
	return groups
}

// longestRun returns the longest run of groups with match == want among
// the groups that keep(g) accepts.
func longestRun(gs []striaGroup, want bool, keep func(striaGroup) bool) int {
	best, run := 0, 0
	for _, g := range gs {
		if keep != nil && !keep(g) {
			continue
		}
		if g.match == want {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// computeFeatures derives the features of an alignment whose signatures,
// laid on the common frame, are s1 and s2 (see alignedPair).
// It also returns the striae groups (positions in samples of the frame).
func computeFeatures(al alignment, s1, s2 []float64, dx float64, p Params) (Features, []striaGroup) {
	n := len(s1)
	f := Features{CCF: al.ccf, LagUM: float64(al.lag) * dx, LengthMM: float64(n) * dx / 1000}

	var overlap int
	var sq float64
	for k := range s1 {
		if !math.IsNaN(s1[k]) && !math.IsNaN(s2[k]) {
			overlap++
			d := s1[k] - s2[k]
			sq += d * d
		}
	}
	f.OverlapMM = float64(overlap) * dx / 1000
	if overlap > 0 {
		f.D = math.Sqrt(sq / float64(overlap))
	}
	f.SdD = sd(al.a) + sd(al.b)

	// rough_cor: remove the broad shape of the mean signature from both.
	avg := make([]float64, n)
	for k := range avg {
		switch {
		case math.IsNaN(s1[k]):
			avg[k] = s2[k]
		case math.IsNaN(s2[k]):
			avg[k] = s1[k]
		default:
			avg[k] = (s1[k] + s2[k]) / 2
		}
	}
	smooth := loess(nil, positions(n, dx), avg, loessOptions{span: p.RoughSpan, interpolate: true})
	r1, r2 := make([]float64, n), make([]float64, n)
	for k := range r1 {
		r1[k], r2[k] = s1[k]-smooth[k], s2[k]-smooth[k]
	}
	f.RoughCor = maskedPearson(r1, r2)

	w := max(1, int(math.Round(p.PeakSmoothUM/dx)))
	groups := matchStriae(striae(s1, w, 0), striae(s2, w, 1))
	var firstMatch, firstMiss, lastMatch, lastMiss = -1, -1, -1, -1
	for i, g := range groups {
		if g.match {
			f.Matches++
			f.SumPeaks += math.Abs(g.height)
			if firstMatch < 0 {
				firstMatch = i
			}
			lastMatch = i
		} else {
			f.Mismatches++
			if firstMiss < 0 {
				firstMiss = i
			}
			lastMiss = i
		}
	}
	f.CMS = longestRun(groups, true, nil)
	// Peaks only (Biasotti); unmatched groups have no type and stay in.
	f.CMS2 = longestRun(groups, true, func(g striaGroup) bool { return !g.match || g.peak })
	f.NonCMS = longestRun(groups, false, nil)
	switch {
	case firstMatch < 0:
	case firstMiss < 0:
		f.LeftCMS, f.RightCMS = len(groups), len(groups)
	default:
		f.LeftCMS = max(firstMiss-firstMatch, 0)
		f.RightCMS = max(lastMatch-lastMiss, 0)
	}

	if f.OverlapMM > 0 {
		f.MatchesPerMM = float64(f.Matches) / f.OverlapMM
		f.CMSPerMM = float64(f.CMS) / f.OverlapMM
		f.CMS2PerMM = float64(f.CMS2) / f.OverlapMM
		f.LeftCMSPerMM = float64(f.LeftCMS) / f.OverlapMM
		f.RightCMSPerMM = float64(f.RightCMS) / f.OverlapMM
		f.SumPeaksPerMM = f.SumPeaks / f.OverlapMM
	}
	if f.LengthMM > 0 {
		f.MismatchesPerMM = float64(f.Mismatches) / f.LengthMM
		f.NonCMSPerMM = float64(f.NonCMS) / f.LengthMM
	}
	f.sanitize()
	return f, groups
}

// sanitize replaces undefined correlations (a flat signature) by 0 so that
// no score is ever computed from NaN.
func (f *Features) sanitize() {
	for _, v := range []*float64{&f.CCF, &f.RoughCor, &f.D, &f.SdD} {
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = 0
		}
	}
}

func sd(v []float64) float64 {
	var n, s, s2 float64
	for _, x := range v {
		if !math.IsNaN(x) {
			n++
			s += x
			s2 += x * x
		}
	}
	if n < 2 {
		return 0
	}
	return math.Sqrt(math.Max(0, (s2-s*s/n)/(n-1)))
}
