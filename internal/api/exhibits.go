package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// ExhibitInput is a new exhibit.
type ExhibitInput struct {
	Label       string                      `json:"label" minLength:"1" maxLength:"128" doc:"exhibit number within the case, e.g. E3"`
	Kind        domain.ExhibitKind          `json:"kind" enum:"cartridge_case,bullet,firearm,test_fire"`
	Role        domain.ExhibitRole          `json:"role" enum:"crime_scene,reference"`
	Class       domain.ClassCharacteristics `json:"class"`
	Description string                      `json:"description,omitempty" maxLength:"65536"`
	CollectedAt time.Time                   `json:"collected_at,omitzero"`
}

type exhibitsOutput struct {
	Body struct {
		Items      []domain.Exhibit `json:"items"`
		NextCursor string           `json:"next_cursor,omitempty"`
	}
}

type listExhibitsInput struct {
	ID string `path:"id" doc:"case ID"`
	pageInput
}

type createExhibitInput struct {
	ID   string `path:"id" doc:"case ID"`
	Body ExhibitInput
}

type exhibitOutput struct {
	Body domain.Exhibit
}

type exhibitIDInput struct {
	ID string `path:"id" doc:"exhibit ID"`
}

func (h *handler) exhibitRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-exhibits", Method: http.MethodGet, Path: "/api/cases/{id}/exhibits",
			Summary: "List the exhibits of a case", Tags: []string{"exhibits"}}, h.listExhibits),
		newRoute(Write, huma.Operation{OperationID: "create-exhibit", Method: http.MethodPost, Path: "/api/cases/{id}/exhibits",
			Summary: "Add an exhibit to a case", Tags: []string{"exhibits"}, DefaultStatus: http.StatusCreated}, h.createExhibit),
		newRoute(Read, huma.Operation{OperationID: "get-exhibit", Method: http.MethodGet, Path: "/api/exhibits/{id}",
			Summary: "An exhibit", Tags: []string{"exhibits"}}, h.getExhibit),
	}
}

func (h *handler) listExhibits(ctx context.Context, in *listExhibitsInput) (*exhibitsOutput, error) {
	a := actor(ctx)
	if _, err := h.Store.Case(ctx, a.Agency, domain.CaseID(in.ID)); err != nil {
		return nil, h.fail(ctx, err)
	}
	items, next, err := h.Store.ListExhibits(ctx, a.Agency, domain.CaseID(in.ID), store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "exhibit.list", "case", in.ID, domain.CaseID(in.ID), nil); err != nil {
		return nil, err
	}
	out := &exhibitsOutput{}
	out.Body.Items, out.Body.NextCursor = nonNil(items), next
	return out, nil
}

func (h *handler) createExhibit(ctx context.Context, in *createExhibitInput) (*exhibitOutput, error) {
	a := actor(ctx)
	b := in.Body
	e, err := h.Store.CreateExhibit(ctx, domain.Exhibit{AgencyID: a.Agency, CaseID: domain.CaseID(in.ID), Label: b.Label,
		Kind: b.Kind, Role: b.Role, Class: b.Class, Description: b.Description, CollectedAt: b.CollectedAt, CreatedBy: a.User})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "exhibit.create", "exhibit", string(e.ID), e.CaseID, map[string]any{"label": e.Label, "kind": e.Kind}); err != nil {
		return nil, err
	}
	return &exhibitOutput{Body: e}, nil
}

func (h *handler) getExhibit(ctx context.Context, in *exhibitIDInput) (*exhibitOutput, error) {
	a := actor(ctx)
	e, err := h.Store.Exhibit(ctx, a.Agency, domain.ExhibitID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "exhibit.view", "exhibit", string(e.ID), e.CaseID, nil); err != nil {
		return nil, err
	}
	return &exhibitOutput{Body: e}, nil
}
