-- SQLite schema, version 2: credentials, sessions, API tokens, the
-- hash-chained audit log with signed checkpoints, and chain-of-custody events.
-- Keep in step with ../postgres/00002_security.sql.
-- +goose Up
-- One argon2id hash (PHC string) per user, with the failed-login counter
-- and the lockout that counter triggers.
CREATE TABLE credentials (
	user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	updated_at    TIMESTAMP NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	last_failure  TIMESTAMP,
	locked_until  TIMESTAMP
);

-- Server-side sessions. token_hash is the hex SHA-256 of the cookie value;
-- the value itself is never stored.
CREATE TABLE sessions (
	token_hash   TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL,
	agency_id    TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	last_seen_at TIMESTAMP NOT NULL,
	expires_at   TIMESTAMP NOT NULL,
	revoked_at   TIMESTAMP,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	FOREIGN KEY (user_id, agency_id) REFERENCES users (id, agency_id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- API tokens for machines: named, owned by a user of an agency, with their
-- own roles; secret_hash is the hex SHA-256 of the secret part.
CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	agency_id    TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	name         TEXT NOT NULL,
	roles        TEXT NOT NULL,
	secret_hash  TEXT NOT NULL,
	created_by   TEXT,
	created_at   TIMESTAMP NOT NULL,
	expires_at   TIMESTAMP,
	revoked_at   TIMESTAMP,
	last_used_at TIMESTAMP,
	UNIQUE (agency_id, name),
	FOREIGN KEY (user_id, agency_id) REFERENCES users (id, agency_id) ON DELETE CASCADE
);

-- The audit log. No foreign keys: entries outlive the records they name.
-- details is JSON kept as the exact text that was hashed.
CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY,
	at          TIMESTAMP NOT NULL,
	agency_id   TEXT NOT NULL DEFAULT '',
	actor       TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL DEFAULT '',
	object_id   TEXT NOT NULL DEFAULT '',
	case_id     TEXT NOT NULL DEFAULT '',
	details     TEXT NOT NULL DEFAULT '{}',
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX audit_by_case ON audit_log (case_id, seq);
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd

-- Signed checkpoints: the node's Ed25519 key signs (seq, hash).
CREATE TABLE audit_checkpoints (
	seq        INTEGER PRIMARY KEY,
	hash       TEXT NOT NULL,
	at         TIMESTAMP NOT NULL,
	public_key TEXT NOT NULL,
	signature  TEXT NOT NULL
);

-- Chain of custody per exhibit, append-only.
CREATE TABLE custody_events (
	id          TEXT PRIMARY KEY,
	agency_id   TEXT NOT NULL,
	exhibit_id  TEXT NOT NULL,
	kind        TEXT NOT NULL CHECK (kind IN ('received', 'scanned', 'transferred', 'returned', 'destroyed')),
	at          TIMESTAMP NOT NULL,
	by_user     TEXT,
	place       TEXT NOT NULL DEFAULT '',
	counterpart TEXT NOT NULL DEFAULT '',
	notes       TEXT NOT NULL DEFAULT '',
	scan_id     TEXT,
	scan_hashes TEXT NOT NULL DEFAULT '[]',
	warnings    TEXT NOT NULL DEFAULT '[]',
	created_at  TIMESTAMP NOT NULL,
	audit_seq   INTEGER NOT NULL,
	FOREIGN KEY (exhibit_id, agency_id) REFERENCES exhibits (id, agency_id),
	FOREIGN KEY (by_user, agency_id) REFERENCES users (id, agency_id),
	FOREIGN KEY (scan_id, agency_id) REFERENCES scans (id, agency_id)
);
CREATE INDEX custody_by_exhibit ON custody_events (exhibit_id, at, id);
-- +goose StatementBegin
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody_events
BEGIN SELECT RAISE(ABORT, 'custody_events is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody_events
BEGIN SELECT RAISE(ABORT, 'custody_events is append-only'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE custody_events;
DROP TABLE audit_checkpoints;
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE credentials;
