package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// TestPeerAndExchangeCommands: two nodes swap cards, one exports a case as a
// bundle, the other verifies and imports it; a second import, a tampered
// bundle and a revoked peer are refused.
func TestPeerAndExchangeCommands(t *testing.T) {
	tmp := t.TempDir()
	kz, uz := filepath.Join(tmp, "kz"), filepath.Join(tmp, "uz")
	card := func(data, country, node string) string {
		out, _, err := runCmd(t, newPeerCmd(), "card", "--data", data, "--country", country, "--node", node)
		if err != nil || !strings.Contains(out, `"cert_fingerprint": "SHA256:`) {
			t.Fatalf("peer card: %q %v", out, err)
		}
		path := filepath.Join(tmp, node+".json")
		os.WriteFile(path, []byte(out), 0o600)
		return path
	}
	kzCard := card(kz, "KZ", "kz-mia")
	uzCard := card(uz, "UZ", "uz-mfc")
	if _, _, err := runCmd(t, newPeerCmd(), "add", uzCard, "--data", kz, "--country", "KZ"); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runCmd(t, newPeerCmd(), "add", kzCard, "--data", uz, "--country", "UZ"); err != nil || !strings.Contains(out, "trusted kz-mia (KZ)") {
		t.Fatalf("peer add: %q %v", out, err)
	}
	if out, _, err := runCmd(t, newPeerCmd(), "list", "--data", uz, "--country", "UZ"); err != nil || !strings.Contains(out, "kz-mia") || !strings.Contains(out, "trusted") {
		t.Errorf("peer list: %q %v", out, err)
	}

	// A case of KZ's default agency, exported as a bundle.
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(kz, "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	ag, err := st.AgencyByCode(ctx, "LAB")
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateCase(ctx, domain.Case{AgencyID: ag.ID, Number: "KZ-2025-1", Title: "border seizure"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(tmp, "case.zip")
	uzFP := fingerprintOf(t, uzCard)
	exportArgs := []string{"export", "--data", kz, "--country", "KZ", "--case", string(c.ID), "--out", bundle, "--to", uzFP}
	if _, _, err := runCmd(t, newExchangeCmd(), exportArgs[:len(exportArgs)-2]...); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Errorf("export without --to: %v", err)
	}
	// Nothing leaves without a sharing rule; a rule for scores is not enough.
	if _, _, err := runCmd(t, newExchangeCmd(), exportArgs...); err == nil || !strings.Contains(err.Error(), "do not let cases go to peer uz-mfc") {
		t.Fatalf("export without a sharing rule: %v", err)
	}
	share := func(detail string) string {
		out, _, err := runCmd(t, newPeerCmd(), "share", uzFP, "--kind", "cases", "--detail", detail, "--data", kz, "--country", "KZ")
		if err != nil || !strings.Contains(out, "LAB shares cases with "+uzFP+" at "+detail) {
			t.Fatalf("peer share: %q %v", out, err)
		}
		return strings.Fields(out)[1]
	}
	scoresRule := strings.TrimSuffix(share("scores"), ":")
	if _, _, err := runCmd(t, newExchangeCmd(), exportArgs...); err == nil || !strings.Contains(err.Error(), "allows only scores") {
		t.Fatalf("export with a scores rule: %v", err)
	}
	share("full")
	if out, _, err := runCmd(t, newPeerCmd(), "rules", "--data", kz, "--country", "KZ"); err != nil || strings.Count(out, "active") != 2 {
		t.Errorf("peer rules: %q %v", out, err)
	}
	if out, _, err := runCmd(t, newPeerCmd(), "unshare", scoresRule, "--data", kz, "--country", "KZ"); err != nil || !strings.Contains(out, "revoked") {
		t.Errorf("peer unshare: %q %v", out, err)
	}
	if _, _, err := runCmd(t, newPeerCmd(), "share", uzFP, "--kind", "guns", "--detail", "full", "--data", kz, "--country", "KZ"); err == nil || !strings.Contains(err.Error(), "record kind") {
		t.Errorf("share of an unknown kind: %v", err)
	}
	if out, _, err := runCmd(t, newExchangeCmd(), exportArgs...); err != nil || !strings.Contains(out, "signed by kz-mia") {
		t.Fatalf("export: %q %v", out, err)
	}
	if out, _, err := runCmd(t, newExchangeCmd(), "verify", bundle, "--data", uz, "--country", "UZ"); err != nil || !strings.HasPrefix(out, "valid") {
		t.Errorf("verify: %q %v", out, err)
	}
	if out, _, err := runCmd(t, newExchangeCmd(), "import", bundle, "--data", uz, "--country", "UZ"); err != nil || !strings.Contains(out, "1 cases") || !strings.Contains(out, "(LAB, KZ)") {
		t.Errorf("import: %q %v", out, err)
	}
	if _, _, err := runCmd(t, newExchangeCmd(), "import", bundle, "--data", uz, "--country", "UZ"); err == nil || !strings.Contains(err.Error(), "imported before") {
		t.Errorf("second import: %v", err)
	}
	tampered := filepath.Join(tmp, "tampered.zip")
	os.WriteFile(tampered, rewriteMember(t, bundle, "records/cases/", "border", "harbour"), 0o600)
	out, _, err := runCmd(t, newExchangeCmd(), "verify", tampered, "--data", uz, "--country", "UZ")
	var ee exitError
	if !errors.As(err, &ee) || !strings.Contains(out, "records/cases/") {
		t.Errorf("verify tampered: %q %v", out, err)
	}
	// Revoked: the bundle is no longer accepted.
	fp := fingerprintOf(t, kzCard)
	if _, _, err := runCmd(t, newPeerCmd(), "revoke", fp, "--data", uz, "--country", "UZ"); err == nil {
		t.Error("revoke without a reason was accepted")
	}
	if _, _, err := runCmd(t, newPeerCmd(), "revoke", fp, "--reason", "key lost", "--data", uz, "--country", "UZ"); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runCmd(t, newExchangeCmd(), "verify", bundle, "--data", uz, "--country", "UZ"); !errors.As(err, &ee) || !strings.Contains(out, "revoked") {
		t.Errorf("verify after revoking the key: %q %v", out, err)
	}
}

func fingerprintOf(t *testing.T, cardFile string) string {
	t.Helper()
	b, _ := os.ReadFile(cardFile)
	i := bytes.Index(b, []byte(`"fingerprint": "`))
	if i < 0 {
		t.Fatalf("no fingerprint in %s", b)
	}
	rest := b[i+len(`"fingerprint": "`):]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

func rewriteMember(t *testing.T, path, prefix, from, to string) []byte {
	t.Helper()
	data, _ := os.ReadFile(path)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasPrefix(f.Name, prefix) {
			b = bytes.Replace(b, []byte(from), []byte(to), 1)
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	return out.Bytes()
}
