package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// APIToken is a machine credential: named, owned by a user of an agency,
// acting with its own roles. SecretHash is the hex SHA-256 of the secret
// part of the token; the secret itself is never stored.
type APIToken struct {
	ID         string // UUID
	Agency     domain.AgencyID
	User       domain.UserID
	Name       string
	Roles      []domain.Role
	SecretHash string
	CreatedBy  domain.UserID
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero: live
	LastUsedAt time.Time
}

// CreateAPIToken stores a new token; an empty ID is assigned. A name
// already used in the agency is an errs.Conflict.
func (s *Store) CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error) {
	const op = "store.CreateAPIToken"
	if t.ID == "" {
		t.ID = s.ids.New()
	}
	if err := checkIDs("token id", t.ID, "agency id", string(t.Agency), "user id", string(t.User)); err != nil {
		return APIToken{}, err
	}
	check := domain.User{AgencyID: t.Agency, Username: "x", Roles: t.Roles}
	if err := check.Validate(); err != nil {
		return APIToken{}, err
	}
	if t.Name == "" || len(t.Name) > 100 {
		return APIToken{}, errs.Errorf(op, errs.Invalid, "token name must have 1 to 100 characters")
	}
	if len(t.SecretHash) != 64 {
		return APIToken{}, errs.Errorf(op, errs.Invalid, "token secret hash must be 64 hex digits")
	}
	t.Roles = sortedRoles(t.Roles)
	t.CreatedAt = s.timestamp()
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (id, agency_id, user_id, name, roles, secret_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, t.ID, t.Agency, t.User, t.Name, joinRoles(t.Roles), t.SecretHash,
		nullString(t.CreatedBy), t.CreatedAt, nullTime(t.ExpiresAt))
	if err != nil {
		return APIToken{}, s.classify(op, err)
	}
	return t, nil
}

func joinRoles(rs []domain.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func splitRoles(s string) []domain.Role {
	out := []domain.Role{}
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, domain.Role(r))
		}
	}
	return out
}

const tokenColumns = `id, agency_id, user_id, name, roles, secret_hash, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanToken(r rowScanner) (APIToken, error) {
	var t APIToken
	var roles string
	var by sql.NullString
	var exp, rev, used sql.NullTime
	if err := r.Scan(&t.ID, &t.Agency, &t.User, &t.Name, &roles, &t.SecretHash, &by, &t.CreatedAt, &exp, &rev, &used); err != nil {
		return APIToken{}, err
	}
	t.Roles, t.CreatedBy = splitRoles(roles), domain.UserID(by.String)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = t.CreatedAt.UTC(), fromNullTime(exp), fromNullTime(rev), fromNullTime(used)
	return t, nil
}

// APITokenByID returns a token by its ID (of any agency: the ID comes from
// the token presented, and the secret decides).
func (s *Store) APITokenByID(ctx context.Context, id string) (APIToken, error) {
	const op = "store.APITokenByID"
	if err := checkIDs("token id", id); err != nil {
		return APIToken{}, err
	}
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return APIToken{}, notFound(op, "no such API token")
	}
	return t, s.classify(op, err)
}

// ListAPITokens returns the tokens of agency, oldest first.
func (s *Store) ListAPITokens(ctx context.Context, agency domain.AgencyID) ([]APIToken, error) {
	const op = "store.ListAPITokens"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE agency_id = $1 ORDER BY id`, agency)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, t)
	}
	return out, s.classify(op, rows.Err())
}

// RevokeAPIToken revokes a token of agency by ID or by name. Revoking a
// revoked token is not an error; an unknown one is NotFound.
func (s *Store) RevokeAPIToken(ctx context.Context, agency domain.AgencyID, idOrName string) (APIToken, error) {
	const op = "store.RevokeAPIToken"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return APIToken{}, err
	}
	var t APIToken
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		q := `SELECT ` + tokenColumns + ` FROM api_tokens WHERE agency_id = $1 AND name = $2`
		if domain.CheckID("id", idOrName) == nil {
			q = `SELECT ` + tokenColumns + ` FROM api_tokens WHERE agency_id = $1 AND id = $2`
		}
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, q, agency, idOrName))
		if err == sql.ErrNoRows {
			return notFound(op, "no API token %q in agency %s", clip(idOrName), agency)
		} else if err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return nil
		}
		t.RevokedAt = s.timestamp()
		_, err = tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, t.RevokedAt, t.ID)
		return err
	})
	return t, err
}

// TouchAPIToken records a use of a token.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, nullTime(at), id)
	return s.classify("store.TouchAPIToken", err)
}
