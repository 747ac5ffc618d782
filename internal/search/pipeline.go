package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
)

// PreparedSource hands out the prepared surfaces of indexed cartridge cases
// for the full comparison. The API layer backs it with stored blobs and a
// cache; MemorySource keeps them in memory. Implementations must be safe
// for concurrent use.
type PreparedSource interface {
	Prepared(ctx context.Context, id string) (*cartridge.Prepared, error)
}

// BulletSource hands out processed bullets for the full comparison.
type BulletSource interface {
	Bullet(ctx context.Context, id string) (*bullet.Bullet, error)
}

// ErrNotFound is wrapped when a source does not hold an id.
var ErrNotFound = errors.New("search: exhibit not in the source")

// MemorySource is an in-memory PreparedSource and BulletSource.
type MemorySource struct {
	mu       sync.RWMutex
	prepared map[string]*cartridge.Prepared
	bullets  map[string]*bullet.Bullet
}

// NewMemorySource returns an empty MemorySource.
func NewMemorySource() *MemorySource {
	return &MemorySource{prepared: map[string]*cartridge.Prepared{}, bullets: map[string]*bullet.Bullet{}}
}

// PutPrepared stores a prepared cartridge case under id.
func (m *MemorySource) PutPrepared(id string, p *cartridge.Prepared) {
	m.mu.Lock()
	m.prepared[id] = p
	m.mu.Unlock()
}

// PutBullet stores a processed bullet under id.
func (m *MemorySource) PutBullet(id string, b *bullet.Bullet) {
	m.mu.Lock()
	m.bullets[id] = b
	m.mu.Unlock()
}

// Prepared implements PreparedSource.
func (m *MemorySource) Prepared(_ context.Context, id string) (*cartridge.Prepared, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if p, ok := m.prepared[id]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
}

// Bullet implements BulletSource.
func (m *MemorySource) Bullet(_ context.Context, id string) (*bullet.Bullet, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if b, ok := m.bullets[id]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
}

// PipelineConfig configures a Pipeline.
type PipelineConfig struct {
	// K is the number of coarse candidates kept (default 100).
	K int
	// Full is how many of them, best coarse first, get the full engine
	// comparison (default 20; at most K): examiners review the top 5–10 (Nennstiel & Rahm), and 20 leaves room for a mate that the coarse stage ranks a little low (Fadul C needs it).
	Full int
	// Rerank is the number of cartridge candidates of the exhaustive scan
	// given the full rotation sweep (Query.Rerank; default 1000).
	Rerank int
	// Hypotheses is the number of polar rotation hypotheses registered per
	// cartridge candidate in the exhaustive scan (Query.Hypotheses;
	// default 1 with query expansion, 2 without: at 100,000 exhibits the
	// scan with one keeps the same 103 of 120 synthetic mates as with two,
	// and the expansion recovers 16 of the 17 lost either way, at 13 µs a
	// row less; TestDiagnoseExpansion, tracemark bench search).
	Hypotheses int
	// Expand is how many of the fully compared cartridge candidates that
	// the engine identifies (high-CMC ≥ IdentifiedCMC), best first, are
	// added to the query for a second coarse scan: query expansion (see
	// Search). Default 3; negative: off.
	Expand int
	// ExpandRerank and ExpandHypotheses are the second scan's Rerank and
	// Hypotheses (defaults ExpandRerankDefault and 1).
	ExpandRerank, ExpandHypotheses int
	// MaxRotationDeg bounds the coarse rotation search (Query.MaxRotationDeg;
	// default: the engine's rotation grid, ±30° plus one polar cell).
	MaxRotationDeg float64
	// Workers is the number of parallel full comparisons (default
	// GOMAXPROCS).
	Workers int
	// Cartridge is the engine configuration the candidates were prepared
	// with (default cartridge.DefaultConfig(), fast mode).
	Cartridge   *cartridge.Config
	Calibration *cartridge.Calibration // nil: the shipped calibration
}

// Coarse runs the class prefilter and the coarse stage: the top q.K
// candidates, best first (by Score, ties by ID). *Index is the in-memory
// one; Shards merges several (in-process or remote), so that the corpus
// can be split across processes. Implementations must be safe for
// concurrent use; q.Exclude may be called from several goroutines.
type Coarse interface {
	Query(ctx context.Context, q Query) ([]Candidate, Stats, error)
}

// Pipeline runs a search: class prefilter → coarse stage (Coarse.Query) →
// the full comparison of the engines on the best Full candidates, in
// parallel, each worker with its own comparer. It is safe for concurrent
// use.
type Pipeline struct {
	coarse  Coarse
	source  PreparedSource
	bullets BulletSource
	cfg     PipelineConfig
	ccfg    cartridge.Config

	comparers chan *cartridge.Comparer
	bulletCmp *bullet.Comparer
}

// NewPipeline returns a pipeline over index that takes the candidates'
// prepared cartridge cases from source and their bullets from bullets
// (either may be nil when the index holds no exhibit of that kind). Its
// default Workers are the index's.
func NewPipeline(index *Index, source PreparedSource, bullets BulletSource, cfg PipelineConfig) (*Pipeline, error) {
	if index == nil {
		return nil, errors.New("search: pipeline needs an index")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = index.workers
	}
	return NewCoarsePipeline(index, source, bullets, cfg)
}

// NewCoarsePipeline is NewPipeline over any coarse stage, e.g. Shards
// (default Workers: GOMAXPROCS).
func NewCoarsePipeline(coarse Coarse, source PreparedSource, bullets BulletSource, cfg PipelineConfig) (*Pipeline, error) {
	if coarse == nil {
		return nil, errors.New("search: pipeline needs a coarse stage (an index or shards)")
	}
	if cfg.K <= 0 {
		cfg.K = 100
	}
	if cfg.Full <= 0 {
		cfg.Full = 20
	}
	cfg.Full = min(cfg.Full, cfg.K)
	if cfg.Expand == 0 {
		cfg.Expand = 3
	}
	if cfg.ExpandRerank <= 0 {
		cfg.ExpandRerank = ExpandRerankDefault
	}
	if cfg.ExpandHypotheses <= 0 {
		cfg.ExpandHypotheses = 1
	}
	if cfg.Hypotheses <= 0 {
		cfg.Hypotheses = 2
		if cfg.Expand > 0 {
			cfg.Hypotheses = 1
		}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	ccfg := cartridge.DefaultConfig()
	if cfg.Cartridge != nil {
		ccfg = *cfg.Cartridge
	}
	if cfg.MaxRotationDeg <= 0 {
		// The engine searches only its own rotation grid: a coarse match at
		// a larger rotation could not be confirmed. One polar cell of slack.
		cfg.MaxRotationDeg = math.Max(math.Abs(ccfg.ThetaMin), math.Abs(ccfg.ThetaMax)) + AngleStepDeg
	}
	p := &Pipeline{coarse: coarse, source: source, bullets: bullets, cfg: cfg, ccfg: ccfg,
		comparers: make(chan *cartridge.Comparer, cfg.Workers)}
	for range cfg.Workers {
		c, err := cartridge.NewComparer(ccfg, cfg.Calibration)
		if err != nil {
			return nil, fmt.Errorf("search: pipeline: %w", err)
		}
		p.comparers <- c
	}
	bc, err := bullet.NewComparer()
	if err != nil {
		return nil, fmt.Errorf("search: pipeline: %w", err)
	}
	p.bulletCmp = bc
	return p, nil
}

// CartridgeConfig returns the engine configuration queries and candidates
// must be prepared with.
func (p *Pipeline) CartridgeConfig() cartridge.Config { return p.ccfg }

// Request is one search.
type Request struct {
	// ID, when set, is left out of the results (the query scan itself).
	ID string
	// Exclude, when set, also leaves out every id it reports true for
	// (e.g. all scans of the query's exhibit). It is called from several
	// goroutines under the index's read lock: it must be quick and must
	// not call the index.
	Exclude  func(id string) bool
	Class    Class
	Features *Features
	// The query's processed exhibit for the full comparison: Prepared for
	// a cartridge case (prepared with CartridgeConfig), Bullet for a bullet.
	Prepared *cartridge.Prepared
	Bullet   *bullet.Bullet
	// K and Full override the pipeline's settings when > 0; Full < 0
	// skips the full comparison (coarse candidates only).
	K, Full int
}

// Hit is one ranked candidate.
type Hit struct {
	Candidate
	Rank int `json:"rank"` // 1-based
	// Expanded is true for a candidate that only the expanded query
	// (Result.ExpandedWith) found: it was not among the query's own best
	// K. A candidate both found scores the better of its coarse scores.
	Expanded bool `json:"expanded,omitempty"`
	// Compared is true when the full comparison ran; Score, Log10LR and
	// the registration are set only then.
	Compared bool    `json:"compared"`
	Score    float64 `json:"score,omitempty"`    // cartridge: calibrated log-odds; bullet: SAM in [0, 1]
	Log10LR  float64 `json:"log10_lr,omitempty"` // cartridge only
	HighCMC  int     `json:"high_cmc,omitempty"`
	// Registration of the candidate onto the query (cartridge: consensus of
	// the query's cells; bullet: land phase in Candidate.Phase).
	Registration *cartridge.Registration `json:"registration,omitempty"`
	Error        string                  `json:"error,omitempty"`
}

// Result is a ranked candidate list: the fully compared candidates by
// descending score, then the other coarse candidates by coarse score.
type Result struct {
	Hits       []Hit `json:"hits"`
	Compatible int   `json:"compatible"` // exhibits passing the class prefilter
	Reranked   int   `json:"reranked"`
	// ExpandedWith lists the identified candidates added to the query for
	// the second coarse scan (PipelineConfig.Expand), best first.
	ExpandedWith []string `json:"expanded_with,omitempty"`
	CoarseMS     float64  `json:"coarse_ms"`
	ExpandMS     float64  `json:"expand_ms,omitempty"` // the second coarse scan
	// ExpandError says why the expansion failed in part or whole (a seed's
	// surface could not be read, the second scan failed); the list is then
	// what the rest gave.
	ExpandError string  `json:"expand_error,omitempty"`
	FullMS      float64 `json:"full_ms"`
	TotalMS     float64 `json:"total_ms"`

	firstScan []string // the query's own coarse candidates (for the bench)
}

// Search runs the whole pipeline for one query.
func (p *Pipeline) Search(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if req.Features == nil {
		return nil, errors.New("search: request without features")
	}
	k, full := p.cfg.K, p.cfg.Full
	if req.K > 0 {
		k = req.K
	}
	if req.Full != 0 {
		full = max(0, req.Full)
	}
	full = min(full, k)
	q := Query{Features: req.Features, Class: req.Class, K: k, Rerank: p.cfg.Rerank, Hypotheses: p.cfg.Hypotheses,
		MaxRotationDeg: p.cfg.MaxRotationDeg, Exclude: excluder(req.ID, req.Exclude)}
	cands, st, err := p.coarse.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	res := &Result{Compatible: st.Compatible, Reranked: st.Reranked}
	res.CoarseMS = ms(time.Since(start))
	hits := make([]Hit, len(cands))
	res.firstScan = make([]string, len(cands))
	for i, c := range cands {
		hits[i] = Hit{Candidate: c}
		res.firstScan[i] = c.ID
	}
	t1 := time.Now()
	if err := p.compare(ctx, req, hits[:min(full, len(hits))]); err != nil {
		return nil, err
	}
	res.FullMS = ms(time.Since(t1))
	if req.Features.Kind == KindCartridge && p.cfg.Expand > 0 {
		t2 := time.Now()
		var seeds []string
		hits, seeds, err = p.expand(ctx, req, q, hits)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err != nil { // the first list stands; say why it was not expanded
			res.ExpandError = err.Error()
		}
		res.ExpandedWith = seeds
		res.ExpandMS = ms(time.Since(t2))
		// The candidates the expansion brought among the best full by
		// coarse score get the full comparison too, at most Expand of
		// them (best first): each identified hit may bring in about one
		// more firing of its firearm, and each full comparison costs about
		// 0.2 s of CPU.
		t3 := time.Now()
		var fresh []int
		for i := range hits[:min(full, len(hits))] {
			if !hits[i].Compared && hits[i].Error == "" && len(fresh) < p.cfg.Expand {
				fresh = append(fresh, i)
			}
		}
		parallelFor(ctx, p.cfg.Workers, len(fresh), func(j int) { p.compareCartridge(ctx, req.Prepared, &hits[fresh[j]]) })
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res.FullMS += ms(time.Since(t3))
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := &hits[i], &hits[j]
		if a.Compared != b.Compared {
			return a.Compared
		}
		if a.Compared && a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.Candidate.Score > b.Candidate.Score
	})
	for i := range hits {
		hits[i].Rank = i + 1
	}
	res.Hits = hits
	res.TotalMS = ms(time.Since(start))
	return res, nil
}

// compare runs the full comparison on hits in parallel.
func (p *Pipeline) compare(ctx context.Context, req Request, hits []Hit) error {
	n := len(hits)
	switch req.Features.Kind {
	case KindCartridge:
		if n > 0 && (req.Prepared == nil || p.source == nil) {
			return errors.New("search: a cartridge search needs the query's prepared surface and a source of prepared candidates")
		}
		parallelFor(ctx, p.cfg.Workers, n, func(i int) { p.compareCartridge(ctx, req.Prepared, &hits[i]) })
	case KindBullet:
		if n > 0 && (req.Bullet == nil || p.bullets == nil) {
			return errors.New("search: a bullet search needs the query's processed bullet and a source of candidate bullets")
		}
		parallelFor(ctx, p.cfg.Workers, n, func(i int) { p.compareBullet(ctx, req.Bullet, &hits[i]) })
	}
	return ctx.Err()
}

// expand is query expansion (Chum et al., "Total recall", 2007, for image
// retrieval): two firings of a firearm that share little contact with the
// query may share more with a third firing the search has already found.
// The candidates the engine identifies (at most Expand, best first) are
// brought into the query's frame by their coarse registration and added to
// its map and polar spectrum (expandFeatures); the corpus is scanned again
// with that query, and every candidate keeps the better of its two coarse
// scores. The list stays at q.K: the fully compared hits, then the best of
// the others by coarse score. Measured by TestDiagnoseExpansion and
// tracemark bench search (doc.go).
func (p *Pipeline) expand(ctx context.Context, req Request, q Query, hits []Hit) ([]Hit, []string, error) {
	var seeds []*Hit
	for i := range hits {
		if h := &hits[i]; h.Compared && h.HighCMC >= IdentifiedCMC {
			seeds = append(seeds, h)
		}
	}
	if len(seeds) == 0 || p.source == nil {
		return hits, nil, nil
	}
	sort.SliceStable(seeds, func(i, j int) bool { return seeds[i].Score > seeds[j].Score })
	seeds = seeds[:min(len(seeds), p.cfg.Expand)]
	comb := req.Features
	signer := NewSigner()
	ids := make([]string, 0, len(seeds))
	var errs []error
	for _, h := range seeds {
		next, err := p.expandWith(ctx, signer, comb, h)
		if err != nil {
			errs = append(errs, fmt.Errorf("search: expanding with %s: %w", h.ID, err))
			continue
		}
		comb = next
		ids = append(ids, h.ID)
	}
	if len(ids) == 0 {
		return hits, nil, errors.Join(errs...)
	}
	q.Features, q.Rerank, q.Hypotheses = comb, p.cfg.ExpandRerank, p.cfg.ExpandHypotheses
	cands, _, err := p.coarse.Query(ctx, q)
	if err != nil {
		return hits, nil, errors.Join(append(errs, fmt.Errorf("search: expanded query: %w", err))...)
	}
	at := make(map[string]int, len(hits))
	for i, h := range hits {
		at[h.ID] = i
	}
	for _, c := range cands {
		i, ok := at[c.ID]
		if !ok {
			hits = append(hits, Hit{Candidate: c, Expanded: true})
			continue
		}
		if c.Score > hits[i].Candidate.Score {
			hits[i].Candidate = c
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Candidate.Score != hits[j].Candidate.Score {
			return hits[i].Candidate.Score > hits[j].Candidate.Score
		}
		return hits[i].ID < hits[j].ID
	})
	slots := q.K
	for _, h := range hits {
		if h.Compared {
			slots--
		}
	}
	out := hits[:0]
	for _, h := range hits {
		if h.Compared || slots > 0 {
			if !h.Compared {
				slots--
			}
			out = append(out, h)
		}
	}
	return out, ids, errors.Join(errs...)
}

// expandWith adds the hit h, derived from its prepared surface, to comb.
func (p *Pipeline) expandWith(ctx context.Context, signer *Signer, comb *Features, h *Hit) (*Features, error) {
	prep, err := p.source.Prepared(ctx, h.ID)
	if err != nil {
		return nil, err
	}
	f, err := signer.Cartridge(prep.Map)
	if err != nil {
		return nil, err
	}
	return expandFeatures(comb, f, h.Candidate.registration())
}

func (p *Pipeline) compareCartridge(ctx context.Context, query *cartridge.Prepared, h *Hit) {
	cand, err := p.source.Prepared(ctx, h.ID)
	if err != nil {
		h.Error = err.Error()
		return
	}
	c := <-p.comparers
	defer func() { p.comparers <- c }()
	r, err := c.Compare(query, cand)
	if err != nil {
		h.Error = err.Error()
		return
	}
	h.Compared = true
	h.Score, h.Log10LR, h.HighCMC = r.Score, r.Log10LR, r.Decision.HighCMC
	reg := r.Forward.Consensus
	if math.IsNaN(reg.Corr) { // consensus of the cells: no single-scan correlation
		reg.Corr = r.Forward.Registration.Corr
	}
	h.Registration = &reg
}

func (p *Pipeline) compareBullet(ctx context.Context, query *bullet.Bullet, h *Hit) {
	cand, err := p.bullets.Bullet(ctx, h.ID)
	if err != nil {
		h.Error = err.Error()
		return
	}
	r, err := p.bulletCmp.CompareBullets(query, cand)
	if err != nil {
		h.Error = err.Error()
		return
	}
	h.Compared = true
	h.Score = r.Score
	h.Phase = r.Phase
}

// excluder combines the request's exclusions (nil when there are none).
func excluder(id string, exclude func(string) bool) func(string) bool {
	switch {
	case id == "":
		return exclude
	case exclude == nil:
		return func(c string) bool { return c == id }
	}
	return func(c string) bool { return c == id || exclude(c) }
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
