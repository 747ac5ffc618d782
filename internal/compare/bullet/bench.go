package bullet

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/metrics"
)

// TruthRow is one land of a benchmark set: a line of the truth CSV
// (columns file, bullet_id, land, source_id, barrel_id; source_id equal ⇔
// same land of the same barrel, empty when unknown).
type TruthRow struct {
	File     string
	BulletID string
	Land     int // 1-based position on the bullet
	SourceID string
	BarrelID string
}

// ReadTruthCSV parses a truth CSV with a header naming at least the
// columns file, bullet_id, land, source_id and barrel_id (any order).
func ReadTruthCSV(r io.Reader) ([]TruthRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("truth csv: reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	for _, need := range []string{"file", "bullet_id", "land", "source_id", "barrel_id"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("truth csv: no %q column in the header %v (need file, bullet_id, land, source_id, barrel_id)", need, head)
		}
	}
	var rows []TruthRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("truth csv: %w", err)
		}
		get := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		land, err := strconv.Atoi(get("land"))
		if err != nil || land < 1 || land > 64 {
			return nil, fmt.Errorf("truth csv line %d: land %q is not a number 1–64", line, get("land"))
		}
		row := TruthRow{File: get("file"), BulletID: get("bullet_id"), Land: land, SourceID: get("source_id"), BarrelID: get("barrel_id")}
		if row.File == "" || row.BulletID == "" {
			return nil, fmt.Errorf("truth csv line %d: file and bullet_id must not be empty", line)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errors.New("truth csv: no lands listed")
	}
	return rows, nil
}

// BenchOptions configure Bench.
type BenchOptions struct {
	Dir     string // data root; truth file names are relative to it
	Workers int    // parallel workers; ≤ 0 means GOMAXPROCS
	// Progress, when not nil, is told the number of steps (lands to
	// preprocess, then bullet pairs) and called once per finished step.
	Progress Progress
}

// Progress receives progress reports. Bench calls it from one goroutine.
type Progress interface {
	Start(stage string, total int)
	Add(n int)
}

// BenchReport holds accuracy and speed figures of a benchmark run.
type BenchReport struct {
	Lands           int      `json:"lands"`
	Bullets         int      `json:"bullets"`
	UnsuitableLands []string `json:"unsuitable_lands,omitempty"`
	RejectedFiles   []string `json:"rejected_files,omitempty"`

	LandPairs          int     `json:"land_pairs"` // cross-bullet pairs with known truth
	LandSame           int     `json:"land_pairs_same"`
	LandAUC            Value   `json:"land_auc"`
	LandEER            Value   `json:"land_eer"`
	LandEERAt          Value   `json:"land_eer_threshold"`
	LandTop1           Value   `json:"land_top1"`
	LandQueries        int     `json:"land_top1_queries"`
	LandMinSame        Value   `json:"land_min_same"`
	LandMaxDiff        Value   `json:"land_max_diff"`
	BulletPairs        int     `json:"bullet_pairs"`
	BulletSame         int     `json:"bullet_pairs_same"`
	BulletAUC          Value   `json:"bullet_auc"`
	BulletMinSame      Value   `json:"bullet_min_same"`
	BulletMaxDiff      Value   `json:"bullet_max_diff"`
	BulletAUCCCF       Value   `json:"bullet_auc_ccf"`
	PhaseAccuracy      Value   `json:"phase_accuracy"`
	PhasePairs         int     `json:"phase_pairs"`
	MedianPreprocessMS float64 `json:"median_preprocess_land_ms"`
	MedianLandMS       float64 `json:"median_land_pair_ms"`
	MedianBulletMS     float64 `json:"median_bullet_pair_ms"`
	TotalSeconds       float64 `json:"total_seconds"`
	Model              string  `json:"model"`
	Machine            Machine `json:"machine"`
}

// Machine describes where a benchmark ran.
type Machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPU        string `json:"cpu,omitempty"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Workers    int    `json:"workers"`
	GoVersion  string `json:"go_version"`
}

// Bench preprocesses every land once, compares every pair of bullets and
// scores the results against the truth. Timings are per comparison on one
// goroutine; with several workers they share the machine.
func (c *Comparer) Bench(ctx context.Context, rows []TruthRow, o BenchOptions) (*BenchReport, error) {
	start := time.Now()
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rep := &BenchReport{Lands: len(rows), Model: c.Model.Version, Machine: machine(workers)}
	prog := o.Progress
	if prog == nil {
		prog = noProgress{}
	}

	// Preprocess each land once.
	lands := make([]*Land, len(rows))
	problems := make([]string, len(rows))
	prepMS := make([]float64, len(rows))
	prog.Start("preprocess lands", len(rows))
	err := parallel(ctx, workers, len(rows), prog, func(i int) error {
		t0 := time.Now()
		l, err := ReadLand(filepath.Join(o.Dir, rows[i].File), c.Params)
		prepMS[i] = ms(time.Since(t0))
		var unsuitable *UnsuitableError
		switch {
		case errors.As(err, &unsuitable):
			problems[i] = "unsuitable: " + unsuitable.Reason
		case errors.Is(err, ErrNotALand):
			problems[i] = "rejected: " + err.Error()
		case err != nil:
			return err
		default:
			lands[i] = l
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, pr := range problems {
		switch {
		case strings.HasPrefix(pr, "unsuitable: "):
			rep.UnsuitableLands = append(rep.UnsuitableLands, rows[i].File+": "+strings.TrimPrefix(pr, "unsuitable: "))
		case pr != "":
			rep.RejectedFiles = append(rep.RejectedFiles, strings.TrimPrefix(pr, "rejected: "))
		}
	}
	rep.MedianPreprocessMS = median(prepMS)

	// Bullets in order of first appearance; lands placed by number.
	type bulletInfo struct {
		b      *Bullet
		rows   []int // row index per land position, -1 if none
		barrel string
	}
	var bullets []*bulletInfo
	byID := map[string]*bulletInfo{}
	for i, r := range rows {
		bi := byID[r.BulletID]
		if bi == nil {
			bi = &bulletInfo{b: &Bullet{Name: r.BulletID}, barrel: r.BarrelID}
			byID[r.BulletID] = bi
			bullets = append(bullets, bi)
		}
		for len(bi.rows) < r.Land {
			bi.rows = append(bi.rows, -1)
			bi.b.Lands = append(bi.b.Lands, nil)
			bi.b.Problems = append(bi.b.Problems, "not in the truth file")
		}
		if bi.rows[r.Land-1] >= 0 {
			return nil, fmt.Errorf("truth: bullet %s lists land %d twice (%s and %s)", r.BulletID, r.Land, rows[bi.rows[r.Land-1]].File, r.File)
		}
		bi.rows[r.Land-1] = i
		bi.b.Lands[r.Land-1] = lands[i]
		bi.b.Problems[r.Land-1] = problems[i]
	}
	rep.Bullets = len(bullets)

	type pairResult struct {
		a, b   int
		full   [][]*LandComparison
		res    *BulletComparison
		landMS []float64
		ms     float64
	}
	var pairs []pairResult
	for a := range bullets {
		for b := a + 1; b < len(bullets); b++ {
			pairs = append(pairs, pairResult{a: a, b: b})
		}
	}
	prog.Start("compare bullets", len(pairs))
	err = parallel(ctx, workers, len(pairs), prog, func(k int) error {
		pr := &pairs[k]
		A, B := bullets[pr.a].b, bullets[pr.b].b
		t0 := time.Now()
		last := t0
		pr.full = c.landMatrix(A, B, func(int, int) {
			now := time.Now()
			pr.landMS = append(pr.landMS, ms(now.Sub(last)))
			last = now
		})
		res, err := c.combine(A, B, pr.full)
		pr.ms = ms(time.Since(t0))
		if err == nil {
			pr.res = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Land figures over cross-bullet pairs whose truth is known.
	var landScored []metrics.Scored
	cands := make(map[int][]metrics.Scored) // by row index
	var allLandMS, bulletMS []float64
	var bulletScored, bulletCCF []metrics.Scored
	phaseOK, phaseN := 0, 0
	for _, pr := range pairs {
		allLandMS = append(allLandMS, pr.landMS...)
		A, B := bullets[pr.a], bullets[pr.b]
		for i, row := range pr.full {
			for j, lc := range row {
				if lc == nil {
					continue
				}
				ra, rb := rows[A.rows[i]], rows[B.rows[j]]
				same, known := landTruth(ra, rb)
				if !known {
					continue
				}
				s := metrics.Scored{Score: lc.Score, Same: same}
				landScored = append(landScored, s)
				cands[A.rows[i]] = append(cands[A.rows[i]], s)
				cands[B.rows[j]] = append(cands[B.rows[j]], s)
			}
		}
		if pr.res == nil {
			continue
		}
		bulletMS = append(bulletMS, pr.ms)
		sameBarrel := A.barrel != "" && A.barrel == B.barrel
		bulletScored = append(bulletScored, metrics.Scored{Score: pr.res.Score, Same: sameBarrel})
		bulletCCF = append(bulletCCF, metrics.Scored{Score: pr.res.ScoreCCF, Same: sameBarrel})
		if sameBarrel {
			if k, ok := truePhase(rows, A.rows, B.rows); ok {
				phaseN++
				if pr.res.Phase == k {
					phaseOK++
				}
			}
		}
	}
	rep.LandPairs = len(landScored)
	for _, s := range landScored {
		if s.Same {
			rep.LandSame++
		}
	}
	rep.LandAUC = Value(metrics.AUC(landScored))
	eer, at := metrics.EER(landScored)
	rep.LandEER, rep.LandEERAt = Value(eer), Value(at)
	ms0, md0 := metrics.Separation(landScored)
	rep.LandMinSame, rep.LandMaxDiff = Value(ms0), Value(md0)
	var queries [][]metrics.Scored
	for i := range rows {
		if cs := cands[i]; len(cs) > 0 {
			queries = append(queries, cs)
		}
	}
	rk := metrics.Rank(queries)
	rep.LandTop1, rep.LandQueries = Value(rk.Top1), rk.Queries
	if rk.Queries == 0 {
		rep.LandTop1 = Value(math.NaN())
	}
	rep.BulletPairs = len(bulletScored)
	for _, s := range bulletScored {
		if s.Same {
			rep.BulletSame++
		}
	}
	rep.BulletAUC = Value(metrics.AUC(bulletScored))
	rep.BulletAUCCCF = Value(metrics.AUC(bulletCCF))
	bs, bd := metrics.Separation(bulletScored)
	rep.BulletMinSame, rep.BulletMaxDiff = Value(bs), Value(bd)
	rep.PhaseAccuracy, rep.PhasePairs = Value(math.NaN()), phaseN
	if phaseN > 0 {
		rep.PhaseAccuracy = Value(float64(phaseOK) / float64(phaseN))
	}
	rep.MedianLandMS = median(allLandMS)
	rep.MedianBulletMS = median(bulletMS)
	rep.TotalSeconds = time.Since(start).Seconds()
	return rep, nil
}

// landTruth says whether two lands share a source and whether that is known:
// equal non-empty source ids are the same land; different barrels or
// different non-empty source ids are different lands.
func landTruth(a, b TruthRow) (same, known bool) {
	switch {
	case a.SourceID != "" && b.SourceID != "":
		return a.SourceID == b.SourceID, true
	case a.BarrelID != "" && b.BarrelID != "" && a.BarrelID != b.BarrelID:
		return false, true
	}
	return false, false
}

// truePhase returns the phase k that pairs the most lands with equal
// source ids (A land i with B land (i+k) mod p); false if none does.
func truePhase(rows []TruthRow, ra, rb []int) (int, bool) {
	p := max(len(ra), len(rb))
	best, bestN := 0, 0
	for k := 0; k < p; k++ {
		n := 0
		for i, x := range ra {
			j := (i + k) % p
			if x < 0 || j >= len(rb) || rb[j] < 0 {
				continue
			}
			if s := rows[x].SourceID; s != "" && s == rows[rb[j]].SourceID {
				n++
			}
		}
		if n > bestN {
			best, bestN = k, n
		}
	}
	return best, bestN > 0
}

// parallel runs fn(0..n-1) on workers goroutines, reporting progress, and
// returns the first error (or the context's).
func parallel(ctx context.Context, workers, n int, prog Progress, fn func(i int) error) error {
	jobs := make(chan int)
	done := make(chan struct{}, n)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
				done <- struct{}{}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < n; i++ {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	for {
		select {
		case <-done:
			prog.Add(1)
		case <-finished:
			for len(done) > 0 {
				<-done
				prog.Add(1)
			}
			if firstErr != nil {
				return firstErr
			}
			return ctx.Err()
		}
	}
}

type noProgress struct{}

func (noProgress) Start(string, int) {}
func (noProgress) Add(int)           {}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func machine(workers int) Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Workers: workers, GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
