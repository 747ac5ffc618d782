package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// PutScan stores a scan unless the agency already holds one of the same
// original file (same blob Ref, i.e. same SHA-256). It returns the stored
// scan and whether it was created now; for a file ingested before it
// returns the existing record unchanged (which may belong to another
// exhibit: callers that care compare ExhibitID). Concurrent calls for one
// file create one record. An empty ID is assigned; CreatedAt is set.
func (s *Store) PutScan(ctx context.Context, sc domain.Scan) (domain.Scan, bool, error) {
	return s.putScan(s.inTx, ctx, sc)
}

func (s *Store) putScan(run txRunner, ctx context.Context, sc domain.Scan) (domain.Scan, bool, error) {
	const op = "store.PutScan"
	if err := sc.Validate(); err != nil {
		return domain.Scan{}, false, err
	}
	if sc.ID == "" {
		sc.ID = domain.ScanID(s.ids.New())
	} else if err := domain.CheckID("scan id", string(sc.ID)); err != nil {
		return domain.Scan{}, false, err
	}
	sc.CreatedAt = s.timestamp()
	sc.AcquiredAt = stored(sc.AcquiredAt)
	if sc.Warnings == nil {
		sc.Warnings = []string{}
	}
	warnings, err := json.Marshal(sc.Warnings)
	if err != nil {
		return domain.Scan{}, false, errs.E(op, errs.Internal, err)
	}
	var (
		out     domain.Scan
		created bool
	)
	err = run(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM exhibits WHERE id = $1 AND agency_id = $2`, "exhibit %s not found in agency %s", sc.ExhibitID, sc.AgencyID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO scans (id, agency_id, exhibit_id, original, size, format, original_name,
				instrument, resolution_um, um_per_pixel, warnings, acquired_by, acquired_at, preprocessed, features, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
			ON CONFLICT (agency_id, original) DO NOTHING`,
			sc.ID, sc.AgencyID, sc.ExhibitID, sc.Original, sc.Size, sc.Format, sc.OriginalName, sc.Instrument,
			nullFloat(sc.ResolutionUM), nullFloat(sc.UMPerPixel), string(warnings), nullString(sc.AcquiredBy),
			nullTime(sc.AcquiredAt), sc.Preprocessed, sc.Features, nullString(sc.CreatedBy), sc.CreatedAt)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		out, err = scanScan(tx.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE agency_id = $1 AND original = $2`, sc.AgencyID, sc.Original))
		return err
	})
	if err != nil {
		return domain.Scan{}, false, err
	}
	return out, created, nil
}

const scanColumns = `id, agency_id, exhibit_id, original, size, format, original_name, instrument, resolution_um,
	um_per_pixel, warnings, acquired_by, acquired_at, preprocessed, features, created_by, created_at`

func scanScan(r rowScanner) (domain.Scan, error) {
	var (
		sc                    domain.Scan
		resolution, umPerPx   sql.NullFloat64
		warnings              string
		acquiredBy, createdBy sql.NullString
		acquiredAt            sql.NullTime
	)
	err := r.Scan(&sc.ID, &sc.AgencyID, &sc.ExhibitID, &sc.Original, &sc.Size, &sc.Format, &sc.OriginalName,
		&sc.Instrument, &resolution, &umPerPx, &warnings, &acquiredBy, &acquiredAt, &sc.Preprocessed, &sc.Features,
		&createdBy, &sc.CreatedAt)
	if err != nil {
		return sc, err
	}
	sc.ResolutionUM, sc.UMPerPixel = resolution.Float64, umPerPx.Float64
	if err := json.Unmarshal([]byte(warnings), &sc.Warnings); err != nil {
		return sc, errs.E("store.scan", errs.Internal, fmt.Errorf("scan %s: stored warnings are not a JSON list: %w", sc.ID, err))
	}
	sc.AcquiredBy, sc.CreatedBy = domain.UserID(acquiredBy.String), domain.UserID(createdBy.String)
	sc.AcquiredAt = fromNullTime(acquiredAt)
	sc.CreatedAt = sc.CreatedAt.UTC()
	return sc, nil
}

// Scan returns a scan of agency.
func (s *Store) Scan(ctx context.Context, agency domain.AgencyID, id domain.ScanID) (domain.Scan, error) {
	const op = "store.Scan"
	if err := checkIDs("agency id", string(agency), "scan id", string(id)); err != nil {
		return domain.Scan{}, err
	}
	sc, err := scanScan(s.db.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = $1 AND agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return sc, notFound(op, "scan %s not found in agency %s", id, agency)
	}
	return sc, s.classify(op, err)
}

// ScanByOriginal returns the scan of agency whose original file is ref.
func (s *Store) ScanByOriginal(ctx context.Context, agency domain.AgencyID, ref blob.Ref) (domain.Scan, error) {
	const op = "store.ScanByOriginal"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return domain.Scan{}, err
	}
	sc, err := scanScan(s.db.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE agency_id = $1 AND original = $2`, agency, ref))
	if err == sql.ErrNoRows {
		return sc, notFound(op, "agency %s has no scan of file %s", agency, ref)
	}
	return sc, s.classify(op, err)
}

// ListScans returns the scans of an exhibit in the order they were stored,
// a page at a time.
func (s *Store) ListScans(ctx context.Context, agency domain.AgencyID, exhibit domain.ExhibitID, page Page) ([]domain.Scan, string, error) {
	const op = "store.ListScans"
	if err := checkIDs("agency id", string(agency), "exhibit id", string(exhibit)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "scans", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", agency)
	w.add("exhibit_id = ?", exhibit)
	if ok {
		w.add("id > ?", c.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+scanColumns+` FROM scans`+w.String()+` ORDER BY id LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.Scan
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, "", s.classify(op, err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "scans", ID: string(out[limit-1].ID)})
	}
	return out, next, nil
}

// SetScanDerived records the blobs computed from a scan once: the
// preprocessed surface and the search features. A zero Ref leaves that
// field unchanged.
func (s *Store) SetScanDerived(ctx context.Context, agency domain.AgencyID, id domain.ScanID, preprocessed, features blob.Ref) error {
	const op = "store.SetScanDerived"
	if err := checkIDs("agency id", string(agency), "scan id", string(id)); err != nil {
		return err
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scans SET preprocessed = COALESCE($1, preprocessed), features = COALESCE($2, features)
			WHERE id = $3 AND agency_id = $4`, preprocessed, features, id, agency)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound(op, "scan %s not found in agency %s", id, agency)
		}
		return nil
	})
}

// SetScanFeatures points a scan's search features at fresh, replacing
// stale: the features recomputed from the processed surface when the
// stored blob is of an older format. It changes the record only while its
// features are still stale, so a scan ingested again or updated by another
// process meanwhile keeps what it has (an errs.Conflict, nothing changed);
// features already at fresh are not an error. An unknown scan (or one of
// another agency) is an errs.NotFound. The stale blob is not deleted here.
func (s *Store) SetScanFeatures(ctx context.Context, agency domain.AgencyID, id domain.ScanID, stale, fresh blob.Ref) error {
	const op = "store.SetScanFeatures"
	if err := checkIDs("agency id", string(agency), "scan id", string(id)); err != nil {
		return err
	}
	if stale.IsZero() {
		return errs.Errorf(op, errs.Invalid, "stale features ref is empty: give the ref the scan's features have now")
	}
	if fresh.IsZero() {
		return errs.Errorf(op, errs.Invalid, "fresh features ref is empty: store the recomputed features first and give their ref")
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scans SET features = $1 WHERE id = $2 AND agency_id = $3 AND features = $4`,
			fresh, id, agency, stale)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var now blob.Ref
		err = tx.QueryRowContext(ctx, `SELECT features FROM scans WHERE id = $1 AND agency_id = $2`, id, agency).Scan(&now)
		switch {
		case err == sql.ErrNoRows:
			return notFound(op, "scan %s not found in agency %s", id, agency)
		case err != nil:
			return err
		case now == fresh:
			return nil
		}
		return errs.Errorf(op, errs.Conflict, "the features of scan %s changed meanwhile (now %q, not %q); they were left as they are", id, now, stale)
	})
}

// SearchEntry is what the search index needs about one searchable scan.
type SearchEntry struct {
	Scan     domain.ScanID
	Agency   domain.AgencyID
	Exhibit  domain.ExhibitID
	Case     domain.CaseID
	Kind     domain.ExhibitKind
	Role     domain.ExhibitRole
	Class    domain.ClassCharacteristics
	Format   domain.ScanFormat
	Features blob.Ref
}

// SearchEntries lists the scans of every agency that have search features,
// in ID order after the given scan ("" starts at the beginning), at most
// limit (capped at MaxLimit). It serves the index that the search engine
// builds at start-up; who may see which results is decided above the store.
func (s *Store) SearchEntries(ctx context.Context, after domain.ScanID, limit int) ([]SearchEntry, error) {
	const op = "store.SearchEntries"
	var w where
	w.conds = append(w.conds, "s.features IS NOT NULL")
	if after != "" {
		if err := checkIDs("cursor scan id", string(after)); err != nil {
			return nil, err
		}
		w.add("s.id > ?", after)
	}
	limit = Page{Limit: limit}.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.agency_id, s.exhibit_id, e.case_id, e.kind, e.role, e.calibre,
			e.firing_pin_shape, e.breech_face_class, e.ejector_position, e.lands, e.twist, e.land_width_um, e.ammunition_make,
			s.format, s.features
		FROM scans s JOIN exhibits e ON e.id = s.exhibit_id`+w.String()+` ORDER BY s.id LIMIT `+w.next(limit), w.args...)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []SearchEntry
	for rows.Next() {
		var (
			e                                          SearchEntry
			calibre, pin, breech, ejector, twist, ammo sql.NullString
			lands                                      sql.NullInt64
			landWidth                                  sql.NullFloat64
		)
		if err := rows.Scan(&e.Scan, &e.Agency, &e.Exhibit, &e.Case, &e.Kind, &e.Role, &calibre, &pin, &breech, &ejector,
			&lands, &twist, &landWidth, &ammo, &e.Format, &e.Features); err != nil {
			return nil, s.classify(op, err)
		}
		e.Class = domain.ClassCharacteristics{
			Calibre: calibre.String, FiringPinShape: pin.String, BreechFaceClass: breech.String,
			EjectorPosition: ejector.String, Lands: int(lands.Int64), Twist: twist.String,
			LandWidthUM: landWidth.Float64, AmmunitionMake: ammo.String,
		}
		out = append(out, e)
	}
	return out, s.classify(op, rows.Err())
}
