package api

import (
	"context"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/report/casefile"
	"github.com/tracemark/tracemark/internal/store"
)

// ReportInput chooses the language and date of a report.
type ReportInput struct {
	Lang     string    `json:"lang,omitempty" enum:"en,ru,kk,uz-Latn,ky,tg,tk," doc:"language (default en)"`
	IssuedAt time.Time `json:"issued_at,omitzero" doc:"report date (default now, to the minute); the same records and date give the same file"`
	TimeZone string    `json:"time_zone,omitempty" maxLength:"64" doc:"IANA zone of the dates shown, e.g. Asia/Almaty (default UTC)"`
}

type caseReportInput struct {
	ID   string `path:"id" doc:"case ID"`
	Body ReportInput
}

type conclusionReportInput struct {
	ID   string `path:"id" doc:"conclusion ID"`
	Body ReportInput
}

type pdfOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	SHA256             string `header:"X-Report-SHA256"`
	Number             string `header:"X-Report-Number"`
	Body               []byte
}

func (h *handler) reportRoutes() []route {
	pdf := map[string]*huma.Response{"200": {Description: "the report (PDF); X-Report-SHA256 is recorded in the audit trail",
		Content: map[string]*huma.MediaType{"application/pdf": {}}}}
	return []route{
		newRoute(Read, huma.Operation{OperationID: "render-case-report", Method: http.MethodPost, Path: "/api/cases/{id}/report",
			Summary: "The expert report of a case (every reportable conclusion with images, scores and verification) as PDF",
			Tags:    []string{"reports"}, Responses: pdf}, h.caseReport),
		newRoute(Read, huma.Operation{OperationID: "render-comparison-report", Method: http.MethodPost, Path: "/api/conclusions/{id}/report",
			Summary: "The expert report of one comparison and its conclusion as PDF",
			Tags:    []string{"reports"}, Responses: pdf}, h.comparisonReport),
	}
}

func (h *handler) caseReport(ctx context.Context, in *caseReportInput) (*pdfOutput, error) {
	return h.renderReport(ctx, in.Body, casefile.Request{Case: domain.CaseID(in.ID)})
}

func (h *handler) comparisonReport(ctx context.Context, in *conclusionReportInput) (*pdfOutput, error) {
	return h.renderReport(ctx, in.Body, casefile.Request{Conclusion: store.ConclusionID(in.ID)})
}

func (h *handler) renderReport(ctx context.Context, in ReportInput, req casefile.Request) (*pdfOutput, error) {
	a := actor(ctx)
	req.Agency, req.Reader, req.IssuedAt, req.TimeZone = a.Agency, a.User, in.IssuedAt, in.TimeZone
	lang := in.Lang
	if lang == "" {
		lang = "en"
	}
	out, d, err := casefile.Render(ctx, casefile.Sources{Store: h.Store, Blobs: h.Blobs, Version: h.Version}, req, lang, nil)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	object, id := "case", string(d.Case.ID)
	if req.Conclusion != "" {
		object, id = "conclusion", string(req.Conclusion)
	}
	if err := h.record(ctx, "report.render", object, id, d.Case.ID, casefile.AuditDetails(out, d, lang)); err != nil {
		return nil, err
	}
	name := strings.NewReplacer("/", "-", "\\", "-").Replace(out.Number) + ".pdf"
	return &pdfOutput{ContentType: "application/pdf", SHA256: out.SHA256, Number: out.Number, Body: out.PDF,
		ContentDisposition: mime.FormatMediaType("attachment", map[string]string{"filename": name})}, nil
}
