package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// searchText is what CaseFilter.Text matches: the case's words, lowercased
// by Go (SQLite's lower() only knows ASCII, and case numbers and places
// are often Cyrillic).
func searchText(c domain.Case) string {
	return strings.ToLower(strings.Join([]string{c.Number, c.Title, c.Offence, c.PlaceName}, "\n"))
}

// CreateCase stores a new case. An empty ID is assigned, an empty Status
// becomes open, and CreatedAt/UpdatedAt are set. A case number already used
// in the agency is an errs.Conflict.
func (s *Store) CreateCase(ctx context.Context, c domain.Case) (domain.Case, error) {
	return s.createCase(s.inTx, ctx, c)
}

func (s *Store) createCase(run txRunner, ctx context.Context, c domain.Case) (domain.Case, error) {
	const op = "store.CreateCase"
	if c.Status == "" {
		c.Status = domain.CaseOpen
	}
	if err := c.Validate(); err != nil {
		return domain.Case{}, err
	}
	if c.ID == "" {
		c.ID = domain.CaseID(s.ids.New())
	} else if err := domain.CheckID("case id", string(c.ID)); err != nil {
		return domain.Case{}, err
	}
	c.CreatedAt = s.timestamp()
	c.UpdatedAt = c.CreatedAt
	c.OccurredAt, c.ReceivedAt = stored(c.OccurredAt), stored(c.ReceivedAt)
	lat, lon := latLon(c.Location)
	err := run(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM agencies WHERE id = $1`, "agency %s not found", c.AgencyID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO cases (id, agency_id, number, title, offence, occurred_at, received_at,
				place_name, lat, lon, status, notes, search_text, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			c.ID, c.AgencyID, c.Number, c.Title, c.Offence, nullTime(c.OccurredAt), nullTime(c.ReceivedAt),
			c.PlaceName, lat, lon, c.Status, c.Notes, searchText(c), nullString(c.CreatedBy), c.CreatedAt, c.UpdatedAt)
		if errs.Is(errs.Conflict, s.classify(op, err)) {
			return errs.Errorf(op, errs.Conflict, "case number %q is already used in agency %s", clip(c.Number), c.AgencyID)
		}
		return err
	})
	if err != nil {
		return domain.Case{}, err
	}
	return c, nil
}

// stored is t as the database gives it back: UTC, µs precision.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func latLon(p *domain.GeoPoint) (any, any) {
	if p == nil {
		return nil, nil
	}
	return p.Lat, p.Lon
}

// UpdateCase changes the editable fields of a case (everything but ID,
// AgencyID, CreatedBy and CreatedAt) and sets UpdatedAt.
func (s *Store) UpdateCase(ctx context.Context, c domain.Case) (domain.Case, error) {
	const op = "store.UpdateCase"
	if err := checkIDs("case id", string(c.ID)); err != nil {
		return domain.Case{}, err
	}
	if err := c.Validate(); err != nil {
		return domain.Case{}, err
	}
	c.UpdatedAt = s.timestamp()
	c.OccurredAt, c.ReceivedAt = stored(c.OccurredAt), stored(c.ReceivedAt)
	lat, lon := latLon(c.Location)
	var out domain.Case
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases SET number = $1, title = $2, offence = $3, occurred_at = $4,
				received_at = $5, place_name = $6, lat = $7, lon = $8, status = $9, notes = $10, search_text = $11, updated_at = $12
			WHERE id = $13 AND agency_id = $14`,
			c.Number, c.Title, c.Offence, nullTime(c.OccurredAt), nullTime(c.ReceivedAt), c.PlaceName, lat, lon,
			c.Status, c.Notes, searchText(c), c.UpdatedAt, c.ID, c.AgencyID)
		if errs.Is(errs.Conflict, s.classify(op, err)) {
			return errs.Errorf(op, errs.Conflict, "case number %q is already used in agency %s", clip(c.Number), c.AgencyID)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound(op, "case %s not found in agency %s", c.ID, c.AgencyID)
		}
		out, err = scanCase(tx.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, c.ID))
		return err
	})
	return out, err
}

const caseColumns = `id, agency_id, number, title, offence, occurred_at, received_at, place_name, lat, lon,
	status, notes, created_by, created_at, updated_at`

func scanCase(r rowScanner) (domain.Case, error) {
	var (
		c                  domain.Case
		occurred, received sql.NullTime
		lat, lon           sql.NullFloat64
		createdBy          sql.NullString
	)
	err := r.Scan(&c.ID, &c.AgencyID, &c.Number, &c.Title, &c.Offence, &occurred, &received, &c.PlaceName,
		&lat, &lon, &c.Status, &c.Notes, &createdBy, &c.CreatedAt, &c.UpdatedAt)
	c.OccurredAt, c.ReceivedAt = fromNullTime(occurred), fromNullTime(received)
	if lat.Valid && lon.Valid {
		c.Location = &domain.GeoPoint{Lat: lat.Float64, Lon: lon.Float64}
	}
	c.CreatedBy = domain.UserID(createdBy.String)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// Case returns a case of agency.
func (s *Store) Case(ctx context.Context, agency domain.AgencyID, id domain.CaseID) (domain.Case, error) {
	const op = "store.Case"
	if err := checkIDs("agency id", string(agency), "case id", string(id)); err != nil {
		return domain.Case{}, err
	}
	c, err := scanCase(s.db.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1 AND agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return c, notFound(op, "case %s not found in agency %s", id, agency)
	}
	return c, s.classify(op, err)
}

// CaseByNumber returns the case of agency with the given number.
func (s *Store) CaseByNumber(ctx context.Context, agency domain.AgencyID, number string) (domain.Case, error) {
	const op = "store.CaseByNumber"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return domain.Case{}, err
	}
	c, err := scanCase(s.db.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE agency_id = $1 AND number = $2`, agency, number))
	if err == sql.ErrNoRows {
		return c, notFound(op, "no case numbered %q in agency %s", clip(number), agency)
	}
	return c, s.classify(op, err)
}

// CaseFilter selects cases of one agency.
type CaseFilter struct {
	Agency domain.AgencyID   // required
	Status domain.CaseStatus // "" for any
	// Text, if set, keeps cases whose number, title, offence or place
	// contains it, ignoring case (Unicode-aware).
	Text string
}

// ListCases returns the cases that match f, newest first, a page at a time,
// with the cursor of the next page ("" after the last).
func (s *Store) ListCases(ctx context.Context, f CaseFilter, page Page) ([]domain.Case, string, error) {
	const op = "store.ListCases"
	if err := checkIDs("agency id", string(f.Agency)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "cases", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", f.Agency)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		w.add(`search_text LIKE ? ESCAPE '\'`, "%"+likeEscape(strings.ToLower(t))+"%")
	}
	if ok {
		w.add("id < ?", c.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases`+w.String()+` ORDER BY id DESC LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, "", s.classify(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "cases", ID: string(out[limit-1].ID)})
	}
	return out, next, nil
}

// likeEscape escapes LIKE wildcards so user text matches literally.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
