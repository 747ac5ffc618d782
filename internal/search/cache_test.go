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
	per := 25 * 8 * int64(64*64)
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
