// Package memory is a blob.Storage held in a map, for unit tests of other
// packages. It follows the blob contracts exactly (size caps, atomic
// receive, sorted enumeration) but keeps nothing across processes.
// It is safe for concurrent use.
package memory

import (
	"bytes"
	"context"
	"io"
	"sort"
	"sync"

	"github.com/tracemark/tracemark/internal/blob"
)

// Storage is an in-memory blob store. The zero value is not usable; call New.
type Storage struct {
	mu    sync.RWMutex
	blobs map[blob.Ref][]byte
}

var (
	_ blob.Storage = (*Storage)(nil)
	_ blob.Remover = (*Storage)(nil)
)

// New returns an empty storage.
func New() *Storage { return &Storage{blobs: map[blob.Ref][]byte{}} }

// Fetch implements blob.Fetcher.
func (s *Storage) Fetch(ctx context.Context, ref blob.Ref) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.RLock()
	b, ok := s.blobs[ref]
	s.mu.RUnlock()
	if !ok {
		return nil, 0, blob.NotFound("memory.Fetch", ref)
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

// Receive implements blob.Receiver.
func (s *Storage) Receive(ctx context.Context, r io.Reader, maxSize int64) (blob.Ref, int64, error) {
	const op = "memory.Receive"
	if err := blob.CheckMaxSize(op, maxSize); err != nil {
		return blob.Ref{}, 0, err
	}
	hr := blob.NewHashingReader(blob.ContextReader(ctx, r), maxSize)
	b, err := io.ReadAll(hr)
	if err != nil {
		return blob.Ref{}, 0, err
	}
	if hr.Exceeded() {
		return blob.Ref{}, 0, blob.TooLarge(op, maxSize)
	}
	ref := hr.Ref()
	s.mu.Lock()
	if _, ok := s.blobs[ref]; !ok {
		s.blobs[ref] = b
	}
	s.mu.Unlock()
	return ref, int64(len(b)), nil
}

// Stat implements blob.Statter.
func (s *Storage) Stat(ctx context.Context, ref blob.Ref) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	b, ok := s.blobs[ref]
	s.mu.RUnlock()
	if !ok {
		return 0, blob.NotFound("memory.Stat", ref)
	}
	return int64(len(b)), nil
}

// Enumerate implements blob.Enumerator.
func (s *Storage) Enumerate(ctx context.Context, after blob.Ref, limit int) ([]blob.SizedRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = blob.DefaultEnumerateLimit
	}
	s.mu.RLock()
	var all []blob.SizedRef
	for ref, b := range s.blobs {
		if after.Less(ref) {
			all = append(all, blob.SizedRef{Ref: ref, Size: int64(len(b))})
		}
	}
	s.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Ref.Less(all[j].Ref) })
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// Remove implements blob.Remover.
func (s *Storage) Remove(ctx context.Context, refs ...blob.Ref) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ref := range refs {
		delete(s.blobs, ref)
	}
	return nil
}
