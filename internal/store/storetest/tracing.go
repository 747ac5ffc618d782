package storetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// testTracing runs the tracing and exchange tables' checks (migration 3).
func testTracing(t *testing.T, open func(t *testing.T) *store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *store.Store)
	}{
		{"Firearms", testFirearms},
		{"TraceRequests", testTraceRequests},
		{"Peers", testPeers},
		{"SharingRules", testSharingRules},
		{"BundleImport", testBundleImport},
		{"HitLinks", testHitLinks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func makarov(agency domain.AgencyID) tracing.Firearm {
	return tracing.Firearm{AgencyID: agency, Make: "Izhevsk Mechanical Plant", Model: "ПМ", Type: tracing.TypePistol,
		Calibre: "9x18mm Makarov", SerialNumber: "ЕА 1234", CountryOfManufacture: "RU", YearOfManufacture: 1981,
		ImportMarks:   []tracing.ImportMark{{Country: "KZ", Year: 1995, Text: "КЗ 95"}},
		OtherMarkings: []tracing.Marking{{Text: "ИЖ", Location: "frame, left", Kind: "arsenal"}},
		Photos:        []blob.Ref{blob.RefOf([]byte("photo"))}, Status: tracing.StatusSeized}
}

func testFirearms(t *testing.T, s *store.Store) {
	a, b := newFixture(t, s, "KZ"), newFixture(t, s, "UZ")
	f := makarov(a.agency.ID)
	f.CaseID = a.cas.ID
	f.TestFires = []domain.ExhibitID{a.exhibit.ID}
	got := get(s.CreateFirearm(ctx, f, nil)).must(t)
	if domain.CheckID("id", string(got.ID)) != nil || got.CreatedAt.IsZero() {
		t.Fatalf("created firearm lacks ID or time: %+v", got)
	}
	back := get(s.Firearm(ctx, a.agency.ID, got.ID)).must(t)
	if !equalJSON(back, got) {
		t.Errorf("Firearm = %s\nwant %s", js(back), js(got))
	}
	// Cyrillic model found with a Latin query and the reverse; markings too.
	for _, q := range []string{"PM", "пм", "IZh", "ea 1234"} {
		items, _, err := s.ListFirearms(ctx, store.FirearmFilter{Agency: a.agency.ID, Text: q}, store.Page{})
		if err != nil || len(items) != 1 {
			t.Errorf("ListFirearms text %q: %d items, %v; want 1", q, len(items), err)
		}
	}
	if items, _, _ := s.ListFirearms(ctx, store.FirearmFilter{Agency: a.agency.ID, Status: tracing.StatusStolen}, store.Page{}); len(items) != 0 {
		t.Errorf("status filter stolen lists %d firearms, want 0", len(items))
	}
	// Status change keeps history; a second test fire links once.
	ex2 := get(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: a.agency.ID, CaseID: a.cas.ID, Label: "TF2", Kind: domain.KindTestFire, Role: domain.RoleReference})).must(t)
	upd := get(s.UpdateFirearm(ctx, a.agency.ID, got.ID, func(f *tracing.Firearm) error {
		f.TestFires = append(f.TestFires, ex2.ID)
		return f.SetStatus(tracing.StatusReference, time.Now().UTC(), a.agency.ID, a.user.ID, "test fired")
	})).must(t)
	if upd.Status != tracing.StatusReference || len(upd.History) != 1 || len(upd.TestFires) != 2 || !upd.CreatedAt.Equal(got.CreatedAt) {
		t.Errorf("after update: status %s, %d history events, %d test fires, created %v; want reference, 1, 2, %v",
			upd.Status, len(upd.History), len(upd.TestFires), upd.CreatedAt, got.CreatedAt)
	}
	if err := s.LinkTestFire(ctx, a.agency.ID, got.ID, ex2.ID, a.user.ID); err != nil {
		t.Errorf("linking a test fire twice: %v", err)
	}
	if ids := get(s.FirearmsOfExhibit(ctx, a.agency.ID, ex2.ID)).must(t); len(ids) != 1 || ids[0] != got.ID {
		t.Errorf("FirearmsOfExhibit = %v, want [%s]", ids, got.ID)
	}
	serials := get(s.FirearmSerials(ctx, a.agency.ID)).must(t)
	if len(serials) != 1 || serials[0].Serial != "ЕА 1234" {
		t.Errorf("FirearmSerials = %+v", serials)
	}
	// Another agency sees nothing and cannot link its exhibits.
	wantKind(t, second(s.Firearm(ctx, b.agency.ID, got.ID)), errs.NotFound, "agency B reading A's firearm")
	wantKind(t, second(s.UpdateFirearm(ctx, b.agency.ID, got.ID, func(*tracing.Firearm) error { return nil })), errs.NotFound, "agency B updating A's firearm")
	wantKind(t, s.LinkTestFire(ctx, a.agency.ID, got.ID, b.exhibit.ID, a.user.ID), errs.NotFound, "linking B's exhibit to A's firearm")
	// Bad input is refused and nothing is half-written.
	bad := makarov(a.agency.ID)
	bad.Type = "catapult"
	wantKind(t, second(s.CreateFirearm(ctx, bad, nil)), errs.Invalid, "bad firearm type")
	bad = makarov(a.agency.ID)
	bad.TestFires = []domain.ExhibitID{b.exhibit.ID}
	wantKind(t, second(s.CreateFirearm(ctx, bad, nil)), errs.NotFound, "test fire of another agency")
	wantKind(t, second(s.CreateFirearm(ctx, got, nil)), errs.Conflict, "the same firearm ID twice")
	if all := get(s.AllFirearms(ctx, a.agency.ID)).must(t); len(all) != 1 {
		t.Errorf("after refused creates the agency holds %d firearms, want 1", len(all))
	}
}

func traceRequest(from, to fixture, deadline time.Time) tracing.TraceRequest {
	return tracing.TraceRequest{
		Requester: tracing.Party{AgencyID: from.agency.ID, Agency: from.agency.Code, Country: "KZ"},
		Addressee: tracing.Party{AgencyID: to.agency.ID, Agency: to.agency.Code, Country: "UZ"},
		Firearm:   makarov(from.agency.ID), Reason: "seized at a border crossing", LegalBasis: "ITI para 17",
		Priority: "urgent", Deadline: deadline, Attachments: []blob.Ref{blob.RefOf([]byte("photo of markings"))},
	}
}

func testTraceRequests(t *testing.T, s *store.Store) {
	kz, uz, kg := newFixture(t, s, "KZ"), newFixture(t, s, "UZ"), newFixture(t, s, "KG")
	due := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
	tr := get(s.CreateTraceRequest(ctx, traceRequest(kz, uz, due))).must(t)
	if tr.Status != tracing.TraceDraft {
		t.Errorf("new request status %s, want draft", tr.Status)
	}
	wantKind(t, second(s.TraceRequest(ctx, uz.agency.ID, tr.ID)), errs.NotFound, "addressee reading a draft")
	sent := get(s.UpdateTraceRequest(ctx, kz.agency.ID, tr.ID, func(t *tracing.TraceRequest) error {
		return t.Transition(tracing.TraceSent, time.Now().UTC(), kz.user.ID, "")
	})).must(t)
	if sent.Status != tracing.TraceSent || len(sent.Events) != 1 || !sent.Deadline.Equal(due) {
		t.Errorf("sent request: %s, %d events, deadline %v; want sent, 1, %v", sent.Status, len(sent.Events), sent.Deadline, due)
	}
	in := page(s.ListTraceRequests(ctx, store.TraceFilter{Agency: uz.agency.ID, Direction: store.TraceIncoming}, store.Page{})).must(t)
	out := page(s.ListTraceRequests(ctx, store.TraceFilter{Agency: kz.agency.ID, Direction: store.TraceOutgoing}, store.Page{})).must(t)
	if len(in) != 1 || len(out) != 1 || in[0].ID != tr.ID {
		t.Errorf("incoming of UZ %d, outgoing of KZ %d; want 1 and 1", len(in), len(out))
	}
	if l := page(s.ListTraceRequests(ctx, store.TraceFilter{Agency: kz.agency.ID, Direction: store.TraceIncoming}, store.Page{})).must(t); len(l) != 0 {
		t.Errorf("KZ's incoming lists its own outgoing request")
	}
	wantKind(t, second(s.TraceRequest(ctx, kg.agency.ID, tr.ID)), errs.NotFound, "a third agency reading the request")
	// The addressee answers; the answer is stored in order, append-only.
	ans := get(s.UpdateTraceRequest(ctx, uz.agency.ID, tr.ID, func(t *tracing.TraceRequest) error {
		return t.Answer(tracing.TraceAnswer{At: time.Now().UTC(), By: uz.user.ID, Text: "exported 1996 to a dealer in Tashkent", PointOfDiversion: "dealer"})
	})).must(t)
	if ans.Status != tracing.TraceAnswered || len(ans.Answers) != 1 {
		t.Fatalf("answered request: %s with %d answers", ans.Status, len(ans.Answers))
	}
	wantKind(t, second(s.UpdateTraceRequest(ctx, kz.agency.ID, tr.ID, func(t *tracing.TraceRequest) error {
		t.Answers = nil
		return nil
	})), errs.Invalid, "removing answers")
	wantKind(t, second(s.UpdateTraceRequest(ctx, kz.agency.ID, tr.ID, func(t *tracing.TraceRequest) error {
		return t.Transition(tracing.TraceDraft, time.Now(), kz.user.ID, "")
	})), errs.Conflict, "answered back to draft")
	back := get(s.TraceRequest(ctx, kz.agency.ID, tr.ID)).must(t)
	if len(back.Answers) != 1 || back.Answers[0].PointOfDiversion != "dealer" || back.Status != tracing.TraceAnswered {
		t.Errorf("after refused updates: %s", js(back))
	}
	// Reminders: an overdue open request is listed.
	late := get(s.CreateTraceRequest(ctx, traceRequest(kz, uz, time.Now().Add(-time.Hour)))).must(t)
	get(s.UpdateTraceRequest(ctx, kz.agency.ID, late.ID, func(t *tracing.TraceRequest) error {
		return t.Transition(tracing.TraceSent, time.Now().UTC(), kz.user.ID, "")
	})).must(t)
	overdue := page(s.ListTraceRequests(ctx, store.TraceFilter{Agency: kz.agency.ID, OpenWithDeadlineBefore: time.Now()}, store.Page{})).must(t)
	if len(overdue) != 1 || overdue[0].ID != late.ID {
		t.Errorf("overdue list has %d requests, want the late one", len(overdue))
	}
	if all := get(s.AllTraceRequests(ctx, uz.agency.ID)).must(t); len(all) != 2 {
		t.Errorf("UZ sees %d requests, want 2", len(all))
	}
	noParty := traceRequest(kz, uz, time.Time{})
	noParty.Requester.AgencyID, noParty.Addressee.AgencyID = "", ""
	wantKind(t, second(s.CreateTraceRequest(ctx, noParty)), errs.Invalid, "request without a local agency")
	wantKind(t, third(s.ListTraceRequests(ctx, store.TraceFilter{Agency: kz.agency.ID, Direction: "sideways"}, store.Page{})), errs.Invalid, "bad direction")

	// A request from another node: the requester has no agency here; its
	// peer and delivery state are kept with it.
	remote := traceRequest(kz, kg, time.Time{})
	remote.Requester.AgencyID, remote.Peer, remote.Status = "", "SHA256:"+strings.Repeat("ab", 32), tracing.TraceSent
	remote.Delivery = &tracing.Delivery{Attempts: 2}
	got := get(s.CreateTraceRequest(ctx, remote)).must(t)
	if req, addr, err := s.TraceRequestParties(ctx, got.ID); err != nil || req != "" || addr != kg.agency.ID {
		t.Errorf("parties of a request from another node: %q %q %v; want none and KG", req, addr, err)
	}
	if req, addr, err := s.TraceRequestParties(ctx, tr.ID); err != nil || req != kz.agency.ID || addr != uz.agency.ID {
		t.Errorf("parties of a local request: %q %q %v", req, addr, err)
	}
	if back := get(s.TraceRequest(ctx, kg.agency.ID, got.ID)).must(t); back.Peer != remote.Peer || back.Delivery == nil || back.Delivery.Attempts != 2 {
		t.Errorf("peer and delivery not kept: %q %+v", back.Peer, back.Delivery)
	}
	var ids domain.IDGen
	_, _, err := s.TraceRequestParties(ctx, tracing.TraceRequestID(ids.New()))
	wantKind(t, err, errs.NotFound, "parties of a missing request")
	_, _, err = s.TraceRequestParties(ctx, "../etc")
	wantKind(t, err, errs.Invalid, "parties with a malformed id")
}

// page is get for a list call: it drops the next-page cursor.
func page[T any](v T, _ string, err error) result[T] { return result[T]{v, err} }

func newKey(t *testing.T) ed25519.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func testPeers(t *testing.T, s *store.Store) {
	key := newKey(t)
	p := store.Peer{Peer: exchange.Peer{NodeInfo: exchange.NodeInfo{Node: "uz-mfc", Agency: "UZ-MFC", Country: "UZ"}, PublicKey: key},
		CertFingerprint: "SHA256:aa", URL: "https://127.0.0.1:9443"}
	got := get(s.AddPeer(ctx, p)).must(t)
	if got.Fingerprint != exchange.Fingerprint(key) || !got.PublicKey.Equal(key) || got.AddedAt.IsZero() {
		t.Errorf("AddPeer = %+v", got)
	}
	again := get(s.AddPeer(ctx, p)).must(t)
	if ps := get(s.Peers(ctx)).must(t); len(ps) != 1 || !again.AddedAt.Equal(got.AddedAt) {
		t.Errorf("adding a peer twice: %d peers", len(ps))
	}
	if byCert := get(s.PeerByCert(ctx, "SHA256:aa")).must(t); byCert.Fingerprint != got.Fingerprint {
		t.Errorf("PeerByCert found %s", byCert.Fingerprint)
	}
	other := p
	other.PublicKey = newKey(t)
	wantKind(t, second(s.AddPeer(ctx, other)), errs.Conflict, "pinning one certificate for two keys")
	wantKind(t, second(s.RevokePeer(ctx, got.Fingerprint, "")), errs.Invalid, "revoking without a reason")
	rev := get(s.RevokePeer(ctx, got.Fingerprint, "key compromised")).must(t)
	if !rev.Revoked(time.Now()) || rev.RevokeReason != "key compromised" {
		t.Errorf("revoked peer: %+v", rev)
	}
	if rev2 := get(s.RevokePeer(ctx, got.Fingerprint, "again")).must(t); rev2.RevokeReason != "key compromised" || !rev2.RevokedAt.Equal(rev.RevokedAt) {
		t.Errorf("second revocation changed the first: %+v", rev2)
	}
	wantKind(t, second(s.AddPeer(ctx, p)), errs.Conflict, "re-adding a revoked key")
	ts := get(s.TrustStore(ctx)).must(t)
	if _, err := ts.Trusted(got.Fingerprint, time.Now()); errs.KindOf(err) != errs.Permission {
		t.Errorf("trust store trusts a revoked key: %v", err)
	}
	wantKind(t, second(s.PeerByFingerprint(ctx, "SHA256:none")), errs.NotFound, "unknown peer")
	bad := p
	bad.URL = "http://plain.example"
	bad.PublicKey = newKey(t)
	bad.CertFingerprint = ""
	wantKind(t, second(s.AddPeer(ctx, bad)), errs.Invalid, "plain HTTP peer URL")
	bad.URL, bad.PublicKey = "", key[:5]
	wantKind(t, second(s.AddPeer(ctx, bad)), errs.Invalid, "short public key")
}

func testSharingRules(t *testing.T, s *store.Store) {
	a, b := newFixture(t, s, "KZ"), newFixture(t, s, "UZ")
	r := get(s.CreateSharingRule(ctx, exchange.SharingRule{Owner: a.agency.ID, Peer: "SHA256:peer", Kinds: []exchange.RecordKind{exchange.ShareExhibits},
		Detail: exchange.DetailThumbnails, CreatedBy: a.user.ID, Note: "regional cooperation"})).must(t)
	rules := get(s.SharingRules(ctx, a.agency.ID)).must(t)
	if len(rules) != 1 || !equalJSON(rules[0], r) {
		t.Fatalf("SharingRules = %s, want [%s]", js(rules), js(r))
	}
	q := exchange.ShareQuery{Owner: a.agency.ID, Peer: "SHA256:peer", Kind: exchange.ShareExhibits, Want: exchange.DetailFull, At: time.Now()}
	if d := exchange.Evaluate(rules, q); !d.Allowed || d.Detail != exchange.DetailThumbnails {
		t.Errorf("active rule: %+v", d)
	}
	wantKind(t, second(s.RevokeSharingRule(ctx, b.agency.ID, r.ID, b.user.ID)), errs.NotFound, "another agency revoking the rule")
	rev := get(s.RevokeSharingRule(ctx, a.agency.ID, r.ID, a.user.ID)).must(t)
	if rev.RevokedAt.IsZero() || rev.RevokedBy != a.user.ID {
		t.Errorf("revoked rule: %+v", rev)
	}
	q.At = time.Now().Add(time.Second)
	if d := exchange.Evaluate(get(s.SharingRules(ctx, a.agency.ID)).must(t), q); d.Allowed {
		t.Errorf("revoked rule still allows: %+v", d)
	}
	wantKind(t, second(s.CreateSharingRule(ctx, exchange.SharingRule{Owner: a.agency.ID, Peer: "*", Detail: exchange.DetailFull})), errs.Invalid, "rule without kinds")
	if rs := get(s.SharingRules(ctx, b.agency.ID)).must(t); len(rs) != 0 {
		t.Errorf("agency B lists %d rules of A", len(rs))
	}
}

func testBundleImport(t *testing.T, s *store.Store) {
	src := newFixture(t, s, "KZ") // stands in for the exporting node's records
	dst := newFixture(t, s, "UZ")
	var ids domain.IDGen
	cas := domain.Case{ID: domain.CaseID(ids.New()), AgencyID: src.agency.ID, Number: "C-1", Status: domain.CaseOpen, CreatedBy: src.user.ID}
	ex := domain.Exhibit{ID: domain.ExhibitID(ids.New()), AgencyID: src.agency.ID, CaseID: cas.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene}
	sc := domain.Scan{ID: domain.ScanID(ids.New()), AgencyID: src.agency.ID, ExhibitID: ex.ID, Original: blob.RefOf([]byte("x3p")), Size: 3, Format: domain.FormatX3P}
	fa := makarov(src.agency.ID)
	fa.ID = tracing.FirearmID(ids.New())
	fa.CaseID, fa.TestFires = cas.ID, []domain.ExhibitID{ex.ID}
	bundle := &exchange.Bundle{
		Origin:   exchange.Origin{BundleID: exchange.BundleID(ids.New()), Node: "kz-node", Agency: "KZ-MIA", Country: "KZ", Fingerprint: "SHA256:kz"},
		Cases:    []domain.Case{cas},
		Exhibits: []domain.Exhibit{ex},
		Scans:    []exchange.ScanEntry{{Record: sc}},
		Firearms: []tracing.Firearm{fa},
	}
	counts := get(s.ImportBundle(ctx, dst.agency.ID, dst.user.ID, bundle)).must(t)
	if counts != (store.ImportCounts{Firearms: 1, Cases: 1, Exhibits: 1, Scans: 1}) {
		t.Errorf("first import counts %+v", counts)
	}
	if ok := get(s.BundleImported(ctx, dst.agency.ID, bundle.Origin.BundleID)).must(t); !ok {
		t.Error("BundleImported is false after the import")
	}
	wantKind(t, second(s.ImportBundle(ctx, dst.agency.ID, dst.user.ID, bundle)), errs.Conflict, "importing one bundle twice")
	// The same records in a new bundle are not duplicated.
	again := *bundle
	again.Origin.BundleID = exchange.BundleID(ids.New())
	counts = get(s.ImportBundle(ctx, dst.agency.ID, dst.user.ID, &again)).must(t)
	if counts != (store.ImportCounts{Existing: 4}) {
		t.Errorf("re-import of the same records counts %+v, want 4 existing", counts)
	}
	gotCase := get(s.Case(ctx, dst.agency.ID, cas.ID)).must(t)
	if gotCase.Number != "KZ-MIA/C-1" || gotCase.CreatedBy != "" {
		t.Errorf("imported case: number %q, created by %q", gotCase.Number, gotCase.CreatedBy)
	}
	gotScan := get(s.Scan(ctx, dst.agency.ID, sc.ID)).must(t)
	if gotScan.Original != sc.Original {
		t.Errorf("imported scan original %s, want %s", gotScan.Original, sc.Original)
	}
	gotFirearm := get(s.Firearm(ctx, dst.agency.ID, fa.ID)).must(t)
	if len(gotFirearm.TestFires) != 1 || gotFirearm.CaseID != cas.ID {
		t.Errorf("imported firearm lost its links: %s", js(gotFirearm))
	}
	o := get(s.RecordOrigin(ctx, dst.agency.ID, "scan", string(sc.ID))).must(t)
	if o.Country != "KZ" || o.BundleID != bundle.Origin.BundleID {
		t.Errorf("origin of the imported scan: %+v", o)
	}
	wantKind(t, second(s.RecordOrigin(ctx, dst.agency.ID, "case", string(dst.cas.ID))), errs.NotFound, "origin of a local case")
	// A bundle that fails half-way leaves nothing behind.
	broken := *bundle
	broken.Origin.BundleID = exchange.BundleID(ids.New())
	newCase := cas
	newCase.ID = domain.CaseID(ids.New())
	newCase.Number = "C-2"
	badExhibit := ex
	badExhibit.ID, badExhibit.CaseID = domain.ExhibitID(ids.New()), domain.CaseID(ids.New()) // its case is missing
	broken.Cases, broken.Exhibits, broken.Scans, broken.Firearms = []domain.Case{newCase}, []domain.Exhibit{badExhibit}, nil, nil
	if _, err := s.ImportBundle(ctx, dst.agency.ID, dst.user.ID, &broken); err == nil {
		t.Error("a bundle with an exhibit of a missing case was imported")
	}
	wantKind(t, second(s.Case(ctx, dst.agency.ID, newCase.ID)), errs.NotFound, "a case of a failed import")
	if ok := get(s.BundleImported(ctx, dst.agency.ID, broken.Origin.BundleID)).must(t); ok {
		t.Error("a failed import is recorded as imported")
	}
}

// testHitLinks: a confirmed hit is listed in its month, not outside it nor
// for another agency.
func testHitLinks(t *testing.T, s *store.Store) {
	f, other := newFixture(t, s, "KZ"), newFixture(t, s, "UZ")
	case2 := get(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "C-2"})).must(t)
	ex2 := get(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: case2.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})).must(t)
	query, mate := f.scan(t, s, f.exhibit.ID, "query"), f.scan(t, s, ex2.ID, "mate")
	r := get(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: f.agency.ID, QueryScan: query.ID})).must(t)
	if err := s.CompleteRun(ctx, f.agency.ID, r.ID, nil, []domain.Candidate{{Scan: mate.ID, Rank: 1, Score: 0.9}}); err != nil {
		t.Fatal(err)
	}
	cands := page(s.ListCandidates(ctx, store.CandidateFilter{Agency: f.agency.ID, Run: r.ID}, store.Page{})).must(t)
	if _, _, err := s.ReviewCandidate(ctx, domain.CandidateReview{AgencyID: f.agency.ID, CandidateID: cands[0].ID, Status: domain.ReviewConfirmed,
		By: f.user.ID, Reason: "breech-face marks agree"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if links := get(s.HitLinks(ctx, f.agency.ID, now.Add(-time.Hour), now.Add(time.Hour))).must(t); len(links) != 1 || links[0].CandidateID != cands[0].ID {
		t.Errorf("HitLinks this hour: %s", js(links))
	}
	if links := get(s.HitLinks(ctx, f.agency.ID, now.Add(time.Hour), time.Time{})).must(t); len(links) != 0 {
		t.Errorf("HitLinks after the hit: %d", len(links))
	}
	if links := get(s.HitLinks(ctx, other.agency.ID, time.Time{}, time.Time{})).must(t); len(links) != 0 {
		t.Errorf("another agency sees %d hits", len(links))
	}
}
