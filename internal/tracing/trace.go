package tracing

import (
	"fmt"
	"sort"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// TraceStatus is where a trace request stands.
type TraceStatus string

// Trace request statuses.
const (
	TraceDraft        TraceStatus = "draft"
	TraceSent         TraceStatus = "sent"
	TraceAcknowledged TraceStatus = "acknowledged"
	TraceAnswered     TraceStatus = "answered"
	TraceClosed       TraceStatus = "closed"
)

// TraceStatuses lists every status in workflow order.
var TraceStatuses = []TraceStatus{TraceDraft, TraceSent, TraceAcknowledged, TraceAnswered, TraceClosed}

// transitions are the allowed status changes. A draft may be closed
// (withdrawn); an answered request may go back to acknowledged when the
// requester asks a follow-up question.
var transitions = map[TraceStatus][]TraceStatus{
	TraceDraft:        {TraceSent, TraceClosed},
	TraceSent:         {TraceAcknowledged, TraceAnswered, TraceClosed},
	TraceAcknowledged: {TraceAnswered, TraceClosed},
	TraceAnswered:     {TraceAcknowledged, TraceClosed},
	TraceClosed:       nil,
}

// CanTransition reports whether a request may go from one status to another.
func CanTransition(from, to TraceStatus) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Party is one side of a trace request.
type Party struct {
	AgencyID domain.AgencyID `json:"agency_id,omitempty"` // empty when the agency has no node here
	Agency   string          `json:"agency"`              // name or code, as addressed
	Country  string          `json:"country"`             // ISO 3166-1 alpha-2
	Contact  string          `json:"contact,omitempty"`   // officer or national point of contact
}

// TraceAnswer is one reply of the addressee (ISACS 05.31 trace response).
type TraceAnswer struct {
	At               time.Time     `json:"at"`
	By               domain.UserID `json:"by,omitempty"`
	Text             string        `json:"text"`
	LastLegalOwner   string        `json:"last_legal_owner,omitempty"`
	PointOfDiversion string        `json:"point_of_diversion,omitempty"`
	Attachments      []blob.Ref    `json:"attachments,omitempty"`
}

// TraceEvent records one status change.
type TraceEvent struct {
	At   time.Time     `json:"at"`
	From TraceStatus   `json:"from"`
	To   TraceStatus   `json:"to"`
	By   domain.UserID `json:"by,omitempty"`
	Note string        `json:"note,omitempty"`
}

// TraceRequest asks another agency or country to trace a firearm. The
// firearm block is a copy of the record at the time of the request, since
// the addressee may not hold the record.
type TraceRequest struct {
	ID           TraceRequestID `json:"id"`
	Requester    Party          `json:"requester"`
	Addressee    Party          `json:"addressee"`
	FirearmID    FirearmID      `json:"firearm_id,omitempty"`
	Firearm      Firearm        `json:"firearm"`
	CaseNumber   string         `json:"case_number,omitempty"`
	Priority     string         `json:"priority,omitempty"`     // "routine" or "urgent"
	Reason       string         `json:"reason"`                 // why the firearm is illicit / the circumstances
	LegalBasis   string         `json:"legal_basis"`            // e.g. "ITI para 17; MLA treaty of ..."
	Restrictions string         `json:"restrictions,omitempty"` // confidentiality or use limits set by the requester
	Attachments  []blob.Ref     `json:"attachments,omitempty"`
	Deadline     time.Time      `json:"deadline,omitzero"`
	Status       TraceStatus    `json:"status"`
	Answers      []TraceAnswer  `json:"answers,omitempty"`
	Events       []TraceEvent   `json:"events,omitempty"`
	CreatedBy    domain.UserID  `json:"created_by,omitempty"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	// Peer is the exchange key fingerprint of the other party's node when
	// that party is on another node (empty: both are on this one).
	Peer string `json:"peer,omitempty"`
	// Delivery says whether this node's latest change reached Peer.
	Delivery *Delivery `json:"delivery,omitempty"`
}

// Delivery is the state of a request's exchange with the other node. A
// request goes to sent only once the other node has stored it; until then
// it stays a draft with Pending set and the last error, and sending again
// retries. Later changes (acknowledged, answered, closed) are made here
// first and Pending until the other node has them.
type Delivery struct {
	Pending bool `json:"pending"`
	// Refused is set when the last attempt was refused (unknown or revoked
	// peer, no sharing rule, the peer said no) rather than failed on the
	// way: retrying as is will not help, so only a person sends again.
	Refused     bool      `json:"refused,omitempty"`
	Attempts    int       `json:"attempts"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

// Delivered records a successful exchange with the other node at time at.
func (t *TraceRequest) Delivered(at time.Time) {
	d := t.delivery()
	d.Pending, d.Refused, d.Attempts, d.LastAttempt, d.LastError, d.DeliveredAt = false, false, d.Attempts+1, at, "", at
}

// Undelivered records a failed exchange with the other node: the change
// stays Pending for a retry; refused says the other node or this node's
// rules refused it (Delivery.Refused).
func (t *TraceRequest) Undelivered(at time.Time, err error, refused bool) {
	d := t.delivery()
	d.Pending, d.Refused, d.Attempts, d.LastAttempt, d.LastError = true, refused, d.Attempts+1, at, err.Error()
	if len(d.LastError) > 1024 {
		d.LastError = d.LastError[:1024]
	}
}

func (t *TraceRequest) delivery() *Delivery {
	if t.Delivery == nil {
		t.Delivery = &Delivery{}
	}
	return t.Delivery
}

// Validate checks a trace request before it is stored or sent.
func (t TraceRequest) Validate() error {
	const op = "tracing.TraceRequest"
	if err := firstErr(
		domain.CheckID("trace request id", string(t.ID)),
		text(op, "requester agency", t.Requester.Agency, 256, true),
		country(op, "requester country", t.Requester.Country),
		text(op, "addressee agency", t.Addressee.Agency, 256, true),
		country(op, "addressee country", t.Addressee.Country),
		text(op, "reason", t.Reason, 16<<10, t.Status != TraceDraft),
		text(op, "legal basis", t.LegalBasis, 4<<10, t.Status != TraceDraft),
		text(op, "restrictions", t.Restrictions, 4<<10, false),
		text(op, "case number", t.CaseNumber, 128, false),
		text(op, "peer", t.Peer, 128, false),
		oneOf(op, "status", t.Status, TraceStatuses...),
	); err != nil {
		return err
	}
	if t.Requester.Country == "" || t.Addressee.Country == "" {
		return errs.Errorf(op, errs.Invalid, "requester and addressee countries are required")
	}
	if t.Priority != "" {
		if err := oneOf(op, "priority", t.Priority, "routine", "urgent"); err != nil {
			return err
		}
	}
	if t.Firearm.Make == "" && t.Firearm.SerialNumber == "" {
		return errs.Errorf(op, errs.Invalid, "firearm: give at least the make or the serial number")
	}
	for i, a := range t.Attachments {
		if a.IsZero() {
			return errs.Errorf(op, errs.Invalid, "attachment %d has no blob ref", i+1)
		}
	}
	return nil
}

// Transition moves t to status to, appending the event. It refuses a
// change the workflow does not allow (errs.Conflict) and, when sending,
// an incomplete request (errs.Invalid). It mutates t only on success.
func (t *TraceRequest) Transition(to TraceStatus, at time.Time, by domain.UserID, note string) error {
	const op = "tracing.TraceRequest.Transition"
	if !CanTransition(t.Status, to) {
		allowed := transitions[t.Status]
		return errs.Errorf(op, errs.Conflict, "trace request %s is %s and cannot become %s (allowed: %v)", t.ID, t.Status, to, allowed)
	}
	if to == TraceSent {
		next := *t
		next.Status = to
		if err := next.Validate(); err != nil {
			return errs.E(op, errs.Invalid, fmt.Errorf("cannot send an incomplete request: %w", err))
		}
	}
	t.Events = append(t.Events, TraceEvent{At: at, From: t.Status, To: to, By: by, Note: note})
	t.Status = to
	t.UpdatedAt = at
	return nil
}

// Answer records a reply and moves the request to answered.
func (t *TraceRequest) Answer(a TraceAnswer) error {
	if err := text("tracing.TraceRequest.Answer", "answer text", a.Text, 64<<10, true); err != nil {
		return err
	}
	if err := t.Transition(TraceAnswered, a.At, a.By, ""); err != nil {
		return err
	}
	t.Answers = append(t.Answers, a)
	return nil
}

// Open reports whether the addressee still owes an answer.
func (t TraceRequest) Open() bool { return t.Status == TraceSent || t.Status == TraceAcknowledged }

// ReminderKind says why a request needs attention.
type ReminderKind string

// Reminder kinds.
const (
	Overdue ReminderKind = "overdue"
	DueSoon ReminderKind = "due_soon"
)

// Reminder is one request that needs attention.
type Reminder struct {
	RequestID TraceRequestID `json:"request_id"`
	Kind      ReminderKind   `json:"kind"`
	Deadline  time.Time      `json:"deadline"`
	// Left is the time until the deadline; negative when overdue.
	Left time.Duration `json:"left"`
}

// Reminders lists the open requests (sent or acknowledged, with a
// deadline) that are overdue at now or due within soon, most urgent first.
func Reminders(reqs []TraceRequest, now time.Time, soon time.Duration) []Reminder {
	var out []Reminder
	for _, r := range reqs {
		if !r.Open() || r.Deadline.IsZero() {
			continue
		}
		left := r.Deadline.Sub(now)
		switch {
		case left < 0:
			out = append(out, Reminder{RequestID: r.ID, Kind: Overdue, Deadline: r.Deadline, Left: left})
		case left <= soon:
			out = append(out, Reminder{RequestID: r.ID, Kind: DueSoon, Deadline: r.Deadline, Left: left})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Deadline.Equal(out[j].Deadline) {
			return out[i].Deadline.Before(out[j].Deadline)
		}
		return out[i].RequestID < out[j].RequestID
	})
	return out
}

// Incoming returns the requests addressed to agency, drafts excluded (a
// draft has not left its author), newest first.
func Incoming(reqs []TraceRequest, agency domain.AgencyID) []TraceRequest {
	return filterSorted(reqs, func(r TraceRequest) bool {
		return r.Addressee.AgencyID == agency && r.Status != TraceDraft
	})
}

// Outgoing returns the requests made by agency, drafts included, newest first.
func Outgoing(reqs []TraceRequest, agency domain.AgencyID) []TraceRequest {
	return filterSorted(reqs, func(r TraceRequest) bool { return r.Requester.AgencyID == agency })
}

func filterSorted(reqs []TraceRequest, keep func(TraceRequest) bool) []TraceRequest {
	var out []TraceRequest
	for _, r := range reqs {
		if keep(r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out
}
