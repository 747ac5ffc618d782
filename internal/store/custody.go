package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// CustodyKind is a step in an exhibit's chain of custody.
type CustodyKind string

// Custody steps.
const (
	CustodyReceived    CustodyKind = "received"
	CustodyScanned     CustodyKind = "scanned"
	CustodyTransferred CustodyKind = "transferred"
	CustodyReturned    CustodyKind = "returned"
	CustodyDestroyed   CustodyKind = "destroyed"
)

// CustodyKinds lists every custody step.
var CustodyKinds = []CustodyKind{CustodyReceived, CustodyScanned, CustodyTransferred, CustodyReturned, CustodyDestroyed}

// CustodyEvent is one step of an exhibit's chain of custody. Events are
// append-only: a mistake is corrected by a later event's notes.
type CustodyEvent struct {
	ID          string           `json:"id"`
	Agency      domain.AgencyID  `json:"agency"`
	Exhibit     domain.ExhibitID `json:"exhibit"`
	Kind        CustodyKind      `json:"kind"`
	At          time.Time        `json:"at"`                    // when it happened
	By          domain.UserID    `json:"by,omitempty"`          // who (a user of the agency)
	Place       string           `json:"place,omitempty"`       // where
	Counterpart string           `json:"counterpart,omitempty"` // from whom received / to whom transferred or returned
	Notes       string           `json:"notes,omitempty"`
	Scan        domain.ScanID    `json:"scan,omitempty"`        // for "scanned": the scan record
	ScanHashes  []string         `json:"scan_hashes,omitempty"` // SHA-256 of the files scanned
	Warnings    []string         `json:"warnings,omitempty"`    // e.g. X3P checksum warnings
	CreatedAt   time.Time        `json:"created_at"`
	AuditSeq    int64            `json:"audit_seq"` // the audit entry recording it
}

// Validate checks the event's fields.
func (e CustodyEvent) Validate() error {
	const op = "store.CustodyEvent"
	if err := checkIDs("agency id", string(e.Agency), "exhibit id", string(e.Exhibit)); err != nil {
		return err
	}
	known := false
	for _, k := range CustodyKinds {
		known = known || e.Kind == k
	}
	if !known {
		return errs.Errorf(op, errs.Invalid, "custody event kind %q: want one of %v", clip(string(e.Kind)), CustodyKinds)
	}
	if e.At.IsZero() {
		return errs.Errorf(op, errs.Invalid, "custody event needs the time it happened")
	}
	if e.By != "" {
		if err := checkIDs("custody user id", string(e.By)); err != nil {
			return err
		}
	}
	if e.Scan != "" {
		if err := checkIDs("custody scan id", string(e.Scan)); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"place", e.Place, 300}, {"counterpart", e.Counterpart, 300}, {"notes", e.Notes, 4000}} {
		if len(f.v) > f.max {
			return errs.Errorf(op, errs.Invalid, "custody %s is longer than %d bytes", f.name, f.max)
		}
	}
	if (e.Kind == CustodyTransferred || e.Kind == CustodyReturned) && e.Counterpart == "" {
		return errs.Errorf(op, errs.Invalid, "a %s event must name the counterpart (to whom)", e.Kind)
	}
	return nil
}

// AddCustodyEvent stores e and, in the same transaction, the audit entry
// audit builds for it (so neither exists without the other). The event
// gets an ID and its creation time; AuditSeq is the audit entry's seq.
// The builder receives the event as stored, through the closure argument.
func (s *Store) AddCustodyEvent(ctx context.Context, e CustodyEvent, audit func(e CustodyEvent) AuditBuilder) (CustodyEvent, error) {
	const op = "store.AddCustodyEvent"
	if err := e.Validate(); err != nil {
		return CustodyEvent{}, err
	}
	if e.ID == "" {
		e.ID = s.ids.New()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.CreatedAt = s.timestamp()
	hashes, _ := json.Marshal(nonNil(e.ScanHashes))
	warnings, _ := json.Marshal(nonNil(e.Warnings))
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM exhibits WHERE id = $1 AND agency_id = $2`, "exhibit %s not found in agency %s", e.Exhibit, e.Agency); err != nil {
			return err
		}
		row, err := s.appendAudit(ctx, tx, op, audit(e))
		if err != nil {
			return err
		}
		e.AuditSeq = row.Seq
		_, err = tx.ExecContext(ctx, `INSERT INTO custody_events (id, agency_id, exhibit_id, kind, at, by_user, place, counterpart, notes,
			scan_id, scan_hashes, warnings, created_at, audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			e.ID, e.Agency, e.Exhibit, e.Kind, e.At, nullString(e.By), e.Place, e.Counterpart, e.Notes, nullString(e.Scan),
			string(hashes), string(warnings), e.CreatedAt, e.AuditSeq)
		return err
	})
	if err != nil {
		return CustodyEvent{}, err
	}
	return e, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CustodyEvents returns an exhibit's chain of custody in the order the
// events happened.
func (s *Store) CustodyEvents(ctx context.Context, agency domain.AgencyID, exhibit domain.ExhibitID) ([]CustodyEvent, error) {
	const op = "store.CustodyEvents"
	if err := checkIDs("agency id", string(agency), "exhibit id", string(exhibit)); err != nil {
		return nil, err
	}
	if err := exists(ctx, s.db, op, `SELECT 1 FROM exhibits WHERE id = $1 AND agency_id = $2`, "exhibit %s not found in agency %s", exhibit, agency); err != nil {
		return nil, s.classify(op, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, agency_id, exhibit_id, kind, at, by_user, place, counterpart, notes, scan_id,
		scan_hashes, warnings, created_at, audit_seq FROM custody_events WHERE exhibit_id = $1 AND agency_id = $2 ORDER BY at, id`, exhibit, agency)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []CustodyEvent
	for rows.Next() {
		var e CustodyEvent
		var by, scan sql.NullString
		var hashes, warnings string
		if err := rows.Scan(&e.ID, &e.Agency, &e.Exhibit, &e.Kind, &e.At, &by, &e.Place, &e.Counterpart, &e.Notes, &scan,
			&hashes, &warnings, &e.CreatedAt, &e.AuditSeq); err != nil {
			return nil, s.classify(op, err)
		}
		e.By, e.Scan = domain.UserID(by.String), domain.ScanID(scan.String)
		e.At, e.CreatedAt = e.At.UTC(), e.CreatedAt.UTC()
		if json.Unmarshal([]byte(hashes), &e.ScanHashes) != nil || json.Unmarshal([]byte(warnings), &e.Warnings) != nil {
			return nil, errs.Errorf(op, errs.Internal, "custody event %s: stored hash or warning list is not JSON", e.ID)
		}
		out = append(out, e)
	}
	return out, s.classify(op, rows.Err())
}
