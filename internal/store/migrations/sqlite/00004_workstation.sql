-- SQLite schema, version 4: examiners' conclusions with blind verification
-- and resolution, case links made by conclusions, and the cache of derived
-- views (decimated surfaces, pair views). Keep in step with
-- ../postgres/00004_workstation.sql.
-- +goose Up
-- One examiner's AFTE conclusion on a pair of scans. Exhibits and cases are
-- copied from the scans so that lists per case need no join. candidate_id
-- has no foreign key: the conclusion stands even if its candidate goes.
-- pair_key is the two scan IDs sorted and joined by '|', so that A/B and B/A
-- count as one pair.
CREATE TABLE conclusions (
	id               TEXT PRIMARY KEY,
	agency_id        TEXT NOT NULL,
	scan_a           TEXT NOT NULL,
	scan_b           TEXT NOT NULL,
	exhibit_a        TEXT NOT NULL,
	exhibit_b        TEXT NOT NULL,
	case_a           TEXT NOT NULL,
	case_b           TEXT NOT NULL,
	pair_key         TEXT NOT NULL,
	candidate_id     TEXT,
	examiner         TEXT NOT NULL,
	conclusion       TEXT NOT NULL CHECK (conclusion IN ('identification', 'inconclusive_a', 'inconclusive_b', 'inconclusive_c', 'elimination', 'unsuitable')),
	notes            TEXT NOT NULL DEFAULT '',
	annotations      TEXT NOT NULL DEFAULT '[]',
	verifier         TEXT,
	status           TEXT NOT NULL CHECK (status IN ('awaiting_verification', 'verified', 'disagreement', 'resolved')),
	final_conclusion TEXT NOT NULL DEFAULT '',
	idempotency_key  TEXT,
	recorded_at      TIMESTAMP NOT NULL,
	updated_at       TIMESTAMP NOT NULL,
	CHECK (scan_a <> scan_b),
	UNIQUE (id, agency_id),
	UNIQUE (agency_id, idempotency_key),
	FOREIGN KEY (scan_a, agency_id) REFERENCES scans (id, agency_id),
	FOREIGN KEY (scan_b, agency_id) REFERENCES scans (id, agency_id),
	FOREIGN KEY (examiner, agency_id) REFERENCES users (id, agency_id),
	FOREIGN KEY (verifier, agency_id) REFERENCES users (id, agency_id)
);
-- One open conclusion per examiner and pair: a form submitted twice is a conflict.
CREATE UNIQUE INDEX conclusions_open_per_examiner ON conclusions (agency_id, examiner, pair_key)
	WHERE status IN ('awaiting_verification', 'disagreement');
CREATE INDEX conclusions_by_agency ON conclusions (agency_id, status, id);
CREATE INDEX conclusions_by_case_a ON conclusions (case_a, id);
CREATE INDEX conclusions_by_case_b ON conclusions (case_b, id);
CREATE INDEX conclusions_by_pair ON conclusions (pair_key, id);

-- The second examiner's blind verification and the supervisor's resolution
-- of a disagreement: at most one of each per conclusion.
CREATE TABLE conclusion_checks (
	id              TEXT PRIMARY KEY,
	agency_id       TEXT NOT NULL,
	conclusion_id   TEXT NOT NULL,
	step            TEXT NOT NULL CHECK (step IN ('verification', 'resolution')),
	checked_by      TEXT NOT NULL,
	conclusion      TEXT NOT NULL CHECK (conclusion IN ('identification', 'inconclusive_a', 'inconclusive_b', 'inconclusive_c', 'elimination', 'unsuitable')),
	notes           TEXT NOT NULL DEFAULT '',
	annotations     TEXT NOT NULL DEFAULT '[]',
	idempotency_key TEXT,
	checked_at      TIMESTAMP NOT NULL,
	UNIQUE (conclusion_id, step),
	UNIQUE (agency_id, idempotency_key),
	FOREIGN KEY (conclusion_id, agency_id) REFERENCES conclusions (id, agency_id),
	FOREIGN KEY (checked_by, agency_id) REFERENCES users (id, agency_id)
);

-- Case links may now come from a conclusion instead of a candidate review.
-- SQLite cannot drop NOT NULL in place: rebuild (nothing refers to case_links).
CREATE TABLE case_links_v4 (
	id            TEXT PRIMARY KEY,
	agency_id     TEXT NOT NULL REFERENCES agencies (id),
	case_a        TEXT NOT NULL REFERENCES cases (id),
	case_b        TEXT NOT NULL REFERENCES cases (id),
	candidate_id  TEXT REFERENCES candidates (id),
	conclusion_id TEXT REFERENCES conclusions (id),
	created_by    TEXT,
	created_at    TIMESTAMP NOT NULL,
	CHECK (case_a < case_b),
	CHECK (candidate_id IS NOT NULL OR conclusion_id IS NOT NULL),
	UNIQUE (agency_id, case_a, case_b),
	FOREIGN KEY (created_by, agency_id) REFERENCES users (id, agency_id)
);
INSERT INTO case_links_v4 (id, agency_id, case_a, case_b, candidate_id, created_by, created_at)
	SELECT id, agency_id, case_a, case_b, candidate_id, created_by, created_at FROM case_links;
DROP TABLE case_links;
ALTER TABLE case_links_v4 RENAME TO case_links;
CREATE INDEX case_links_by_b ON case_links (case_b);

-- Derived views computed from stored scans (decimated height maps, pair
-- views): key → content-addressed blob. Losing a row only costs a recompute.
CREATE TABLE derived_cache (
	cache_key  TEXT PRIMARY KEY,
	ref        TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE derived_cache;
DELETE FROM case_links WHERE candidate_id IS NULL;
CREATE TABLE case_links_v1 (
	id           TEXT PRIMARY KEY,
	agency_id    TEXT NOT NULL REFERENCES agencies (id),
	case_a       TEXT NOT NULL REFERENCES cases (id),
	case_b       TEXT NOT NULL REFERENCES cases (id),
	candidate_id TEXT NOT NULL REFERENCES candidates (id),
	created_by   TEXT,
	created_at   TIMESTAMP NOT NULL,
	CHECK (case_a < case_b),
	UNIQUE (agency_id, case_a, case_b),
	FOREIGN KEY (created_by, agency_id) REFERENCES users (id, agency_id)
);
INSERT INTO case_links_v1 SELECT id, agency_id, case_a, case_b, candidate_id, created_by, created_at FROM case_links;
DROP TABLE case_links;
ALTER TABLE case_links_v1 RENAME TO case_links;
CREATE INDEX case_links_by_b ON case_links (case_b);
DROP TABLE conclusion_checks;
DROP TABLE conclusions;
