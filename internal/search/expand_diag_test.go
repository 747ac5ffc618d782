package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
)

// diagCorpus builds the synthetic corpus of the diagnostics: firearms ×
// 4 firings and up to distractors turned or mirrored copies, preprocessed
// as the bulk path does unless raw. It returns the index, each firing's
// true rotation and every row's features.
func diagCorpus(t *testing.T, firearms, distractors int, raw bool) (*Index, map[string]float64, map[string]*Features) {
	t.Helper()
	const shots = 4
	idx := NewIndex(0)
	truthRot := map[string]float64{}
	feats := map[string]*Features{}
	ctx := context.Background()
	mu := make(chan struct{}, 1)
	pcfg, _ := cartridge.PreprocessPreset("default")
	pcfg.Processed = true
	bulk := bulkPreprocess(pcfg)
	parallelFor(ctx, 2, firearms, func(g int) {
		sg := NewSigner()
		scans, err := synthFirearm(1, g, shots)
		if err != nil {
			panic(err)
		}
		for s, sc := range scans {
			m := sc.Surface
			if !raw {
				pp, err := cartridge.Preprocess(sc.Surface, bulk)
				if err != nil {
					panic(err)
				}
				m = pp.Map
			}
			f, err := sg.Cartridge(m)
			if err != nil {
				panic(err)
			}
			mu <- struct{}{}
			truthRot[synthID(g, s)] = sc.Truth.RotationDeg
			feats[synthID(g, s)] = f
			<-mu
			if err := idx.Add(synthID(g, s), Class{Kind: KindCartridge}, f); err != nil {
				panic(err)
			}
			for v := 1; v <= distractorVariants; v++ {
				if (g*shots+s)*distractorVariants+v-1 >= distractors {
					break
				}
				f, err := sg.Cartridge(dihedral(m, v))
				if err != nil {
					panic(err)
				}
				mu <- struct{}{}
				feats[distractorID(g, s, v)] = f
				<-mu
				if err := idx.Add(distractorID(g, s, v), Class{Kind: KindCartridge}, f); err != nil {
					panic(err)
				}
			}
		}
	})
	return idx, truthRot, feats
}

// TestDiagnoseExpansion (TRACEMARK_SEARCH_DIAG_EXPAND=firearms:distractors:
// queries:seeds) measures query expansion (Pipeline.Search): after the
// coarse search, its best candidates scoring at least
// TRACEMARK_SEARCH_DIAG_EXPAND_MIN (default 0.2; the pipeline asks the
// engine instead) are brought into the query's frame by their coarse
// registration and added to the query, the corpus is scanned again with
// the sum, and the two lists are merged. TRACEMARK_SEARCH_DIAG_EXPAND_VARIANTS
// lists variants as seeds/hypotheses/rerank of the second scan, with a
// suffix n to divide each list's scores by its k-th before merging
// (default: seeds/2/1000).
func TestDiagnoseExpansion(t *testing.T) {
	spec := os.Getenv("TRACEMARK_SEARCH_DIAG_EXPAND")
	if spec == "" {
		t.Skip("set TRACEMARK_SEARCH_DIAG_EXPAND=firearms:distractors:queries:seeds")
	}
	var firearms, distractors, nq, seeds int
	if _, err := fmt.Sscanf(spec, "%d:%d:%d:%d", &firearms, &distractors, &nq, &seeds); err != nil {
		t.Fatal(err)
	}
	minSeed := 0.2
	if v, err := strconv.ParseFloat(os.Getenv("TRACEMARK_SEARCH_DIAG_EXPAND_MIN"), 64); err == nil {
		minSeed = v
	}
	const shots, rerank, k = 4, 1000, 100
	hyp := 2 // the first scan's (TRACEMARK_SEARCH_DIAG_HYP)
	if h, err := strconv.Atoi(os.Getenv("TRACEMARK_SEARCH_DIAG_HYP")); err == nil {
		hyp = h
	}
	idx, _, feats := diagCorpus(t, firearms, distractors, false)
	n := idx.Len()
	t.Logf("index %d rows", n)
	type rs struct {
		row   int
		swept registration
	}
	// search returns every row's filter score and the sweeps of the best
	// rerank, by row.
	search := func(f *Features, exclude string, hyp, rerank int) ([]float64, map[int]registration) {
		cq, err := newCartQuery(f, 33)
		if err != nil {
			t.Fatal(err)
		}
		filt := make([]float64, n)
		scorers := make(chan *scorer, 2)
		scorers <- newScorer(cq)
		scorers <- newScorer(cq)
		parallelFor(context.Background(), 2, n, func(row int) {
			sc := <-scorers
			defer func() { scorers <- sc }()
			if idx.ids[row] == exclude {
				filt[row] = math.Inf(-1)
				return
			}
			filt[row] = sc.filter(idx.cartRow(row), hyp).score
		})
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return filt[order[a]] > filt[order[b]] })
		sw := map[int]registration{}
		sc := newScorer(cq)
		for _, row := range order[:min(rerank, n)] {
			if math.IsInf(filt[row], -1) {
				continue
			}
			c := idx.cartRow(row)
			sw[row] = sc.sweep(c, sc.filter(c, hyp))
		}
		return filt, sw
	}
	// lostOf merges the scans' lists as Pipeline.Search does: each
	// scan's best k by swept score, every row scoring the better of its
	// scores (each divided by its list's k-th score when norm), the best
	// k kept. It reports the mates missing, with their rank in each
	// scan's filter ordering.
	lostOf := func(filts [][]float64, sweeps []map[int]registration, mates []int, norm bool) (lost []string) {
		merged := map[int]float64{}
		for _, sw := range sweeps {
			var rows []int
			for row, r := range sw {
				if r.registered {
					rows = append(rows, row)
				}
			}
			sort.Slice(rows, func(a, b int) bool { return sw[rows[a]].score > sw[rows[b]].score })
			rows = rows[:min(k, len(rows))]
			div := 1.0
			if norm && len(rows) > 0 && sw[rows[len(rows)-1]].score > 0 {
				div = sw[rows[len(rows)-1]].score
			}
			for _, row := range rows {
				v := sw[row].score / div
				if old, ok := merged[row]; !ok || v > old {
					merged[row] = v
				}
			}
		}
		var scores []float64
		for _, v := range merged {
			scores = append(scores, v)
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(scores)))
		cut := scores[min(k-1, len(scores)-1)]
		for _, m := range mates {
			if v, ok := merged[m]; ok && v >= cut {
				continue
			}
			var ranks []string
			for _, f := range filts {
				r := 1
				for _, v := range f {
					if v > f[m] {
						r++
					}
				}
				ranks = append(ranks, strconv.Itoa(r))
			}
			lost = append(lost, fmt.Sprintf("%s(filter ranks %s)", idx.ids[m], strings.Join(ranks, "/")))
		}
		return lost
	}
	var base, total, seedMates, seedsUsed int
	type variant struct {
		seeds, hyp, rerank int
		norm               bool
	}
	var variants []variant
	for _, v := range strings.Split(cmp.Or(os.Getenv("TRACEMARK_SEARCH_DIAG_EXPAND_VARIANTS"), fmt.Sprintf("%d/2/1000", seeds)), ",") {
		var x variant
		x.norm = strings.HasSuffix(v, "n")
		if _, err := fmt.Sscanf(strings.TrimSuffix(v, "n"), "%d/%d/%d", &x.seeds, &x.hyp, &x.rerank); err != nil {
			t.Fatal(err)
		}
		variants = append(variants, x)
	}
	vlost := make([]int, len(variants))
	for i := range nq {
		g := i * firearms / nq
		id := synthID(g, 0)
		q := feats[id]
		var mates []int
		for s := 1; s < shots; s++ {
			mates = append(mates, idx.rows[synthID(g, s)])
		}
		total += len(mates)
		filt, sw := search(q, id, hyp, rerank)
		lost0 := lostOf([][]float64{filt}, []map[int]registration{sw}, mates, false)
		base += len(lost0)
		// Seeds: the best swept candidates.
		var ranked []rs
		for row, r := range sw {
			ranked = append(ranked, rs{row: row, swept: r})
		}
		sort.Slice(ranked, func(a, b int) bool { return ranked[a].swept.score > ranked[b].swept.score })
		for len(ranked) > 0 && ranked[len(ranked)-1].swept.score < minSeed {
			ranked = ranked[:len(ranked)-1]
		}
		for _, s := range ranked[:min(seeds, len(ranked))] {
			if g2, s2, ok := parseSynthID(idx.ids[s.row]); ok && g2 == g && s2 > 0 {
				seedMates++
			}
			seedsUsed++
		}
		var outcome []string
		for vi, v := range variants {
			comb := q
			for _, s := range ranked[:min(v.seeds, len(ranked))] {
				var err error
				if comb, err = expandFeatures(comb, feats[idx.ids[s.row]], s.swept); err != nil {
					t.Fatal(err)
				}
			}
			f2, sw2 := search(comb, id, v.hyp, v.rerank)
			l := lostOf([][]float64{filt, f2}, []map[int]registration{sw, sw2}, mates, v.norm)
			vlost[vi] += len(l)
			outcome = append(outcome, fmt.Sprintf("%v: %v", v, l))
		}
		t.Logf("q %s lost %v → [%s]", id, lost0, strings.Join(outcome, "; "))
	}
	t.Logf("mates %d: lost %d without expansion, %v by variant %v (%d of %d seeds are mates)", total, base, vlost, variants, seedMates, seedsUsed)
}
