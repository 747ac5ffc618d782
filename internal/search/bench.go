package search

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/procstat"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/synth"
)

// BenchConfig configures RunBench.
type BenchConfig struct {
	// Synthetic is the number of synthetic cartridge cases indexed
	// (SyntheticShots per firearm).
	Synthetic      int
	SyntheticShots int    // default 4 (each query has 3 mates)
	Seed           uint64 // synthetic corpus seed
	// RealDir and TruthCSV (columns file, source_id; file relative to
	// RealDir) add real processed scans (the Fadul set), which are also all
	// queried.
	RealDir, TruthCSV string
	Queries           int // synthetic queries (default 50)
	Pipeline          PipelineConfig
	// Distractors adds that many non-mate exhibits made from the synthetic
	// firings by the six turns and mirrorings of the square that are not a
	// rotation within ±60° (dihedral): statistically unrelated firearms for
	// a search that turns by at most ±33° and never mirrors, at the cost of
	// a signature instead of a generated firing (at most 6 per firing).
	Distractors int
	// CoarseOnly skips the full comparison: recall and coarse timings only.
	CoarseOnly bool
	// EngineMates compares every synthetic query with each of its mates by
	// the full engine after the timed queries, to report the recall over
	// the mates the engine identifies (BenchSet.RecallIdentified).
	EngineMates bool
	// CacheMiB bounds the prepared candidates kept between queries
	// (PreparedCache; default 512, as the server).
	CacheMiB int
	// Shards splits the corpus by ShardOf over that many in-process
	// indexes queried through Shards (default 1: one index), to measure
	// what a sharded coarse stage keeps and costs.
	Shards int
	// Remote, when set, is a coarse stage over this corpus held elsewhere
	// (shards built by BuildBenchShard in other processes): RunBench then
	// indexes nothing itself (Shards is ignored) and only prepares the
	// queries and the full comparison's candidates.
	Remote *BenchRemote
	// Progress, when set, is called with a stage name, the work done and
	// the total (from one goroutine at a time).
	Progress func(stage string, done, total int)
}

// BenchRemote is a coarse stage over the bench corpus whose parts are
// held by other processes.
type BenchRemote struct {
	Coarse Coarse
	// Parts are what each part indexed (BuildBenchShard), in shard order;
	// RunBench checks that they add up to the corpus.
	Parts []BenchShardInfo
	// IngestSeconds is the wall time the parts took to build, together.
	IngestSeconds float64
	// WithExcludeIDs, when set, returns the context of a query that
	// leaves out ids (the query's own scan): a coarse stage in another
	// process cannot call Query.Exclude (server.WithExcludeIDs).
	WithExcludeIDs func(ctx context.Context, ids []string) context.Context
	// CPU, when set, returns the CPU time the parts' processes have used
	// so far (all of them together), so that a query's CPU counts theirs.
	CPU func() time.Duration
}

// BenchShardInfo is what one part of the corpus indexed.
type BenchShardInfo struct {
	Shard         int     `json:"shard"`
	Shards        int     `json:"shards"`
	Exhibits      int     `json:"exhibits"`
	Synthetic     int     `json:"synthetic_exhibits"`
	Distractors   int     `json:"distractor_exhibits"`
	Real          int     `json:"real_exhibits"`
	IndexMiB      float64 `json:"index_mib"`
	IngestSeconds float64 `json:"ingest_seconds"`
	// RSSMiB is the serving process's resident set once built, after a
	// garbage collection that returned the freed memory (set by the
	// process that serves the part): what it holds while it answers,
	// where its peak is mostly the build's garbage.
	RSSMiB float64 `json:"rss_after_build_mib,omitempty"`
}

// BenchProcess is one process of a bench run across processes, as
// measured by the operating system when it ended.
type BenchProcess struct {
	Role       string  `json:"role"` // "query" or "shard i/n"
	PID        int     `json:"pid"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

// BenchQuery is one query's outcome.
type BenchQuery struct {
	ID       string  `json:"id"`
	Mates    int     `json:"mates"`
	Kept     int     `json:"mates_in_top_k"`
	Top1Mate bool    `json:"top1_mate"`
	TopID    string  `json:"top_id"`
	TopScore float64 `json:"top_score"`
	CoarseMS float64 `json:"coarse_ms"`
	TotalMS  float64 `json:"query_ms"`
	// ExpandedWith is how many identified hits expanded the query
	// (PipelineConfig.Expand), ExpandMS what its second scan took, and
	// KeptFirstScan how many mates the query's own scan kept in its best K.
	ExpandedWith  int     `json:"expanded_with,omitempty"`
	ExpandMS      float64 `json:"expand_ms,omitempty"`
	KeptFirstScan int     `json:"mates_in_first_scan"`
	Compared      int     `json:"full_comparisons"`
	// CPUMS is the process's CPU time during the query (user + system, all
	// threads; queries run one at a time): on a shared machine it measures
	// the work where wall time mostly measures the other processes.
	CPUMS float64 `json:"query_cpu_ms"`
	// RemoteCPUMS is the share of CPUMS used by the processes of a remote
	// coarse stage (BenchConfig.Remote).
	RemoteCPUMS float64 `json:"query_remote_cpu_ms,omitempty"`
	// Identified and IdentifiedKept (synthetic queries, EngineMates): the
	// mates the full engine identifies when compared with the query
	// directly (high-CMC ≥ IdentifiedCMC), and how many of those the
	// coarse stage kept.
	Identified     int `json:"mates_identified,omitempty"`
	IdentifiedKept int `json:"identified_in_top_k,omitempty"`
	kept           map[string]bool
}

// IdentifiedCMC is the high-CMC count at which the bench calls a mate
// identified by the engine: Song's C = 6 (algorithms.md §4), the legacy
// identification criterion, used here only to tell the mates a search could
// present as hits from those that share too little of their marks.
const IdentifiedCMC = 6

// BenchSet summarises the queries of one corpus part.
type BenchSet struct {
	Queries   int     `json:"queries"`
	Mates     int     `json:"mates"`
	RecallAtK float64 `json:"recall_at_k"`
	// RecallFirstScan is the recall of the query's own scan, before query
	// expansion.
	RecallFirstScan float64 `json:"recall_at_k_first_scan"`
	// RecallIdentified is the recall over the mates the engine identifies
	// (EngineMates only).
	Identified       int          `json:"mates_identified,omitempty"`
	RecallIdentified float64      `json:"recall_at_k_identified,omitempty"`
	Top1             float64      `json:"top1"`
	CoarseMSMedian   float64      `json:"coarse_ms_median"`
	Expanded         int          `json:"queries_expanded"`
	ExpandMSMedian   float64      `json:"expand_ms_median"` // over the expanded queries
	QueryMSMedian    float64      `json:"query_ms_median"`
	QueryMSP95       float64      `json:"query_ms_p95"`
	CPUMSMedian      float64      `json:"query_cpu_ms_median"`
	Results          []BenchQuery `json:"results"`
}

// BenchReport is the outcome of RunBench. The top-level figures pool the
// synthetic and real queries; Synthetic and Real give each part.
type BenchReport struct {
	Exhibits        int        `json:"exhibits"`
	SyntheticCount  int        `json:"synthetic_exhibits"`
	DistractorCount int        `json:"distractor_exhibits"`
	RealCount       int        `json:"real_exhibits"`
	IngestSeconds   float64    `json:"ingest_seconds"`
	IngestPerSecond float64    `json:"ingest_per_second"`
	K               int        `json:"k"`
	Full            int        `json:"full"`
	Rerank          int        `json:"rerank"`
	Hypotheses      int        `json:"hypotheses"`
	Expand          int        `json:"expand"` // PipelineConfig.Expand (≤ 0: off)
	CoarseMSMedian  float64    `json:"coarse_ms_median"`
	QueryMSMedian   float64    `json:"query_ms_median"`
	QueryMSP95      float64    `json:"query_ms_p95"`
	CPUMSMedian     float64    `json:"query_cpu_ms_median"`
	RecallAtK       float64    `json:"recall_at_k"`
	Top1            float64    `json:"top1"`
	PeakRSSMiB      float64    `json:"peak_rss_mib"`
	Cache           CacheStats `json:"prepared_cache"`
	IndexMiB        float64    `json:"index_mib"`
	Shards          int        `json:"shards"`
	ShardIndexMiB   []float64  `json:"shard_index_mib"` // resident index of each shard
	// ShardParts (remote coarse stage): what each shard process indexed.
	ShardParts []BenchShardInfo `json:"shard_parts,omitempty"`
	// Processes (remote coarse stage): every process of the run, filled
	// by the caller that started them once they ended.
	Processes    []BenchProcess `json:"processes,omitempty"`
	FeatureBytes int            `json:"feature_blob_bytes"`
	Synthetic    *BenchSet      `json:"synthetic,omitempty"`
	Real         *BenchSet      `json:"real,omitempty"`
	Machine      Machine        `json:"machine"`
	Notes        []string       `json:"notes"`
}

// Machine describes where a benchmark ran.
type Machine struct {
	CPU        string  `json:"cpu"`
	NumCPU     int     `json:"num_cpu"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	GoVersion  string  `json:"go_version"`
	LoadAvg1   float64 `json:"load_avg_1m_at_end"`
	Workers    int     `json:"workers"`
}

// Synthetic corpus: firearm g is synth's single firearm of seed
// mix(Seed, g), so that any firearm can be generated alone (for the bulk
// ingest in parallel, and again on demand for the full comparison). The
// corpus is generated at 12.5 µm, 200×200 points (the same 2.5 mm scans as
// 6.25 µm × 400, four times cheaper); the signature works at 12.5 µm anyway.
// Queries and the full comparison use the scans preprocessed to 6.25 µm
// (cartridge.Preprocess, processed mode), exactly as a real search would.
//
// Firings are turned by at most ±15° so that two firings of one firearm are
// at most 30° apart: the range the engine (and the coarse stage, by
// default) searches. synth's default ±30° would put mates up to 60° apart,
// which no cartridge comparison here is configured to find.
const (
	synthSpacingUM   = 12.5
	synthSizePX      = 200
	synthRotationDeg = 15
)

// bulkPreprocess is the preprocessing of the bulk path: pcfg at the
// generation spacing.
func bulkPreprocess(pcfg cartridge.PreprocessConfig) cartridge.PreprocessConfig {
	pcfg.SpacingUM = synthSpacingUM
	return pcfg
}

func synthID(g, s int) string { return fmt.Sprintf("syn-%06d-%02d", g, s) }

func parseSynthID(id string) (g, s int, ok bool) {
	if !strings.HasPrefix(id, "syn-") || len(id) != 13 {
		return 0, 0, false
	}
	g, e1 := strconv.Atoi(id[4:10])
	s, e2 := strconv.Atoi(id[11:13])
	return g, s, e1 == nil && e2 == nil
}

func synthSeed(seed uint64, g int) uint64 {
	x := seed*0x9e3779b97f4a7c15 + uint64(g) + 1
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	return x ^ x>>29
}

// synthFirearm generates the first shots firings of firearm g.
func synthFirearm(seed uint64, g, shots int) ([]synth.Scan, error) {
	return synth.Cartridges(synth.CartridgeConfig{Firearms: 1, Shots: shots, Seed: synthSeed(seed, g),
		SpacingUM: synthSpacingUM, SizePX: synthSizePX, RotationRangeDeg: synthRotationDeg})
}

// benchLoader loads prepared candidates for the bench: real ones by
// preparing their processed surfaces (kept in memory, about 2.4 MB each),
// synthetic ones by regenerating the firing (preprocessed to the engine's
// spacing) as the blob store would hand it out. A PreparedCache in front of
// it bounds what stays prepared.
type benchLoader struct {
	seed  uint64
	pcfg  cartridge.PreprocessConfig
	ccfg  cartridge.Config
	mu    sync.RWMutex
	reals map[string]*surface.Map
}

func (l *benchLoader) load(_ context.Context, id string) (*cartridge.Prepared, error) {
	variant := 0
	if base, v, ok := strings.Cut(id, "~d"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > distractorVariants {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		id, variant = base, n
	}
	if strings.HasPrefix(id, "real:") {
		l.mu.RLock()
		m := l.reals[id]
		l.mu.RUnlock()
		if m == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return cartridge.Prepare(id, m, l.ccfg)
	}
	g, shot, ok := parseSynthID(id)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	scans, err := synthFirearm(l.seed, g, shot+1)
	if err != nil {
		return nil, err
	}
	pp, err := cartridge.Preprocess(scans[shot].Surface, l.pcfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	m := pp.Map
	if variant > 0 {
		m = dihedral(m, variant)
		id += fmt.Sprintf("~d%d", variant)
	}
	return cartridge.Prepare(id, m, l.ccfg)
}

// distractorVariants is the number of dihedral variants of a firing used
// as distractors: the turns by 90° and 270° and the four mirrorings. The
// identity and the half turn are left out (the half turn keeps the power
// spectrum, which has period 180°).
const distractorVariants = 6

func distractorID(g, s, v int) string { return fmt.Sprintf("%s~d%d", synthID(g, s), v) }

// dihedral returns m turned or mirrored: v = 1, 2 turn by 90°, 270°; 3, 4
// mirror left–right, top–bottom; 5, 6 mirror about the diagonals.
func dihedral(m *surface.Map, v int) *surface.Map {
	nx, ny := m.NX, m.NY
	if v == 1 || v == 2 || v == 5 || v == 6 {
		nx, ny = ny, nx
	}
	out := surface.New(nx, ny, m.DX, m.DY)
	for y := range ny {
		for x := range nx {
			var sx, sy int
			switch v {
			case 1:
				sx, sy = y, m.NY-1-x
			case 2:
				sx, sy = m.NX-1-y, x
			case 3:
				sx, sy = m.NX-1-x, y
			case 4:
				sx, sy = x, m.NY-1-y
			case 5:
				sx, sy = y, x
			default:
				sx, sy = m.NX-1-y, m.NY-1-x
			}
			out.Z[y*nx+x] = m.Z[sy*m.NX+sx]
		}
	}
	return out
}

// benchCorpus is a checked BenchConfig: the corpus it describes and how to
// build it, whole or one shard at a time.
type benchCorpus struct {
	cfg       BenchConfig
	shots     int
	firearms  int
	workers   int
	pcfg      cartridge.PreprocessConfig // the engine's preprocessing (processed mode)
	progress  func(stage string, done, total int)
	benchLock sync.Mutex // serialises progress
}

func newBenchCorpus(cfg BenchConfig) (*benchCorpus, error) {
	if cfg.Synthetic < 0 {
		return nil, fmt.Errorf("search: bench: negative synthetic count %d", cfg.Synthetic)
	}
	shots := cfg.SyntheticShots
	if shots <= 0 {
		shots = 4
	}
	if shots > 99 {
		return nil, fmt.Errorf("search: bench: %d shots per firearm, at most 99", shots)
	}
	if cfg.Queries <= 0 {
		cfg.Queries = 50
	}
	if cfg.Distractors < 0 || cfg.Distractors > distractorVariants*cfg.Synthetic {
		return nil, fmt.Errorf("search: bench: %d distractors; want 0..%d (%d per synthetic firing)", cfg.Distractors, distractorVariants*cfg.Synthetic, distractorVariants)
	}
	if cfg.Shards < 0 {
		return nil, fmt.Errorf("search: bench: %d shards; want ≥ 1", cfg.Shards)
	}
	if cfg.Pipeline.Workers <= 0 {
		cfg.Pipeline.Workers = runtime.GOMAXPROCS(0)
	}
	pcfg, err := cartridge.PreprocessPreset("default")
	if err != nil {
		return nil, err
	}
	pcfg.Processed = true
	b := &benchCorpus{cfg: cfg, shots: shots, firearms: (cfg.Synthetic + shots - 1) / shots,
		workers: cfg.Pipeline.Workers, pcfg: pcfg, progress: func(string, int, int) {}}
	if cfg.Progress != nil {
		b.progress = func(s string, d, t int) { b.benchLock.Lock(); cfg.Progress(s, d, t); b.benchLock.Unlock() }
	}
	return b, nil
}

// synthetic builds the synthetic firings and distractors that keep
// reports true for (nil: all) into add, in parallel, one Signer per
// worker. Each firing is preprocessed as ingest does (processed mode: the
// band-pass) but at the generation spacing, not resampled to 6.25 µm; its
// distractors are turned or mirrored copies of the result (the band-pass
// is isotropic, so it commutes with them). Only what the kept rows need
// is computed: a firearm is generated (up to its last firing with a kept
// row) only if one of its rows is kept, a firing preprocessed only if it
// or one of its distractors is, features only for kept rows.
func (b *benchCorpus) synthetic(ctx context.Context, keep func(id string) bool, add func(id string, c Class, f *Features) error) error {
	cfg, shots := b.cfg, b.shots
	if keep == nil {
		keep = func(string) bool { return true }
	}
	// rows lists firing s of firearm g and its distractors (variant 0 is
	// the firing itself).
	type row struct {
		id      string
		variant int
	}
	rows := func(g, s int) []row {
		var out []row
		if g*shots+s >= cfg.Synthetic {
			return nil
		}
		if id := synthID(g, s); keep(id) {
			out = append(out, row{id, 0})
		}
		for v := 1; v <= distractorVariants; v++ {
			if (g*shots+s)*distractorVariants+v-1 >= cfg.Distractors {
				break
			}
			if id := distractorID(g, s, v); keep(id) {
				out = append(out, row{id, v})
			}
		}
		return out
	}
	bulkCfg := bulkPreprocess(b.pcfg)
	class := Class{Kind: KindCartridge, Calibre: "9mm Luger"}
	var (
		ingestErr error
		errOnce   sync.Once
		done      int
		doneMu    sync.Mutex
	)
	parallelFor(ctx, b.workers, b.firearms, func(g int) {
		err := func() error {
			firings := make([][]row, shots)
			needed := 0 // firings to generate
			for s := range shots {
				if firings[s] = rows(g, s); len(firings[s]) > 0 {
					needed = s + 1
				}
			}
			if needed == 0 {
				return nil
			}
			sg := signerPool.Get().(*Signer)
			defer signerPool.Put(sg)
			scans, err := synthFirearm(cfg.Seed, g, needed)
			if err != nil {
				return err
			}
			for s, sc := range scans {
				if len(firings[s]) == 0 {
					continue
				}
				pp, err := cartridge.Preprocess(sc.Surface, bulkCfg)
				if err != nil {
					return err
				}
				for _, r := range firings[s] {
					m := pp.Map
					if r.variant > 0 {
						m = dihedral(m, r.variant)
					}
					f, err := sg.Cartridge(m)
					if err != nil {
						return err
					}
					if err := add(r.id, class, f); err != nil {
						return err
					}
				}
			}
			return nil
		}()
		if err != nil {
			errOnce.Do(func() { ingestErr = fmt.Errorf("search: bench: synthetic firearm %d: %w", g, err) })
		}
		doneMu.Lock()
		done++
		if done%50 == 0 || done == b.firearms {
			b.progress("ingest synthetic", min(done*shots, cfg.Synthetic), cfg.Synthetic)
		}
		doneMu.Unlock()
	})
	if ingestErr != nil {
		return ingestErr
	}
	return ctx.Err()
}

// realScan is a real scan of the bench and its firearm.
type realScan struct{ id, source string }

// reals reads the real scans of cfg.TruthCSV (all of them, in the CSV's
// order) and, for those want reports true for (nil: all), preprocesses
// them (processed mode), computes their features and hands them to add
// (nil: not indexed here) and their surfaces to loader (nil: not kept).
// It returns every scan and the features of those read.
func (b *benchCorpus) reals(ctx context.Context, want func(id string) bool, add func(id string, c Class, f *Features) error, loader *benchLoader) ([]realScan, map[string]*Features, error) {
	if b.cfg.RealDir == "" {
		return nil, nil, nil
	}
	rows, err := cartridge.ReadTruth(b.cfg.TruthCSV)
	if err != nil {
		return nil, nil, err
	}
	reals := make([]realScan, len(rows))
	var read []int
	for i, r := range rows {
		reals[i] = realScan{"real:" + r.File, r.Source}
		if want == nil || want(reals[i].id) {
			read = append(read, i)
		}
	}
	feats := map[string]*Features{}
	var mu sync.Mutex
	var rerr error
	parallelFor(ctx, b.workers, len(read), func(j int) {
		r, id := rows[read[j]], reals[read[j]].id
		pp, err := cartridge.LoadScan(filepath.Join(b.cfg.RealDir, r.File), b.pcfg)
		var f *Features
		if err == nil {
			f, err = NewSigner().Cartridge(pp.Map)
		}
		if err == nil && add != nil {
			err = add(id, Class{Kind: KindCartridge}, f)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if rerr == nil {
				rerr = fmt.Errorf("search: bench: %s: %w", r.File, err)
			}
			return
		}
		if loader != nil {
			loader.mu.Lock()
			loader.reals[id] = pp.Map
			loader.mu.Unlock()
		}
		feats[id] = f
		b.progress("ingest real", len(feats), len(read))
	})
	if rerr != nil {
		return nil, nil, rerr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return reals, feats, nil
}

// BuildBenchShard builds shard i of n of the corpus cfg describes (the
// rows whose id has ShardOf(id, n) == i: synthetic firings, distractors
// and real scans) into one index, computing the features of those rows
// only, for a process that serves that shard's coarse stage to a RunBench
// with cfg.Remote set. cfg.Shards and cfg.Remote are ignored.
func BuildBenchShard(ctx context.Context, cfg BenchConfig, i, n int) (*Index, BenchShardInfo, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, BenchShardInfo{}, fmt.Errorf("search: bench: shard %d of %d; want 0 ≤ shard < shards", i, n)
	}
	cfg.Shards, cfg.Remote = 0, nil
	b, err := newBenchCorpus(cfg)
	if err != nil {
		return nil, BenchShardInfo{}, err
	}
	t0 := time.Now()
	idx := NewIndex(b.workers)
	keep := func(id string) bool { return ShardOf(id, n) == i }
	if err := b.synthetic(ctx, keep, idx.Add); err != nil {
		return nil, BenchShardInfo{}, err
	}
	info := BenchShardInfo{Shard: i, Shards: n}
	for _, id := range idx.ids {
		if strings.Contains(id, "~d") {
			info.Distractors++
		} else {
			info.Synthetic++
		}
	}
	_, feats, err := b.reals(ctx, keep, idx.Add, nil)
	if err != nil {
		return nil, BenchShardInfo{}, err
	}
	info.Real = len(feats)
	info.Exhibits = idx.Len()
	info.IndexMiB = float64(idx.ResidentBytes()) / (1 << 20)
	info.IngestSeconds = time.Since(t0).Seconds()
	return idx, info, nil
}

// RunBench builds an index of synthetic (and real) cartridge cases and runs
// queries through the same Pipeline as a real search. With cfg.Remote it
// builds no index and queries the remote coarse stage instead.
func RunBench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	b, err := newBenchCorpus(cfg)
	if err != nil {
		return nil, err
	}
	cfg = b.cfg
	shots, firearms, workers := b.shots, b.firearms, b.workers
	remote := cfg.Remote
	if remote != nil && remote.Coarse == nil {
		return nil, fmt.Errorf("search: bench: a remote coarse stage without Coarse")
	}
	nShards := max(1, cfg.Shards)
	var parts []*Index
	add := func(id string, c Class, f *Features) error { return parts[ShardOf(id, nShards)].Add(id, c, f) }
	if remote == nil {
		parts = make([]*Index, nShards)
		for i := range parts {
			parts[i] = NewIndex(workers)
		}
	} else {
		add = nil // the parts index the corpus
	}
	ccfg := cartridge.DefaultConfig()
	if cfg.Pipeline.Cartridge != nil {
		ccfg = *cfg.Pipeline.Cartridge
	}
	loader := &benchLoader{seed: cfg.Seed, pcfg: b.pcfg, ccfg: ccfg, reals: map[string]*surface.Map{}}
	cacheMiB := cfg.CacheMiB
	if cacheMiB <= 0 {
		cacheMiB = 512
	}
	src, err := NewPreparedCache(int64(cacheMiB)<<20, loader.load)
	if err != nil {
		return nil, err
	}
	rep := &BenchReport{Notes: []string{
		"synthetic exhibits: generated at 12.5 µm, 200×200 points, preprocessed as ingest does (processed mode: band-pass) but kept at 12.5 µm, features computed directly (bulk path); queries and full comparisons use the scans preprocessed to 6.25 µm through the real pipeline",
		"query_ms: Pipeline.Search (prefilter, coarse stage, full comparison of the top `full` candidates); the query's own preprocessing and features are ingest work and not counted",
		"candidates for the full comparison come through a PreparedCache (LRU by bytes); misses regenerate synthetic firings or re-prepare real surfaces (stand-in for blob loading), inside query_ms",
	}}

	t0 := time.Now()
	if remote == nil {
		if err := b.synthetic(ctx, nil, add); err != nil {
			return nil, err
		}
	}
	if cfg.Distractors > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d distractors are turned (90°, 270°) or mirrored copies of synthetic firings: never mates, no generation cost (ingest_per_second counts them)", cfg.Distractors))
	}
	// The real scans: all read here (queries, full comparison), indexed
	// here unless remote.
	reals, realFeat, err := b.reals(ctx, nil, add, loader)
	if err != nil {
		return nil, err
	}
	rep.SyntheticCount, rep.DistractorCount, rep.RealCount = cfg.Synthetic, cfg.Distractors, len(reals)
	rep.IngestSeconds = time.Since(t0).Seconds()
	if remote == nil {
		rep.Shards = nShards
		for _, x := range parts {
			rep.Exhibits += x.Len()
			mib := float64(x.ResidentBytes()) / (1 << 20)
			rep.ShardIndexMiB = append(rep.ShardIndexMiB, mib)
			rep.IndexMiB += mib
		}
	} else {
		rep.Shards = len(remote.Parts)
		rep.ShardParts = remote.Parts
		var syn, dis, real int
		for _, p := range remote.Parts {
			rep.Exhibits += p.Exhibits
			syn, dis, real = syn+p.Synthetic, dis+p.Distractors, real+p.Real
			rep.ShardIndexMiB = append(rep.ShardIndexMiB, p.IndexMiB)
			rep.IndexMiB += p.IndexMiB
		}
		if syn != rep.SyntheticCount || dis != rep.DistractorCount || real != rep.RealCount {
			return nil, fmt.Errorf("search: bench: the remote parts index %d synthetic, %d distractor and %d real exhibits; this corpus has %d, %d and %d (were they built with the same settings?)",
				syn, dis, real, rep.SyntheticCount, rep.DistractorCount, rep.RealCount)
		}
		rep.IngestSeconds += remote.IngestSeconds
	}
	rep.IngestPerSecond = float64(rep.Exhibits) / math.Max(rep.IngestSeconds, 1e-9)
	if blob, err := (&Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: 1}).MarshalBinary(); err == nil {
		rep.FeatureBytes = len(blob)
	}

	var pipe *Pipeline
	switch {
	case remote != nil:
		pipe, err = NewCoarsePipeline(remote.Coarse, src, nil, cfg.Pipeline)
		rep.Notes = append(rep.Notes, fmt.Sprintf("coarse stage in %d other processes (shards by ShardOf, each building only its rows), asked through the remote coarse stage; the full comparison runs here; ingest_seconds: the parts' build (in parallel) and this process's reading of the real scans; query_cpu_ms: this process and the parts together", len(remote.Parts)))
	case nShards == 1:
		pipe, err = NewPipeline(parts[0], src, nil, cfg.Pipeline)
	default:
		shards := make(Shards, nShards)
		for i, x := range parts {
			shards[i] = x
		}
		pipe, err = NewCoarsePipeline(shards, src, nil, cfg.Pipeline)
		rep.Notes = append(rep.Notes, fmt.Sprintf("coarse stage split by ShardOf over %d in-process indexes queried concurrently (Shards), each sweeping its own best `rerank`: the sweep's CPU is %d× one index's; on one machine the shards share its CPUs", nShards, nShards))
	}
	if err != nil {
		return nil, err
	}
	rep.K, rep.Full, rep.Rerank, rep.Expand = pipe.cfg.K, pipe.cfg.Full, cfg.Pipeline.Rerank, max(0, pipe.cfg.Expand)
	rep.Hypotheses = pipe.cfg.Hypotheses
	if rep.Rerank <= 0 {
		rep.Rerank = 1000
	}
	run := func(req Request, mates int, isMate func(string) bool) (BenchQuery, error) {
		qctx := ctx
		var remoteCPU func() time.Duration
		if remote != nil {
			if remote.WithExcludeIDs != nil {
				qctx = remote.WithExcludeIDs(ctx, []string{req.ID})
			}
			remoteCPU = remote.CPU
		}
		return runQuery(qctx, pipe, req, mates, isMate, remoteCPU)
	}
	var all []BenchQuery
	full := 0 // the pipeline's
	if cfg.CoarseOnly {
		full = -1
	}

	// Synthetic queries: the first shot of evenly spread firearms.
	if firearms > 0 {
		set := &BenchSet{}
		nq := min(cfg.Queries, firearms)
		sg := NewSigner()
		for i := range nq {
			g := i * firearms / nq
			id := synthID(g, 0)
			p, err := loader.load(ctx, id) // the query's own, not cached: ingest work
			if err != nil {
				return nil, err
			}
			f, err := sg.Cartridge(p.Map)
			if err != nil {
				return nil, fmt.Errorf("search: bench: query %s: %w", id, err)
			}
			isMate := func(c string) bool {
				cg, _, ok := parseSynthID(c)
				return ok && cg == g
			}
			mates := min(shots, cfg.Synthetic-g*shots) - 1
			q, err := run(Request{ID: id, Class: Class{Kind: KindCartridge, Calibre: "9mm luger"}, Features: f, Prepared: p, Full: full}, mates, isMate)
			if err != nil {
				return nil, err
			}
			if cfg.EngineMates {
				if err := identifyMates(ctx, &q, p, g, mates, loader); err != nil {
					return nil, err
				}
			}
			set.Results = append(set.Results, q)
			b.progress("synthetic queries", i+1, nq)
		}
		summarise(set)
		rep.Synthetic = set
		all = append(all, set.Results...)
	}
	if len(reals) > 0 {
		set := &BenchSet{}
		source := map[string]string{}
		for _, r := range reals {
			source[r.id] = r.source
		}
		for i, r := range reals {
			mates := 0
			for _, o := range reals {
				if o.id != r.id && o.source == r.source {
					mates++
				}
			}
			isMate := func(c string) bool { return c != r.id && source[c] == r.source }
			qp, err := loader.load(ctx, r.id) // the query's own, not cached: ingest work
			if err != nil {
				return nil, err
			}
			q, err := run(Request{ID: r.id, Features: realFeat[r.id], Prepared: qp, Full: full}, mates, isMate)
			if err != nil {
				return nil, err
			}
			set.Results = append(set.Results, q)
			b.progress("real queries", i+1, len(reals))
		}
		summarise(set)
		rep.Real = set
		all = append(all, set.Results...)
	}
	pooled := &BenchSet{Results: all}
	summarise(pooled)
	rep.RecallAtK, rep.Top1 = pooled.RecallAtK, pooled.Top1
	rep.CoarseMSMedian, rep.QueryMSMedian, rep.QueryMSP95 = pooled.CoarseMSMedian, pooled.QueryMSMedian, pooled.QueryMSP95
	rep.CPUMSMedian = pooled.CPUMSMedian
	rep.PeakRSSMiB = procstat.PeakRSSMiB()
	rep.Cache = src.Stats()
	rep.Machine = machineInfo(workers)
	return rep, nil
}

var signerPool = sync.Pool{New: func() any { return NewSigner() }}

// runQuery runs one query; remoteCPU (nil: none) is the CPU time the
// remote coarse stage has used so far, added to the query's.
func runQuery(ctx context.Context, pipe *Pipeline, req Request, mates int, isMate func(string) bool, remoteCPU func() time.Duration) (BenchQuery, error) {
	if remoteCPU == nil {
		remoteCPU = func() time.Duration { return 0 }
	}
	cpu0, rcpu0 := procstat.SelfCPU(), remoteCPU()
	res, err := pipe.Search(ctx, req)
	if err != nil {
		return BenchQuery{}, fmt.Errorf("search: bench: query %s: %w", req.ID, err)
	}
	rcpu := remoteCPU() - rcpu0
	q := BenchQuery{ID: req.ID, Mates: mates, CoarseMS: res.CoarseMS, TotalMS: res.TotalMS, CPUMS: ms(procstat.SelfCPU() - cpu0 + rcpu), RemoteCPUMS: ms(rcpu), kept: map[string]bool{}}
	for _, h := range res.Hits {
		if isMate(h.ID) {
			q.Kept++
			q.kept[h.ID] = true
		}
	}
	for _, id := range res.firstScan {
		if isMate(id) {
			q.KeptFirstScan++
		}
	}
	q.ExpandedWith, q.ExpandMS = len(res.ExpandedWith), res.ExpandMS
	for _, h := range res.Hits {
		if h.Compared {
			q.Compared++
		}
	}
	if len(res.Hits) > 0 {
		h := res.Hits[0]
		q.TopID, q.TopScore = h.ID, h.Score
		q.Top1Mate = h.Compared && isMate(h.ID)
	}
	return q, nil
}

// identifyMates compares the synthetic query (firearm g's first firing,
// prepared as qp) with each of its mates by the engine (fast mode, both
// directions) and counts those identified and those of them kept.
func identifyMates(ctx context.Context, q *BenchQuery, qp *cartridge.Prepared, g, mates int, loader *benchLoader) error {
	cmp, err := cartridge.NewComparer(loader.ccfg, nil)
	if err != nil {
		return err
	}
	for s := 1; s <= mates; s++ {
		id := synthID(g, s)
		mp, err := loader.load(ctx, id)
		if err != nil {
			return err
		}
		res, err := cmp.Compare(qp, mp)
		if err != nil {
			return fmt.Errorf("search: bench: engine on %s and %s: %w", q.ID, id, err)
		}
		if res.Decision.HighCMC >= IdentifiedCMC {
			q.Identified++
			if q.kept[id] {
				q.IdentifiedKept++
			}
		}
	}
	return nil
}

func summarise(s *BenchSet) {
	var coarse, expand, total, cpu []float64
	top, withMates := 0, 0
	for _, q := range s.Results {
		s.Queries++
		s.Mates += q.Mates
		s.RecallAtK += float64(q.Kept)
		s.RecallFirstScan += float64(q.KeptFirstScan)
		if q.ExpandedWith > 0 {
			s.Expanded++
			expand = append(expand, q.ExpandMS)
		}
		s.Identified += q.Identified
		s.RecallIdentified += float64(q.IdentifiedKept)
		if q.Mates > 0 {
			withMates++
			if q.Top1Mate {
				top++
			}
		}
		coarse = append(coarse, q.CoarseMS)
		total = append(total, q.TotalMS)
		cpu = append(cpu, q.CPUMS)
	}
	if s.Mates > 0 {
		s.RecallAtK /= float64(s.Mates)
		s.RecallFirstScan /= float64(s.Mates)
	}
	if s.Identified > 0 {
		s.RecallIdentified /= float64(s.Identified)
	}
	if withMates > 0 {
		s.Top1 = float64(top) / float64(withMates)
	}
	s.CoarseMSMedian = quantile(coarse, 0.5)
	s.ExpandMSMedian = quantile(expand, 0.5)
	s.QueryMSMedian = quantile(total, 0.5)
	s.QueryMSP95 = quantile(total, 0.95)
	s.CPUMSMedian = quantile(cpu, 0.5)
}

// quantile is the linear-interpolation quantile (0 for no values).
func quantile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	x := p * float64(len(s)-1)
	i := int(x)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (x-float64(i))*(s[i+1]-s[i])
}

func machineInfo(workers int) Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), Workers: workers}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					m.CPU = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.LoadAvg1, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return m
}
