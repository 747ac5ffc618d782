package store

import (
	"context"
	"database/sql"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// SetUserLocale stores the language a user of agency chose for the
// workstation and reports (a BCP 47 tag such as "ru" or "uz-Latn"; empty
// clears it). The caller checks the tag against the languages it offers;
// here only its shape is checked.
func (s *Store) SetUserLocale(ctx context.Context, agency domain.AgencyID, id domain.UserID, locale string) error {
	const op = "store.SetUserLocale"
	if err := checkIDs("agency id", string(agency), "user id", string(id)); err != nil {
		return err
	}
	if !localeShape(locale) {
		return errs.Errorf(op, errs.Invalid, "locale %q: want a BCP 47 tag such as \"ru\" or \"uz-Latn\" (letters, digits and '-', at most 35)", clip(locale))
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM users WHERE id = $1 AND agency_id = $2`, "user %s not found in agency %s", id, agency); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET locale = $1 WHERE id = $2`, locale, id)
		return err
	})
}

func localeShape(tag string) bool {
	if len(tag) > 35 || tag == "-" || (tag != "" && (tag[0] == '-' || tag[len(tag)-1] == '-')) {
		return false
	}
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// UserNames returns the display name (the username when it has none) of
// every user of agency, by ID, so that lists of events can name who acted.
func (s *Store) UserNames(ctx context.Context, agency domain.AgencyID) (map[domain.UserID]string, error) {
	const op = "store.UserNames"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, username, display_name FROM users WHERE agency_id = $1`, agency)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	out := map[domain.UserID]string{}
	for rows.Next() {
		var id domain.UserID
		var username, display string
		if err := rows.Scan(&id, &username, &display); err != nil {
			return nil, s.classify(op, err)
		}
		if display == "" {
			display = username
		}
		out[id] = display
	}
	return out, s.classify(op, rows.Err())
}
