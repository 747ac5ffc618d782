-- PostgreSQL schema, version 2: credentials, sessions, API tokens, the
-- hash-chained audit log with signed checkpoints, and chain-of-custody events.
-- Keep in step with ../sqlite/00002_security.sql.
-- +goose Up
-- One argon2id hash (PHC string) per user, with the failed-login counter
-- and the lockout that counter triggers.
CREATE TABLE credentials (
	user_id       UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	last_failure  TIMESTAMPTZ,
	locked_until  TIMESTAMPTZ
);

-- Server-side sessions. token_hash is the hex SHA-256 of the cookie value;
-- the value itself is never stored.
CREATE TABLE sessions (
	token_hash   TEXT PRIMARY KEY,
	user_id      UUID NOT NULL,
	agency_id    UUID NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL,
	revoked_at   TIMESTAMPTZ,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	FOREIGN KEY (user_id, agency_id) REFERENCES users (id, agency_id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- API tokens for machines: named, owned by a user of an agency, with their
-- own roles; secret_hash is the hex SHA-256 of the secret part.
CREATE TABLE api_tokens (
	id           UUID PRIMARY KEY,
	agency_id    UUID NOT NULL,
	user_id      UUID NOT NULL,
	name         TEXT NOT NULL,
	roles        TEXT NOT NULL,
	secret_hash  TEXT NOT NULL,
	created_by   UUID,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ,
	revoked_at   TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ,
	UNIQUE (agency_id, name),
	FOREIGN KEY (user_id, agency_id) REFERENCES users (id, agency_id) ON DELETE CASCADE
);

-- The audit log. No foreign keys: entries outlive the records they name.
-- details is JSON kept as the exact text that was hashed.
CREATE TABLE audit_log (
	seq         BIGINT PRIMARY KEY,
	at          TIMESTAMPTZ NOT NULL,
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
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Signed checkpoints: the node's Ed25519 key signs (seq, hash).
CREATE TABLE audit_checkpoints (
	seq        BIGINT PRIMARY KEY,
	hash       TEXT NOT NULL,
	at         TIMESTAMPTZ NOT NULL,
	public_key TEXT NOT NULL,
	signature  TEXT NOT NULL
);

-- Chain of custody per exhibit, append-only.
CREATE TABLE custody_events (
	id          UUID PRIMARY KEY,
	agency_id   UUID NOT NULL,
	exhibit_id  UUID NOT NULL,
	kind        TEXT NOT NULL CHECK (kind IN ('received', 'scanned', 'transferred', 'returned', 'destroyed')),
	at          TIMESTAMPTZ NOT NULL,
	by_user     UUID,
	place       TEXT NOT NULL DEFAULT '',
	counterpart TEXT NOT NULL DEFAULT '',
	notes       TEXT NOT NULL DEFAULT '',
	scan_id     UUID,
	scan_hashes TEXT NOT NULL DEFAULT '[]',
	warnings    TEXT NOT NULL DEFAULT '[]',
	created_at  TIMESTAMPTZ NOT NULL,
	audit_seq   BIGINT NOT NULL,
	FOREIGN KEY (exhibit_id, agency_id) REFERENCES exhibits (id, agency_id),
	FOREIGN KEY (by_user, agency_id) REFERENCES users (id, agency_id),
	FOREIGN KEY (scan_id, agency_id) REFERENCES scans (id, agency_id)
);
CREATE INDEX custody_by_exhibit ON custody_events (exhibit_id, at, id);
-- +goose StatementBegin
CREATE FUNCTION custody_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'custody_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody_events FOR EACH ROW EXECUTE FUNCTION custody_events_append_only();
CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody_events FOR EACH ROW EXECUTE FUNCTION custody_events_append_only();

-- +goose Down
DROP TABLE custody_events;
DROP FUNCTION custody_events_append_only;
DROP TABLE audit_checkpoints;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE credentials;
