// Package local stores blobs as files in a folder: the default back end.
//
// Layout: <root>/<h0h1>/<h2h3>/<64 hex digits>, where h0…h3 are the first
// hex digits of the SHA-256, so no directory holds more than a few thousand
// entries even with millions of blobs. Files are read-only (0444).
// <root>/tmp holds uploads in progress.
//
// Durability: Receive writes to a temporary file in <root>/tmp, fsyncs it,
// renames it to its final name and fsyncs the directory, so after a crash a
// blob is either complete under its real name or not there at all. Temporary
// files older than an hour (left by crashed processes) are removed by New.
// Several processes may share one folder.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
)

// staleTemp is the age after which New removes leftover temporary files.
const staleTemp = time.Hour

// Storage is a blob store in a local folder. It is safe for concurrent use.
type Storage struct {
	root string
	tmp  string
}

var (
	_ blob.Storage = (*Storage)(nil)
	_ blob.Remover = (*Storage)(nil)
)

// New opens (creating if needed) a blob folder at root.
func New(root string) (*Storage, error) {
	const op = "local.New"
	if root == "" {
		return nil, errs.Errorf(op, errs.Invalid, "blob folder path is empty")
	}
	s := &Storage{root: root, tmp: filepath.Join(root, "tmp")}
	if err := os.MkdirAll(s.tmp, 0o755); err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("creating blob folder: %w", err))
	}
	s.removeStaleTemps()
	return s, nil
}

// Root returns the folder the blobs live in.
func (s *Storage) Root() string { return s.root }

func (s *Storage) removeStaleTemps() {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			os.Remove(filepath.Join(s.tmp, e.Name()))
		}
	}
}

// path returns the file name of ref.
func (s *Storage) path(ref blob.Ref) string {
	h := ref.Hex()
	return filepath.Join(s.root, h[0:2], h[2:4], h)
}

// Fetch implements blob.Fetcher.
func (s *Storage) Fetch(ctx context.Context, ref blob.Ref) (io.ReadCloser, int64, error) {
	const op = "local.Fetch"
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if ref.IsZero() {
		return nil, 0, blob.NotFound(op, ref)
	}
	f, err := os.Open(s.path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, blob.NotFound(op, ref)
	}
	if err != nil {
		return nil, 0, errs.E(op, errs.Other, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, errs.E(op, errs.Other, err)
	}
	return blob.VerifyReader(f, ref, info.Size()), info.Size(), nil
}

// Stat implements blob.Statter.
func (s *Storage) Stat(ctx context.Context, ref blob.Ref) (int64, error) {
	const op = "local.Stat"
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if ref.IsZero() {
		return 0, blob.NotFound(op, ref)
	}
	info, err := os.Stat(s.path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, blob.NotFound(op, ref)
	}
	if err != nil {
		return 0, errs.E(op, errs.Other, err)
	}
	return info.Size(), nil
}

// Receive implements blob.Receiver.
func (s *Storage) Receive(ctx context.Context, r io.Reader, maxSize int64) (ref blob.Ref, n int64, err error) {
	const op = "local.Receive"
	if err := blob.CheckMaxSize(op, maxSize); err != nil {
		return blob.Ref{}, 0, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Ref{}, 0, err
	}
	f, err := os.CreateTemp(s.tmp, "receive-*")
	if err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, fmt.Errorf("creating temporary file: %w", err))
	}
	published := false
	defer func() {
		if !published {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	hr := blob.NewHashingReader(blob.ContextReader(ctx, r), maxSize)
	if _, err := io.Copy(f, hr); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, fmt.Errorf("receiving blob: %w", err))
	}
	if hr.Exceeded() {
		return blob.Ref{}, 0, blob.TooLarge(op, maxSize)
	}
	ref, n = hr.Ref(), hr.Size()
	if err := f.Chmod(0o444); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, err)
	}
	if err := f.Sync(); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, fmt.Errorf("syncing blob: %w", err))
	}
	if err := f.Close(); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, err)
	}
	final := s.path(ref)
	if info, err := os.Stat(final); err == nil && info.Size() == n {
		return ref, n, nil // already stored; the deferred cleanup drops the copy
	}
	// A stored file of the wrong size is damaged: the rename replaces it
	// (made writable first, which Windows needs to replace a file).
	os.Chmod(final, 0o644)
	if err := mkdirSynced(s.root, filepath.Dir(final)); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Ref{}, 0, err
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, fmt.Errorf("publishing blob: %w", err))
	}
	published = true
	if err := syncDir(filepath.Dir(final)); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, err)
	}
	return ref, n, nil
}

// mkdirSynced creates dir (below root) and fsyncs each parent whose entries
// changed, so a new fan-out directory survives a crash.
func mkdirSynced(root, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != root {
		if err := mkdirSynced(root, parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating blob directory: %w", err)
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be fsynced there; NTFS journals renames
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// Enumerate implements blob.Enumerator.
func (s *Storage) Enumerate(ctx context.Context, after blob.Ref, limit int) ([]blob.SizedRef, error) {
	const op = "local.Enumerate"
	if limit <= 0 {
		limit = blob.DefaultEnumerateLimit
	}
	afterHex := ""
	if !after.IsZero() {
		afterHex = after.Hex()
	}
	var out []blob.SizedRef
	l1, err := hexDirs(s.root, 2)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	for _, d1 := range l1 {
		if afterHex != "" && d1 < afterHex[:2] {
			continue
		}
		l2, err := hexDirs(filepath.Join(s.root, d1), 2)
		if err != nil {
			return nil, errs.E(op, errs.Other, err)
		}
		for _, d2 := range l2 {
			if afterHex != "" && d1+d2 < afterHex[:4] {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			dir := filepath.Join(s.root, d1, d2)
			entries, err := os.ReadDir(dir) // sorted by name
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, errs.E(op, errs.Other, err)
			}
			for _, e := range entries {
				name := e.Name()
				if name <= afterHex || !strings.HasPrefix(name, d1+d2) {
					continue
				}
				ref, err := blob.Parse("sha256-" + name)
				if err != nil || !e.Type().IsRegular() {
					continue // not a blob; ignore stray files
				}
				info, err := e.Info()
				if errors.Is(err, fs.ErrNotExist) {
					continue // removed meanwhile
				}
				if err != nil {
					return nil, errs.E(op, errs.Other, err)
				}
				out = append(out, blob.SizedRef{Ref: ref, Size: info.Size()})
				if len(out) == limit {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

// hexDirs lists the subdirectories of dir whose names are n lowercase hex
// digits, sorted.
func hexDirs(dir string, n int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if name := e.Name(); e.IsDir() && len(name) == n && isLowerHex(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Remove implements blob.Remover.
func (s *Storage) Remove(ctx context.Context, refs ...blob.Ref) error {
	const op = "local.Remove"
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ref.IsZero() {
			continue
		}
		os.Chmod(s.path(ref), 0o644) // Windows refuses to delete read-only files
		if err := os.Remove(s.path(ref)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return errs.E(op, errs.Other, err)
		}
	}
	return nil
}
