package search

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/surface"
)

// TestExpandFeaturesAligns turns and shifts a map by a known registration,
// lets the scorer find it, and checks that expandFeatures brings the copy
// back onto the query: what it added to the query's map correlates with
// the query (a misplaced copy would not).
func TestExpandFeaturesAligns(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	q := withPolar(t, randomCartridge(r))
	const angle, dx, dy = 5, 3, -2 // cells, registration pixels
	e := &Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: q.MapScale}
	sn, cs := math.Sincos(float64(angle) * AngleStepDeg * math.Pi / 180)
	const c = float64(MapSize-1) / 2
	for y := range MapSize {
		for x := range MapSize {
			// The query turned by angle, shifted by d, lies on e: e(x) = q(R(x + d)).
			ux, uy := float64(x)-c+2*dx, float64(y)-c+2*dy
			e.Map[y*MapSize+x] = int8(math.Round(sampleMap(q.Map, cs*ux-sn*uy+c, sn*ux+cs*uy+c)))
		}
	}
	e = withPolar(t, e)
	cq, err := newCartQuery(q, 33)
	if err != nil {
		t.Fatal(err)
	}
	row, err := newDeriver().derive(e)
	if err != nil {
		t.Fatal(err)
	}
	sc := newScorer(cq)
	reg := sc.sweep(row, sc.filter(row, 2))
	if reg.angle != angle || reg.dx != dx || reg.dy != dy {
		t.Fatalf("registration found: angle %d shift (%d, %d), want %d (%d, %d)", reg.angle, reg.dx, reg.dy, angle, dx, dy)
	}
	comb, err := expandFeatures(q, e, reg)
	if err != nil {
		t.Fatal(err)
	}
	// Turning white noise twice by bilinear interpolation smooths it: the
	// copy correlates about 0.83.
	if got := added(comb, q); got < 0.7 {
		t.Errorf("the copy added to the map correlates %.3f with the query, want ≥ 0.7", got)
	}
	if got := ncc(comb.Polar, q.Polar); got < 0.9 {
		t.Errorf("expanded polar harmonics correlate %.3f with the query's, want ≥ 0.9", got)
	}
	// The same copy placed by a wrong registration does not line up.
	wrong := reg
	wrong.angle = -angle
	bad, err := expandFeatures(q, e, wrong)
	if err != nil {
		t.Fatal(err)
	}
	if got := added(bad, q); got > 0.2 {
		t.Errorf("a misregistered copy correlates %.3f with the query: the test cannot tell alignment", got)
	}
	if _, err := expandFeatures(q, e, registration{}); err == nil {
		t.Error("expanded with an unregistered candidate")
	}
}

// added returns the correlation of what expandFeatures added to q's map
// with q's map.
func added(comb, q *Features) float64 {
	var ab, aa, bb float64
	for i := range q.Map {
		y := float64(q.Map[i]) * float64(q.MapScale)
		x := float64(comb.Map[i])*float64(comb.MapScale) - y
		ab, aa, bb = ab+x*y, aa+x*x, bb+y*y
	}
	return ab / math.Sqrt(aa*bb)
}

func ncc(a, b []int8) float64 {
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab, aa, bb = ab+x*y, aa+x*x, bb+y*y
	}
	return ab / math.Sqrt(aa*bb)
}

// TestPipelineExpansion: three cuts of one firing's breech face, A (the
// top left and bottom right quadrants), B (the left half) and C (the other
// two quadrants). A and C share no mark, so A's search cannot rank C above
// unrelated firings; B shares half of A and half of C. Searching with A, the engine identifies B, and the search
// expanded with B must find C and give it the full comparison.
func TestPipelineExpansion(t *testing.T) {
	if testing.Short() {
		t.Skip("about 40 synthetic firings and a dozen full comparisons; skipped with -short")
	}
	ctx := context.Background()
	pcfg, err := cartridge.PreprocessPreset("default")
	if err != nil {
		t.Fatal(err)
	}
	pcfg.Processed = true
	ccfg := cartridge.DefaultConfig()
	idx := NewIndex(0)
	mem := NewMemorySource()
	feats := map[string]*Features{}
	prep := map[string]*cartridge.Prepared{}
	add := func(id string, m *surface.Map) {
		t.Helper()
		f, err := NewSigner().Cartridge(m)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		p, err := cartridge.Prepare(id, m, ccfg)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if err := idx.Add(id, Class{Kind: KindCartridge}, f); err != nil {
			t.Fatal(err)
		}
		mem.PutPrepared(id, p)
		feats[id], prep[id] = f, p
	}
	processed := func(g int) *surface.Map {
		t.Helper()
		scans, err := synthFirearm(7, g, 1)
		if err != nil {
			t.Fatal(err)
		}
		pp, err := cartridge.Preprocess(scans[0].Surface, pcfg)
		if err != nil {
			t.Fatal(err)
		}
		return pp.Map
	}
	full := processed(0)
	// keep(left, top) says whether a quadrant stays.
	cut := func(keep func(left, top bool) bool) *surface.Map {
		m := full.Clone()
		for y := range m.NY {
			for x := range m.NX {
				if !keep(x < m.NX/2, y < m.NY/2) {
					m.Z[y*m.NX+x] = math.NaN()
				}
			}
		}
		return m
	}
	add("A", cut(func(left, top bool) bool { return left == top }))
	add("B", cut(func(left, _ bool) bool { return left }))
	add("C", cut(func(left, top bool) bool { return left != top }))
	for g := 1; g <= 40; g++ {
		add(synthID(g, 0), processed(g))
	}
	search := func(expand int) *Result {
		t.Helper()
		pipe, err := NewPipeline(idx, mem, nil, PipelineConfig{K: 3, Full: 2, Expand: expand})
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipe.Search(ctx, Request{ID: "A", Features: feats["A"], Prepared: prep["A"]})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) > 3 {
			t.Errorf("expand %d: %d hits, want at most K = 3", expand, len(res.Hits))
		}
		return res
	}
	ids := func(res *Result) []string {
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	plain := search(-1)
	if slices.Contains(ids(plain), "C") {
		t.Fatalf("without expansion C is among the best 3 (%v): the test needs it lost", ids(plain))
	}
	if len(plain.ExpandedWith) != 0 {
		t.Errorf("expansion off, yet expanded with %v", plain.ExpandedWith)
	}
	if h := plain.Hits[0]; h.ID != "B" || h.HighCMC < IdentifiedCMC {
		t.Fatalf("without expansion the top hit is %s (high-CMC %d), want B identified", h.ID, h.HighCMC)
	}
	res := search(3)
	if !slices.Equal(res.ExpandedWith, []string{"B"}) {
		t.Errorf("expanded with %v, want [B]", res.ExpandedWith)
	}
	var c *Hit
	for i := range res.Hits {
		if res.Hits[i].ID == "C" {
			c = &res.Hits[i]
		}
	}
	if c == nil {
		for _, h := range res.Hits {
			t.Logf("%s coarse %.3f rot %.1f shift %.0f,%.0f expanded %v compared %v cmc %d", h.ID, h.Candidate.Score, h.RotationDeg, h.ShiftXUM, h.ShiftYUM, h.Expanded, h.Compared, h.HighCMC)
		}
		t.Fatalf("expanded search missed C: %v", ids(res))
	}
	if !c.Expanded || !c.Compared {
		t.Errorf("C: expanded %v, compared %v; want both", c.Expanded, c.Compared)
	}
	if res.Hits[0].ID != "B" {
		t.Errorf("expanded search's top hit is %s, want B", res.Hits[0].ID)
	}
	t.Logf("plain %v; expanded %v (C: coarse %.3f, high-CMC %d)", ids(plain), ids(res), c.Candidate.Score, c.HighCMC)

	// A seed whose surface cannot be read leaves the query's own list and
	// says why.
	pipe, err := NewPipeline(idx, &failSecond{PreparedSource: mem, id: "B"}, nil, PipelineConfig{K: 3, Full: 2})
	if err != nil {
		t.Fatal(err)
	}
	broken, err := pipe.Search(ctx, Request{ID: "A", Features: feats["A"], Prepared: prep["A"]})
	if err != nil {
		t.Fatalf("a failed expansion failed the search: %v", err)
	}
	if broken.ExpandError == "" || len(broken.ExpandedWith) != 0 || !slices.Equal(ids(broken), ids(plain)) {
		t.Errorf("failed expansion: error %q, expanded with %v, hits %v; want an error and the plain hits %v", broken.ExpandError, broken.ExpandedWith, ids(broken), ids(plain))
	}
}

// failSecond fails every load of id after the first.
type failSecond struct {
	PreparedSource
	id    string
	loads atomic.Int32
}

func (f *failSecond) Prepared(ctx context.Context, id string) (*cartridge.Prepared, error) {
	if id == f.id && f.loads.Add(1) > 1 {
		return nil, errors.New("blob store unreachable")
	}
	return f.PreparedSource.Prepared(ctx, id)
}
