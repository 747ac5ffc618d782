package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/backup"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// smallBackup backs up a fresh SQLite node holding a few items and returns
// the uncompressed archive and the node.
func smallBackup(t testing.TB, signed bool) ([]byte, *node) {
	t.Helper()
	ctx := context.Background()
	n := newNode(t, "", "")
	for i := range 3 {
		if _, err := n.write(ctx, string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	src := backup.Node{Store: n.st, Blobs: n.blobs, DataDir: n.dir}
	if signed {
		src.SigningKey = n.key
	}
	var buf bytes.Buffer
	if _, err := backup.Create(ctx, &buf, src, backup.Options{Version: "test", Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), n
}

func writeArchive(t testing.TB, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "backup.tar")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// entryOffset returns where the content of the named tar entry starts.
func entryOffset(t *testing.T, archive []byte, name string) int64 {
	t.Helper()
	r := &countingReader{r: bytes.NewReader(archive)}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("entry %s not found: %v", name, err)
		}
		if hdr.Name == name {
			return r.n
		}
	}
}

// countingReader counts bytes handed to tar, which reads headers in
// 512-byte blocks and nothing ahead, so the count after Next is the
// content's offset.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func trusted(k ed25519.PublicKey) []ed25519.PublicKey { return []ed25519.PublicKey{k} }

func TestTamperedArchiveRefused(t *testing.T) {
	archive, _ := smallBackup(t, true)
	ctx := context.Background()
	v, err := backup.Verify(ctx, bytes.NewReader(archive), backup.VerifyOptions{})
	if err != nil {
		t.Fatalf("intact archive: %v", err)
	}
	var blobEntry, keyEntry string
	for _, e := range v.Manifest.Entries {
		switch {
		case strings.HasPrefix(e.Name, "blobs/") && blobEntry == "":
			blobEntry = e.Name
		case strings.HasPrefix(e.Name, "keys/") && keyEntry == "":
			keyEntry = e.Name
		}
	}
	for _, name := range []string{blobEntry, backup.SQLiteName, keyEntry} {
		t.Run(name, func(t *testing.T) {
			bad := bytes.Clone(archive)
			off := entryOffset(t, bad, name)
			bad[off+3] ^= 0x01
			_, err := backup.Verify(ctx, bytes.NewReader(bad), backup.VerifyOptions{})
			if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "SHA-256") {
				t.Fatalf("Verify of an archive with one byte of %s changed = %v; want a refusal naming the entry", name, err)
			}
			// Restore refuses it and writes nothing.
			dir := filepath.Join(t.TempDir(), "restored")
			if _, err := backup.Restore(ctx, writeArchive(t, bad), backup.Target{DataDir: dir}, backup.RestoreOptions{Log: quietLog()}); err == nil {
				t.Fatal("Restore accepted a tampered archive")
			}
			if des, _ := os.ReadDir(filepath.Dir(dir)); len(des) != 0 {
				t.Errorf("a refused restore left %d files next to the target", len(des))
			}
		})
	}
	t.Run("manifest", func(t *testing.T) {
		bad := bytes.Clone(archive)
		off := entryOffset(t, bad, backup.ManifestName)
		i := bytes.Index(bad[off:], []byte(`"tracemark_version": "test"`))
		if i < 0 {
			t.Fatal("version not found in the manifest")
		}
		bad[off+int64(i+len(`"tracemark_version": "`))] = 'b' // "test" → "best": still valid JSON
		_, err := backup.Verify(ctx, bytes.NewReader(bad), backup.VerifyOptions{})
		if err == nil || !strings.Contains(err.Error(), backup.SignatureName) {
			t.Fatalf("Verify of a changed signed manifest = %v; want a signature failure", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		_, err := backup.Verify(ctx, bytes.NewReader(archive[:len(archive)/2]), backup.VerifyOptions{})
		if err == nil {
			t.Fatal("Verify accepted half an archive")
		}
	})
}

func TestVerifyTrustedKey(t *testing.T) {
	archive, n := smallBackup(t, true)
	ctx := context.Background()
	pub := n.key.Public().(ed25519.PublicKey)
	other, _ := smallBackup(t, true) // signed by another node's key
	tests := []struct {
		name    string
		archive []byte
		ok      bool
	}{
		{"own key", archive, true},
		{"other node", other, false},
	}
	for _, tt := range tests {
		_, err := backup.Verify(ctx, bytes.NewReader(tt.archive), backup.VerifyOptions{Trusted: trusted(pub)})
		if (err == nil) != tt.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	unsigned, _ := smallBackup(t, false)
	if v, err := backup.Verify(ctx, bytes.NewReader(unsigned), backup.VerifyOptions{}); err != nil || v.Signed {
		t.Errorf("unsigned archive: signed=%v, %v", v.Signed, err)
	}
	if _, err := backup.Verify(ctx, bytes.NewReader(unsigned), backup.VerifyOptions{Trusted: trusted(pub)}); err == nil {
		t.Error("an unsigned archive passed with a trusted key required")
	}
}

// handArchive builds an archive from raw entries, with a manifest that
// lists them all with their true hashes (so only the layout is wrong).
type handEntry struct {
	name string
	body []byte
	typ  byte // tar type; 0 means a regular file
	link string
}

func handArchive(t testing.TB, m backup.Manifest, entries []handEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
			sum := sha256.Sum256(e.body)
			m.Entries = append(m.Entries, backup.Entry{Name: e.name, Size: int64(len(e.body)), SHA256: hex.EncodeToString(sum[:])})
		}
		hdr := &tar.Header{Typeflag: typ, Name: e.name, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write(e.body)
		}
	}
	body, _ := json.Marshal(m)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: backup.ManifestName, Mode: 0o644, Size: int64(len(body))})
	tw.Write(body)
	tw.Close()
	return buf.Bytes()
}

func baseManifest() backup.Manifest {
	return backup.Manifest{Format: backup.Format, Version: "test", SchemaVersion: 1, Dialect: "sqlite", CreatedAt: time.Now().UTC()}
}

// TestPathTraversalRefused: names that would escape the target, links and
// names outside the layout are refused before anything is written.
func TestPathTraversalRefused(t *testing.T) {
	ctx := context.Background()
	db := handEntry{name: backup.SQLiteName, body: []byte("SQLite format 3\x00")}
	tests := []struct {
		name  string
		entry handEntry
	}{
		{"dot-dot", handEntry{name: "../evil", body: []byte("x")}},
		{"keys dot-dot", handEntry{name: "keys/../../evil", body: []byte("x")}},
		{"keys nested dot-dot", handEntry{name: "keys/tls/../../evil", body: []byte("x")}},
		{"keys too deep", handEntry{name: "keys/a/b/evil", body: []byte("x")}},
		{"keys hidden", handEntry{name: "keys/.ssh", body: []byte("x")}},
		{"absolute", handEntry{name: "/tmp/evil", body: []byte("x")}},
		{"backslash", handEntry{name: `keys\..\..\evil`, body: []byte("x")}},
		{"unknown folder", handEntry{name: "etc/passwd", body: []byte("x")}},
		{"blob not a ref", handEntry{name: "blobs/../../evil", body: []byte("x")}},
		{"table dot-dot", handEntry{name: "db/postgres/../../evil.jsonl", body: []byte("x")}},
		{"symlink", handEntry{name: "keys/link", typ: tar.TypeSymlink, link: "/etc/passwd"}},
		{"hard link", handEntry{name: "keys/hard", typ: tar.TypeLink, link: "../../evil"}},
		{"directory", handEntry{name: "keys/", typ: tar.TypeDir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			archive := handArchive(t, baseManifest(), []handEntry{db, tt.entry})
			if _, err := backup.Verify(ctx, bytes.NewReader(archive), backup.VerifyOptions{}); !errs.Is(errs.Invalid, err) {
				t.Fatalf("Verify = %v, want an Invalid refusal", err)
			}
			root := t.TempDir()
			dir := filepath.Join(root, "sub", "restored")
			if _, err := backup.Restore(ctx, writeArchive(t, archive), backup.Target{DataDir: dir}, backup.RestoreOptions{Log: quietLog()}); err == nil {
				t.Fatal("Restore accepted it")
			}
			for _, p := range []string{filepath.Join(root, "evil"), filepath.Join(root, "sub", "evil"), dir} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
}

func TestManifestChecks(t *testing.T) {
	ctx := context.Background()
	db := handEntry{name: backup.SQLiteName, body: []byte("db")}
	content := []byte("blob content")
	ref := blob.RefOf(content)
	tests := []struct {
		name    string
		m       func(m *backup.Manifest)
		entries []handEntry
		want    string
	}{
		{"ok", func(*backup.Manifest) {}, []handEntry{db}, ""},
		{"format", func(m *backup.Manifest) { m.Format = "other/9" }, []handEntry{db}, "format"},
		{"dialect", func(m *backup.Manifest) { m.Dialect = "mysql" }, []handEntry{db}, "dialect"},
		{"schema", func(m *backup.Manifest) { m.SchemaVersion = 0 }, []handEntry{db}, "schema_version"},
		{"no database", func(*backup.Manifest) {}, nil, "exactly"},
		{"blob named after other content", func(*backup.Manifest) {},
			[]handEntry{db, {name: "blobs/" + blob.RefOf([]byte("other")).String(), body: content}}, "differs from the blob's name"},
		{"blob", func(*backup.Manifest) {}, []handEntry{db, {name: "blobs/" + ref.String(), body: content}}, ""},
		{"postgres table not listed", func(m *backup.Manifest) { m.Dialect = "postgres" },
			[]handEntry{{name: "db/postgres/cases.jsonl", body: []byte("{}\n")}}, "not in its table list"},
		{"postgres", func(m *backup.Manifest) {
			m.Dialect = "postgres"
			m.Tables = []store.TableRows{{Name: "cases", Rows: 1}}
		},
			[]handEntry{{name: "db/postgres/cases.jsonl", body: []byte("{}\n")}}, ""},
		{"duplicate entry", func(*backup.Manifest) {}, []handEntry{db, db}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseManifest()
			tt.m(&m)
			_, err := backup.Verify(ctx, bytes.NewReader(handArchive(t, m, tt.entries)), backup.VerifyOptions{})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Verify = %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Verify = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	entries := []handEntry{{name: backup.SQLiteName, body: bytes.Repeat([]byte("x"), 4096)}}
	for i := range 5 {
		c := []byte{byte(i)}
		entries = append(entries, handEntry{name: "blobs/" + blob.RefOf(c).String(), body: c})
	}
	archive := handArchive(t, baseManifest(), entries)
	tests := []struct {
		name string
		lim  backup.Limits
		ok   bool
	}{
		{"defaults", backup.Limits{}, true},
		{"entry too large", backup.Limits{MaxEntryBytes: 1000}, false},
		{"too many entries", backup.Limits{MaxEntries: 3}, false},
		{"total too large", backup.Limits{MaxTotalBytes: 4000}, false},
		{"manifest too large", backup.Limits{MaxManifestBytes: 100}, false},
	}
	for _, tt := range tests {
		_, err := backup.Verify(ctx, bytes.NewReader(archive), backup.VerifyOptions{Limits: tt.lim})
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && !errs.Is(errs.TooLarge, err) {
			t.Errorf("%s: Verify = %v, want a TooLarge refusal", tt.name, err)
		}
	}
}
