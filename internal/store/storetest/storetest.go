// Package storetest is the conformance suite for store.Store: every
// database engine the store supports must pass it.
//
//	func TestSQLite(t *testing.T) {
//		storetest.Test(t, func(t *testing.T) *store.Store { return openEmptyStore(t) })
//	}
//
// open must return a store over an empty, migrated database each time it is
// called and close it at the end of the test (t.Cleanup).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Test runs the whole suite.
func Test(t *testing.T, open func(t *testing.T) *store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *store.Store)
	}{
		{"Agencies", testAgencies},
		{"Users", testUsers},
		{"Cases", testCases},
		{"CaseList", testCaseList},
		{"Exhibits", testExhibits},
		{"Scans", testScans},
		{"ScanFeatures", testScanFeatures},
		{"ConcurrentSameScan", testConcurrentSameScan},
		{"ConcurrentWriters", testConcurrentWriters},
		{"BulkInTx", testBulk},
		{"Runs", testRuns},
		{"Reviews", testReviews},
		{"AgencyIsolation", testIsolation},
		{"BadInput", testBadInput},
	}
	tests = append(tests, conclusionTests...)
	tests = append(tests, userTests...)
	tests = append(tests, fileTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
	t.Run("Tracing", func(t *testing.T) { testTracing(t, open) })
}

var ctx = context.Background()

// result holds a call's value and error so that get(call()).must(t) can
// check both in one expression.
type result[T any] struct {
	v   T
	err error
}

func get[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func wantKind(t *testing.T, err error, kind errs.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", what, kind)
		return
	}
	if got := errs.KindOf(err); got != kind {
		t.Errorf("%s: error %q has kind %v, want %v", what, err, got, kind)
	}
}

// fixture is one agency with a user, a case and an exhibit.
type fixture struct {
	agency  domain.Agency
	user    domain.User
	cas     domain.Case
	exhibit domain.Exhibit
}

func newFixture(t *testing.T, s *store.Store, code string) fixture {
	t.Helper()
	var f fixture
	f.agency = get(s.CreateAgency(ctx, domain.Agency{Code: code, Name: "Laboratory " + code, Country: "KZ"})).must(t)
	f.user = get(s.CreateUser(ctx, domain.User{AgencyID: f.agency.ID, Username: "examiner-" + code,
		Roles: []domain.Role{domain.RoleExaminer}})).must(t)
	f.cas = get(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "C-1", CreatedBy: f.user.ID})).must(t)
	f.exhibit = get(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: f.cas.ID, Label: "E1",
		Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})).must(t)
	return f
}

func (f fixture) scan(t *testing.T, s *store.Store, exhibit domain.ExhibitID, content string) domain.Scan {
	t.Helper()
	sc, _, err := s.PutScan(ctx, domain.Scan{AgencyID: f.agency.ID, ExhibitID: exhibit,
		Original: blob.RefOf([]byte(content)), Size: int64(len(content)), Format: domain.FormatX3P})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func testAgencies(t *testing.T, s *store.Store) {
	a := get(s.CreateAgency(ctx, domain.Agency{Code: "UZ-MFC", Name: "Главный экспертно-криминалистический центр", Country: "UZ"})).must(t)
	if domain.CheckID("id", string(a.ID)) != nil || a.CreatedAt.IsZero() {
		t.Fatalf("created agency lacks an ID or time: %+v", a)
	}
	if got := get(s.Agency(ctx, a.ID)).must(t); got != a {
		t.Errorf("Agency = %+v, want %+v", got, a)
	}
	if got := get(s.AgencyByCode(ctx, "UZ-MFC")).must(t); got != a {
		t.Errorf("AgencyByCode = %+v, want %+v", got, a)
	}
	_, err := s.CreateAgency(ctx, domain.Agency{Code: "UZ-MFC", Name: "again"})
	wantKind(t, err, errs.Conflict, "duplicate agency code")
	_, err = s.AgencyByCode(ctx, "nope")
	wantKind(t, err, errs.NotFound, "unknown agency code")
	b := get(s.CreateAgency(ctx, domain.Agency{Code: "KG-MVD", Name: "Kyrgyz lab"})).must(t)
	all := get(s.ListAgencies(ctx)).must(t)
	if len(all) != 2 || all[0].ID != b.ID || all[1].ID != a.ID {
		t.Errorf("ListAgencies = %+v, want KG-MVD then UZ-MFC", all)
	}
}

func testUsers(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	u := get(s.CreateUser(ctx, domain.User{AgencyID: f.agency.ID, Username: "aliya", DisplayName: "Алия",
		Roles: []domain.Role{domain.RoleVerifier, domain.RoleExaminer}, Locale: "kk"})).must(t)
	got := get(s.User(ctx, f.agency.ID, u.ID)).must(t)
	if got.Username != "aliya" || got.DisplayName != "Алия" || got.Locale != "kk" ||
		!slices.Equal(got.Roles, []domain.Role{domain.RoleExaminer, domain.RoleVerifier}) {
		t.Errorf("User = %+v", got)
	}
	if byName := get(s.UserByName(ctx, "aliya")).must(t); byName.ID != u.ID || !byName.HasRole(domain.RoleVerifier) {
		t.Errorf("UserByName = %+v", byName)
	}
	_, err := s.CreateUser(ctx, domain.User{AgencyID: f.agency.ID, Username: "aliya"})
	wantKind(t, err, errs.Conflict, "duplicate username")
	_, err = s.CreateUser(ctx, domain.User{AgencyID: f.agency.ID, Username: "x", Roles: []domain.Role{"god"}})
	wantKind(t, err, errs.Invalid, "unknown role")
	if err := s.SetUserRoles(ctx, f.agency.ID, u.ID, []domain.Role{domain.RoleAdministrator}); err != nil {
		t.Fatal(err)
	}
	if got := get(s.User(ctx, f.agency.ID, u.ID)).must(t); !slices.Equal(got.Roles, []domain.Role{domain.RoleAdministrator}) {
		t.Errorf("roles after SetUserRoles = %v", got.Roles)
	}
	var all []domain.User
	page := store.Page{Limit: 1}
	for {
		us, next, err := s.ListUsers(ctx, f.agency.ID, page)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, us...)
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if len(all) != 2 || all[0].ID != f.user.ID || all[1].ID != u.ID {
		t.Errorf("ListUsers in pages of 1 = %+v", all)
	}
}

func testCases(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	occurred := time.Date(2025, 3, 8, 22, 15, 30, 123456789, time.FixedZone("ALMT", 5*3600))
	in := domain.Case{
		AgencyID: f.agency.ID, Number: "№ 2025-0042", Title: "Стрельба у рынка", Offence: "armed robbery",
		OccurredAt: occurred, ReceivedAt: occurred.Add(48 * time.Hour), PlaceName: "Алматы, Зелёный базар",
		Location: &domain.GeoPoint{Lat: 43.2630, Lon: 76.9530}, Notes: "two shooters\nKarakalpak witness",
		CreatedBy: f.user.ID,
	}
	c := get(s.CreateCase(ctx, in)).must(t)
	if c.Status != domain.CaseOpen {
		t.Errorf("new case status %q, want open", c.Status)
	}
	got := get(s.Case(ctx, f.agency.ID, c.ID)).must(t)
	want := c
	want.OccurredAt = occurred.UTC().Truncate(time.Microsecond)
	want.ReceivedAt = want.OccurredAt.Add(48 * time.Hour)
	if !equalJSON(got, want) {
		t.Errorf("Case round trip:\n got %s\nwant %s", js(got), js(want))
	}
	if byNum := get(s.CaseByNumber(ctx, f.agency.ID, "№ 2025-0042")).must(t); byNum.ID != c.ID {
		t.Errorf("CaseByNumber = %s, want %s", byNum.ID, c.ID)
	}
	_, err := s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "№ 2025-0042"})
	wantKind(t, err, errs.Conflict, "duplicate case number")
	other := newFixture(t, s, "UZ")
	get(s.CreateCase(ctx, domain.Case{AgencyID: other.agency.ID, Number: "№ 2025-0042"})).must(t) // numbers are per agency

	c.Status, c.Location, c.Title = domain.CaseClosed, nil, "Закрыто"
	up := get(s.UpdateCase(ctx, c)).must(t)
	if up.Status != domain.CaseClosed || up.Location != nil || up.Title != "Закрыто" || up.CreatedAt != c.CreatedAt || up.UpdatedAt.Before(c.UpdatedAt) {
		t.Errorf("UpdateCase = %s", js(up))
	}
	c.Number = "C-1" // the fixture's case number
	_, err = s.UpdateCase(ctx, c)
	wantKind(t, err, errs.Conflict, "renumbering onto an existing case number")
	c.ID = domain.CaseID((&domain.IDGen{}).New())
	c.Number = "C-404"
	_, err = s.UpdateCase(ctx, c)
	wantKind(t, err, errs.NotFound, "updating a missing case")
}

func testCaseList(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	titles := []string{"Кража ПМ", "100% match", "under_score", "Makarov pistol", "пм найден", "closed one", "plain"}
	for i, title := range titles {
		st := domain.CaseOpen
		if title == "closed one" {
			st = domain.CaseClosed
		}
		get(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: fmt.Sprintf("L-%d", i), Title: title, Status: st})).must(t)
	}
	list := func(filter store.CaseFilter, limit int) []string {
		t.Helper()
		var out []string
		page := store.Page{Limit: limit}
		for {
			cs, next, err := s.ListCases(ctx, filter, page)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) > limit {
				t.Fatalf("page of %d with limit %d", len(cs), limit)
			}
			for _, c := range cs {
				out = append(out, c.Number)
			}
			if next == "" {
				return out
			}
			page.Cursor = next
		}
	}
	all := list(store.CaseFilter{Agency: f.agency.ID}, 3)
	want := []string{"L-6", "L-5", "L-4", "L-3", "L-2", "L-1", "L-0", "C-1"}
	if !slices.Equal(all, want) {
		t.Errorf("all cases newest first in pages of 3 = %v, want %v", all, want)
	}
	tests := []struct {
		filter store.CaseFilter
		want   []string
	}{
		{store.CaseFilter{Status: domain.CaseClosed}, []string{"L-5"}},
		{store.CaseFilter{Text: "пм"}, []string{"L-4", "L-0"}}, // Cyrillic, either case
		{store.CaseFilter{Text: "MAKAROV"}, []string{"L-3"}},
		{store.CaseFilter{Text: "100%"}, []string{"L-1"}}, // % is literal
		{store.CaseFilter{Text: "r_s"}, []string{"L-2"}},  // _ is literal
		{store.CaseFilter{Text: "_"}, []string{"L-2"}},
		{store.CaseFilter{Text: "L-"}, []string{"L-6", "L-5", "L-4", "L-3", "L-2", "L-1", "L-0"}}, // numbers match too
		{store.CaseFilter{Text: "absent"}, nil},
		{store.CaseFilter{Status: domain.CaseOpen, Text: "pistol"}, []string{"L-3"}},
	}
	for _, tt := range tests {
		tt.filter.Agency = f.agency.ID
		if got := list(tt.filter, 2); !slices.Equal(got, tt.want) {
			t.Errorf("ListCases(%+v) = %v, want %v", tt.filter, got, tt.want)
		}
	}
	_, _, err := s.ListCases(ctx, store.CaseFilter{Agency: f.agency.ID}, store.Page{Cursor: "garbage!"})
	wantKind(t, err, errs.Invalid, "garbage cursor")
	_, next, err := s.ListExhibits(ctx, f.agency.ID, f.cas.ID, store.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	_ = next
	_, cnext, _ := s.ListCases(ctx, store.CaseFilter{Agency: f.agency.ID}, store.Page{Limit: 1})
	_, _, err = s.ListExhibits(ctx, f.agency.ID, f.cas.ID, store.Page{Cursor: cnext})
	wantKind(t, err, errs.Invalid, "a cases cursor used on exhibits")
}

func testExhibits(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "TJ")
	collected := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	in := domain.Exhibit{
		AgencyID: f.agency.ID, CaseID: f.cas.ID, Label: "E2", Kind: domain.KindBullet, Role: domain.RoleCrimeScene,
		Class: domain.ClassCharacteristics{Calibre: "9x18mm Makarov", Lands: 4, Twist: "right", LandWidthUM: 2210.5,
			AmmunitionMake: "БПЗ", FiringPinShape: "hemispherical", BreechFaceClass: "granular", EjectorPosition: "3 o'clock"},
		Description: "deformed bullet from the wall", CollectedAt: collected, CreatedBy: f.user.ID,
	}
	e := get(s.CreateExhibit(ctx, in)).must(t)
	if got := get(s.Exhibit(ctx, f.agency.ID, e.ID)).must(t); !equalJSON(got, e) {
		t.Errorf("Exhibit round trip:\n got %s\nwant %s", js(got), js(e))
	}
	_, err := s.CreateExhibit(ctx, in)
	wantKind(t, err, errs.Conflict, "duplicate exhibit label in a case")
	missing := in
	missing.Label, missing.CaseID = "E9", domain.CaseID((&domain.IDGen{}).New())
	_, err = s.CreateExhibit(ctx, missing)
	wantKind(t, err, errs.NotFound, "exhibit in a missing case")
	e.Class = domain.ClassCharacteristics{Calibre: "7.62x25mm Tokarev"}
	e.Label = "E2a"
	up := get(s.UpdateExhibit(ctx, e)).must(t)
	if up.Class != e.Class || up.Label != "E2a" || up.CreatedAt != e.CreatedAt {
		t.Errorf("UpdateExhibit = %s", js(up))
	}
	var ids []domain.ExhibitID
	page := store.Page{Limit: 1}
	for {
		es, next, err := s.ListExhibits(ctx, f.agency.ID, f.cas.ID, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			ids = append(ids, e.ID)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if !slices.Equal(ids, []domain.ExhibitID{f.exhibit.ID, e.ID}) {
		t.Errorf("ListExhibits = %v", ids)
	}
}

func testScans(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "TM")
	acquired := time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)
	in := domain.Scan{
		AgencyID: f.agency.ID, ExhibitID: f.exhibit.ID, Original: blob.RefOf([]byte("x3p bytes")), Size: 9,
		Format: domain.FormatX3P, OriginalName: "Fadul 1-1.x3p", Instrument: "NanoFocus µsurf", ResolutionUM: 6.25,
		Warnings: []string{"md5checksum.hex does not match bindata/data.bin"}, AcquiredBy: f.user.ID, AcquiredAt: acquired,
		CreatedBy: f.user.ID,
	}
	sc, created, err := s.PutScan(ctx, in)
	if err != nil || !created {
		t.Fatalf("first PutScan = created %v, %v", created, err)
	}
	if got := get(s.Scan(ctx, f.agency.ID, sc.ID)).must(t); !equalJSON(got, sc) {
		t.Errorf("Scan round trip:\n got %s\nwant %s", js(got), js(sc))
	}
	again, created, err := s.PutScan(ctx, in)
	if err != nil || created || again.ID != sc.ID {
		t.Errorf("second PutScan of the same file = %s, created %v, %v; want the first record", again.ID, created, err)
	}
	if byRef := get(s.ScanByOriginal(ctx, f.agency.ID, in.Original)).must(t); byRef.ID != sc.ID {
		t.Errorf("ScanByOriginal = %s", byRef.ID)
	}
	other := newFixture(t, s, "KG")
	in2 := in
	in2.AgencyID, in2.ExhibitID, in2.AcquiredBy, in2.CreatedBy = other.agency.ID, other.exhibit.ID, "", ""
	if sc2, created, err := s.PutScan(ctx, in2); err != nil || !created || sc2.ID == sc.ID {
		t.Errorf("another agency's copy of the file: %s created %v, %v; want a record of its own", sc2.ID, created, err)
	}
	img := domain.Scan{AgencyID: f.agency.ID, ExhibitID: f.exhibit.ID, Original: blob.RefOf([]byte("png")), Size: 3, Format: domain.FormatPNG}
	_, _, err = s.PutScan(ctx, img)
	wantKind(t, err, errs.Invalid, "2D image without calibration")
	img.UMPerPixel = 1.6
	imgScan, _, err := s.PutScan(ctx, img)
	if err != nil || imgScan.UMPerPixel != 1.6 || len(imgScan.Warnings) != 0 {
		t.Errorf("calibrated image: %+v, %v", imgScan, err)
	}

	if es := get(s.SearchEntries(ctx, "", 100)).must(t); len(es) != 0 {
		t.Errorf("scans without features are searchable: %+v", es)
	}
	pre, feat := blob.RefOf([]byte("pre")), blob.RefOf([]byte("feat"))
	if err := s.SetScanDerived(ctx, f.agency.ID, sc.ID, pre, blob.Ref{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetScanDerived(ctx, f.agency.ID, sc.ID, blob.Ref{}, feat); err != nil {
		t.Fatal(err)
	}
	got := get(s.Scan(ctx, f.agency.ID, sc.ID)).must(t)
	if got.Preprocessed != pre || got.Features != feat {
		t.Errorf("derived refs = %s, %s; want %s, %s", got.Preprocessed, got.Features, pre, feat)
	}
	wantKind(t, s.SetScanDerived(ctx, other.agency.ID, sc.ID, pre, feat), errs.NotFound, "SetScanDerived from another agency")
	es := get(s.SearchEntries(ctx, "", 100)).must(t)
	if len(es) != 1 || es[0].Scan != sc.ID || es[0].Case != f.cas.ID || es[0].Kind != domain.KindCartridgeCase || es[0].Features != feat {
		t.Errorf("SearchEntries = %+v", es)
	}
	if es := get(s.SearchEntries(ctx, sc.ID, 100)).must(t); len(es) != 0 {
		t.Errorf("SearchEntries after the last = %+v", es)
	}
	scans, _, err := s.ListScans(ctx, f.agency.ID, f.exhibit.ID, store.Page{})
	if err != nil || len(scans) != 2 {
		t.Errorf("ListScans = %d scans, %v; want 2", len(scans), err)
	}
}

// testConcurrentSameScan ingests one file from many goroutines at once:
// exactly one record must be created and every caller must get it.
func testConcurrentSameScan(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	const n = 12
	var wg sync.WaitGroup
	type result struct {
		id      domain.ScanID
		created bool
		err     error
	}
	results := make(chan result, n)
	in := domain.Scan{AgencyID: f.agency.ID, ExhibitID: f.exhibit.ID, Original: blob.RefOf([]byte("same file")), Size: 9, Format: domain.FormatX3P}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc, created, err := s.PutScan(ctx, in)
			results <- result{sc.ID, created, err}
		}()
	}
	wg.Wait()
	close(results)
	createdCount, ids := 0, map[domain.ScanID]bool{}
	for r := range results {
		if r.err != nil {
			t.Errorf("concurrent PutScan: %v", r.err)
			continue
		}
		if r.created {
			createdCount++
		}
		ids[r.id] = true
	}
	if createdCount != 1 || len(ids) != 1 {
		t.Errorf("%d concurrent ingests of one file: %d created, %d distinct IDs; want 1 and 1", n, createdCount, len(ids))
	}
	scans, _, err := s.ListScans(ctx, f.agency.ID, f.exhibit.ID, store.Page{})
	if err != nil || len(scans) != 1 {
		t.Errorf("stored %d scans, %v; want 1", len(scans), err)
	}
}

// testConcurrentWriters runs many writers at once: none may fail with a
// busy or locked error, and every record must be there afterwards.
func testConcurrentWriters(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	const writers, each = 6, 10
	var wg sync.WaitGroup
	errc := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				c, err := s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: fmt.Sprintf("W%d-%d", w, i)})
				if err == nil {
					_, err = s.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: c.ID, Label: "E1",
						Kind: domain.KindBullet, Role: domain.RoleCrimeScene})
				}
				if err == nil {
					_, _, err = s.ListCases(ctx, store.CaseFilter{Agency: f.agency.ID, Text: "w"}, store.Page{Limit: 5})
				}
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("concurrent writer: %v", err)
		}
	}
	n := 0
	page := store.Page{Limit: store.MaxLimit}
	cs, _, err := s.ListCases(ctx, store.CaseFilter{Agency: f.agency.ID, Text: "w"}, page)
	if err != nil {
		t.Fatal(err)
	}
	n += len(cs)
	if n != writers*each {
		t.Errorf("found %d cases, want %d", n, writers*each)
	}
}

func testRuns(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	query := f.scan(t, s, f.exhibit.ID, "query")
	var cands []domain.Candidate
	for i := range 5 {
		sc := f.scan(t, s, f.exhibit.ID, fmt.Sprintf("candidate %d", i))
		c := domain.Candidate{Scan: sc.ID, Rank: i + 1, Score: 0.9 - 0.1*float64(i), Registration: json.RawMessage(`{"theta_deg":-12.5,"dx_um":3.2}`)}
		if i == 0 {
			lr := 1e4
			c.Calibrated = &lr
		}
		cands = append(cands, c)
	}
	r := get(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: f.agency.ID, QueryScan: query.ID, Params: json.RawMessage(`{"k":100}`), CreatedBy: f.user.ID})).must(t)
	if r.Status != domain.RunQueued || r.QueuedAt.IsZero() {
		t.Errorf("new run = %s", js(r))
	}
	un := get(s.UnfinishedRuns(ctx, "", 10)).must(t)
	if len(un) != 1 || un[0].ID != r.ID {
		t.Errorf("UnfinishedRuns = %+v", un)
	}
	if err := s.StartRun(ctx, f.agency.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun(ctx, f.agency.ID, r.ID); err != nil {
		t.Errorf("restarting a running run (a worker taking over): %v", err)
	}
	stats := json.RawMessage(`{"coarse_ms":12.5,"full_ms":340}`)
	if err := s.CompleteRun(ctx, f.agency.ID, r.ID, stats, cands); err != nil {
		t.Fatal(err)
	}
	done := get(s.Run(ctx, f.agency.ID, r.ID)).must(t)
	if done.Status != domain.RunDone || done.StartedAt.IsZero() || done.FinishedAt.Before(done.StartedAt) || !equalJSON(done.Stats, stats) || !equalJSON(done.Params, r.Params) {
		t.Errorf("completed run = %s", js(done))
	}
	wantKind(t, s.CompleteRun(ctx, f.agency.ID, r.ID, nil, cands), errs.Conflict, "completing a run twice")
	wantKind(t, s.FailRun(ctx, f.agency.ID, r.ID, "late failure"), errs.Conflict, "failing a done run")
	wantKind(t, s.StartRun(ctx, f.agency.ID, r.ID), errs.Conflict, "starting a done run")
	if un := get(s.UnfinishedRuns(ctx, "", 10)).must(t); len(un) != 0 {
		t.Errorf("UnfinishedRuns after completion = %+v", un)
	}

	var got []domain.Candidate
	page := store.Page{Limit: 2}
	for {
		cs, next, err := s.ListCandidates(ctx, store.CandidateFilter{Agency: f.agency.ID, Run: r.ID}, page)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cs...)
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if len(got) != len(cands) {
		t.Fatalf("ListCandidates returned %d, want %d", len(got), len(cands))
	}
	for i, c := range got {
		w := cands[i]
		if c.Rank != w.Rank || c.Scan != w.Scan || c.Score != w.Score || c.ReviewStatus != domain.ReviewUnreviewed ||
			!equalJSON(c.Registration, w.Registration) || (c.Calibrated == nil) != (w.Calibrated == nil) ||
			(c.Calibrated != nil && *c.Calibrated != *w.Calibrated) || c.RunID != r.ID {
			t.Errorf("candidate %d = %s, want %s", i, js(c), js(w))
		}
	}

	r2 := get(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: f.agency.ID, QueryScan: query.ID})).must(t)
	if err := s.FailRun(ctx, f.agency.ID, r2.ID, "features missing"); err != nil {
		t.Fatal(err)
	}
	failed := get(s.Run(ctx, f.agency.ID, r2.ID)).must(t)
	if failed.Status != domain.RunFailed || failed.Error != "features missing" {
		t.Errorf("failed run = %s", js(failed))
	}
	runs, _, err := s.ListRuns(ctx, store.RunFilter{Agency: f.agency.ID, QueryScan: query.ID}, store.Page{})
	if err != nil || len(runs) != 2 || runs[0].ID != r2.ID {
		t.Errorf("ListRuns = %d runs (first %v), %v; want 2, newest first", len(runs), runs, err)
	}
	runs, _, _ = s.ListRuns(ctx, store.RunFilter{Agency: f.agency.ID, Status: domain.RunDone}, store.Page{})
	if len(runs) != 1 || runs[0].ID != r.ID {
		t.Errorf("ListRuns(done) = %+v", runs)
	}

	r3 := get(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: f.agency.ID, QueryScan: query.ID})).must(t)
	dup := []domain.Candidate{cands[0], cands[0]}
	wantKind(t, s.CompleteRun(ctx, f.agency.ID, r3.ID, nil, dup), errs.Invalid, "repeated rank")
	bad := []domain.Candidate{{Scan: cands[0].Scan, Rank: 1, Score: math.NaN()}}
	wantKind(t, s.CompleteRun(ctx, f.agency.ID, r3.ID, nil, bad), errs.Invalid, "NaN score")
	ghost := []domain.Candidate{{Scan: domain.ScanID((&domain.IDGen{}).New()), Rank: 1, Score: 1}}
	wantKind(t, s.CompleteRun(ctx, f.agency.ID, r3.ID, nil, ghost), errs.Invalid, "candidate scan that does not exist")
	if still := get(s.Run(ctx, f.agency.ID, r3.ID)).must(t); still.Status != domain.RunQueued {
		t.Errorf("a refused completion changed the run: %s", js(still))
	}
}

func testReviews(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	case2 := get(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "C-2"})).must(t)
	ex2 := get(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: case2.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})).must(t)
	query := f.scan(t, s, f.exhibit.ID, "query")
	sameCase := f.scan(t, s, f.exhibit.ID, "same case")
	mate := f.scan(t, s, ex2.ID, "mate in case 2")
	mate2 := f.scan(t, s, ex2.ID, "second mate in case 2")
	r := get(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: f.agency.ID, QueryScan: query.ID})).must(t)
	if err := s.CompleteRun(ctx, f.agency.ID, r.ID, nil, []domain.Candidate{
		{Scan: mate.ID, Rank: 1, Score: 0.95}, {Scan: sameCase.ID, Rank: 2, Score: 0.9}, {Scan: mate2.ID, Rank: 3, Score: 0.8},
	}); err != nil {
		t.Fatal(err)
	}
	cands, _, err := s.ListCandidates(ctx, store.CandidateFilter{Agency: f.agency.ID, Run: r.ID}, store.Page{})
	if err != nil || len(cands) != 3 {
		t.Fatalf("candidates: %v %v", cands, err)
	}
	review := func(c domain.Candidate, st domain.ReviewStatus, reason string) (domain.CandidateReview, *domain.CaseLink) {
		t.Helper()
		rv, link, err := s.ReviewCandidate(ctx, domain.CandidateReview{AgencyID: f.agency.ID, CandidateID: c.ID, Status: st, By: f.user.ID, Reason: reason})
		if err != nil {
			t.Fatalf("review %s as %s: %v", c.ID, st, err)
		}
		return rv, link
	}
	v1, link := review(cands[0], domain.ReviewViewed, "")
	if link != nil {
		t.Error("a viewed review made a case link")
	}
	v1again, _ := review(cands[0], domain.ReviewViewed, "")
	if v1again.ID != v1.ID {
		t.Error("the same review submitted twice was recorded twice")
	}
	review(cands[0], domain.ReviewPotentialHit, "firing pin drag matches")
	_, link = review(cands[0], domain.ReviewConfirmed, "confirmed on the comparison microscope")
	if link == nil {
		t.Fatal("a confirmed hit across cases made no link")
	}
	a, b := f.cas.ID, case2.ID
	if b < a {
		a, b = b, a
	}
	if link.CaseA != a || link.CaseB != b || link.CandidateID != cands[0].ID || link.CreatedBy != f.user.ID {
		t.Errorf("link = %s", js(link))
	}
	_, link2 := review(cands[2], domain.ReviewConfirmed, "second mate")
	if link2 == nil || link2.ID != link.ID {
		t.Errorf("a second hit between the same cases made another link: %v vs %v", link2, link)
	}
	if _, l := review(cands[1], domain.ReviewConfirmed, "same case"); l != nil {
		t.Errorf("a hit within one case made a link: %+v", l)
	}
	review(cands[1], domain.ReviewExcluded, "different breech face after all")

	hist, _, err := s.ListReviews(ctx, f.agency.ID, cands[0].ID, store.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	hist2, _, err := s.ListReviews(ctx, f.agency.ID, cands[0].ID, store.Page{})
	if err != nil || len(hist) != 2 || len(hist2) != 3 {
		t.Fatalf("review history: %d then %d entries, %v; want 2 (page) and 3", len(hist), len(hist2), err)
	}
	var sts []domain.ReviewStatus
	for _, h := range hist2 {
		sts = append(sts, h.Status)
		if h.By != f.user.ID || h.At.IsZero() {
			t.Errorf("review lacks who or when: %s", js(h))
		}
	}
	if !slices.Equal(sts, []domain.ReviewStatus{domain.ReviewViewed, domain.ReviewPotentialHit, domain.ReviewConfirmed}) || hist2[2].Reason == "" {
		t.Errorf("history = %v", sts)
	}
	cur := get(s.Candidate(ctx, f.agency.ID, cands[1].ID)).must(t)
	if cur.ReviewStatus != domain.ReviewExcluded {
		t.Errorf("candidate status = %s, want excluded", cur.ReviewStatus)
	}
	confirmed, _, err := s.ListCandidates(ctx, store.CandidateFilter{Agency: f.agency.ID, Run: r.ID, Statuses: []domain.ReviewStatus{domain.ReviewConfirmed}}, store.Page{})
	if err != nil || len(confirmed) != 2 {
		t.Errorf("confirmed candidates = %d, %v; want 2", len(confirmed), err)
	}
	for _, c := range []domain.CaseID{f.cas.ID, case2.ID} {
		ls := get(s.CaseLinks(ctx, f.agency.ID, c)).must(t)
		if len(ls) != 1 || ls[0].ID != link.ID {
			t.Errorf("CaseLinks(%s) = %+v", c, ls)
		}
	}
	_, _, err = s.ReviewCandidate(ctx, domain.CandidateReview{AgencyID: f.agency.ID, CandidateID: cands[0].ID, Status: domain.ReviewExcluded, By: f.user.ID})
	wantKind(t, err, errs.Invalid, "exclusion without a reason")
	outsider := newFixture(t, s, "UZ")
	_, _, err = s.ReviewCandidate(ctx, domain.CandidateReview{AgencyID: f.agency.ID, CandidateID: cands[0].ID, Status: domain.ReviewViewed, By: outsider.user.ID})
	wantKind(t, err, errs.NotFound, "reviewer from another agency")
}

// testIsolation checks that no call of one agency sees or changes another's records.
func testIsolation(t *testing.T, s *store.Store) {
	a, b := newFixture(t, s, "A"), newFixture(t, s, "B")
	scanB := b.scan(t, s, b.exhibit.ID, "b's scan")
	runB := get(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: b.agency.ID, QueryScan: scanB.ID})).must(t)
	if err := s.CompleteRun(ctx, b.agency.ID, runB.ID, nil, []domain.Candidate{{Scan: scanB.ID, Rank: 1, Score: 1}}); err != nil {
		t.Fatal(err)
	}
	candsB, _, _ := s.ListCandidates(ctx, store.CandidateFilter{Agency: b.agency.ID, Run: runB.ID}, store.Page{})
	checks := []struct {
		what string
		err  error
	}{
		{"Case", second(s.Case(ctx, a.agency.ID, b.cas.ID))},
		{"Exhibit", second(s.Exhibit(ctx, a.agency.ID, b.exhibit.ID))},
		{"Scan", second(s.Scan(ctx, a.agency.ID, scanB.ID))},
		{"User", second(s.User(ctx, a.agency.ID, b.user.ID))},
		{"Run", second(s.Run(ctx, a.agency.ID, runB.ID))},
		{"Candidate", second(s.Candidate(ctx, a.agency.ID, candsB[0].ID))},
		{"CreateExhibit in B's case", second(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: a.agency.ID, CaseID: b.cas.ID, Label: "X", Kind: domain.KindBullet, Role: domain.RoleCrimeScene}))},
		{"PutScan on B's exhibit", third(s.PutScan(ctx, domain.Scan{AgencyID: a.agency.ID, ExhibitID: b.exhibit.ID, Original: blob.RefOf([]byte("x")), Format: domain.FormatX3P}))},
		{"CreateRun on B's scan", second(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: a.agency.ID, QueryScan: scanB.ID}))},
		{"StartRun of B's run", s.StartRun(ctx, a.agency.ID, runB.ID)},
		{"Review of B's candidate", third(s.ReviewCandidate(ctx, domain.CandidateReview{AgencyID: a.agency.ID, CandidateID: candsB[0].ID, Status: domain.ReviewViewed, By: a.user.ID}))},
		{"SetUserRoles of B's user", s.SetUserRoles(ctx, a.agency.ID, b.user.ID, nil)},
	}
	for _, c := range checks {
		wantKind(t, c.err, errs.NotFound, "agency A reaching agency B's record via "+c.what)
	}
	upd := b.cas
	upd.AgencyID = a.agency.ID
	_, err := s.UpdateCase(ctx, upd)
	wantKind(t, err, errs.NotFound, "agency A updating B's case")
	cs, _, err := s.ListCases(ctx, store.CaseFilter{Agency: a.agency.ID}, store.Page{})
	if err != nil || len(cs) != 1 || cs[0].ID != a.cas.ID {
		t.Errorf("agency A lists %d cases, %v; want only its own", len(cs), err)
	}
	if es, _, _ := s.ListExhibits(ctx, a.agency.ID, b.cas.ID, store.Page{}); len(es) != 0 {
		t.Errorf("agency A lists B's exhibits: %+v", es)
	}
	if cs, _, _ := s.ListCandidates(ctx, store.CandidateFilter{Agency: a.agency.ID, Run: runB.ID}, store.Page{}); len(cs) != 0 {
		t.Errorf("agency A lists B's candidates: %+v", cs)
	}
}

func second[T any](_ T, err error) error        { return err }
func third[T, U any](_ T, _ U, err error) error { return err }

func testBadInput(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	checks := []struct {
		what string
		err  error
	}{
		{"malformed case id", second(s.Case(ctx, f.agency.ID, "1 OR 1=1"))},
		{"malformed agency id", second(s.Case(ctx, "'; DROP TABLE cases; --", f.cas.ID))},
		{"empty case number", second(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID}))},
		{"control character", second(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "A\x00B"}))},
		{"bad status", second(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "X", Status: "lost"}))},
		{"latitude out of range", second(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "X", Location: &domain.GeoPoint{Lat: 91}}))},
		{"NaN longitude", second(s.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "X", Location: &domain.GeoPoint{Lon: math.NaN()}}))},
		{"bad exhibit kind", second(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: f.cas.ID, Label: "X", Kind: "knife", Role: domain.RoleCrimeScene}))},
		{"negative lands", second(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: f.cas.ID, Label: "X", Kind: domain.KindBullet, Role: domain.RoleCrimeScene, Class: domain.ClassCharacteristics{Lands: -1}}))},
		{"bad twist", second(s.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: f.cas.ID, Label: "X", Kind: domain.KindBullet, Role: domain.RoleCrimeScene, Class: domain.ClassCharacteristics{Twist: "sideways"}}))},
		{"scan without file", third(s.PutScan(ctx, domain.Scan{AgencyID: f.agency.ID, ExhibitID: f.exhibit.ID, Format: domain.FormatX3P}))},
		{"bad scan format", third(s.PutScan(ctx, domain.Scan{AgencyID: f.agency.ID, ExhibitID: f.exhibit.ID, Original: blob.RefOf(nil), Format: "bmp"}))},
		{"run params not JSON", second(s.CreateRun(ctx, domain.CorrelationRun{AgencyID: f.agency.ID, QueryScan: domain.ScanID(f.cas.ID), Params: json.RawMessage("{")}))},
		{"bad review status", third(s.ReviewCandidate(ctx, domain.CandidateReview{AgencyID: f.agency.ID, CandidateID: domain.CandidateID(f.cas.ID), By: f.user.ID, Status: "maybe"}))},
		{"bad candidate status filter", third(s.ListCandidates(ctx, store.CandidateFilter{Agency: f.agency.ID, Run: domain.RunID(f.cas.ID), Statuses: []domain.ReviewStatus{"x"}}, store.Page{}))},
		{"cursor too long", third(s.ListCases(ctx, store.CaseFilter{Agency: f.agency.ID}, store.Page{Cursor: string(make([]byte, 300))}))},
	}
	for _, c := range checks {
		wantKind(t, c.err, errs.Invalid, c.what)
	}
	// The store still works and nothing was half-written.
	cs, _, err := s.ListCases(ctx, store.CaseFilter{Agency: f.agency.ID}, store.Page{})
	if err != nil || len(cs) != 1 {
		t.Errorf("after bad input: %d cases, %v; want 1", len(cs), err)
	}
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// equalJSON compares two values by their JSON forms (JSON texts inside are
// compared semantically, since PostgreSQL may reformat them).
func equalJSON(a, b any) bool {
	var x, y any
	if errors.Join(json.Unmarshal([]byte(js(a)), &x), json.Unmarshal([]byte(js(b)), &y)) != nil {
		return false
	}
	return js(x) == js(y)
}

// testBulk writes many records in one transaction, and checks that a
// transaction whose function fails keeps nothing.
func testBulk(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	const n = 60
	err := s.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "BULK"})
		if err != nil {
			return err
		}
		for i := range n {
			e, err := tx.CreateExhibit(ctx, domain.Exhibit{AgencyID: f.agency.ID, CaseID: c.ID, Label: fmt.Sprint("E", i),
				Kind: domain.KindCartridgeCase, Role: domain.RoleReference})
			if err != nil {
				return err
			}
			sc, created, err := tx.PutScan(ctx, domain.Scan{AgencyID: f.agency.ID, ExhibitID: e.ID,
				Original: blob.RefOf([]byte(fmt.Sprint("bulk", i))), Format: domain.FormatX3P})
			if err != nil {
				return err
			}
			if !created || sc.ExhibitID != e.ID {
				return fmt.Errorf("scan %d: created %v on exhibit %s", i, created, sc.ExhibitID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := get(s.CaseByNumber(ctx, f.agency.ID, "BULK")).must(t)
	es, _, err := s.ListExhibits(ctx, f.agency.ID, c.ID, store.Page{Limit: store.MaxLimit})
	if err != nil || len(es) != n {
		t.Fatalf("bulk load stored %d exhibits, %v; want %d", len(es), err, n)
	}

	boom := errors.New("abandon the batch")
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "ROLLED-BACK"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("InTx returned %v, want the function's error", err)
	}
	_, err = s.CaseByNumber(ctx, f.agency.ID, "ROLLED-BACK")
	wantKind(t, err, errs.NotFound, "a case written in a failed transaction")

	err = s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "HALF"}); err != nil {
			return err
		}
		_, err := tx.CreateCase(ctx, domain.Case{AgencyID: f.agency.ID, Number: "BULK"}) // duplicate
		return err
	})
	wantKind(t, err, errs.Conflict, "duplicate inside a transaction")
	_, err = s.CaseByNumber(ctx, f.agency.ID, "HALF")
	wantKind(t, err, errs.NotFound, "the first write of a transaction that failed later")
}
