package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/report/casefile"
	"github.com/tracemark/tracemark/internal/store"
)

// TestCaseReport records and verifies an identification of the Fadul pair,
// renders the case report through the API, and checks that it is the file
// casefile.Render makes from the same records (what `tracemark report
// case` calls), that its hash is in the audit trail, and that a pending
// conclusion stays out of a colleague's report.
func TestCaseReport(t *testing.T) {
	n, srv := testNode(t, 0)
	ex := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	ver := user(t, n, srv.URL, "ver", domain.RoleVerifier)
	up1, up2 := fadulPair(t, ex, fixture(t, "Fadul 1-1.x3p"), fixture(t, "Fadul 1-2.x3p"))

	var c api.ConclusionView
	if st := ex.json(http.MethodPost, "/api/conclusions", api.ConclusionInput{ScanA: up1.Scan.ID, ScanB: up2.Scan.ID,
		Conclusion: store.Identification, Notes: "breech-face marks agree"}, &c); st != http.StatusCreated {
		t.Fatalf("record: %d", st)
	}
	caseA := c.CaseA
	// Before verification the verifier's report leaves the conclusion out.
	pending := postPDF(t, ver, "/api/cases/"+string(caseA)+"/report", api.ReportInput{Lang: "en"})
	if st := ver.json(http.MethodPost, "/api/conclusions/"+string(c.ID)+"/report", api.ReportInput{}, nil); st != http.StatusForbidden {
		t.Errorf("a colleague's report on a pending conclusion: %d, want 403", st)
	}
	if st := ver.json(http.MethodPost, "/api/conclusions/"+string(c.ID)+"/verification", api.CheckInput{Conclusion: store.Identification}, nil); st != http.StatusOK {
		t.Fatalf("verify: %d", st)
	}

	issued := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	start := time.Now()
	pdf := postPDF(t, ex, "/api/cases/"+string(caseA)+"/report", api.ReportInput{Lang: "ru", IssuedAt: issued, TimeZone: "Asia/Almaty"})
	t.Logf("case report with 1 comparison: %d bytes in %v", len(pdf.body), time.Since(start))
	if len(pending.body) >= len(pdf.body) {
		t.Errorf("the report without the pending comparison (%d bytes) is not smaller than with it (%d)", len(pending.body), len(pdf.body))
	}

	// The same function over the same records gives the same bytes.
	out, d, err := casefile.Render(context.Background(), casefile.Sources{Store: n.Store, Blobs: n.Blobs},
		casefile.Request{Agency: n.Agency.ID, Case: caseA, IssuedAt: issued, TimeZone: "Asia/Almaty"}, "ru", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.PDF, pdf.body) || out.SHA256 != pdf.sha {
		t.Errorf("API report (%s) differs from casefile.Render (%s)", pdf.sha, out.SHA256)
	}
	if len(d.Comparisons) != 1 || d.Comparisons[0].Verification == nil || d.Comparisons[0].Cartridge == nil || len(d.Comparisons[0].Image) == 0 {
		t.Errorf("report data: %d comparisons %+v", len(d.Comparisons), d.Comparisons)
	}

	rows, err := n.Store.AuditRows(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if r.Action == "report.render" && strings.Contains(r.Details, pdf.sha) && r.CaseID == string(caseA) {
			found = true
		}
	}
	if !found {
		t.Errorf("no report.render audit entry with the hash %s", pdf.sha)
	}

	if text := pdfText(t, pdf.body); text != "" {
		for _, want := range []string{"C-1", "breech-face marks agree"} {
			if !strings.Contains(text, want) {
				t.Errorf("report text lacks %q", want)
			}
		}
	}
	// The review sheet of a finished run and the evidence receipt of the case.
	ctx := context.Background()
	run, err := n.Store.CreateRun(ctx, domain.CorrelationRun{AgencyID: n.Agency.ID, QueryScan: up2.Scan.ID})
	if err != nil {
		t.Fatal(err)
	}
	if st := ex.json(http.MethodPost, "/api/runs/"+string(run.ID)+"/review-sheet", api.ReportInput{}, nil); st != http.StatusConflict {
		t.Errorf("review sheet of an unfinished run: %d, want 409", st)
	}
	if err := n.Store.CompleteRun(ctx, n.Agency.ID, run.ID, nil, []domain.Candidate{{Scan: up1.Scan.ID, Rank: 1, Score: 4.2}}); err != nil {
		t.Fatal(err)
	}
	sheet := postPDF(t, ex, "/api/runs/"+string(run.ID)+"/review-sheet", api.ReportInput{Lang: "ky"})
	receipt := postPDF(t, ex, "/api/cases/"+string(caseA)+"/receipt", api.ReportInput{Lang: "tg"})
	for name, doc := range map[string]pdfAnswer{"review sheet": sheet, "receipt": receipt} {
		if text := pdfText(t, doc.body); text != "" && !strings.Contains(text, "C-1") {
			t.Errorf("%s lacks the case number C-1:\n%s", name, text)
		}
	}
	if st := ex.json(http.MethodPost, "/api/cases/0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b/report", api.ReportInput{}, nil); st != http.StatusNotFound {
		t.Errorf("report of a missing case: %d", st)
	}
}

type pdfAnswer struct {
	body []byte
	sha  string
}

func postPDF(t *testing.T, c client, path string, in api.ReportInput) pdfAnswer {
	t.Helper()
	resp := c.raw(http.MethodPost, path, strings.NewReader(jsonText(in)), "application/json")
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("POST %s: %d %s %.200s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	sum := sha256.Sum256(b)
	if got := resp.Header.Get("X-Report-SHA256"); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("X-Report-SHA256 %q is not the body's hash", got)
	}
	return pdfAnswer{body: b, sha: hex.EncodeToString(sum[:])}
}

// pdfText extracts a PDF's text with pdftotext ("" when it is not installed).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed; text not checked")
		return ""
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
