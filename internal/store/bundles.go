package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
)

// ImportCounts says what an import added and what it found already there.
type ImportCounts struct {
	Firearms int `json:"firearms"`
	Cases    int `json:"cases"`
	Exhibits int `json:"exhibits"`
	Scans    int `json:"scans"`
	// Existing counts records the agency already held (same ID or, for
	// scans, the same original file): kept, not duplicated.
	Existing int `json:"existing"`
}

// ImportedBundle is the record of one import.
type ImportedBundle struct {
	BundleID   exchange.BundleID `json:"bundle_id"`
	Agency     domain.AgencyID   `json:"agency_id"`
	Origin     exchange.Origin   `json:"origin"`
	Counts     ImportCounts      `json:"counts"`
	ImportedBy domain.UserID     `json:"imported_by,omitempty"`
	ImportedAt string            `json:"imported_at"`
}

// BundleImported reports whether agency imported bundle id before.
func (s *Store) BundleImported(ctx context.Context, agency domain.AgencyID, id exchange.BundleID) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM imported_bundles WHERE agency_id = $1 AND bundle_id = $2`, agency, string(id)).Scan(&n)
	return n > 0, s.classify("store.BundleImported", err)
}

// ImportBundle stores the records of a verified bundle in agency, in one
// transaction: the bundle's ID (a second import of it is an errs.Conflict
// and changes nothing), the cases, exhibits, scans and firearms with their
// IDs and the bundle's origin. Records the agency already holds are kept
// as they are (counted in Existing). Imported records lose their creators
// (users of another node) and get the importer's agency; case numbers are
// prefixed with the exporting agency's code so they cannot collide with
// local ones. The original scan files must already be in the blob store
// (exchange.Bundle.StoreScans); derived data is computed afterwards.
func (s *Store) ImportBundle(ctx context.Context, agency domain.AgencyID, by domain.UserID, b *exchange.Bundle) (ImportCounts, error) {
	const op = "store.ImportBundle"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return ImportCounts{}, err
	}
	var counts ImportCounts
	origin, err := json.Marshal(b.Origin)
	if err != nil {
		return counts, errs.E(op, errs.Internal, err)
	}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		counts = ImportCounts{}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM imported_bundles WHERE agency_id = $1 AND bundle_id = $2`,
			agency, string(b.Origin.BundleID)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.Errorf(op, errs.Conflict, "bundle %s was imported into agency %s before; nothing was imported again", b.Origin.BundleID, agency)
		}
		t := &Tx{s: s, tx: tx}
		mark := func(kind, id string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO record_origins (agency_id, kind, record_id, bundle_id, origin) VALUES ($1, $2, $3, $4, $5)`,
				agency, kind, id, string(b.Origin.BundleID), string(origin))
			return err
		}
		have := func(table, id string) (bool, error) {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = $1`, id).Scan(&n)
			return n > 0, err
		}
		for _, c := range b.Cases {
			if ok, err := have("cases", string(c.ID)); err != nil || ok {
				counts.Existing += btoi(ok)
				if err != nil {
					return err
				}
				continue
			}
			c.AgencyID, c.CreatedBy = agency, ""
			if b.Origin.Agency != "" {
				c.Number = b.Origin.Agency + "/" + c.Number
			}
			if _, err := t.CreateCase(ctx, c); err != nil {
				return fmt.Errorf("case %s: %w", c.ID, err)
			}
			if err := mark("case", string(c.ID)); err != nil {
				return err
			}
			counts.Cases++
		}
		for _, e := range b.Exhibits {
			if ok, err := have("exhibits", string(e.ID)); err != nil || ok {
				counts.Existing += btoi(ok)
				if err != nil {
					return err
				}
				continue
			}
			e.AgencyID, e.CreatedBy = agency, ""
			if _, err := t.CreateExhibit(ctx, e); err != nil {
				return fmt.Errorf("exhibit %s: %w", e.ID, err)
			}
			if err := mark("exhibit", string(e.ID)); err != nil {
				return err
			}
			counts.Exhibits++
		}
		for _, se := range b.Scans {
			sc := se.Record
			sc.AgencyID, sc.CreatedBy, sc.AcquiredBy = agency, "", ""
			sc.Preprocessed, sc.Features = blob.Ref{}, blob.Ref{}
			stored, created, err := t.PutScan(ctx, sc)
			if err != nil {
				return fmt.Errorf("scan %s: %w", sc.ID, err)
			}
			if !created {
				counts.Existing++
				continue
			}
			if err := mark("scan", string(stored.ID)); err != nil {
				return err
			}
			counts.Scans++
		}
		for _, f := range b.Firearms {
			if ok, err := have("firearms", string(f.ID)); err != nil || ok {
				counts.Existing += btoi(ok)
				if err != nil {
					return err
				}
				continue
			}
			f.AgencyID = agency
			f.TestFires = keepExhibits(ctx, tx, agency, f.TestFires)
			if f.CaseID != "" {
				if ok, err := have("cases", string(f.CaseID)); err != nil {
					return err
				} else if !ok {
					f.CaseID = ""
				}
			}
			for i := range f.History {
				f.History[i].By = ""
			}
			if _, err := s.createFirearm(t.run, ctx, f, b.Origin); err != nil {
				return fmt.Errorf("firearm %s: %w", f.ID, err)
			}
			if err := mark("firearm", string(f.ID)); err != nil {
				return err
			}
			counts.Firearms++
		}
		cj, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO imported_bundles (agency_id, bundle_id, fingerprint, origin, counts, imported_by, imported_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, agency, string(b.Origin.BundleID), b.Origin.Fingerprint, string(origin), string(cj),
			nullString(by), s.timestamp())
		return err
	})
	if err != nil {
		return ImportCounts{}, s.classify(op, err)
	}
	return counts, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// keepExhibits keeps the test-fire exhibits the agency holds (the bundle
// may carry a firearm without its test fires).
func keepExhibits(ctx context.Context, tx *sql.Tx, agency domain.AgencyID, ids []domain.ExhibitID) []domain.ExhibitID {
	var out []domain.ExhibitID
	for _, id := range ids {
		var n int
		if tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM exhibits WHERE id = $1 AND agency_id = $2`, id, agency).Scan(&n) == nil && n > 0 {
			out = append(out, id)
		}
	}
	return out
}

// RecordOrigin returns where an imported record of agency comes from
// (kind: firearm, case, exhibit or scan); a record made here is not found.
func (s *Store) RecordOrigin(ctx context.Context, agency domain.AgencyID, kind, id string) (exchange.Origin, error) {
	const op = "store.RecordOrigin"
	var o exchange.Origin
	var js string
	err := s.db.QueryRowContext(ctx, `SELECT origin FROM record_origins WHERE agency_id = $1 AND kind = $2 AND record_id = $3`, agency, kind, id).Scan(&js)
	if err == sql.ErrNoRows {
		return o, notFound(op, "%s %s of agency %s was not imported", kind, clip(id), agency)
	}
	if err != nil {
		return o, s.classify(op, err)
	}
	if err := json.Unmarshal([]byte(js), &o); err != nil {
		return o, errs.E(op, errs.Internal, err)
	}
	return o, nil
}
