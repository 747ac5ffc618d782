package store

import (
	"context"
	"database/sql"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// CreateExhibit stores a new exhibit in an existing case of the same agency.
// An empty ID is assigned; CreatedAt/UpdatedAt are set. A label already used
// in the case is an errs.Conflict.
func (s *Store) CreateExhibit(ctx context.Context, e domain.Exhibit) (domain.Exhibit, error) {
	return s.createExhibit(s.inTx, ctx, e)
}

func (s *Store) createExhibit(run txRunner, ctx context.Context, e domain.Exhibit) (domain.Exhibit, error) {
	const op = "store.CreateExhibit"
	if err := e.Validate(); err != nil {
		return domain.Exhibit{}, err
	}
	if e.ID == "" {
		e.ID = domain.ExhibitID(s.ids.New())
	} else if err := domain.CheckID("exhibit id", string(e.ID)); err != nil {
		return domain.Exhibit{}, err
	}
	e.CreatedAt = s.timestamp()
	e.UpdatedAt = e.CreatedAt
	e.CollectedAt = stored(e.CollectedAt)
	cc := e.Class
	err := run(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM cases WHERE id = $1 AND agency_id = $2`, "case %s not found in agency %s", e.CaseID, e.AgencyID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO exhibits (id, agency_id, case_id, label, kind, role, calibre, firing_pin_shape,
				breech_face_class, ejector_position, lands, twist, land_width_um, ammunition_make, description, collected_at,
				created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			e.ID, e.AgencyID, e.CaseID, e.Label, e.Kind, e.Role, nullString(cc.Calibre), nullString(cc.FiringPinShape),
			nullString(cc.BreechFaceClass), nullString(cc.EjectorPosition), nullInt(cc.Lands), nullString(cc.Twist),
			nullFloat(cc.LandWidthUM), nullString(cc.AmmunitionMake), e.Description, nullTime(e.CollectedAt),
			nullString(e.CreatedBy), e.CreatedAt, e.UpdatedAt)
		if errs.Is(errs.Conflict, s.classify(op, err)) {
			return errs.Errorf(op, errs.Conflict, "exhibit label %q is already used in case %s", clip(e.Label), e.CaseID)
		}
		return err
	})
	if err != nil {
		return domain.Exhibit{}, err
	}
	return e, nil
}

// UpdateExhibit changes the label, kind, role, class characteristics,
// description and collection time of an exhibit and sets UpdatedAt.
func (s *Store) UpdateExhibit(ctx context.Context, e domain.Exhibit) (domain.Exhibit, error) {
	const op = "store.UpdateExhibit"
	if err := checkIDs("exhibit id", string(e.ID)); err != nil {
		return domain.Exhibit{}, err
	}
	if err := e.Validate(); err != nil {
		return domain.Exhibit{}, err
	}
	e.UpdatedAt = s.timestamp()
	cc := e.Class
	var out domain.Exhibit
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE exhibits SET label = $1, kind = $2, role = $3, calibre = $4, firing_pin_shape = $5,
				breech_face_class = $6, ejector_position = $7, lands = $8, twist = $9, land_width_um = $10, ammunition_make = $11,
				description = $12, collected_at = $13, updated_at = $14
			WHERE id = $15 AND agency_id = $16 AND case_id = $17`,
			e.Label, e.Kind, e.Role, nullString(cc.Calibre), nullString(cc.FiringPinShape), nullString(cc.BreechFaceClass),
			nullString(cc.EjectorPosition), nullInt(cc.Lands), nullString(cc.Twist), nullFloat(cc.LandWidthUM),
			nullString(cc.AmmunitionMake), e.Description, nullTime(e.CollectedAt), e.UpdatedAt, e.ID, e.AgencyID, e.CaseID)
		if errs.Is(errs.Conflict, s.classify(op, err)) {
			return errs.Errorf(op, errs.Conflict, "exhibit label %q is already used in case %s", clip(e.Label), e.CaseID)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound(op, "exhibit %s not found in case %s of agency %s", e.ID, e.CaseID, e.AgencyID)
		}
		out, err = scanExhibit(tx.QueryRowContext(ctx, `SELECT `+exhibitColumns+` FROM exhibits WHERE id = $1`, e.ID))
		return err
	})
	return out, err
}

const exhibitColumns = `id, agency_id, case_id, label, kind, role, calibre, firing_pin_shape, breech_face_class,
	ejector_position, lands, twist, land_width_um, ammunition_make, description, collected_at, created_by, created_at, updated_at`

func scanExhibit(r rowScanner) (domain.Exhibit, error) {
	var (
		e                                                     domain.Exhibit
		calibre, pin, breech, ejector, twist, ammo, createdBy sql.NullString
		lands                                                 sql.NullInt64
		landWidth                                             sql.NullFloat64
		collected                                             sql.NullTime
	)
	err := r.Scan(&e.ID, &e.AgencyID, &e.CaseID, &e.Label, &e.Kind, &e.Role, &calibre, &pin, &breech, &ejector,
		&lands, &twist, &landWidth, &ammo, &e.Description, &collected, &createdBy, &e.CreatedAt, &e.UpdatedAt)
	e.Class = domain.ClassCharacteristics{
		Calibre: calibre.String, FiringPinShape: pin.String, BreechFaceClass: breech.String,
		EjectorPosition: ejector.String, Lands: int(lands.Int64), Twist: twist.String,
		LandWidthUM: landWidth.Float64, AmmunitionMake: ammo.String,
	}
	e.CollectedAt = fromNullTime(collected)
	e.CreatedBy = domain.UserID(createdBy.String)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, err
}

// Exhibit returns an exhibit of agency.
func (s *Store) Exhibit(ctx context.Context, agency domain.AgencyID, id domain.ExhibitID) (domain.Exhibit, error) {
	const op = "store.Exhibit"
	if err := checkIDs("agency id", string(agency), "exhibit id", string(id)); err != nil {
		return domain.Exhibit{}, err
	}
	e, err := scanExhibit(s.db.QueryRowContext(ctx, `SELECT `+exhibitColumns+` FROM exhibits WHERE id = $1 AND agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return e, notFound(op, "exhibit %s not found in agency %s", id, agency)
	}
	return e, s.classify(op, err)
}

// ListExhibits returns the exhibits of a case in the order they were
// created, a page at a time.
func (s *Store) ListExhibits(ctx context.Context, agency domain.AgencyID, caseID domain.CaseID, page Page) ([]domain.Exhibit, string, error) {
	const op = "store.ListExhibits"
	if err := checkIDs("agency id", string(agency), "case id", string(caseID)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "exhibits", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", agency)
	w.add("case_id = ?", caseID)
	if ok {
		w.add("id > ?", c.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+exhibitColumns+` FROM exhibits`+w.String()+` ORDER BY id LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.Exhibit
	for rows.Next() {
		e, err := scanExhibit(rows)
		if err != nil {
			return nil, "", s.classify(op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "exhibits", ID: string(out[limit-1].ID)})
	}
	return out, next, nil
}
