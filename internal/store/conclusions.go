package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// ConclusionID names a recorded conclusion (UUIDv7).
type ConclusionID string

// AFTE is a conclusion in the AFTE range.
type AFTE string

// The AFTE range of conclusions.
const (
	Identification AFTE = "identification"
	InconclusiveA  AFTE = "inconclusive_a"
	InconclusiveB  AFTE = "inconclusive_b"
	InconclusiveC  AFTE = "inconclusive_c"
	Elimination    AFTE = "elimination"
	Unsuitable     AFTE = "unsuitable"
)

// AFTERange lists the AFTE conclusions in order.
var AFTERange = []AFTE{Identification, InconclusiveA, InconclusiveB, InconclusiveC, Elimination, Unsuitable}

// ConclusionStatus is where a conclusion stands in verification.
type ConclusionStatus string

// Conclusion statuses.
const (
	AwaitingVerification ConclusionStatus = "awaiting_verification"
	Verified             ConclusionStatus = "verified"     // the verifier reached the same conclusion
	Disagreement         ConclusionStatus = "disagreement" // the verifier did not; a supervisor resolves it
	Resolved             ConclusionStatus = "resolved"
)

// Annotation is a mark on one scan of the pair: a point, a rectangle (two
// opposite corners) or a polyline, in µm in the frame of the scan's
// surface (origin at grid point (0, 0), x along columns, y along rows).
type Annotation struct {
	Scan   string       `json:"scan" enum:"a,b" doc:"which scan of the pair the mark is on"`
	Kind   string       `json:"kind" enum:"point,rect,polyline"`
	Points [][2]float64 `json:"points_um" maxItems:"1000" doc:"[x, y] in µm: 1 for a point, 2 corners for a rect, 2–1000 for a polyline"`
	Label  string       `json:"label,omitempty" maxLength:"200"`
}

// Annotation limits.
const (
	MaxAnnotations   = 200
	maxPolylinePts   = 1000
	maxLabelBytes    = 200
	maxNotesBytes    = 64 << 10
	maxCoordinateUM  = 1e6 // 1 m: far beyond any scan
	maxIdempotencyKB = 128
)

// Check is a second person's judgement of a conclusion: the blind
// verification, or a supervisor's resolution of a disagreement.
type Check struct {
	By          domain.UserID `json:"by"`
	ByName      string        `json:"by_name,omitempty"`
	Conclusion  AFTE          `json:"conclusion"`
	Notes       string        `json:"notes,omitempty"`
	Annotations []Annotation  `json:"annotations,omitempty"`
	At          time.Time     `json:"at"`
	// Agrees is set on a verification: the same AFTE conclusion as the
	// examiner's.
	Agrees bool `json:"agrees,omitempty"`
	// IdempotencyKey, if set, makes a repeated submission a conflict.
	IdempotencyKey string `json:"-"`
}

// Conclusion is an examiner's conclusion on a pair of scans with its
// verification and resolution.
type Conclusion struct {
	ID          ConclusionID       `json:"id"`
	AgencyID    domain.AgencyID    `json:"agency_id"`
	ScanA       domain.ScanID      `json:"scan_a"`
	ScanB       domain.ScanID      `json:"scan_b"`
	ExhibitA    domain.ExhibitID   `json:"exhibit_a"`
	ExhibitB    domain.ExhibitID   `json:"exhibit_b"`
	CaseA       domain.CaseID      `json:"case_a"`
	CaseB       domain.CaseID      `json:"case_b"`
	CandidateID domain.CandidateID `json:"candidate_id,omitempty"`

	Examiner     domain.UserID `json:"examiner"`
	ExaminerName string        `json:"examiner_name,omitempty"`
	Conclusion   AFTE          `json:"conclusion"`
	Notes        string        `json:"notes"`
	Annotations  []Annotation  `json:"annotations"`
	RecordedAt   time.Time     `json:"recorded_at"`
	// Verifier is the colleague asked to verify, if one was named.
	Verifier domain.UserID `json:"verifier,omitempty"`

	Status          ConclusionStatus `json:"status"`
	Verification    *Check           `json:"verification"`
	Resolution      *Check           `json:"resolution"`
	FinalConclusion AFTE             `json:"final_conclusion"` // set when verified or resolved
	Link            *domain.CaseLink `json:"link"`             // the case link the final identification made
	UpdatedAt       time.Time        `json:"updated_at"`

	// IdempotencyKey, if set, makes a repeated submission a conflict.
	IdempotencyKey string `json:"-"`
}

func validAFTE(op, field string, v AFTE) error {
	for _, a := range AFTERange {
		if v == a {
			return nil
		}
	}
	names := make([]string, len(AFTERange))
	for i, a := range AFTERange {
		names[i] = string(a)
	}
	return errs.Errorf(op, errs.Invalid, "%s %q: want one of %s", field, clip(string(v)), strings.Join(names, ", "))
}

func validText(op, field, v string, max int) error {
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

// ValidateAnnotations checks marks before they are stored.
func ValidateAnnotations(op string, as []Annotation) error {
	if len(as) > MaxAnnotations {
		return errs.Errorf(op, errs.Invalid, "%d annotations: the limit is %d", len(as), MaxAnnotations)
	}
	for i, a := range as {
		if a.Scan != "a" && a.Scan != "b" {
			return errs.Errorf(op, errs.Invalid, "annotation %d: scan %q: want \"a\" or \"b\"", i+1, clip(a.Scan))
		}
		n := len(a.Points)
		switch a.Kind {
		case "point":
			if n != 1 {
				return errs.Errorf(op, errs.Invalid, "annotation %d: a point has 1 position, not %d", i+1, n)
			}
		case "rect":
			if n != 2 {
				return errs.Errorf(op, errs.Invalid, "annotation %d: a rect has 2 corners, not %d", i+1, n)
			}
		case "polyline":
			if n < 2 || n > maxPolylinePts {
				return errs.Errorf(op, errs.Invalid, "annotation %d: a polyline has 2 to %d points, not %d", i+1, maxPolylinePts, n)
			}
		default:
			return errs.Errorf(op, errs.Invalid, "annotation %d: kind %q: want point, rect or polyline", i+1, clip(a.Kind))
		}
		for j, p := range a.Points {
			for _, v := range p {
				if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxCoordinateUM {
					return errs.Errorf(op, errs.Invalid, "annotation %d point %d: coordinate %v µm is not a finite number within ±1 m", i+1, j+1, v)
				}
			}
		}
		if err := validText(op, "annotation label", a.Label, maxLabelBytes); err != nil {
			return err
		}
	}
	return nil
}

func validIdempotencyKey(op, k string) error {
	if len(k) > maxIdempotencyKB {
		return errs.Errorf(op, errs.Invalid, "idempotency key is %d bytes long; the limit is %d", len(k), maxIdempotencyKB)
	}
	return validText(op, "idempotency key", k, maxIdempotencyKB)
}

func (c Check) validate(op string) error {
	return firstError(
		checkIDs("checked by", string(c.By)),
		validAFTE(op, "conclusion", c.Conclusion),
		validText(op, "notes", c.Notes, maxNotesBytes),
		ValidateAnnotations(op, c.Annotations),
		validIdempotencyKey(op, c.IdempotencyKey),
	)
}

func firstError(es ...error) error {
	for _, e := range es {
		if e != nil {
			return e
		}
	}
	return nil
}

// alike reports whether exhibits of kinds a and b can be compared: a
// cartridge case never with a bullet (test fires and firearms may be either).
func alike(a, b domain.ExhibitKind) bool {
	physical := func(k domain.ExhibitKind) bool { return k == domain.KindCartridgeCase || k == domain.KindBullet }
	return a == b || !physical(a) || !physical(b)
}

func pairKey(a, b domain.ScanID) string {
	if b < a {
		a, b = b, a
	}
	return string(a) + "|" + string(b)
}

func encodeAnnotations(as []Annotation) string {
	if len(as) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(as) // plain data: cannot fail
	return string(b)
}

func decodeAnnotations(s string) []Annotation {
	out := []Annotation{}
	json.Unmarshal([]byte(s), &out) // written by encodeAnnotations
	return out
}

// RecordConclusion stores an examiner's conclusion, awaiting verification.
// With CandidateID set, ScanA and ScanB are taken from the candidate (the
// run's query scan and the candidate scan); a candidate that no longer
// exists is NotFound. Exhibits and cases are filled from the scans. ID,
// RecordedAt and Status are set by the store.
//
// Nothing is recorded twice: the same IdempotencyKey again, or a second
// open conclusion of the same examiner on the same pair (either order) is a
// Conflict error naming the conclusion already stored.
func (s *Store) RecordConclusion(ctx context.Context, c Conclusion) (Conclusion, error) {
	const op = "store.RecordConclusion"
	if err := firstError(
		checkIDs("agency id", string(c.AgencyID), "examiner", string(c.Examiner)),
		validAFTE(op, "conclusion", c.Conclusion),
		validText(op, "notes", c.Notes, maxNotesBytes),
		ValidateAnnotations(op, c.Annotations),
		validIdempotencyKey(op, c.IdempotencyKey),
	); err != nil {
		return Conclusion{}, err
	}
	if c.CandidateID != "" {
		if err := checkIDs("candidate id", string(c.CandidateID)); err != nil {
			return Conclusion{}, err
		}
	} else if err := checkIDs("scan_a", string(c.ScanA), "scan_b", string(c.ScanB)); err != nil {
		return Conclusion{}, err
	}
	if c.Verifier != "" {
		if err := checkIDs("verifier", string(c.Verifier)); err != nil {
			return Conclusion{}, err
		}
		if c.Verifier == c.Examiner {
			return Conclusion{}, errs.Errorf(op, errs.Invalid, "verifier: you cannot verify your own conclusion; name a colleague or leave it empty")
		}
	}
	c.ID = ConclusionID(s.ids.New())
	c.RecordedAt = s.timestamp()
	c.UpdatedAt = c.RecordedAt
	c.Status = AwaitingVerification
	c.FinalConclusion, c.Verification, c.Resolution, c.Link = "", nil, nil, nil
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if c.IdempotencyKey != "" {
			var prior ConclusionID
			err := tx.QueryRowContext(ctx, `SELECT id FROM conclusions WHERE agency_id = $1 AND idempotency_key = $2`, c.AgencyID, c.IdempotencyKey).Scan(&prior)
			if err == nil {
				return errs.Errorf(op, errs.Conflict, "this form was already submitted: it is recorded as conclusion %s; nothing was recorded twice", prior)
			} else if err != sql.ErrNoRows {
				return err
			}
		}
		if c.CandidateID != "" {
			err := tx.QueryRowContext(ctx, `SELECT r.query_scan, c.scan_id FROM candidates c JOIN correlation_runs r ON r.id = c.run_id
				WHERE c.id = $1 AND c.agency_id = $2`, c.CandidateID, c.AgencyID).Scan(&c.ScanA, &c.ScanB)
			if err == sql.ErrNoRows {
				return notFound(op, "candidate %s no longer exists in this agency (it may have been deleted meanwhile); reload the candidate list", c.CandidateID)
			} else if err != nil {
				return err
			}
		}
		if c.ScanA == c.ScanB {
			return errs.Errorf(op, errs.Invalid, "scan_a and scan_b are the same scan %s; a conclusion compares two scans", c.ScanA)
		}
		var kinds [2]domain.ExhibitKind
		for i, side := range []struct {
			scan    domain.ScanID
			exhibit *domain.ExhibitID
			cas     *domain.CaseID
			name    string
		}{{c.ScanA, &c.ExhibitA, &c.CaseA, "scan_a"}, {c.ScanB, &c.ExhibitB, &c.CaseB, "scan_b"}} {
			err := tx.QueryRowContext(ctx, `SELECT e.id, e.case_id, e.kind FROM scans s JOIN exhibits e ON e.id = s.exhibit_id
				WHERE s.id = $1 AND s.agency_id = $2`, side.scan, c.AgencyID).Scan(side.exhibit, side.cas, &kinds[i])
			if err == sql.ErrNoRows {
				return notFound(op, "%s %s not found in this agency", side.name, side.scan)
			} else if err != nil {
				return err
			}
		}
		if !alike(kinds[0], kinds[1]) {
			return errs.Errorf(op, errs.Invalid, "scan_a is of a %s and scan_b of a %s: only alike exhibits compare", kinds[0], kinds[1])
		}
		var prior ConclusionID
		err := tx.QueryRowContext(ctx, `SELECT id FROM conclusions WHERE agency_id = $1 AND examiner = $2 AND pair_key = $3
			AND status IN ('awaiting_verification', 'disagreement')`, c.AgencyID, c.Examiner, pairKey(c.ScanA, c.ScanB)).Scan(&prior)
		if err == nil {
			return errs.Errorf(op, errs.Conflict, "you already have an open conclusion %s on this pair of scans; it must be verified or resolved before you record another", prior)
		} else if err != sql.ErrNoRows {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO conclusions (id, agency_id, scan_a, scan_b, exhibit_a, exhibit_b, case_a, case_b, pair_key,
			candidate_id, examiner, conclusion, notes, annotations, verifier, status, final_conclusion, idempotency_key, recorded_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '', $17, $18, $18)`,
			c.ID, c.AgencyID, c.ScanA, c.ScanB, c.ExhibitA, c.ExhibitB, c.CaseA, c.CaseB, pairKey(c.ScanA, c.ScanB),
			nullString(c.CandidateID), c.Examiner, c.Conclusion, c.Notes, encodeAnnotations(c.Annotations), nullString(c.Verifier),
			c.Status, nullString(c.IdempotencyKey), c.RecordedAt)
		return err
	})
	if err != nil {
		if errs.Is(errs.Conflict, err) && strings.Contains(err.Error(), "already exists") {
			// A concurrent duplicate passed the checks above and hit a unique index.
			return Conclusion{}, errs.Errorf(op, errs.Conflict, "this conclusion was already recorded (submitted twice at once); nothing was recorded twice")
		}
		if errs.Is(errs.Invalid, err) && strings.Contains(err.Error(), "does not exist") {
			return Conclusion{}, errs.Errorf(op, errs.NotFound, "examiner or verifier is not a user of this agency: %v", err)
		}
		return Conclusion{}, err
	}
	return s.Conclusion(ctx, c.AgencyID, c.ID)
}

const conclusionColumns = `c.id, c.agency_id, c.scan_a, c.scan_b, c.exhibit_a, c.exhibit_b, c.case_a, c.case_b, c.candidate_id,
	c.examiner, COALESCE(u.display_name, ''), c.conclusion, c.notes, c.annotations, c.recorded_at, c.verifier, c.status,
	c.final_conclusion, c.updated_at`

const conclusionFrom = ` FROM conclusions c LEFT JOIN users u ON u.id = c.examiner`

func scanConclusion(r rowScanner) (Conclusion, error) {
	var (
		c                   Conclusion
		candidate, verifier sql.NullString
		annotations         string
	)
	err := r.Scan(&c.ID, &c.AgencyID, &c.ScanA, &c.ScanB, &c.ExhibitA, &c.ExhibitB, &c.CaseA, &c.CaseB, &candidate,
		&c.Examiner, &c.ExaminerName, &c.Conclusion, &c.Notes, &annotations, &c.RecordedAt, &verifier, &c.Status,
		&c.FinalConclusion, &c.UpdatedAt)
	c.CandidateID = domain.CandidateID(candidate.String)
	c.Verifier = domain.UserID(verifier.String)
	c.Annotations = decodeAnnotations(annotations)
	c.RecordedAt, c.UpdatedAt = c.RecordedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// complete adds the checks and the case link of conclusions read from q.
func (s *Store) complete(ctx context.Context, q querier, cs []Conclusion) error {
	for i := range cs {
		c := &cs[i]
		rows, err := q.QueryContext(ctx, `SELECT k.step, k.checked_by, COALESCE(u.display_name, ''), k.conclusion, k.notes, k.annotations, k.checked_at
			FROM conclusion_checks k LEFT JOIN users u ON u.id = k.checked_by WHERE k.conclusion_id = $1`, c.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				k                 Check
				step, annotations string
			)
			if err := rows.Scan(&step, &k.By, &k.ByName, &k.Conclusion, &k.Notes, &annotations, &k.At); err != nil {
				rows.Close()
				return err
			}
			k.Annotations = decodeAnnotations(annotations)
			k.At = k.At.UTC()
			switch step {
			case "verification":
				k.Agrees = k.Conclusion == c.Conclusion
				c.Verification = &k
			case "resolution":
				c.Resolution = &k
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if c.FinalConclusion != Identification || c.CaseA == c.CaseB {
			continue
		}
		// The link this identification made, or the earlier one of the same pair of cases.
		a, b := c.CaseA, c.CaseB
		if b < a {
			a, b = b, a
		}
		l, err := scanLink(q.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM case_links WHERE agency_id = $1 AND case_a = $2 AND case_b = $3`, c.AgencyID, a, b))
		switch {
		case err == nil:
			c.Link = &l
		case err != sql.ErrNoRows:
			return err
		}
	}
	return nil
}

// Conclusion returns a conclusion of agency with its verification,
// resolution and case link. It is not blinded: the API hides a pending
// conclusion from everyone but its examiner.
func (s *Store) Conclusion(ctx context.Context, agency domain.AgencyID, id ConclusionID) (Conclusion, error) {
	const op = "store.Conclusion"
	if err := checkIDs("agency id", string(agency), "conclusion id", string(id)); err != nil {
		return Conclusion{}, err
	}
	c, err := scanConclusion(s.db.QueryRowContext(ctx, `SELECT `+conclusionColumns+conclusionFrom+` WHERE c.id = $1 AND c.agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return Conclusion{}, notFound(op, "conclusion %s not found in this agency", id)
	}
	if err != nil {
		return Conclusion{}, s.classify(op, err)
	}
	cs := []Conclusion{c}
	if err := s.complete(ctx, s.db, cs); err != nil {
		return Conclusion{}, s.classify(op, err)
	}
	return cs[0], nil
}

// ConclusionFilter selects conclusions of one agency. Zero fields select
// everything.
type ConclusionFilter struct {
	Agency    domain.AgencyID // required
	Case      domain.CaseID   // either side's case
	Scan      domain.ScanID   // either side's scan
	Candidate domain.CandidateID
	Status    ConclusionStatus
	Examiner  domain.UserID
	// PendingFor keeps conclusions awaiting verification that this user
	// may verify: recorded by someone else, asked of this user or of nobody.
	PendingFor domain.UserID
	// ResolvableBy keeps disagreements this user is not a party to.
	ResolvableBy domain.UserID
}

// ListConclusions returns the conclusions that match f, newest first, a
// page at a time.
func (s *Store) ListConclusions(ctx context.Context, f ConclusionFilter, page Page) ([]Conclusion, string, error) {
	const op = "store.ListConclusions"
	if err := checkIDs("agency id", string(f.Agency)); err != nil {
		return nil, "", err
	}
	for _, v := range []struct{ name, id string }{{"case", string(f.Case)}, {"scan", string(f.Scan)}, {"candidate", string(f.Candidate)},
		{"examiner", string(f.Examiner)}, {"user", string(f.PendingFor)}, {"user", string(f.ResolvableBy)}} {
		if v.id != "" {
			if err := checkIDs(v.name+" id", v.id); err != nil {
				return nil, "", err
			}
		}
	}
	if f.Status != "" {
		switch f.Status {
		case AwaitingVerification, Verified, Disagreement, Resolved:
		default:
			return nil, "", errs.Errorf(op, errs.Invalid, "status %q: want awaiting_verification, verified, disagreement or resolved", clip(string(f.Status)))
		}
	}
	cur, ok, err := decodeCursor(op, "conclusions", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("c.agency_id = ?", f.Agency)
	if f.Case != "" {
		p := w.next(f.Case)
		w.conds = append(w.conds, "(c.case_a = "+p+" OR c.case_b = "+p+")")
	}
	if f.Scan != "" {
		p := w.next(f.Scan)
		w.conds = append(w.conds, "(c.scan_a = "+p+" OR c.scan_b = "+p+")")
	}
	if f.Candidate != "" {
		w.add("c.candidate_id = ?", f.Candidate)
	}
	if f.Status != "" {
		w.add("c.status = ?", f.Status)
	}
	if f.Examiner != "" {
		w.add("c.examiner = ?", f.Examiner)
	}
	if f.PendingFor != "" {
		w.conds = append(w.conds, "c.status = 'awaiting_verification'")
		w.add("c.examiner <> ?", f.PendingFor)
		p := w.next(f.PendingFor)
		w.conds = append(w.conds, "(c.verifier IS NULL OR c.verifier = "+p+")")
	}
	if f.ResolvableBy != "" {
		w.conds = append(w.conds, "c.status = 'disagreement'")
		w.add("c.examiner <> ?", f.ResolvableBy)
		p := w.next(f.ResolvableBy)
		w.conds = append(w.conds, "NOT EXISTS (SELECT 1 FROM conclusion_checks k WHERE k.conclusion_id = c.id AND k.checked_by = "+p+")")
	}
	if ok {
		w.add("c.id < ?", cur.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT `+conclusionColumns+conclusionFrom+w.String()+` ORDER BY c.id DESC LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	var out []Conclusion
	for rows.Next() {
		c, err := scanConclusion(rows)
		if err != nil {
			rows.Close()
			return nil, "", s.classify(op, err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "conclusions", ID: string(out[limit-1].ID)})
	}
	if err := s.complete(ctx, s.db, out); err != nil {
		return nil, "", s.classify(op, err)
	}
	return out, next, nil
}

// VerifyConclusion records the second examiner's blind verification: the
// same AFTE conclusion makes the conclusion verified (and an identification
// links the two cases), another one a disagreement for a supervisor. The
// examiner who recorded it may not verify it (Permission); a conclusion
// already verified is a Conflict.
func (s *Store) VerifyConclusion(ctx context.Context, agency domain.AgencyID, id ConclusionID, k Check) (Conclusion, error) {
	const op = "store.VerifyConclusion"
	return s.check(ctx, op, agency, id, "verification", k)
}

// ResolveDisagreement records a supervisor's resolution of a disagreement;
// the resolution's conclusion becomes final (an identification links the
// cases). Neither the examiner nor the verifier may resolve it
// (Permission); a conclusion not in disagreement is a Conflict.
func (s *Store) ResolveDisagreement(ctx context.Context, agency domain.AgencyID, id ConclusionID, k Check) (Conclusion, error) {
	const op = "store.ResolveDisagreement"
	return s.check(ctx, op, agency, id, "resolution", k)
}

func (s *Store) check(ctx context.Context, op string, agency domain.AgencyID, id ConclusionID, step string, k Check) (Conclusion, error) {
	if err := checkIDs("agency id", string(agency), "conclusion id", string(id)); err != nil {
		return Conclusion{}, err
	}
	if err := k.validate(op); err != nil {
		return Conclusion{}, err
	}
	k.At = s.timestamp()
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if k.IdempotencyKey != "" {
			var prior ConclusionID
			err := tx.QueryRowContext(ctx, `SELECT conclusion_id FROM conclusion_checks WHERE agency_id = $1 AND idempotency_key = $2`, agency, k.IdempotencyKey).Scan(&prior)
			if err == nil {
				return errs.Errorf(op, errs.Conflict, "this form was already submitted: it is recorded on conclusion %s; nothing was recorded twice", prior)
			} else if err != sql.ErrNoRows {
				return err
			}
		}
		c, err := scanConclusion(tx.QueryRowContext(ctx, `SELECT `+conclusionColumns+conclusionFrom+` WHERE c.id = $1 AND c.agency_id = $2`, id, agency))
		if err == sql.ErrNoRows {
			return notFound(op, "conclusion %s not found in this agency", id)
		} else if err != nil {
			return err
		}
		if err := exists(ctx, tx, op, `SELECT 1 FROM users WHERE id = $1 AND agency_id = $2`, "user %s is not a user of agency %s", k.By, agency); err != nil {
			return err
		}
		if k.By == c.Examiner {
			return errs.Errorf(op, errs.Permission, "you recorded conclusion %s; a colleague must do the %s", id, step)
		}
		final := k.Conclusion
		status := Resolved
		switch step {
		case "verification":
			if c.Status != AwaitingVerification {
				return errs.Errorf(op, errs.Conflict, "conclusion %s is already %s; its verification was recorded before", id, strings.ReplaceAll(string(c.Status), "_", " "))
			}
			if c.Verifier != "" && c.Verifier != k.By {
				return errs.Errorf(op, errs.Permission, "conclusion %s was given to another colleague to verify", id)
			}
			status = Verified
			if k.Conclusion != c.Conclusion {
				status, final = Disagreement, ""
			}
		case "resolution":
			if c.Status != Disagreement {
				return errs.Errorf(op, errs.Conflict, "conclusion %s is %s, not in disagreement; there is nothing to resolve", id, strings.ReplaceAll(string(c.Status), "_", " "))
			}
			var verifier domain.UserID
			if err := tx.QueryRowContext(ctx, `SELECT checked_by FROM conclusion_checks WHERE conclusion_id = $1 AND step = 'verification'`, id).Scan(&verifier); err != nil {
				return err
			}
			if verifier == k.By {
				return errs.Errorf(op, errs.Permission, "you verified conclusion %s and are a party to the disagreement; another supervisor must resolve it", id)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO conclusion_checks (id, agency_id, conclusion_id, step, checked_by, conclusion, notes, annotations, idempotency_key, checked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, s.ids.New(), agency, id, step, k.By, k.Conclusion, k.Notes,
			encodeAnnotations(k.Annotations), nullString(k.IdempotencyKey), k.At); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conclusions SET status = $1, final_conclusion = $2, updated_at = $3 WHERE id = $4`,
			status, final, k.At, id); err != nil {
			return err
		}
		if final == Identification {
			if _, err := s.linkCases(ctx, tx, agency, c.CaseA, c.CaseB, c.CandidateID, id, k.By, k.At); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errs.Is(errs.Conflict, err) && strings.Contains(err.Error(), "already exists") {
			return Conclusion{}, errs.Errorf(op, errs.Conflict, "the %s of conclusion %s was already recorded (submitted twice at once); nothing was recorded twice", step, id)
		}
		return Conclusion{}, err
	}
	return s.Conclusion(ctx, agency, id)
}

// PendingList is a finished correlation run whose candidate list has
// candidates nobody reviewed yet.
type PendingList struct {
	Run          domain.CorrelationRun `json:"run"`
	QueryCase    domain.CaseID         `json:"query_case"`
	CaseNumber   string                `json:"query_case_number"`
	QueryExhibit domain.ExhibitID      `json:"query_exhibit"`
	ExhibitLabel string                `json:"query_exhibit_label"`
	Unreviewed   int                   `json:"unreviewed"`
	Total        int                   `json:"total"`
}

// PendingLists returns the agency's finished runs with unreviewed
// candidates, newest first, at most limit (≤ MaxLimit).
func (s *Store) PendingLists(ctx context.Context, agency domain.AgencyID, limit int) ([]PendingList, error) {
	const op = "store.PendingLists"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return nil, err
	}
	limit = Page{Limit: limit}.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, e.case_id, cs.number, e.id, e.label,
			SUM(CASE WHEN c.review_status = 'unreviewed' THEN 1 ELSE 0 END), COUNT(*)
		FROM correlation_runs r
		JOIN candidates c ON c.run_id = r.id
		JOIN scans s ON s.id = r.query_scan
		JOIN exhibits e ON e.id = s.exhibit_id
		JOIN cases cs ON cs.id = e.case_id
		WHERE r.agency_id = $1 AND r.status = 'done'
		GROUP BY r.id, e.case_id, cs.number, e.id, e.label
		HAVING SUM(CASE WHEN c.review_status = 'unreviewed' THEN 1 ELSE 0 END) > 0
		ORDER BY r.id DESC LIMIT $2`, agency, limit)
	if err != nil {
		return nil, s.classify(op, err)
	}
	var out []PendingList
	for rows.Next() {
		var p PendingList
		if err := rows.Scan(&p.Run.ID, &p.QueryCase, &p.CaseNumber, &p.QueryExhibit, &p.ExhibitLabel, &p.Unreviewed, &p.Total); err != nil {
			rows.Close()
			return nil, s.classify(op, err)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.classify(op, err)
	}
	for i := range out {
		if out[i].Run, err = s.Run(ctx, agency, out[i].Run.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DerivedRef returns the blob cached under key (NotFound when none).
func (s *Store) DerivedRef(ctx context.Context, key string) (string, error) {
	const op = "store.DerivedRef"
	var ref string
	err := s.db.QueryRowContext(ctx, `SELECT ref FROM derived_cache WHERE cache_key = $1`, key).Scan(&ref)
	if err == sql.ErrNoRows {
		return "", notFound(op, "no cached view under %q", clip(key))
	}
	return ref, s.classify(op, err)
}

// PutDerivedRef caches ref under key, replacing an older entry.
func (s *Store) PutDerivedRef(ctx context.Context, key, ref string) error {
	const op = "store.PutDerivedRef"
	if key == "" || len(key) > 512 || ref == "" {
		return errs.Errorf(op, errs.Invalid, "cache key (1–512 bytes) and blob ref are required")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO derived_cache (cache_key, ref, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (cache_key) DO UPDATE SET ref = excluded.ref, created_at = excluded.created_at`, key, ref, s.timestamp())
	return s.classify(op, err)
}
