package backup

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Node is what Create backs up.
type Node struct {
	Store *store.Store
	Blobs blob.Fetcher
	// DataDir holds the key files copied into keys/ ("" : none).
	DataDir string
	// SigningKey is the node's audit key (audit.KeyFile): Create signs an
	// audit checkpoint before the snapshot and signs the manifest. nil:
	// neither.
	SigningKey ed25519.PrivateKey
}

// Options configure Create.
type Options struct {
	Compression Compression
	Version     string // tracemark version recorded in the manifest
	Hostname    string
	TempDir     string // for the database snapshot ("" : the system's)
	Now         func() time.Time
	Log         *slog.Logger
}

// Create writes a consistent backup of n to w while the node keeps
// running, and returns its manifest. See the package doc for what is
// copied and in which order.
func Create(ctx context.Context, w io.Writer, n Node, opt Options) (Manifest, error) {
	const op = "backup.Create"
	if n.Store == nil || n.Blobs == nil {
		return Manifest{}, errs.Errorf(op, errs.Invalid, "backup needs the node's store and blob store")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if n.SigningKey != nil {
		// A checkpoint covers the chain up to now; the signed manifest
		// records the snapshot's head and so covers what is appended
		// in between.
		if seq, err := audit.New(n.Store, n.SigningKey).Checkpoint(ctx); err != nil {
			opt.Log.WarnContext(ctx, "backup: signing an audit checkpoint failed; entries after the last one are protected by the chain only", "err", err)
		} else if seq > 0 {
			opt.Log.InfoContext(ctx, "backup: audit checkpoint signed", "seq", seq)
		}
	}
	tmp, err := os.MkdirTemp(opt.TempDir, "tracemark-backup-*")
	if err != nil {
		return Manifest{}, errs.E(op, errs.Other, fmt.Errorf("creating a temporary folder for the database snapshot: %w", err))
	}
	defer os.RemoveAll(tmp)
	info, err := n.Store.Snapshot(ctx, tmp)
	if err != nil {
		return Manifest{}, errs.E(op, errs.Other, fmt.Errorf("snapshotting the database: %w", err))
	}
	opt.Log.InfoContext(ctx, "backup: database snapshot taken", "dialect", info.Dialect, "schema", info.SchemaVersion,
		"tables", len(info.Tables), "blobs_referenced", len(info.Refs), "audit_head", info.Audit.Seq)
	m := Manifest{Format: Format, Version: opt.Version, SchemaVersion: info.SchemaVersion, Dialect: string(info.Dialect),
		CreatedAt: opt.Now().UTC().Truncate(time.Microsecond), Tables: info.Tables,
		Audit:  AuditHead{LastSeq: info.Audit.Seq, LastHash: info.Audit.Hash, Checkpoints: info.AuditCheckpoints},
		Source: Source{Hostname: opt.Hostname}}
	if n.DataDir != "" {
		if abs, err := filepath.Abs(n.DataDir); err == nil {
			m.Source.DataDir = abs
		}
	}
	if n.SigningKey != nil {
		m.Source.AuditPublicKey = hex.EncodeToString(n.SigningKey.Public().(ed25519.PublicKey))
	}
	aw, err := newArchiveWriter(w, opt.Compression, m.CreatedAt)
	if err != nil {
		return m, err
	}
	if err := writeDatabase(ctx, aw, tmp, info); err != nil {
		return m, errs.E(op, errs.Other, err)
	}
	if m.MissingBlobs, err = writeBlobs(ctx, aw, n.Blobs, info.Refs); err != nil {
		return m, errs.E(op, errs.Other, err)
	}
	if len(m.MissingBlobs) > 0 {
		opt.Log.WarnContext(ctx, "backup: the database names blobs the blob store does not hold; they are listed in the manifest",
			"missing", len(m.MissingBlobs), "first", m.MissingBlobs[0])
	}
	if n.DataDir != "" {
		if err := writeKeys(ctx, aw, n.DataDir, opt.Log); err != nil {
			return m, errs.E(op, errs.Other, err)
		}
	}
	m.Entries = aw.entries
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, errs.E(op, errs.Internal, err)
	}
	if _, err := aw.add(ctx, ManifestName, int64(len(body)), bytes.NewReader(body), false); err != nil {
		return m, errs.E(op, errs.Other, err)
	}
	if n.SigningKey != nil {
		sig := []byte(hex.EncodeToString(ed25519.Sign(n.SigningKey, body)) + "\n")
		if _, err := aw.add(ctx, SignatureName, int64(len(sig)), bytes.NewReader(sig), false); err != nil {
			return m, errs.E(op, errs.Other, err)
		}
	}
	if err := aw.close(); err != nil {
		return m, errs.E(op, errs.Other, fmt.Errorf("finishing the archive: %w", err))
	}
	return m, nil
}

func writeDatabase(ctx context.Context, aw *archiveWriter, dir string, info store.SnapshotInfo) error {
	if info.Dialect == store.SQLite {
		return addFile(ctx, aw, SQLiteName, filepath.Join(dir, store.SnapshotSQLiteFile))
	}
	for _, t := range info.Tables {
		if err := addFile(ctx, aw, postgresDir+t.Name+store.SnapshotTableExt, filepath.Join(dir, t.Name+store.SnapshotTableExt)); err != nil {
			return err
		}
	}
	return nil
}

func addFile(ctx context.Context, aw *archiveWriter, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = aw.add(ctx, name, st.Size(), f, true)
	return err
}

// Blobs up to prefetchMaxBytes are read ahead by prefetchWorkers
// goroutines, so S3 round trips overlap while the archive is written in
// ref order; larger blobs are streamed when their turn comes. At most
// about (prefetchWorkers+2)·prefetchMaxBytes are held in memory.
const (
	prefetchWorkers  = 4
	prefetchMaxBytes = 8 << 20
)

// fetched is one blob read ahead: its bytes, or stream (too large to
// hold: fetch it when writing), or missing, or a failure.
type fetched struct {
	ref     blob.Ref
	data    []byte
	stream  bool
	missing bool
	err     error
}

func prefetch(ctx context.Context, f blob.Fetcher, ref blob.Ref) fetched {
	rc, size, err := f.Fetch(ctx, ref)
	switch {
	case errs.Is(errs.NotFound, err):
		return fetched{ref: ref, missing: true}
	case err != nil:
		return fetched{ref: ref, err: fmt.Errorf("reading blob %s: %w", ref, err)}
	}
	defer rc.Close()
	if size > prefetchMaxBytes {
		return fetched{ref: ref, stream: true}
	}
	// Reading to EOF makes the back end check the content against ref.
	data, err := io.ReadAll(io.LimitReader(rc, size+1))
	if err == nil && int64(len(data)) != size {
		err = fmt.Errorf("read %d bytes, the store says %d", len(data), size)
	}
	if err != nil {
		return fetched{ref: ref, err: fmt.Errorf("reading blob %s: %w", ref, err)}
	}
	return fetched{ref: ref, data: data}
}

// writeBlobs copies every ref (verified by the back end while read) in
// order and returns the refs the store does not hold.
func writeBlobs(ctx context.Context, aw *archiveWriter, f blob.Fetcher, refs []blob.Ref) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := make(chan chan fetched, prefetchWorkers)
	go func() {
		defer close(order)
		sem := make(chan struct{}, prefetchWorkers)
		for _, ref := range refs {
			ch := make(chan fetched, 1)
			select {
			case order <- ch:
			case <-ctx.Done():
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				ch <- fetched{ref: ref, err: ctx.Err()}
				return
			}
			go func() {
				defer func() { <-sem }()
				ch <- prefetch(ctx, f, ref)
			}()
		}
	}()
	var missing []string
	for ch := range order {
		b := <-ch
		switch {
		case b.err != nil:
			return missing, b.err
		case b.missing:
			missing = append(missing, b.ref.String())
		case b.stream:
			if err := streamBlob(ctx, aw, f, b.ref); err != nil {
				return missing, err
			}
		default:
			if _, err := aw.add(ctx, blobsDir+b.ref.String(), int64(len(b.data)), bytes.NewReader(b.data), true); err != nil {
				return missing, fmt.Errorf("blob %s: %w", b.ref, err)
			}
		}
	}
	return missing, ctx.Err()
}

func streamBlob(ctx context.Context, aw *archiveWriter, f blob.Fetcher, ref blob.Ref) error {
	rc, size, err := f.Fetch(ctx, ref)
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", ref, err)
	}
	defer rc.Close()
	if _, err := aw.add(ctx, blobsDir+ref.String(), size, rc, true); err != nil {
		return fmt.Errorf("blob %s: %w", ref, err)
	}
	return nil
}

// isDatabaseFile tells the SQLite files of a data folder, which the
// snapshot covers, from the key and identity files copied as they are.
func isDatabaseFile(name string) bool {
	for _, suffix := range []string{".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", "-wal", "-shm", "-journal"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// skipFolders are data-folder subfolders that are not key material: the
// blobs (copied by reference) and the job queue (rebuilt at start).
var skipFolders = map[string]bool{"blobs": true, "nats": true}

// maxKeyFiles bounds how many data-folder files a backup copies.
const maxKeyFiles = 1000

// writeKeys copies the regular files at the top of the data folder and in
// its subfolders one level down (audit signing key, node identity, TLS
// certificate and key, …), except the database files and the blobs/ and
// nats/ folders. Files over maxKeyFileBytes are skipped with a warning.
func writeKeys(ctx context.Context, aw *archiveWriter, dir string, log *slog.Logger) error {
	var files []string
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		log.WarnContext(ctx, "backup: no data folder, so no key files copied", "folder", dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing the data folder %s: %w", dir, err)
	}
	for _, de := range des {
		switch name := de.Name(); {
		case de.Type().IsRegular() && !isDatabaseFile(name) && keyName.MatchString(name):
			files = append(files, name)
		case de.IsDir() && !skipFolders[name] && keyName.MatchString(name):
			sub, err := os.ReadDir(filepath.Join(dir, name))
			if err != nil {
				return fmt.Errorf("listing the data folder %s: %w", name, err)
			}
			for _, f := range sub {
				if f.Type().IsRegular() && keyName.MatchString(f.Name()) {
					files = append(files, name+"/"+f.Name())
				}
			}
		}
	}
	slices.Sort(files)
	if len(files) > maxKeyFiles {
		return fmt.Errorf("the data folder %s holds %d files outside blobs/ and nats/; a backup copies at most %d: move the others out", dir, len(files), maxKeyFiles)
	}
	for _, name := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.Size() > maxKeyFileBytes {
			log.WarnContext(ctx, "backup: data-folder file too large for keys/, not copied", "file", name, "bytes", info.Size())
			continue
		}
		if err := addFile(ctx, aw, keysDir+name, path); err != nil {
			return fmt.Errorf("copying %s from the data folder: %w", name, err)
		}
	}
	return nil
}
