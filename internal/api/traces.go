package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// TraceRequestInput is a new trace request of the actor's agency (a draft
// until sent).
type TraceRequestInput struct {
	Addressee tracing.Party `json:"addressee" doc:"agency and country asked; agency_id when it has a node here"`
	Peer      string        `json:"peer,omitempty" maxLength:"128" doc:"key fingerprint of the addressee's node when it is another node (the request is delivered there when sent)"`
	Contact   string        `json:"contact,omitempty" maxLength:"256" doc:"the requester's officer or point of contact"`
	// FirearmID, when set, copies the agency's firearm record into the
	// request; Firearm describes it otherwise.
	FirearmID    tracing.FirearmID `json:"firearm_id,omitempty"`
	Firearm      *tracing.Firearm  `json:"firearm,omitempty"`
	CaseNumber   string            `json:"case_number,omitempty" maxLength:"128"`
	Priority     string            `json:"priority,omitempty" enum:"routine,urgent,"`
	Reason       string            `json:"reason,omitempty" maxLength:"16384"`
	LegalBasis   string            `json:"legal_basis,omitempty" maxLength:"4096"`
	Restrictions string            `json:"restrictions,omitempty" maxLength:"4096"`
	Attachments  []blob.Ref        `json:"attachments,omitempty" maxItems:"64"`
	Deadline     time.Time         `json:"deadline,omitzero"`
	Send         bool              `json:"send,omitempty" doc:"send at once instead of keeping a draft"`
}

type traceOutput struct{ Body tracing.TraceRequest }

type tracesOutput struct {
	Body struct {
		Items      []tracing.TraceRequest `json:"items"`
		NextCursor string                 `json:"next_cursor,omitempty"`
	}
}

type listTracesInput struct {
	Direction string `query:"direction" enum:"incoming,outgoing," doc:"incoming (addressed to the agency), outgoing (sent by it), or both"`
	Status    string `query:"status" enum:"draft,sent,acknowledged,answered,closed,"`
	Overdue   bool   `query:"overdue" doc:"only open requests past their deadline"`
	pageInput
}

type traceIDInput struct {
	ID string `path:"id" doc:"trace request ID"`
}

type createTraceInput struct{ Body TraceRequestInput }

type traceStatusInput struct {
	ID   string `path:"id" doc:"trace request ID"`
	Body struct {
		Status tracing.TraceStatus `json:"status" enum:"sent,acknowledged,answered,closed"`
		Note   string              `json:"note,omitempty" maxLength:"4096"`
	}
}

type traceAnswerInput struct {
	ID   string `path:"id" doc:"trace request ID"`
	Body struct {
		Text             string     `json:"text" minLength:"1" maxLength:"65536"`
		LastLegalOwner   string     `json:"last_legal_owner,omitempty" maxLength:"1024"`
		PointOfDiversion string     `json:"point_of_diversion,omitempty" maxLength:"1024"`
		Attachments      []blob.Ref `json:"attachments,omitempty" maxItems:"64"`
	}
}

type remindersInput struct {
	SoonHours int `query:"soon_hours" minimum:"0" maximum:"8760" doc:"also list requests due within this many hours (default 72)"`
}

type remindersOutput struct {
	Body struct {
		Items []tracing.Reminder `json:"items"`
	}
}

func (h *handler) traceRoutes() []route {
	tags := []string{"trace requests"}
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-trace-requests", Method: http.MethodGet, Path: "/api/trace-requests",
			Summary: "Incoming and outgoing trace requests of the agency", Tags: tags}, h.listTraces),
		newRoute(Write, huma.Operation{OperationID: "create-trace-request", Method: http.MethodPost, Path: "/api/trace-requests",
			Summary: "Draft (or send) a trace request about a firearm", Tags: tags, DefaultStatus: http.StatusCreated}, h.createTrace),
		newRoute(Read, huma.Operation{OperationID: "get-trace-request", Method: http.MethodGet, Path: "/api/trace-requests/{id}",
			Summary: "A trace request with its answers and status history", Tags: tags}, h.getTrace),
		newRoute(Write, huma.Operation{OperationID: "transition-trace-request", Method: http.MethodPost, Path: "/api/trace-requests/{id}/status",
			Summary: "Send, acknowledge or close a trace request", Description: "A request with a party on another node (peer) is delivered there: it becomes sent only once that node has it, and later changes follow. A change that could not be delivered is kept and pending (the request's delivery says why): post the current status again to retry.",
			Tags: tags}, h.transitionTrace),
		newRoute(Write, huma.Operation{OperationID: "answer-trace-request", Method: http.MethodPost, Path: "/api/trace-requests/{id}/answers",
			Summary: "Answer a trace request addressed to the agency", Tags: tags}, h.answerTrace),
		newRoute(Read, huma.Operation{OperationID: "trace-reminders", Method: http.MethodGet, Path: "/api/trace-reminders",
			Summary: "Open trace requests that are overdue or due soon", Tags: tags}, h.traceReminders),
	}
}

func (h *handler) listTraces(ctx context.Context, in *listTracesInput) (*tracesOutput, error) {
	a := actor(ctx)
	f := store.TraceFilter{Agency: a.Agency, Direction: store.TraceDirection(in.Direction), Status: tracing.TraceStatus(in.Status)}
	if in.Overdue {
		f.OpenWithDeadlineBefore = time.Now()
	}
	items, next, err := h.Store.ListTraceRequests(ctx, f, store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &tracesOutput{}
	out.Body.Items, out.Body.NextCursor = nonNil(items), next
	return out, nil
}

func (h *handler) createTrace(ctx context.Context, in *createTraceInput) (*traceOutput, error) {
	const op = "api.createTrace"
	a := actor(ctx)
	b := in.Body
	ag, err := h.Store.Agency(ctx, a.Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	t := tracing.TraceRequest{
		Requester: tracing.Party{AgencyID: a.Agency, Agency: ag.Code, Country: ag.Country, Contact: b.Contact},
		Addressee: b.Addressee, FirearmID: b.FirearmID, CaseNumber: b.CaseNumber, Priority: b.Priority, Reason: b.Reason,
		LegalBasis: b.LegalBasis, Restrictions: b.Restrictions, Attachments: b.Attachments, Deadline: b.Deadline, CreatedBy: a.User,
	}
	if err := h.checkFiles(ctx, op, "attachment", b.Attachments); err != nil {
		return nil, h.fail(ctx, err)
	}
	switch {
	case b.FirearmID != "":
		f, err := h.Store.Firearm(ctx, a.Agency, b.FirearmID)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		t.Firearm = f
	case b.Firearm != nil:
		t.Firearm = *b.Firearm
	default:
		return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "give firearm_id (a record of the agency) or firearm (a description)"))
	}
	if t.Addressee.AgencyID != "" {
		// An addressee with a node here must exist; its name and country come from its record.
		to, err := h.Store.Agency(ctx, t.Addressee.AgencyID)
		if err != nil {
			return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "addressee agency %s is not on this node; leave agency_id empty and name the agency", t.Addressee.AgencyID))
		}
		if to.ID == a.Agency {
			return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "addressee agency_id is the requesting agency itself: name the agency asked"))
		}
		t.Addressee.Agency, t.Addressee.Country = to.Code, to.Country
	}
	var fed *federation.Node
	if b.Peer != "" {
		if t.Addressee.AgencyID != "" {
			return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "give either addressee.agency_id (an agency of this node) or peer (another node), not both"))
		}
		if fed, err = h.federationNode(); err != nil {
			return nil, err
		}
		p, err := h.Store.PeerByFingerprint(ctx, b.Peer)
		if err != nil {
			return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "peer %s is not registered on this node (GET /api/federation/peers lists them)", b.Peer))
		}
		if t.Addressee.Country == "" {
			t.Addressee.Country = p.Country
		}
		if t.Requester.Country == "" {
			t.Requester.Country = fed.Card().Country // an agency without a country of its own is the node's
		}
		t.Peer = p.Fingerprint
	}
	if b.Send && fed == nil {
		var ids domain.IDGen
		t.ID, t.Status = tracing.TraceRequestID(ids.New()), tracing.TraceDraft
		if err := t.Transition(tracing.TraceSent, time.Now().UTC(), a.User, ""); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	t, err = h.Store.CreateTraceRequest(ctx, t)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "trace.create", "trace_request", string(t.ID), "", map[string]any{"to": t.Addressee.Agency, "country": t.Addressee.Country, "status": t.Status, "peer": t.Peer}); err != nil {
		return nil, err
	}
	if err := h.shareTraceFiles(ctx, t); err != nil {
		return nil, h.fail(ctx, err)
	}
	if b.Send && fed != nil {
		// Delivered to the other node now; a failure leaves the draft, which says why.
		if t, err = fed.SendTrace(ctx, a.Agency, a.User, t.ID); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	return &traceOutput{Body: t}, nil
}

// updateTrace applies change to a request of the actor's agency; a
// request with a party on another node has the change delivered there.
func (h *handler) updateTrace(ctx context.Context, id tracing.TraceRequestID, change func(*tracing.TraceRequest) error) (tracing.TraceRequest, error) {
	a := actor(ctx)
	t, err := h.Store.TraceRequest(ctx, a.Agency, id)
	if err != nil || t.Peer == "" {
		return h.Store.UpdateTraceRequest(ctx, a.Agency, id, change)
	}
	fed, err := h.federationNode()
	if err != nil {
		return t, err
	}
	return fed.UpdateTrace(ctx, a.Agency, id, change)
}

func (h *handler) getTrace(ctx context.Context, in *traceIDInput) (*traceOutput, error) {
	t, err := h.Store.TraceRequest(ctx, actor(ctx).Agency, tracing.TraceRequestID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &traceOutput{Body: t}, nil
}

// side checks that the actor's agency is the party that may make a change:
// the requester sends, the addressee acknowledges and answers, either closes.
func side(op string, a Actor, t tracing.TraceRequest, to tracing.TraceStatus) error {
	switch to {
	case tracing.TraceSent:
		if t.Requester.AgencyID != a.Agency {
			return errs.Errorf(op, errs.Permission, "only the requesting agency sends a trace request")
		}
	case tracing.TraceAcknowledged, tracing.TraceAnswered:
		if t.Addressee.AgencyID != a.Agency {
			return errs.Errorf(op, errs.Permission, "only the addressed agency acknowledges or answers a trace request")
		}
	}
	return nil
}

func (h *handler) transitionTrace(ctx context.Context, in *traceStatusInput) (*traceOutput, error) {
	const op = "api.transitionTrace"
	a := actor(ctx)
	var from tracing.TraceStatus
	id := tracing.TraceRequestID(in.ID)
	if held, err := h.Store.TraceRequest(ctx, a.Agency, id); err == nil && held.Peer != "" {
		// With another node: sending delivers the draft there; the current
		// status again retries a delivery that is pending.
		fed, err := h.federationNode()
		if err != nil {
			return nil, err
		}
		var t tracing.TraceRequest
		switch {
		case in.Body.Status == tracing.TraceSent && held.Status == tracing.TraceDraft:
			if err := side(op, a, held, tracing.TraceSent); err != nil {
				return nil, h.fail(ctx, err)
			}
			t, err = fed.SendTrace(ctx, a.Agency, a.User, id)
		case in.Body.Status == held.Status && held.Delivery != nil && held.Delivery.Pending:
			t, err = fed.SyncTrace(ctx, a.Agency, id)
		}
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		if t.ID != "" {
			requestOf(ctx).audited = true // federation audited it (trace.delivered, trace.update.delivered or their failures)
			return &traceOutput{Body: t}, nil
		}
	}
	t, err := h.updateTrace(ctx, id, func(t *tracing.TraceRequest) error {
		if err := side(op, a, *t, in.Body.Status); err != nil {
			return err
		}
		if in.Body.Status == tracing.TraceAnswered {
			return errs.Errorf(op, errs.Invalid, "answer with POST /api/trace-requests/{id}/answers")
		}
		from = t.Status
		return t.Transition(in.Body.Status, time.Now().UTC(), a.User, in.Body.Note)
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "trace.status", "trace_request", string(t.ID), "", map[string]any{"from": from, "to": t.Status}); err != nil {
		return nil, err
	}
	if err := h.shareTraceFiles(ctx, t); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &traceOutput{Body: t}, nil
}

func (h *handler) answerTrace(ctx context.Context, in *traceAnswerInput) (*traceOutput, error) {
	const op = "api.answerTrace"
	a := actor(ctx)
	b := in.Body
	if err := h.checkFiles(ctx, op, "attachment", b.Attachments); err != nil {
		return nil, h.fail(ctx, err)
	}
	t, err := h.updateTrace(ctx, tracing.TraceRequestID(in.ID), func(t *tracing.TraceRequest) error {
		if err := side(op, a, *t, tracing.TraceAnswered); err != nil {
			return err
		}
		return t.Answer(tracing.TraceAnswer{At: time.Now().UTC(), By: a.User, Text: b.Text, LastLegalOwner: b.LastLegalOwner,
			PointOfDiversion: b.PointOfDiversion, Attachments: b.Attachments})
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "trace.answer", "trace_request", string(t.ID), "", map[string]any{"answers": len(t.Answers)}); err != nil {
		return nil, err
	}
	if err := h.shareTraceFiles(ctx, t); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &traceOutput{Body: t}, nil
}

func (h *handler) traceReminders(ctx context.Context, in *remindersInput) (*remindersOutput, error) {
	a := actor(ctx)
	all, err := h.Store.AllTraceRequests(ctx, a.Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	soon := time.Duration(in.SoonHours) * time.Hour
	if in.SoonHours == 0 {
		soon = 72 * time.Hour
	}
	// Reminders concern the side that must act: the addressee of an open
	// request (and the requester, to chase it).
	out := &remindersOutput{}
	out.Body.Items = nonNil(tracing.Reminders(all, time.Now(), soon))
	return out, nil
}
