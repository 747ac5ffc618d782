package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/tracemark/tracemark/internal/domain"
)

// CreateAgency stores a new agency. An empty ID is assigned; CreatedAt is
// set by the store. A duplicate code is an errs.Conflict.
func (s *Store) CreateAgency(ctx context.Context, a domain.Agency) (domain.Agency, error) {
	const op = "store.CreateAgency"
	if err := a.Validate(); err != nil {
		return domain.Agency{}, err
	}
	if a.ID == "" {
		a.ID = domain.AgencyID(s.ids.New())
	} else if err := domain.CheckID("agency id", string(a.ID)); err != nil {
		return domain.Agency{}, err
	}
	a.CreatedAt = s.timestamp()
	_, err := s.db.ExecContext(ctx, `INSERT INTO agencies (id, code, name, country, created_at) VALUES ($1, $2, $3, $4, $5)`,
		a.ID, a.Code, a.Name, a.Country, a.CreatedAt)
	if err != nil {
		return domain.Agency{}, s.classify(op, err)
	}
	return a, nil
}

const agencyColumns = `id, code, name, country, created_at`

func scanAgency(r rowScanner) (domain.Agency, error) {
	var a domain.Agency
	err := r.Scan(&a.ID, &a.Code, &a.Name, &a.Country, &a.CreatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// Agency returns the agency with the given ID.
func (s *Store) Agency(ctx context.Context, id domain.AgencyID) (domain.Agency, error) {
	const op = "store.Agency"
	if err := checkIDs("agency id", string(id)); err != nil {
		return domain.Agency{}, err
	}
	a, err := scanAgency(s.db.QueryRowContext(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return a, notFound(op, "agency %s not found", id)
	}
	return a, s.classify(op, err)
}

// AgencyByCode returns the agency with the given code.
func (s *Store) AgencyByCode(ctx context.Context, code string) (domain.Agency, error) {
	const op = "store.AgencyByCode"
	a, err := scanAgency(s.db.QueryRowContext(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE code = $1`, code))
	if err == sql.ErrNoRows {
		return a, notFound(op, "no agency has code %q", clip(code))
	}
	return a, s.classify(op, err)
}

// ListAgencies returns every agency, by code.
func (s *Store) ListAgencies(ctx context.Context) ([]domain.Agency, error) {
	const op = "store.ListAgencies"
	rows, err := s.db.QueryContext(ctx, `SELECT `+agencyColumns+` FROM agencies ORDER BY code`)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.Agency
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, a)
	}
	return out, s.classify(op, rows.Err())
}

// CreateUser stores a new user of an existing agency. An empty ID is
// assigned. A username already taken on this node is an errs.Conflict.
func (s *Store) CreateUser(ctx context.Context, u domain.User) (domain.User, error) {
	const op = "store.CreateUser"
	if err := u.Validate(); err != nil {
		return domain.User{}, err
	}
	if u.ID == "" {
		u.ID = domain.UserID(s.ids.New())
	} else if err := domain.CheckID("user id", string(u.ID)); err != nil {
		return domain.User{}, err
	}
	u.CreatedAt = s.timestamp()
	u.Roles = sortedRoles(u.Roles)
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM agencies WHERE id = $1`, "agency %s not found", u.AgencyID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, agency_id, username, display_name, email, locale, disabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.ID, u.AgencyID, u.Username, u.DisplayName, u.Email, u.Locale, u.Disabled, u.CreatedAt); err != nil {
			return err
		}
		return insertRoles(ctx, tx, u.ID, u.Roles)
	})
	if err != nil {
		return domain.User{}, err
	}
	return u, nil
}

func sortedRoles(roles []domain.Role) []domain.Role {
	out := slices.Clone(roles)
	slices.Sort(out)
	if out == nil {
		out = []domain.Role{}
	}
	return out
}

func insertRoles(ctx context.Context, tx *sql.Tx, id domain.UserID, roles []domain.Role) error {
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, r); err != nil {
			return err
		}
	}
	return nil
}

// exists returns a NotFound error built from format and arg unless query
// (with arg as $1, and more args after it) returns a row.
func exists(ctx context.Context, q querier, op, query, format string, args ...any) error {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if err == sql.ErrNoRows {
		return notFound(op, format, args...)
	}
	return err
}

// SetUserRoles replaces the roles of a user of agency.
func (s *Store) SetUserRoles(ctx context.Context, agency domain.AgencyID, id domain.UserID, roles []domain.Role) error {
	const op = "store.SetUserRoles"
	if err := checkIDs("agency id", string(agency), "user id", string(id)); err != nil {
		return err
	}
	check := domain.User{AgencyID: agency, Username: "x", Roles: roles}
	if err := check.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM users WHERE id = $1 AND agency_id = $2`, "user %s not found in agency %s", id, agency); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, id); err != nil {
			return err
		}
		return insertRoles(ctx, tx, id, sortedRoles(roles))
	})
}

const userColumns = `id, agency_id, username, display_name, email, locale, disabled, created_at`

func (s *Store) scanUsers(ctx context.Context, op string, rows *sql.Rows, err error) ([]domain.User, error) {
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.User
	for rows.Next() {
		var u domain.User
		if err := rows.Scan(&u.ID, &u.AgencyID, &u.Username, &u.DisplayName, &u.Email, &u.Locale, &u.Disabled, &u.CreatedAt); err != nil {
			return nil, s.classify(op, err)
		}
		u.CreatedAt = u.CreatedAt.UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(op, err)
	}
	rows.Close()
	for i := range out {
		roles, err := s.userRoles(ctx, out[i].ID)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out[i].Roles = roles
	}
	return out, nil
}

func (s *Store) userRoles(ctx context.Context, id domain.UserID) ([]domain.Role, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	roles := []domain.Role{}
	for rows.Next() {
		var r domain.Role
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, rows.Err()
}

// User returns a user of agency.
func (s *Store) User(ctx context.Context, agency domain.AgencyID, id domain.UserID) (domain.User, error) {
	const op = "store.User"
	if err := checkIDs("agency id", string(agency), "user id", string(id)); err != nil {
		return domain.User{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND agency_id = $2`, id, agency)
	us, err := s.scanUsers(ctx, op, rows, err)
	if err != nil {
		return domain.User{}, err
	}
	if len(us) == 0 {
		return domain.User{}, notFound(op, "user %s not found in agency %s", id, agency)
	}
	return us[0], nil
}

// UserByName returns the user with the given username (for signing in).
func (s *Store) UserByName(ctx context.Context, username string) (domain.User, error) {
	const op = "store.UserByName"
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username)
	us, err := s.scanUsers(ctx, op, rows, err)
	if err != nil {
		return domain.User{}, err
	}
	if len(us) == 0 {
		return domain.User{}, notFound(op, "no user is named %q", clip(username))
	}
	return us[0], nil
}

// ListUsers returns the users of agency in the order they were created, a
// page at a time.
func (s *Store) ListUsers(ctx context.Context, agency domain.AgencyID, page Page) ([]domain.User, string, error) {
	const op = "store.ListUsers"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "users", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", agency)
	if ok {
		w.add("id > ?", c.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users`+w.String()+` ORDER BY id LIMIT `+w.next(limit+1), w.args...)
	us, err := s.scanUsers(ctx, op, rows, err)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(us) > limit {
		us = us[:limit]
		next = encodeCursor(cursor{List: "users", ID: string(us[limit-1].ID)})
	}
	return us, next, nil
}
