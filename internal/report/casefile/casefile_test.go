package casefile_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/report/casefile"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// twoComparisons stores the Fadul pair in cases K-1 and K-2 with a third
// scan (the first file mirrored, a different surface) in K-1, and records
// two verified conclusions on K-1: the case report of the target.
func twoComparisons(tb testing.TB) (*server.Node, domain.CaseID, domain.UserID) {
	tb.Helper()
	ctx := context.Background()
	n, err := server.OpenLocal(ctx, server.Config{DataDir: tb.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	td := filepath.Join("..", "..", "x3p", "testdata")
	var scans []domain.Scan
	var cases []domain.CaseID
	for i, name := range []string{"Fadul 1-1.x3p", "Fadul 1-2.x3p"} {
		cs, err := n.Store.CreateCase(ctx, domain.Case{AgencyID: n.Agency.ID, Number: fmt.Sprintf("K-%d", i+1), Title: "Fadul"})
		must(err)
		cases = append(cases, cs.ID)
		ex, err := n.Store.CreateExhibit(ctx, domain.Exhibit{AgencyID: n.Agency.ID, CaseID: cs.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
		must(err)
		data, err := os.ReadFile(filepath.Join(td, name))
		must(err)
		res, err := n.Ingester.Ingest(ctx, ingest.Request{Agency: n.Agency.ID, Actor: n.User.ID, Exhibit: ex.ID, Name: name, Body: bytes.NewReader(data)})
		must(err)
		scans = append(scans, res.Scan)
	}
	ex, err := n.Store.CreateUser(ctx, domain.User{AgencyID: n.Agency.ID, Username: "ex", DisplayName: "Ана Examiner", Roles: []domain.Role{domain.RoleExaminer}})
	must(err)
	ver, err := n.Store.CreateUser(ctx, domain.User{AgencyID: n.Agency.ID, Username: "ver", Roles: []domain.Role{domain.RoleVerifier}})
	must(err)
	for i, pair := range [][2]domain.ScanID{{scans[0].ID, scans[1].ID}, {scans[1].ID, scans[0].ID}} {
		c, err := n.Store.RecordConclusion(ctx, store.Conclusion{AgencyID: n.Agency.ID, ScanA: pair[0], ScanB: pair[1],
			Examiner: []domain.UserID{ex.ID, ver.ID}[i], Conclusion: store.Identification, Notes: "agreement"})
		must(err)
		_, err = n.Store.VerifyConclusion(ctx, n.Agency.ID, c.ID, store.Check{By: []domain.UserID{ver.ID, ex.ID}[i], Conclusion: store.Identification})
		must(err)
	}
	return n, cases[0], ex.ID
}

func TestBuildCase(t *testing.T) {
	n, caseID, reader := twoComparisons(t)
	ctx := context.Background()
	src := casefile.Sources{Store: n.Store, Blobs: n.Blobs}
	issued := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	d, err := casefile.Build(ctx, src, casefile.Request{Agency: n.Agency.ID, Reader: reader, Case: caseID, IssuedAt: issued})
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != report.KindCase || len(d.Comparisons) != 2 || len(d.Exhibits) != 2 || len(d.Scans) != 2 || d.Number != "K-1-20261127-1000" {
		t.Fatalf("case data: kind %s, %d comparisons, %d exhibits, %d scans, number %s", d.Kind, len(d.Comparisons), len(d.Exhibits), len(d.Scans), d.Number)
	}
	for _, c := range d.Comparisons {
		if c.Conclusion != report.Identification || c.Verification == nil || c.Cartridge == nil || c.Cartridge.HighCMC == 0 || len(c.Image) == 0 {
			t.Errorf("comparison %s/%s: %+v", c.A, c.B, c)
		}
	}
	if d.Comparisons[0].A != "E1" || d.Comparisons[0].B != "K-2 E1" {
		t.Errorf("labels %q %q: the other case's exhibit should carry its case number", d.Comparisons[0].A, d.Comparisons[0].B)
	}
	_, err = casefile.Build(ctx, src, casefile.Request{Agency: n.Agency.ID})
	if errs.KindOf(err) != errs.Invalid {
		t.Errorf("neither case nor conclusion: %v", err)
	}
	_, err = casefile.Build(ctx, src, casefile.Request{Agency: n.Agency.ID, Case: domain.CaseID(n.Agency.ID)})
	if errs.KindOf(err) != errs.NotFound {
		t.Errorf("missing case: %v", err)
	}
}

// BenchmarkCaseReport renders the case report with two comparisons of
// the Fadul pair (issue 9 target: ≤ 2 s), split into Build (records and
// engine comparisons) and Render (PDF).
func BenchmarkCaseReport(b *testing.B) {
	n, caseID, reader := twoComparisons(b)
	ctx := context.Background()
	src := casefile.Sources{Store: n.Store, Blobs: n.Blobs}
	req := casefile.Request{Agency: n.Agency.ID, Reader: reader, Case: caseID, IssuedAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	var build, render time.Duration
	for range b.N {
		t0 := time.Now()
		d, err := casefile.Build(ctx, src, req)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := report.Render(d, "ru", nil); err != nil {
			b.Fatal(err)
		}
		build += t1.Sub(t0)
		render += time.Since(t1)
	}
	b.ReportMetric(float64(build.Milliseconds())/float64(b.N), "build-ms/op")
	b.ReportMetric(float64(render.Milliseconds())/float64(b.N), "render-ms/op")
}
