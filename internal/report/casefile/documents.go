package casefile

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/store"
)

// ReviewSheet collects the candidate-list review sheet of a correlation
// run: the query, the ranked candidates with their case, exhibit, score and
// review status.
func ReviewSheet(ctx context.Context, src Sources, agency domain.AgencyID, run domain.RunID, issued time.Time) (*report.Data, error) {
	st := src.Store
	r, err := st.Run(ctx, agency, run)
	if err != nil {
		return nil, err
	}
	if r.Status != domain.RunDone {
		return nil, errs.Errorf("casefile.ReviewSheet", errs.Conflict, "run %s is %s; its candidate list is not ready yet", run, r.Status)
	}
	d, b, err := start(ctx, src, agency, report.KindReviewSheet, issued)
	if err != nil {
		return nil, err
	}
	q, err := st.Scan(ctx, agency, r.QueryScan)
	if err != nil {
		return nil, err
	}
	if err := b.exhibit(q.ExhibitID); err != nil {
		return nil, err
	}
	qe := b.exhibits[q.ExhibitID]
	if d.Case, err = st.Case(ctx, agency, qe.CaseID); err != nil {
		return nil, err
	}
	d.Number = d.Case.Number + "-R-" + d.IssuedAt.UTC().Format("20060102-1504")
	cands, _, err := st.ListCandidates(ctx, store.CandidateFilter{Agency: agency, Run: run}, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	rv := &report.Review{Run: string(r.ID), Query: qe.Label + " (" + cmp.Or(q.OriginalName, string(q.ID)) + ")",
		At: cmp.Or(r.FinishedAt, r.QueuedAt), Searched: searched(r.Stats, len(cands)), Candidates: []report.Candidate{}}
	for _, c := range cands {
		row := report.Candidate{Rank: c.Rank, Scan: string(c.Scan), Score: c.Score, Status: c.ReviewStatus}
		if sc, err := st.Scan(ctx, agency, c.Scan); err == nil {
			row.Scan = cmp.Or(sc.OriginalName, row.Scan)
			if ex, err := st.Exhibit(ctx, agency, sc.ExhibitID); err == nil {
				row.Exhibit = ex.Label
				if cs, err := st.Case(ctx, agency, ex.CaseID); err == nil {
					row.Case = cs.Number
				}
			}
		}
		rv.Candidates = append(rv.Candidates, row)
	}
	d.Review = rv
	return d, nil
}

// searched reads how many exhibits a run compared from its stats (the
// class prefilter's count), else n.
func searched(stats json.RawMessage, n int) int {
	var m map[string]any
	if json.Unmarshal(stats, &m) == nil {
		for _, k := range []string{"compatible", "Compatible", "searched"} {
			if v, ok := m[k].(float64); ok && v >= float64(n) {
				return int(v)
			}
		}
	}
	return n
}

// Receipt collects the evidence receipt of a case: its exhibits and the
// first "received" step of their chain of custody (who delivered them, who
// received them, when).
func Receipt(ctx context.Context, src Sources, agency domain.AgencyID, caseID domain.CaseID, issued time.Time) (*report.Data, error) {
	st := src.Store
	d, b, err := start(ctx, src, agency, report.KindReceipt, issued)
	if err != nil {
		return nil, err
	}
	if d.Case, err = st.Case(ctx, agency, caseID); err != nil {
		return nil, err
	}
	d.Number = d.Case.Number + "-E-" + d.IssuedAt.UTC().Format("20060102-1504")
	exhibits, _, err := st.ListExhibits(ctx, agency, caseID, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	rc := &report.Receipt{At: cmp.Or(d.Case.ReceivedAt, d.IssuedAt)}
	var first *store.CustodyEvent
	for _, e := range exhibits {
		if err := b.exhibit(e.ID); err != nil {
			return nil, err
		}
		events, err := st.CustodyEvents(ctx, agency, e.ID)
		if err != nil {
			return nil, err
		}
		for i := range events {
			if ev := &events[i]; ev.Kind == store.CustodyReceived && (first == nil || ev.At.Before(first.At)) {
				first = ev
			}
		}
	}
	if first != nil {
		rc.At, rc.DeliveredBy, rc.ReceivedBy, rc.Condition = first.At, report.Person{Name: first.Counterpart}, b.person(first.By), first.Notes
	}
	d.Receipt = rc
	slices.SortStableFunc(d.Custody, func(a, b report.CustodyEvent) int { return a.At.Compare(b.At) })
	return d, nil
}

// start makes the common part of a document.
func start(ctx context.Context, src Sources, agency domain.AgencyID, kind report.Kind, issued time.Time) (*report.Data, *builder, error) {
	if issued.IsZero() {
		issued = time.Now().UTC().Truncate(time.Minute)
	}
	ag, err := src.Store.Agency(ctx, agency)
	if err != nil {
		return nil, nil, err
	}
	d := &report.Data{Kind: kind, IssuedAt: issued, Lab: report.Lab{Name: ag.Name, Agency: ag.Code},
		Software: cmp.Or(src.Software, "tracemark"), Version: cmp.Or(src.Version, "dev")}
	b := &builder{ctx: ctx, src: src, agency: agency, d: d, exhibits: map[domain.ExhibitID]domain.Exhibit{},
		users: map[domain.UserID]report.Person{}, scans: map[domain.ScanID]bool{}}
	return d, b, nil
}
