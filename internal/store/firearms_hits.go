package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
)

// HitLinks returns the agency's case links (confirmed hits) made in
// [from, to), oldest first, for the hits-by-month statistics and the
// firearm graph. A zero from or to leaves that side open.
func (s *Store) HitLinks(ctx context.Context, agency domain.AgencyID, from, to time.Time) ([]domain.CaseLink, error) {
	const op = "store.HitLinks"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return nil, err
	}
	var w where
	w.add("agency_id = ?", agency)
	if !from.IsZero() {
		w.add("created_at >= ?", stored(from))
	}
	if !to.IsZero() {
		w.add("created_at < ?", stored(to))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, agency_id, case_a, case_b, COALESCE(CAST(candidate_id AS TEXT), ''), created_by, created_at
		FROM case_links`+w.String()+` ORDER BY created_at, id`, w.args...)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.CaseLink
	for rows.Next() {
		var (
			l  domain.CaseLink
			by sql.NullString
			c  string
		)
		if err := rows.Scan(&l.ID, &l.AgencyID, &l.CaseA, &l.CaseB, &c, &by, &l.CreatedAt); err != nil {
			return nil, s.classify(op, err)
		}
		l.CandidateID, l.CreatedBy, l.CreatedAt = domain.CandidateID(c), domain.UserID(by.String), l.CreatedAt.UTC()
		out = append(out, l)
	}
	return out, s.classify(op, rows.Err())
}
