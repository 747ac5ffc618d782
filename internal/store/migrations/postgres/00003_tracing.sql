-- PostgreSQL schema, version 3: firearm tracing and exchange between nodes.
-- Keep in step with ../sqlite/00003_tracing.sql.
-- +goose Up
-- Firearm records (International Tracing Instrument fields). The indexed
-- fields are columns; the rest of tracing.Firearm (import marks, other
-- markings, photo blob refs, history) is the JSON in record. Test fires
-- live in firearm_exhibits, not in record.
CREATE TABLE firearms (
	id            UUID PRIMARY KEY,
	agency_id     UUID NOT NULL REFERENCES agencies (id),
	make          TEXT NOT NULL,
	model         TEXT NOT NULL DEFAULT '',
	type          TEXT NOT NULL,
	calibre       TEXT NOT NULL DEFAULT '',
	serial_number TEXT NOT NULL DEFAULT '',
	serial_key    TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL CHECK (status IN ('lost', 'stolen', 'seized', 'recovered', 'destroyed', 'in_reference_collection')),
	country       TEXT NOT NULL DEFAULT '',
	case_id       UUID,
	search_text   TEXT NOT NULL DEFAULT '',
	record        TEXT NOT NULL,
	origin        TEXT,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	UNIQUE (id, agency_id),
	FOREIGN KEY (case_id, agency_id) REFERENCES cases (id, agency_id)
);
CREATE INDEX firearms_by_agency ON firearms (agency_id, status, id);
CREATE INDEX firearms_by_serial ON firearms (agency_id, serial_key);

-- Exhibits made with a firearm: its test fires.
CREATE TABLE firearm_exhibits (
	firearm_id UUID NOT NULL,
	agency_id  UUID NOT NULL,
	exhibit_id UUID NOT NULL,
	created_by UUID,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (firearm_id, exhibit_id),
	FOREIGN KEY (firearm_id, agency_id) REFERENCES firearms (id, agency_id) ON DELETE CASCADE,
	FOREIGN KEY (exhibit_id, agency_id) REFERENCES exhibits (id, agency_id)
);
CREATE INDEX firearm_exhibits_by_exhibit ON firearm_exhibits (exhibit_id);

-- Trace requests between agencies. A party with an agency on this node
-- has its ID; one of the two always has. record is tracing.TraceRequest
-- without its answers (trace_answers).
CREATE TABLE trace_requests (
	id                  UUID PRIMARY KEY,
	requester_agency_id UUID REFERENCES agencies (id),
	addressee_agency_id UUID REFERENCES agencies (id),
	requester_country   TEXT NOT NULL,
	addressee_country   TEXT NOT NULL,
	status              TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'acknowledged', 'answered', 'closed')),
	deadline            TIMESTAMPTZ,
	firearm_id          TEXT,
	record              TEXT NOT NULL,
	created_at          TIMESTAMPTZ NOT NULL,
	updated_at          TIMESTAMPTZ NOT NULL,
	CHECK (requester_agency_id IS NOT NULL OR addressee_agency_id IS NOT NULL)
);
CREATE INDEX trace_requests_outgoing ON trace_requests (requester_agency_id, status, id);
CREATE INDEX trace_requests_incoming ON trace_requests (addressee_agency_id, status, id);

-- Answers to trace requests, in order. Append-only.
CREATE TABLE trace_answers (
	request_id UUID NOT NULL REFERENCES trace_requests (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	at         TIMESTAMPTZ NOT NULL,
	by_user    UUID,
	record     TEXT NOT NULL,
	PRIMARY KEY (request_id, seq)
);

-- Trusted peer nodes: Ed25519 exchange key (fingerprint = "SHA256:" + hex)
-- and the pinned TLS certificate of its federation endpoint. Node-wide.
CREATE TABLE peers (
	fingerprint      TEXT PRIMARY KEY,
	node             TEXT NOT NULL,
	agency_id        TEXT NOT NULL DEFAULT '',
	agency           TEXT NOT NULL DEFAULT '',
	country          TEXT NOT NULL,
	public_key       TEXT NOT NULL,
	cert_fingerprint TEXT NOT NULL DEFAULT '',
	url              TEXT NOT NULL DEFAULT '',
	added_by         UUID,
	added_at         TIMESTAMPTZ NOT NULL,
	revoked_at       TIMESTAMPTZ,
	revoke_reason    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX peers_by_cert ON peers (cert_fingerprint) WHERE cert_fingerprint <> '';

-- What each agency shares with which peer (exchange.SharingRule); kinds
-- is a JSON list. Rules are revoked, never deleted.
CREATE TABLE sharing_rules (
	id         UUID PRIMARY KEY,
	owner      UUID NOT NULL REFERENCES agencies (id),
	peer       TEXT NOT NULL,
	kinds      TEXT NOT NULL,
	detail     TEXT NOT NULL CHECK (detail IN ('scores', 'thumbnails', 'full')),
	note       TEXT NOT NULL DEFAULT '',
	created_by UUID,
	created_at TIMESTAMPTZ NOT NULL,
	revoked_at TIMESTAMPTZ,
	revoked_by UUID
);
CREATE INDEX sharing_rules_by_owner ON sharing_rules (owner, id);

-- Bundles imported into an agency: a second import of one is refused.
CREATE TABLE imported_bundles (
	agency_id   UUID NOT NULL REFERENCES agencies (id),
	bundle_id   TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	origin      TEXT NOT NULL,
	counts      TEXT NOT NULL,
	imported_by UUID,
	imported_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (agency_id, bundle_id)
);

-- Where imported records come from (exchange.Origin as JSON).
CREATE TABLE record_origins (
	agency_id UUID NOT NULL REFERENCES agencies (id),
	kind      TEXT NOT NULL CHECK (kind IN ('firearm', 'case', 'exhibit', 'scan')),
	record_id TEXT NOT NULL,
	bundle_id TEXT NOT NULL,
	origin    TEXT NOT NULL,
	PRIMARY KEY (agency_id, kind, record_id)
);

-- +goose StatementBegin
CREATE FUNCTION trace_answers_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'trace_answers is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER trace_answers_no_update BEFORE UPDATE ON trace_answers FOR EACH ROW EXECUTE FUNCTION trace_answers_append_only();

-- +goose Down
DROP TABLE record_origins;
DROP TABLE imported_bundles;
DROP TABLE sharing_rules;
DROP TABLE peers;
DROP TABLE trace_answers;
DROP FUNCTION trace_answers_append_only;
DROP TABLE trace_requests;
DROP TABLE firearm_exhibits;
DROP TABLE firearms;
