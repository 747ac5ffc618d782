package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

type auditPageInput struct {
	After int64 `query:"after" minimum:"0" doc:"only entries after this seq (next_after of the previous page)"`
	Limit int   `query:"limit" minimum:"0" maximum:"1000" doc:"entries per page (default 50)"`
}

type auditListInput struct {
	Case string `query:"case" doc:"only entries of this case"`
	auditPageInput
}

type caseAuditInput struct {
	ID string `path:"id" doc:"case ID"`
	auditPageInput
}

type auditOutput struct {
	Body struct {
		Items     []audit.JSONEntry `json:"items"`
		NextAfter int64             `json:"next_after,omitempty" doc:"pass as after for the next page; absent on the last page"`
	}
}

type exportAuditInput struct {
	Case  string `query:"case" doc:"only entries of this case"`
	After int64  `query:"after" minimum:"0" doc:"only entries after this seq"`
}

type verifyOutput struct {
	Body audit.Report
}

// CustodyInput is a chain-of-custody event of an exhibit.
type CustodyInput struct {
	Kind        store.CustodyKind `json:"kind" enum:"received,scanned,transferred,returned,destroyed"`
	At          time.Time         `json:"at,omitzero" doc:"when it happened (default: now)"`
	Place       string            `json:"place,omitempty" maxLength:"300"`
	Counterpart string            `json:"counterpart,omitempty" maxLength:"300" doc:"from whom received, to whom transferred or returned (required for those)"`
	Notes       string            `json:"notes,omitempty" maxLength:"4000"`
}

type addCustodyInput struct {
	ID   string `path:"id" doc:"exhibit ID"`
	Body CustodyInput
}

// CustodyView is a custody event with the name of the user who acted.
type CustodyView struct {
	store.CustodyEvent
	ByName string `json:"by_name,omitempty" doc:"display name (or username) of by"`
}

type custodyListOutput struct {
	Body struct {
		Items []CustodyView `json:"items"`
	}
}

type custodyOutput struct {
	Body store.CustodyEvent
}

func (h *handler) auditRoutes() []route {
	return []route{
		newRoute(Admin, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/api/audit",
			Summary: "List the agency's audit entries in order", Tags: []string{"audit"}}, h.listAudit),
		newRoute(Admin, huma.Operation{OperationID: "list-case-audit", Method: http.MethodGet, Path: "/api/cases/{id}/audit",
			Summary: "List the audit entries of one case", Tags: []string{"audit"}}, h.listCaseAudit),
		newRoute(Admin, huma.Operation{OperationID: "export-audit", Method: http.MethodGet, Path: "/api/audit/export",
			Summary: "Export the agency's audit entries as JSON lines, every field and hash included", Tags: []string{"audit"},
			Responses: map[string]*huma.Response{"200": {Description: "one JSON entry per line", Content: map[string]*huma.MediaType{"application/x-ndjson": {}}}}},
			h.exportAudit),
		newRoute(Admin, huma.Operation{OperationID: "verify-audit", Method: http.MethodGet, Path: "/api/audit/verify",
			Summary: "Check the whole audit chain and its signed checkpoints; names the first changed, inserted or deleted entry",
			Tags:    []string{"audit"}}, h.verifyAudit),
	}
}

func (h *handler) custodyRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-custody", Method: http.MethodGet, Path: "/api/exhibits/{id}/custody",
			Summary: "The chain of custody of an exhibit, oldest first", Tags: []string{"exhibits"}}, h.listCustody),
		newRoute(Write, huma.Operation{OperationID: "add-custody-event", Method: http.MethodPost, Path: "/api/exhibits/{id}/custody",
			Summary: "Record a custody event (received, scanned, transferred, returned, destroyed)", Tags: []string{"exhibits"},
			DefaultStatus: http.StatusCreated}, h.addCustody),
	}
}

func (h *handler) auditPage(ctx context.Context, f audit.Filter, limit int) (*auditOutput, error) {
	if limit <= 0 {
		limit = 50
	}
	es, err := h.Audit.List(ctx, f, limit)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &auditOutput{}
	out.Body.Items = make([]audit.JSONEntry, 0, len(es))
	for _, e := range es {
		out.Body.Items = append(out.Body.Items, audit.ToJSON(e))
	}
	if len(es) == limit {
		out.Body.NextAfter = es[len(es)-1].Seq
	}
	return out, nil
}

func (h *handler) listAudit(ctx context.Context, in *auditListInput) (*auditOutput, error) {
	a := actor(ctx)
	f := audit.Filter{Agency: a.Agency, Case: domain.CaseID(in.Case), AfterSeq: in.After}
	if in.Case != "" {
		if _, err := h.Store.Case(ctx, a.Agency, f.Case); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	out, err := h.auditPage(ctx, f, in.Limit)
	if err != nil {
		return nil, err
	}
	return out, h.record(ctx, "audit.list", "audit", "", f.Case, map[string]any{"after": in.After})
}

func (h *handler) listCaseAudit(ctx context.Context, in *caseAuditInput) (*auditOutput, error) {
	a := actor(ctx)
	id := domain.CaseID(in.ID)
	if _, err := h.Store.Case(ctx, a.Agency, id); err != nil {
		return nil, h.fail(ctx, err)
	}
	out, err := h.auditPage(ctx, audit.Filter{Agency: a.Agency, Case: id, AfterSeq: in.After}, in.Limit)
	if err != nil {
		return nil, err
	}
	return out, h.record(ctx, "audit.list", "case", string(id), id, map[string]any{"after": in.After})
}

func (h *handler) exportAudit(ctx context.Context, in *exportAuditInput) (*huma.StreamResponse, error) {
	a := actor(ctx)
	f := audit.Filter{Agency: a.Agency, Case: domain.CaseID(in.Case), AfterSeq: in.After}
	if in.Case != "" {
		if _, err := h.Store.Case(ctx, a.Agency, f.Case); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	// The export is recorded before it is sent: it appears in itself.
	if err := h.record(ctx, "audit.export", "audit", "", f.Case, map[string]any{"after": in.After}); err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", "application/x-ndjson")
		hc.SetHeader("Content-Disposition", `attachment; filename="tracemark-audit.jsonl"`)
		hc.SetStatus(http.StatusOK)
		if _, err := h.Audit.Export(ctx, hc.BodyWriter(), f); err != nil {
			h.Log.WarnContext(ctx, "audit export interrupted", "err", err)
		}
	}}, nil
}

func (h *handler) verifyAudit(ctx context.Context, _ *struct{}) (*verifyOutput, error) {
	rep, err := audit.Verify(ctx, h.Store, h.AuditKeys...)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	details := map[string]any{"entries": rep.Entries, "intact": rep.Problem == nil}
	return &verifyOutput{Body: rep}, h.record(ctx, "audit.verify", "audit", "", "", details)
}

func (h *handler) listCustody(ctx context.Context, in *exhibitIDInput) (*custodyListOutput, error) {
	a := actor(ctx)
	ex, err := h.Store.Exhibit(ctx, a.Agency, domain.ExhibitID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	evs, err := h.Store.CustodyEvents(ctx, a.Agency, ex.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "custody.view", "exhibit", string(ex.ID), ex.CaseID, nil); err != nil {
		return nil, err
	}
	names, err := h.Store.UserNames(ctx, a.Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &custodyListOutput{}
	out.Body.Items = make([]CustodyView, 0, len(evs))
	for _, e := range evs {
		out.Body.Items = append(out.Body.Items, CustodyView{CustodyEvent: e, ByName: names[e.By]})
	}
	return out, nil
}

func (h *handler) addCustody(ctx context.Context, in *addCustodyInput) (*custodyOutput, error) {
	a := actor(ctx)
	ex, err := h.Store.Exhibit(ctx, a.Agency, domain.ExhibitID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	b := in.Body
	at := b.At
	if at.IsZero() {
		at = time.Now()
	} else if at.After(time.Now().Add(5 * time.Minute)) {
		return nil, h.fail(ctx, errs.Errorf("api.addCustody", errs.Invalid, "custody time %s is in the future", at.Format(time.RFC3339)))
	}
	ev, err := h.Audit.AddCustody(ctx, a.AuditName(), string(ex.CaseID), store.CustodyEvent{Agency: a.Agency, Exhibit: ex.ID, Kind: b.Kind,
		At: at.UTC(), By: a.User, Place: b.Place, Counterpart: b.Counterpart, Notes: b.Notes})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	requestOf(ctx).audited = true
	return &custodyOutput{Body: ev}, nil
}
