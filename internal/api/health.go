package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

type healthOutput struct {
	Body struct {
		Status  string         `json:"status" example:"ok"`
		Version string         `json:"version"`
		Details map[string]any `json:"details,omitempty"`
	}
}

func (h *handler) healthRoutes() []route {
	return []route{
		newRoute(Public, huma.Operation{OperationID: "health", Method: http.MethodGet, Path: "/api/health",
			Summary: "Service health", Tags: []string{"health"}}, h.health),
	}
}

func (h *handler) health(ctx context.Context, _ *struct{}) (*healthOutput, error) {
	out := &healthOutput{}
	out.Body.Status, out.Body.Version = "ok", h.Version
	if h.Health != nil {
		out.Body.Details = h.Health(ctx)
	}
	return out, nil
}

// pageInput is the paging of every list.
type pageInput struct {
	Limit  int    `query:"limit" minimum:"0" maximum:"1000" doc:"items per page (default 50)"`
	Cursor string `query:"cursor" maxLength:"256" doc:"next_cursor of the previous page"`
}
