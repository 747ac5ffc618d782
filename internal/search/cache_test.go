package search

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/surface"
)

func TestPreparedCacheBudget(t *testing.T) {
	ccfg := cartridge.DefaultConfig()
	m := surface.New(64, 64, 6.25, 6.25)
	for i := range m.Z {
		m.Z[i] = float64(i%13) - 6
	}
	var loads atomic.Int64
	load := func(_ context.Context, id string) (*cartridge.Prepared, error) {
		loads.Add(1)
		if id == "missing" {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return cartridge.Prepare(id, m, ccfg)
	}
	probe, err := cartridge.Prepare("probe", m, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	per := PreparedBytes(probe)
	if per < 8*64*64 {
		t.Fatalf("PreparedBytes = %d, less than the 64² surface's heights", per)
	}
	c, err := NewPreparedCache(3*per, load) // room for three
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c", "a", "d"} { // d evicts b, the least recent
		p, err := c.Prepared(ctx, id)
		if err != nil || p.Name != id {
			t.Fatalf("%s: %v %v", id, p, err)
		}
	}
	st := c.Stats()
	if st.Entries != 3 || st.Bytes != 3*per || st.Hits != 1 || st.Misses != 4 || loads.Load() != 4 {
		t.Fatalf("stats %+v, loads %d", st, loads.Load())
	}
	if _, err := c.Prepared(ctx, "b"); err != nil || loads.Load() != 5 {
		t.Errorf("evicted entry not reloaded: %v, loads %d", err, loads.Load())
	}
	if _, err := c.Prepared(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	c.Remove("b")
	if st := c.Stats(); st.Entries != 2 || st.Bytes != 2*per {
		t.Errorf("after remove %+v", st)
	}
	// Concurrent misses for one id load once.
	loads.Store(0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Prepared(ctx, "z"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if loads.Load() != 1 {
		t.Errorf("%d loads for one id", loads.Load())
	}
	// Too large for the budget: handed out, not kept.
	small, _ := NewPreparedCache(per/2, load)
	if _, err := small.Prepared(ctx, "a"); err != nil || small.Stats().Entries != 0 {
		t.Errorf("oversized entry: %v %+v", err, small.Stats())
	}
	if _, err := NewPreparedCache(1, nil); err == nil {
		t.Error("nil loader accepted")
	}
	if _, err := NewPreparedCache(-1, load); err == nil {
		t.Error("negative budget accepted")
	}
}

// TestPreparedCacheGrowth: entries grow when compared after they were
// counted; the next insertion measures them again and evicts down to the
// budget, so the budget holds compared surfaces.
func TestPreparedCacheGrowth(t *testing.T) {
	ccfg := cartridge.DefaultConfig()
	load := func(_ context.Context, id string) (*cartridge.Prepared, error) {
		m := surface.New(64, 64, 6.25, 6.25)
		for i := range m.Z {
			m.Z[i] = float64((i*7919+len(id)*104729)%101) / 10
		}
		return cartridge.Prepare(id, m, ccfg)
	}
	cmp, err := cartridge.NewComparer(ccfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := load(ctx, "x")
	b, _ := load(ctx, "y")
	fresh := PreparedBytes(a)
	if _, err := cmp.Compare(a, b); err != nil {
		t.Fatal(err)
	}
	compared := PreparedBytes(a)
	if compared < 4*fresh {
		t.Fatalf("a compared 64² surface holds %d bytes, fresh %d: the test needs it to grow at least 4×", compared, fresh)
	}
	c, err := NewPreparedCache(3*compared, load) // room for three compared
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string) *cartridge.Prepared {
		t.Helper()
		p, err := c.Prepared(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ps := map[string]*cartridge.Prepared{}
	for _, id := range []string{"a", "b", "c", "d"} { // four fresh ones fit
		ps[id] = get(id)
	}
	if st := c.Stats(); st.Entries != 4 || st.Bytes != 4*fresh {
		t.Fatalf("four fresh entries: %+v, want 4 of %d bytes", st, fresh)
	}
	for _, pair := range [][2]string{{"a", "b"}, {"c", "d"}} {
		if _, err := cmp.Compare(ps[pair[0]], ps[pair[1]]); err != nil {
			t.Fatal(err)
		}
	}
	get("e") // measures again: a and b (least recent) go
	st := c.Stats()
	if st.Entries != 3 || st.Bytes != 2*compared+fresh || st.Bytes > st.Budget {
		t.Errorf("after inserting a fifth: %+v, want c, d compared and e fresh (%d bytes)", st, 2*compared+fresh)
	}
	misses := st.Misses
	get("c")
	get("d")
	if c.Stats().Misses != misses {
		t.Error("the most recently used compared entries were evicted")
	}
	get("a")
	if c.Stats().Misses != misses+1 {
		t.Error("the least recently used entry was kept beyond the budget")
	}
	// a came back fresh beside c, d and e. Compared, it grows beyond the
	// budget until the next insertion (documented); Stats measures now.
	if _, err := cmp.Compare(ps["a"], get("a")); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Entries != 4 || st.Bytes != 3*compared+fresh {
		t.Errorf("c, d, a compared and e fresh: %+v, want %d bytes", st, 3*compared+fresh)
	}
	get("f")
	if st := c.Stats(); st.Bytes > st.Budget {
		t.Errorf("the next insertion left the cache above its budget: %+v", st)
	}
}
