package store

import (
	"context"
	"database/sql"

	"github.com/tracemark/tracemark/internal/domain"
)

// SetUserDisabled disables or re-enables a user of agency. A disabled user
// cannot sign in, and its sessions and API tokens stop working at once
// (package auth checks the flag on every request).
func (s *Store) SetUserDisabled(ctx context.Context, agency domain.AgencyID, id domain.UserID, disabled bool) error {
	const op = "store.SetUserDisabled"
	if err := checkIDs("agency id", string(agency), "user id", string(id)); err != nil {
		return err
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM users WHERE id = $1 AND agency_id = $2`, "user %s not found in agency %s", id, agency); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, disabled, id)
		return err
	})
}
