package backup

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Format names this archive layout in every manifest.
const Format = "tracemark-backup/1"

// Entry names with a fixed meaning.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
	SQLiteName    = "db/sqlite/" + store.SnapshotSQLiteFile
	postgresDir   = "db/postgres/"
	blobsDir      = "blobs/"
	keysDir       = "keys/"
)

// Manifest describes an archive; it is its last regular entry but one.
type Manifest struct {
	Format        string    `json:"format"`
	Version       string    `json:"tracemark_version"`
	SchemaVersion int64     `json:"schema_version"`
	Dialect       string    `json:"dialect"`
	CreatedAt     time.Time `json:"created_at"`
	Source        Source    `json:"source_node"`
	// Tables are the database tables with their row counts at the snapshot.
	Tables []store.TableRows `json:"tables"`
	Audit  AuditHead         `json:"audit"`
	// Entries lists every other entry of the archive (not the manifest
	// and its signature) in archive order.
	Entries []Entry `json:"entries"`
	// MissingBlobs are refs the database mentions that the blob store did
	// not hold at backup time (so the archive cannot hold them either).
	MissingBlobs []string `json:"missing_blobs,omitempty"`
}

// Source identifies the node the backup was taken from.
type Source struct {
	Hostname string `json:"hostname,omitempty"`
	DataDir  string `json:"data_dir,omitempty"`
	// AuditPublicKey (hex Ed25519) signed the manifest (manifest.sig);
	// empty: the manifest is not signed.
	AuditPublicKey string `json:"audit_public_key,omitempty"`
}

// AuditHead is the newest audit entry in the snapshot.
type AuditHead struct {
	LastSeq     int64  `json:"last_seq"`
	LastHash    string `json:"last_hash,omitempty"`
	Checkpoints int    `json:"checkpoints"`
}

// Entry is one file of the archive.
type Entry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// Kind tells what an entry holds.
type Kind int

// Entry kinds.
const (
	KindInvalid Kind = iota
	KindManifest
	KindSignature
	KindSQLite
	KindPostgresTable
	KindBlob
	KindKey
)

var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// keyPath accepts "file" or "folder/file" of plain names (no "..", no
// leading dot, no further nesting).
func keyPath(p string) bool {
	dir, file, nested := strings.Cut(p, "/")
	if !nested {
		return keyName.MatchString(p)
	}
	return keyName.MatchString(dir) && keyName.MatchString(file)
}

// classify checks an entry name against the archive layout and returns
// its kind. Only these names are ever accepted, so extraction paths are
// built from validated parts and can never leave the target folder.
func classify(name string) (Kind, error) {
	bad := func(why string) (Kind, error) {
		return KindInvalid, errs.Errorf("backup", errs.Invalid, "archive entry %q %s", clip(name), why)
	}
	switch {
	case name == ManifestName:
		return KindManifest, nil
	case name == SignatureName:
		return KindSignature, nil
	case name == SQLiteName:
		return KindSQLite, nil
	case strings.HasPrefix(name, postgresDir):
		table, ok := strings.CutSuffix(strings.TrimPrefix(name, postgresDir), store.SnapshotTableExt)
		if !ok || store.CheckTableName(table) != nil {
			return bad("is not db/postgres/<table>.jsonl")
		}
		return KindPostgresTable, nil
	case strings.HasPrefix(name, blobsDir):
		if _, err := blob.Parse(strings.TrimPrefix(name, blobsDir)); err != nil {
			return bad("is not blobs/sha256-<64 hex digits>")
		}
		return KindBlob, nil
	case strings.HasPrefix(name, keysDir):
		if !keyPath(strings.TrimPrefix(name, keysDir)) {
			return bad("is not keys/<file> or keys/<folder>/<file> with plain names")
		}
		return KindKey, nil
	}
	return bad("is outside the backup layout (manifest.json, manifest.sig, db/, blobs/, keys/)")
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// parseManifest decodes and checks a manifest (untrusted input).
func parseManifest(b []byte, lim Limits) (Manifest, error) {
	const op = "backup.parseManifest"
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, errs.Errorf(op, errs.Invalid, "manifest.json is not a valid manifest: %v", err)
	}
	if m.Format != Format {
		return m, errs.Errorf(op, errs.Invalid, "manifest format %q: this tracemark reads %q", clip(m.Format), Format)
	}
	if len(m.Entries) > lim.MaxEntries {
		return m, errs.Errorf(op, errs.TooLarge, "manifest lists %d entries; the limit is %d", len(m.Entries), lim.MaxEntries)
	}
	switch store.Dialect(m.Dialect) {
	case store.SQLite, store.Postgres:
	default:
		return m, errs.Errorf(op, errs.Invalid, "manifest dialect %q: want sqlite or postgres", clip(m.Dialect))
	}
	if m.SchemaVersion < 1 {
		return m, errs.Errorf(op, errs.Invalid, "manifest schema_version %d: want 1 or more", m.SchemaVersion)
	}
	if m.Source.AuditPublicKey != "" {
		if k, err := hex.DecodeString(m.Source.AuditPublicKey); err != nil || len(k) != 32 {
			return m, errs.Errorf(op, errs.Invalid, "manifest source_node.audit_public_key is not 32 hex-encoded bytes")
		}
	}
	seen := map[string]bool{}
	tables := map[string]bool{}
	for _, t := range m.Tables {
		if err := store.CheckTableName(t.Name); err != nil || tables[t.Name] || t.Rows < 0 {
			return m, errs.Errorf(op, errs.Invalid, "manifest table %q is malformed, repeated or has a negative row count", clip(t.Name))
		}
		tables[t.Name] = true
	}
	var sqliteFiles, pgFiles int
	for _, e := range m.Entries {
		kind, err := classify(e.Name)
		if err != nil {
			return m, err
		}
		if seen[e.Name] {
			return m, errs.Errorf(op, errs.Invalid, "manifest lists entry %s twice", e.Name)
		}
		seen[e.Name] = true
		if sum, err := hex.DecodeString(e.SHA256); err != nil || len(sum) != 32 {
			return m, errs.Errorf(op, errs.Invalid, "manifest entry %s: sha256 is not 64 hex digits", e.Name)
		}
		if e.Size < 0 || e.Size > lim.MaxEntryBytes {
			return m, errs.Errorf(op, errs.Invalid, "manifest entry %s: size %d outside 0…%d", e.Name, e.Size, lim.MaxEntryBytes)
		}
		switch kind {
		case KindManifest, KindSignature:
			return m, errs.Errorf(op, errs.Invalid, "manifest lists %s as an entry", e.Name)
		case KindSQLite:
			sqliteFiles++
		case KindPostgresTable:
			pgFiles++
			table := strings.TrimSuffix(strings.TrimPrefix(e.Name, postgresDir), store.SnapshotTableExt)
			if !tables[table] {
				return m, errs.Errorf(op, errs.Invalid, "manifest entry %s is not in its table list", e.Name)
			}
		case KindBlob:
			if "sha256-"+e.SHA256 != strings.TrimPrefix(e.Name, blobsDir) {
				return m, errs.Errorf(op, errs.Invalid, "manifest entry %s: sha256 %s differs from the blob's name", e.Name, e.SHA256)
			}
		case KindKey:
			if e.Size > maxKeyFileBytes {
				return m, errs.Errorf(op, errs.Invalid, "manifest entry %s: %d bytes is more than a key file may hold (%d)", e.Name, e.Size, maxKeyFileBytes)
			}
		}
	}
	switch {
	case m.Dialect == string(store.SQLite) && (sqliteFiles != 1 || pgFiles != 0):
		return m, errs.Errorf(op, errs.Invalid, "a sqlite backup must hold exactly %s and no PostgreSQL tables", SQLiteName)
	case m.Dialect == string(store.Postgres) && (sqliteFiles != 0 || pgFiles != len(m.Tables)):
		return m, errs.Errorf(op, errs.Invalid, "a postgres backup must hold one db/postgres/<table>.jsonl per table listed (%d listed, %d present)", len(m.Tables), pgFiles)
	}
	return m, nil
}

// blobCount returns the number and total size of blob entries.
func (m Manifest) blobCount() (n int, bytes int64) {
	for _, e := range m.Entries {
		if strings.HasPrefix(e.Name, blobsDir) {
			n++
			bytes += e.Size
		}
	}
	return n, bytes
}

// String summarises the manifest for people.
func (m Manifest) String() string {
	n, size := m.blobCount()
	var rows int64
	for _, t := range m.Tables {
		rows += t.Rows
	}
	s := fmt.Sprintf("%s backup of %s taken %s by tracemark %s: schema %d, %d tables (%d rows), %d blobs (%d bytes), audit log %d entries",
		m.Dialect, orUnknown(m.Source.Hostname), m.CreatedAt.Format(time.RFC3339), orUnknown(m.Version), m.SchemaVersion,
		len(m.Tables), rows, n, size, m.Audit.LastSeq)
	if k := len(m.MissingBlobs); k > 0 {
		s += fmt.Sprintf("; WARNING: %d blobs the database names were already missing from the blob store at backup time (manifest missing_blobs)", k)
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
