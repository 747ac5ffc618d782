package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// backupFixture makes a data folder with a scan, its blob and an audit entry.
func backupFixture(t *testing.T) (dir string, original []byte) {
	t.Helper()
	ctx := context.Background()
	dir = filepath.Join(t.TempDir(), "data")
	st, err := store.Open(ctx, filepath.Join(dir, "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := audit.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	ag, err := st.CreateAgency(ctx, domain.Agency{Code: "CLI", Name: "CLI lab"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateCase(ctx, domain.Case{AgencyID: ag.ID, Number: "C-1", Status: domain.CaseOpen})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.CreateExhibit(ctx, domain.Exhibit{AgencyID: ag.ID, CaseID: c.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
	if err != nil {
		t.Fatal(err)
	}
	original = []byte("a distinctive original scan file for the tamper test")
	ref, size, err := blobs.Receive(ctx, bytes.NewReader(original), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutScan(ctx, domain.Scan{AgencyID: ag.ID, ExhibitID: e.ID, Original: ref, Size: size, Format: domain.FormatX3P}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.New(st, key).Append(ctx, audit.Record{Agency: string(ag.ID), Action: "scan.create", ObjectType: "scan"}); err != nil {
		t.Fatal(err)
	}
	return dir, original
}

func TestBackupVerifyRestoreCommands(t *testing.T) {
	data, original := backupFixture(t)
	tmp := t.TempDir()
	for _, name := range []string{"b.tar", "b.tar.gz", "b.tar.zst"} {
		archive := filepath.Join(tmp, name)
		out, _, err := runCmd(t, newBackupCmd(), "--data", data, "-o", archive)
		if err != nil || !strings.Contains(out, "wrote "+archive) {
			t.Fatalf("backup -o %s: %q, %v", name, out, err)
		}
		out, _, err = runCmd(t, newBackupCmd(), "verify", archive, "--public-key", filepath.Join(data, audit.PublicKeyFile))
		if err != nil || !strings.Contains(out, "every SHA-256 matches") || !strings.Contains(out, "signed by the trusted key") {
			t.Fatalf("backup verify %s: %q, %v", name, out, err)
		}
		restored := filepath.Join(tmp, "restored-"+name)
		out, _, err = runCmd(t, newRestoreCmd(), archive, "--data", restored)
		if err != nil || !strings.Contains(out, "audit log intact") {
			t.Fatalf("restore %s: %q, %v", name, out, err)
		}
		if _, _, err := runCmd(t, newRestoreCmd(), archive, "--data", restored); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("restore into the restored folder again = %v, want a refusal", err)
		}
	}
	if _, _, err := runCmd(t, newBackupCmd(), "--data", data, "-o", filepath.Join(tmp, "b.tar")); err == nil {
		t.Error("backup overwrote an existing archive")
	}

	// One byte changed in the scan's blob: refused, naming the entry.
	raw, err := os.ReadFile(filepath.Join(tmp, "b.tar"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, original)
	if i < 0 {
		t.Fatal("the blob is not in the plain tar")
	}
	raw[i] ^= 0x20
	bad := filepath.Join(tmp, "bad.tar")
	if err := os.WriteFile(bad, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCmd(t, newBackupCmd(), "verify", bad)
	if err == nil || !strings.Contains(err.Error(), "BACKUP REFUSED") || !strings.Contains(err.Error(), "blobs/sha256-") {
		t.Fatalf("verify of a tampered archive = %v, want a refusal naming the blob entry", err)
	}
	if _, _, err := runCmd(t, newRestoreCmd(), bad, "--data", filepath.Join(tmp, "never")); err == nil {
		t.Fatal("restore accepted a tampered archive")
	}
	if _, err := os.Stat(filepath.Join(tmp, "never")); err == nil {
		t.Error("a refused restore created its target folder")
	}
}

// TestBackupMissingBlobFails: a backup that cannot copy a blob the
// database names still writes the archive but exits 1, so a scheduled
// backup pointed at the wrong blob store does not pass unnoticed.
func TestBackupMissingBlobFails(t *testing.T) {
	data, _ := backupFixture(t)
	if err := os.RemoveAll(filepath.Join(data, "blobs")); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "b.tar")
	_, errOut, err := runCmd(t, newBackupCmd(), "--data", data, "-o", archive)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(errOut, "BACKUP INCOMPLETE") {
		t.Fatalf("backup with a missing blob = %v, %q; want exit status 1 and a warning", err, errOut)
	}
	if _, err := os.Stat(archive); err != nil {
		t.Errorf("the incomplete archive was not kept: %v", err)
	}
}
