package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
)

// Case links join two cases of an agency that a confirmed candidate review
// or a verified identification showed to involve the same firearm. Each
// pair of cases is linked once; the first record that linked it stays as
// its source.

const linkColumns = `id, agency_id, case_a, case_b, candidate_id, conclusion_id, created_by, created_at`

func scanLink(r rowScanner) (domain.CaseLink, error) {
	var (
		l                                domain.CaseLink
		candidate, conclusion, createdBy sql.NullString
	)
	err := r.Scan(&l.ID, &l.AgencyID, &l.CaseA, &l.CaseB, &candidate, &conclusion, &createdBy, &l.CreatedAt)
	l.CandidateID = domain.CandidateID(candidate.String)
	l.ConclusionID = conclusion.String
	l.CreatedBy = domain.UserID(createdBy.String)
	l.CreatedAt = l.CreatedAt.UTC()
	return l, err
}

// linkCases links cases a and b of agency (in either order) within tx,
// naming the candidate or the conclusion that made the link, and returns
// the link (the existing one if the pair was linked before). It returns nil
// for a case linked with itself.
func (s *Store) linkCases(ctx context.Context, tx *sql.Tx, agency domain.AgencyID, a, b domain.CaseID,
	candidate domain.CandidateID, conclusion ConclusionID, by domain.UserID, at time.Time) (*domain.CaseLink, error) {
	if a == b {
		return nil, nil
	}
	if b < a {
		a, b = b, a
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_links (id, agency_id, case_a, case_b, candidate_id, conclusion_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (agency_id, case_a, case_b) DO NOTHING`,
		s.ids.New(), agency, a, b, nullString(candidate), nullString(conclusion), nullString(by), at); err != nil {
		return nil, err
	}
	l, err := scanLink(tx.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM case_links WHERE agency_id = $1 AND case_a = $2 AND case_b = $3`, agency, a, b))
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// CaseLinks returns the links of agency that involve the given case, oldest
// first.
func (s *Store) CaseLinks(ctx context.Context, agency domain.AgencyID, caseID domain.CaseID) ([]domain.CaseLink, error) {
	const op = "store.CaseLinks"
	if err := checkIDs("agency id", string(agency), "case id", string(caseID)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+linkColumns+` FROM case_links
		WHERE agency_id = $1 AND (case_a = $2 OR case_b = $2) ORDER BY id`, agency, caseID)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.CaseLink
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, l)
	}
	return out, s.classify(op, rows.Err())
}
