-- SQLite schema, version 1. Keep in step with ../postgres/00001_init.sql.
-- IDs are UUID text; times are TIMESTAMP text that modernc.org/sqlite reads as time.Time.
-- +goose Up
-- Agencies (laboratories); every other record belongs to one.
CREATE TABLE agencies (
	id         TEXT PRIMARY KEY,
	code       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	country    TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);

-- People acting for an agency. Credentials come with the security work.
CREATE TABLE users (
	id           TEXT PRIMARY KEY,
	agency_id    TEXT NOT NULL REFERENCES agencies (id),
	username     TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL DEFAULT '',
	email        TEXT NOT NULL DEFAULT '',
	locale       TEXT NOT NULL DEFAULT '',
	disabled     BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   TIMESTAMP NOT NULL,
	UNIQUE (id, agency_id)
);

CREATE TABLE user_roles (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role    TEXT NOT NULL CHECK (role IN ('administrator', 'examiner', 'technician', 'verifier', 'investigator', 'liaison')),
	PRIMARY KEY (user_id, role)
);

CREATE TABLE cases (
	id          TEXT PRIMARY KEY,
	agency_id   TEXT NOT NULL REFERENCES agencies (id),
	number      TEXT NOT NULL,
	title       TEXT NOT NULL DEFAULT '',
	offence     TEXT NOT NULL DEFAULT '',
	occurred_at TIMESTAMP,
	received_at TIMESTAMP,
	place_name  TEXT NOT NULL DEFAULT '',
	lat         REAL CHECK (lat BETWEEN -90 AND 90),
	lon         REAL CHECK (lon BETWEEN -180 AND 180),
	status      TEXT NOT NULL CHECK (status IN ('open', 'closed', 'archived')),
	notes       TEXT NOT NULL DEFAULT '',
	search_text TEXT NOT NULL DEFAULT '',
	created_by  TEXT,
	created_at  TIMESTAMP NOT NULL,
	updated_at  TIMESTAMP NOT NULL,
	CHECK ((lat IS NULL) = (lon IS NULL)),
	UNIQUE (agency_id, number),
	UNIQUE (id, agency_id),
	FOREIGN KEY (created_by, agency_id) REFERENCES users (id, agency_id)
);
CREATE INDEX cases_by_agency ON cases (agency_id, status, id);

CREATE TABLE exhibits (
	id                TEXT PRIMARY KEY,
	agency_id         TEXT NOT NULL,
	case_id           TEXT NOT NULL,
	label             TEXT NOT NULL,
	kind              TEXT NOT NULL CHECK (kind IN ('cartridge_case', 'bullet', 'firearm', 'test_fire')),
	role              TEXT NOT NULL CHECK (role IN ('crime_scene', 'reference')),
	calibre           TEXT,
	firing_pin_shape  TEXT,
	breech_face_class TEXT,
	ejector_position  TEXT,
	lands             INTEGER CHECK (lands BETWEEN 1 AND 64),
	twist             TEXT CHECK (twist IN ('left', 'right')),
	land_width_um     REAL CHECK (land_width_um > 0),
	ammunition_make   TEXT,
	description       TEXT NOT NULL DEFAULT '',
	collected_at      TIMESTAMP,
	created_by        TEXT,
	created_at        TIMESTAMP NOT NULL,
	updated_at        TIMESTAMP NOT NULL,
	UNIQUE (case_id, label),
	UNIQUE (id, agency_id),
	FOREIGN KEY (case_id, agency_id) REFERENCES cases (id, agency_id),
	FOREIGN KEY (created_by, agency_id) REFERENCES users (id, agency_id)
);
CREATE INDEX exhibits_by_case ON exhibits (case_id, id);
CREATE INDEX exhibits_by_class ON exhibits (kind, calibre);

CREATE TABLE scans (
	id            TEXT PRIMARY KEY,
	agency_id     TEXT NOT NULL,
	exhibit_id    TEXT NOT NULL,
	original      TEXT NOT NULL,
	size          BIGINT NOT NULL CHECK (size >= 0),
	format        TEXT NOT NULL CHECK (format IN ('x3p', 'png', 'tiff', 'jpeg')),
	original_name TEXT NOT NULL DEFAULT '',
	instrument    TEXT NOT NULL DEFAULT '',
	resolution_um REAL CHECK (resolution_um > 0),
	um_per_pixel  REAL CHECK (um_per_pixel > 0),
	warnings      TEXT NOT NULL DEFAULT '[]',
	acquired_by   TEXT,
	acquired_at   TIMESTAMP,
	preprocessed  TEXT,
	features      TEXT,
	created_by    TEXT,
	created_at    TIMESTAMP NOT NULL,
	UNIQUE (agency_id, original),
	UNIQUE (id, agency_id),
	FOREIGN KEY (exhibit_id, agency_id) REFERENCES exhibits (id, agency_id),
	FOREIGN KEY (acquired_by, agency_id) REFERENCES users (id, agency_id),
	FOREIGN KEY (created_by, agency_id) REFERENCES users (id, agency_id)
);
CREATE INDEX scans_by_exhibit ON scans (exhibit_id, id);

CREATE TABLE correlation_runs (
	id          TEXT PRIMARY KEY,
	agency_id   TEXT NOT NULL,
	query_scan  TEXT NOT NULL,
	status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
	params      TEXT NOT NULL DEFAULT '',
	stats       TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	created_by  TEXT,
	queued_at   TIMESTAMP NOT NULL,
	started_at  TIMESTAMP,
	finished_at TIMESTAMP,
	UNIQUE (id, agency_id),
	FOREIGN KEY (query_scan, agency_id) REFERENCES scans (id, agency_id),
	FOREIGN KEY (created_by, agency_id) REFERENCES users (id, agency_id)
);
CREATE INDEX runs_by_agency ON correlation_runs (agency_id, status, id);
CREATE INDEX runs_by_status ON correlation_runs (status, id);
CREATE INDEX runs_by_query ON correlation_runs (query_scan, id);

CREATE TABLE candidates (
	id            TEXT PRIMARY KEY,
	agency_id     TEXT NOT NULL,
	run_id        TEXT NOT NULL,
	scan_id       TEXT NOT NULL REFERENCES scans (id),
	rank          INTEGER NOT NULL CHECK (rank >= 1),
	score         REAL NOT NULL,
	calibrated    REAL,
	registration  TEXT NOT NULL DEFAULT '',
	review_status TEXT NOT NULL DEFAULT 'unreviewed'
		CHECK (review_status IN ('unreviewed', 'viewed', 'potential_hit', 'confirmed', 'excluded')),
	UNIQUE (run_id, rank),
	UNIQUE (run_id, scan_id),
	UNIQUE (id, agency_id),
	FOREIGN KEY (run_id, agency_id) REFERENCES correlation_runs (id, agency_id)
);
CREATE INDEX candidates_by_scan ON candidates (scan_id);

CREATE TABLE candidate_reviews (
	id           TEXT PRIMARY KEY,
	agency_id    TEXT NOT NULL,
	candidate_id TEXT NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('unreviewed', 'viewed', 'potential_hit', 'confirmed', 'excluded')),
	reviewed_by  TEXT NOT NULL,
	reviewed_at  TIMESTAMP NOT NULL,
	reason       TEXT NOT NULL DEFAULT '',
	FOREIGN KEY (candidate_id, agency_id) REFERENCES candidates (id, agency_id),
	FOREIGN KEY (reviewed_by, agency_id) REFERENCES users (id, agency_id)
);
CREATE INDEX reviews_by_candidate ON candidate_reviews (candidate_id, id);

CREATE TABLE case_links (
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
CREATE INDEX case_links_by_b ON case_links (case_b);

-- +goose Down
DROP TABLE case_links;
DROP TABLE candidate_reviews;
DROP TABLE candidates;
DROP TABLE correlation_runs;
DROP TABLE scans;
DROP TABLE exhibits;
DROP TABLE cases;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE agencies;
