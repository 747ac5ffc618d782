package search

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/procstat"
)

// TestDiagnoseMates (TRACEMARK_SEARCH_DIAG=firearms:distractors) prints, for
// every synthetic query's mates, the exhaustive scan's score and rank, the
// sweep's, and the true relative rotation.
func TestDiagnoseMates(t *testing.T) {
	spec := os.Getenv("TRACEMARK_SEARCH_DIAG")
	if spec == "" {
		t.Skip("set TRACEMARK_SEARCH_DIAG=firearms:distractors:queries")
	}
	var firearms, distractors, nq int
	if _, err := fmt.Sscanf(spec, "%d:%d:%d", &firearms, &distractors, &nq); err != nil {
		t.Fatal(err)
	}
	const shots = 4
	idx, truthRot, _ := diagCorpus(t, firearms, distractors, os.Getenv("TRACEMARK_SEARCH_DIAG_RAW") != "")
	ctx := context.Background()
	pcfg, _ := cartridge.PreprocessPreset("default")
	pcfg.Processed = true
	loader := &benchLoader{seed: 1, pcfg: pcfg, ccfg: cartridge.DefaultConfig()}
	n := idx.Len()
	t.Logf("index %d rows", n)
	hyp := 2
	cmp, err := cartridge.NewComparer(cartridge.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := strconv.Atoi(os.Getenv("TRACEMARK_SEARCH_DIAG_HYP")); err == nil {
		hyp = h
	}
	lostFilter, lostSweep, total := 0, 0, 0
	var cpuFilter time.Duration
	prHist := make([]int, 7)
	for i := range nq {
		g := i * firearms / nq
		id := synthID(g, 0)
		p, err := loader.load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewSigner().Cartridge(p.Map)
		if err != nil {
			t.Fatal(err)
		}
		cq, err := newCartQuery(f, 33)
		if err != nil {
			t.Fatal(err)
		}
		sc := newScorer(cq)
		type rs struct {
			row   int
			score float64
		}
		polarOnly := os.Getenv("TRACEMARK_SEARCH_DIAG_POLAR") != ""
		all := make([]rs, 0, n)
		c0 := procstat.SelfCPU()
		for row := range n {
			if polarOnly {
				break
			}
			if idx.ids[row] == id {
				continue
			}
			all = append(all, rs{row, sc.filter(idx.cartRow(row), hyp).score})
		}
		cpuFilter += procstat.SelfCPU() - c0
		sort.Slice(all, func(a, b int) bool { return all[a].score > all[b].score })
		rank := map[int]int{}
		for r, h := range all {
			rank[h.row] = r + 1
		}
		// Sweep the top 1000: 100th best score.
		var sw []float64
		for _, h := range all[:min(1000, len(all))] {
			if polarOnly {
				break
			}
			sw = append(sw, sc.sweep(idx.cartRow(h.row), sc.filter(idx.cartRow(h.row), hyp)).score)
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(sw)))
		cut := 0.0
		if len(sw) > 0 {
			cut = sw[min(99, len(sw)-1)]
		}
		for s := 1; s < shots; s++ {
			mid := synthID(g, s)
			row := idx.rows[mid]
			fr := sc.filter(idx.cartRow(row), hyp)
			swr := sc.sweep(idx.cartRow(row), fr)
			rel := truthRot[mid] - truthRot[id]
			ta := int(math.Round(rel / AngleStepDeg))
			var at registration
			if ta >= -cq.shifts && ta <= cq.shifts {
				at = sc.register(idx.cartRow(row), ta)
			}
			total++
			if polarOnly {
				sc.filter(idx.cartRow(row), 0)
				pr := 99
				for r, k := range sc.peaks {
					if k-cq.shifts-ta <= 1 && ta-k+cq.shifts <= 1 {
						pr = r + 1
						break
					}
				}
				prHist[min(pr, 6)]++
				continue
			}
			sc.filter(idx.cartRow(row), 0)
			prank := -1
			for r, k := range sc.peaks {
				if k-cq.shifts-ta <= 1 && ta-k+cq.shifts <= 1 {
					prank = r + 1
					break
				}
			}
			status := "ok"
			if rank[row] > 1000 {
				status = "LOST-filter"
				lostFilter++
			} else if swr.score < cut {
				status = "LOST-sweep"
				lostSweep++
			}
			engine := ""
			if status != "ok" && os.Getenv("TRACEMARK_SEARCH_DIAG_ENGINE") != "" {
				pc, err := loader.load(ctx, mid)
				if err != nil {
					t.Fatal(err)
				}
				res, err := cmp.Compare(p, pc)
				if err != nil {
					t.Fatal(err)
				}
				engine = fmt.Sprintf(" | engine score %.2f log10LR %.2f high-CMC %d", res.Score, res.Log10LR, res.Decision.HighCMC)
			}
			t.Logf("q %s mate %s: filter %.3f rank %d angle %d | sweep %.3f angle %d (cut %.3f) | true angle %d score %.3f polar-peak rank %d of %d | %s",
				id, mid, fr.score, rank[row], fr.angle, swr.score, swr.angle, cut, ta, at.score, prank, len(sc.peaks), status+engine)
		}
	}
	t.Logf("filter: %.1f µs a row", float64(cpuFilter.Microseconds())/float64(nq*n))
	t.Logf("polar peak rank of the true angle (6 = beyond 5): %v", prHist)
	t.Logf("mates %d: lost in filter %d, lost in sweep %d", total, lostFilter, lostSweep)
}
