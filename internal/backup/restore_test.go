package backup_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/backup"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

func TestRestoreTargetRules(t *testing.T) {
	ctx := context.Background()
	archive, n := smallBackup(t, true)
	path := writeArchive(t, archive)
	opt := backup.RestoreOptions{Log: quietLog()}

	// A non-empty folder is refused without --force and left as it was.
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old-evidence.txt")
	if err := os.WriteFile(old, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, path, backup.Target{DataDir: dir}, opt); !errs.Is(errs.Conflict, err) {
		t.Fatalf("restore into a non-empty folder = %v, want a Conflict", err)
	}
	if b, err := os.ReadFile(old); err != nil || string(b) != "keep me" {
		t.Fatalf("the refused restore touched the old data: %q, %v", b, err)
	}

	// With --force the old folder is moved aside whole, not deleted.
	res, err := backup.Restore(ctx, path, backup.Target{DataDir: dir, Force: true}, opt)
	if err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	if res.Replaced == "" {
		t.Fatal("forced restore reports no replaced folder")
	}
	if b, err := os.ReadFile(filepath.Join(res.Replaced, "old-evidence.txt")); err != nil || string(b) != "keep me" {
		t.Fatalf("old data not kept in %s: %q, %v", res.Replaced, b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "old-evidence.txt")); err == nil {
		t.Error("the old file is still in the restored folder")
	}
	st, err := store.Open(ctx, filepath.Join(dir, "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.AgencyByCode(ctx, n.agency.Code); err != nil {
		t.Errorf("restored database lacks the agency: %v", err)
	}

	// An empty existing folder is fine without --force.
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.Mkdir(empty, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, path, backup.Target{DataDir: empty}, opt); err != nil {
		t.Errorf("restore into an empty folder: %v", err)
	}

	// A SQLite backup cannot go to PostgreSQL, nor take a --db path.
	if _, err := backup.Restore(ctx, path, backup.Target{DataDir: filepath.Join(t.TempDir(), "x"), DBURL: "postgres://u@h/db"}, opt); !errs.Is(errs.Invalid, err) {
		t.Errorf("SQLite backup into PostgreSQL = %v, want Invalid", err)
	}
}

// TestSchemaVersions: an older backup is migrated forward; one newer than
// this binary is refused before anything is written.
func TestSchemaVersions(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) { olderSchemaMigratesForward(t, d) })
	}

	// Newer than this binary: refused, nothing written.
	ctx := context.Background()
	latest, _ := store.LatestSchemaVersion(store.SQLite)
	m2 := baseManifest()
	m2.SchemaVersion = latest + 1
	newer := handArchive(t, m2, []handEntry{{name: backup.SQLiteName, body: []byte("db")}})
	target2 := filepath.Join(t.TempDir(), "newer")
	_, err := backup.Restore(ctx, writeArchive(t, newer), backup.Target{DataDir: target2}, backup.RestoreOptions{Log: quietLog()})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("restoring a newer schema = %v, want a refusal", err)
	}
	if _, err := os.Stat(target2); err == nil {
		t.Error("a refused restore created the target")
	}
}

// olderSchemaMigratesForward backs up a database of schema version 1 and
// restores it: the restore migrates it to this binary's version.
func olderSchemaMigratesForward(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "old")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	srcURL, dstURL := filepath.Join(dir, "tracemark.db"), ""
	if d == store.Postgres {
		srcURL, dstURL = postgresSchemaURL(t), postgresSchemaURL(t)
	} else if err := os.WriteFile(srcURL, nil, 0o600); err != nil { // an empty file is an empty SQLite database
		t.Fatal(err)
	}
	old, err := store.OpenExisting(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := old.MigrateTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ag, err := old.CreateAgency(ctx, domain.Agency{Code: "OLD", Name: "Schema 1 lab"})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := backup.Create(ctx, &buf, backup.Node{Store: old, Blobs: blobs, DataDir: dir}, backup.Options{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != 1 {
		t.Fatalf("manifest schema version %d, want 1", m.SchemaVersion)
	}
	target := filepath.Join(t.TempDir(), "new")
	res, err := backup.Restore(ctx, writeArchive(t, buf.Bytes()), backup.Target{DataDir: target, DBURL: dstURL}, backup.RestoreOptions{Log: quietLog()})
	if err != nil {
		t.Fatalf("restoring a schema-1 backup: %v", err)
	}
	latest, _ := store.LatestSchemaVersion(d)
	if res.SchemaBefore != 1 || res.SchemaAfter != latest {
		t.Errorf("schema %d → %d, want 1 → %d", res.SchemaBefore, res.SchemaAfter, latest)
	}
	if dstURL == "" {
		dstURL = filepath.Join(target, "tracemark.db")
	}
	st, err := store.Open(ctx, dstURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Agency(ctx, ag.ID); err != nil {
		t.Errorf("agency of the schema-1 backup: %v", err)
	}
}

// TestRestorePostgresRefusesNonEmpty: a PostgreSQL backup only goes into
// an empty database (schema).
func TestRestorePostgresRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	src := postgresSchemaURL(t)
	n := newNode(t, src, "")
	if _, err := n.write(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := backup.Create(ctx, &buf, backup.Node{Store: n.st, Blobs: n.blobs, DataDir: n.dir, SigningKey: n.key}, backup.Options{Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	path := writeArchive(t, buf.Bytes())
	// The source database itself is not empty.
	_, err := backup.Restore(ctx, path, backup.Target{DataDir: filepath.Join(t.TempDir(), "d"), DBURL: src}, backup.RestoreOptions{Log: quietLog()})
	if !errs.Is(errs.Conflict, err) {
		t.Fatalf("restore into a non-empty PostgreSQL schema = %v, want a Conflict", err)
	}
	cases, _, err := n.st.ListCases(ctx, store.CaseFilter{Agency: n.agency.ID}, store.Page{})
	if err != nil || len(cases) != 1 {
		t.Errorf("the source database after the refused restore: %d cases, %v; want 1", len(cases), err)
	}
}

// failingReceiver fails the restore midway, like a crash or a full disk.
type failingReceiver struct {
	blob.Storage
	left int
}

func (f *failingReceiver) Receive(ctx context.Context, r io.Reader, max int64) (blob.Ref, int64, error) {
	if f.left--; f.left < 0 {
		return blob.Ref{}, 0, errs.Errorf("test", errs.Other, "disk full")
	}
	return f.Storage.Receive(ctx, r, max)
}

// TestFailedForcedRestoreKeepsOldData: a restore that fails midway leaves
// the old folder exactly where it was and no staging folder behind.
func TestFailedForcedRestoreKeepsOldData(t *testing.T) {
	ctx := context.Background()
	archive, _ := smallBackup(t, true)
	path := writeArchive(t, archive)
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.txt"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	blobs, err := local.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = backup.Restore(ctx, path, backup.Target{DataDir: dir, Force: true, Blobs: &failingReceiver{Storage: blobs, left: 2}},
		backup.RestoreOptions{Log: quietLog()})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Restore = %v, want the receiver's failure", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "old.txt")); err != nil || string(b) != "old" {
		t.Errorf("old data after a failed restore: %q, %v", b, err)
	}
	des, _ := os.ReadDir(root)
	if len(des) != 1 {
		t.Errorf("a failed restore left %d entries next to the target, want only the target", len(des))
	}
}

// TestMissingBlobListed: a blob the database names but the blob store
// lost before the backup is listed in the manifest, not silently skipped.
func TestMissingBlobListed(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, "", "")
	it, err := n.write(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.blobs.(blob.Remover).Remove(ctx, it.scan.Features); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := backup.Create(ctx, &buf, backup.Node{Store: n.st, Blobs: n.blobs, DataDir: n.dir}, backup.Options{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.MissingBlobs) != 1 || m.MissingBlobs[0] != it.scan.Features.String() {
		t.Errorf("missing blobs %v, want [%s]", m.MissingBlobs, it.scan.Features)
	}
	v, err := backup.Verify(ctx, bytes.NewReader(buf.Bytes()), backup.VerifyOptions{})
	if err != nil || len(v.Manifest.MissingBlobs) != 1 {
		t.Errorf("verify: %v, missing %v", err, v.Manifest.MissingBlobs)
	}
}

// TestRestorePostgresForce: with Force, a PostgreSQL backup is loaded into
// a schema beside the old one, checked, and swapped in; the old schema is
// kept whole under another name.
func TestRestorePostgresForce(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, postgresSchemaURL(t), "")
	it, err := n.write(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := backup.Create(ctx, &buf, backup.Node{Store: n.st, Blobs: n.blobs, DataDir: n.dir, SigningKey: n.key}, backup.Options{Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	target := postgresSchemaURL(t)
	old, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	oldAgency, err := old.CreateAgency(ctx, domain.Agency{Code: "OLDPG", Name: "Old data"})
	old.Close()
	if err != nil {
		t.Fatal(err)
	}
	res, err := backup.Restore(ctx, writeArchive(t, buf.Bytes()), backup.Target{DataDir: filepath.Join(t.TempDir(), "d"), DBURL: target, Force: true},
		backup.RestoreOptions{Log: quietLog()})
	if err != nil {
		t.Fatalf("forced PostgreSQL restore: %v", err)
	}
	if res.ReplacedSchema == "" || res.Audit.Problem != nil || !res.AuditHeadMatches {
		t.Fatalf("replaced schema %q, audit %+v, head matches %v", res.ReplacedSchema, res.Audit.Problem, res.AuditHeadMatches)
	}
	replacedURL := withSchema(t, target, res.ReplacedSchema)
	t.Cleanup(func() { store.DropStagedSchema(context.Background(), target, res.ReplacedSchema) })

	st, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Case(ctx, n.agency.ID, it.c); err != nil {
		t.Errorf("restored case: %v", err)
	}
	if _, err := st.Agency(ctx, oldAgency.ID); !errs.Is(errs.NotFound, err) {
		t.Errorf("the old agency is still in the restored schema (%v)", err)
	}
	kept, err := store.Open(ctx, replacedURL)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	if _, err := kept.Agency(ctx, oldAgency.ID); err != nil {
		t.Errorf("the old data is not kept in %s: %v", res.ReplacedSchema, err)
	}
}

func withSchema(t *testing.T, raw, schema string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestDamagedDatabaseRefused: an archive whose hashes are consistent but
// whose SQLite file is damaged (made that way before it was archived) is
// refused by the integrity check, and nothing is put in place.
func TestDamagedDatabaseRefused(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, "", "")
	for i := range 40 {
		if _, err := n.write(ctx, strings.Repeat("x", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	info, err := n.st.Snapshot(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(filepath.Join(dir, store.SnapshotSQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if len(db) < 8*page {
		t.Fatalf("snapshot of %d bytes is too small to damage a middle page", len(db))
	}
	for i := 5 * page; i < 6*page; i++ {
		db[i] = 0xA5
	}
	m := baseManifest()
	m.SchemaVersion = info.SchemaVersion
	archive := handArchive(t, m, []handEntry{{name: backup.SQLiteName, body: db}})
	target := filepath.Join(t.TempDir(), "r")
	_, err = backup.Restore(ctx, writeArchive(t, archive), backup.Target{DataDir: target}, backup.RestoreOptions{Log: quietLog()})
	if err == nil {
		t.Fatal("restore accepted a damaged SQLite file")
	}
	t.Logf("refused: %v", err)
	if _, err := os.Stat(target); err == nil {
		t.Error("a refused restore created the target")
	}
}
