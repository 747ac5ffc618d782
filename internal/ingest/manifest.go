package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Row is one manifest entry: a file and where it belongs.
//
// CSV manifests have a header row naming the columns (any order, unknown
// columns are an error); JSON manifests are a list of objects with the same
// names. Columns:
//
//	file            path of the scan, relative to the manifest's folder or absolute (required)
//	case_number     the agency's case number; the case is created when missing (required)
//	exhibit_label   exhibit number within the case, e.g. E1; created when missing (required)
//	kind            cartridge | bullet-land | image (required)
//	role            crime_scene (default) | reference
//	calibre         class characteristics of the exhibit (when it is created):
//	firing_pin_shape, breech_face_class, ejector_position, lands, twist,
//	land_width_um, ammunition_make
//	um_per_pixel    calibration of a 2D image (required for images)
//	instrument      overrides the instrument named in the file
//	acquired_at     RFC 3339 time of the scan
//	case_title, offence, place_name   for a new case
//	description     for a new exhibit
type Row struct {
	Line         int     `json:"-"` // 1-based line (CSV) or entry (JSON) number
	File         string  `json:"file"`
	CaseNumber   string  `json:"case_number"`
	ExhibitLabel string  `json:"exhibit_label"`
	Kind         string  `json:"kind"`
	Role         string  `json:"role,omitempty"`
	Calibre      string  `json:"calibre,omitempty"`
	FiringPin    string  `json:"firing_pin_shape,omitempty"`
	BreechFace   string  `json:"breech_face_class,omitempty"`
	Ejector      string  `json:"ejector_position,omitempty"`
	Lands        int     `json:"lands,omitempty"`
	Twist        string  `json:"twist,omitempty"`
	LandWidthUM  float64 `json:"land_width_um,omitempty"`
	Ammunition   string  `json:"ammunition_make,omitempty"`
	UMPerPixel   float64 `json:"um_per_pixel,omitempty"`
	Instrument   string  `json:"instrument,omitempty"`
	AcquiredAt   string  `json:"acquired_at,omitempty"`
	CaseTitle    string  `json:"case_title,omitempty"`
	Offence      string  `json:"offence,omitempty"`
	PlaceName    string  `json:"place_name,omitempty"`
	Description  string  `json:"description,omitempty"`
}

// maxManifestRows bounds a manifest (a national import is split into
// several).
const maxManifestRows = 1_000_000

// ParseManifest reads a CSV or JSON manifest (JSON when the first
// non-space byte is '['). Errors name the line and column.
func ParseManifest(r io.Reader) ([]Row, error) {
	const op = "ingest.ParseManifest"
	data, err := io.ReadAll(io.LimitReader(r, 512<<20))
	if err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("reading the manifest: %w", err))
	}
	var rows []Row
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rows); err != nil {
			return nil, errs.E(op, errs.Invalid, fmt.Errorf("JSON manifest: %w", err))
		}
		for i := range rows {
			rows[i].Line = i + 1
		}
	} else if rows, err = parseCSV(bytes.TrimPrefix(data, []byte("\ufeff"))); err != nil {
		return nil, err
	}
	if len(rows) > maxManifestRows {
		return nil, errs.Errorf(op, errs.Invalid, "the manifest has %d rows; split it into parts of at most %d", len(rows), maxManifestRows)
	}
	for _, row := range rows {
		if err := row.check(); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

func parseCSV(data []byte) ([]Row, error) {
	const op = "ingest.ParseManifest"
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errs.Errorf(op, errs.Invalid, "the manifest is empty")
	}
	if err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("CSV manifest header: %w", err))
	}
	setters := map[string]func(*Row, string) error{
		"file": str(func(r *Row) *string { return &r.File }), "case_number": str(func(r *Row) *string { return &r.CaseNumber }),
		"exhibit_label": str(func(r *Row) *string { return &r.ExhibitLabel }), "kind": str(func(r *Row) *string { return &r.Kind }),
		"role": str(func(r *Row) *string { return &r.Role }), "calibre": str(func(r *Row) *string { return &r.Calibre }),
		"firing_pin_shape":  str(func(r *Row) *string { return &r.FiringPin }),
		"breech_face_class": str(func(r *Row) *string { return &r.BreechFace }),
		"ejector_position":  str(func(r *Row) *string { return &r.Ejector }),
		"twist":             str(func(r *Row) *string { return &r.Twist }), "ammunition_make": str(func(r *Row) *string { return &r.Ammunition }),
		"instrument": str(func(r *Row) *string { return &r.Instrument }), "acquired_at": str(func(r *Row) *string { return &r.AcquiredAt }),
		"case_title": str(func(r *Row) *string { return &r.CaseTitle }), "offence": str(func(r *Row) *string { return &r.Offence }),
		"place_name": str(func(r *Row) *string { return &r.PlaceName }), "description": str(func(r *Row) *string { return &r.Description }),
		"lands": func(r *Row, v string) (err error) {
			if v != "" {
				r.Lands, err = strconv.Atoi(v)
			}
			return err
		},
		"land_width_um": num(func(r *Row) *float64 { return &r.LandWidthUM }),
		"um_per_pixel":  num(func(r *Row) *float64 { return &r.UMPerPixel }),
	}
	cols := make([]func(*Row, string) error, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		header[i] = h
		if cols[i] = setters[h]; cols[i] == nil {
			return nil, errs.Errorf(op, errs.Invalid, "manifest column %d %q is unknown (see tracemark ingest --help for the columns)", i+1, clip(h))
		}
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, errs.E(op, errs.Invalid, fmt.Errorf("CSV manifest: %w", err))
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > len(header) {
			return nil, errs.Errorf(op, errs.Invalid, "manifest line %d has %d fields; the header has %d", line, len(rec), len(header))
		}
		row := Row{Line: line}
		for i, v := range rec {
			if err := cols[i](&row, strings.TrimSpace(v)); err != nil {
				return nil, errs.Errorf(op, errs.Invalid, "manifest line %d, column %s: %q is not a number", line, header[i], clip(v))
			}
		}
		rows = append(rows, row)
		if len(rows) > maxManifestRows {
			return rows, nil
		}
	}
}

func str(field func(*Row) *string) func(*Row, string) error {
	return func(r *Row, v string) error { *field(r) = v; return nil }
}

func num(field func(*Row) *float64) func(*Row, string) error {
	return func(r *Row, v string) (err error) {
		if v != "" {
			*field(r), err = strconv.ParseFloat(v, 64)
		}
		return err
	}
}

func (r Row) check() error {
	const op = "ingest.ParseManifest"
	bad := func(format string, args ...any) error {
		return errs.Errorf(op, errs.Invalid, "manifest entry %d: "+format, append([]any{r.Line}, args...)...)
	}
	switch {
	case r.File == "":
		return bad("file is required")
	case r.CaseNumber == "":
		return bad("case_number is required")
	case r.ExhibitLabel == "":
		return bad("exhibit_label is required")
	case r.Kind == "":
		return bad("kind is required (cartridge, bullet-land or image)")
	}
	if _, err := ParseKind(r.Kind); err != nil {
		return bad("%v", err)
	}
	if r.Role != "" && r.Role != string(domain.RoleCrimeScene) && r.Role != string(domain.RoleReference) {
		return bad("role %q: want crime_scene or reference", clip(r.Role))
	}
	if r.AcquiredAt != "" {
		if _, err := time.Parse(time.RFC3339, r.AcquiredAt); err != nil {
			return bad("acquired_at %q is not an RFC 3339 time such as 2026-11-27T09:30:00Z", clip(r.AcquiredAt))
		}
	}
	return nil
}

// ExhibitKind is the kind of exhibit to create for a row's scan kind.
func (r Row) ExhibitKind() domain.ExhibitKind {
	if k, _ := ParseKind(r.Kind); k == KindBulletLand {
		return domain.KindBullet
	}
	return domain.KindCartridgeCase
}

// Case is the case to create for the row.
func (r Row) Case(agency domain.AgencyID, by domain.UserID) domain.Case {
	return domain.Case{AgencyID: agency, Number: r.CaseNumber, Title: r.CaseTitle, Offence: r.Offence, PlaceName: r.PlaceName, CreatedBy: by}
}

// Exhibit is the exhibit to create for the row.
func (r Row) Exhibit(agency domain.AgencyID, by domain.UserID) domain.Exhibit {
	role := domain.ExhibitRole(r.Role)
	if role == "" {
		role = domain.RoleCrimeScene
	}
	return domain.Exhibit{AgencyID: agency, Label: r.ExhibitLabel, Kind: r.ExhibitKind(), Role: role, Description: r.Description,
		CreatedBy: by, Class: domain.ClassCharacteristics{Calibre: r.Calibre, FiringPinShape: r.FiringPin, BreechFaceClass: r.BreechFace,
			EjectorPosition: r.Ejector, Lands: r.Lands, Twist: r.Twist, LandWidthUM: r.LandWidthUM, AmmunitionMake: r.Ammunition}}
}

// FindOrCreateCase returns the agency's case numbered c.Number, creating it
// from c when missing (also when another process creates it meanwhile).
func FindOrCreateCase(ctx context.Context, st *store.Store, c domain.Case) (domain.Case, bool, error) {
	got, err := st.CaseByNumber(ctx, c.AgencyID, c.Number)
	if err == nil || !errs.Is(errs.NotFound, err) {
		return got, false, err
	}
	got, err = st.CreateCase(ctx, c)
	if errs.Is(errs.Conflict, err) {
		got, err = st.CaseByNumber(ctx, c.AgencyID, c.Number)
		return got, false, err
	}
	return got, err == nil, err
}

// FindOrCreateExhibit returns the exhibit labelled e.Label in case e.CaseID,
// creating it from e when missing.
func FindOrCreateExhibit(ctx context.Context, st *store.Store, e domain.Exhibit) (domain.Exhibit, bool, error) {
	find := func() (domain.Exhibit, bool, error) {
		page := store.Page{Limit: store.MaxLimit}
		for {
			list, next, err := st.ListExhibits(ctx, e.AgencyID, e.CaseID, page)
			if err != nil {
				return domain.Exhibit{}, false, err
			}
			for _, x := range list {
				if x.Label == e.Label {
					return x, true, nil
				}
			}
			if next == "" {
				return domain.Exhibit{}, false, nil
			}
			page.Cursor = next
		}
	}
	if got, ok, err := find(); ok || err != nil {
		return got, false, err
	}
	got, err := st.CreateExhibit(ctx, e)
	if errs.Is(errs.Conflict, err) {
		got, _, err = find()
		return got, false, err
	}
	return got, err == nil, err
}
