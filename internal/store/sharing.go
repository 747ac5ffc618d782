package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
)

// CreateSharingRule stores a new rule of r.Owner: an empty ID is assigned,
// CreatedAt is set and the rule starts active.
func (s *Store) CreateSharingRule(ctx context.Context, r exchange.SharingRule) (exchange.SharingRule, error) {
	const op = "store.CreateSharingRule"
	if r.ID == "" {
		r.ID = exchange.RuleID(s.ids.New())
	}
	r.CreatedAt = s.timestamp()
	r.RevokedAt, r.RevokedBy = time.Time{}, ""
	if err := r.Validate(); err != nil {
		return exchange.SharingRule{}, err
	}
	kinds, err := json.Marshal(r.Kinds)
	if err != nil {
		return exchange.SharingRule{}, errs.E(op, errs.Internal, err)
	}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM agencies WHERE id = $1`, "agency %s not found", r.Owner); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sharing_rules (id, owner, peer, kinds, detail, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.ID, r.Owner, r.Peer, string(kinds), r.Detail, r.Note, nullString(r.CreatedBy), r.CreatedAt)
		return err
	})
	if err != nil {
		return exchange.SharingRule{}, err
	}
	return r, nil
}

const ruleColumns = `id, owner, peer, kinds, detail, note, created_by, created_at, revoked_at, revoked_by`

func scanRule(r rowScanner) (exchange.SharingRule, error) {
	var (
		x                  exchange.SharingRule
		id, owner, kinds   string
		createdBy, revoker sql.NullString
		revoked            sql.NullTime
	)
	if err := r.Scan(&id, &owner, &x.Peer, &kinds, &x.Detail, &x.Note, &createdBy, &x.CreatedAt, &revoked, &revoker); err != nil {
		return x, err
	}
	if err := json.Unmarshal([]byte(kinds), &x.Kinds); err != nil {
		return x, errs.E("store.SharingRule", errs.Internal, err)
	}
	x.ID, x.Owner = exchange.RuleID(id), domain.AgencyID(owner)
	x.CreatedBy, x.RevokedBy = domain.UserID(createdBy.String), domain.UserID(revoker.String)
	x.CreatedAt, x.RevokedAt = x.CreatedAt.UTC(), fromNullTime(revoked)
	return x, nil
}

// SharingRules returns every rule of owner, revoked ones included (the
// history), oldest first.
func (s *Store) SharingRules(ctx context.Context, owner domain.AgencyID) ([]exchange.SharingRule, error) {
	const op = "store.SharingRules"
	if err := checkIDs("agency id", string(owner)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+ruleColumns+` FROM sharing_rules WHERE owner = $1 ORDER BY id`, owner)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []exchange.SharingRule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, r)
	}
	return out, s.classify(op, rows.Err())
}

// RevokeSharingRule ends a rule of owner from now on (exchange.Revoke);
// revoking twice keeps the first time. Another agency's rule is not found.
func (s *Store) RevokeSharingRule(ctx context.Context, owner domain.AgencyID, id exchange.RuleID, by domain.UserID) (exchange.SharingRule, error) {
	const op = "store.RevokeSharingRule"
	if err := checkIDs("agency id", string(owner), "rule id", string(id)); err != nil {
		return exchange.SharingRule{}, err
	}
	var out exchange.SharingRule
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sharing_rules SET revoked_at = $1, revoked_by = $2
			WHERE id = $3 AND owner = $4 AND revoked_at IS NULL`, s.timestamp(), nullString(by), id, owner); err != nil {
			return err
		}
		var err error
		out, err = scanRule(tx.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM sharing_rules WHERE id = $1 AND owner = $2`, id, owner))
		if err == sql.ErrNoRows {
			return notFound(op, "sharing rule %s not found in agency %s", id, owner)
		}
		return err
	})
	return out, err
}
