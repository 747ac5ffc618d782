// Package store keeps the evidence database's records (package domain) in
// SQL: SQLite by default (modernc.org/sqlite, pure Go, one file) and
// PostgreSQL (pgx) for several machines, chosen by the URL given to Open.
// Original files and derived data live in the blob store (package blob);
// the database holds their Refs.
//
// # Engines and migrations
//
// Each engine has its own migrations under migrations/<dialect>/, embedded
// and applied by goose at Open (PostgreSQL takes an advisory lock so nodes
// starting together migrate once). Queries are plain database/sql with $n
// placeholders, shared by both engines. IDs are UUID text in SQLite and the
// uuid type in PostgreSQL; times are TIMESTAMP / TIMESTAMPTZ, stored in UTC
// with microsecond precision. SQLite runs in WAL mode with foreign keys on,
// synchronous=FULL (a committed transaction survives power loss), a 10 s
// busy timeout and BEGIN IMMEDIATE for write transactions, so concurrent
// writers queue instead of failing.
//
// # Conventions
//
//   - Every call takes a context. Every read and write of a record names
//     the agency it belongs to; a record of another agency is reported as
//     not found, exactly like a missing one. Composite foreign keys
//     (record_id, agency_id) make the database itself refuse a scan on
//     another agency's exhibit, a review by another agency's user, and so on.
//   - Errors carry an errs.Kind: NotFound, Conflict (duplicate case number,
//     exhibit label, username; a run completed twice), Invalid (a rule of
//     package domain broken, a malformed ID or cursor, a reference to a
//     missing record), Transient (busy database, lost connection; worth a
//     retry). Write transactions are retried a few times on Transient.
//   - Multi-record writes are one transaction: a run's status and its whole
//     candidate list, a review with the candidate's status and the case
//     link it makes. InTx groups the caller's own writes (cases, exhibits,
//     scans) into one transaction, for bulk loads (≈10× faster on SQLite,
//     where each commit is an fsync).
//   - Lists return one page and an opaque cursor for the next ("" at the
//     end); a cursor is only valid for the list that returned it.
//   - Create* assign an ID when the record has none (imports keep theirs)
//     and set the creation times; they return the record as stored.
//   - PutScan is idempotent by content: an agency stores each original file
//     (blob Ref = SHA-256) once, even when ingested concurrently.
//
// # Schema
//
// Tables of schema version 1 (migrations/*/00001_init.sql):
//
//	agencies           id, code (unique), name, country, created_at.
//	                   The laboratories; every other row belongs to one.
//	users              id, agency_id, username (unique on the node), display_name,
//	                   email, locale, disabled, created_at.
//	user_roles         (user_id, role): administrator, examiner, technician,
//	                   verifier, investigator, liaison.
//	cases              id, agency_id, number (unique per agency), title, offence,
//	                   occurred_at, received_at, place_name, lat, lon, status
//	                   (open, closed, archived), notes, search_text (lowercased
//	                   number/title/offence/place for text search), created_by,
//	                   created_at, updated_at.
//	exhibits           id, agency_id, case_id, label (unique per case), kind
//	                   (cartridge_case, bullet, firearm, test_fire), role
//	                   (crime_scene, reference), class characteristics (calibre,
//	                   firing_pin_shape, breech_face_class, ejector_position,
//	                   lands, twist, land_width_um, ammunition_make; NULL =
//	                   unknown), description, collected_at, created_by, times.
//	scans              id, agency_id, exhibit_id, original (blob ref = SHA-256 of
//	                   the original file; unique per agency), size, format (x3p,
//	                   png, tiff, jpeg), original_name, instrument, resolution_um,
//	                   um_per_pixel (2D calibration), warnings (JSON list, e.g.
//	                   X3P checksum warnings), acquired_by, acquired_at,
//	                   preprocessed and features (derived blob refs), created_by,
//	                   created_at.
//	correlation_runs   id, agency_id, query_scan, status (queued, running, done,
//	                   failed), params and stats (JSON text), error, created_by,
//	                   queued_at, started_at, finished_at.
//	candidates         id, agency_id, run_id, scan_id (the candidate, possibly of
//	                   another agency), rank (unique per run), score, calibrated,
//	                   registration (JSON text), review_status (latest review).
//	candidate_reviews  id, agency_id, candidate_id, status (unreviewed, viewed,
//	                   potential_hit, confirmed, excluded), reviewed_by,
//	                   reviewed_at, reason. Append-only: the history.
//	case_links         id, agency_id, case_a < case_b (unique per agency),
//	                   candidate_id (the confirmed hit), created_by, created_at.
//	goose_db_version   applied migrations (goose).
//
// # Planned tables (later migrations; the keys above are shaped for them)
//
//	sessions, api_tokens        security: hashed tokens → user, expiry.
//	user credentials            argon2id hash, lockout counters (columns or a table keyed by user).
//	audit_log                   hash-chained entries: seq, agency, actor, action, record
//	                            kind + id, at, prev_hash, hash; signed checkpoints.
//	custody_events              per exhibit: received/scanned/transferred/returned/
//	                            destroyed, who, when, where, scan hashes, warnings.
//	conclusions, verifications  AFTE conclusion per (query scan, candidate scan) by an
//	                            examiner; blind verification by a second user; a
//	                            confirmed identification writes a case_links row.
//	firearms, firearm_models    ITI fields, status, holding agency; exhibits of kind
//	                            test_fire reference their firearm.
//	trace_requests, trace_answers  between agencies/countries, status history.
//	peers, sharing_rules        federation: node keys, what each agency shares with whom;
//	                            imported records keep their origin node and IDs (UUIDs).
package store
