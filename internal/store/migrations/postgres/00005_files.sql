-- PostgreSQL schema, version 5: files uploaded by an agency (firearm
-- photos, trace request attachments) or received with a trace request from
-- a peer. The bytes are a content-addressed blob; a row says the agency
-- holds the file, so that a record of the agency can name it and its users
-- can open it. Keep in step with ../sqlite/00005_files.sql.
-- +goose Up
CREATE TABLE files (
	agency_id    UUID NOT NULL REFERENCES agencies (id),
	ref          TEXT NOT NULL,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size_bytes   BIGINT NOT NULL CHECK (size_bytes >= 0),
	uploaded_by  UUID,
	uploaded_at  TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (agency_id, ref),
	FOREIGN KEY (uploaded_by, agency_id) REFERENCES users (id, agency_id)
);

-- +goose Down
DROP TABLE files;
