// Package blobtest is the conformance suite for blob.Storage back ends.
//
// Every back end runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Test(t, func(t *testing.T) blob.Storage { return newEmptyStorage(t) })
//	}
//
// newStorage must return an empty storage each time it is called; the suite
// calls it once per subtest and never closes what it gets (use t.Cleanup).
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
)

// Test runs the whole suite.
func Test(t *testing.T, newStorage func(t *testing.T) blob.Storage) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStorage(t)) })
	t.Run("ReceiveTwiceStoresOnce", func(t *testing.T) { testReceiveTwice(t, newStorage(t)) })
	t.Run("TooLarge", func(t *testing.T) { testTooLarge(t, newStorage(t)) })
	t.Run("NegativeMaxSize", func(t *testing.T) { testNegativeMax(t, newStorage(t)) })
	t.Run("ReaderFailsMidway", func(t *testing.T) { testReaderFails(t, newStorage(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, newStorage(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStorage(t)) })
	t.Run("EnumeratePages", func(t *testing.T) { testEnumerate(t, newStorage(t)) })
	t.Run("ConcurrentReceive", func(t *testing.T) { testConcurrent(t, newStorage(t)) })
	t.Run("Remove", func(t *testing.T) { testRemove(t, newStorage(t)) })
}

// content returns n deterministic pseudo-random bytes for seed.
func content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func receive(t *testing.T, s blob.Storage, b []byte) blob.Ref {
	t.Helper()
	ref, n, err := s.Receive(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Receive(%d bytes): %v", len(b), err)
	}
	if want := blob.RefOf(b); ref != want || n != int64(len(b)) {
		t.Fatalf("Receive(%d bytes) = %s, %d; want %s, %d", len(b), ref, n, want, len(b))
	}
	return ref
}

func fetch(t *testing.T, s blob.Storage, ref blob.Ref) []byte {
	t.Helper()
	rc, size, err := s.Fetch(context.Background(), ref)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", ref, err)
	}
	if int64(len(b)) != size {
		t.Fatalf("Fetch(%s) announced %d bytes, delivered %d", ref, size, len(b))
	}
	return b
}

func enumerateAll(t *testing.T, s blob.Storage, limit int) []blob.SizedRef {
	t.Helper()
	var all []blob.SizedRef
	var after blob.Ref
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("Enumerate does not terminate")
		}
		page, err := s.Enumerate(context.Background(), after, limit)
		if err != nil {
			t.Fatalf("Enumerate(after %q, %d): %v", after, limit, err)
		}
		if len(page) > limit {
			t.Fatalf("Enumerate(limit %d) returned %d", limit, len(page))
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Ref
	}
}

func wantEmpty(t *testing.T, s blob.Storage, why string) {
	t.Helper()
	if got := enumerateAll(t, s, 100); len(got) != 0 {
		t.Errorf("%s: storage holds %v, want nothing", why, got)
	}
}

func wantKind(t *testing.T, err error, kind errs.Kind, sentinel error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kind)
	}
	if errs.KindOf(err) != kind {
		t.Errorf("%s: error %q has kind %v, want %v", what, err, errs.KindOf(err), kind)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("%s: error %q does not wrap %q", what, err, sentinel)
	}
}

func testRoundTrip(t *testing.T, s blob.Storage) {
	for i, n := range []int{0, 1, 1000, 1<<20 + 3} {
		b := content(uint64(i), n)
		ref := receive(t, s, b)
		if got := fetch(t, s, ref); !bytes.Equal(got, b) {
			t.Errorf("%d bytes: fetched content differs", n)
		}
		size, err := s.Stat(context.Background(), ref)
		if err != nil || size != int64(n) {
			t.Errorf("Stat(%s) = %d, %v; want %d", ref, size, err, n)
		}
		got, err := blob.ReadAll(context.Background(), s, ref)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("ReadAll(%s): %v", ref, err)
		}
	}
}

func testReceiveTwice(t *testing.T, s blob.Storage) {
	b := content(1, 5000)
	r1 := receive(t, s, b)
	r2 := receive(t, s, b)
	if r1 != r2 {
		t.Fatalf("same content, different refs %s and %s", r1, r2)
	}
	all := enumerateAll(t, s, 10)
	if len(all) != 1 || all[0].Ref != r1 || all[0].Size != 5000 {
		t.Errorf("after receiving one content twice the storage holds %v", all)
	}
}

func testTooLarge(t *testing.T, s blob.Storage) {
	b := content(2, 4097)
	_, _, err := s.Receive(context.Background(), bytes.NewReader(b), 4096)
	wantKind(t, err, errs.TooLarge, blob.ErrTooLarge, "Receive of 4097 bytes with max 4096")
	if _, err := s.Stat(context.Background(), blob.RefOf(b)); !errs.Is(errs.NotFound, err) {
		t.Errorf("oversized content is stored: Stat = %v", err)
	}
	wantEmpty(t, s, "after an oversized Receive")
	// Exactly at the limit is fine.
	ref, n, err := s.Receive(context.Background(), bytes.NewReader(b[:4096]), 4096)
	if err != nil || n != 4096 || ref != blob.RefOf(b[:4096]) {
		t.Errorf("Receive of exactly maxSize bytes = %s, %d, %v", ref, n, err)
	}
}

func testNegativeMax(t *testing.T, s blob.Storage) {
	_, _, err := s.Receive(context.Background(), bytes.NewReader([]byte("x")), -1)
	wantKind(t, err, errs.Invalid, nil, "Receive with maxSize -1")
	wantEmpty(t, s, "after a refused Receive")
}

// failingReader yields n good bytes and then an error.
type failingReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func testReaderFails(t *testing.T, s blob.Storage) {
	boom := errors.New("upload connection reset")
	b := content(3, 100000)
	_, _, err := s.Receive(context.Background(), &failingReader{r: bytes.NewReader(b), n: 60000, err: boom}, 1<<20)
	if !errors.Is(err, boom) {
		t.Errorf("Receive from a failing reader: error %v does not wrap the reader's error", err)
	}
	wantEmpty(t, s, "after a Receive whose reader failed")
}

// cancellingReader cancels its context after the first read.
type cancellingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.cancel()
	return n, err
}

func testCancelled(t *testing.T, s blob.Storage) {
	b := content(4, 300000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Receive(ctx, bytes.NewReader(b), 1<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a cancelled context: %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r := &cancellingReader{r: bytes.NewReader(b), cancel: cancel}
	if _, _, err := s.Receive(ctx, r, 1<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive cancelled midway: %v, want context.Canceled", err)
	}
	wantEmpty(t, s, "after cancelled Receives")
	ref := receive(t, s, b)
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if rc, _, err := s.Fetch(ctx, ref); err == nil {
		rc.Close()
		t.Error("Fetch with a cancelled context succeeded")
	}
}

func testNotFound(t *testing.T, s blob.Storage) {
	missing := blob.RefOf([]byte("never stored"))
	_, _, err := s.Fetch(context.Background(), missing)
	wantKind(t, err, errs.NotFound, blob.ErrNotFound, "Fetch of a missing blob")
	_, err = s.Stat(context.Background(), missing)
	wantKind(t, err, errs.NotFound, blob.ErrNotFound, "Stat of a missing blob")
	_, _, err = s.Fetch(context.Background(), blob.Ref{})
	if err == nil {
		t.Error("Fetch of the zero Ref succeeded")
	}
}

func testEnumerate(t *testing.T, s blob.Storage) {
	want := map[blob.Ref]int64{}
	for i := range 25 {
		b := content(uint64(100+i), 10+i)
		want[receive(t, s, b)] = int64(len(b))
	}
	for _, limit := range []int{1, 7, 25, 100} {
		all := enumerateAll(t, s, limit)
		if len(all) != len(want) {
			t.Fatalf("limit %d: enumerated %d blobs, want %d", limit, len(all), len(want))
		}
		if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Ref.Less(all[j].Ref) }) {
			t.Errorf("limit %d: not in ascending order", limit)
		}
		for i, sr := range all {
			if want[sr.Ref] != sr.Size {
				t.Errorf("limit %d: %v has size %d, want %d", limit, sr.Ref, sr.Size, want[sr.Ref])
			}
			if i > 0 && sr.Ref == all[i-1].Ref {
				t.Errorf("limit %d: %v listed twice", limit, sr.Ref)
			}
		}
	}
	all := enumerateAll(t, s, 100)
	// A cursor that is not itself stored still resumes in order.
	mid := all[12].Ref.Digest()
	mid[31]++
	cursor := blob.Ref{}
	if err := cursor.UnmarshalText([]byte("sha256-" + fmt.Sprintf("%x", mid))); err != nil {
		t.Fatal(err)
	}
	page, err := s.Enumerate(context.Background(), cursor, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, sr := range page {
		if !cursor.Less(sr.Ref) {
			t.Errorf("Enumerate after %s returned %s", cursor, sr.Ref)
		}
	}
	if len(page) < 12 || len(page) > 13 {
		t.Errorf("Enumerate after an unstored cursor returned %d blobs, want 12 or 13", len(page))
	}
	page, err = s.Enumerate(context.Background(), all[len(all)-1].Ref, 10)
	if err != nil || len(page) != 0 {
		t.Errorf("Enumerate after the last blob = %v, %v; want nothing", page, err)
	}
	page, err = s.Enumerate(context.Background(), blob.Ref{}, 0)
	if err != nil || len(page) != len(want) {
		t.Errorf("Enumerate with limit 0 (default) returned %d, %v", len(page), err)
	}
}

func testConcurrent(t *testing.T, s blob.Storage) {
	same := content(5, 200000)
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := same
			if i%2 == 1 {
				b = content(uint64(1000+i), 50000)
			}
			ref, _, err := s.Receive(context.Background(), bytes.NewReader(b), int64(len(b)))
			if err == nil && ref != blob.RefOf(b) {
				err = fmt.Errorf("goroutine %d got ref %s", i, ref)
			}
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	all := enumerateAll(t, s, 5)
	if len(all) != 9 {
		t.Errorf("8 distinct and 8 identical receives left %d blobs, want 9", len(all))
	}
	for _, sr := range all {
		got := fetch(t, s, sr.Ref)
		if blob.RefOf(got) != sr.Ref {
			t.Errorf("%s holds content hashing to %s", sr.Ref, blob.RefOf(got))
		}
	}
}

func testRemove(t *testing.T, s blob.Storage) {
	rm, ok := s.(blob.Remover)
	if !ok {
		t.Skip("back end has no Remover")
	}
	a, b := receive(t, s, content(6, 10)), receive(t, s, content(7, 10))
	if err := rm.Remove(context.Background(), a, blob.RefOf([]byte("absent"))); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := s.Stat(context.Background(), a); !errs.Is(errs.NotFound, err) {
		t.Errorf("removed blob still there: Stat = %v", err)
	}
	if _, err := s.Stat(context.Background(), b); err != nil {
		t.Errorf("Remove took another blob with it: %v", err)
	}
	if err := rm.Remove(context.Background(), a); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}
