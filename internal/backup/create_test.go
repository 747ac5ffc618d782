package backup_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/backup"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
)

// scanWithBlob stores content as a scan's original and returns its ref.
func scanWithBlob(t *testing.T, n *node, content []byte) blob.Ref {
	t.Helper()
	ctx := context.Background()
	it, err := n.write(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	ref, size, err := n.blobs.Receive(ctx, bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.st.PutScan(ctx, domain.Scan{AgencyID: n.agency.ID, ExhibitID: it.e, Original: ref, Size: size, Format: domain.FormatX3P}); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestLargeBlobStreamed: a blob too large to read ahead is streamed into
// the archive and comes back intact.
func TestLargeBlobStreamed(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, "", "")
	content := make([]byte, 9<<20)
	rand.Read(content)
	ref := scanWithBlob(t, n, content)
	var buf bytes.Buffer
	if _, err := backup.Create(ctx, &buf, backup.Node{Store: n.st, Blobs: n.blobs, DataDir: n.dir}, backup.Options{Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := backup.Restore(ctx, writeArchive(t, buf.Bytes()), backup.Target{DataDir: dir}, backup.RestoreOptions{Log: quietLog()}); err != nil {
		t.Fatal(err)
	}
	restored, err := openBlobs(ctx, filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := blob.ReadAll(ctx, restored, ref)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("large blob after the round trip: %d bytes, %v", len(got), err)
	}
}

// TestCorruptBlobFailsBackup: a blob whose stored bytes no longer match
// its ref stops the backup, naming it, instead of archiving bad evidence.
func TestCorruptBlobFailsBackup(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{1000, 9 << 20} { // read ahead, and streamed
		n := newNode(t, "", "")
		content := make([]byte, size)
		rand.Read(content)
		ref := scanWithBlob(t, n, content)
		var path string
		filepath.WalkDir(filepath.Join(n.dir, "blobs"), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == ref.Hex() {
				path = p
			}
			return nil
		})
		if path == "" {
			t.Fatal("blob file not found")
		}
		content[size/2] ^= 1
		os.Chmod(path, 0o644)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, err := backup.Create(ctx, &buf, backup.Node{Store: n.st, Blobs: n.blobs, DataDir: n.dir}, backup.Options{Log: quietLog()})
		if err == nil || !strings.Contains(err.Error(), ref.String()) {
			t.Errorf("backup with a corrupt %d-byte blob = %v, want a failure naming %s", size, err, ref)
		}
	}
}
