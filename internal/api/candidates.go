package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

type candidateIDInput struct {
	ID string `path:"id" doc:"candidate ID"`
}

// CandidateDetail is a candidate with its review history.
type CandidateDetail struct {
	Candidate domain.Candidate         `json:"candidate"`
	Reviews   []domain.CandidateReview `json:"reviews"`
}

type candidateOutput struct {
	Body CandidateDetail
}

// ReviewInput is an examiner's review of a candidate.
type ReviewInput struct {
	Status domain.ReviewStatus `json:"status" enum:"unreviewed,viewed,potential_hit,confirmed,excluded"`
	Reason string              `json:"reason,omitempty" maxLength:"65536" doc:"required for confirmed and excluded"`
}

type reviewInput struct {
	ID   string `path:"id" doc:"candidate ID"`
	Body ReviewInput
}

// ReviewResult is a stored review and, for a confirmed hit, the case link.
type ReviewResult struct {
	Review domain.CandidateReview `json:"review"`
	Link   *domain.CaseLink       `json:"link,omitempty"`
}

type reviewOutput struct {
	Body ReviewResult
}

func (h *handler) candidateRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "get-candidate", Method: http.MethodGet, Path: "/api/candidates/{id}",
			Summary: "A candidate with its review history", Tags: []string{"candidates"}}, h.getCandidate),
		newRoute(Review, huma.Operation{OperationID: "review-candidate", Method: http.MethodPost, Path: "/api/candidates/{id}/reviews",
			Summary: "Record a review (viewed, potential hit, confirmed, excluded); a confirmed hit links the cases",
			Tags:    []string{"candidates"}}, h.reviewCandidate),
	}
}

func (h *handler) getCandidate(ctx context.Context, in *candidateIDInput) (*candidateOutput, error) {
	a := actor(ctx)
	c, err := h.Store.Candidate(ctx, a.Agency, domain.CandidateID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	reviews, _, err := h.Store.ListReviews(ctx, a.Agency, c.ID, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "candidate.view", "candidate", string(c.ID), "", nil); err != nil {
		return nil, err
	}
	return &candidateOutput{Body: CandidateDetail{Candidate: c, Reviews: nonNil(reviews)}}, nil
}

func (h *handler) reviewCandidate(ctx context.Context, in *reviewInput) (*reviewOutput, error) {
	a := actor(ctx)
	r, link, err := h.Store.ReviewCandidate(ctx, domain.CandidateReview{AgencyID: a.Agency, CandidateID: domain.CandidateID(in.ID),
		Status: in.Body.Status, By: a.User, Reason: in.Body.Reason})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	details := map[string]any{"status": r.Status, "reason": r.Reason}
	if link != nil {
		details["link"] = link
	}
	if err := h.record(ctx, "candidate.review", "candidate", in.ID, "", details); err != nil {
		return nil, err
	}
	return &reviewOutput{Body: ReviewResult{Review: r, Link: link}}, nil
}
