package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// Trace request endpoints: a new request, and a later change of one.
const (
	TracePath       = "/federation/v1/traces"
	TraceUpdatePath = "/federation/v1/traces/update"
)

// MaxTraceBytes bounds the body of a trace request or update, with the
// files of its attachments (base64 in JSON).
const MaxTraceBytes = 48 << 20

// maxTraceFile bounds one attachment's file.
const maxTraceFile = 32 << 20

// maxTraceAnswers bounds the answers an update may carry.
const maxTraceAnswers = 1000

// TraceUpdate carries a change of a trace request to the other party's
// node: the new status and, from the addressee, every answer so far (the
// receiver appends those it does not have) with the files of their
// attachments.
type TraceUpdate struct {
	ID      tracing.TraceRequestID `json:"id"`
	Status  tracing.TraceStatus    `json:"status"`
	Answers []tracing.TraceAnswer  `json:"answers,omitempty"`
	Note    string                 `json:"note,omitempty"`
	Files   map[string][]byte      `json:"files,omitempty"` // by blob ref (hex SHA-256)
}

// TraceDelivery is the body of a delivered trace request: the request and
// the files of its attachments, by blob ref (hex SHA-256).
type TraceDelivery struct {
	Request tracing.TraceRequest `json:"request"`
	Files   map[string][]byte    `json:"files,omitempty"`
}

// attachmentFiles reads the files of refs from this node's blobs. Only
// files that agency holds leave the node: a ref naming another agency's
// blob is refused, not sent.
func (n *Node) attachmentFiles(ctx context.Context, agency domain.AgencyID, refs []blob.Ref) (map[string][]byte, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	missing, err := n.cfg.Store.MissingFiles(ctx, agency, refs)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, errs.Errorf("federation.attachments", errs.Invalid, "attachment %s is not a file of agency %s; upload it with POST /api/files", missing[0], agency)
	}
	files := map[string][]byte{}
	for _, r := range refs {
		b, err := blob.ReadAll(ctx, n.cfg.Blobs, r)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", r, err)
		}
		files[r.String()] = b
	}
	return files, nil
}

// keepFiles stores the files of refs that a peer sent: each ref must have
// its file, each file must hash to its ref, and no file may be left over.
// Each becomes a file of agency (named after its ref, typed by its first
// bytes) so that the agency's users can open it.
func (n *Node) keepFiles(ctx context.Context, agency domain.AgencyID, refs []blob.Ref, files map[string][]byte) error {
	const op = "federation.attachments"
	want := map[string]bool{}
	for _, r := range refs {
		want[r.String()] = true
	}
	for k, b := range files {
		if !want[k] {
			return errs.Errorf(op, errs.Invalid, "file %s is not an attachment of the request", clip(k))
		}
		if got := blob.RefOf(b).String(); got != k {
			return errs.Errorf(op, errs.Invalid, "file sent as %s hashes to %s", clip(k), got)
		}
	}
	for k := range want {
		b, ok := files[k]
		if !ok {
			return errs.Errorf(op, errs.Invalid, "the file of attachment %s is missing", k)
		}
		ref, size, err := n.cfg.Blobs.Receive(ctx, bytes.NewReader(b), maxTraceFile)
		if err != nil {
			return errs.E(op, errs.KindOf(err), fmt.Errorf("attachment %s: %w", k, err))
		}
		ct := blob.SniffType(b)
		name := "attachment-" + ref.Hex()[:12]
		if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
			name += exts[0]
		}
		if _, _, err := n.cfg.Store.AddFile(ctx, store.File{AgencyID: agency, Ref: ref, Name: name, ContentType: ct, Size: size}); err != nil {
			return fmt.Errorf("attachment %s: %w", k, err)
		}
	}
	return nil
}

func answerRefs(answers []tracing.TraceAnswer) []blob.Ref {
	var refs []blob.Ref
	for _, a := range answers {
		refs = append(refs, a.Attachments...)
	}
	return refs
}

// check checks an update; errors are errs.Invalid naming the field.
func (u TraceUpdate) check() error {
	const op = "federation.TraceUpdate"
	if err := domain.CheckID("id", string(u.ID)); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	if !slices.Contains(tracing.TraceStatuses, u.Status) || u.Status == tracing.TraceDraft {
		return errs.Errorf(op, errs.Invalid, "status %q: want sent, acknowledged, answered or closed", clip(string(u.Status)))
	}
	if len(u.Answers) > maxTraceAnswers {
		return errs.Errorf(op, errs.Invalid, "%d answers: at most %d", len(u.Answers), maxTraceAnswers)
	}
	if len(u.Note) > 4<<10 {
		return errs.Errorf(op, errs.Invalid, "note is %d bytes long; the limit is 4096", len(u.Note))
	}
	return nil
}

// SendTrace delivers a draft trace request of agency to the node of its
// addressee (t.Peer) over mutual TLS, signed. The agency's sharing rules
// must let trace requests go to that peer in full (the request carries
// the firearm record). The request becomes sent only once the peer has
// stored it; if the peer is unknown, revoked, refuses or cannot be
// reached, it stays a draft whose Delivery is Pending with the reason, the
// failure is audited, and calling SendTrace again retries. A request
// already sent with a change still pending is synchronised (SyncTrace).
func (n *Node) SendTrace(ctx context.Context, agency domain.AgencyID, by domain.UserID, id tracing.TraceRequestID) (tracing.TraceRequest, error) {
	const op = "federation.SendTrace"
	st := n.cfg.Store
	t, err := st.TraceRequest(ctx, agency, id)
	if err != nil {
		return t, err
	}
	switch {
	case t.Requester.AgencyID != agency:
		return t, errs.Errorf(op, errs.Permission, "only the requesting agency sends trace request %s", id)
	case t.Peer == "":
		return t, errs.Errorf(op, errs.Invalid, "trace request %s is addressed to an agency of this node: change its status to sent instead", id)
	case t.Status != tracing.TraceDraft && t.Delivery != nil && t.Delivery.Pending:
		return n.SyncTrace(ctx, agency, id)
	case t.Status != tracing.TraceDraft:
		return t, errs.Errorf(op, errs.Conflict, "trace request %s is %s already: nothing to send", id, t.Status)
	}
	now := n.cfg.Now().UTC()
	out := t
	out.Delivery, out.Answers = nil, nil
	if err := out.Transition(tracing.TraceSent, now, by, ""); err != nil {
		return t, err // incomplete: nothing to deliver yet
	}
	sendErr := func() error {
		p, err := n.deliverable(ctx, op, t.Peer)
		if err != nil {
			return err
		}
		if err := n.allowed(ctx, op, agency, p, exchange.DetailFull, exchange.ShareTraceRequests); err != nil {
			return err
		}
		files, err := n.attachmentFiles(ctx, agency, out.Attachments)
		if err != nil {
			return err
		}
		body, err := json.Marshal(TraceDelivery{Request: out, Files: files})
		if err != nil {
			return errs.E(op, errs.Internal, err)
		}
		_, err = n.post(ctx, p, TracePath, body)
		return err
	}()
	t, err = st.UpdateTraceRequest(context.WithoutCancel(ctx), agency, id, func(x *tracing.TraceRequest) error {
		if x.Status != tracing.TraceDraft {
			return errs.Errorf(op, errs.Conflict, "trace request %s was changed while it was being sent: it is %s", id, x.Status)
		}
		if sendErr != nil {
			x.Undelivered(now, sendErr, refused(sendErr))
			return nil
		}
		if err := x.Transition(tracing.TraceSent, now, by, ""); err != nil {
			return err
		}
		x.Delivered(now)
		return nil
	})
	if err != nil {
		return t, err
	}
	details := map[string]any{"peer": t.Peer, "to": t.Addressee.Agency, "country": t.Addressee.Country, "attempts": t.Delivery.Attempts}
	rec := audit.Record{Agency: string(agency), Actor: string(by), Action: "trace.delivered", ObjectType: "trace_request", ObjectID: string(id), Details: details}
	if sendErr != nil {
		rec.Action, details["error"] = "trace.delivery.failed", sendErr.Error()
	}
	n.audit(ctx, rec)
	if sendErr != nil {
		return t, undelivered(op, id, "it is still a draft", sendErr)
	}
	return t, nil
}

// refused reports whether a delivery failure is a refusal (by this
// node's checks or the peer's answer) rather than a failure on the way.
func refused(err error) bool {
	k := errs.KindOf(err)
	return k != errs.Transient && k != errs.Other
}

// undelivered wraps a delivery failure: a refusal keeps its kind, any
// other failure is transient; both say how to retry.
func undelivered(op string, id tracing.TraceRequestID, state string, err error) error {
	kind := errs.KindOf(err)
	if kind == errs.Other {
		kind = errs.Transient
	}
	return errs.E(op, kind, fmt.Errorf("trace request %s was not delivered, %s (send it again to retry): %w", id, state, err))
}

// deliverable returns the trusted peer fp with an address to deliver to.
func (n *Node) deliverable(ctx context.Context, op, fp string) (store.Peer, error) {
	p, err := n.trustedPeer(ctx, op, fp)
	if err != nil {
		return p, err
	}
	if p.URL == "" || p.CertFingerprint == "" {
		return p, errs.Errorf(op, errs.Invalid, "peer %s has no federation URL and certificate registered", p.Node)
	}
	return p, nil
}

// UpdateTrace changes a trace request of agency (change as in
// store.UpdateTraceRequest) and, when the other party is on another node
// and the request has left its draft, delivers the change there at once.
// A change that could not be delivered stays Pending (SyncTrace retries);
// it is kept here all the same, and the error says so.
func (n *Node) UpdateTrace(ctx context.Context, agency domain.AgencyID, id tracing.TraceRequestID, change func(*tracing.TraceRequest) error) (tracing.TraceRequest, error) {
	t, err := n.cfg.Store.UpdateTraceRequest(ctx, agency, id, func(x *tracing.TraceRequest) error {
		if err := change(x); err != nil {
			return err
		}
		if x.Peer != "" && x.Status != tracing.TraceDraft {
			if x.Delivery == nil {
				x.Delivery = &tracing.Delivery{}
			}
			x.Delivery.Pending = true
		}
		return nil
	})
	if err != nil || t.Peer == "" || t.Status == tracing.TraceDraft {
		return t, err
	}
	return n.SyncTrace(ctx, agency, id)
}

// SyncTrace delivers the pending change of a trace request to the other
// party's node: the retry path of SendTrace and UpdateTrace. Nothing
// pending is not an error.
func (n *Node) SyncTrace(ctx context.Context, agency domain.AgencyID, id tracing.TraceRequestID) (tracing.TraceRequest, error) {
	const op = "federation.SyncTrace"
	st := n.cfg.Store
	t, err := st.TraceRequest(ctx, agency, id)
	if err != nil || t.Peer == "" || t.Delivery == nil || !t.Delivery.Pending {
		return t, err
	}
	if t.Status == tracing.TraceDraft {
		return n.SendTrace(ctx, agency, t.CreatedBy, id)
	}
	u := TraceUpdate{ID: id, Status: t.Status}
	if len(t.Events) > 0 {
		u.Note = t.Events[len(t.Events)-1].Note
	}
	if t.Addressee.AgencyID == agency {
		u.Answers = t.Answers // only the addressee answers
	}
	sendErr := func() error {
		p, err := n.deliverable(ctx, op, t.Peer)
		if err != nil {
			return err
		}
		if u.Files, err = n.attachmentFiles(ctx, agency, answerRefs(u.Answers)); err != nil {
			return err
		}
		body, err := json.Marshal(u)
		if err != nil {
			return errs.E(op, errs.Internal, err)
		}
		_, err = n.post(ctx, p, TraceUpdatePath, body)
		return err
	}()
	now := n.cfg.Now().UTC()
	t, err = st.UpdateTraceRequest(context.WithoutCancel(ctx), agency, id, func(x *tracing.TraceRequest) error {
		if x.Status != u.Status || len(x.Answers) != len(t.Answers) {
			return nil // changed meanwhile: that change delivers itself
		}
		if sendErr != nil {
			x.Undelivered(now, sendErr, refused(sendErr))
		} else {
			x.Delivered(now)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	details := map[string]any{"peer": t.Peer, "status": u.Status, "answers": len(u.Answers)}
	rec := audit.Record{Agency: string(agency), Action: "trace.update.delivered", ObjectType: "trace_request", ObjectID: string(id), Details: details}
	if sendErr != nil {
		rec.Action, details["error"] = "trace.update.failed", sendErr.Error()
	}
	n.audit(ctx, rec)
	if sendErr != nil {
		return t, undelivered(op, id, "the change is kept here and pending", sendErr)
	}
	return t, nil
}

// readSigned identifies the calling peer, then reads its request body
// (at most limit bytes: an unknown caller's body is never read) and checks
// the signature; on failure it has answered and audited under action.
func (n *Node) readSigned(w http.ResponseWriter, r *http.Request, action string, limit int64) (store.Peer, string, []byte, bool) {
	p, who, err := n.identify(r)
	if err != nil {
		n.refuseAs(w, r, action, who, err)
		return p, who, nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		n.refuseAs(w, r, action, who, errs.E(action, errs.Invalid, fmt.Errorf("reading the request: %w", err)))
		return p, who, nil, false
	}
	if int64(len(body)) > limit {
		n.refuseAs(w, r, action, who, errs.Errorf(action, errs.TooLarge, "request is larger than %d MiB", limit>>20))
		return p, who, nil, false
	}
	if err := n.verifyBody(r, p, body); err != nil {
		n.refuseAs(w, r, action, who, err)
		return p, who, nil, false
	}
	return p, who, body, true
}

// decodeStrict decodes one JSON value with no unknown fields.
func decodeStrict(body []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.E("federation", errs.Invalid, fmt.Errorf("request body is not %s: %w", what, err))
	}
	return nil
}

// traceReceipt is the answer to a delivered trace request or update.
type traceReceipt struct {
	ID     tracing.TraceRequestID `json:"id"`
	Status tracing.TraceStatus    `json:"status"`
	Node   string                 `json:"node"`
}

func (n *Node) receipt(w http.ResponseWriter, t tracing.TraceRequest) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(traceReceipt{ID: t.ID, Status: t.Status, Node: n.cfg.Identity.Node})
}

// serveTrace stores a trace request a peer addressed to an agency of this
// node, as incoming, with its origin. A request delivered twice (its
// answer was lost) is acknowledged again, not stored twice.
func (n *Node) serveTrace(w http.ResponseWriter, r *http.Request) {
	const action = "trace.receive.refused"
	ctx := r.Context()
	p, _, body, ok := n.readSigned(w, r, action, MaxTraceBytes)
	if !ok {
		return
	}
	var d TraceDelivery
	if err := decodeStrict(body, &d, "a trace request"); err != nil {
		n.refuseAs(w, r, action, p.Node, err)
		return
	}
	t, err := n.receiveTrace(ctx, p, d)
	if err != nil {
		n.refuseAs(w, r, action, p.Node, err)
		return
	}
	n.receipt(w, t)
}

func (n *Node) receiveTrace(ctx context.Context, p store.Peer, d TraceDelivery) (tracing.TraceRequest, error) {
	const op = "federation.receiveTrace"
	st := n.cfg.Store
	t := d.Request
	if t.Status != tracing.TraceSent {
		return t, errs.Errorf(op, errs.Invalid, "status %q: a delivered trace request is sent", clip(string(t.Status)))
	}
	if err := domain.CheckID("id", string(t.ID)); err != nil {
		return t, errs.E(op, errs.Invalid, err)
	}
	if p.Country != "" && t.Requester.Country != p.Country {
		return t, errs.Errorf(op, errs.Permission, "peer %s of %s cannot send a trace request on behalf of %q", p.Node, p.Country, clip(t.Requester.Country))
	}
	ag, err := st.AgencyByCode(ctx, t.Addressee.Agency)
	if errs.Is(errs.NotFound, err) {
		return t, errs.Errorf(op, errs.NotFound, "no agency %q on node %s: address the request to one of its agencies", clip(t.Addressee.Agency), n.cfg.Identity.Node)
	}
	if err != nil {
		return t, err
	}
	if ag.Country != "" && t.Addressee.Country != ag.Country {
		return t, errs.Errorf(op, errs.Invalid, "agency %s is in %s, not %q", ag.Code, ag.Country, clip(t.Addressee.Country))
	}
	t.Requester.AgencyID, t.Addressee.AgencyID, t.Peer, t.Delivery, t.Answers = "", ag.ID, p.Fingerprint, nil, nil
	// Users of the other node are not users here.
	t.CreatedBy = ""
	for i := range t.Events {
		t.Events[i].By = ""
	}
	if err := t.Validate(); err != nil {
		return t, err
	}
	// The files first: content-addressed, so a retry stores nothing twice.
	if err := n.keepFiles(ctx, ag.ID, t.Attachments, d.Files); err != nil {
		return t, err
	}
	stored, err := st.CreateTraceRequest(ctx, t)
	if errs.Is(errs.Conflict, err) {
		held, herr := st.TraceRequest(ctx, ag.ID, t.ID)
		if herr == nil && held.Peer == p.Fingerprint {
			return held, nil // delivered again: already held
		}
		return t, err
	}
	if err != nil {
		return t, err
	}
	n.audit(ctx, audit.Record{Agency: string(ag.ID), Action: "trace.received", ObjectType: "trace_request", ObjectID: string(t.ID),
		Details: map[string]any{"peer": p.Node, "peer_fingerprint": p.Fingerprint, "from": t.Requester.Agency, "country": t.Requester.Country}})
	return stored, nil
}

// serveTraceUpdate applies a peer's change to a trace request between it
// and an agency of this node.
func (n *Node) serveTraceUpdate(w http.ResponseWriter, r *http.Request) {
	const action = "trace.update.refused"
	ctx := r.Context()
	p, _, body, ok := n.readSigned(w, r, action, MaxTraceBytes)
	if !ok {
		return
	}
	var u TraceUpdate
	if err := decodeStrict(body, &u, "a trace request update"); err != nil {
		n.refuseAs(w, r, action, p.Node, err)
		return
	}
	t, err := n.applyTraceUpdate(ctx, p, u)
	if err != nil {
		n.refuseAs(w, r, action, p.Node, err)
		return
	}
	n.receipt(w, t)
}

func (n *Node) applyTraceUpdate(ctx context.Context, p store.Peer, u TraceUpdate) (tracing.TraceRequest, error) {
	const op = "federation.applyTraceUpdate"
	if err := u.check(); err != nil {
		return tracing.TraceRequest{}, err
	}
	st := n.cfg.Store
	notHere := errs.Errorf(op, errs.NotFound, "trace request %s is not one between node %s and %s", u.ID, n.cfg.Identity.Node, p.Node)
	req, addr, err := st.TraceRequestParties(ctx, u.ID)
	if errs.Is(errs.NotFound, err) || err == nil && (req == "") == (addr == "") {
		return tracing.TraceRequest{}, notHere
	}
	if err != nil {
		return tracing.TraceRequest{}, err
	}
	local := req + addr // exactly one is set
	peerAnswers := local == req
	before, err := st.TraceRequest(ctx, local, u.ID)
	if err != nil {
		return before, err
	}
	if before.Peer != p.Fingerprint {
		return before, notHere
	}
	now := n.cfg.Now().UTC()
	if peerAnswers && len(u.Answers) > len(before.Answers) {
		// The files first, outside the update's transaction (they become
		// files of the agency): content-addressed, so a retry adds nothing.
		// The peer sends the files of every answer; those of answers held
		// already are kept from before.
		files := maps.Clone(u.Files)
		for _, r := range answerRefs(before.Answers) {
			delete(files, r.String())
		}
		if err := n.keepFiles(ctx, local, answerRefs(u.Answers[len(before.Answers):]), files); err != nil {
			return before, err
		}
	}
	t, err := st.UpdateTraceRequest(ctx, local, u.ID, func(x *tracing.TraceRequest) error {
		if len(u.Answers) > len(x.Answers) {
			if !peerAnswers {
				return errs.Errorf(op, errs.Permission, "only the addressed agency answers trace request %s", u.ID)
			}
			for _, a := range u.Answers[len(x.Answers):] {
				if strings.TrimSpace(a.Text) == "" || len(a.Text) > 64<<10 {
					return errs.Errorf(op, errs.Invalid, "an answer needs a text of 1..65536 bytes")
				}
				a.By = "" // a user of the other node
				x.Answers = append(x.Answers, a)
			}
		}
		if u.Status == x.Status {
			return nil
		}
		allowed := []tracing.TraceStatus{tracing.TraceClosed}
		if peerAnswers {
			allowed = append(allowed, tracing.TraceAcknowledged, tracing.TraceAnswered)
		}
		if !slices.Contains(allowed, u.Status) {
			return errs.Errorf(op, errs.Permission, "node %s, the %s's, cannot make trace request %s %s", p.Node, side(peerAnswers), u.ID, u.Status)
		}
		if u.Status == tracing.TraceAnswered && len(x.Answers) == 0 {
			return errs.Errorf(op, errs.Invalid, "trace request %s cannot be answered without an answer", u.ID)
		}
		return x.Transition(u.Status, now, "", clip("from node "+p.Node+": "+u.Note))
	})
	if err != nil {
		return t, err
	}
	n.audit(ctx, audit.Record{Agency: string(local), Action: "trace.update.received", ObjectType: "trace_request", ObjectID: string(u.ID),
		Details: map[string]any{"peer": p.Node, "peer_fingerprint": p.Fingerprint, "from": before.Status, "to": t.Status, "answers": len(t.Answers) - len(before.Answers)}})
	return t, nil
}

func side(addressee bool) string {
	if addressee {
		return "addressee"
	}
	return "requester"
}

// RetryPending delivers every pending trace request change of every agency
// of this node (drafts whose sending failed, and later changes), oldest
// first: what a server runs from time to time so that a peer that was
// down gets its requests without anyone sending again. Refused deliveries
// (Delivery.Refused) are left to a person. It returns how many were
// delivered and how many it tried that are still pending.
func (n *Node) RetryPending(ctx context.Context) (delivered, pending int, err error) {
	agencies, err := n.cfg.Store.ListAgencies(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, ag := range agencies {
		// All of the agency's requests: trace requests are few (hundreds a
		// year per agency), and the pending flag lives in the record.
		all, err := n.cfg.Store.AllTraceRequests(ctx, ag.ID)
		if err != nil {
			return delivered, pending, err
		}
		for i := len(all) - 1; i >= 0; i-- {
			t := all[i]
			if t.Peer == "" || t.Delivery == nil || !t.Delivery.Pending || t.Delivery.Refused || t.Requester.AgencyID != ag.ID && t.Addressee.AgencyID != ag.ID {
				continue
			}
			if ctx.Err() != nil {
				return delivered, pending, ctx.Err()
			}
			if _, err := n.SyncTrace(ctx, ag.ID, t.ID); err != nil {
				pending++
				continue
			}
			delivered++
		}
	}
	return delivered, pending, nil
}
