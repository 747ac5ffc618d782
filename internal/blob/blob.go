package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/tracemark/tracemark/internal/errs"
)

// Sentinel causes, matched with errors.Is. Errors returned by back ends wrap
// them in an *errs.Error of the kind noted.
var (
	ErrNotFound = errors.New("blob not found")                        // errs.NotFound
	ErrTooLarge = errors.New("blob larger than the allowed maximum")  // errs.TooLarge
	ErrCorrupt  = errors.New("stored blob does not match its digest") // errs.Internal
)

// Fetcher reads blobs.
type Fetcher interface {
	// Fetch returns the content of ref and its size in bytes. The caller
	// must close the reader. The reader fails with ErrCorrupt at the end if
	// the stored bytes do not hash to ref. A missing blob gives ErrNotFound
	// (kind errs.NotFound).
	Fetch(ctx context.Context, ref Ref) (io.ReadCloser, int64, error)
}

// Receiver stores blobs.
type Receiver interface {
	// Receive reads r to EOF and stores the content under its Ref, which it
	// returns with the size. Content longer than maxSize bytes is refused
	// with ErrTooLarge (kind errs.TooLarge); a negative maxSize is invalid.
	// On any error nothing is stored. Receiving content already stored
	// returns its Ref and stores nothing new.
	Receive(ctx context.Context, r io.Reader, maxSize int64) (Ref, int64, error)
}

// Statter reports whether a blob is stored.
type Statter interface {
	// Stat returns the size of ref, or ErrNotFound (kind errs.NotFound).
	Stat(ctx context.Context, ref Ref) (int64, error)
}

// Enumerator lists stored blobs.
type Enumerator interface {
	// Enumerate returns up to limit blobs whose Refs sort strictly after
	// `after` (the zero Ref starts at the beginning), in ascending order.
	// A limit ≤ 0 means DefaultEnumerateLimit. Fewer than limit results,
	// including none, mean the end was reached.
	Enumerate(ctx context.Context, after Ref, limit int) ([]SizedRef, error)
}

// Remover deletes blobs. It is optional: find it by type assertion.
type Remover interface {
	// Remove deletes the given blobs; missing ones are ignored.
	Remove(ctx context.Context, refs ...Ref) error
}

// Storage is what a blob back end provides.
type Storage interface {
	Fetcher
	Receiver
	Statter
	Enumerator
}

// DefaultEnumerateLimit is used when Enumerate is called with limit ≤ 0.
const DefaultEnumerateLimit = 1000

// CheckMaxSize returns the error Receive implementations give for a negative
// maxSize.
func CheckMaxSize(op string, maxSize int64) error {
	if maxSize < 0 {
		return errs.Errorf(op, errs.Invalid, "maximum blob size %d is negative", maxSize)
	}
	return nil
}

// TooLarge returns the error for content longer than maxSize.
func TooLarge(op string, maxSize int64) error {
	return errs.E(op, errs.TooLarge, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxSize))
}

// NotFound returns the error for a missing blob.
func NotFound(op string, ref Ref) error {
	return errs.E(op, errs.NotFound, fmt.Errorf("%w: %s", ErrNotFound, ref))
}

// HashingReader reads at most max bytes from r while hashing them.
// After reading to EOF, Exceeded reports whether r had more than max bytes.
type HashingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	left int64 // bytes still allowed, plus one to detect overflow
}

// NewHashingReader returns a reader over r that hashes what it reads and
// stops after max+1 bytes (so the caller can tell that max was exceeded).
func NewHashingReader(r io.Reader, max int64) *HashingReader {
	return &HashingReader{r: r, h: sha256.New(), left: max + 1}
}

func (hr *HashingReader) Read(p []byte) (int, error) {
	if hr.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > hr.left {
		p = p[:hr.left]
	}
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	hr.left -= int64(n)
	return n, err
}

// Exceeded reports whether more than max bytes were read.
func (hr *HashingReader) Exceeded() bool { return hr.left <= 0 }

// Size is the number of bytes read so far.
func (hr *HashingReader) Size() int64 { return hr.n }

// Ref is the Ref of the bytes read so far.
func (hr *HashingReader) Ref() Ref { return RefFromHash(hr.h) }

// VerifyReader wraps rc, the stored content of ref with the given size, so
// that reading it to the end fails with ErrCorrupt when the bytes do not
// hash to ref or their count is not size.
func VerifyReader(rc io.ReadCloser, ref Ref, size int64) io.ReadCloser {
	return &verifyingReader{rc: rc, ref: ref, size: size, h: sha256.New()}
}

type verifyingReader struct {
	rc   io.ReadCloser
	ref  Ref
	size int64
	n    int64
	h    hash.Hash
	err  error // sticky
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		if got := RefFromHash(v.h); got != v.ref || v.n != v.size {
			err = errs.E("blob.Fetch", errs.Internal, fmt.Errorf("%w: %s: read %d bytes hashing to %s, want %d bytes", ErrCorrupt, v.ref, v.n, got, v.size))
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

// ReadAll fetches ref from f and returns its whole content, verified.
func ReadAll(ctx context.Context, f Fetcher, ref Ref) ([]byte, error) {
	rc, size, err := f.Fetch(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(size))
	if _, err := io.Copy(&buf, rc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ContextReader returns a reader that fails with ctx's error once ctx is
// done, checked before every Read, so that long copies stop on cancellation.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
