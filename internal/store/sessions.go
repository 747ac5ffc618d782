package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// Credential is a user's password hash (an argon2id PHC string, package
// auth) with the failed-login counter and the lockout it triggers.
type Credential struct {
	User         domain.UserID
	PasswordHash string
	UpdatedAt    time.Time
	FailedLogins int
	LastFailure  time.Time // zero if none
	LockedUntil  time.Time // zero if not locked
}

// SetPasswordHash stores (or replaces) the password hash of a user of
// agency and clears its failed-login counter and lockout.
func (s *Store) SetPasswordHash(ctx context.Context, agency domain.AgencyID, user domain.UserID, hash string) error {
	const op = "store.SetPasswordHash"
	if err := checkIDs("agency id", string(agency), "user id", string(user)); err != nil {
		return err
	}
	if hash == "" {
		return errs.Errorf(op, errs.Invalid, "empty password hash")
	}
	now := s.timestamp()
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM users WHERE id = $1 AND agency_id = $2`, "user %s not found in agency %s", user, agency); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO credentials (user_id, password_hash, updated_at, failed_logins) VALUES ($1, $2, $3, 0)
			ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at,
				failed_logins = 0, last_failure = NULL, locked_until = NULL`, user, hash, now)
		return err
	})
}

// Credential returns the credential of a user (NotFound if the user has no
// password, e.g. a machine account).
func (s *Store) Credential(ctx context.Context, user domain.UserID) (Credential, error) {
	const op = "store.Credential"
	if err := checkIDs("user id", string(user)); err != nil {
		return Credential{}, err
	}
	var c Credential
	var last, locked sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT user_id, password_hash, updated_at, failed_logins, last_failure, locked_until
		FROM credentials WHERE user_id = $1`, user).Scan(&c.User, &c.PasswordHash, &c.UpdatedAt, &c.FailedLogins, &last, &locked)
	if err == sql.ErrNoRows {
		return Credential{}, notFound(op, "user %s has no password", user)
	}
	c.UpdatedAt, c.LastFailure, c.LockedUntil = c.UpdatedAt.UTC(), fromNullTime(last), fromNullTime(locked)
	return c, s.classify(op, err)
}

// RecordLoginFailure counts a failed sign-in of user at time at. Failures
// older than window no longer count. When the count reaches limit, the
// user is locked until at+lockFor and the counter starts again. It returns
// the counter and the lockout end (zero if not locked).
func (s *Store) RecordLoginFailure(ctx context.Context, user domain.UserID, at time.Time, limit int, window, lockFor time.Duration) (int, time.Time, error) {
	const op = "store.RecordLoginFailure"
	if err := checkIDs("user id", string(user)); err != nil {
		return 0, time.Time{}, err
	}
	at = at.UTC().Truncate(time.Microsecond)
	var count int
	var lockedUntil time.Time
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		var last, locked sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT failed_logins, last_failure, locked_until FROM credentials WHERE user_id = $1`, user).Scan(&count, &last, &locked)
		if err == sql.ErrNoRows {
			return notFound(op, "user %s has no password", user)
		} else if err != nil {
			return err
		}
		if last.Valid && at.Sub(last.Time) > window {
			count = 0
		}
		count++
		lockedUntil = fromNullTime(locked)
		if count >= limit {
			lockedUntil, count = at.Add(lockFor), 0
		}
		_, err = tx.ExecContext(ctx, `UPDATE credentials SET failed_logins = $1, last_failure = $2, locked_until = $3 WHERE user_id = $4`,
			count, at, nullTime(lockedUntil), user)
		return err
	})
	return count, lockedUntil, err
}

// ResetLoginFailures clears the failed-login counter of user after a
// successful sign-in (an expired lockout is cleared too).
func (s *Store) ResetLoginFailures(ctx context.Context, user domain.UserID) error {
	const op = "store.ResetLoginFailures"
	if err := checkIDs("user id", string(user)); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `UPDATE credentials SET failed_logins = 0, last_failure = NULL, locked_until = NULL WHERE user_id = $1`, user)
	return s.classify(op, err)
}

// Session is a server-side session. TokenHash is the hex SHA-256 of the
// token the client holds; the token itself is never stored.
type Session struct {
	TokenHash  string
	User       domain.UserID
	Agency     domain.AgencyID
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero if not revoked
	IP         string
	UserAgent  string
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	const op = "store.CreateSession"
	if err := checkIDs("agency id", string(se.Agency), "user id", string(se.User)); err != nil {
		return err
	}
	if len(se.TokenHash) != 64 {
		return errs.Errorf(op, errs.Invalid, "session token hash must be 64 hex digits")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, agency_id, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, se.TokenHash, se.User, se.Agency, nullTime(se.CreatedAt), nullTime(se.LastSeenAt),
		nullTime(se.ExpiresAt), clipTo(se.IP, 100), clipTo(se.UserAgent, 300))
	return s.classify(op, err)
}

func clipTo(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// SessionByHash returns the session with the given token hash (revoked and
// expired ones too: the caller decides).
func (s *Store) SessionByHash(ctx context.Context, tokenHash string) (Session, error) {
	const op = "store.SessionByHash"
	var se Session
	var revoked sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT token_hash, user_id, agency_id, created_at, last_seen_at, expires_at, revoked_at, ip, user_agent
		FROM sessions WHERE token_hash = $1`, tokenHash).Scan(&se.TokenHash, &se.User, &se.Agency, &se.CreatedAt, &se.LastSeenAt,
		&se.ExpiresAt, &revoked, &se.IP, &se.UserAgent)
	if err == sql.ErrNoRows {
		return Session{}, notFound(op, "no such session")
	}
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt, se.RevokedAt = se.CreatedAt.UTC(), se.LastSeenAt.UTC(), se.ExpiresAt.UTC(), fromNullTime(revoked)
	return se, s.classify(op, err)
}

// TouchSession records activity on a live session.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL`, nullTime(at), tokenHash)
	return s.classify("store.TouchSession", err)
}

// RevokeSession ends one session (idempotent).
func (s *Store) RevokeSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL`, s.timestamp(), tokenHash)
	return s.classify("store.RevokeSession", err)
}

// RevokeUserSessions ends every session of a user (after a password change
// or when the account is disabled) and returns how many were live.
func (s *Store) RevokeUserSessions(ctx context.Context, user domain.UserID) (int64, error) {
	const op = "store.RevokeUserSessions"
	if err := checkIDs("user id", string(user)); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, s.timestamp(), user)
	if err != nil {
		return 0, s.classify(op, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteExpiredSessions removes sessions that expired or were revoked
// before cutoff.
func (s *Store) DeleteExpiredSessions(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1`, nullTime(cutoff))
	if err != nil {
		return 0, s.classify("store.DeleteExpiredSessions", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
