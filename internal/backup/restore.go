package backup

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Target is where Restore puts a backup.
type Target struct {
	// DataDir is the new data folder (required). The SQLite database is
	// restored as DataDir/tracemark.db, the key files into it, and the
	// blobs into DataDir/blobs unless Blobs is set.
	DataDir string
	// DBURL is the PostgreSQL database (postgres://…) a PostgreSQL backup
	// is loaded into; its current schema must be empty unless Force. Empty
	// for SQLite.
	DBURL string
	// Blobs is the blob store to fill instead of DataDir/blobs (S3 or
	// another folder). Blobs are content-addressed, so adding them to a
	// store in use changes nothing for its other users.
	Blobs blob.Storage
	// Force restores over a non-empty DataDir: the old folder is renamed
	// aside (DataDir.replaced-<time>), never deleted, and only once the
	// new one is complete. A PostgreSQL backup is then loaded into a new
	// schema beside the current one and, once checked, the two are
	// swapped in one transaction (the old: <schema>_replaced_<time>).
	Force bool
}

// RestoreOptions configure Restore.
type RestoreOptions struct {
	Limits  Limits
	Trusted []ed25519.PublicKey // see VerifyOptions
	Now     func() time.Time
	Log     *slog.Logger
}

// Restored reports a restore.
type Restored struct {
	Verified
	SchemaBefore, SchemaAfter int64 // the backup's schema version, and after migrating forward
	Blobs                     int
	BlobBytes                 int64
	Keys                      []string
	// Audit is the verification of the restored audit log, checked
	// against the restored node's public key when the backup holds it.
	Audit audit.Report
	// AuditHeadMatches: the restored log ends at the entry the manifest
	// recorded.
	AuditHeadMatches bool
	// Replaced is where the previous data folder went (Force), or "".
	Replaced string
	// ReplacedSchema is where the previous PostgreSQL schema went (Force), or "".
	ReplacedSchema string
}

// Restore checks the archive at path completely, then restores it into t;
// see the package doc. A broken audit chain is reported in Restored.Audit
// (the data is restored all the same: the archive is what the source
// held); the caller decides how loudly to fail. On any error the target
// folder is as it was and the staging folder is removed; blobs already
// received stay in an external blob store (content-addressed, harmless),
// and a PostgreSQL target may be left loaded: drop its tables (or use a
// new database) before trying again.
func Restore(ctx context.Context, path string, t Target, opt RestoreOptions) (Restored, error) {
	const op = "backup.Restore"
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	var res Restored
	if t.DataDir == "" {
		return res, errs.Errorf(op, errs.Invalid, "restore needs a data folder (--data NEWDIR)")
	}
	v, err := verifyFile(ctx, path, VerifyOptions{Limits: opt.Limits, Trusted: opt.Trusted})
	if err != nil {
		return res, err
	}
	res.Verified = v
	m := v.Manifest
	opt.Log.InfoContext(ctx, "restore: archive verified", "entries", len(m.Entries), "bytes", v.Bytes, "signed", v.Signed)
	replaceDB, err := checkTarget(ctx, m, t)
	if err != nil {
		return res, err
	}
	stamp := strings.ToLower(opt.Now().UTC().Format("20060102T150405Z"))
	abs, err := filepath.Abs(t.DataDir)
	if err != nil {
		return res, errs.E(op, errs.Invalid, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return res, errs.E(op, errs.Other, fmt.Errorf("creating the parent of %s: %w", abs, err))
	}
	staging, err := os.MkdirTemp(filepath.Dir(abs), filepath.Base(abs)+".restoring-*")
	if err != nil {
		return res, errs.E(op, errs.Other, fmt.Errorf("creating the staging folder next to %s: %w", abs, err))
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(staging)
		}
	}()
	blobs := t.Blobs
	if blobs == nil {
		if blobs, err = local.New(filepath.Join(staging, "blobs")); err != nil {
			return res, err
		}
	}
	if err := extract(ctx, path, v, staging, blobs, opt.Limits.withDefaults(), &res); err != nil {
		return res, err
	}
	opt.Log.InfoContext(ctx, "restore: archive extracted", "staging", staging, "blobs", res.Blobs)
	dbURL := filepath.Join(staging, store.SnapshotSQLiteFile)
	var staged store.Staged // PostgreSQL with Force: the schema loaded beside the old one
	if m.Dialect == string(store.Postgres) {
		dbURL = t.DBURL
		if replaceDB {
			if staged, err = store.StageSchema(ctx, t.DBURL, "restoring_"+stamp); err != nil {
				return res, err
			}
			dbURL = staged.URL
			defer func() {
				if !keep {
					store.DropStagedSchema(context.WithoutCancel(ctx), t.DBURL, staged.Name)
				}
			}()
		}
		dump := filepath.Join(staging, "pgdump")
		if err := store.LoadSnapshot(ctx, dbURL, dump, m.SchemaVersion, m.Tables); err != nil {
			return res, fmt.Errorf("loading the PostgreSQL tables: %w", err)
		}
		opt.Log.InfoContext(ctx, "restore: PostgreSQL tables loaded", "tables", len(m.Tables), "staged_schema", staged.Name)
		os.RemoveAll(dump)
	} else if err := checkSQLiteFile(ctx, dbURL); err != nil {
		return res, err
	}
	res.SchemaBefore = m.SchemaVersion
	if err := checkRestored(ctx, dbURL, staging, m, blobs, &res); err != nil {
		return res, err
	}
	if staged.Name != "" {
		if res.ReplacedSchema, err = store.SwapSchema(ctx, t.DBURL, staged.Name, "replaced_"+stamp); err != nil {
			return res, err
		}
	}
	if res.Replaced, err = moveIntoPlace(staging, abs, stamp); err != nil {
		keep = res.Replaced != "" // the restored data is only in staging now
		if res.ReplacedSchema != "" && !keep {
			// The folder is the old one again: so must the database be.
			if _, serr := store.SwapSchema(context.WithoutCancel(ctx), t.DBURL, res.ReplacedSchema, "restoring_"+stamp); serr != nil {
				return res, errors.Join(err, fmt.Errorf("putting the old schema %s back: %w", res.ReplacedSchema, serr))
			}
			res.ReplacedSchema = ""
		}
		return res, err
	}
	keep = true
	return res, nil
}

// VerifyFile is Verify on the archive file at path.
func VerifyFile(ctx context.Context, path string, opt VerifyOptions) (Verified, error) {
	return verifyFile(ctx, path, opt)
}

func verifyFile(ctx context.Context, path string, opt VerifyOptions) (Verified, error) {
	f, err := os.Open(path)
	if err != nil {
		return Verified{}, errs.E("backup.Verify", errs.NotFound, fmt.Errorf("opening the backup: %w", err))
	}
	defer f.Close()
	return Verify(ctx, f, opt)
}

// checkTarget refuses, before anything is written, a target that does
// not fit the backup or already holds data (unless t.Force). replaceDB
// reports a PostgreSQL target that holds tables and is to be replaced.
func checkTarget(ctx context.Context, m Manifest, t Target) (replaceDB bool, err error) {
	const op = "backup.Restore"
	dialect := store.Dialect(m.Dialect)
	latest, err := store.LatestSchemaVersion(dialect)
	if err != nil {
		return false, err
	}
	if m.SchemaVersion > latest {
		return false, errs.Errorf(op, errs.Invalid, "the backup has schema version %d, newer than this tracemark's %d: restore it with tracemark %s or later",
			m.SchemaVersion, latest, orUnknown(m.Version))
	}
	switch {
	case dialect == store.Postgres && !store.IsPostgresURL(t.DBURL):
		return false, errs.Errorf(op, errs.Invalid, "this is a PostgreSQL backup: give --db postgres://… of an empty database to restore it into")
	case dialect == store.SQLite && t.DBURL != "":
		return false, errs.Errorf(op, errs.Invalid, "this is a SQLite backup: it is restored as DATA/tracemark.db; leave out --db")
	}
	des, err := os.ReadDir(t.DataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, errs.E(op, errs.Other, fmt.Errorf("reading the target folder: %w", err))
	case len(des) > 0 && !t.Force:
		return false, errs.Errorf(op, errs.Conflict, "the target folder %s is not empty: choose a new folder, or give --force to move it aside (it is renamed, not deleted)", t.DataDir)
	}
	if dialect == store.Postgres {
		st, err := store.OpenExisting(ctx, t.DBURL)
		if err != nil {
			return false, err
		}
		defer st.Close()
		if err := st.CheckEmpty(ctx); err != nil {
			if t.Force && errs.Is(errs.Conflict, err) {
				return true, nil
			}
			return false, errs.Errorf(op, errs.Conflict, "%v; or give --force to load it beside the old schema and swap them (the old one is renamed, not dropped)", err)
		}
	}
	return false, nil
}

// extract reads the archive a second time and writes every entry,
// checking its hash against the manifest on the way (the file may have
// changed since Verify read it).
func extract(ctx context.Context, path string, v Verified, staging string, blobs blob.Receiver, lim Limits, res *Restored) error {
	const op = "backup.Restore"
	f, err := os.Open(path)
	if err != nil {
		return errs.E(op, errs.Other, err)
	}
	defer f.Close()
	want := map[string]Entry{}
	for _, e := range v.Manifest.Entries {
		want[e.Name] = e
	}
	changed := func(name string) error {
		return errs.Errorf(op, errs.Invalid, "archive entry %s changed since it was verified: is the file being written to?", name)
	}
	var written []string // files written to staging, checked after the walk
	seen, err := walk(ctx, f, lim, func(name string, kind Kind, size int64, body io.Reader) error {
		e, listed := want[name]
		if kind != KindManifest && kind != KindSignature && (!listed || e.Size != size) {
			return changed(name)
		}
		switch kind {
		case KindSQLite:
			return writeFile(filepath.Join(staging, store.SnapshotSQLiteFile), body, 0o600)
		case KindPostgresTable:
			if err := os.MkdirAll(filepath.Join(staging, "pgdump"), 0o700); err != nil {
				return err
			}
			return writeFile(filepath.Join(staging, "pgdump", strings.TrimPrefix(name, postgresDir)), body, 0o600)
		case KindKey:
			file := strings.TrimPrefix(name, keysDir)
			written = append(written, file)
			res.Keys = append(res.Keys, file)
			mode := fs.FileMode(0o600)
			if strings.HasSuffix(file, ".pub") || strings.HasSuffix(file, "cert.pem") || strings.HasSuffix(file, ".crt") {
				mode = 0o644
			}
			if sub, _, nested := strings.Cut(file, "/"); nested {
				if err := os.MkdirAll(filepath.Join(staging, sub), 0o700); err != nil {
					return err
				}
			}
			return writeFile(filepath.Join(staging, filepath.FromSlash(file)), body, mode)
		case KindBlob:
			ref, n, err := blobs.Receive(ctx, body, size)
			if err != nil {
				return fmt.Errorf("storing blob %s: %w", name, err)
			}
			if "blobs/"+ref.String() != name {
				return changed(name)
			}
			res.Blobs++
			res.BlobBytes += n
		}
		return nil
	})
	if err != nil {
		return err
	}
	if seen[ManifestName].SHA256 != v.ManifestSHA256 {
		return changed(ManifestName)
	}
	for name, e := range want {
		if got, ok := seen[name]; !ok || got.SHA256 != e.SHA256 {
			return changed(name)
		}
	}
	return nil
}

func writeFile(path string, r io.Reader, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Sync(), f.Close())
}

// checkSQLiteFile checks the restored file's integrity and reads its own
// schema version: the manifest's could disagree with the file in a
// crafted archive.
func checkSQLiteFile(ctx context.Context, path string) error {
	st, err := store.OpenExisting(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckIntegrity(ctx); err != nil {
		return err
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("reading the restored database's schema version: %w", err)
	}
	latest, err := store.LatestSchemaVersion(store.SQLite)
	if err != nil {
		return err
	}
	if v > latest {
		return errs.Errorf("backup.Restore", errs.Invalid, "the restored database has schema version %d, newer than this tracemark's %d", v, latest)
	}
	return nil
}

// checkRestored opens the restored store (migrating it forward), checks
// every blob is present and verifies the audit chain.
func checkRestored(ctx context.Context, dbURL, staging string, m Manifest, blobs blob.Statter, res *Restored) error {
	const op = "backup.Restore"
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("opening the restored database: %w", err)
	}
	defer st.Close()
	if res.SchemaAfter, err = st.SchemaVersion(ctx); err != nil {
		return err
	}
	for _, e := range m.Entries {
		if !strings.HasPrefix(e.Name, blobsDir) {
			continue
		}
		ref, _ := blob.Parse(strings.TrimPrefix(e.Name, blobsDir))
		if size, err := blobs.Stat(ctx, ref); err != nil || size != e.Size {
			return errs.Errorf(op, errs.Internal, "blob %s is not in the target blob store after the restore (%v)", ref, err)
		}
	}
	var trusted []ed25519.PublicKey
	if b, err := os.ReadFile(filepath.Join(staging, audit.PublicKeyFile)); err == nil {
		k, err := audit.ParsePublicKey(string(b))
		if err != nil {
			return fmt.Errorf("the restored %s: %w", audit.PublicKeyFile, err)
		}
		trusted = append(trusted, k)
	}
	if res.Audit, err = audit.Verify(ctx, st, trusted...); err != nil {
		return fmt.Errorf("verifying the restored audit log: %w", err)
	}
	last, err := st.LastAudit(ctx)
	if err != nil {
		return err
	}
	res.AuditHeadMatches = last.Seq == m.Audit.LastSeq && last.Hash == m.Audit.LastHash
	if res.Audit.Problem == nil && res.Audit.Unsigned > 0 && res.AuditHeadMatches && res.Signed {
		return signRestoredHead(ctx, st, staging, m, res)
	}
	return nil
}

// signRestoredHead signs a checkpoint at the restored head with the
// restored node key when that key also signed the manifest, which records
// the head: entries written between the last checkpoint and the snapshot
// (the node kept writing) are then covered by a checkpoint again.
func signRestoredHead(ctx context.Context, st *store.Store, staging string, m Manifest, res *Restored) error {
	key, err := audit.LoadKey(filepath.Join(staging, audit.KeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("the restored %s: %w", audit.KeyFile, err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if hex.EncodeToString(pub) != m.Source.AuditPublicKey {
		return nil // another key signed the manifest: leave the log as it came
	}
	if _, err := audit.New(st, key).Checkpoint(ctx); err != nil {
		return fmt.Errorf("signing a checkpoint at the restored audit head: %w", err)
	}
	if res.Audit, err = audit.Verify(ctx, st, pub); err != nil {
		return fmt.Errorf("verifying the restored audit log: %w", err)
	}
	return nil
}

// moveIntoPlace renames the finished staging folder to dir. An existing
// dir is renamed aside first (an empty one is removed), never deleted.
func moveIntoPlace(staging, dir, stamp string) (replaced string, err error) {
	const op = "backup.Restore"
	des, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", errs.E(op, errs.Other, err)
	case len(des) == 0:
		if err := os.Remove(dir); err != nil {
			return "", errs.E(op, errs.Other, err)
		}
	default:
		replaced = dir + ".replaced-" + stamp
		if err := os.Rename(dir, replaced); err != nil {
			return "", errs.E(op, errs.Other, fmt.Errorf("moving the old data folder aside: %w", err))
		}
	}
	if err := os.Rename(staging, dir); err != nil {
		if replaced != "" {
			if rerr := os.Rename(replaced, dir); rerr != nil {
				return replaced, errs.E(op, errs.Other, fmt.Errorf("moving the restored folder into place: %w; the old data is in %s and the restored data in %s", err, replaced, staging))
			}
		}
		return "", errs.E(op, errs.Other, fmt.Errorf("moving the restored folder into place (the old data is untouched): %w", err))
	}
	return replaced, nil
}
