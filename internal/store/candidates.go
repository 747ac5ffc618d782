package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/tracemark/tracemark/internal/domain"
)

const candidateColumns = `id, agency_id, run_id, scan_id, rank, score, calibrated, registration, review_status`

func scanCandidate(r rowScanner) (domain.Candidate, error) {
	var (
		c            domain.Candidate
		calibrated   sql.NullFloat64
		registration string
	)
	err := r.Scan(&c.ID, &c.AgencyID, &c.RunID, &c.Scan, &c.Rank, &c.Score, &calibrated, &registration, &c.ReviewStatus)
	if calibrated.Valid {
		v := calibrated.Float64
		c.Calibrated = &v
	}
	if registration != "" {
		c.Registration = json.RawMessage(registration)
	}
	return c, err
}

// Candidate returns a candidate of agency.
func (s *Store) Candidate(ctx context.Context, agency domain.AgencyID, id domain.CandidateID) (domain.Candidate, error) {
	const op = "store.Candidate"
	if err := checkIDs("agency id", string(agency), "candidate id", string(id)); err != nil {
		return domain.Candidate{}, err
	}
	c, err := scanCandidate(s.db.QueryRowContext(ctx, `SELECT `+candidateColumns+` FROM candidates WHERE id = $1 AND agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return c, notFound(op, "candidate %s not found in agency %s", id, agency)
	}
	return c, s.classify(op, err)
}

// CandidateFilter selects candidates of one run.
type CandidateFilter struct {
	Agency domain.AgencyID // required
	Run    domain.RunID    // required
	// Statuses, if not empty, keeps candidates whose latest review status
	// is one of them.
	Statuses []domain.ReviewStatus
}

// ListCandidates returns the candidates of a run that match f, best rank
// first, a page at a time.
func (s *Store) ListCandidates(ctx context.Context, f CandidateFilter, page Page) ([]domain.Candidate, string, error) {
	const op = "store.ListCandidates"
	if err := checkIDs("agency id", string(f.Agency), "run id", string(f.Run)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "candidates", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", f.Agency)
	w.add("run_id = ?", f.Run)
	if len(f.Statuses) > 0 {
		in := ""
		for i, st := range f.Statuses {
			if err := (domain.CandidateReview{Status: st}).ValidateStatus(); err != nil {
				return nil, "", err
			}
			if i > 0 {
				in += ", "
			}
			in += w.next(st)
		}
		w.conds = append(w.conds, "review_status IN ("+in+")")
	}
	if ok {
		w.add("rank > ?", c.N)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+candidateColumns+` FROM candidates`+w.String()+` ORDER BY rank LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.Candidate
	for rows.Next() {
		c, err := scanCandidate(rows)
		if err != nil {
			return nil, "", s.classify(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "candidates", N: int64(out[limit-1].Rank)})
	}
	return out, next, nil
}

// ReviewCandidate records a review of a candidate and makes it the
// candidate's current status, in one transaction. A confirmed review also
// links the query's case and the candidate's case (once per pair of cases
// and agency) and returns the link; otherwise the link is nil. Recording
// the same status with the same reason by the same reviewer as the latest
// review stores nothing new and returns that review, so a form submitted
// twice is recorded once. An empty ID is assigned; At is set by the store.
// Links are never removed by a later review: the history explains them.
func (s *Store) ReviewCandidate(ctx context.Context, r domain.CandidateReview) (domain.CandidateReview, *domain.CaseLink, error) {
	const op = "store.ReviewCandidate"
	if err := r.Validate(); err != nil {
		return domain.CandidateReview{}, nil, err
	}
	if r.ID == "" {
		r.ID = domain.ReviewID(s.ids.New())
	} else if err := domain.CheckID("review id", string(r.ID)); err != nil {
		return domain.CandidateReview{}, nil, err
	}
	r.At = s.timestamp()
	var (
		out  domain.CandidateReview
		link *domain.CaseLink
	)
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		out, link = domain.CandidateReview{}, nil
		var queryCase, candCase domain.CaseID
		err := tx.QueryRowContext(ctx, `SELECT qe.case_id, ce.case_id
			FROM candidates c
			JOIN correlation_runs r ON r.id = c.run_id
			JOIN scans qs ON qs.id = r.query_scan
			JOIN exhibits qe ON qe.id = qs.exhibit_id
			JOIN scans cs ON cs.id = c.scan_id
			JOIN exhibits ce ON ce.id = cs.exhibit_id
			WHERE c.id = $1 AND c.agency_id = $2`, r.CandidateID, r.AgencyID).Scan(&queryCase, &candCase)
		if err == sql.ErrNoRows {
			return notFound(op, "candidate %s not found in agency %s", r.CandidateID, r.AgencyID)
		}
		if err != nil {
			return err
		}
		if err := exists(ctx, tx, op, `SELECT 1 FROM users WHERE id = $1 AND agency_id = $2`, "reviewer %s is not a user of agency %s", r.By, r.AgencyID); err != nil {
			return err
		}
		latest, err := scanReview(tx.QueryRowContext(ctx, `SELECT `+reviewColumns+` FROM candidate_reviews
			WHERE candidate_id = $1 ORDER BY id DESC LIMIT 1`, r.CandidateID))
		switch {
		case err == nil && latest.Status == r.Status && latest.By == r.By && latest.Reason == r.Reason:
			out = latest // the same review again
		case err == nil || err == sql.ErrNoRows:
			if _, err := tx.ExecContext(ctx, `INSERT INTO candidate_reviews (id, agency_id, candidate_id, status, reviewed_by, reviewed_at, reason)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.AgencyID, r.CandidateID, r.Status, r.By, r.At, r.Reason); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE candidates SET review_status = $1 WHERE id = $2`, r.Status, r.CandidateID); err != nil {
				return err
			}
			out = r
		default:
			return err
		}
		if out.Status != domain.ReviewConfirmed || queryCase == candCase {
			return nil
		}
		link, err = s.linkCases(ctx, tx, r.AgencyID, queryCase, candCase, r.CandidateID, "", r.By, r.At)
		return err
	})
	if err != nil {
		return domain.CandidateReview{}, nil, err
	}
	return out, link, nil
}

const reviewColumns = `id, agency_id, candidate_id, status, reviewed_by, reviewed_at, reason`

func scanReview(r rowScanner) (domain.CandidateReview, error) {
	var rv domain.CandidateReview
	err := r.Scan(&rv.ID, &rv.AgencyID, &rv.CandidateID, &rv.Status, &rv.By, &rv.At, &rv.Reason)
	rv.At = rv.At.UTC()
	return rv, err
}

// ListReviews returns the review history of a candidate, oldest first, a
// page at a time.
func (s *Store) ListReviews(ctx context.Context, agency domain.AgencyID, candidate domain.CandidateID, page Page) ([]domain.CandidateReview, string, error) {
	const op = "store.ListReviews"
	if err := checkIDs("agency id", string(agency), "candidate id", string(candidate)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "reviews", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", agency)
	w.add("candidate_id = ?", candidate)
	if ok {
		w.add("id > ?", c.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+reviewColumns+` FROM candidate_reviews`+w.String()+` ORDER BY id LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.CandidateReview
	for rows.Next() {
		rv, err := scanReview(rows)
		if err != nil {
			return nil, "", s.classify(op, err)
		}
		out = append(out, rv)
	}
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "reviews", ID: string(out[limit-1].ID)})
	}
	return out, next, nil
}
