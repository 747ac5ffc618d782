package api

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/tracing"
)

type statsInput struct {
	From string `query:"from" pattern:"^([0-9]{4}-[0-9]{2})?$" doc:"first month of hits by month, YYYY-MM (default 11 months before to)"`
	To   string `query:"to" pattern:"^([0-9]{4}-[0-9]{2})?$" doc:"last month, YYYY-MM (default this month)"`
}

// TracingStats are the ministry tables of an agency.
type TracingStats struct {
	Firearms tracing.Table `json:"firearms" doc:"firearms by status and type"`
	Traces   tracing.Table `json:"traces" doc:"trace requests by status and addressee country"`
	Hits     tracing.Table `json:"hits" doc:"confirmed hits (case links) by month"`
}

type statsOutput struct{ Body TracingStats }

type statsCSVInput struct {
	statsInput
	Table string `query:"table" enum:"firearms,traces,hits" required:"true"`
}

type csvOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func (h *handler) statsRoutes() []route {
	tags := []string{"statistics"}
	return []route{
		newRoute(Read, huma.Operation{OperationID: "tracing-stats", Method: http.MethodGet, Path: "/api/stats/tracing",
			Summary: "Firearms by status and type, trace requests by status and country, hits by month", Tags: tags}, h.tracingStats),
		newRoute(Read, huma.Operation{OperationID: "tracing-stats-csv", Method: http.MethodGet, Path: "/api/stats/tracing.csv",
			Summary: "One statistics table as CSV", Tags: tags}, h.tracingStatsCSV),
	}
}

// months parses the month range: [from, to+1 month).
func (in statsInput) months() (time.Time, time.Time, error) {
	const op = "api.stats"
	now := time.Now().UTC()
	to := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if in.To != "" {
		t, err := time.Parse("2006-01", in.To)
		if err != nil {
			return time.Time{}, time.Time{}, errs.Errorf(op, errs.Invalid, "to %q: want YYYY-MM", in.To)
		}
		to = t
	}
	from := to.AddDate(0, -11, 0)
	if in.From != "" {
		t, err := time.Parse("2006-01", in.From)
		if err != nil {
			return time.Time{}, time.Time{}, errs.Errorf(op, errs.Invalid, "from %q: want YYYY-MM", in.From)
		}
		from = t
	}
	end := to.AddDate(0, 1, 0)
	if !from.Before(end) || end.Sub(from) > 10*366*24*time.Hour {
		return from, end, errs.Errorf(op, errs.Invalid, "month range %s..%s: from must not be after to, and at most 10 years", from.Format("2006-01"), to.Format("2006-01"))
	}
	return from, end, nil
}

func (h *handler) stats(ctx context.Context, agency domain.AgencyID, in statsInput) (TracingStats, error) {
	from, to, err := in.months()
	if err != nil {
		return TracingStats{}, err
	}
	fs, err := h.Store.AllFirearms(ctx, agency)
	if err != nil {
		return TracingStats{}, err
	}
	ts, err := h.Store.AllTraceRequests(ctx, agency)
	if err != nil {
		return TracingStats{}, err
	}
	links, err := h.Store.HitLinks(ctx, agency, from, to)
	if err != nil {
		return TracingStats{}, err
	}
	return TracingStats{Firearms: tracing.FirearmsByStatusAndType(fs), Traces: tracing.TraceRequestsByStatusAndCountry(ts),
		Hits: tracing.HitsByMonth(links, from, to)}, nil
}

func (h *handler) tracingStats(ctx context.Context, in *statsInput) (*statsOutput, error) {
	s, err := h.stats(ctx, actor(ctx).Agency, *in)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &statsOutput{Body: s}, nil
}

func (h *handler) tracingStatsCSV(ctx context.Context, in *statsCSVInput) (*csvOutput, error) {
	s, err := h.stats(ctx, actor(ctx).Agency, in.statsInput)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	t := map[string]tracing.Table{"firearms": s.Firearms, "traces": s.Traces, "hits": s.Hits}[in.Table]
	var buf bytes.Buffer
	if err := tracing.WriteCSV(&buf, t); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &csvOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + in.Table + `.csv"`, Body: buf.Bytes()}, nil
}
