package cartridge

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"

	"github.com/tracemark/tracemark/internal/surface"
)

// texturedMap returns an n×n map of random heights at 6.25 µm, every point
// valid.
func texturedMap(n int, seed uint64) *surface.Map {
	r := rand.New(rand.NewPCG(seed, 1))
	m := surface.New(n, n, 6.25, 6.25)
	for i := range m.Z {
		m.Z[i] = r.NormFloat64()
	}
	return m
}

// TestPreparedBytes: a freshly prepared 64² surface holds its heights, its
// cells' copies and its coarse copy; a comparison adds the turned coarse
// copies and the cells' spectra, once.
func TestPreparedBytes(t *testing.T) {
	cfg := DefaultConfig()
	p, err := Prepare("a", texturedMap(64, 1), cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Prepare("b", texturedMap(64, 2), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 64² heights, 8×8 cells of 8×8 copied heights, a 16² coarse copy
	// (CoarseFactor 4), 8 bytes each; plus the headers of the 64 cells and
	// two maps, and the Prepared itself (a few hundred bytes).
	const data = 8 * (64*64 + 64*8*8 + 16*16)
	headers := 64*int64(unsafe.Sizeof(cell{})) + 2*int64(unsafe.Sizeof(surface.Map{}))
	fresh := p.Bytes()
	if extra := fresh - data - headers; extra < 0 || extra > 1024 {
		t.Errorf("prepared 64² surface holds %d bytes, want %d + %d headers + the Prepared (< 1 KiB)", fresh, data, headers)
	}
	if q.Bytes() != fresh {
		t.Errorf("two prepared surfaces of one shape hold %d and %d bytes", fresh, q.Bytes())
	}

	c, err := NewComparer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := c.Compare(p, q); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	compared := p.Bytes()
	growth := compared - fresh
	// At least the 21 turned 16² coarse copies (−30..30° by 3°) and 64
	// cell spectra of at least the 24² region's half spectrum (complex128).
	turned := int64(len(cfg.thetas())) * 8 * 16 * 16
	spectra := int64(p.UsableCells()) * 16 * 24 * (24/2 + 1)
	if len(cfg.thetas()) != 21 || p.UsableCells() != 64 {
		t.Fatalf("%d grid angles and %d usable cells, the test assumes 21 and 64", len(cfg.thetas()), p.UsableCells())
	}
	if growth < turned+spectra {
		t.Errorf("a comparison added %d bytes, want at least %d turned coarse copies + %d cell spectra", growth, turned, spectra)
	}
	// Everything both Prepareds gained was allocated during the comparison.
	if alloc := int64(after.TotalAlloc - before.TotalAlloc); growth+(q.Bytes()-fresh) > alloc {
		t.Errorf("the Prepareds grew by %d + %d bytes but the comparison allocated only %d", growth, q.Bytes()-fresh, alloc)
	}
	if q.Bytes() != compared {
		t.Errorf("after one Compare in both directions the two hold %d and %d bytes, want equal", compared, q.Bytes())
	}
	// The caches fill once: comparing again adds nothing.
	if _, err := c.Compare(q, p); err != nil {
		t.Fatal(err)
	}
	if p.Bytes() != compared {
		t.Errorf("a second comparison changed the size from %d to %d bytes", compared, p.Bytes())
	}
}

// TestPreparedBytesHeap: Bytes agrees with the heap memory that dropping a
// prepared surface frees, fresh and once compared. The allocator rounds the
// cells' spectra (large objects) up to whole pages: +4 % here.
func TestPreparedBytesHeap(t *testing.T) {
	cfg := DefaultConfig()
	c, err := NewComparer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Prepare("q", texturedMap(256, 2), cfg)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]*Prepared{}
	if _, err := prepareHeld(held, c, q, true); err != nil { // the comparer's own buffers
		t.Fatal(err)
	}
	for _, compare := range []bool{false, true} {
		got, err := prepareHeld(held, c, q, compare)
		if err != nil {
			t.Fatal(err)
		}
		before := heapAlloc()
		delete(held, "p")
		freed := before - heapAlloc()
		d := float64(freed-got) / float64(got)
		t.Logf("compared %v: Bytes %d, dropping it freed %d (%+.1f %%)", compare, got, freed, 100*d)
		if d < -0.02 || d > 0.08 {
			t.Errorf("compared %v: Bytes = %d, but dropping it freed %d bytes (%+.1f %%)", compare, got, freed, 100*d)
		}
	}
	runtime.KeepAlive(q)
}

// prepareHeld prepares a 256² surface into held["p"] (compared with q
// when asked) and returns its Bytes; the Prepared is reachable from held
// only, so deleting it there frees it.
//
//go:noinline
func prepareHeld(held map[string]*Prepared, c *Comparer, q *Prepared, compare bool) (int64, error) {
	p, err := Prepare("p", texturedMap(256, 1), c.cfg)
	if err != nil {
		return 0, err
	}
	if compare {
		if _, err := c.Compare(p, q); err != nil {
			return 0, err
		}
	}
	held["p"] = p
	return p.Bytes(), nil
}

// heapAlloc returns the live heap after a full collection.
func heapAlloc() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
