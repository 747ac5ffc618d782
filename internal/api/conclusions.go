package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// ConclusionInput is an examiner's AFTE conclusion on a candidate or on two
// scans.
type ConclusionInput struct {
	CandidateID    domain.CandidateID `json:"candidate_id,omitempty" doc:"a candidate: A is the run's query scan, B the candidate scan"`
	ScanA          domain.ScanID      `json:"scan_a,omitempty" doc:"reference scan (without candidate_id)"`
	ScanB          domain.ScanID      `json:"scan_b,omitempty" doc:"compared scan (without candidate_id)"`
	Conclusion     store.AFTE         `json:"conclusion" enum:"identification,inconclusive_a,inconclusive_b,inconclusive_c,elimination,unsuitable"`
	Notes          string             `json:"notes,omitempty" maxLength:"65536"`
	Annotations    []store.Annotation `json:"annotations,omitempty" maxItems:"200"`
	Verifier       domain.UserID      `json:"verifier,omitempty" doc:"the colleague asked to verify; empty: any examiner or verifier but you"`
	IdempotencyKey string             `json:"idempotency_key,omitempty" maxLength:"128" doc:"a fresh value per form; the same value again is refused with 409"`
}

// CheckInput is a verification or a resolution.
type CheckInput struct {
	Conclusion     store.AFTE         `json:"conclusion" enum:"identification,inconclusive_a,inconclusive_b,inconclusive_c,elimination,unsuitable"`
	Notes          string             `json:"notes,omitempty" maxLength:"65536"`
	Annotations    []store.Annotation `json:"annotations,omitempty" maxItems:"200"`
	IdempotencyKey string             `json:"idempotency_key,omitempty" maxLength:"128" doc:"a fresh value per form; the same value again is refused with 409"`
}

// ConclusionView is a conclusion as one actor may see it: Blind is true
// (and the conclusion, notes and marks empty) while it awaits
// verification and the actor is not its examiner.
type ConclusionView struct {
	store.Conclusion
	Blind bool `json:"blind"`
}

type recordConclusionInput struct {
	Body ConclusionInput
}

type conclusionIDInput struct {
	ID string `path:"id" doc:"conclusion ID"`
}

type checkInput struct {
	ID   string `path:"id" doc:"conclusion ID"`
	Body CheckInput
}

type conclusionOutput struct {
	Body ConclusionView
}

type listConclusionsInput struct {
	Case      string `query:"case" doc:"conclusions on either side of this case"`
	Scan      string `query:"scan" doc:"conclusions on this scan"`
	Candidate string `query:"candidate" doc:"conclusions on this candidate"`
	Status    string `query:"status" enum:"awaiting_verification,verified,disagreement,resolved," doc:"only conclusions in this state"`
	pageInput
}

type conclusionsOutput struct {
	Body struct {
		Items      []ConclusionView `json:"items"`
		NextCursor string           `json:"next_cursor,omitempty"`
	}
}

type verificationsOutput struct {
	Body struct {
		Items []ConclusionView `json:"items"`
	}
}

func (h *handler) conclusionRoutes() []route {
	tags := []string{"conclusions"}
	return []route{
		newRoute(Review, huma.Operation{OperationID: "record-conclusion", Method: http.MethodPost, Path: "/api/conclusions",
			Summary:     "Record an AFTE conclusion on a candidate or a pair of scans, for blind verification",
			Description: "409 when the same idempotency_key was used before or you already have an open conclusion on the pair; 404 when the candidate no longer exists.",
			Tags:        tags, DefaultStatus: http.StatusCreated}, h.recordConclusion),
		newRoute(Read, huma.Operation{OperationID: "list-conclusions", Method: http.MethodGet, Path: "/api/conclusions",
			Summary: "List conclusions, newest first (pending ones are blind to all but their examiner)", Tags: tags}, h.listConclusions),
		newRoute(Read, huma.Operation{OperationID: "get-conclusion", Method: http.MethodGet, Path: "/api/conclusions/{id}",
			Summary: "A conclusion with its verification, resolution and case link", Tags: tags}, h.getConclusion),
		newRoute(Review, huma.Operation{OperationID: "verify-conclusion", Method: http.MethodPost, Path: "/api/conclusions/{id}/verification",
			Summary:     "Record your blind verification: the same conclusion verifies it, another one is a disagreement",
			Description: "403 for the examiner who recorded it; 409 when a verification is already recorded.",
			Tags:        tags}, h.verifyConclusion),
		newRoute(Review, huma.Operation{OperationID: "resolve-disagreement", Method: http.MethodPost, Path: "/api/conclusions/{id}/resolution",
			Summary:     "Resolve a disagreement (a supervisor who is not a party to it); the resolution is final",
			Description: "403 for the examiner or the verifier; 409 when the conclusion is not in disagreement.",
			Tags:        tags}, h.resolveDisagreement),
		newRoute(Read, huma.Operation{OperationID: "list-verifications", Method: http.MethodGet, Path: "/api/verifications",
			Summary: "Conclusions waiting for my verification (blind)", Tags: tags}, h.listVerifications),
	}
}

// blind hides a conclusion awaiting verification from everyone but its
// examiner, so that the verifier records their own conclusion first.
func blind(c store.Conclusion, a Actor) ConclusionView {
	if c.Status != store.AwaitingVerification || c.Examiner == a.User {
		return ConclusionView{Conclusion: c}
	}
	c.Conclusion, c.Notes, c.Annotations = "", "", []store.Annotation{}
	return ConclusionView{Conclusion: c, Blind: true}
}

func blindAll(cs []store.Conclusion, a Actor) []ConclusionView {
	out := make([]ConclusionView, len(cs))
	for i, c := range cs {
		out[i] = blind(c, a)
	}
	return out
}

func (h *handler) recordConclusion(ctx context.Context, in *recordConclusionInput) (*conclusionOutput, error) {
	a := actor(ctx)
	b := in.Body
	if b.CandidateID == "" && (b.ScanA == "" || b.ScanB == "") {
		return nil, huma.Error422UnprocessableEntity("give candidate_id, or both scan_a and scan_b")
	}
	c, err := h.Store.RecordConclusion(ctx, store.Conclusion{AgencyID: a.Agency, CandidateID: b.CandidateID, ScanA: b.ScanA, ScanB: b.ScanB,
		Examiner: a.User, Conclusion: b.Conclusion, Notes: b.Notes, Annotations: b.Annotations, Verifier: b.Verifier,
		IdempotencyKey: b.IdempotencyKey})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	// The audit entry leaves the conclusion out: colleagues who read the
	// case's audit trail must stay blind until the verification.
	if err := h.record(ctx, "conclusion.record", "conclusion", string(c.ID), c.CaseA,
		map[string]any{"scan_a": c.ScanA, "scan_b": c.ScanB, "case_b": c.CaseB}); err != nil {
		return nil, err
	}
	return &conclusionOutput{Body: blind(c, a)}, nil
}

func (h *handler) listConclusions(ctx context.Context, in *listConclusionsInput) (*conclusionsOutput, error) {
	a := actor(ctx)
	items, next, err := h.Store.ListConclusions(ctx, store.ConclusionFilter{Agency: a.Agency, Case: domain.CaseID(in.Case),
		Scan: domain.ScanID(in.Scan), Candidate: domain.CandidateID(in.Candidate), Status: store.ConclusionStatus(in.Status)},
		store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &conclusionsOutput{}
	out.Body.Items, out.Body.NextCursor = blindAll(items, a), next
	return out, nil
}

func (h *handler) getConclusion(ctx context.Context, in *conclusionIDInput) (*conclusionOutput, error) {
	a := actor(ctx)
	c, err := h.Store.Conclusion(ctx, a.Agency, store.ConclusionID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &conclusionOutput{Body: blind(c, a)}, nil
}

func (h *handler) verifyConclusion(ctx context.Context, in *checkInput) (*conclusionOutput, error) {
	return h.check(ctx, in, "conclusion.verify", h.Store.VerifyConclusion)
}

func (h *handler) resolveDisagreement(ctx context.Context, in *checkInput) (*conclusionOutput, error) {
	return h.check(ctx, in, "conclusion.resolve", h.Store.ResolveDisagreement)
}

func (h *handler) check(ctx context.Context, in *checkInput, action string,
	do func(context.Context, domain.AgencyID, store.ConclusionID, store.Check) (store.Conclusion, error)) (*conclusionOutput, error) {
	a := actor(ctx)
	b := in.Body
	c, err := do(ctx, a.Agency, store.ConclusionID(in.ID), store.Check{By: a.User, Conclusion: b.Conclusion, Notes: b.Notes,
		Annotations: b.Annotations, IdempotencyKey: b.IdempotencyKey})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	details := map[string]any{"conclusion": b.Conclusion, "status": c.Status, "final": c.FinalConclusion}
	if c.Link != nil {
		details["case_link"] = c.Link.ID
	}
	if err := h.record(ctx, action, "conclusion", string(c.ID), c.CaseA, details); err != nil {
		return nil, err
	}
	return &conclusionOutput{Body: blind(c, a)}, nil
}

func (h *handler) listVerifications(ctx context.Context, _ *struct{}) (*verificationsOutput, error) {
	a := actor(ctx)
	items, _, err := h.Store.ListConclusions(ctx, store.ConclusionFilter{Agency: a.Agency, PendingFor: a.User}, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &verificationsOutput{}
	out.Body.Items = blindAll(items, a)
	return out, nil
}
