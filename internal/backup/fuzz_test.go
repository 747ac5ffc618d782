package backup_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/tracemark/tracemark/internal/backup"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/store"
)

// FuzzVerify feeds arbitrary bytes to the archive reader: it must never
// panic or allocate past its limits, and whatever it accepts must verify
// the same way again.
func FuzzVerify(f *testing.F) {
	content := []byte("blob")
	valid := handArchive(f, baseManifest(), []handEntry{
		{name: backup.SQLiteName, body: []byte("SQLite format 3\x00")},
		{name: "blobs/" + blob.RefOf(content).String(), body: content},
		{name: "keys/audit-signing.pub", body: []byte("00\n")},
		{name: "keys/tls/self-signed-cert.pem", body: []byte("cert")},
	})
	pg := baseManifest()
	pg.Dialect, pg.Tables = "postgres", []store.TableRows{{Name: "cases", Rows: 1}}
	f.Add(valid)
	f.Add(handArchive(f, pg, []handEntry{{name: "db/postgres/cases.jsonl", body: []byte(`{"id":"x"}` + "\n")}}))
	f.Add(handArchive(f, baseManifest(), []handEntry{{name: "../evil", body: []byte("x")}}))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(valid)
	zw.Close()
	f.Add(gz.Bytes())
	enc, _ := zstd.NewWriter(nil)
	f.Add(enc.EncodeAll(valid, nil))
	f.Add([]byte{})
	lim := backup.Limits{MaxEntries: 100, MaxEntryBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxManifestBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := backup.Verify(context.Background(), bytes.NewReader(data), backup.VerifyOptions{Limits: lim})
		if err != nil {
			return
		}
		if v.Manifest.Format != backup.Format {
			t.Fatalf("accepted a manifest of format %q", v.Manifest.Format)
		}
		again, err := backup.Verify(context.Background(), bytes.NewReader(data), backup.VerifyOptions{Limits: lim})
		if err != nil || again.ManifestSHA256 != v.ManifestSHA256 {
			t.Fatalf("second verification differs: %v", err)
		}
	})
}
