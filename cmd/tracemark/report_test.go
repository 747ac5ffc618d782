package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/report/casefile"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

func runReportCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newReportCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestReportCmd(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"comparison", "case", "review-sheet", "trace-request", "receipt"} {
		pdf := filepath.Join(dir, kind+".pdf")
		out, err := runReportCmd(t, "--in", filepath.Join("..", "..", "internal", "report", "testdata", kind+".json"), "--lang", "kk", "-o", pdf)
		if err != nil {
			t.Fatalf("%s: %v\n%s", kind, err, out)
		}
		b, err := os.ReadFile(pdf)
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("%s: not a PDF (%v)", kind, err)
		}
		sum := sha256.Sum256(b)
		if !strings.Contains(out, hex.EncodeToString(sum[:])) {
			t.Errorf("%s: printed hash is not the file's SHA-256:\n%s", kind, out)
		}
	}
	if _, err := runReportCmd(t, "--in", filepath.Join("..", "..", "internal", "report", "testdata", "case.json"), "--kind", "memo", "-o", filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := runReportCmd(t, "--in", "no-such.json", "-o", filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("missing input accepted")
	}
}

func TestReportDemoCmd(t *testing.T) {
	pdf := filepath.Join(t.TempDir(), "demo.pdf")
	td := filepath.Join("..", "..", "internal", "x3p", "testdata")
	out, err := runReportCmd(t, "demo", "--lang", "uz-Latn", "-o", pdf, "--a", filepath.Join(td, "Fadul 1-1.x3p"), "--b", filepath.Join(td, "Fadul 1-2.x3p"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "sha256 ") {
		t.Errorf("no hash printed:\n%s", out)
	}
}

// TestReportCaseCmd records a verified conclusion on the Fadul pair in a
// node's data folder and renders the case report from the command line:
// it must be the file casefile.Render (the API's function) makes for the
// same records and date, and its hash must land in the audit trail.
func TestReportCaseCmd(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	n, err := server.OpenLocal(ctx, server.Config{DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var scans []domain.Scan
	for i, name := range []string{"Fadul 1-1.x3p", "Fadul 1-2.x3p"} {
		cs, err := n.Store.CreateCase(ctx, domain.Case{AgencyID: n.Agency.ID, Number: fmt.Sprintf("K-%d", i+1)})
		must(err)
		ex, err := n.Store.CreateExhibit(ctx, domain.Exhibit{AgencyID: n.Agency.ID, CaseID: cs.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
		must(err)
		f, err := os.Open(filepath.Join("..", "..", "internal", "x3p", "testdata", name))
		must(err)
		res, err := n.Ingester.Ingest(ctx, ingest.Request{Agency: n.Agency.ID, Actor: n.User.ID, Exhibit: ex.ID, Name: name, Body: f})
		f.Close()
		must(err)
		scans = append(scans, res.Scan)
	}
	examiner, err := n.Store.CreateUser(ctx, domain.User{AgencyID: n.Agency.ID, Username: "aigerim", DisplayName: "Айгерим Нурланова", Roles: []domain.Role{domain.RoleExaminer}})
	must(err)
	verifier, err := n.Store.CreateUser(ctx, domain.User{AgencyID: n.Agency.ID, Username: "timur", DisplayName: "Тимур Ахмедов", Roles: []domain.Role{domain.RoleVerifier}})
	must(err)
	c, err := n.Store.RecordConclusion(ctx, store.Conclusion{AgencyID: n.Agency.ID, ScanA: scans[0].ID, ScanB: scans[1].ID, Examiner: examiner.ID, Conclusion: store.Identification})
	must(err)
	_, err = n.Store.VerifyConclusion(ctx, n.Agency.ID, c.ID, store.Check{By: verifier.ID, Conclusion: store.Identification})
	must(err)
	issued := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	want, _, err := casefile.Render(ctx, casefile.Sources{Store: n.Store, Blobs: n.Blobs},
		casefile.Request{Agency: n.Agency.ID, Case: c.CaseA, IssuedAt: issued}, "kk", nil)
	must(err)
	n.Close()

	pdf := filepath.Join(dir, "case.pdf")
	out, err := runReportCmd(t, "case", "--data", dir, "--case", "K-1", "--lang", "kk", "--issued", issued.Format(time.RFC3339), "-o", pdf)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got, err := os.ReadFile(pdf)
	must(err)
	if !bytes.Equal(got, want.PDF) {
		t.Errorf("the command's report (%d bytes) differs from casefile.Render's (%d bytes)", len(got), len(want.PDF))
	}
	if !strings.Contains(out, want.SHA256) || !strings.Contains(out, "1 comparisons") {
		t.Errorf("output: %s", out)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "tracemark.db"))
	must(err)
	defer st.Close()
	rows, err := st.AuditRows(ctx, store.AuditFilter{})
	must(err)
	found := false
	for _, r := range rows {
		found = found || r.Action == "report.render" && strings.Contains(r.Details, want.SHA256)
	}
	if !found {
		t.Error("the report's hash is not in the audit trail")
	}
	if _, err := runReportCmd(t, "case", "--data", dir, "--case", "NO-SUCH", "-o", pdf); err == nil {
		t.Error("a missing case was accepted")
	}
}
