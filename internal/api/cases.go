package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// CaseInput is a new case.
type CaseInput struct {
	Number     string           `json:"number" minLength:"1" maxLength:"128"`
	Title      string           `json:"title,omitempty" maxLength:"512"`
	Offence    string           `json:"offence,omitempty" maxLength:"512"`
	OccurredAt time.Time        `json:"occurred_at,omitzero"`
	ReceivedAt time.Time        `json:"received_at,omitzero"`
	PlaceName  string           `json:"place_name,omitempty" maxLength:"512"`
	Location   *domain.GeoPoint `json:"location,omitempty"`
	Notes      string           `json:"notes,omitempty" maxLength:"65536"`
}

type listCasesInput struct {
	Status string `query:"status" enum:"open,closed,archived," doc:"only cases with this status"`
	Q      string `query:"q" maxLength:"200" doc:"text in the number, title, offence or place"`
	pageInput
}

type casesOutput struct {
	Body struct {
		Items      []domain.Case `json:"items"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}
}

type createCaseInput struct {
	Body CaseInput
}

type caseOutput struct {
	Body domain.Case
}

type caseIDInput struct {
	ID string `path:"id" doc:"case ID"`
}

// CaseDetail is a case with its exhibits and the cases it is linked to.
type CaseDetail struct {
	Case     domain.Case       `json:"case"`
	Exhibits []domain.Exhibit  `json:"exhibits"`
	Links    []domain.CaseLink `json:"links"`
}

type caseDetailOutput struct {
	Body CaseDetail
}

func (h *handler) caseRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-cases", Method: http.MethodGet, Path: "/api/cases",
			Summary: "List cases, newest first", Tags: []string{"cases"}}, h.listCases),
		newRoute(Write, huma.Operation{OperationID: "create-case", Method: http.MethodPost, Path: "/api/cases",
			Summary: "Create a case", Tags: []string{"cases"}, DefaultStatus: http.StatusCreated}, h.createCase),
		newRoute(Read, huma.Operation{OperationID: "get-case", Method: http.MethodGet, Path: "/api/cases/{id}",
			Summary: "A case with its exhibits and linked cases", Tags: []string{"cases"}}, h.getCase),
	}
}

func (h *handler) listCases(ctx context.Context, in *listCasesInput) (*casesOutput, error) {
	a := actor(ctx)
	items, next, err := h.Store.ListCases(ctx, store.CaseFilter{Agency: a.Agency, Status: domain.CaseStatus(in.Status), Text: in.Q},
		store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "case.list", "case", "", "", map[string]any{"status": in.Status, "q": in.Q, "cursor": in.Cursor}); err != nil {
		return nil, err
	}
	out := &casesOutput{}
	out.Body.Items, out.Body.NextCursor = nonNil(items), next
	return out, nil
}

func (h *handler) createCase(ctx context.Context, in *createCaseInput) (*caseOutput, error) {
	a := actor(ctx)
	b := in.Body
	c, err := h.Store.CreateCase(ctx, domain.Case{AgencyID: a.Agency, Number: b.Number, Title: b.Title, Offence: b.Offence,
		OccurredAt: b.OccurredAt, ReceivedAt: b.ReceivedAt, PlaceName: b.PlaceName, Location: b.Location, Notes: b.Notes,
		CreatedBy: a.User})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "case.create", "case", string(c.ID), c.ID, map[string]any{"number": c.Number}); err != nil {
		return nil, err
	}
	return &caseOutput{Body: c}, nil
}

func (h *handler) getCase(ctx context.Context, in *caseIDInput) (*caseDetailOutput, error) {
	a := actor(ctx)
	id := domain.CaseID(in.ID)
	c, err := h.Store.Case(ctx, a.Agency, id)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	ex, _, err := h.Store.ListExhibits(ctx, a.Agency, id, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	links, err := h.Store.CaseLinks(ctx, a.Agency, id)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "case.view", "case", string(id), id, nil); err != nil {
		return nil, err
	}
	return &caseDetailOutput{Body: CaseDetail{Case: c, Exhibits: nonNil(ex), Links: nonNil(links)}}, nil
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
