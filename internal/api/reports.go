package api

import (
	"cmp"
	"context"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	document "github.com/tracemark/tracemark/internal/report"
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

// reportBodyTimeout replaces huma's 5 s read deadline on report requests:
// huma leaves that deadline on the connection after reading the body, and
// when it passes the server cancels the request's context, so a report
// that takes longer than 5 s to render (a large case, a busy machine)
// would be abandoned.
const reportBodyTimeout = 5 * time.Minute

func (h *handler) reportRoutes() []route {
	pdf := map[string]*huma.Response{"200": {Description: "the report (PDF); X-Report-SHA256 is recorded in the audit trail",
		Content: map[string]*huma.MediaType{"application/pdf": {}}}}
	return []route{
		newRoute(Read, huma.Operation{OperationID: "render-case-report", Method: http.MethodPost, Path: "/api/cases/{id}/report",
			Summary: "The expert report of a case (every reportable conclusion with images, scores and verification) as PDF",
			Tags:    []string{"reports"}, BodyReadTimeout: reportBodyTimeout, Responses: pdf}, h.caseReport),
		newRoute(Read, huma.Operation{OperationID: "render-review-sheet", Method: http.MethodPost, Path: "/api/runs/{id}/review-sheet",
			Summary: "The review sheet of a run's candidate list as PDF", Tags: []string{"reports"}, BodyReadTimeout: reportBodyTimeout, Responses: pdf}, h.reviewSheet),
		newRoute(Read, huma.Operation{OperationID: "render-receipt", Method: http.MethodPost, Path: "/api/cases/{id}/receipt",
			Summary: "The evidence receipt of a case (its exhibits and how they were received) as PDF", Tags: []string{"reports"}, BodyReadTimeout: reportBodyTimeout, Responses: pdf}, h.receipt),
		newRoute(Read, huma.Operation{OperationID: "render-comparison-report", Method: http.MethodPost, Path: "/api/conclusions/{id}/report",
			Summary: "The expert report of one comparison and its conclusion as PDF",
			Tags:    []string{"reports"}, BodyReadTimeout: reportBodyTimeout, Responses: pdf}, h.comparisonReport),
	}
}

func (h *handler) caseReport(ctx context.Context, in *caseReportInput) (*pdfOutput, error) {
	return h.renderReport(ctx, in.Body, casefile.Request{Case: domain.CaseID(in.ID)})
}

func (h *handler) comparisonReport(ctx context.Context, in *conclusionReportInput) (*pdfOutput, error) {
	return h.renderReport(ctx, in.Body, casefile.Request{Conclusion: store.ConclusionID(in.ID)})
}

type runReportInput struct {
	ID   string `path:"id" doc:"run ID"`
	Body ReportInput
}

func (h *handler) reviewSheet(ctx context.Context, in *runReportInput) (*pdfOutput, error) {
	a := actor(ctx)
	d, err := casefile.ReviewSheet(ctx, h.sources(), a.Agency, domain.RunID(in.ID), in.Body.IssuedAt)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return h.renderDocument(ctx, d, in.Body, "run", in.ID)
}

func (h *handler) receipt(ctx context.Context, in *caseReportInput) (*pdfOutput, error) {
	a := actor(ctx)
	d, err := casefile.Receipt(ctx, h.sources(), a.Agency, domain.CaseID(in.ID), in.Body.IssuedAt)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return h.renderDocument(ctx, d, in.Body, "case", in.ID)
}

func (h *handler) sources() casefile.Sources {
	return casefile.Sources{Store: h.Store, Blobs: h.Blobs, Version: h.Version}
}

// renderDocument renders d, records its hash and answers the PDF.
func (h *handler) renderDocument(ctx context.Context, d *document.Data, in ReportInput, object, id string) (*pdfOutput, error) {
	d.TimeZone = in.TimeZone
	lang := cmp.Or(in.Lang, "en")
	out, err := document.Render(d, lang, h.ReportTemplates)
	if err != nil {
		return nil, h.fail(ctx, errs.E("api.report", errs.Invalid, err))
	}
	return h.answerPDF(ctx, out, d, lang, object, id)
}

func (h *handler) renderReport(ctx context.Context, in ReportInput, req casefile.Request) (*pdfOutput, error) {
	a := actor(ctx)
	req.Agency, req.Reader, req.IssuedAt, req.TimeZone = a.Agency, a.User, in.IssuedAt, in.TimeZone
	lang := in.Lang
	if lang == "" {
		lang = "en"
	}
	out, d, err := casefile.Render(ctx, h.sources(), req, lang, h.ReportTemplates)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	object, id := "case", string(d.Case.ID)
	if req.Conclusion != "" {
		object, id = "conclusion", string(req.Conclusion)
	}
	return h.answerPDF(ctx, out, d, lang, object, id)
}

// answerPDF records the report's hash in the audit trail and answers it.
func (h *handler) answerPDF(ctx context.Context, out *document.Output, d *document.Data, lang, object, id string) (*pdfOutput, error) {
	if err := h.record(ctx, "report.render", object, id, d.Case.ID, casefile.AuditDetails(out, d, lang)); err != nil {
		return nil, err
	}
	name := strings.NewReplacer("/", "-", "\\", "-").Replace(out.Number) + ".pdf"
	return &pdfOutput{ContentType: "application/pdf", SHA256: out.SHA256, Number: out.Number, Body: out.PDF,
		ContentDisposition: mime.FormatMediaType("attachment", map[string]string{"filename": name})}, nil
}
