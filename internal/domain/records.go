package domain

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
)

// Agency is a laboratory or other organisation that owns records.
type Agency struct {
	ID        AgencyID  `json:"id"`
	Code      string    `json:"code"`    // short unique code, e.g. "KZ-MIA-ALA"
	Name      string    `json:"name"`    // display name
	Country   string    `json:"country"` // ISO 3166-1 alpha-2, e.g. "KZ"
	CreatedAt time.Time `json:"created_at"`
}

// Role is what a user may do; permissions per role live with authorization.
type Role string

// Roles.
const (
	RoleAdministrator Role = "administrator"
	RoleExaminer      Role = "examiner"
	RoleTechnician    Role = "technician"
	RoleVerifier      Role = "verifier"     // supervisor; verifies conclusions
	RoleInvestigator  Role = "investigator" // read-only on the agency's cases
	RoleLiaison       Role = "liaison"      // exchange and trace requests
)

// Roles lists every role.
var Roles = []Role{RoleAdministrator, RoleExaminer, RoleTechnician, RoleVerifier, RoleInvestigator, RoleLiaison}

// User is a person acting for one agency. Credentials are kept elsewhere.
type User struct {
	ID          UserID    `json:"id"`
	AgencyID    AgencyID  `json:"agency_id"`
	Username    string    `json:"username"` // unique across the node; used to sign in
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email,omitempty"`
	Roles       []Role    `json:"roles"`
	Locale      string    `json:"locale,omitempty"` // BCP 47 tag, e.g. "ru", "uz-Latn"
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// HasRole reports whether u holds r.
func (u User) HasRole(r Role) bool {
	for _, have := range u.Roles {
		if have == r {
			return true
		}
	}
	return false
}

// CaseStatus is where a case stands.
type CaseStatus string

// Case statuses.
const (
	CaseOpen     CaseStatus = "open"
	CaseClosed   CaseStatus = "closed"
	CaseArchived CaseStatus = "archived"
)

// GeoPoint is a WGS 84 position in degrees.
type GeoPoint struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Case is an investigation file: one offence, its place and its exhibits.
type Case struct {
	ID         CaseID     `json:"id"`
	AgencyID   AgencyID   `json:"agency_id"`
	Number     string     `json:"number"` // the agency's case number, unique within the agency
	Title      string     `json:"title,omitempty"`
	Offence    string     `json:"offence,omitempty"`
	OccurredAt time.Time  `json:"occurred_at,omitzero"` // when the offence happened
	ReceivedAt time.Time  `json:"received_at,omitzero"` // when the laboratory received the case
	PlaceName  string     `json:"place_name,omitempty"`
	Location   *GeoPoint  `json:"location,omitempty"`
	Status     CaseStatus `json:"status"` // default open
	Notes      string     `json:"notes,omitempty"`
	CreatedBy  UserID     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ExhibitKind is what an exhibit physically is.
type ExhibitKind string

// Exhibit kinds.
const (
	KindCartridgeCase ExhibitKind = "cartridge_case"
	KindBullet        ExhibitKind = "bullet"
	KindFirearm       ExhibitKind = "firearm"
	KindTestFire      ExhibitKind = "test_fire" // a cartridge case or bullet fired from a known firearm
)

// ExhibitRole says where an exhibit comes from.
type ExhibitRole string

// Exhibit roles.
const (
	RoleCrimeScene ExhibitRole = "crime_scene"
	RoleReference  ExhibitRole = "reference" // test fires and reference collections
)

// ClassCharacteristics are the features shared by every firearm of a make and
// model; the search uses them to skip exhibits that cannot match. The zero
// value of each field means unknown.
type ClassCharacteristics struct {
	Calibre         string  `json:"calibre,omitempty"`          // e.g. "9x18mm Makarov", "9mm Luger"
	FiringPinShape  string  `json:"firing_pin_shape,omitempty"` // e.g. "hemispherical", "rectangular", "elliptical"
	BreechFaceClass string  `json:"breech_face_class,omitempty"`
	EjectorPosition string  `json:"ejector_position,omitempty"` // clock position seen from the head, e.g. "3 o'clock"
	Lands           int     `json:"lands,omitempty"`            // number of lands and grooves
	Twist           string  `json:"twist,omitempty"`            // "left" or "right"
	LandWidthUM     float64 `json:"land_width_um,omitempty"`    // µm
	AmmunitionMake  string  `json:"ammunition_make,omitempty"`  // headstamp maker
}

// Exhibit is one item of evidence in a case.
type Exhibit struct {
	ID          ExhibitID            `json:"id"`
	AgencyID    AgencyID             `json:"agency_id"`
	CaseID      CaseID               `json:"case_id"`
	Label       string               `json:"label"` // the exhibit number within the case, unique there, e.g. "E3"
	Kind        ExhibitKind          `json:"kind"`
	Role        ExhibitRole          `json:"role"`
	Class       ClassCharacteristics `json:"class"`
	Description string               `json:"description,omitempty"`
	CollectedAt time.Time            `json:"collected_at,omitzero"`
	CreatedBy   UserID               `json:"created_by,omitempty"`
	CreatedAt   time.Time            `json:"created_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
}

// ScanFormat is the file format of an original scan.
type ScanFormat string

// Scan formats: X3P topographies (ISO 25178-72) and calibrated 2D images.
const (
	FormatX3P  ScanFormat = "x3p"
	FormatPNG  ScanFormat = "png"
	FormatTIFF ScanFormat = "tiff"
	FormatJPEG ScanFormat = "jpeg"
)

// Is2D reports whether f is a 2D microscope image (which needs UMPerPixel).
func (f ScanFormat) Is2D() bool { return f == FormatPNG || f == FormatTIFF || f == FormatJPEG }

// Scan is one acquisition of an exhibit. Original is the original file kept
// byte for byte in the blob store; its Ref is also the file's SHA-256, so an
// agency stores each file once (the store enforces it).
type Scan struct {
	ID           ScanID     `json:"id"`
	AgencyID     AgencyID   `json:"agency_id"`
	ExhibitID    ExhibitID  `json:"exhibit_id"`
	Original     blob.Ref   `json:"original"`
	Size         int64      `json:"size"` // bytes of the original file
	Format       ScanFormat `json:"format"`
	OriginalName string     `json:"original_name,omitempty"` // file name at ingest, for people only
	Instrument   string     `json:"instrument,omitempty"`    // maker, model and serial of the microscope
	ResolutionUM float64    `json:"resolution_um,omitempty"` // lateral sampling of a topography, µm
	UMPerPixel   float64    `json:"um_per_pixel,omitempty"`  // calibration of a 2D image, µm per pixel
	Warnings     []string   `json:"warnings,omitempty"`      // e.g. X3P checksum warnings found at ingest
	AcquiredBy   UserID     `json:"acquired_by,omitempty"`
	AcquiredAt   time.Time  `json:"acquired_at,omitzero"`
	Preprocessed blob.Ref   `json:"preprocessed,omitzero"` // derived: preprocessed surface
	Features     blob.Ref   `json:"features,omitzero"`     // derived: search features
	CreatedBy    UserID     `json:"created_by,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

// RunStatus is the state of a correlation run.
type RunStatus string

// Run statuses.
const (
	RunQueued  RunStatus = "queued"
	RunRunning RunStatus = "running"
	RunDone    RunStatus = "done"
	RunFailed  RunStatus = "failed"
)

// CorrelationRun is one search of the database for one query scan.
type CorrelationRun struct {
	ID         RunID           `json:"id"`
	AgencyID   AgencyID        `json:"agency_id"`
	QueryScan  ScanID          `json:"query_scan"`
	Status     RunStatus       `json:"status"`
	Params     json.RawMessage `json:"params,omitempty"` // engine parameters, as given
	Stats      json.RawMessage `json:"stats,omitempty"`  // timings and counts, as reported
	Error      string          `json:"error,omitempty"`  // why a failed run failed
	CreatedBy  UserID          `json:"created_by,omitempty"`
	QueuedAt   time.Time       `json:"queued_at"`
	StartedAt  time.Time       `json:"started_at,omitzero"`
	FinishedAt time.Time       `json:"finished_at,omitzero"`
}

// ReviewStatus is an examiner's verdict on a candidate. It is a triage mark
// for a lead, not a forensic conclusion (those come with verification).
type ReviewStatus string

// Review statuses.
const (
	ReviewUnreviewed   ReviewStatus = "unreviewed"
	ReviewViewed       ReviewStatus = "viewed"
	ReviewPotentialHit ReviewStatus = "potential_hit"
	ReviewConfirmed    ReviewStatus = "confirmed" // a hit: links the two cases
	ReviewExcluded     ReviewStatus = "excluded"
)

// Candidate is one entry of a run's ranked list.
type Candidate struct {
	ID           CandidateID     `json:"id"`
	AgencyID     AgencyID        `json:"agency_id"`
	RunID        RunID           `json:"run_id"`
	Scan         ScanID          `json:"scan"` // the candidate scan (may belong to another agency)
	Rank         int             `json:"rank"` // 1 is the best
	Score        float64         `json:"score"`
	Calibrated   *float64        `json:"calibrated,omitempty"`   // calibrated figure (e.g. a likelihood ratio), when the engine gives one
	Registration json.RawMessage `json:"registration,omitempty"` // how the engine aligned the two scans
	ReviewStatus ReviewStatus    `json:"review_status"`          // the latest review, kept with the candidate for filtering
}

// CandidateReview records one change of a candidate's review status. Reviews
// are never changed or deleted: the list of them is the history.
type CandidateReview struct {
	ID          ReviewID     `json:"id"`
	AgencyID    AgencyID     `json:"agency_id"`
	CandidateID CandidateID  `json:"candidate_id"`
	Status      ReviewStatus `json:"status"`
	By          UserID       `json:"by"`
	At          time.Time    `json:"at"`
	Reason      string       `json:"reason,omitempty"`
}

// CaseLink joins two cases that a confirmed hit showed to involve the same
// firearm. CaseA sorts before CaseB, so each pair is stored once per agency.
type CaseLink struct {
	ID          CaseLinkID  `json:"id"`
	AgencyID    AgencyID    `json:"agency_id"`
	CaseA       CaseID      `json:"case_a"`
	CaseB       CaseID      `json:"case_b"`
	CandidateID CandidateID `json:"candidate_id,omitempty"` // the confirmed candidate that made the link, if one did
	// ConclusionID is the verified (or resolved) identification that made
	// the link, if one did (a store.ConclusionID).
	ConclusionID string    `json:"conclusion_id,omitempty"`
	CreatedBy    UserID    `json:"created_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Validation.

func invalid(op, format string, args ...any) error {
	return errs.Errorf(op, errs.Invalid, format, args...)
}

// text checks a free-text field: valid UTF-8, no control characters other
// than newline and tab, at most max bytes, and present if required.
func text(op, field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return invalid(op, "%s is required", field)
	}
	if len(v) > max {
		return invalid(op, "%s is %d bytes long; the limit is %d", field, len(v), max)
	}
	if !utf8.ValidString(v) {
		return invalid(op, "%s is not valid UTF-8", field)
	}
	for i, r := range v {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return invalid(op, "%s has a control character (U+%04X) at byte %d", field, r, i)
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
	return invalid(op, "%s %q: want one of %s", field, clip(string(v)), strings.Join(names, ", "))
}

func finite(op, field string, v float64, min, max float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < min || v > max {
		return invalid(op, "%s %v is out of range [%v, %v]", field, v, min, max)
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

// Validate checks an agency before it is stored.
func (a Agency) Validate() error {
	const op = "domain.Agency"
	if err := firstErr(
		text(op, "agency code", a.Code, 64, true),
		text(op, "agency name", a.Name, 256, true),
	); err != nil {
		return err
	}
	if strings.ContainsAny(a.Code, " \t\n") {
		return invalid(op, "agency code %q must not contain spaces", clip(a.Code))
	}
	if a.Country != "" && (len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country || !isLetters(a.Country)) {
		return invalid(op, "country %q: want an ISO 3166-1 alpha-2 code such as KZ", clip(a.Country))
	}
	return nil
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// Validate checks a user before it is stored.
func (u User) Validate() error {
	const op = "domain.User"
	if err := firstErr(
		CheckID("agency id", string(u.AgencyID)),
		text(op, "username", u.Username, 128, true),
		text(op, "display name", u.DisplayName, 256, false),
		text(op, "email", u.Email, 256, false),
		text(op, "locale", u.Locale, 35, false),
	); err != nil {
		return err
	}
	if strings.ContainsAny(u.Username, " \t\n") {
		return invalid(op, "username %q must not contain spaces", clip(u.Username))
	}
	seen := map[Role]bool{}
	for _, r := range u.Roles {
		if err := oneOf(op, "role", r, Roles...); err != nil {
			return err
		}
		if seen[r] {
			return invalid(op, "role %q listed twice", r)
		}
		seen[r] = true
	}
	return nil
}

// Validate checks a case before it is stored.
func (c Case) Validate() error {
	const op = "domain.Case"
	if err := firstErr(
		CheckID("agency id", string(c.AgencyID)),
		text(op, "case number", c.Number, 128, true),
		text(op, "title", c.Title, 512, false),
		text(op, "offence", c.Offence, 512, false),
		text(op, "place name", c.PlaceName, 512, false),
		text(op, "notes", c.Notes, 64<<10, false),
		oneOf(op, "case status", c.Status, CaseOpen, CaseClosed, CaseArchived),
	); err != nil {
		return err
	}
	if c.Location != nil {
		if err := firstErr(
			finite(op, "latitude", c.Location.Lat, -90, 90),
			finite(op, "longitude", c.Location.Lon, -180, 180),
		); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks class characteristics.
func (cc ClassCharacteristics) Validate() error {
	const op = "domain.ClassCharacteristics"
	if err := firstErr(
		text(op, "calibre", cc.Calibre, 64, false),
		text(op, "firing pin shape", cc.FiringPinShape, 64, false),
		text(op, "breech face class", cc.BreechFaceClass, 64, false),
		text(op, "ejector position", cc.EjectorPosition, 64, false),
		text(op, "ammunition make", cc.AmmunitionMake, 128, false),
		finite(op, "land width (µm)", cc.LandWidthUM, 0, 20000),
	); err != nil {
		return err
	}
	if cc.Lands < 0 || cc.Lands > 64 {
		return invalid(op, "number of lands %d is out of range [0, 64]", cc.Lands)
	}
	if cc.Twist != "" {
		return oneOf(op, "twist", cc.Twist, "left", "right")
	}
	return nil
}

// Validate checks an exhibit before it is stored.
func (e Exhibit) Validate() error {
	const op = "domain.Exhibit"
	return firstErr(
		CheckID("agency id", string(e.AgencyID)),
		CheckID("case id", string(e.CaseID)),
		text(op, "exhibit label", e.Label, 128, true),
		oneOf(op, "exhibit kind", e.Kind, KindCartridgeCase, KindBullet, KindFirearm, KindTestFire),
		oneOf(op, "exhibit role", e.Role, RoleCrimeScene, RoleReference),
		e.Class.Validate(),
		text(op, "description", e.Description, 64<<10, false),
	)
}

// Validate checks a scan before it is stored.
func (s Scan) Validate() error {
	const op = "domain.Scan"
	if err := firstErr(
		CheckID("agency id", string(s.AgencyID)),
		CheckID("exhibit id", string(s.ExhibitID)),
		oneOf(op, "scan format", s.Format, FormatX3P, FormatPNG, FormatTIFF, FormatJPEG),
		text(op, "original file name", s.OriginalName, 1024, false),
		text(op, "instrument", s.Instrument, 512, false),
		finite(op, "resolution (µm)", s.ResolutionUM, 0, 1e6),
		finite(op, "calibration (µm per pixel)", s.UMPerPixel, 0, 1e6),
	); err != nil {
		return err
	}
	if s.Original.IsZero() {
		return invalid(op, "scan has no original file (blob ref)")
	}
	if s.Size < 0 {
		return invalid(op, "scan size %d is negative", s.Size)
	}
	if s.Format.Is2D() && s.UMPerPixel <= 0 {
		return invalid(op, "a %s image needs its calibration in µm per pixel", s.Format)
	}
	if len(s.Warnings) > 100 {
		return invalid(op, "%d warnings; the limit is 100", len(s.Warnings))
	}
	for i, w := range s.Warnings {
		if err := text(op, fmt.Sprintf("warning %d", i+1), w, 1024, true); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a run before it is stored.
func (r CorrelationRun) Validate() error {
	const op = "domain.CorrelationRun"
	if err := firstErr(
		CheckID("agency id", string(r.AgencyID)),
		CheckID("query scan id", string(r.QueryScan)),
		oneOf(op, "run status", r.Status, RunQueued, RunRunning, RunDone, RunFailed),
		text(op, "run error", r.Error, 64<<10, false),
	); err != nil {
		return err
	}
	return firstErr(rawJSON(op, "run parameters", r.Params), rawJSON(op, "run statistics", r.Stats))
}

func rawJSON(op, field string, m json.RawMessage) error {
	if len(m) == 0 {
		return nil
	}
	if len(m) > 1<<20 {
		return invalid(op, "%s are %d bytes of JSON; the limit is 1 MiB", field, len(m))
	}
	if !json.Valid(m) {
		return invalid(op, "%s are not valid JSON", field)
	}
	return nil
}

// Validate checks a candidate before it is stored (RunID and AgencyID are
// set by the store from the run).
func (c Candidate) Validate() error {
	const op = "domain.Candidate"
	if err := CheckID("candidate scan id", string(c.Scan)); err != nil {
		return err
	}
	if c.Rank < 1 {
		return invalid(op, "candidate rank %d: ranks start at 1", c.Rank)
	}
	if math.IsNaN(c.Score) || math.IsInf(c.Score, 0) {
		return invalid(op, "candidate %d has score %v; scores must be finite", c.Rank, c.Score)
	}
	if c.Calibrated != nil && (math.IsNaN(*c.Calibrated) || math.IsInf(*c.Calibrated, 0)) {
		return invalid(op, "candidate %d has calibrated figure %v; it must be finite", c.Rank, *c.Calibrated)
	}
	return rawJSON(op, "registration", c.Registration)
}

// Validate checks a review before it is stored.
func (r CandidateReview) Validate() error {
	const op = "domain.CandidateReview"
	if err := firstErr(
		CheckID("agency id", string(r.AgencyID)),
		CheckID("candidate id", string(r.CandidateID)),
		CheckID("reviewer id", string(r.By)),
		oneOf(op, "review status", r.Status, ReviewViewed, ReviewPotentialHit, ReviewConfirmed, ReviewExcluded, ReviewUnreviewed),
		text(op, "reason", r.Reason, 64<<10, false),
	); err != nil {
		return err
	}
	if (r.Status == ReviewConfirmed || r.Status == ReviewExcluded) && strings.TrimSpace(r.Reason) == "" {
		return invalid(op, "a %s review needs a reason", r.Status)
	}
	return nil
}

// ValidateStatus checks only the review status.
func (r CandidateReview) ValidateStatus() error {
	return oneOf("domain.CandidateReview", "review status", r.Status,
		ReviewUnreviewed, ReviewViewed, ReviewPotentialHit, ReviewConfirmed, ReviewExcluded)
}
