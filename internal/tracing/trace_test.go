package tracing

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

var (
	ids   domain.IDGen
	kzLab = domain.AgencyID(ids.New())
	uzLab = domain.AgencyID(ids.New())
	t0    = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
)

func sampleFirearm() Firearm {
	return Firearm{
		ID: FirearmID(ids.New()), AgencyID: kzLab, Make: "Izhevsk Mechanical Plant", Model: "Makarov PM",
		ModelRef: "makarov-pm", Type: TypePistol, Calibre: "9x18mm Makarov", SerialNumber: "КМ 12?456",
		SerialObliterated: true, CountryOfManufacture: "RU", YearOfManufacture: 1984,
		ImportMarks:   []ImportMark{{Country: "KZ", Year: 1996, Text: "KZ 96"}},
		OtherMarkings: []Marking{{Text: "ИЖ", Location: "frame, left", Kind: "arsenal"}},
		Status:        StatusSeized, CreatedAt: t0, UpdatedAt: t0,
	}
}

func sampleRequest(status TraceStatus) TraceRequest {
	return TraceRequest{
		ID:        TraceRequestID(ids.New()),
		Requester: Party{AgencyID: kzLab, Agency: "KZ MIA Forensic Centre", Country: "KZ"},
		Addressee: Party{AgencyID: uzLab, Agency: "UZ MIA Main Forensic Centre", Country: "UZ"},
		Firearm:   sampleFirearm(), Reason: "seized at a border crossing from a trafficker",
		LegalBasis: "ITI section V", Status: status, CreatedAt: t0, UpdatedAt: t0,
	}
}

func TestFirearmValidate(t *testing.T) {
	f := sampleFirearm()
	if err := f.Validate(); err != nil {
		t.Fatalf("valid firearm: %v", err)
	}
	bad := []struct {
		name string
		edit func(*Firearm)
		want string
	}{
		{"no make", func(f *Firearm) { f.Make = " " }, "make is required"},
		{"bad type", func(f *Firearm) { f.Type = "ray gun" }, "type"},
		{"bad status", func(f *Firearm) { f.Status = "missing" }, "status"},
		{"bad country", func(f *Firearm) { f.CountryOfManufacture = "Russia" }, "country of manufacture"},
		{"bad year", func(f *Firearm) { f.YearOfManufacture = 42 }, "year of manufacture"},
		{"import mark without country", func(f *Firearm) { f.ImportMarks[0].Country = "" }, "import mark 1"},
		{"control char", func(f *Firearm) { f.SerialNumber = "A\x00B" }, "control character"},
		{"bad id", func(f *Firearm) { f.ID = "42" }, "firearm id"},
	}
	for _, b := range bad {
		f := sampleFirearm()
		b.edit(&f)
		err := f.Validate()
		if err == nil || !strings.Contains(err.Error(), b.want) || !errs.Is(errs.Invalid, err) {
			t.Errorf("%s: err = %v, want an Invalid error mentioning %q", b.name, err, b.want)
		}
	}
}

func TestFirearmJSONRoundTrip(t *testing.T) {
	f := sampleFirearm()
	if err := f.SetStatus(StatusReference, t0.Add(time.Hour), kzLab, "", "test-fired and kept"); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Firearm
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if !bytes.Equal(b, b2) {
		t.Errorf("JSON round trip changed the record:\n%s\n%s", b, b2)
	}
	if back.Status != StatusReference || len(back.History) != 1 || back.History[0].Status != StatusReference {
		t.Errorf("status change not recorded: %+v", back.History)
	}
	keys := f.SearchKeys()
	if keys[0] != "KM12?456" {
		t.Errorf("serial key = %q, want KM12?456", keys[0])
	}
}

func TestTraceTransitions(t *testing.T) {
	all := TraceStatuses
	allowed := map[[2]TraceStatus]bool{
		{TraceDraft, TraceSent}: true, {TraceDraft, TraceClosed}: true,
		{TraceSent, TraceAcknowledged}: true, {TraceSent, TraceAnswered}: true, {TraceSent, TraceClosed}: true,
		{TraceAcknowledged, TraceAnswered}: true, {TraceAcknowledged, TraceClosed}: true,
		{TraceAnswered, TraceAcknowledged}: true, {TraceAnswered, TraceClosed}: true,
	}
	for _, from := range all {
		for _, to := range all {
			r := sampleRequest(from)
			err := r.Transition(to, t0.Add(time.Hour), "", "")
			if allowed[[2]TraceStatus{from, to}] {
				if err != nil {
					t.Errorf("%s → %s refused: %v", from, to, err)
				} else if r.Status != to || len(r.Events) != 1 || r.Events[0].From != from {
					t.Errorf("%s → %s: status %s, events %+v", from, to, r.Status, r.Events)
				}
			} else {
				if err == nil || !errs.Is(errs.Conflict, err) {
					t.Errorf("%s → %s: err = %v, want a Conflict", from, to, err)
				}
				if r.Status != from || len(r.Events) != 0 {
					t.Errorf("%s → %s refused but the request changed", from, to)
				}
			}
		}
	}
}

func TestTraceSendNeedsCompleteRequest(t *testing.T) {
	r := sampleRequest(TraceDraft)
	r.LegalBasis = ""
	if err := r.Transition(TraceSent, t0, "", ""); err == nil || !strings.Contains(err.Error(), "legal basis") {
		t.Errorf("sending without a legal basis: err = %v", err)
	}
	if r.Status != TraceDraft {
		t.Errorf("status = %s after a refused send", r.Status)
	}
}

func TestTraceAnswer(t *testing.T) {
	r := sampleRequest(TraceSent)
	if err := r.Answer(TraceAnswer{At: t0.Add(48 * time.Hour), Text: "exported 1997 to KZ MoD", LastLegalOwner: "KZ MoD"}); err != nil {
		t.Fatal(err)
	}
	if r.Status != TraceAnswered || len(r.Answers) != 1 {
		t.Errorf("after answer: status %s, %d answers", r.Status, len(r.Answers))
	}
	c := sampleRequest(TraceClosed)
	if err := c.Answer(TraceAnswer{At: t0, Text: "late"}); err == nil || len(c.Answers) != 0 {
		t.Errorf("answering a closed request: err %v, answers %d", err, len(c.Answers))
	}
}

func TestReminders(t *testing.T) {
	now := t0.Add(10 * 24 * time.Hour)
	mk := func(status TraceStatus, deadline time.Time) TraceRequest {
		r := sampleRequest(status)
		r.Deadline = deadline
		return r
	}
	overdue := mk(TraceSent, now.Add(-time.Hour))
	soon := mk(TraceAcknowledged, now.Add(24*time.Hour))
	later := mk(TraceSent, now.Add(30*24*time.Hour))
	answered := mk(TraceAnswered, now.Add(-time.Hour))
	draft := mk(TraceDraft, now.Add(-time.Hour))
	none := mk(TraceSent, time.Time{})
	got := Reminders([]TraceRequest{later, soon, answered, overdue, draft, none}, now, 72*time.Hour)
	if len(got) != 2 {
		t.Fatalf("Reminders = %+v, want overdue then due soon", got)
	}
	if got[0].RequestID != overdue.ID || got[0].Kind != Overdue || got[0].Left != -time.Hour {
		t.Errorf("first reminder %+v, want the overdue one, 1h late", got[0])
	}
	if got[1].RequestID != soon.ID || got[1].Kind != DueSoon || got[1].Left != 24*time.Hour {
		t.Errorf("second reminder %+v, want the one due in 24h", got[1])
	}
}

func TestIncomingOutgoing(t *testing.T) {
	sent := sampleRequest(TraceSent)
	draft := sampleRequest(TraceDraft)
	draft.CreatedAt = t0.Add(time.Hour)
	back := sampleRequest(TraceSent)
	back.Requester, back.Addressee = back.Addressee, back.Requester
	reqs := []TraceRequest{sent, draft, back}
	if out := Outgoing(reqs, kzLab); len(out) != 2 || out[0].ID != draft.ID || out[1].ID != sent.ID {
		t.Errorf("Outgoing(KZ) = %v, want draft then sent (newest first)", ids2(out))
	}
	if in := Incoming(reqs, uzLab); len(in) != 1 || in[0].ID != sent.ID {
		t.Errorf("Incoming(UZ) = %v, want only the sent one (drafts stay home)", ids2(in))
	}
	if in := Incoming(reqs, kzLab); len(in) != 1 || in[0].ID != back.ID {
		t.Errorf("Incoming(KZ) = %v, want the request from UZ", ids2(in))
	}
}

func ids2(rs []TraceRequest) []TraceRequestID {
	var out []TraceRequestID
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
