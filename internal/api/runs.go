package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

type listRunsInput struct {
	Status string `query:"status" enum:"queued,running,done,failed," doc:"only runs with this status"`
	Scan   string `query:"scan" doc:"only runs of this query scan"`
	pageInput
}

type runsOutput struct {
	Body struct {
		Items      []domain.CorrelationRun `json:"items"`
		NextCursor string                  `json:"next_cursor,omitempty"`
	}
}

type runIDInput struct {
	ID string `path:"id" doc:"run ID"`
}

type runOutput struct {
	Body domain.CorrelationRun
}

type listCandidatesInput struct {
	ID     string   `path:"id" doc:"run ID"`
	Status []string `query:"status,explode" enum:"unreviewed,viewed,potential_hit,confirmed,excluded" doc:"only candidates whose review status is one of these"`
	pageInput
}

// CandidateView is a candidate with what a list shows about it.
type CandidateView struct {
	domain.Candidate
	// Exhibit and Case of the candidate scan (empty when it belongs to
	// another agency, whose records the actor cannot see).
	Exhibit *domain.Exhibit `json:"exhibit,omitempty"`
	Case    *domain.Case    `json:"case,omitempty"`
}

type candidatesOutput struct {
	Body struct {
		Run        domain.CorrelationRun `json:"run"`
		Items      []CandidateView       `json:"items"`
		NextCursor string                `json:"next_cursor,omitempty"`
	}
}

func (h *handler) runRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-runs", Method: http.MethodGet, Path: "/api/runs",
			Summary: "List correlation runs, newest first", Tags: []string{"runs"}}, h.listRuns),
		newRoute(Read, huma.Operation{OperationID: "get-run", Method: http.MethodGet, Path: "/api/runs/{id}",
			Summary: "A correlation run", Tags: []string{"runs"}}, h.getRun),
		newRoute(Read, huma.Operation{OperationID: "list-candidates", Method: http.MethodGet, Path: "/api/runs/{id}/candidates",
			Summary: "The ranked candidate list of a run", Tags: []string{"runs"}}, h.listCandidates),
	}
}

func (h *handler) listRuns(ctx context.Context, in *listRunsInput) (*runsOutput, error) {
	a := actor(ctx)
	items, next, err := h.Store.ListRuns(ctx, store.RunFilter{Agency: a.Agency, Status: domain.RunStatus(in.Status), QueryScan: domain.ScanID(in.Scan)},
		store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "run.list", "run", "", "", map[string]any{"status": in.Status, "scan": in.Scan}); err != nil {
		return nil, err
	}
	out := &runsOutput{}
	out.Body.Items, out.Body.NextCursor = nonNil(items), next
	return out, nil
}

func (h *handler) getRun(ctx context.Context, in *runIDInput) (*runOutput, error) {
	a := actor(ctx)
	r, err := h.Store.Run(ctx, a.Agency, domain.RunID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "run.view", "run", string(r.ID), "", nil); err != nil {
		return nil, err
	}
	return &runOutput{Body: r}, nil
}

func (h *handler) listCandidates(ctx context.Context, in *listCandidatesInput) (*candidatesOutput, error) {
	a := actor(ctx)
	run, err := h.Store.Run(ctx, a.Agency, domain.RunID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	var statuses []domain.ReviewStatus
	for _, s := range in.Status {
		statuses = append(statuses, domain.ReviewStatus(s))
	}
	items, next, err := h.Store.ListCandidates(ctx, store.CandidateFilter{Agency: a.Agency, Run: run.ID, Statuses: statuses},
		store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "run.candidates", "run", string(run.ID), "", map[string]any{"statuses": in.Status, "cursor": in.Cursor}); err != nil {
		return nil, err
	}
	out := &candidatesOutput{}
	out.Body.Run, out.Body.NextCursor = run, next
	out.Body.Items = make([]CandidateView, 0, len(items))
	exhibits := map[domain.ExhibitID]*domain.Exhibit{}
	cases := map[domain.CaseID]*domain.Case{}
	for _, c := range items {
		v := CandidateView{Candidate: c}
		if sc, err := h.Store.Scan(ctx, a.Agency, c.Scan); err == nil {
			v.Exhibit, v.Case = h.exhibitAndCase(ctx, a.Agency, sc.ExhibitID, exhibits, cases)
		}
		out.Body.Items = append(out.Body.Items, v)
	}
	return out, nil
}

func (h *handler) exhibitAndCase(ctx context.Context, agency domain.AgencyID, id domain.ExhibitID,
	exhibits map[domain.ExhibitID]*domain.Exhibit, cases map[domain.CaseID]*domain.Case) (*domain.Exhibit, *domain.Case) {
	e, ok := exhibits[id]
	if !ok {
		if ex, err := h.Store.Exhibit(ctx, agency, id); err == nil {
			e = &ex
		}
		exhibits[id] = e
	}
	if e == nil {
		return nil, nil
	}
	c, ok := cases[e.CaseID]
	if !ok {
		if cs, err := h.Store.Case(ctx, agency, e.CaseID); err == nil {
			c = &cs
		}
		cases[e.CaseID] = c
	}
	return e, c
}
