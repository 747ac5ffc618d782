package search

import (
	"container/heap"
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
)

// Index is the in-memory search corpus: class characteristics and coarse
// features of every exhibit. Cartridge rows keep only what the coarse stage
// compares (polar harmonics and the quantised registration spectrum, about
// 9.5 KiB), in two contiguous int8 matrices (row i = exhibit i) so that the
// exhaustive scan streams through memory. It is safe for concurrent use:
// Query takes a read lock, Add and Remove a write lock.
type Index struct {
	mu       sync.RWMutex
	workers  int
	derivers sync.Pool      // *deriver
	rows     map[string]int // id → row
	ids      []string
	classes  []Class // normalised (normClass)
	kinds    []Kind
	polar    []int8        // cartridges: row i at [i*PolarLen, ...); zeros for bullets
	spec     []int8        // cartridges: row i at [i*SpectrumLen, ...)
	specStep []float32     // cartridges: dequantisation step of the row's spectrum
	specNorm []float32     // cartridges: the row's registration-map norm
	lands    [][][]float32 // bullets: per row (nil for cartridges)
}

// NewIndex returns an empty index whose queries use up to workers
// goroutines (≤ 0: GOMAXPROCS).
func NewIndex(workers int) *Index {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	x := &Index{workers: workers, rows: map[string]int{}}
	x.derivers.New = func() any { return newDeriver() }
	return x
}

// Len returns the number of exhibits.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// ResidentBytes estimates the memory the index holds per exhibit kind's
// features (ids and classes excluded).
func (x *Index) ResidentBytes() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return int64(cap(x.polar) + cap(x.spec) + 8*cap(x.specStep))
}

// Add inserts or replaces the exhibit id. The features are copied (for a
// cartridge case only the derived coarse features are kept).
func (x *Index) Add(id string, c Class, f *Features) error {
	if id == "" {
		return fmt.Errorf("search: add: empty id")
	}
	if f == nil {
		return fmt.Errorf("search: add %s: no features", id)
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("search: add %s: %w", id, err)
	}
	if c.Kind == KindUnknown {
		c.Kind = f.Kind
	} else if c.Kind != f.Kind {
		return fmt.Errorf("search: add %s: class says %s but the features are of a %s", id, c.Kind, f.Kind)
	}
	var cr cartridgeRow
	var ls [][]float32
	if f.Kind == KindCartridge {
		d := x.derivers.Get().(*deriver)
		var err error
		cr, err = d.derive(f)
		x.derivers.Put(d)
		if err != nil {
			return fmt.Errorf("search: add %s: %w", id, err)
		}
	} else {
		ls = make([][]float32, len(f.Lands))
		for i, l := range f.Lands {
			if l != nil {
				ls[i] = append([]float32(nil), l...)
			}
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	row, ok := x.rows[id]
	if !ok {
		row = len(x.ids)
		x.rows[id] = row
		x.ids = append(x.ids, id)
		x.classes = append(x.classes, Class{})
		x.kinds = append(x.kinds, 0)
		x.polar = append(x.polar, make([]int8, PolarLen)...)
		x.spec = append(x.spec, make([]int8, SpectrumLen)...)
		x.specStep = append(x.specStep, 0)
		x.specNorm = append(x.specNorm, 0)
		x.lands = append(x.lands, nil)
	}
	x.classes[row] = normClass(c)
	x.kinds[row] = f.Kind
	p := x.polar[row*PolarLen : (row+1)*PolarLen]
	sp := x.spec[row*SpectrumLen : (row+1)*SpectrumLen]
	x.lands[row] = ls
	if f.Kind == KindCartridge {
		copy(p, cr.polar)
		copy(sp, cr.spectrum)
		x.specStep[row], x.specNorm[row] = cr.specStep, cr.specNorm
	} else {
		clear(p)
		clear(sp)
		x.specStep[row], x.specNorm[row] = 0, 0
	}
	return nil
}

// Remove deletes the exhibit id (the last row moves into its place) and
// reports whether it was there.
func (x *Index) Remove(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	row, ok := x.rows[id]
	if !ok {
		return false
	}
	last := len(x.ids) - 1
	if row != last {
		x.ids[row] = x.ids[last]
		x.classes[row] = x.classes[last]
		x.kinds[row] = x.kinds[last]
		x.lands[row] = x.lands[last]
		x.specStep[row], x.specNorm[row] = x.specStep[last], x.specNorm[last]
		copy(x.polar[row*PolarLen:(row+1)*PolarLen], x.polar[last*PolarLen:])
		copy(x.spec[row*SpectrumLen:(row+1)*SpectrumLen], x.spec[last*SpectrumLen:])
		x.rows[x.ids[row]] = row
	}
	delete(x.rows, id)
	x.ids = x.ids[:last]
	x.classes = x.classes[:last]
	x.kinds = x.kinds[:last]
	x.lands = x.lands[:last]
	x.specStep = x.specStep[:last]
	x.specNorm = x.specNorm[:last]
	x.polar = x.polar[:last*PolarLen]
	x.spec = x.spec[:last*SpectrumLen]
	return true
}

// Query describes a coarse search.
type Query struct {
	Features *Features
	Class    Class
	// K is the number of candidates returned (default 100).
	K int
	// Rerank is the number of cartridge candidates of the exhaustive scan
	// given the full rotation sweep of the registration (default 1000; at
	// least K).
	Rerank int
	// Hypotheses is the number of rotations, the best peaks of the polar
	// spectra's correlation, at which the exhaustive scan registers each
	// cartridge candidate (default 2).
	Hypotheses int
	// MaxRotationDeg bounds the rotation searched (default 90).
	MaxRotationDeg float64
	// Exclude, when set, drops ids (e.g. the query exhibit itself). It is
	// called under the index's read lock from several goroutines.
	Exclude func(id string) bool
}

// Candidate is one coarse-stage hit.
type Candidate struct {
	ID string `json:"id"`
	// Score is the coarse similarity used for ranking: for cartridges the
	// best normalised cross-correlation of the 50 µm registration maps over
	// the rotations and shifts searched, for bullets the best phase's mean
	// land cosine.
	Score float64 `json:"coarse_score"`
	// FilterScore is the cartridge's score in the exhaustive scan (the
	// registration at the polar rotation hypotheses only).
	FilterScore float64 `json:"filter_score,omitempty"`
	// RotationDeg and ShiftXUM, ShiftYUM are the coarse registration
	// (cartridges): the query turned by RotationDeg about its map centre
	// (row 0 at the top, positive = the convention of regMap), then its
	// point x + shift lies on the candidate's point x. Accurate to about
	// one angle step and one 50 µm pixel; not the engines' convention.
	RotationDeg float64 `json:"rotation_deg"`
	ShiftXUM    float64 `json:"shift_x_um,omitempty"`
	ShiftYUM    float64 `json:"shift_y_um,omitempty"`
	// Phase is the best land phase (bullets): query land i ↔ candidate land
	// (i+Phase) mod p.
	Phase int `json:"phase,omitempty"`
}

// Stats describes what a query looked at.
type Stats struct {
	Compatible int // exhibits passing the class prefilter
	Reranked   int // cartridge candidates given the full rotation sweep
}

// Query runs the class prefilter and the coarse stage and returns the top K
// candidates, best first.
func (x *Index) Query(ctx context.Context, q Query) ([]Candidate, Stats, error) {
	var st Stats
	f := q.Features
	if f == nil {
		return nil, st, fmt.Errorf("search: query without features")
	}
	if err := f.Validate(); err != nil {
		return nil, st, fmt.Errorf("search: query: %w", err)
	}
	cls := q.Class
	if cls.Kind == KindUnknown {
		cls.Kind = f.Kind
	}
	cls = normClass(cls)
	k := q.K
	if k <= 0 {
		k = 100
	}
	rerank := q.Rerank
	if rerank <= 0 {
		rerank = 1000
	}
	rerank = max(rerank, k)
	maxRot := q.MaxRotationDeg
	if !(maxRot > 0) || maxRot > 90 {
		maxRot = 90
	}
	hyp := q.Hypotheses
	if hyp <= 0 {
		hyp = 2
	}

	var cq *cartQuery
	if f.Kind == KindCartridge {
		var err error
		if cq, err = newCartQuery(f, maxRot); err != nil {
			return nil, st, fmt.Errorf("search: query: %w", err)
		}
	}

	x.mu.RLock()
	defer x.mu.RUnlock()
	keep := func(row int) bool {
		if x.kinds[row] != f.Kind || !cls.compatible(x.classes[row]) {
			return false
		}
		return q.Exclude == nil || !q.Exclude(x.ids[row])
	}
	if f.Kind == KindBullet {
		hits, compatible, err := x.scan(ctx, k, func() func(int) (float32, bool) {
			return func(row int) (float32, bool) {
				if !keep(row) {
					return 0, false
				}
				s, _ := bulletScore(f.Lands, x.lands[row])
				return s, true
			}
		})
		st.Compatible = compatible
		if err != nil {
			return nil, st, err
		}
		out := make([]Candidate, len(hits))
		for i, h := range hits {
			s, ph := bulletScore(f.Lands, x.lands[h.row])
			out[i] = Candidate{ID: x.ids[h.row], Score: float64(s), Phase: ph}
		}
		return out, st, nil
	}

	// Stage 1a: every compatible row registered at its best polar rotation
	// hypotheses.
	hits, compatible, err := x.scan(ctx, rerank, func() func(int) (float32, bool) {
		sc := newScorer(cq)
		return func(row int) (float32, bool) {
			if !keep(row) {
				return 0, false
			}
			r := sc.filter(x.cartRow(row), hyp)
			return float32(r.score), true
		}
	})
	st.Compatible = compatible
	if err != nil {
		return nil, st, err
	}
	// Stage 1b: the full rotation sweep on the survivors.
	st.Reranked = len(hits)
	out := make([]Candidate, len(hits))
	scorers := make(chan *scorer, x.workers)
	for range x.workers {
		scorers <- newScorer(cq)
	}
	parallelFor(ctx, x.workers, len(hits), func(i int) {
		sc := <-scorers
		defer func() { scorers <- sc }()
		row := hits[i].row
		c := x.cartRow(row)
		r := sc.sweep(c, sc.filter(c, hyp)) // the filter again (≈ 38 µs) for its angle
		out[i] = Candidate{ID: x.ids[row], Score: r.score, FilterScore: float64(hits[i].score),
			RotationDeg: float64(r.angle) * AngleStepDeg, ShiftXUM: float64(r.dx) * RegSpacingUM, ShiftYUM: float64(r.dy) * RegSpacingUM}
	})
	if err := ctx.Err(); err != nil {
		return nil, st, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > k {
		out = out[:k]
	}
	return out, st, nil
}

// cartRow returns the coarse features of a cartridge row (views, not
// copies; x.mu must be held).
func (x *Index) cartRow(row int) cartridgeRow {
	return cartridgeRow{polar: x.polar[row*PolarLen : (row+1)*PolarLen], spectrum: x.spec[row*SpectrumLen : (row+1)*SpectrumLen],
		specStep: x.specStep[row], specNorm: x.specNorm[row]}
}

type hit struct {
	row   int
	score float32
}

// topK is a min-heap of the best hits so far.
type topK []hit

func (h topK) Len() int { return len(h) }
func (h topK) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].row > h[j].row
}
func (h topK) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *topK) Push(v any)   { *h = append(*h, v.(hit)) }
func (h *topK) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// scan scores every row (ok=false skips it) on x.workers goroutines over
// contiguous row ranges, each with its own scoring function from
// newScore, and returns the best k, best first, and the number of rows
// scored.
func (x *Index) scan(ctx context.Context, k int, newScore func() func(row int) (float32, bool)) ([]hit, int, error) {
	n := len(x.ids)
	w := max(1, min(x.workers, n/256+1))
	heaps := make([]topK, w)
	counts := make([]int, w)
	var wg sync.WaitGroup
	for g := range w {
		lo, hi := g*n/w, (g+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			score := newScore()
			h := make(topK, 0, k+1)
			for row := lo; row < hi; row++ {
				if row&4095 == 0 && ctx.Err() != nil {
					return
				}
				s, ok := score(row)
				if !ok {
					continue
				}
				counts[g]++
				if len(h) < k {
					heap.Push(&h, hit{row, s})
				} else if s > h[0].score {
					h[0] = hit{row, s}
					heap.Fix(&h, 0)
				}
			}
			heaps[g] = h
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var all []hit
	total := 0
	for g := range w {
		all = append(all, heaps[g]...)
		total += counts[g]
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].row < all[j].row
	})
	if len(all) > k {
		all = all[:k]
	}
	return all, total, nil
}

// parallelFor runs fn(0..n-1) on up to workers goroutines; it stops handing
// out work when ctx is done.
func parallelFor(ctx context.Context, workers, n int, fn func(i int)) {
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// normClass prepares a class for Compatible by normalising its texts once.
func normClass(c Class) Class {
	c.Calibre = normText(c.Calibre)
	c.FiringPin = normText(c.FiringPin)
	c.BreechFace = normText(c.BreechFace)
	c.Twist = normText(c.Twist)
	return c
}
