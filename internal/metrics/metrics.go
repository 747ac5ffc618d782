package metrics

import (
	"math"
	"sort"
)

// Scored is one compared pair: its score (higher = more similar) and whether
// the two items share a source.
type Scored struct {
	Score float64
	Same  bool
}

// AUC returns the area under the ROC curve: the probability that a random
// same-source pair scores above a random different-source pair, ties counting
// one half. It returns NaN when either class is empty. NaN scores are ranked
// lowest, so a broken score cannot inflate the figure.
func AUC(pairs []Scored) float64 {
	s := sortedAscending(pairs)
	var nSame, nDiff float64
	for _, p := range s {
		if p.Same {
			nSame++
		} else {
			nDiff++
		}
	}
	if nSame == 0 || nDiff == 0 {
		return math.NaN()
	}
	// Mann–Whitney U with mid-ranks for ties.
	var rankSum float64
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && sameScore(s[j].Score, s[i].Score) {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks are 1-based: (i+1 + j) / 2
		for k := i; k < j; k++ {
			if s[k].Same {
				rankSum += mid
			}
		}
		i = j
	}
	return (rankSum - nSame*(nSame+1)/2) / (nSame * nDiff)
}

// EER returns the equal error rate and the threshold where it is reached: the
// point where the false-positive rate (different-source pairs scoring ≥ t)
// equals the false-negative rate (same-source pairs scoring < t). When the two
// rates never cross exactly it returns the mean of the two rates at the
// threshold that brings them closest. NaN when a class is empty.
func EER(pairs []Scored) (eer, threshold float64) {
	s := sortedAscending(pairs)
	var nSame, nDiff int
	for _, p := range s {
		if p.Same {
			nSame++
		} else {
			nDiff++
		}
	}
	if nSame == 0 || nDiff == 0 {
		return math.NaN(), math.NaN()
	}
	best := math.Inf(1)
	// Threshold at each distinct score: pairs below it are called different.
	fn, tn := 0, 0 // same below t, different below t
	for i := 0; i <= len(s); {
		var t float64
		if i < len(s) {
			t = s[i].Score
		} else {
			t = math.Inf(1)
		}
		fnr := float64(fn) / float64(nSame)
		fpr := float64(nDiff-tn) / float64(nDiff)
		if d := math.Abs(fnr - fpr); d < best {
			best, eer, threshold = d, (fnr+fpr)/2, t
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && sameScore(s[j].Score, s[i].Score) {
			if s[j].Same {
				fn++
			} else {
				tn++
			}
			j++
		}
		i = j
	}
	return eer, threshold
}

// Separation returns the lowest same-source score and the highest
// different-source score (NaN for an empty class).
func Separation(pairs []Scored) (minSame, maxDiff float64) {
	minSame, maxDiff = math.NaN(), math.NaN()
	for _, p := range pairs {
		if p.Same {
			if math.IsNaN(minSame) || p.Score < minSame {
				minSame = p.Score
			}
		} else if math.IsNaN(maxDiff) || p.Score > maxDiff {
			maxDiff = p.Score
		}
	}
	return minSame, maxDiff
}

// Ranking summarises ranked retrieval: for every query, the 1-based rank of
// its best-ranked same-source candidate.
type Ranking struct {
	Queries int     // queries that have at least one same-source candidate
	Top1    float64 // fraction of those queries with a mate at rank 1
	Top5    float64
	Top10   float64
	MRR     float64 // mean reciprocal rank of the first mate
}

// Rank computes the ranking figures. candidates[q] holds the scored
// candidates of query q (the query itself excluded). Queries without any
// same-source candidate are skipped. Ties are broken pessimistically: a mate
// tied with a non-mate ranks after it.
func Rank(candidates [][]Scored) Ranking {
	var r Ranking
	for _, cs := range candidates {
		first := 0
		hasMate := false
		bestMate := math.Inf(-1)
		for _, c := range cs {
			if c.Same && score(c.Score) > bestMate {
				bestMate, hasMate = score(c.Score), true
			}
		}
		if !hasMate {
			continue
		}
		for _, c := range cs {
			if !c.Same && score(c.Score) >= bestMate {
				first++
			}
		}
		rank := first + 1
		r.Queries++
		if rank <= 1 {
			r.Top1++
		}
		if rank <= 5 {
			r.Top5++
		}
		if rank <= 10 {
			r.Top10++
		}
		r.MRR += 1 / float64(rank)
	}
	if r.Queries > 0 {
		n := float64(r.Queries)
		r.Top1 /= n
		r.Top5 /= n
		r.Top10 /= n
		r.MRR /= n
	}
	return r
}

// score maps NaN to -Inf so a NaN never outranks a real score.
func score(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

func sameScore(a, b float64) bool { return score(a) == score(b) }

func sortedAscending(pairs []Scored) []Scored {
	s := append([]Scored(nil), pairs...)
	sort.SliceStable(s, func(i, j int) bool { return score(s[i].Score) < score(s[j].Score) })
	return s
}
