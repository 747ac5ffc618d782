package api

import (
	"context"
	"io"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
)

// SearchForm is the multipart form of a search with a file that is not
// stored.
type SearchForm struct {
	File    huma.FormFile `form:"file" required:"true" doc:"the X3P scan to search with"`
	Kind    string        `form:"kind" enum:"cartridge,bullet-land" required:"true"`
	K       int           `form:"k" required:"false" minimum:"0" maximum:"1000" doc:"candidates to compare in full and list"`
	Calibre string        `form:"calibre" required:"false" maxLength:"64" doc:"class prefilter: calibre"`
}

type searchInput struct {
	RawBody huma.MultipartFormFiles[SearchForm]
}

// SearchResult is a ranked list of candidates that is not stored.
type SearchResult struct {
	Items []domain.Candidate `json:"items"`
	Stats any                `json:"stats"`
}

type searchOutput struct {
	Body SearchResult
}

func (h *handler) searchRoutes() []route {
	return []route{
		newRoute(Search, huma.Operation{OperationID: "search", Method: http.MethodPost, Path: "/api/search",
			Summary: "Search the agency's database with an uploaded scan, without storing it", Tags: []string{"search"},
			MaxBodyBytes: -1}, h.search),
	}
}

func (h *handler) search(ctx context.Context, in *searchInput) (*searchOutput, error) {
	a := actor(ctx)
	if in.RawBody.Form != nil {
		defer in.RawBody.Form.RemoveAll()
	}
	form := in.RawBody.Data()
	if form == nil || !form.File.IsSet {
		return nil, huma.Error422UnprocessableEntity("the form needs a file field")
	}
	defer form.File.Close()
	kind, err := ingest.ParseKind(form.Kind)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	data, err := io.ReadAll(io.LimitReader(form.File, h.MaxUploadBytes+1))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if int64(len(data)) > h.MaxUploadBytes {
		return nil, h.fail(ctx, errs.Errorf("api.search", errs.TooLarge, "%s is larger than the upload limit of %s", form.File.Filename, mib(h.MaxUploadBytes)))
	}
	an, err := ingest.Analyse(data, form.File.Filename, kind, 0)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	items, stats, err := h.Engine.SearchFile(ctx, a.Agency, an, domain.ClassCharacteristics{Calibre: form.Calibre}, form.File.Filename, form.K)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	details := map[string]any{"file": baseName(form.File.Filename), "sha256": blob.RefOf(data).String(), "kind": form.Kind,
		"calibre": form.Calibre, "k": form.K, "candidates": len(items)}
	if err := h.record(ctx, "search", "file", blob.RefOf(data).String(), "", details); err != nil {
		return nil, err
	}
	return &searchOutput{Body: SearchResult{Items: nonNil(items), Stats: stats}}, nil
}
