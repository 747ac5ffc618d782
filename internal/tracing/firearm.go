package tracing

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// Typed IDs, UUIDv7 strings as in internal/domain (made with domain.IDGen,
// checked with domain.CheckID).
type (
	FirearmID      string
	TraceRequestID string
)

// FirearmType is the IAFQ/NCIC category of a firearm.
type FirearmType string

// Firearm types.
const (
	TypePistol         FirearmType = "pistol"
	TypeRevolver       FirearmType = "revolver"
	TypeRifle          FirearmType = "rifle"
	TypeAssaultRifle   FirearmType = "assault_rifle"
	TypeCarbine        FirearmType = "carbine"
	TypeShotgun        FirearmType = "shotgun"
	TypeSubmachineGun  FirearmType = "submachine_gun"
	TypeMachineGun     FirearmType = "machine_gun"
	TypeMachinePistol  FirearmType = "machine_pistol"
	TypeCombinationGun FirearmType = "combination_gun"
	TypeOther          FirearmType = "other"
)

// FirearmTypes lists every type.
var FirearmTypes = []FirearmType{TypePistol, TypeRevolver, TypeRifle, TypeAssaultRifle, TypeCarbine,
	TypeShotgun, TypeSubmachineGun, TypeMachineGun, TypeMachinePistol, TypeCombinationGun, TypeOther}

// Status is where a firearm stands (iARMS/ITI record states).
type Status string

// Firearm statuses.
const (
	StatusLost      Status = "lost"
	StatusStolen    Status = "stolen"
	StatusSeized    Status = "seized"
	StatusRecovered Status = "recovered"
	StatusDestroyed Status = "destroyed"
	StatusReference Status = "in_reference_collection"
)

// Statuses lists every status.
var Statuses = []Status{StatusLost, StatusStolen, StatusSeized, StatusRecovered, StatusDestroyed, StatusReference}

// Marking is one mark on a firearm as read, in the script it was read in.
type Marking struct {
	Text     string `json:"text"`               // as read, e.g. "ИЖ", "KK 1998"
	Location string `json:"location,omitempty"` // e.g. "frame, left side"
	Kind     string `json:"kind,omitempty"`     // e.g. "proof", "assembly", "importer", "arsenal"
}

// ImportMark is the ITI import marking: country and, where known, year.
type ImportMark struct {
	Country  string `json:"country"`            // ISO 3166-1 alpha-2
	Year     int    `json:"year,omitempty"`     // 0 = unknown
	Importer string `json:"importer,omitempty"` // importer name or code as marked
	Text     string `json:"text,omitempty"`     // the mark as read
}

// HistoryEvent is one entry in a firearm's life: a status change, a
// transfer, a test-fire, a trace. Events are appended, never edited.
type HistoryEvent struct {
	At       time.Time       `json:"at"`
	Kind     string          `json:"kind"` // e.g. "status", "transfer", "test_fire", "trace", "note"
	Status   Status          `json:"status,omitempty"`
	AgencyID domain.AgencyID `json:"agency_id,omitempty"` // who acted
	By       domain.UserID   `json:"by,omitempty"`
	Place    string          `json:"place,omitempty"`
	CaseID   domain.CaseID   `json:"case_id,omitempty"`
	Note     string          `json:"note,omitempty"`
}

// Firearm is a firearm record with the International Tracing Instrument
// fields (make, model, type, calibre, serial number, country of
// manufacture, year, import marks, other markings) plus status, holder,
// photos, ballistic test fires and history.
type Firearm struct {
	ID                   FirearmID          `json:"id"`
	AgencyID             domain.AgencyID    `json:"agency_id"` // holding agency
	Make                 string             `json:"make"`
	Model                string             `json:"model,omitempty"`
	ModelRef             string             `json:"model_ref,omitempty"` // canonical model ID from the reference list
	Type                 FirearmType        `json:"type"`
	Calibre              string             `json:"calibre,omitempty"`
	SerialNumber         string             `json:"serial_number,omitempty"` // as read, including unreadable positions as '?'
	SerialObliterated    bool               `json:"serial_obliterated,omitempty"`
	CountryOfManufacture string             `json:"country_of_manufacture,omitempty"` // ISO 3166-1 alpha-2
	YearOfManufacture    int                `json:"year_of_manufacture,omitempty"`    // 0 = unknown
	ImportMarks          []ImportMark       `json:"import_marks,omitempty"`
	OtherMarkings        []Marking          `json:"other_markings,omitempty"`
	Photos               []blob.Ref         `json:"photos,omitempty"`
	Status               Status             `json:"status"`
	CaseID               domain.CaseID      `json:"case_id,omitempty"`    // the case the firearm was recovered in
	TestFires            []domain.ExhibitID `json:"test_fires,omitempty"` // test-fire exhibits made with it
	History              []HistoryEvent     `json:"history,omitempty"`
	CreatedAt            time.Time          `json:"created_at"`
	UpdatedAt            time.Time          `json:"updated_at"`
}

// SearchKeys returns the folded keys of every marking on f (serial,
// make, model, import marks, other markings) for a text index.
func (f Firearm) SearchKeys() []string {
	keys := []string{SerialKey(f.SerialNumber), SearchKey(f.Make), SearchKey(f.Model)}
	for _, m := range f.ImportMarks {
		keys = append(keys, SearchKey(m.Text), SearchKey(m.Importer))
	}
	for _, m := range f.OtherMarkings {
		keys = append(keys, SearchKey(m.Text))
	}
	out := keys[:0]
	for _, k := range keys {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// SetStatus changes the status and appends the history event that says so.
// It mutates f.
func (f *Firearm) SetStatus(s Status, at time.Time, agency domain.AgencyID, by domain.UserID, note string) error {
	if err := oneOf("tracing.Firearm.SetStatus", "status", s, Statuses...); err != nil {
		return err
	}
	f.Status = s
	f.UpdatedAt = at
	f.History = append(f.History, HistoryEvent{At: at, Kind: "status", Status: s, AgencyID: agency, By: by, Note: note})
	return nil
}

// Validate checks a firearm record before it is stored. It does not mutate f.
func (f Firearm) Validate() error {
	const op = "tracing.Firearm"
	if err := firstErr(
		domain.CheckID("firearm id", string(f.ID)),
		domain.CheckID("agency id", string(f.AgencyID)),
		text(op, "make", f.Make, 128, true),
		text(op, "model", f.Model, 128, false),
		text(op, "calibre", f.Calibre, 64, false),
		text(op, "serial number", f.SerialNumber, 64, false),
		oneOf(op, "type", f.Type, FirearmTypes...),
		oneOf(op, "status", f.Status, Statuses...),
		country(op, "country of manufacture", f.CountryOfManufacture),
		year(op, "year of manufacture", f.YearOfManufacture),
	); err != nil {
		return err
	}
	if f.CaseID != "" {
		if err := domain.CheckID("case id", string(f.CaseID)); err != nil {
			return err
		}
	}
	for i, m := range f.ImportMarks {
		field := fmt.Sprintf("import mark %d", i+1)
		if err := firstErr(country(op, field+" country", m.Country), year(op, field+" year", m.Year),
			text(op, field+" importer", m.Importer, 256, false), text(op, field+" text", m.Text, 256, false)); err != nil {
			return err
		}
		if m.Country == "" {
			return errs.Errorf(op, errs.Invalid, "%s: country is required", field)
		}
	}
	for i, m := range f.OtherMarkings {
		field := fmt.Sprintf("marking %d", i+1)
		if err := firstErr(text(op, field+" text", m.Text, 256, true), text(op, field+" location", m.Location, 256, false),
			text(op, field+" kind", m.Kind, 64, false)); err != nil {
			return err
		}
	}
	for i, p := range f.Photos {
		if p.IsZero() {
			return errs.Errorf(op, errs.Invalid, "photo %d has no blob ref", i+1)
		}
	}
	for i, e := range f.TestFires {
		if err := domain.CheckID(fmt.Sprintf("test fire %d", i+1), string(e)); err != nil {
			return err
		}
	}
	for i, h := range f.History {
		if h.At.IsZero() {
			return errs.Errorf(op, errs.Invalid, "history event %d has no time", i+1)
		}
		if err := text(op, fmt.Sprintf("history event %d kind", i+1), h.Kind, 64, true); err != nil {
			return err
		}
	}
	return nil
}

// Validation helpers (the same rules as internal/domain).

func text(op, field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return errs.Errorf(op, errs.Invalid, "%s is required", field)
	}
	if len(v) > max {
		return errs.Errorf(op, errs.Invalid, "%s is %d bytes long; the limit is %d", field, len(v), max)
	}
	if !utf8.ValidString(v) {
		return errs.Errorf(op, errs.Invalid, "%s is not valid UTF-8", field)
	}
	for i, r := range v {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return errs.Errorf(op, errs.Invalid, "%s has a control character (U+%04X) at byte %d", field, r, i)
		}
	}
	return nil
}

func oneOf[T ~string](op, field string, v T, allowed ...T) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return errs.Errorf(op, errs.Invalid, "%s %q: want one of %s", field, clip(string(v)), strings.Join(names, ", "))
}

func country(op, field, c string) error {
	if c == "" {
		return nil
	}
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return errs.Errorf(op, errs.Invalid, "%s %q: want an ISO 3166-1 alpha-2 code such as KZ", field, clip(c))
	}
	return nil
}

func year(op, field string, y int) error {
	if y != 0 && (y < 1800 || y > 2200) {
		return errs.Errorf(op, errs.Invalid, "%s %d is out of range [1800, 2200] (0 = unknown)", field, y)
	}
	return nil
}

func firstErr(es ...error) error {
	for _, e := range es {
		if e != nil {
			return e
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
