package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/jobs"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/surface"
)

// Correlator is the in-memory search corpus with the search pipeline of
// package search on top: class prefilter and coarse signatures
// (search.Index) → the engines' full comparison (cartridge CMC, bullet SAM)
// on the top K → ranked candidates. Each agency has its own index, so a
// search never sees another agency's exhibits. It is safe for concurrent
// use, and it is the pipeline's source of prepared cartridge cases and
// processed bullets (read from the derived blobs, cached).
//
// Index IDs are scan IDs for cartridge cases and exhibit IDs for bullets
// (all lands of a bullet are one entry, lands ordered by file name).
type Correlator struct {
	store  *store.Store
	blobs  blob.Fetcher
	writer blob.Receiver // stores recomputed features; nil: kept in memory only
	log    *slog.Logger

	// K is how many coarse candidates get the full comparison (and are
	// listed); CoarseK how many the coarse stage keeps.
	K, CoarseK int
	workers    int

	// Sharding (shard.go): a shard worker indexes only the entries of
	// shard `shard` of `shards`; a querying node with remote != nil runs
	// its coarse stage on `remoteShards` shard workers over NATS.
	shard, shards int
	remote        *jobs.Queue
	remoteShards  int

	mu       sync.RWMutex
	agencies map[domain.AgencyID]*agencyCorpus
	entries  map[string]*entry
	byScan   map[domain.ScanID]string
	cursor   domain.ScanID // SearchEntries read up to here
	loaded   time.Time

	cartCfg cartridge.Config
	bullets *bullet.Comparer
	cmpPool sync.Pool // *cartridge.Comparer for Compare

	// prepared keeps the most recently compared cartridge scans within a
	// byte budget (about 21 MB each for a Fadul scan once compared); lands
	// are small.
	prepared *search.PreparedCache
	cacheMu  sync.Mutex
	lands    map[domain.ScanID]*bullet.Land
}

// entry is what the corpus keeps of an indexed exhibit beside its index
// row: no decoded cartridge features (22 KB a scan, twice the row), which
// QueryForScan reads again from the blob the scan's record names.
type entry struct {
	id      string
	agency  domain.AgencyID
	exhibit domain.ExhibitID
	kind    search.Kind
	class   search.Class
	scans   []landScan // one for a cartridge case; the lands of a bullet in name order
	// held are a cartridge case's features when they were recomputed from
	// an older format and could not be stored (the record still names the
	// old blob); nil otherwise.
	held *search.Features
}

type landScan struct {
	scan domain.ScanID
	name string
	land []float32 // a bullet land's descriptor (search.LandDim values)
}

type agencyCorpus struct {
	idx  *search.Index // nil with remote shards: the shard workers hold the rows
	pipe *search.Pipeline
}

// CorrelatorOption configures a Correlator.
type CorrelatorOption func(*Correlator)

// WithFeatureWriter has the Correlator store the search features it
// recomputes from a scan's processed surface when the stored ones are of an
// older format (in w, usually the blob store it reads from), and point the
// scan's record at them, so they are recomputed once rather than at every
// start. Without it (or when storing fails) they are kept in memory only.
func WithFeatureWriter(w blob.Receiver) CorrelatorOption {
	return func(c *Correlator) { c.writer = w }
}

// WithShard makes the Correlator a shard worker's: it indexes only the
// entries of shard i of n (search.ShardOf of the index id: the scan of a
// cartridge case, the exhibit of a bullet) and answers their coarse
// queries with ServeShard.
func WithShard(i, n int) CorrelatorOption {
	return func(c *Correlator) { c.shard, c.shards = i, n }
}

// WithRemoteShards has the Correlator run the coarse stage of its searches
// on n shard workers reached through q (each serving ServeShard), merged
// by search.Shards; the full comparison stays here. It then keeps only the
// entries' metadata (ids, classes, bullet land descriptors): no index
// rows, and it reads no cartridge features until a scan is queried.
func WithRemoteShards(q *jobs.Queue, n int) CorrelatorOption {
	return func(c *Correlator) { c.remote, c.remoteShards = q, n }
}

// NewCorrelator returns an empty corpus; Load fills it.
func NewCorrelator(st *store.Store, blobs blob.Fetcher, log *slog.Logger, opts ...CorrelatorOption) (*Correlator, error) {
	bc, err := bullet.NewComparer()
	if err != nil {
		return nil, err
	}
	cfg := cartridge.DefaultConfig()
	if _, err := cartridge.NewComparer(cfg, nil); err != nil {
		return nil, err
	}
	c := &Correlator{
		store: st, blobs: blobs, log: log, K: 20, CoarseK: 100, workers: runtime.GOMAXPROCS(0),
		agencies: map[domain.AgencyID]*agencyCorpus{}, entries: map[string]*entry{}, byScan: map[domain.ScanID]string{},
		cartCfg: cfg, bullets: bc,
		lands: map[domain.ScanID]*bullet.Land{},
	}
	for _, o := range opts {
		o(c)
	}
	if c.prepared, err = search.NewPreparedCache(PreparedCacheBytes, c.loadPrepared); err != nil {
		return nil, err
	}
	c.cmpPool.New = func() any {
		cc, _ := cartridge.NewComparer(cfg, nil) // checked above
		return cc
	}
	return c, nil
}

// corpus returns the agency's index (none with remote shards) and
// pipeline, creating them; c.mu must be held for writing.
func (c *Correlator) corpus(agency domain.AgencyID) (*agencyCorpus, error) {
	if ac := c.agencies[agency]; ac != nil {
		return ac, nil
	}
	var idx *search.Index
	if c.remote == nil {
		idx = search.NewIndex(c.workers)
	}
	pipe, err := c.pipeline(agency, idx)
	if err != nil {
		return nil, err
	}
	ac := &agencyCorpus{idx: idx, pipe: pipe}
	c.agencies[agency] = ac
	return ac, nil
}

// pipeline returns a search pipeline over idx (or, with remote shards,
// over the agency's part of every shard) with c as the source of the
// candidates' prepared surfaces and bullets.
func (c *Correlator) pipeline(agency domain.AgencyID, idx *search.Index) (*search.Pipeline, error) {
	cfg := c.cartCfg
	pcfg := search.PipelineConfig{K: c.CoarseK, Full: c.K, Workers: c.workers, Cartridge: &cfg}
	if c.remote == nil {
		return search.NewPipeline(idx, c, c, pcfg)
	}
	parts := make(search.Shards, c.remoteShards)
	for i := range parts {
		parts[i] = RemoteShard{Queue: c.remote, Shard: i, Agency: agency}
	}
	return search.NewCoarsePipeline(parts, c, c, pcfg)
}

// Len returns the number of entries (exhibits searched by the coarse stage:
// cartridge scans and bullets) of every agency, whether this process holds
// their index rows or, with remote shards, the shard workers do.
func (c *Correlator) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// IndexRows returns the number of coarse index rows this process holds,
// of every agency: Len without sharding, its part on a shard worker, none
// on a querying node with remote shards.
func (c *Correlator) IndexRows() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, ac := range c.agencies {
		if ac.idx != nil {
			n += ac.idx.Len()
		}
	}
	return n
}

// Load reads the scans with search features that are new since the last
// Load (all of them the first time). Scans whose features are stored after
// a later scan was read are picked up by Reload or by Add.
func (c *Correlator) Load(ctx context.Context) error {
	c.mu.RLock()
	after := c.cursor
	c.mu.RUnlock()
	for {
		page, err := c.store.SearchEntries(ctx, after, store.MaxLimit)
		if err != nil {
			return fmt.Errorf("loading the search corpus: %w", err)
		}
		for _, e := range page {
			if err := c.addEntry(ctx, e); err != nil {
				c.log.Warn("search corpus: scan left out", "scan", e.Scan, "err", err)
			}
			after = e.Scan
		}
		if len(page) < store.MaxLimit {
			break
		}
	}
	c.mu.Lock()
	if after > c.cursor {
		c.cursor = after
	}
	c.loaded = time.Now()
	c.mu.Unlock()
	return nil
}

// Reload reads the whole corpus again into a fresh index (for worker
// processes, which do not see the ingests of other processes).
func (c *Correlator) Reload(ctx context.Context) error {
	fresh, err := NewCorrelator(c.store, c.blobs, c.log, WithFeatureWriter(c.writer), WithShard(c.shard, c.shards), WithRemoteShards(c.remote, c.remoteShards))
	if err != nil {
		return err
	}
	fresh.K, fresh.CoarseK = c.K, c.CoarseK
	if err := fresh.Load(ctx); err != nil {
		return err
	}
	for agency, ac := range fresh.agencies { // search with c's caches and lock
		if ac.pipe, err = c.pipeline(agency, ac.idx); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.agencies, c.entries, c.byScan, c.cursor, c.loaded = fresh.agencies, fresh.entries, fresh.byScan, fresh.cursor, fresh.loaded
	c.mu.Unlock()
	return nil
}

// Add puts one stored scan (with features) into the corpus.
func (c *Correlator) Add(ctx context.Context, sc domain.Scan) error {
	c.mu.RLock()
	_, have := c.byScan[sc.ID]
	c.mu.RUnlock()
	if have || sc.Features.IsZero() {
		return nil
	}
	ex, err := c.store.Exhibit(ctx, sc.AgencyID, sc.ExhibitID)
	if err != nil {
		return err
	}
	return c.addEntry(ctx, store.SearchEntry{Scan: sc.ID, Agency: sc.AgencyID, Exhibit: ex.ID, Case: ex.CaseID,
		Kind: ex.Kind, Role: ex.Role, Class: ex.Class, Format: sc.Format, Features: sc.Features})
}

func (c *Correlator) addEntry(ctx context.Context, e store.SearchEntry) error {
	if !c.inShard(e) {
		return nil
	}
	// A querying node with remote shards does not read a cartridge case's
	// features at all (one blob read each at start-up): the shard workers
	// index them, and QueryForScan reads them when needed. Bullet lands
	// keep their descriptors (128 bytes), which the query needs.
	var (
		f    *search.Features
		ref  blob.Ref
		kind = search.KindCartridge
	)
	if c.remote == nil || e.Kind != domain.KindCartridgeCase {
		var err error
		if f, ref, err = c.readFeatures(ctx, e); err != nil {
			return err
		}
		kind = f.Kind
	}
	class := searchClass(kind, e.Class)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byScan[e.Scan]; ok {
		return nil
	}
	ac, err := c.corpus(e.Agency)
	if err != nil {
		return err
	}
	switch kind {
	case search.KindCartridge:
		id := string(e.Scan)
		en := &entry{id: id, agency: e.Agency, exhibit: e.Exhibit, kind: kind, class: class, scans: []landScan{{scan: e.Scan}}}
		if f != nil {
			if err := ac.add(id, class, f); err != nil {
				return err
			}
			if ref.IsZero() {
				en.held = f
			}
		}
		c.entries[id] = en
		c.byScan[e.Scan] = id
	case search.KindBullet:
		if len(f.Lands) != 1 {
			return fmt.Errorf("bullet land scan %s has %d land descriptors, want 1", e.Scan, len(f.Lands))
		}
		sc, err := c.store.Scan(ctx, e.Agency, e.Scan)
		if err != nil {
			return err
		}
		id := string(e.Exhibit)
		en := c.entries[id]
		if en == nil {
			en = &entry{id: id, agency: e.Agency, exhibit: e.Exhibit, kind: f.Kind}
		}
		en.class = class
		en.scans = append(en.scans, landScan{scan: e.Scan, name: sc.OriginalName, land: slices.Clone(f.Lands[0])})
		slices.SortFunc(en.scans, func(a, b landScan) int { return cmp.Or(naturalCompare(a.name, b.name), cmp.Compare(a.scan, b.scan)) })
		bf := &search.Features{Kind: search.KindBullet}
		for _, l := range en.scans {
			bf.Lands = append(bf.Lands, l.land)
		}
		if err := ac.add(id, class, bf); err != nil {
			return err
		}
		c.entries[id] = en
		c.byScan[e.Scan] = id
	default:
		return fmt.Errorf("scan %s has features of unknown kind %d", e.Scan, f.Kind)
	}
	return nil
}

// add puts an entry's features into the agency's index; with remote shards
// (no index: bullets) it only checks them, as Index.Add would.
func (ac *agencyCorpus) add(id string, class search.Class, f *search.Features) error {
	if ac.idx == nil {
		if err := f.Validate(); err != nil {
			return fmt.Errorf("search: add %s: %w", id, err)
		}
		return nil
	}
	return ac.idx.Add(id, class, f)
}

// searchClass converts an exhibit's class characteristics.
func searchClass(k search.Kind, cc domain.ClassCharacteristics) search.Class {
	return search.Class{Kind: k, Calibre: cc.Calibre, FiringPin: cc.FiringPinShape, BreechFace: cc.BreechFaceClass,
		EjectorClock: ejectorClock(cc.EjectorPosition), Lands: cc.Lands, Twist: cc.Twist, LandWidthUM: cc.LandWidthUM}
}

// ejectorClock reads the clock hour at the start of an ejector position
// such as "3 o'clock" (0 when there is none).
func ejectorClock(s string) int {
	s = strings.TrimSpace(s)
	h, _ := strconv.Atoi(s[:digitsPrefix(s)])
	if h < 1 || h > 12 {
		return 0
	}
	return h
}

// Query is one search.
type Query struct {
	Agency domain.AgencyID
	Kind   search.Kind
	Class  search.Class
	// Cartridge cases: the processed surface. Bullets: the processed lands
	// in order, with their descriptors.
	Surface *surface.Map
	Lands   []*bullet.Land
	// Features for the coarse stage.
	Features *search.Features
	// ExcludeExhibit leaves out the query's own exhibit.
	ExcludeExhibit domain.ExhibitID
	Name           string
	// Scan is the query scan when it is stored (left out of the results).
	Scan domain.ScanID
	// K overrides Correlator.K when positive.
	K int
	// Full, when positive, is how many of the K get the full comparison;
	// the rest of the K follow them with their coarse score only
	// (Registration.CoarseOnly). Negative: none compared. Zero: all K.
	// A federated search from a peer sets it (federation.Query.Full).
	Full int
}

// Stats reports a search.
type Stats struct {
	Corpus     int     `json:"corpus"`     // entries in the index (all agencies)
	Compatible int     `json:"compatible"` // passing the class prefilter
	Coarse     int     `json:"coarse"`     // kept by the coarse stage
	Compared   int     `json:"compared"`   // given the full comparison
	CoarseMS   float64 `json:"coarse_ms"`  // prefilter + coarse stage
	FullMS     float64 `json:"full_ms"`    // full comparisons
	// ExpandedWith lists the identified candidates that expanded the query
	// for a second coarse scan (search.PipelineConfig.Expand); ExpandMS is
	// what that took.
	ExpandedWith []string `json:"expanded_with,omitempty"`
	ExpandMS     float64  `json:"expand_ms,omitempty"`
	ExpandError  string   `json:"expand_error,omitempty"`
	Engine       string   `json:"engine"`      // "cartridge-cmc" or "bullet-sam"
	Pipeline     string   `json:"pipeline"`    // which search pipeline ran
	FailedFull   int      `json:"failed_full"` // candidates whose full comparison failed (left out)
}

// Registration is what a candidate's registration JSON holds.
type Registration struct {
	Kind        string  `json:"kind"`
	CoarseScore float64 `json:"coarse_score"`
	// CoarseOnly marks a candidate listed without the full comparison
	// (Query.Full): only CoarseScore is set.
	CoarseOnly bool `json:"coarse_only,omitempty"`
	// Expanded marks a candidate that only the expanded query found
	// (search.Hit.Expanded): it resembles the identified hits more than
	// the query itself.
	Expanded bool `json:"expanded,omitempty"`
	// Cartridge cases.
	ThetaDeg *float64 `json:"theta_deg,omitempty"`
	DXUM     *float64 `json:"dx_um,omitempty"`
	DYUM     *float64 `json:"dy_um,omitempty"`
	CMC      *int     `json:"cmc,omitempty"` // High-CMC count
	Cells    *int     `json:"cells,omitempty"`
	// Bullets.
	Phase  *int     `json:"phase,omitempty"`
	Pairs  *int     `json:"pairs,omitempty"`
	Margin *float64 `json:"margin,omitempty"`
}

// Search ranks the query's agency's corpus against q with the search
// pipeline. Only the fully compared candidates are listed (their scores are
// on one scale); the coarse-only ones are counted in Stats — unless q.Full
// asks for fewer full comparisons than K, when the rest of the K follow,
// marked CoarseOnly.
func (c *Correlator) Search(ctx context.Context, q Query) ([]domain.Candidate, Stats, error) {
	const op = "server.Search"
	st := Stats{Pipeline: "search.Pipeline: class prefilter → coarse signature → full engine on top K → query expansion with the identified hits"}
	if q.Features == nil {
		return nil, st, errs.Errorf(op, errs.Invalid, "the query has no search features")
	}
	k := c.K
	if q.K > 0 {
		k = q.K
	}
	req := search.Request{Class: q.Class, Features: q.Features, K: max(c.CoarseK, k), Full: k}
	switch {
	case q.Full > 0:
		req.Full = min(q.Full, k)
	case q.Full < 0:
		req.Full = -1 // coarse ranking only
	}
	switch q.Kind {
	case search.KindCartridge:
		st.Engine = "cartridge-cmc"
		p, err := cartridge.Prepare(q.Name, q.Surface, c.cartCfg)
		if err != nil {
			return nil, st, errs.E(op, errs.Invalid, err)
		}
		req.Prepared = p
		if q.ExcludeExhibit != "" {
			req.ID = string(q.Scan)
			req.Exclude = c.exhibitExcluder(q.ExcludeExhibit)
		}
	case search.KindBullet:
		st.Engine = "bullet-sam"
		req.Bullet = &bullet.Bullet{Name: q.Name, Lands: q.Lands, Problems: make([]string, len(q.Lands))}
		req.ID = string(q.ExcludeExhibit)
	default:
		return nil, st, errs.Errorf(op, errs.Invalid, "a search needs a cartridge case or a bullet")
	}
	c.mu.RLock()
	ac := c.agencies[q.Agency]
	st.Corpus = len(c.entries)
	c.mu.RUnlock()
	if ac == nil {
		return nil, st, nil // nothing stored in this agency yet
	}
	if c.remote != nil { // the exclusions travel to the shard workers as ids
		ids := c.exhibitIndexIDs(q.ExcludeExhibit)
		if req.ID != "" {
			ids = append(ids, req.ID)
		}
		ctx = WithExcludeIDs(ctx, ids)
	}
	res, err := ac.pipe.Search(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, st, ctx.Err()
		}
		return nil, st, errs.E(op, errs.Invalid, err)
	}
	st.Compatible, st.Coarse, st.CoarseMS, st.FullMS = res.Compatible, len(res.Hits), res.CoarseMS, res.FullMS
	st.ExpandedWith, st.ExpandMS, st.ExpandError = res.ExpandedWith, res.ExpandMS, res.ExpandError
	if res.ExpandError != "" {
		c.log.Warn("query expansion failed; the candidates are those of the query alone", "err", res.ExpandError)
	}
	var list []domain.Candidate
	for _, h := range res.Hits {
		if !h.Compared {
			if h.Error != "" {
				st.FailedFull++
				c.log.Debug("full comparison failed", "candidate", h.ID, "err", h.Error)
			} else if q.Full != 0 && len(list) < k {
				list = append(list, candidate(c.hitScan(q.Kind, h.ID), 0, nil, Registration{Kind: q.Kind.String(), CoarseScore: h.Candidate.Score, CoarseOnly: true, Expanded: h.Expanded}))
			}
			continue
		}
		st.Compared++
		scan, reg := domain.ScanID(h.ID), Registration{Kind: q.Kind.String(), CoarseScore: h.Candidate.Score, Expanded: h.Expanded}
		var calibrated *float64
		if q.Kind == search.KindCartridge {
			if r := h.Registration; r != nil {
				reg.ThetaDeg, reg.DXUM, reg.DYUM = &r.Theta, &r.DXUM, &r.DYUM
			}
			cmc, lr := h.HighCMC, h.Log10LR
			reg.CMC, calibrated = &cmc, &lr
		} else {
			phase := h.Phase
			reg.Phase = &phase
			scan = c.hitScan(q.Kind, h.ID)
		}
		list = append(list, candidate(scan, h.Score, calibrated, reg))
	}
	for i := range list {
		list[i].Rank = i + 1
	}
	return list, st, nil
}

// hitScan is the scan of an index hit: the hit itself for a cartridge
// case, the bullet's first scan for a bullet (indexed by exhibit).
func (c *Correlator) hitScan(kind search.Kind, id string) domain.ScanID {
	if kind == search.KindBullet {
		c.mu.RLock()
		defer c.mu.RUnlock()
		if e := c.entries[id]; e != nil {
			return e.scans[0].scan
		}
	}
	return domain.ScanID(id)
}

// exhibitExcluder returns a test for the index ids of all of the exhibit's
// scans, taken now (search.Request.Exclude runs under the index's lock).
func (c *Correlator) exhibitExcluder(ex domain.ExhibitID) func(string) bool {
	ids := map[string]bool{}
	c.mu.RLock()
	for id, e := range c.entries {
		if e.exhibit == ex {
			ids[id] = true
		}
	}
	c.mu.RUnlock()
	return func(id string) bool { return ids[id] }
}

// Prepared implements search.PreparedSource: the prepared surface of an
// indexed cartridge scan.
func (c *Correlator) Prepared(ctx context.Context, id string) (*cartridge.Prepared, error) {
	c.mu.RLock()
	e := c.entries[id]
	c.mu.RUnlock()
	if e == nil || e.kind != search.KindCartridge {
		return nil, fmt.Errorf("%w: %s", search.ErrNotFound, id)
	}
	return c.preparedScan(ctx, e.agency, domain.ScanID(id))
}

// Bullet implements search.BulletSource: the processed lands of an indexed
// bullet exhibit.
func (c *Correlator) Bullet(ctx context.Context, id string) (*bullet.Bullet, error) {
	c.mu.RLock()
	e := c.entries[id]
	var scans []landScan
	if e != nil {
		scans = slices.Clone(e.scans)
	}
	c.mu.RUnlock()
	if e == nil || e.kind != search.KindBullet {
		return nil, fmt.Errorf("%w: %s", search.ErrNotFound, id)
	}
	b := &bullet.Bullet{Name: id}
	for _, l := range scans {
		land, err := c.landScan(ctx, e.agency, l.scan)
		if err != nil {
			return nil, err
		}
		b.Lands = append(b.Lands, land)
		b.Problems = append(b.Problems, "")
	}
	return b, nil
}

func candidate(scan domain.ScanID, score float64, calibrated *float64, reg Registration) domain.Candidate {
	b, _ := json.Marshal(reg)
	return domain.Candidate{Scan: scan, Score: score, Calibrated: calibrated, Registration: b, ReviewStatus: domain.ReviewUnreviewed}
}

// PreparedCacheBytes bounds the memory of the prepared cartridge scans kept
// between searches and comparisons (about 25 Fadul-sized scans once
// compared, measured by cartridge.Prepared.Bytes). A larger budget barely
// raises the hit rate of national searches (each query's best candidates
// differ) and, at 100,000 exhibits, would crowd the heap next to the index
// (1.1 GiB).
const PreparedCacheBytes = 512 << 20

// landCacheLimit bounds the processed lands kept between searches (a few
// hundred KB each).
const landCacheLimit = 512

// preparedScan returns the comparison state of a stored cartridge scan of
// agency, from the cache or prepared once from its processed surface. The
// cache key holds the agency, so a scan is only ever loaded within its own.
func (c *Correlator) preparedScan(ctx context.Context, agency domain.AgencyID, id domain.ScanID) (*cartridge.Prepared, error) {
	return c.prepared.Prepared(ctx, string(agency)+"/"+string(id))
}

// loadPrepared is the cache's loader; key is "agency/scan".
func (c *Correlator) loadPrepared(ctx context.Context, key string) (*cartridge.Prepared, error) {
	agency, id, ok := strings.Cut(key, "/")
	if !ok {
		return nil, fmt.Errorf("%w: %s", search.ErrNotFound, key)
	}
	m, err := c.surface(ctx, domain.AgencyID(agency), domain.ScanID(id))
	if err != nil {
		return nil, err
	}
	return cartridge.Prepare(id, m, c.cartCfg)
}

// surface reads the processed surface of a stored cartridge scan.
func (c *Correlator) surface(ctx context.Context, agency domain.AgencyID, id domain.ScanID) (*surface.Map, error) {
	sc, err := c.store.Scan(ctx, agency, id)
	if err != nil {
		return nil, err
	}
	if sc.Preprocessed.IsZero() {
		return nil, errs.Errorf("server.surface", errs.Invalid, "scan %s has no processed surface (a 2D image, or not processed yet)", id)
	}
	b, err := blob.ReadAll(ctx, c.blobs, sc.Preprocessed)
	if err != nil {
		return nil, err
	}
	return ingest.DecodeSurface(b)
}

// readFeatures reads the search features of the stored scan e from their
// blob. Features of an older format (search.ErrStaleFormat) are recomputed
// from the processed surface and stored (storeRederived). ref is the blob
// that holds them now: e.Features, the new blob, or zero when they could
// not be stored and exist in memory only.
func (c *Correlator) readFeatures(ctx context.Context, e store.SearchEntry) (f *search.Features, ref blob.Ref, err error) {
	b, err := blob.ReadAll(ctx, c.blobs, e.Features)
	if err != nil {
		return nil, ref, err
	}
	f = new(search.Features)
	if err := f.UnmarshalBinary(b); errors.Is(err, search.ErrStaleFormat) {
		if f, err = c.rederive(ctx, e, f.Kind); err != nil {
			return nil, ref, fmt.Errorf("features of an older format, and recomputing them failed: %w", err)
		}
		return f, c.storeRederived(ctx, e, f), nil
	} else if err != nil {
		return nil, ref, err
	}
	return f, e.Features, nil
}

// rederive recomputes the search features of a stored scan of the given
// kind whose feature blob is of an older format (search.ErrStaleFormat),
// from its processed surface (storeRederived keeps them).
func (c *Correlator) rederive(ctx context.Context, e store.SearchEntry, kind search.Kind) (*search.Features, error) {
	switch kind {
	case search.KindCartridge:
		m, err := c.surface(ctx, e.Agency, e.Scan)
		if err != nil {
			return nil, err
		}
		return search.NewSigner().Cartridge(m)
	case search.KindBullet:
		l, err := c.landScan(ctx, e.Agency, e.Scan)
		if err != nil {
			return nil, err
		}
		d, err := search.LandDescriptor(l.Signature, l.DX)
		if err != nil {
			return nil, err
		}
		return &search.Features{Kind: search.KindBullet, Lands: [][]float32{d}}, nil
	default:
		return nil, fmt.Errorf("old feature blob of unknown exhibit kind %d", kind)
	}
}

// storeRederived stores the features recomputed for scan e (rederive) as a
// new blob and points the scan's record at it, so the next start reads them
// instead of recomputing them. The old blob is left in place: blobs are
// content-addressed and may be shared (another agency's copy of the scan, a
// backup or an exchange bundle may still name it). Storing is best effort:
// on failure (no writer, a blob or database error, the record changed
// meanwhile) the features serve from memory and are recomputed at the next
// start, as a warning says; the load goes on either way. It returns the
// new blob, zero when not stored.
func (c *Correlator) storeRederived(ctx context.Context, e store.SearchEntry, f *search.Features) blob.Ref {
	const msg = "search corpus: features of an older format recomputed from the processed surface"
	if c.writer == nil {
		c.log.Info(msg+" (kept in memory only)", "scan", e.Scan)
		return blob.Ref{}
	}
	ref, err := c.writeFeatures(ctx, e, f)
	if err != nil {
		c.log.Warn(msg+" but not stored (kept in memory; recomputed again at the next start)", "scan", e.Scan, "err", err)
		return blob.Ref{}
	}
	c.log.Info(msg+" and stored", "scan", e.Scan, "features", ref)
	return ref
}

func (c *Correlator) writeFeatures(ctx context.Context, e store.SearchEntry, f *search.Features) (blob.Ref, error) {
	data, err := f.MarshalBinary()
	if err != nil {
		return blob.Ref{}, fmt.Errorf("encoding the recomputed features: %w", err)
	}
	ref, _, err := c.writer.Receive(ctx, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return blob.Ref{}, fmt.Errorf("storing the recomputed features: %w", err)
	}
	if err := c.store.SetScanFeatures(ctx, e.Agency, e.Scan, e.Features, ref); err != nil {
		return blob.Ref{}, fmt.Errorf("recording the recomputed features (blob %s): %w", ref, err)
	}
	return ref, nil
}

// landScan returns the processed land of a stored bullet-land scan.
func (c *Correlator) landScan(ctx context.Context, agency domain.AgencyID, id domain.ScanID) (*bullet.Land, error) {
	c.cacheMu.Lock()
	l := c.lands[id]
	c.cacheMu.Unlock()
	if l != nil {
		return l, nil
	}
	sc, err := c.store.Scan(ctx, agency, id)
	if err != nil {
		return nil, err
	}
	if sc.Preprocessed.IsZero() {
		return nil, errs.Errorf("server.landScan", errs.Invalid, "scan %s has no processed land", id)
	}
	b, err := blob.ReadAll(ctx, c.blobs, sc.Preprocessed)
	if err != nil {
		return nil, err
	}
	if l, err = ingest.DecodeLand(b); err != nil {
		return nil, err
	}
	c.cacheMu.Lock()
	if len(c.lands) >= landCacheLimit {
		clear(c.lands)
	}
	c.lands[id] = l
	c.cacheMu.Unlock()
	return l, nil
}

// QueryForScan builds the query of a stored scan: a cartridge scan alone,
// or every land of the scan's bullet exhibit.
func (c *Correlator) QueryForScan(ctx context.Context, agency domain.AgencyID, id domain.ScanID) (Query, error) {
	sc, err := c.store.Scan(ctx, agency, id)
	if err != nil {
		return Query{}, err
	}
	if err := c.Add(ctx, sc); err != nil {
		return Query{}, err
	}
	c.mu.RLock()
	var e entry
	if en := c.entries[c.byScan[id]]; en != nil {
		e = *en
		e.scans = slices.Clone(en.scans) // a bullet's lands change as they are added
	}
	c.mu.RUnlock()
	if e.id == "" {
		return Query{}, errs.Errorf("server.QueryForScan", errs.Invalid, "scan %s has no search features (a 2D image cannot be searched yet)", id)
	}
	q := Query{Agency: agency, Kind: e.kind, Class: e.class, ExcludeExhibit: e.exhibit, Name: sc.OriginalName, Scan: id}
	switch e.kind {
	case search.KindCartridge:
		if q.Surface, err = c.surface(ctx, agency, id); err != nil {
			return q, err
		}
		if q.Features = e.held; q.Features == nil {
			if q.Features, _, err = c.readFeatures(ctx, store.SearchEntry{Scan: id, Agency: agency, Exhibit: e.exhibit, Features: sc.Features}); err != nil {
				return q, fmt.Errorf("reading the search features of scan %s: %w", id, err)
			}
			if q.Features.Kind != search.KindCartridge {
				return q, errs.Errorf("server.QueryForScan", errs.Invalid, "scan %s of a cartridge case has search features of a %s", id, q.Features.Kind)
			}
		}
	case search.KindBullet:
		q.Features = &search.Features{Kind: search.KindBullet}
		for _, l := range e.scans {
			land, err := c.landScan(ctx, agency, l.scan)
			if err != nil {
				return q, err
			}
			q.Lands = append(q.Lands, land)
			q.Features.Lands = append(q.Features.Lands, l.land)
		}
	}
	return q, nil
}

// QueryForAnalysis builds the query of a file that is not stored (a search
// upload). Bullets: the file is one land.
func QueryForAnalysis(agency domain.AgencyID, a *ingest.Analysis, class domain.ClassCharacteristics, name string) (Query, error) {
	q := Query{Agency: agency, Kind: a.Kind.SearchKind(), Features: a.Features, Surface: a.Surface, Name: name}
	q.Class = searchClass(q.Kind, class)
	if a.Land != nil {
		q.Lands = []*bullet.Land{a.Land}
	}
	if q.Features == nil {
		return q, errs.Errorf("server.QueryForAnalysis", errs.Invalid, "%s is a 2D image; images are stored and shown but not searched yet", name)
	}
	return q, nil
}

// naturalCompare orders names with embedded numbers numerically ("land 2"
// before "land 10").
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:min(da, 18)], 10, 64)
			nb, _ := strconv.ParseUint(b[:min(db, 18)], 10, 64)
			if na != nb {
				return cmp.Compare(na, nb)
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitsPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
