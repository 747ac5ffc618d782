-- PostgreSQL schema, version 4: examiners' conclusions with blind
-- verification and resolution, case links made by conclusions, and the
-- cache of derived views (decimated surfaces, pair views). Keep in step with
-- ../sqlite/00004_workstation.sql.
-- +goose Up
-- One examiner's AFTE conclusion on a pair of scans. Exhibits and cases are
-- copied from the scans so that lists per case need no join. candidate_id
-- has no foreign key: the conclusion stands even if its candidate goes.
-- pair_key is the two scan IDs sorted and joined by '|', so that A/B and B/A
-- count as one pair.
CREATE TABLE conclusions (
	id               UUID PRIMARY KEY,
	agency_id        UUID NOT NULL,
	scan_a           UUID NOT NULL,
	scan_b           UUID NOT NULL,
	exhibit_a        UUID NOT NULL,
	exhibit_b        UUID NOT NULL,
	case_a           UUID NOT NULL,
	case_b           UUID NOT NULL,
	pair_key         TEXT NOT NULL,
	candidate_id     UUID,
	examiner         UUID NOT NULL,
	conclusion       TEXT NOT NULL CHECK (conclusion IN ('identification', 'inconclusive_a', 'inconclusive_b', 'inconclusive_c', 'elimination', 'unsuitable')),
	notes            TEXT NOT NULL DEFAULT '',
	annotations      TEXT NOT NULL DEFAULT '[]',
	verifier         UUID,
	status           TEXT NOT NULL CHECK (status IN ('awaiting_verification', 'verified', 'disagreement', 'resolved')),
	final_conclusion TEXT NOT NULL DEFAULT '',
	idempotency_key  TEXT,
	recorded_at      TIMESTAMPTZ NOT NULL,
	updated_at       TIMESTAMPTZ NOT NULL,
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
	id              UUID PRIMARY KEY,
	agency_id       UUID NOT NULL,
	conclusion_id   UUID NOT NULL,
	step            TEXT NOT NULL CHECK (step IN ('verification', 'resolution')),
	checked_by      UUID NOT NULL,
	conclusion      TEXT NOT NULL CHECK (conclusion IN ('identification', 'inconclusive_a', 'inconclusive_b', 'inconclusive_c', 'elimination', 'unsuitable')),
	notes           TEXT NOT NULL DEFAULT '',
	annotations     TEXT NOT NULL DEFAULT '[]',
	idempotency_key TEXT,
	checked_at      TIMESTAMPTZ NOT NULL,
	UNIQUE (conclusion_id, step),
	UNIQUE (agency_id, idempotency_key),
	FOREIGN KEY (conclusion_id, agency_id) REFERENCES conclusions (id, agency_id),
	FOREIGN KEY (checked_by, agency_id) REFERENCES users (id, agency_id)
);

-- Case links may now come from a conclusion instead of a candidate review.
ALTER TABLE case_links ALTER COLUMN candidate_id DROP NOT NULL;
ALTER TABLE case_links ADD COLUMN conclusion_id UUID REFERENCES conclusions (id);
ALTER TABLE case_links ADD CONSTRAINT case_links_has_source CHECK (candidate_id IS NOT NULL OR conclusion_id IS NOT NULL);

-- Derived views computed from stored scans (decimated height maps, pair
-- views): key → content-addressed blob. Losing a row only costs a recompute.
CREATE TABLE derived_cache (
	cache_key  TEXT PRIMARY KEY,
	ref        TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE derived_cache;
DELETE FROM case_links WHERE candidate_id IS NULL;
ALTER TABLE case_links DROP CONSTRAINT case_links_has_source;
ALTER TABLE case_links DROP COLUMN conclusion_id;
ALTER TABLE case_links ALTER COLUMN candidate_id SET NOT NULL;
DROP TABLE conclusion_checks;
DROP TABLE conclusions;
