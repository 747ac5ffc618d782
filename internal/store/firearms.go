package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/tracing"
)

// firearmSearchText is what FirearmFilter.Text matches: the firearm's
// search keys (both scripts folded, see tracing.SearchKey), lower-cased.
func firearmSearchText(f tracing.Firearm) string {
	return strings.ToLower(strings.Join(f.SearchKeys(), "\n"))
}

// firearmRecord is the JSON kept in firearms.record: the record without
// its test fires (firearm_exhibits holds them).
func firearmRecord(f tracing.Firearm) (string, error) {
	f.TestFires = nil
	b, err := json.Marshal(f)
	return string(b), err
}

// CreateFirearm stores a new firearm record of f.AgencyID. An empty ID is
// assigned (an import keeps its own); CreatedAt/UpdatedAt are set; the
// test fires listed must be exhibits of the agency. origin, when not nil,
// is kept as the JSON of where an imported record comes from.
func (s *Store) CreateFirearm(ctx context.Context, f tracing.Firearm, origin any) (tracing.Firearm, error) {
	return s.createFirearm(s.inTx, ctx, f, origin)
}

func (s *Store) createFirearm(run txRunner, ctx context.Context, f tracing.Firearm, origin any) (tracing.Firearm, error) {
	const op = "store.CreateFirearm"
	if f.ID == "" {
		f.ID = tracing.FirearmID(s.ids.New())
	}
	f.CreatedAt = s.timestamp()
	f.UpdatedAt = f.CreatedAt
	if err := f.Validate(); err != nil {
		return tracing.Firearm{}, err
	}
	rec, err := firearmRecord(f)
	if err != nil {
		return tracing.Firearm{}, errs.E(op, errs.Internal, err)
	}
	var originJSON any
	if origin != nil {
		b, err := json.Marshal(origin)
		if err != nil {
			return tracing.Firearm{}, errs.E(op, errs.Internal, err)
		}
		originJSON = string(b)
	}
	err = run(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM agencies WHERE id = $1`, "agency %s not found", f.AgencyID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO firearms (id, agency_id, make, model, type, calibre, serial_number, serial_key,
				status, country, case_id, search_text, record, origin, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			f.ID, f.AgencyID, f.Make, f.Model, f.Type, f.Calibre, f.SerialNumber, tracing.SerialKey(f.SerialNumber),
			f.Status, f.CountryOfManufacture, nullString(f.CaseID), firearmSearchText(f), rec, originJSON, f.CreatedAt, f.UpdatedAt)
		if errs.Is(errs.Conflict, s.classify(op, err)) {
			return errs.Errorf(op, errs.Conflict, "firearm %s already exists", f.ID)
		}
		if err != nil {
			return err
		}
		for _, e := range f.TestFires {
			if err := s.linkTestFire(ctx, tx, op, f.AgencyID, f.ID, e, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return tracing.Firearm{}, err
	}
	return f, nil
}

func (s *Store) linkTestFire(ctx context.Context, tx *sql.Tx, op string, agency domain.AgencyID, f tracing.FirearmID, e domain.ExhibitID, by domain.UserID) error {
	if err := exists(ctx, tx, op, `SELECT 1 FROM exhibits WHERE id = $1 AND agency_id = $2`, "exhibit %s not found in agency %s", e, agency); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM firearm_exhibits WHERE firearm_id = $1 AND exhibit_id = $2`, f, e).Scan(&n); err != nil || n > 0 {
		return err // linked already: linking is idempotent
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO firearm_exhibits (firearm_id, agency_id, exhibit_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5)`, f, agency, e, nullString(by), s.timestamp())
	return err
}

// UpdateFirearm reads the firearm of agency, lets change modify it (edit
// fields, tracing.Firearm.SetStatus, ...) and stores the result in the same
// transaction, so concurrent updates do not lose each other's history.
// ID, AgencyID and CreatedAt cannot change; UpdatedAt is set; test fires
// added to TestFires are linked (none are unlinked).
func (s *Store) UpdateFirearm(ctx context.Context, agency domain.AgencyID, id tracing.FirearmID, change func(*tracing.Firearm) error) (tracing.Firearm, error) {
	const op = "store.UpdateFirearm"
	if err := checkIDs("agency id", string(agency), "firearm id", string(id)); err != nil {
		return tracing.Firearm{}, err
	}
	var out tracing.Firearm
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		f, err := s.firearm(ctx, tx, op, agency, id)
		if err != nil {
			return err
		}
		created := f.CreatedAt
		if err := change(&f); err != nil {
			return err
		}
		f.ID, f.AgencyID, f.CreatedAt = id, agency, created
		f.UpdatedAt = s.timestamp()
		if err := f.Validate(); err != nil {
			return err
		}
		rec, err := firearmRecord(f)
		if err != nil {
			return errs.E(op, errs.Internal, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE firearms SET make = $1, model = $2, type = $3, calibre = $4, serial_number = $5,
				serial_key = $6, status = $7, country = $8, case_id = $9, search_text = $10, record = $11, updated_at = $12
			WHERE id = $13 AND agency_id = $14`,
			f.Make, f.Model, f.Type, f.Calibre, f.SerialNumber, tracing.SerialKey(f.SerialNumber), f.Status, f.CountryOfManufacture,
			nullString(f.CaseID), firearmSearchText(f), rec, f.UpdatedAt, id, agency); err != nil {
			return err
		}
		for _, e := range f.TestFires {
			if err := s.linkTestFire(ctx, tx, op, agency, id, e, ""); err != nil {
				return err
			}
		}
		out, err = s.firearm(ctx, tx, op, agency, id)
		return err
	})
	return out, err
}

// LinkTestFire records that exhibit (of the same agency) was fired with
// the firearm. Linking twice is not an error.
func (s *Store) LinkTestFire(ctx context.Context, agency domain.AgencyID, id tracing.FirearmID, exhibit domain.ExhibitID, by domain.UserID) error {
	const op = "store.LinkTestFire"
	if err := checkIDs("agency id", string(agency), "firearm id", string(id), "exhibit id", string(exhibit)); err != nil {
		return err
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM firearms WHERE id = $1 AND agency_id = $2`, "firearm %s not found in agency %s", id, agency); err != nil {
			return err
		}
		return s.linkTestFire(ctx, tx, op, agency, id, exhibit, by)
	})
}

// FirearmsOfExhibit returns the IDs of the agency's firearms that fired exhibit.
func (s *Store) FirearmsOfExhibit(ctx context.Context, agency domain.AgencyID, exhibit domain.ExhibitID) ([]tracing.FirearmID, error) {
	const op = "store.FirearmsOfExhibit"
	if err := checkIDs("agency id", string(agency), "exhibit id", string(exhibit)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT firearm_id FROM firearm_exhibits WHERE exhibit_id = $1 AND agency_id = $2 ORDER BY firearm_id`, exhibit, agency)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []tracing.FirearmID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, tracing.FirearmID(id))
	}
	return out, s.classify(op, rows.Err())
}

const firearmColumns = `id, agency_id, record, origin, created_at, updated_at`

func scanFirearm(r rowScanner) (tracing.Firearm, json.RawMessage, error) {
	var (
		f              tracing.Firearm
		id, agency     string
		rec            string
		origin         sql.NullString
		created, upded sql.NullTime
	)
	if err := r.Scan(&id, &agency, &rec, &origin, &created, &upded); err != nil {
		return f, nil, err
	}
	if err := json.Unmarshal([]byte(rec), &f); err != nil {
		return f, nil, errs.E("store.Firearm", errs.Internal, err)
	}
	f.ID, f.AgencyID = tracing.FirearmID(id), domain.AgencyID(agency)
	f.CreatedAt, f.UpdatedAt = fromNullTime(created), fromNullTime(upded)
	var o json.RawMessage
	if origin.Valid {
		o = json.RawMessage(origin.String)
	}
	return f, o, nil
}

func (s *Store) firearm(ctx context.Context, q querier, op string, agency domain.AgencyID, id tracing.FirearmID) (tracing.Firearm, error) {
	f, _, err := scanFirearm(q.QueryRowContext(ctx, `SELECT `+firearmColumns+` FROM firearms WHERE id = $1 AND agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return f, notFound(op, "firearm %s not found in agency %s", id, agency)
	}
	if err != nil {
		return f, s.classify(op, err)
	}
	f.TestFires, err = s.testFires(ctx, q, id)
	return f, s.classify(op, err)
}

func (s *Store) testFires(ctx context.Context, q querier, id tracing.FirearmID) ([]domain.ExhibitID, error) {
	rows, err := q.QueryContext(ctx, `SELECT exhibit_id FROM firearm_exhibits WHERE firearm_id = $1 ORDER BY exhibit_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.ExhibitID
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, domain.ExhibitID(e))
	}
	return out, rows.Err()
}

// Firearm returns a firearm record of agency with its test fires.
func (s *Store) Firearm(ctx context.Context, agency domain.AgencyID, id tracing.FirearmID) (tracing.Firearm, error) {
	const op = "store.Firearm"
	if err := checkIDs("agency id", string(agency), "firearm id", string(id)); err != nil {
		return tracing.Firearm{}, err
	}
	return s.firearm(ctx, s.db, op, agency, id)
}

// FirearmOrigin returns the origin JSON of an imported firearm (nil for a
// record made here).
func (s *Store) FirearmOrigin(ctx context.Context, agency domain.AgencyID, id tracing.FirearmID) (json.RawMessage, error) {
	const op = "store.FirearmOrigin"
	if err := checkIDs("agency id", string(agency), "firearm id", string(id)); err != nil {
		return nil, err
	}
	_, o, err := scanFirearm(s.db.QueryRowContext(ctx, `SELECT `+firearmColumns+` FROM firearms WHERE id = $1 AND agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return nil, notFound(op, "firearm %s not found in agency %s", id, agency)
	}
	return o, s.classify(op, err)
}

// FirearmFilter selects firearms of one agency.
type FirearmFilter struct {
	Agency domain.AgencyID     // required
	Status tracing.Status      // "" for any
	Type   tracing.FirearmType // "" for any
	// Text keeps firearms whose make, model or markings contain it after
	// folding both scripts (tracing.SearchKey: "ПМ" finds "PM"), or whose
	// serial contains it (tracing.SerialKey: "ea 1234" finds "ЕА-1234").
	Text string
}

// ListFirearms returns the agency's firearms that match f, newest first, a
// page at a time (test fires included).
func (s *Store) ListFirearms(ctx context.Context, f FirearmFilter, page Page) ([]tracing.Firearm, string, error) {
	const op = "store.ListFirearms"
	if err := checkIDs("agency id", string(f.Agency)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "firearms", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", f.Agency)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if t := strings.ToLower(tracing.SearchKey(f.Text)); t != "" {
		p1 := w.next("%" + likeEscape(t) + "%")
		p2 := w.next("%" + likeEscape(tracing.SerialKey(f.Text)) + "%")
		w.conds = append(w.conds, `(search_text LIKE `+p1+` ESCAPE '\' OR serial_key LIKE `+p2+` ESCAPE '\')`)
	}
	if ok {
		w.add("id < ?", c.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+firearmColumns+` FROM firearms`+w.String()+` ORDER BY id DESC LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	var out []tracing.Firearm
	for rows.Next() {
		fa, _, err := scanFirearm(rows)
		if err != nil {
			rows.Close()
			return nil, "", s.classify(op, err)
		}
		out = append(out, fa)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "firearms", ID: string(out[limit-1].ID)})
	}
	for i := range out {
		if out[i].TestFires, err = s.testFires(ctx, s.db, out[i].ID); err != nil {
			return nil, "", s.classify(op, err)
		}
	}
	return out, next, nil
}

// FirearmSerial is a firearm's ID with its serial number as read.
type FirearmSerial struct {
	ID     tracing.FirearmID
	Serial string
}

// FirearmSerials returns the serial numbers of every firearm of agency
// that has one, for a tracing.SerialIndex.
func (s *Store) FirearmSerials(ctx context.Context, agency domain.AgencyID) ([]FirearmSerial, error) {
	const op = "store.FirearmSerials"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, serial_number FROM firearms WHERE agency_id = $1 AND serial_number <> '' ORDER BY id`, agency)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []FirearmSerial
	for rows.Next() {
		var fs FirearmSerial
		if err := rows.Scan(&fs.ID, &fs.Serial); err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, fs)
	}
	return out, s.classify(op, rows.Err())
}

// AllFirearms returns every firearm of agency (for statistics and the
// graph), following ListFirearms pages.
func (s *Store) AllFirearms(ctx context.Context, agency domain.AgencyID) ([]tracing.Firearm, error) {
	var all []tracing.Firearm
	page := Page{Limit: MaxLimit}
	for {
		items, next, err := s.ListFirearms(ctx, FirearmFilter{Agency: agency}, page)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		page.Cursor = next
	}
}
