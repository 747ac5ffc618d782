package storetest

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// conclusionTests are the store's conclusion and verification cases; Test
// runs them with the rest of the suite.
var conclusionTests = []struct {
	name string
	fn   func(t *testing.T, s *store.Store)
}{
	{"ConclusionVerified", testConclusionVerified},
	{"ConclusionDisagreement", testConclusionDisagreement},
	{"ConclusionTwice", testConclusionTwice},
	{"ConclusionBadInput", testConclusionBadInput},
	{"ConclusionIsolation", testConclusionIsolation},
	{"DerivedCache", testDerivedCache},
}

// bench is a fixture with a second case, scans in both cases, colleagues
// and a run whose candidate is the scan of case 2.
type bench struct {
	fixture
	case2            domain.Case
	query, mate      domain.Scan
	candidate        domain.Candidate
	verifier, superv domain.User
	secondSupervisor domain.User
}

func newBench(t *testing.T, s *store.Store, code string) bench {
	t.Helper()
	b := bench{fixture: newFixture(t, s, code)}
	b.case2 = get(s.CreateCase(ctx, domain.Case{AgencyID: b.agency.ID, Number: "C-2"})).must(t)
	ex2 := get(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: b.agency.ID, CaseID: b.case2.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})).must(t)
	b.query = b.scan(t, s, b.exhibit.ID, "query "+code)
	b.mate = b.scan(t, s, ex2.ID, "mate "+code)
	user := func(name string, role domain.Role) domain.User {
		return get(s.CreateUser(ctx, domain.User{AgencyID: b.agency.ID, Username: name + "-" + code, DisplayName: name, Roles: []domain.Role{role}})).must(t)
	}
	b.verifier = user("verifier", domain.RoleExaminer)
	b.superv = user("supervisor", domain.RoleVerifier)
	b.secondSupervisor = user("supervisor2", domain.RoleVerifier)
	r := get(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: b.agency.ID, QueryScan: b.query.ID})).must(t)
	if err := s.CompleteRun(ctx, b.agency.ID, r.ID, nil, []domain.Candidate{{Scan: b.mate.ID, Rank: 1, Score: 0.9}}); err != nil {
		t.Fatal(err)
	}
	cands, _, err := s.ListCandidates(ctx, store.CandidateFilter{Agency: b.agency.ID, Run: r.ID}, store.Page{})
	if err != nil || len(cands) != 1 {
		t.Fatalf("candidates: %v %v", cands, err)
	}
	b.candidate = cands[0]
	return b
}

func testConclusionVerified(t *testing.T, s *store.Store) {
	b := newBench(t, s, "KZ")
	marks := []store.Annotation{{Scan: "a", Kind: "rect", Points: [][2]float64{{10, 20}, {110.5, 220}}, Label: "breech face"},
		{Scan: "b", Kind: "polyline", Points: [][2]float64{{0, 0}, {5, 5}, {9, 1}}}}
	c := get(s.RecordConclusion(ctx, store.Conclusion{AgencyID: b.agency.ID, CandidateID: b.candidate.ID, Examiner: b.user.ID,
		Conclusion: store.Identification, Notes: "agreement of breech-face marks", Annotations: marks, IdempotencyKey: "form-1"})).must(t)
	if c.ScanA != b.query.ID || c.ScanB != b.mate.ID || c.CaseA != b.cas.ID || c.CaseB != b.case2.ID || c.ExhibitA != b.exhibit.ID {
		t.Errorf("pair from candidate: %+v", c)
	}
	if c.Status != store.AwaitingVerification || c.FinalConclusion != "" || c.Verification != nil || c.Link != nil {
		t.Errorf("new conclusion: %+v", c)
	}
	if !equalJSON(c.Annotations, marks) {
		t.Errorf("annotations %s, want %s", js(c.Annotations), js(marks))
	}
	pending := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, PendingFor: b.verifier.ID}, store.Page{})).must(t)
	if len(pending) != 1 || pending[0].ID != c.ID {
		t.Errorf("pending for the verifier: %v", pending)
	}
	if mine := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, PendingFor: b.user.ID}, store.Page{})).must(t); len(mine) != 0 {
		t.Errorf("the examiner is offered their own conclusion to verify: %v", mine)
	}
	_, err := s.VerifyConclusion(ctx, b.agency.ID, c.ID, store.Check{By: b.user.ID, Conclusion: store.Identification})
	wantKind(t, err, errs.Permission, "examiner verifying their own conclusion")

	v := get(s.VerifyConclusion(ctx, b.agency.ID, c.ID, store.Check{By: b.verifier.ID, Conclusion: store.Identification, Notes: "agree", IdempotencyKey: "verify-1"})).must(t)
	if v.Status != store.Verified || v.FinalConclusion != store.Identification || v.Verification == nil || !v.Verification.Agrees ||
		v.Verification.By != b.verifier.ID || v.Verification.ByName != "verifier" {
		t.Errorf("verified: %+v %+v", v, v.Verification)
	}
	if v.Link == nil || v.Link.ConclusionID != string(c.ID) || v.Link.CandidateID != b.candidate.ID {
		t.Fatalf("link of a verified identification: %+v", v.Link)
	}
	links := get(s.CaseLinks(ctx, b.agency.ID, b.case2.ID)).must(t)
	if len(links) != 1 || links[0].ID != v.Link.ID {
		t.Errorf("case 2 links: %v", links)
	}
	_, err = s.VerifyConclusion(ctx, b.agency.ID, c.ID, store.Check{By: b.superv.ID, Conclusion: store.Elimination})
	wantKind(t, err, errs.Conflict, "second verification")
	_, err = s.VerifyConclusion(ctx, b.agency.ID, c.ID, store.Check{By: b.verifier.ID, Conclusion: store.Identification, IdempotencyKey: "verify-1"})
	wantKind(t, err, errs.Conflict, "verification submitted twice")
	_, err = s.ResolveDisagreement(ctx, b.agency.ID, c.ID, store.Check{By: b.superv.ID, Conclusion: store.Elimination})
	wantKind(t, err, errs.Conflict, "resolving an agreement")

	// Once verified the examiner may record a new conclusion on the pair.
	again := get(s.RecordConclusion(ctx, store.Conclusion{AgencyID: b.agency.ID, ScanA: b.mate.ID, ScanB: b.query.ID, Examiner: b.user.ID,
		Conclusion: store.InconclusiveA})).must(t)
	byCase := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, Case: b.cas.ID}, store.Page{Limit: 1})).must(t)
	if len(byCase) != 1 || byCase[0].ID != again.ID {
		t.Errorf("newest conclusion of case 1: %v", byCase)
	}
	all := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, Scan: b.mate.ID}, store.Page{})).must(t)
	if len(all) != 2 {
		t.Errorf("conclusions on the mate scan: %d, want 2", len(all))
	}
	verified := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, Status: store.Verified}, store.Page{})).must(t)
	if len(verified) != 1 || verified[0].ID != c.ID || verified[0].Verification == nil {
		t.Errorf("verified conclusions: %v", verified)
	}
}

func testConclusionDisagreement(t *testing.T, s *store.Store) {
	b := newBench(t, s, "UZ")
	c := get(s.RecordConclusion(ctx, store.Conclusion{AgencyID: b.agency.ID, ScanA: b.query.ID, ScanB: b.mate.ID, Examiner: b.user.ID,
		Conclusion: store.Identification, Verifier: b.verifier.ID})).must(t)
	_, err := s.VerifyConclusion(ctx, b.agency.ID, c.ID, store.Check{By: b.superv.ID, Conclusion: store.Identification})
	wantKind(t, err, errs.Permission, "verification by someone else than the colleague asked")
	d := get(s.VerifyConclusion(ctx, b.agency.ID, c.ID, store.Check{By: b.verifier.ID, Conclusion: store.InconclusiveB})).must(t)
	if d.Status != store.Disagreement || d.FinalConclusion != "" || d.Verification.Agrees || d.Link != nil {
		t.Errorf("disagreement: %+v", d)
	}
	if l := get(s.CaseLinks(ctx, b.agency.ID, b.cas.ID)).must(t); len(l) != 0 {
		t.Errorf("a disagreement linked cases: %v", l)
	}
	open := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, ResolvableBy: b.superv.ID}, store.Page{})).must(t)
	if len(open) != 1 {
		t.Errorf("disagreements for the supervisor: %v", open)
	}
	if p := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, ResolvableBy: b.verifier.ID}, store.Page{})).must(t); len(p) != 0 {
		t.Errorf("the verifier is offered their own disagreement: %v", p)
	}
	for _, party := range []domain.UserID{b.user.ID, b.verifier.ID} {
		_, err := s.ResolveDisagreement(ctx, b.agency.ID, c.ID, store.Check{By: party, Conclusion: store.Identification})
		wantKind(t, err, errs.Permission, "resolution by a party")
	}
	// Two supervisors resolving at once: one wins, the other is a conflict.
	var wg sync.WaitGroup
	errsOut := make([]error, 2)
	for i, u := range []domain.UserID{b.superv.ID, b.secondSupervisor.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errsOut[i] = s.ResolveDisagreement(ctx, b.agency.ID, c.ID, store.Check{By: u, Conclusion: store.Identification, Notes: "resolved"})
		}()
	}
	wg.Wait()
	if (errsOut[0] == nil) == (errsOut[1] == nil) {
		t.Fatalf("concurrent resolutions: %v / %v; want exactly one to succeed", errsOut[0], errsOut[1])
	}
	for _, e := range errsOut {
		if e != nil {
			wantKind(t, e, errs.Conflict, "second concurrent resolution")
		}
	}
	r := get(s.Conclusion(ctx, b.agency.ID, c.ID)).must(t)
	if r.Status != store.Resolved || r.FinalConclusion != store.Identification || r.Resolution == nil || r.Link == nil {
		t.Errorf("resolved: %+v", r)
	}
	if r.Link != nil && (r.Link.ConclusionID != string(c.ID) || r.Link.CandidateID != "") {
		t.Errorf("link of a resolved identification without candidate: %+v", r.Link)
	}
}

func testConclusionTwice(t *testing.T, s *store.Store) {
	b := newBench(t, s, "KG")
	in := store.Conclusion{AgencyID: b.agency.ID, ScanA: b.query.ID, ScanB: b.mate.ID, Examiner: b.user.ID, Conclusion: store.Elimination, IdempotencyKey: "k1"}
	first := get(s.RecordConclusion(ctx, in)).must(t)
	_, err := s.RecordConclusion(ctx, in)
	wantKind(t, err, errs.Conflict, "same idempotency key")
	if err != nil && !strings.Contains(err.Error(), string(first.ID)) {
		t.Errorf("conflict %q does not name the stored conclusion %s", err, first.ID)
	}
	in.IdempotencyKey = ""
	in.ScanA, in.ScanB = in.ScanB, in.ScanA
	_, err = s.RecordConclusion(ctx, in)
	wantKind(t, err, errs.Conflict, "second open conclusion on the same pair, other order")
	// Concurrent double submission without a key: one record.
	in2 := store.Conclusion{AgencyID: b.agency.ID, ScanA: b.query.ID, ScanB: b.mate.ID, Examiner: b.verifier.ID, Conclusion: store.Elimination}
	var wg sync.WaitGroup
	outs := make([]error, 4)
	for i := range outs {
		wg.Add(1)
		go func() { defer wg.Done(); _, outs[i] = s.RecordConclusion(ctx, in2) }()
	}
	wg.Wait()
	ok := 0
	for _, e := range outs {
		if e == nil {
			ok++
		} else {
			wantKind(t, e, errs.Conflict, "concurrent duplicate")
		}
	}
	if ok != 1 {
		t.Errorf("%d of 4 concurrent duplicates recorded, want 1", ok)
	}
	n := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, Examiner: b.verifier.ID}, store.Page{})).must(t)
	if len(n) != 1 {
		t.Errorf("stored %d conclusions of the verifier, want 1", len(n))
	}
}

func testConclusionBadInput(t *testing.T, s *store.Store) {
	b := newBench(t, s, "TJ")
	base := store.Conclusion{AgencyID: b.agency.ID, ScanA: b.query.ID, ScanB: b.mate.ID, Examiner: b.user.ID, Conclusion: store.Identification}
	mod := func(f func(c *store.Conclusion)) store.Conclusion { c := base; f(&c); return c }
	cases := []struct {
		name string
		in   store.Conclusion
		kind errs.Kind
	}{
		{"unknown conclusion", mod(func(c *store.Conclusion) { c.Conclusion = "probable" }), errs.Invalid},
		{"same scan twice", mod(func(c *store.Conclusion) { c.ScanB = c.ScanA }), errs.Invalid},
		{"malformed scan id", mod(func(c *store.Conclusion) { c.ScanB = "x'; DROP TABLE conclusions" }), errs.Invalid},
		{"missing scan", mod(func(c *store.Conclusion) { c.ScanB = domain.ScanID(b.cas.ID) }), errs.NotFound},
		{"deleted candidate", mod(func(c *store.Conclusion) { c.CandidateID = domain.CandidateID(b.exhibit.ID) }), errs.NotFound},
		{"self as verifier", mod(func(c *store.Conclusion) { c.Verifier = c.Examiner }), errs.Invalid},
		{"NaN coordinate", mod(func(c *store.Conclusion) {
			c.Annotations = []store.Annotation{{Scan: "a", Kind: "point", Points: [][2]float64{{math.NaN(), 1}}}}
		}), errs.Invalid},
		{"rect with 3 corners", mod(func(c *store.Conclusion) {
			c.Annotations = []store.Annotation{{Scan: "b", Kind: "rect", Points: [][2]float64{{0, 0}, {1, 1}, {2, 2}}}}
		}), errs.Invalid},
		{"annotation on scan c", mod(func(c *store.Conclusion) {
			c.Annotations = []store.Annotation{{Scan: "c", Kind: "point", Points: [][2]float64{{0, 0}}}}
		}), errs.Invalid},
		{"control character in notes", mod(func(c *store.Conclusion) { c.Notes = "a\x00b" }), errs.Invalid},
		{"notes too long", mod(func(c *store.Conclusion) { c.Notes = strings.Repeat("x", 70000) }), errs.Invalid},
	}
	bulletEx := get(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: b.agency.ID, CaseID: b.cas.ID, Label: "B1", Kind: domain.KindBullet, Role: domain.RoleCrimeScene})).must(t)
	land := b.scan(t, s, bulletEx.ID, "land 1")
	cases = append(cases, struct {
		name string
		in   store.Conclusion
		kind errs.Kind
	}{"cartridge case against bullet", mod(func(c *store.Conclusion) { c.ScanB = land.ID }), errs.Invalid})
	for _, tc := range cases {
		_, err := s.RecordConclusion(ctx, tc.in)
		wantKind(t, err, tc.kind, tc.name)
	}
	if n := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID}, store.Page{})).must(t); len(n) != 0 {
		t.Errorf("bad input stored %d conclusions", len(n))
	}
	_, err := s.VerifyConclusion(ctx, b.agency.ID, store.ConclusionID(b.cas.ID), store.Check{By: b.verifier.ID, Conclusion: store.Identification})
	wantKind(t, err, errs.NotFound, "verifying a conclusion that does not exist")
	_, _, err = s.ListConclusions(ctx, store.ConclusionFilter{Agency: b.agency.ID, Status: "pending"}, store.Page{})
	wantKind(t, err, errs.Invalid, "unknown status filter")
}

func testConclusionIsolation(t *testing.T, s *store.Store) {
	a := newBench(t, s, "AA")
	b := newBench(t, s, "BB")
	c := get(s.RecordConclusion(ctx, store.Conclusion{AgencyID: b.agency.ID, ScanA: b.query.ID, ScanB: b.mate.ID, Examiner: b.user.ID, Conclusion: store.Identification})).must(t)
	_, err := s.Conclusion(ctx, a.agency.ID, c.ID)
	wantKind(t, err, errs.NotFound, "reading another agency's conclusion")
	_, err = s.VerifyConclusion(ctx, a.agency.ID, c.ID, store.Check{By: a.verifier.ID, Conclusion: store.Identification})
	wantKind(t, err, errs.NotFound, "verifying another agency's conclusion")
	_, err = s.VerifyConclusion(ctx, b.agency.ID, c.ID, store.Check{By: a.verifier.ID, Conclusion: store.Identification})
	wantKind(t, err, errs.NotFound, "a user of agency A verifying in agency B")
	_, err = s.RecordConclusion(ctx, store.Conclusion{AgencyID: a.agency.ID, ScanA: a.query.ID, ScanB: b.mate.ID, Examiner: a.user.ID, Conclusion: store.Elimination})
	wantKind(t, err, errs.NotFound, "a conclusion on another agency's scan")
	_, err = s.RecordConclusion(ctx, store.Conclusion{AgencyID: a.agency.ID, CandidateID: b.candidate.ID, Examiner: a.user.ID, Conclusion: store.Elimination})
	wantKind(t, err, errs.NotFound, "a conclusion on another agency's candidate")
	if l := get2(s.ListConclusions(ctx, store.ConclusionFilter{Agency: a.agency.ID}, store.Page{})).must(t); len(l) != 0 {
		t.Errorf("agency A lists %d conclusions of B", len(l))
	}
}

func testDerivedCache(t *testing.T, s *store.Store) {
	_, err := s.DerivedRef(ctx, "surface:v1:x")
	wantKind(t, err, errs.NotFound, "empty cache")
	for _, ref := range []string{"sha256-aa", "sha256-bb"} {
		if err := s.PutDerivedRef(ctx, "surface:v1:x", ref); err != nil {
			t.Fatal(err)
		}
		if got := get(s.DerivedRef(ctx, "surface:v1:x")).must(t); got != ref {
			t.Errorf("cached ref %q, want %q", got, ref)
		}
	}
	wantKind(t, s.PutDerivedRef(ctx, "", "sha256-aa"), errs.Invalid, "empty cache key")
}

func get2[T any](v T, _ string, err error) result[T] { return result[T]{v, err} }
