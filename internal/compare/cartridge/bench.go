package cartridge

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
	"strings"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/metrics"
)

// BenchConfig configures RunBench.
type BenchConfig struct {
	DataDir  string // scans are read relative to it
	TruthCSV string // columns file (relative to DataDir) and source_id
	Workers  int    // parallel comparisons (≥ 1)
	Limit    int    // keep the first Limit files (0: all)
	// Preprocessed declares the scans already processed (PreprocessConfig.Processed).
	Preprocessed bool
	Preprocess   PreprocessConfig
	Compare      Config
	Calibration  *Calibration // nil: DefaultCalibration
	// Stage is called when a stage starts (with its number of steps) and
	// Step after each step; both may be nil. Step is called from the
	// workers, one call at a time.
	Stage func(name string, total int)
	Step  func()
}

// BenchPair is one compared pair.
type BenchPair struct {
	A           string   `json:"a"`
	B           string   `json:"b"`
	Same        bool     `json:"same_source"`
	Score       float64  `json:"score"`
	Log10LR     float64  `json:"log10_lr"`
	HighCMC     int      `json:"high_cmc"`
	OriginalMin int      `json:"original_min"`
	OriginalAB  int      `json:"original_ab"`
	OriginalBA  int      `json:"original_ba"`
	ThetaAB     float64  `json:"theta_ab"`
	Ms          float64  `json:"ms"`
	Features    Features `json:"features"`
}

// BenchReport summarises a benchmark run. Scores are Result.Score; CMC
// figures are the combined High-CMC count unless named "original".
type BenchReport struct {
	Pairs           int     `json:"pairs"`
	SameSourcePairs int     `json:"same_source_pairs"`
	AUC             float64 `json:"auc"`
	EER             float64 `json:"eer"`
	MinSameScore    float64 `json:"min_same_score"`
	MaxDiffScore    float64 `json:"max_diff_score"`
	CMCSameMin      int     `json:"cmc_same_min"`
	CMCDiffMax      int     `json:"cmc_diff_max"`
	OriginalSameMin int     `json:"original_cmc_same_min"`
	OriginalDiffMax int     `json:"original_cmc_diff_max"`
	CMCAUC          float64 `json:"cmc_auc"`
	// Likelihood-ratio checks (Result.Log10LR): the share of same-source
	// pairs with LR > 1, of different-source pairs with LR < 1, and the
	// log-likelihood-ratio cost Cllr in bits (0 perfect, 1 = an LR that
	// always says 1; see Cllr).
	LRSameAbove1     float64     `json:"lr_same_above_1"`
	LRDiffBelow1     float64     `json:"lr_diff_below_1"`
	Cllr             float64     `json:"cllr"`
	Top1             float64     `json:"top1"`
	Top5             float64     `json:"top5"`
	Top10            float64     `json:"top10"`
	MRR              float64     `json:"mrr"`
	PairsPerSecond   float64     `json:"pairs_per_second"`
	MedianPairMS     float64     `json:"median_pair_ms"`
	Workers          int         `json:"workers"`
	Mode             Mode        `json:"mode"`
	Preset           string      `json:"preset"`
	Preprocessed     bool        `json:"preprocessed"`
	Calibration      string      `json:"calibration"`
	Scans            int         `json:"scans"`
	PrepareSeconds   float64     `json:"prepare_seconds"`
	CompareSeconds   float64     `json:"compare_seconds"`
	CPU              string      `json:"cpu"`
	GOMAXPROCS       int         `json:"gomaxprocs"`
	GoVersion        string      `json:"go_version"`
	Settings         Config      `json:"settings"`
	PairResults      []BenchPair `json:"pair_results"`
	UnsuitableScans  []string    `json:"unsuitable_scans,omitempty"`
	ComparisonErrors []string    `json:"comparison_errors,omitempty"`
}

// TruthRow is one scan of a ground-truth CSV: its file (relative to the
// data folder) and its source (firearm) id.
type TruthRow struct{ File, Source string }

// ReadTruth reads a ground-truth CSV with columns file and source_id (any
// order, other columns ignored).
func ReadTruth(path string) ([]TruthRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cartridge: truth: %w", err)
	}
	defer f.Close()
	return parseTruth(bufio.NewReader(f), path)
}

func parseTruth(in io.Reader, path string) ([]TruthRow, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("cartridge: truth %s: reading the header: %w", path, err)
	}
	fi, si := -1, -1
	for i, h := range head {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "file":
			fi = i
		case "source_id":
			si = i
		}
	}
	if fi < 0 || si < 0 {
		return nil, fmt.Errorf("cartridge: truth %s: need columns file and source_id, got %v", path, head)
	}
	var out []TruthRow
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cartridge: truth %s: %w", path, err)
		}
		if len(rec) <= max(fi, si) || rec[fi] == "" || rec[si] == "" {
			return nil, fmt.Errorf("cartridge: truth %s line %d: empty file or source_id", path, line)
		}
		out = append(out, TruthRow{rec[fi], rec[si]})
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("cartridge: truth %s lists %d scans; need at least 2", path, len(out))
	}
	return out, nil
}

// RunBench preprocesses every listed scan once, compares all pairs in
// parallel and computes the accuracy, ranking and speed figures.
func RunBench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	rows, err := ReadTruth(cfg.TruthCSV)
	if err != nil {
		return nil, err
	}
	if cfg.Limit > 0 && cfg.Limit < len(rows) {
		rows = rows[:cfg.Limit]
	}
	workers := max(1, cfg.Workers)
	stage := func(n string, t int) {
		if cfg.Stage != nil {
			cfg.Stage(n, t)
		}
	}
	var stepMu sync.Mutex
	step := func() {
		if cfg.Step != nil {
			stepMu.Lock()
			cfg.Step()
			stepMu.Unlock()
		}
	}
	rep := &BenchReport{Workers: workers, Mode: cfg.Compare.Mode, Preset: cfg.Preprocess.Preset,
		Preprocessed: cfg.Preprocessed, GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		CPU: cpuModel(), Settings: cfg.Compare}
	calib := cfg.Calibration
	if calib == nil {
		if calib, err = DefaultCalibration(); err != nil {
			return nil, err
		}
	}
	rep.Calibration = calib.Version

	// Stage 1: preprocess and prepare each scan once.
	t0 := time.Now()
	stage("preparing scans", len(rows))
	prepared := make([]*Prepared, len(rows))
	perr := make([]error, len(rows))
	pcfg := cfg.Preprocess
	pcfg.Processed = cfg.Preprocessed
	parallel(ctx, workers, len(rows), func(i int) {
		defer step()
		path := filepath.Join(cfg.DataDir, rows[i].File)
		pp, err := LoadScan(path, pcfg)
		if err == nil {
			prepared[i], err = Prepare(rows[i].File, pp.Map, cfg.Compare)
		}
		perr[i] = err
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var keep []int
	for i, e := range perr {
		if e != nil {
			if !errors.Is(e, ErrUnsuitable) {
				return nil, e
			}
			rep.UnsuitableScans = append(rep.UnsuitableScans, e.Error())
			continue
		}
		keep = append(keep, i)
	}
	rep.Scans = len(keep)
	rep.PrepareSeconds = time.Since(t0).Seconds()

	// Stage 2: all pairs.
	type job struct{ i, j int }
	var jobs []job
	for a := 0; a < len(keep); a++ {
		for b := a + 1; b < len(keep); b++ {
			jobs = append(jobs, job{keep[a], keep[b]})
		}
	}
	stage("comparing pairs", len(jobs))
	results := make([]BenchPair, len(jobs))
	errs := make([]error, len(jobs))
	comparers := make(chan *Comparer, workers)
	for range workers {
		c, err := NewComparer(cfg.Compare, calib)
		if err != nil {
			return nil, err
		}
		comparers <- c
	}
	t1 := time.Now()
	parallel(ctx, workers, len(jobs), func(k int) {
		defer step()
		c := <-comparers
		defer func() { comparers <- c }()
		jb := jobs[k]
		r, err := c.Compare(prepared[jb.i], prepared[jb.j])
		if err != nil {
			errs[k] = err
			return
		}
		results[k] = BenchPair{
			A: rows[jb.i].File, B: rows[jb.j].File, Same: rows[jb.i].Source == rows[jb.j].Source,
			Score: r.Score, Log10LR: r.Log10LR, HighCMC: r.Decision.HighCMC, OriginalMin: r.Decision.OriginalMin,
			OriginalAB: r.Decision.Forward.Count, OriginalBA: r.Decision.Backward.Count,
			ThetaAB: r.Forward.Registration.Theta, Ms: r.Elapsed, Features: r.Features,
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.CompareSeconds = time.Since(t1).Seconds()
	for k, e := range errs {
		if e != nil {
			rep.ComparisonErrors = append(rep.ComparisonErrors, e.Error())
			continue
		}
		rep.PairResults = append(rep.PairResults, results[k])
	}
	summarise(rep)
	return rep, nil
}

// parallel runs fn(0..n-1) on workers goroutines, stopping early when ctx
// is cancelled.
func parallel(ctx context.Context, workers, n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

func summarise(rep *BenchReport) {
	ps := rep.PairResults
	rep.Pairs = len(ps)
	scored := make([]metrics.Scored, len(ps))
	cmc := make([]metrics.Scored, len(ps))
	byQuery := map[string][]metrics.Scored{}
	var ms []float64
	rep.CMCSameMin, rep.OriginalSameMin = math.MaxInt, math.MaxInt
	rep.CMCDiffMax, rep.OriginalDiffMax = -1, -1
	for i, p := range ps {
		scored[i] = metrics.Scored{Score: p.Score, Same: p.Same}
		cmc[i] = metrics.Scored{Score: float64(p.HighCMC), Same: p.Same}
		byQuery[p.A] = append(byQuery[p.A], scored[i])
		byQuery[p.B] = append(byQuery[p.B], scored[i])
		ms = append(ms, p.Ms)
		if p.Same {
			rep.SameSourcePairs++
			rep.CMCSameMin = min(rep.CMCSameMin, p.HighCMC)
			rep.OriginalSameMin = min(rep.OriginalSameMin, p.OriginalMin)
		} else {
			rep.CMCDiffMax = max(rep.CMCDiffMax, p.HighCMC)
			rep.OriginalDiffMax = max(rep.OriginalDiffMax, p.OriginalMin)
		}
	}
	if rep.SameSourcePairs == 0 {
		rep.CMCSameMin, rep.OriginalSameMin = -1, -1
	}
	rep.AUC = zeroIfNaN(metrics.AUC(scored))
	eer, _ := metrics.EER(scored)
	rep.EER = zeroIfNaN(eer)
	rep.CMCAUC = zeroIfNaN(metrics.AUC(cmc))
	var sameLR, diffLR []float64
	for _, p := range ps {
		if p.Same {
			sameLR = append(sameLR, p.Log10LR)
		} else {
			diffLR = append(diffLR, p.Log10LR)
		}
	}
	rep.LRSameAbove1 = zeroIfNaN(shareWhere(sameLR, func(v float64) bool { return v > 0 }))
	rep.LRDiffBelow1 = zeroIfNaN(shareWhere(diffLR, func(v float64) bool { return v < 0 }))
	rep.Cllr = zeroIfNaN(Cllr(sameLR, diffLR))
	minSame, maxDiff := metrics.Separation(scored)
	rep.MinSameScore, rep.MaxDiffScore = zeroIfNaN(minSame), zeroIfNaN(maxDiff)
	queries := make([]string, 0, len(byQuery))
	for q := range byQuery {
		queries = append(queries, q)
	}
	sort.Strings(queries)
	cands := make([][]metrics.Scored, 0, len(queries))
	for _, q := range queries {
		cands = append(cands, byQuery[q])
	}
	rk := metrics.Rank(cands)
	rep.Top1, rep.Top5, rep.Top10, rep.MRR = rk.Top1, rk.Top5, rk.Top10, rk.MRR
	if rep.CompareSeconds > 0 {
		rep.PairsPerSecond = float64(len(ps)) / rep.CompareSeconds
	}
	rep.MedianPairMS = zeroIfNaN(medianFloats(ms))
}

// Cllr is the log-likelihood-ratio cost (Brümmer & du Preez 2006) of log10
// likelihood ratios given to same-source and different-source pairs:
// ½[mean log2(1 + 1/LR) over same + mean log2(1 + LR) over different], in
// bits. It punishes both poor discrimination and poor calibration; an LR
// that always says 1 costs 1. NaN when a class is empty.
func Cllr(sameLog10LR, diffLog10LR []float64) float64 {
	if len(sameLog10LR) == 0 || len(diffLog10LR) == 0 {
		return math.NaN()
	}
	cost := func(v []float64, sign float64) float64 {
		var s float64
		for _, l := range v {
			// log2(1 + 10^(sign·l)) without overflow for large |l|.
			x := sign * l * math.Ln10
			if x > 30 {
				s += x / math.Ln2
			} else {
				s += math.Log1p(math.Exp(x)) / math.Ln2
			}
		}
		return s / float64(len(v))
	}
	return (cost(sameLog10LR, -1) + cost(diffLog10LR, 1)) / 2
}

// shareWhere is the share of v satisfying ok (NaN for an empty v).
func shareWhere(v []float64, ok func(float64) bool) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	n := 0
	for _, x := range v {
		if ok(x) {
			n++
		}
	}
	return float64(n) / float64(len(v))
}

// zeroIfNaN keeps the JSON report valid (encoding/json rejects NaN); the
// figures are undefined only when a class is empty, which Pairs and
// SameSourcePairs show.
func zeroIfNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// cpuModel returns the CPU model name from /proc/cpuinfo ("" elsewhere).
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
