package federation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// draftTrace stores a draft trace request of n addressed to the default
// agency of peer's node.
func (n *testNode) draftTrace(t *testing.T, peer *testNode) tracing.TraceRequest {
	t.Helper()
	photo := n.putBlob(t, "photo of the markings of a Makarov")
	tr, err := n.st.CreateTraceRequest(context.Background(), tracing.TraceRequest{
		Attachments: []blob.Ref{photo},
		Requester:   tracing.Party{AgencyID: n.agency.ID, Agency: n.agency.Code, Country: n.agency.Country, Contact: "Lt. Seitkali"},
		Addressee:   tracing.Party{Agency: peer.agency.Code, Country: peer.agency.Country},
		Firearm:     tracing.Firearm{Make: "Makarov", Model: "PM", Type: tracing.TypePistol, SerialNumber: "ТК1234", Status: tracing.StatusSeized},
		Reason:      "recovered at a border crossing", LegalBasis: "ITI para 17", Deadline: time.Now().Add(30 * 24 * time.Hour),
		Peer: peer.fingerprint(), CreatedBy: n.user.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// putBlob stores content in the node's blobs as a file of its agency (as
// POST /api/files does).
func (n *testNode) putBlob(t *testing.T, content string) blob.Ref {
	t.Helper()
	ref, size, err := n.blobs.Receive(context.Background(), strings.NewReader(content), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.st.AddFile(context.Background(), store.File{AgencyID: n.agency.ID, Ref: ref, Name: "test.txt", ContentType: "text/plain", Size: size}); err != nil {
		t.Fatal(err)
	}
	return ref
}

// hasBlob reports whether the node holds ref's content.
func (n *testNode) hasBlob(ref blob.Ref) bool {
	_, err := blob.ReadAll(context.Background(), n.blobs, ref)
	return err == nil
}

func (n *testNode) trace(t *testing.T, agency domain.AgencyID, id tracing.TraceRequestID) tracing.TraceRequest {
	t.Helper()
	tr, err := n.st.TraceRequest(context.Background(), agency, id)
	if err != nil {
		t.Fatalf("%s: trace request %s: %v", n.name, id, err)
	}
	return tr
}

// toTJPlaceholder is a well-formed ID no node holds.
const toTJPlaceholder = tracing.TraceRequestID("01900000-0000-7000-8000-000000000000")

func wantPending(t *testing.T, tr tracing.TraceRequest, status tracing.TraceStatus, says string) {
	t.Helper()
	if tr.Status != status || tr.Delivery == nil || !tr.Delivery.Pending || !strings.Contains(tr.Delivery.LastError, says) {
		t.Errorf("trace request %s: status %s, delivery %+v; want %s, pending, error saying %q", tr.ID, tr.Status, tr.Delivery, status, says)
	}
}

// TestTraceRequestsBetweenNodes: a trace request addressed to a peer's
// agency is delivered over mutual TLS, stored there as incoming with its
// origin; acknowledgement, answer and closing travel back; an unknown,
// revoked or unreachable peer leaves a draft with the reason and a retry
// path; both sides audit.
func TestTraceRequestsBetweenNodes(t *testing.T) {
	ctx := context.Background()
	kz := startNode(t, "kz-mia", "KZ-MIA", "KZ", nodeOptions{timeout: 30 * time.Second})
	uz := startNode(t, "uz-mfc", "UZ-MFC", "UZ", nodeOptions{timeout: 30 * time.Second})
	kg := startNode(t, "kg-mia", "KG-MIA", "KG", nodeOptions{timeout: 30 * time.Second})
	tj := startNode(t, "tj-mvd", "TJ-MVD", "TJ", nodeOptions{})
	for _, p := range []*testNode{uz, kg, tj} {
		kz.trust(t, p)
		p.trust(t, kz)
	}

	// No sharing rule for trace requests: not sent, with the reason.
	tr := kz.draftTrace(t, uz)
	if _, err := kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, tr.ID); errs.KindOf(err) != errs.Permission {
		t.Errorf("send without a sharing rule: %v; want refused", err)
	}
	wantPending(t, kz.trace(t, kz.agency.ID, tr.ID), tracing.TraceDraft, "trace_requests")
	if got, _, _ := uz.st.ListTraceRequests(ctx, store.TraceFilter{Agency: uz.agency.ID}, store.Page{}); len(got) != 0 {
		t.Errorf("uz-mfc holds %d requests although nothing was delivered", len(got))
	}

	// Delivered: sent here, incoming there with its origin.
	for _, p := range []*testNode{uz, kg, tj} {
		kz.share(t, p, exchange.DetailFull, exchange.ShareTraceRequests)
	}
	sent, err := kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Status != tracing.TraceSent || sent.Delivery == nil || sent.Delivery.Pending || sent.Delivery.Attempts != 2 {
		t.Errorf("after delivery: %s %+v", sent.Status, sent.Delivery)
	}
	in, _, err := uz.st.ListTraceRequests(ctx, store.TraceFilter{Agency: uz.agency.ID, Direction: store.TraceIncoming}, store.Page{})
	if err != nil || len(in) != 1 {
		t.Fatalf("uz-mfc incoming: %d, %v", len(in), err)
	}
	got := in[0]
	if got.ID != tr.ID || got.Status != tracing.TraceSent || got.Requester.Country != "KZ" || got.Requester.Agency != "KZ-MIA" ||
		got.Requester.AgencyID != "" || got.Addressee.AgencyID != uz.agency.ID || got.Peer != kz.fingerprint() || got.Firearm.SerialNumber != "ТК1234" ||
		got.CreatedBy != "" || len(got.Events) != 1 || got.Events[0].By != "" {
		t.Errorf("incoming at uz-mfc: %+v", got)
	}
	if len(got.Attachments) != 1 || !uz.hasBlob(got.Attachments[0]) {
		t.Errorf("the request's attachment did not reach uz-mfc: %v", got.Attachments)
	}
	if f, err := uz.st.File(ctx, uz.agency.ID, got.Attachments[0]); err != nil || !strings.HasPrefix(f.Name, "attachment-") || f.ContentType != "text/plain" {
		t.Errorf("the request's attachment is not a file of uz-mfc: %+v, %v", f, err)
	}
	if _, err := kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, tr.ID); errs.KindOf(err) != errs.Conflict {
		t.Errorf("sending a sent request again: %v; want a conflict", err)
	}

	// The answer travels back.
	if _, err := uz.fed.UpdateTrace(ctx, uz.agency.ID, tr.ID, func(x *tracing.TraceRequest) error {
		return x.Transition(tracing.TraceAcknowledged, time.Now().UTC(), uz.user.ID, "checking the registry")
	}); err != nil {
		t.Fatal(err)
	}
	if s := kz.trace(t, kz.agency.ID, tr.ID).Status; s != tracing.TraceAcknowledged {
		t.Errorf("kz-mia sees %s after uz-mfc acknowledged", s)
	}
	sale := uz.putBlob(t, "scan of the 2009 export licence")
	if _, err := uz.fed.UpdateTrace(ctx, uz.agency.ID, tr.ID, func(x *tracing.TraceRequest) error {
		return x.Answer(tracing.TraceAnswer{At: time.Now().UTC(), By: uz.user.ID, Text: "exported 2009 to a dealer in Shymkent", LastLegalOwner: "Arms LLP",
			Attachments: []blob.Ref{sale}})
	}); err != nil {
		t.Fatal(err)
	}
	back := kz.trace(t, kz.agency.ID, tr.ID)
	if back.Status != tracing.TraceAnswered || len(back.Answers) != 1 || back.Answers[0].LastLegalOwner != "Arms LLP" || back.Answers[0].By != "" {
		t.Errorf("kz-mia after the answer: %s %+v", back.Status, back.Answers)
	}
	if !kz.hasBlob(sale) {
		t.Error("the answer's attachment did not reach kz-mia")
	}
	if _, err := kz.st.File(ctx, kz.agency.ID, sale); err != nil {
		t.Errorf("the answer's attachment is not a file of kz-mia: %v", err)
	}
	// An answer whose file is not the one its attachment names, or has
	// none, is refused and leaves nothing.
	fake := blob.RefOf([]byte("a licence that was never sent"))
	more := append(back.Answers, tracing.TraceAnswer{At: time.Now(), Text: "see the licence", Attachments: []blob.Ref{fake}})
	for name, files := range map[string]map[string][]byte{
		"wrong file": {fake.String(): []byte("something else")},
		"no file":    nil,
	} {
		err := federation.PushTraceUpdate(ctx, uz.fed, kz.fingerprint(), federation.TraceUpdate{ID: tr.ID, Status: tracing.TraceAnswered, Answers: more, Files: files})
		if err == nil || !strings.Contains(err.Error(), "attachment") && !strings.Contains(err.Error(), "hashes") {
			t.Errorf("%s: %v; want refused", name, err)
		}
	}
	if n := len(kz.trace(t, kz.agency.ID, tr.ID).Answers); n != 1 || kz.hasBlob(fake) {
		t.Errorf("after refused answers kz-mia holds %d answers (want 1), the fake file %v", n, kz.hasBlob(fake))
	}
	// A peer may only make the changes of its side: the requester's node
	// cannot answer, nor acknowledge; unknown requests are not found.
	forged := []tracing.TraceAnswer{back.Answers[0], {At: time.Now(), Text: "forged"}}
	for _, tc := range []struct {
		name string
		u    federation.TraceUpdate
		says string
	}{
		{"answer by the requester", federation.TraceUpdate{ID: tr.ID, Status: tracing.TraceAnswered, Answers: forged}, "only the addressed agency answers"},
		{"acknowledged by the requester", federation.TraceUpdate{ID: tr.ID, Status: tracing.TraceAcknowledged}, "cannot make trace request"},
		{"unknown request", federation.TraceUpdate{ID: toTJPlaceholder, Status: tracing.TraceClosed}, "not one between"},
		{"draft", federation.TraceUpdate{ID: tr.ID, Status: tracing.TraceDraft}, "status"},
	} {
		if err := federation.PushTraceUpdate(ctx, kz.fed, uz.fingerprint(), tc.u); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v; want refused saying %q", tc.name, err, tc.says)
		}
	}
	if n := len(uz.trace(t, uz.agency.ID, tr.ID).Answers); n != 1 {
		t.Errorf("uz-mfc holds %d answers, want 1", n)
	}

	// Unreachable: stays a draft with the reason; sending again delivers it.
	toKG := kz.draftTrace(t, kg)
	kg.shutdown()
	if _, err := kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, toKG.ID); errs.KindOf(err) != errs.Transient {
		t.Errorf("send to a stopped node: %v; want transient", err)
	}
	wantPending(t, kz.trace(t, kz.agency.ID, toKG.ID), tracing.TraceDraft, "kg-mia")
	if kz.trace(t, kz.agency.ID, toKG.ID).Delivery.Refused {
		t.Error("a peer that does not answer is marked as refusing")
	}
	kg.restart(t)
	if r, err := kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, toKG.ID); err != nil || r.Status != tracing.TraceSent {
		t.Fatalf("retry: %s %v", r.Status, err)
	}
	// A change made while the peer is down is kept and pending, then synced.
	kg.shutdown()
	if _, err := kz.fed.UpdateTrace(ctx, kz.agency.ID, toKG.ID, func(x *tracing.TraceRequest) error {
		return x.Transition(tracing.TraceClosed, time.Now().UTC(), kz.user.ID, "firearm identified otherwise")
	}); errs.KindOf(err) != errs.Transient {
		t.Errorf("close while kg-mia is down: %v; want transient", err)
	}
	wantPending(t, kz.trace(t, kz.agency.ID, toKG.ID), tracing.TraceClosed, "kg-mia")
	kg.restart(t)
	if delivered, pending, err := kz.fed.RetryPending(ctx); err != nil || delivered != 1 || pending != 0 {
		t.Errorf("retry pending: %d delivered, %d still pending, %v; want 1 and 0", delivered, pending, err)
	}
	if r := kz.trace(t, kz.agency.ID, toKG.ID); r.Delivery.Pending {
		t.Fatalf("after RetryPending the close is still pending: %+v", r.Delivery)
	}
	if s := kg.trace(t, kg.agency.ID, toKG.ID).Status; s != tracing.TraceClosed {
		t.Errorf("kg-mia sees %s after the sync, want closed", s)
	}

	// Revoked and unknown peers: drafts with the reason.
	toTJ := kz.draftTrace(t, tj)
	if _, err := kz.st.RevokePeer(ctx, tj.fingerprint(), "node decommissioned"); err != nil {
		t.Fatal(err)
	}
	if _, err := kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, toTJ.ID); errs.KindOf(err) != errs.Permission {
		t.Errorf("send to a revoked peer: %v", err)
	}
	wantPending(t, kz.trace(t, kz.agency.ID, toTJ.ID), tracing.TraceDraft, "revoked")
	unknown := kz.draftTrace(t, tj)
	if _, err := kz.st.UpdateTraceRequest(ctx, kz.agency.ID, unknown.ID, func(x *tracing.TraceRequest) error {
		x.Peer = "SHA256:" + strings.Repeat("0", 64)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, unknown.ID); errs.KindOf(err) != errs.Invalid {
		t.Errorf("send to an unknown peer: %v", err)
	}
	wantPending(t, kz.trace(t, kz.agency.ID, unknown.ID), tracing.TraceDraft, "unknown peer")
	// Refusals are left to a person: the automatic retry skips them.
	for _, id := range []tracing.TraceRequestID{toTJ.ID, unknown.ID} {
		if d := kz.trace(t, kz.agency.ID, id).Delivery; !d.Refused {
			t.Errorf("delivery of %s: %+v; want refused", id, d)
		}
	}
	if delivered, pending, err := kz.fed.RetryPending(ctx); err != nil || delivered != 0 || pending != 0 {
		t.Errorf("retry pending: %d delivered, %d still pending, %v; want 0 and 0 (refusals are not retried)", delivered, pending, err)
	}

	// Closing by the requester reaches the addressee.
	if _, err := kz.fed.UpdateTrace(ctx, kz.agency.ID, tr.ID, func(x *tracing.TraceRequest) error {
		return x.Transition(tracing.TraceClosed, time.Now().UTC(), kz.user.ID, "thank you")
	}); err != nil {
		t.Fatal(err)
	}
	if s := uz.trace(t, uz.agency.ID, tr.ID).Status; s != tracing.TraceClosed {
		t.Errorf("uz-mfc sees %s after kz-mia closed", s)
	}

	// Both sides audited.
	for n, want := range map[*testNode]map[string]int{
		kz: {"trace.delivered": 2, "trace.delivery.failed": 4, "trace.update.received": 2, "trace.update.delivered": 2, "trace.update.failed": 1},
		uz: {"trace.received": 1, "trace.update.delivered": 2, "trace.update.received": 1, "trace.update.refused": 4},
		kg: {"trace.received": 1, "trace.update.received": 1},
	} {
		got := n.auditActions(t)
		for action, min := range want {
			if got[action] < min {
				t.Errorf("%s audited %d %s, want ≥ %d (%v)", n.name, got[action], action, min, got)
			}
		}
	}
}

// TestTraceAttachmentNotAFile: a draft naming a blob that is not a file of
// the requesting agency (another agency's evidence, say) is not sent, and
// the blob never leaves the node.
func TestTraceAttachmentNotAFile(t *testing.T) {
	ctx := context.Background()
	kz := startNode(t, "kz-mia", "KZ-MIA", "KZ", nodeOptions{timeout: 30 * time.Second})
	uz := startNode(t, "uz-mfc", "UZ-MFC", "UZ", nodeOptions{timeout: 30 * time.Second})
	kz.trust(t, uz)
	uz.trust(t, kz)
	kz.share(t, uz, exchange.DetailFull, exchange.ShareTraceRequests)
	tr := kz.draftTrace(t, uz)
	evidence, _, err := kz.blobs.Receive(ctx, strings.NewReader("another agency's evidence"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kz.st.UpdateTraceRequest(ctx, kz.agency.ID, tr.ID, func(x *tracing.TraceRequest) error {
		x.Attachments = append(x.Attachments, evidence)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = kz.fed.SendTrace(ctx, kz.agency.ID, kz.user.ID, tr.ID)
	if err == nil || !strings.Contains(err.Error(), evidence.String()) {
		t.Errorf("sending a request naming a blob that is no file of the agency: %v; want refused naming it", err)
	}
	if uz.hasBlob(evidence) {
		t.Error("the blob reached uz-mfc")
	}
}
