package search

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
)

// Index is the in-memory search corpus: class characteristics and coarse
// features of every exhibit, cartridge vectors in one contiguous float32
// matrix (row i = exhibit i) so that the exhaustive scan streams through
// memory. It is safe for concurrent use: Query takes a read lock, Add and
// Remove a write lock.
type Index struct {
	mu      sync.RWMutex
	workers int
	rows    map[string]int // id → row
	ids     []string
	classes []Class // normalised (normClass)
	kinds   []Kind
	vecs    []float32     // cartridges: row i at [i*VectorDim, (i+1)*VectorDim); zeros for bullets
	polar   []int8        // cartridges: row i at [i*PolarLen, ...)
	lands   [][][]float32 // bullets: per row (nil for cartridges)
}

// NewIndex returns an empty index whose queries use up to workers
// goroutines (≤ 0: GOMAXPROCS).
func NewIndex(workers int) *Index {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Index{workers: workers, rows: map[string]int{}}
}

// Len returns the number of exhibits.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// Add inserts or replaces the exhibit id. The features are copied.
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
	x.mu.Lock()
	defer x.mu.Unlock()
	row, ok := x.rows[id]
	if !ok {
		row = len(x.ids)
		x.rows[id] = row
		x.ids = append(x.ids, id)
		x.classes = append(x.classes, Class{})
		x.kinds = append(x.kinds, 0)
		x.vecs = append(x.vecs, make([]float32, VectorDim)...)
		x.polar = append(x.polar, make([]int8, PolarLen)...)
		x.lands = append(x.lands, nil)
	}
	x.classes[row] = normClass(c)
	x.kinds[row] = f.Kind
	v := x.vecs[row*VectorDim : (row+1)*VectorDim]
	p := x.polar[row*PolarLen : (row+1)*PolarLen]
	x.lands[row] = nil
	if f.Kind == KindCartridge {
		copy(v, f.Vector)
		copy(p, f.Polar)
	} else {
		clear(v)
		clear(p)
		ls := make([][]float32, len(f.Lands))
		for i, l := range f.Lands {
			if l != nil {
				ls[i] = append([]float32(nil), l...)
			}
		}
		x.lands[row] = ls
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
		copy(x.vecs[row*VectorDim:(row+1)*VectorDim], x.vecs[last*VectorDim:])
		copy(x.polar[row*PolarLen:(row+1)*PolarLen], x.polar[last*PolarLen:])
		x.rows[x.ids[row]] = row
	}
	delete(x.rows, id)
	x.ids = x.ids[:last]
	x.classes = x.classes[:last]
	x.kinds = x.kinds[:last]
	x.lands = x.lands[:last]
	x.vecs = x.vecs[:last*VectorDim]
	x.polar = x.polar[:last*PolarLen]
	return true
}

// Query describes a coarse search.
type Query struct {
	Features *Features
	Class    Class
	// K is the number of candidates returned (default 100).
	K int
	// Rerank is the number of cartridge candidates that the vector scan
	// passes to the polar-spectrum rotation search (default 3000; at
	// least K).
	Rerank int
	// MaxRotationDeg bounds the rotation searched between the polar spectra
	// (default 90, i.e. any rotation: the spectrum has period 180°).
	MaxRotationDeg float64
	// Exclude, when set, drops ids (e.g. the query exhibit itself).
	Exclude func(id string) bool
}

// Candidate is one coarse-stage hit.
type Candidate struct {
	ID string `json:"id"`
	// Score is the coarse similarity used for ranking: for cartridges the
	// best correlation of the polar log-spectra over the rotations searched,
	// for bullets the best phase's mean land cosine.
	Score float64 `json:"coarse_score"`
	// VectorScore is the cosine of the rotation-invariant vectors
	// (cartridges).
	VectorScore float64 `json:"vector_score,omitempty"`
	// RotationDeg is the coarse rotation estimate between the two spectra
	// (cartridges; sign not calibrated against the engines' conventions).
	RotationDeg float64 `json:"rotation_deg"`
	// Phase is the best land phase (bullets): query land i ↔ candidate land
	// (i+Phase) mod p.
	Phase int `json:"phase,omitempty"`
}

// Stats describes what a query looked at.
type Stats struct {
	Compatible int // exhibits passing the class prefilter
	Reranked   int // cartridge candidates given the rotation search
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
		rerank = 3000
	}
	rerank = max(rerank, k)
	maxRot := q.MaxRotationDeg
	if !(maxRot > 0) || maxRot > 90 {
		maxRot = 90
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
		hits, compatible, err := x.scan(ctx, k, func(row int) (float32, bool) {
			if !keep(row) {
				return 0, false
			}
			s, _ := bulletScore(f.Lands, x.lands[row])
			return s, true
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

	// Stage 1a: rotation-invariant vectors, exhaustive.
	qv := f.Vector
	hits, compatible, err := x.scan(ctx, rerank, func(row int) (float32, bool) {
		if !keep(row) {
			return 0, false
		}
		return dot(qv, x.vecs[row*VectorDim:(row+1)*VectorDim]), true
	})
	st.Compatible = compatible
	if err != nil {
		return nil, st, err
	}
	// Stage 1b: rotation search of the polar log-spectra on the survivors.
	st.Reranked = len(hits)
	shifts := int(math.Round(maxRot / AngleStepDeg))
	out := make([]Candidate, len(hits))
	parallelFor(ctx, x.workers, len(hits), func(i int) {
		row := hits[i].row
		c, s := polarCorrelation(f.Polar, x.polar[row*PolarLen:(row+1)*PolarLen], shifts)
		out[i] = Candidate{ID: x.ids[row], Score: c, VectorScore: float64(hits[i].score), RotationDeg: float64(s) * AngleStepDeg}
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

// polarCorrelation returns the best correlation of two polar spectra over
// circular angle shifts −shifts..shifts (candidate cell a+s against query
// cell a) and that shift.
func polarCorrelation(q, c []int8, shifts int) (float64, int) {
	var qq, cc int64
	for i := range q {
		qq += int64(q[i]) * int64(q[i])
		cc += int64(c[i]) * int64(c[i])
	}
	if qq == 0 || cc == 0 {
		return 0, 0
	}
	if 2*shifts+1 > Angles {
		shifts = Angles / 2
	}
	best, bestS := int64(math.MinInt64), 0
	for s := -shifts; s <= shifts; s++ {
		if s == Angles/2 && -shifts == -Angles/2 {
			break // −A/2 and A/2 are the same shift
		}
		var sum int64
		for r := range Rings {
			qr := q[r*Angles : (r+1)*Angles]
			cr := c[r*Angles : (r+1)*Angles]
			o := ((s % Angles) + Angles) % Angles
			// cells a with a+o < Angles, then the wrapped ones.
			var acc int32
			for a, v := range qr[:Angles-o] {
				acc += int32(v) * int32(cr[a+o])
			}
			for a, v := range qr[Angles-o:] {
				acc += int32(v) * int32(cr[a])
			}
			sum += int64(acc)
		}
		if sum > best {
			best, bestS = sum, s
		}
	}
	return float64(best) / math.Sqrt(float64(qq)*float64(cc)), bestS
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

// scan scores every row with score (ok=false skips it) on x.workers
// goroutines over contiguous row ranges and returns the best k, best first,
// and the number of rows scored.
func (x *Index) scan(ctx context.Context, k int, score func(row int) (float32, bool)) ([]hit, int, error) {
	n := len(x.ids)
	w := max(1, min(x.workers, n/2048+1))
	heaps := make([]topK, w)
	counts := make([]int, w)
	var wg sync.WaitGroup
	for g := range w {
		lo, hi := g*n/w, (g+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
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
