package search

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
)

// PreparedBytes is the memory a prepared cartridge case holds now
// (cartridge.Prepared.Bytes): its surface, cells and coarse copy, and the
// caches the engine has filled lazily so far (the coarse copy turned at
// every grid angle, the cells' FFT spectra). Once compared, with the
// default configuration, that is about 9 times the surface's 8 bytes a
// point (≈ 21 MB for a 545² Fadul scan, against 5 MB fresh).
func PreparedBytes(p *cartridge.Prepared) int64 {
	if p == nil {
		return 0
	}
	return p.Bytes()
}

// LoadFunc loads the prepared surface of an indexed cartridge case (from a
// blob store, or by regenerating a synthetic one).
type LoadFunc func(ctx context.Context, id string) (*cartridge.Prepared, error)

// PreparedCache is a PreparedSource that keeps the most recently used
// prepared surfaces within a byte budget (PreparedBytes each) and loads the
// others through its LoadFunc; concurrent requests for one id load it once.
// A surface larger than the budget is loaded and handed out but not kept.
// It is safe for concurrent use.
//
// The budget covers the surfaces as they are once compared. A surface is
// handed out fresh and grows (about ninefold) as its first comparison
// fills its caches, after it was counted; so every insertion measures all
// entries again before it evicts the least recently used beyond the budget
// (PreparedBytes is a sum kept by the Prepared: cheap). Between two
// insertions the entries may exceed the budget by the growth of those
// handed out fresh and compared since the last insertion: about one
// surface per concurrent comparison, which holds it in memory anyway.
type PreparedCache struct {
	load   LoadFunc
	budget int64

	mu       sync.Mutex
	used     int64
	order    *list.List // front = most recent; values *cacheEntry
	items    map[string]*list.Element
	inflight map[string]*loadCall
	hits     int64
	misses   int64
}

type cacheEntry struct {
	id    string
	p     *cartridge.Prepared
	bytes int64
}

type loadCall struct {
	done chan struct{}
	p    *cartridge.Prepared
	err  error
}

// NewPreparedCache returns a cache of at most budget bytes over load.
func NewPreparedCache(budget int64, load LoadFunc) (*PreparedCache, error) {
	if load == nil {
		return nil, errors.New("search: prepared cache needs a load function")
	}
	if budget < 0 {
		return nil, fmt.Errorf("search: prepared cache budget %d bytes is negative", budget)
	}
	return &PreparedCache{load: load, budget: budget, order: list.New(), items: map[string]*list.Element{}, inflight: map[string]*loadCall{}}, nil
}

// Prepared implements PreparedSource.
func (c *PreparedCache) Prepared(ctx context.Context, id string) (*cartridge.Prepared, error) {
	c.mu.Lock()
	if el, ok := c.items[id]; ok {
		c.order.MoveToFront(el)
		c.hits++
		p := el.Value.(*cacheEntry).p
		c.mu.Unlock()
		return p, nil
	}
	if call, ok := c.inflight[id]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.p, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c.misses++
	call := &loadCall{done: make(chan struct{})}
	c.inflight[id] = call
	c.mu.Unlock()

	call.p, call.err = c.load(ctx, id)
	if call.err == nil && call.p == nil {
		call.err = fmt.Errorf("%w: %s (loader returned nothing)", ErrNotFound, id)
	}

	c.mu.Lock()
	delete(c.inflight, id)
	if call.err == nil {
		c.insert(id, call.p)
	}
	c.mu.Unlock()
	close(call.done)
	return call.p, call.err
}

// insert adds p and evicts the least recently used entries beyond the
// budget; c.mu must be held.
func (c *PreparedCache) insert(id string, p *cartridge.Prepared) {
	b := PreparedBytes(p)
	if b > c.budget {
		return
	}
	c.remeasure()
	c.items[id] = c.order.PushFront(&cacheEntry{id: id, p: p, bytes: b})
	c.used += b
	for c.used > c.budget {
		el := c.order.Back()
		e := el.Value.(*cacheEntry)
		c.order.Remove(el)
		delete(c.items, e.id)
		c.used -= e.bytes
	}
}

// remeasure updates the entries' sizes (they grow as comparisons fill
// their caches); c.mu must be held.
func (c *PreparedCache) remeasure() {
	c.used = 0
	for el := c.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*cacheEntry)
		e.bytes = PreparedBytes(e.p)
		c.used += e.bytes
	}
}

// Remove drops id from the cache (e.g. when its scan is deleted).
func (c *PreparedCache) Remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		c.used -= el.Value.(*cacheEntry).bytes
		c.order.Remove(el)
		delete(c.items, id)
	}
}

// CacheStats describes a PreparedCache.
type CacheStats struct {
	Entries int   `json:"entries"`
	Bytes   int64 `json:"bytes"`
	Budget  int64 `json:"budget"`
	Hits    int64 `json:"hits"`
	Misses  int64 `json:"misses"`
}

// Stats returns the cache's occupation (measured now) and hit counts.
func (c *PreparedCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remeasure()
	return CacheStats{Entries: len(c.items), Bytes: c.used, Budget: c.budget, Hits: c.hits, Misses: c.misses}
}
