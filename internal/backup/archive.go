package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/tracemark/tracemark/internal/errs"
)

// Limits bound what a reader accepts from an archive, checked before
// anything is allocated or written. Zero fields take the defaults.
type Limits struct {
	MaxEntries       int   // entries in the archive (default 5 000 000)
	MaxEntryBytes    int64 // one entry (default 1 TiB)
	MaxTotalBytes    int64 // all entries together, uncompressed (default 16 TiB)
	MaxManifestBytes int64 // manifest.json (default 1 GiB)
}

// maxKeyFileBytes bounds one keys/ entry (and the data-folder files backed up).
const maxKeyFileBytes = 1 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 5_000_000
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = 1 << 40
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 16 << 40
	}
	if l.MaxManifestBytes <= 0 {
		l.MaxManifestBytes = 1 << 30
	}
	return l
}

// Compression of an archive.
type Compression string

// Compressions. Readers detect them by their magic bytes.
const (
	None Compression = "none"
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

// CompressionFor picks the compression from an archive file name:
// .gz/.tgz gzip, .zst zstd, anything else none.
func CompressionFor(name string) Compression {
	switch {
	case strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".tgz"):
		return Gzip
	case strings.HasSuffix(name, ".zst") || strings.HasSuffix(name, ".zstd"):
		return Zstd
	}
	return None
}

// archiveWriter writes entries to a tar stream and remembers their hashes.
type archiveWriter struct {
	tw      *tar.Writer
	comp    io.WriteCloser // nil: uncompressed
	now     time.Time
	entries []Entry
}

func newArchiveWriter(w io.Writer, c Compression, now time.Time) (*archiveWriter, error) {
	a := &archiveWriter{now: now}
	switch c {
	case None, "":
	case Gzip:
		a.comp = gzip.NewWriter(w)
	case Zstd:
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		a.comp = zw
	default:
		return nil, errs.Errorf("backup.Create", errs.Invalid, "compression %q: want none, gzip or zstd", c)
	}
	if a.comp != nil {
		w = a.comp
	}
	a.tw = tar.NewWriter(w)
	return a, nil
}

// add writes one entry of exactly size bytes read from r and records its
// hash (listed in the manifest unless listed is false).
func (a *archiveWriter) add(ctx context.Context, name string, size int64, r io.Reader, listed bool) (Entry, error) {
	mode := int64(0o644)
	if strings.HasPrefix(name, keysDir) {
		mode = 0o600
	}
	if err := a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: mode, ModTime: a.now, Format: tar.FormatPAX}); err != nil {
		return Entry{}, fmt.Errorf("writing the archive entry %s: %w", name, err)
	}
	h := sha256.New()
	// Reading one byte past size reaches EOF, where blob readers check
	// the content against its ref.
	n, err := io.Copy(io.MultiWriter(a.tw, h), contextReader{ctx, io.LimitReader(r, size+1)})
	if err != nil {
		return Entry{}, fmt.Errorf("copying %s into the archive: %w", name, err)
	}
	if n != size {
		return Entry{}, fmt.Errorf("copying %s into the archive: got %d bytes, expected %d (the file changed during the backup?)", name, n, size)
	}
	e := Entry{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}
	if listed {
		a.entries = append(a.entries, e)
	}
	return e, nil
}

func (a *archiveWriter) close() error {
	err := a.tw.Close()
	if a.comp != nil {
		err = errors.Join(err, a.comp.Close())
	}
	return err
}

type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// walk reads an archive from r and calls fn for each entry in order with
// its validated name and kind and a reader of exactly its declared size;
// fn need not read it all. walk enforces lim, refuses non-regular and
// duplicate entries and names outside the layout, and returns the hash of
// every entry's full content.
func walk(ctx context.Context, r io.Reader, lim Limits, fn func(name string, kind Kind, size int64, body io.Reader) error) (map[string]Entry, error) {
	const op = "backup.read"
	body, closeFn, err := decompress(r)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	tr := tar.NewReader(body)
	seen := map[string]Entry{}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return seen, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return seen, errs.Errorf(op, errs.Invalid, "the archive is damaged or not a tracemark backup (entry %d): %v", len(seen)+1, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			return seen, errs.Errorf(op, errs.Invalid, "archive entry %q is not a regular file (tar type %q): backups hold files only", clip(hdr.Name), hdr.Typeflag)
		}
		kind, err := classify(hdr.Name)
		if err != nil {
			return seen, err
		}
		if _, dup := seen[hdr.Name]; dup {
			return seen, errs.Errorf(op, errs.Invalid, "archive entry %s appears twice", hdr.Name)
		}
		if len(seen) >= lim.MaxEntries+2 { // + manifest and signature
			return seen, errs.Errorf(op, errs.TooLarge, "the archive has more than %d entries", lim.MaxEntries)
		}
		switch {
		case hdr.Size < 0 || hdr.Size > lim.MaxEntryBytes:
			return seen, errs.Errorf(op, errs.TooLarge, "archive entry %s declares %d bytes; the limit is %d", hdr.Name, hdr.Size, lim.MaxEntryBytes)
		case kind == KindManifest && hdr.Size > lim.MaxManifestBytes:
			return seen, errs.Errorf(op, errs.TooLarge, "manifest.json is %d bytes; the limit is %d", hdr.Size, lim.MaxManifestBytes)
		case (kind == KindKey || kind == KindSignature) && hdr.Size > maxKeyFileBytes:
			return seen, errs.Errorf(op, errs.TooLarge, "archive entry %s is %d bytes; the limit is %d", hdr.Name, hdr.Size, maxKeyFileBytes)
		}
		if total += hdr.Size; total > lim.MaxTotalBytes {
			return seen, errs.Errorf(op, errs.TooLarge, "the archive holds more than %d bytes", lim.MaxTotalBytes)
		}
		h := sha256.New()
		hr := &hashingReader{r: contextReader{ctx, tr}, h: h}
		if err := fn(hdr.Name, kind, hdr.Size, hr); err != nil {
			return seen, err
		}
		if _, err := io.Copy(io.Discard, hr); err != nil { // hash what fn left unread
			return seen, errs.Errorf(op, errs.Invalid, "reading archive entry %s: %v", hdr.Name, err)
		}
		if hr.n != hdr.Size {
			return seen, errs.Errorf(op, errs.Invalid, "archive entry %s is cut short: %d of %d bytes", hdr.Name, hr.n, hdr.Size)
		}
		seen[hdr.Name] = Entry{Name: hdr.Name, Size: hr.n, SHA256: hex.EncodeToString(h.Sum(nil))}
	}
	return seen, nil
}

type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// decompress detects gzip and zstd by their magic bytes.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, errs.Errorf("backup.read", errs.Invalid, "the archive's gzip header is damaged: %v", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20))
		if err != nil {
			return nil, nil, errs.Errorf("backup.read", errs.Invalid, "the archive's zstd header is damaged: %v", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}
