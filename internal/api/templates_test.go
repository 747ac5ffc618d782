package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/server"
)

// TestReportLabTemplates: the laboratory's templates given to the server
// (serve --report-templates) shape the documents the workstation's buttons
// produce, as they shape those of `tracemark report --templates`.
func TestReportLabTemplates(t *testing.T) {
	tdir := t.TempDir()
	const header = "Forensic Centre of the Test Ministry"
	if err := os.WriteFile(filepath.Join(tdir, "template.json"), []byte(`{"header": "`+header+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, err := report.LoadTemplates(tdir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), NATSListen: "off", K: 5, ReportTemplates: tpl,
		Auth: auth.Config{Params: fastHash, IPRate: 1000, IPBurst: 1000, UserRate: 1000, UserBurst: 1000},
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(func() { srv.Close(); n.Close() })

	ex := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	e := newExhibit(t, ex, "LAB-1")
	receipt := postPDF(t, ex, "/api/cases/"+string(e.CaseID)+"/receipt", api.ReportInput{Lang: "en"})
	text := pdfText(t, receipt.body)
	if text != "" && !strings.Contains(strings.Join(strings.Fields(text), " "), header) {
		t.Errorf("the receipt lacks the laboratory's header %q:\n%.600s", header, text)
	}
}
