package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
)

// CompareInput names two stored scans of the agency.
type CompareInput struct {
	A domain.ScanID `json:"a" doc:"reference scan ID"`
	B domain.ScanID `json:"b" doc:"compared scan ID"`
}

type compareInput struct {
	Body CompareInput
}

type compareOutput struct {
	Body Comparison
}

func (h *handler) comparisonRoutes() []route {
	return []route{
		newRoute(Search, huma.Operation{OperationID: "compare-scans", Method: http.MethodPost, Path: "/api/comparisons",
			Summary: "Compare two stored scans in full: a cartridge result with its cells and registration, or a bullet result with its land matrix",
			Tags:    []string{"comparisons"}}, h.compare),
	}
}

func (h *handler) compare(ctx context.Context, in *compareInput) (*compareOutput, error) {
	a := actor(ctx)
	c, err := h.Engine.Compare(ctx, a.Agency, in.Body.A, in.Body.B)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "scan.compare", "scan", string(in.Body.A), "", map[string]any{"a": in.Body.A, "b": in.Body.B}); err != nil {
		return nil, err
	}
	return &compareOutput{Body: *c}, nil
}
