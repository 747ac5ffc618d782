package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// MyWork is what waits for the signed-in user.
type MyWork struct {
	// CandidateLists are the agency's finished runs with unreviewed candidates, newest first.
	CandidateLists []store.PendingList `json:"candidate_lists"`
	// Verifications are conclusions of colleagues waiting for my blind verification.
	Verifications []ConclusionView `json:"verifications"`
	// Disagreements are for a supervisor (role verifier) who is not a party to them.
	Disagreements []ConclusionView `json:"disagreements"`
	// MyOpenConclusions are mine, awaiting verification or in disagreement.
	MyOpenConclusions []ConclusionView `json:"my_open_conclusions"`
}

type myWorkOutput struct {
	Body MyWork
}

const myWorkLimit = 50

func (h *handler) myWorkRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "get-my-work", Method: http.MethodGet, Path: "/api/my-work",
			Summary: "New candidate lists, verifications waiting for me, disagreements to resolve, my open conclusions",
			Tags:    []string{"my-work"}}, h.myWork),
	}
}

func (h *handler) myWork(ctx context.Context, _ *struct{}) (*myWorkOutput, error) {
	a := actor(ctx)
	page := store.Page{Limit: myWorkLimit}
	var w MyWork
	lists, err := h.Store.PendingLists(ctx, a.Agency, myWorkLimit)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	w.CandidateLists = nonNil(lists)
	w.Verifications = []ConclusionView{}
	if a.Has(domain.RoleExaminer) || a.Has(domain.RoleVerifier) { // who may verify (policy: verify-conclusion)
		pending, _, err := h.Store.ListConclusions(ctx, store.ConclusionFilter{Agency: a.Agency, PendingFor: a.User}, page)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		w.Verifications = blindAll(pending, a)
	}
	w.Disagreements = []ConclusionView{}
	if a.Has(domain.RoleVerifier) {
		dis, _, err := h.Store.ListConclusions(ctx, store.ConclusionFilter{Agency: a.Agency, ResolvableBy: a.User}, page)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		w.Disagreements = blindAll(dis, a)
	}
	w.MyOpenConclusions = []ConclusionView{}
	for _, st := range []store.ConclusionStatus{store.AwaitingVerification, store.Disagreement} {
		mine, _, err := h.Store.ListConclusions(ctx, store.ConclusionFilter{Agency: a.Agency, Examiner: a.User, Status: st}, page)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		w.MyOpenConclusions = append(w.MyOpenConclusions, blindAll(mine, a)...)
	}
	return &myWorkOutput{Body: w}, nil
}
