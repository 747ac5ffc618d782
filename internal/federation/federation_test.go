package federation_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// Two firings of the same Ruger slide (Fadul 1-1 and 1-2, processed), kept
// in the x3p package's test data.
var (
	fadul11 = filepath.Join("..", "x3p", "testdata", "Fadul 1-1.x3p")
	fadul12 = filepath.Join("..", "x3p", "testdata", "Fadul 1-2.x3p")
)

// TestThreeNodes is the federation target: Kazakh, Uzbek and Kyrgyz
// laboratories, each its own node, database and data directory, on
// loopback with mutual TLS. A cartridge case ingested in Kazakhstan is found
// from Uzbekistan with its origin; revoking the sharing rule hides it; a
// bundle moves it with its origin, and a tampered or repeated bundle is
// refused; a stopped peer is reported while the others answer; a revoked
// peer is refused; both sides audit every exchange.
func TestThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes and compares real scans")
	}
	ctx := context.Background()
	// Generous timeouts: under -race on a shared machine one search takes
	// tens of seconds; the timeout itself is tested in TestRefusals.
	kz := startNode(t, "kz-mia", "KZ-MIA", "KZ", nodeOptions{timeout: 5 * time.Minute})
	uz := startNode(t, "uz-mfc", "UZ-MFC", "UZ", nodeOptions{timeout: 5 * time.Minute})
	kg := startNode(t, "kg-mia", "KG-MIA", "KG", nodeOptions{timeout: 5 * time.Minute})
	for _, a := range []*testNode{kz, uz, kg} {
		for _, b := range []*testNode{kz, uz, kg} {
			if a != b {
				a.trust(t, b)
			}
		}
	}
	scan := kz.ingest(t, "KZ-2025-117", fadul11)
	rule := kz.share(t, uz, exchange.DetailThumbnails)
	query := uz.query(t, fadul12)

	// Found from Uzbekistan, with its origin and a thumbnail, not the scan.
	res := uz.search(t, query)
	if res.Failed != 0 {
		t.Fatalf("peers failed: %+v", res.Peers)
	}
	got := candidatesFrom(res, "kz-mia")
	if len(got) != 1 || got[0].Scan != scan.ID {
		t.Fatalf("candidates from kz-mia: %+v; want scan %s", got, scan.ID)
	}
	c := got[0]
	if c.Country != "KZ" || c.Agency != "KZ-MIA" || c.Detail != exchange.DetailThumbnails || c.Fingerprint != kz.fingerprint() {
		t.Errorf("candidate origin: %s/%s detail %s key %s", c.Country, c.Agency, c.Detail, c.Fingerprint)
	}
	if len(c.Original) != 0 {
		t.Error("the original scan left Kazakhstan although the rule allows only thumbnails")
	}
	if _, err := png.Decode(bytes.NewReader(c.Thumbnail)); err != nil {
		t.Errorf("thumbnail is not a PNG: %v", err)
	}
	t.Logf("found %s from uz-mfc: score %.2f, log10 LR %v, %.0f ms", c.Scan, c.Score, deref(c.Log10LR), res.ElapsedMS)
	if kgAnswer := peerResult(t, res, "kg-mia"); !kgAnswer.OK || kgAnswer.Candidates != 0 {
		t.Errorf("kg-mia holds nothing but answered %+v", kgAnswer)
	}

	// Kyrgyzstan has no rule from Kazakhstan: it learns nothing.
	kgRes := kg.search(t, kg.query(t, fadul12))
	if n := len(candidatesFrom(kgRes, "kz-mia")); n != 0 {
		t.Errorf("kg-mia got %d candidates from kz-mia without a sharing rule", n)
	}
	if a := peerResult(t, kgRes, "kz-mia"); len(a.Agencies) != 1 || a.Agencies[0].Detail != exchange.DetailNone {
		t.Errorf("kz-mia's answer to kg-mia: %+v; want one agency refusing", a.Agencies)
	}

	// Revoked: no longer found.
	if _, err := kz.st.RevokeSharingRule(ctx, kz.agency.ID, rule.ID, kz.user.ID); err != nil {
		t.Fatal(err)
	}
	res = uz.search(t, query)
	if n := len(candidatesFrom(res, "kz-mia")); n != 0 || peerResult(t, res, "kz-mia").OK != true {
		t.Errorf("after revoking the rule kz-mia still returns %d candidates (%+v)", n, peerResult(t, res, "kz-mia"))
	}

	// A signed bundle carries the exhibit to Uzbekistan with its origin,
	// once Kazakhstan's rules let exhibits go there in full.
	var bundle bytes.Buffer
	sel := federation.Selection{To: uz.fingerprint(), Exhibits: []domain.ExhibitID{scan.ExhibitID}}
	if _, err := kz.fed.Export(ctx, &bundle, kz.agency.ID, kz.user.ID, sel); errs.KindOf(err) != errs.Permission || !strings.Contains(err.Error(), "exhibits") {
		t.Fatalf("export without a sharing rule: %v; want refused naming exhibits", err)
	}
	kz.share(t, uz, exchange.DetailFull)
	m, err := kz.fed.Export(ctx, &bundle, kz.agency.ID, kz.user.ID, sel)
	if err != nil {
		t.Fatal(err)
	}
	tampered := tamper(t, bundle.Bytes())
	_, err = uz.fed.Import(ctx, uz.agency.ID, uz.user.ID, uz.ing, bytes.NewReader(tampered), int64(len(tampered)))
	var te *exchange.TamperError
	if !errors.As(err, &te) || !strings.Contains(te.Member, "records/exhibits/") {
		t.Errorf("tampered bundle: %v; want a TamperError naming the exhibit record", err)
	}
	if _, err := uz.st.Exhibit(ctx, uz.agency.ID, scan.ExhibitID); errs.KindOf(err) != errs.NotFound {
		t.Errorf("the refused bundle left its exhibit behind: %v", err)
	}
	imp, err := uz.fed.Import(ctx, uz.agency.ID, uz.user.ID, uz.ing, bytes.NewReader(bundle.Bytes()), int64(bundle.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Counts.Scans != 1 || imp.Counts.Exhibits != 1 || imp.Origin.Country != "KZ" || imp.Origin.BundleID != m.BundleID || imp.Indexed != 1 {
		t.Errorf("import: %+v", imp)
	}
	if _, err := uz.fed.Import(ctx, uz.agency.ID, uz.user.ID, uz.ing, bytes.NewReader(bundle.Bytes()), int64(bundle.Len())); errs.KindOf(err) != errs.Conflict {
		t.Errorf("second import of the bundle: %v; want a conflict", err)
	}
	// The imported exhibit keeps its Kazakh origin when Uzbekistan shares it on.
	uz.share(t, kg, exchange.DetailScores)
	kgRes = kg.search(t, kg.query(t, fadul12))
	fromUZ := candidatesFrom(kgRes, "uz-mfc")
	if len(fromUZ) != 1 || fromUZ[0].Country != "KZ" || fromUZ[0].Agency != "KZ-MIA" || len(fromUZ[0].Thumbnail) != 0 {
		t.Errorf("kg-mia's candidates from uz-mfc: %+v; want kz-mia's exhibit with its origin, scores only", fromUZ)
	}

	// A stopped peer is reported; the others' results still come back.
	kz.share(t, uz, exchange.DetailScores)
	kg.shutdown()
	res = uz.search(t, query)
	wantError(t, peerResult(t, res, "kg-mia"), "kg-mia")
	if got := candidatesFrom(res, "kz-mia"); len(got) != 1 || res.Failed != 1 {
		t.Errorf("with kg-mia down: %d candidates from kz-mia, %d failed; want 1 and 1", len(got), res.Failed)
	}

	// A revoked peer is refused, with the reason.
	if _, err := kz.st.RevokePeer(ctx, uz.fingerprint(), "laptop stolen"); err != nil {
		t.Fatal(err)
	}
	res = uz.search(t, query)
	wantError(t, peerResult(t, res, "kz-mia"), "revoked")

	// Audited on both sides, and both chains verify.
	kzActions, uzActions := kz.auditActions(t), uz.auditActions(t)
	for action, min := range map[string]int{"federation.search.served": 3, "federation.search.refused": 1, "exchange.export": 1, "exchange.export.refused": 1} {
		if kzActions[action] < min {
			t.Errorf("kz-mia audit has %d %s entries, want ≥ %d (%v)", kzActions[action], action, min, kzActions)
		}
	}
	for action, min := range map[string]int{"federation.search.sent": 4, "exchange.import": 1, "exchange.import.refused": 2, "federation.search.served": 1} {
		if uzActions[action] < min {
			t.Errorf("uz-mfc audit has %d %s entries, want ≥ %d (%v)", uzActions[action], action, min, uzActions)
		}
	}
	for _, n := range []*testNode{kz, uz} {
		rep, err := audit.Verify(ctx, n.st, n.auditKey(t))
		if err != nil || rep.Problem != nil || rep.Entries == 0 {
			t.Errorf("%s audit chain: %+v, %v", n.name, rep, err)
		}
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// tamper rewrites the exhibit record of a bundle (its label), keeping the
// signed manifest: the hash no longer matches.
func tamper(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f.Name, "records/exhibits/") {
			b = bytes.Replace(b, []byte(`"label": "E1"`), []byte(`"label": "E9"`), 1)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// slowSearcher never answers before its context ends.
type slowSearcher struct{}

func (slowSearcher) Search(ctx context.Context, _ domain.AgencyID, _ federation.Query) ([]federation.Match, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestRefusals covers the bad peers: unknown, expired certificate, a
// certificate that is not the pinned one, and one that does not answer in
// time (the search returns and says which peer failed).
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	expired, err := federation.NewCert("tj-expired", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kz := startNode(t, "kz-mia", "KZ-MIA", "KZ", nodeOptions{timeout: 2 * time.Second})
	stranger := startNode(t, "tj-unknown", "TJ-MIA", "TJ", nodeOptions{})
	old := startNode(t, "tj-expired", "TJ-MVD", "TJ", nodeOptions{cert: expired})
	slow := startNode(t, "tm-slow", "TM-MIA", "TM", nodeOptions{searcher: slowSearcher{}})
	stranger.trust(t, kz) // kz does not know the stranger
	old.trust(t, kz)
	kz.trust(t, old)
	kz.trust(t, slow)
	slow.trust(t, kz)
	slow.share(t, kz, exchange.DetailScores)
	q := kz.query(t, fadul12)

	res := stranger.search(t, stranger.query(t, fadul12))
	wantError(t, peerResult(t, res, "kz-mia"), "unknown peer")

	res = old.search(t, old.query(t, fadul12))
	wantError(t, peerResult(t, res, "kz-mia"), "expired")

	// kz calling the expired node refuses its server certificate too; the
	// slow node is reported as not answering; the search itself returns.
	start := time.Now()
	res = kz.search(t, q)
	wantError(t, peerResult(t, res, "tj-expired"), "expired")
	wantError(t, peerResult(t, res, "tm-slow"), "did not answer within")
	if res.Failed != 2 {
		t.Errorf("failed peers %d, want 2", res.Failed)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the search waited %s for a peer that does not answer", d)
	}

	// A peer whose certificate is not the pinned one is refused by the caller.
	p, err := slow.fed.Card().Peer()
	if err != nil {
		t.Fatal(err)
	}
	p.CertFingerprint = "SHA256:" + strings.Repeat("ab", 32)
	if _, err := kz.st.AddPeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	res = kz.search(t, federation.Outgoing{Agency: q.Agency, Kind: q.Kind, Features: q.Features, Processed: q.Processed, K: 1, Peers: []string{slow.fingerprint()}})
	wantError(t, peerResult(t, res, "tm-slow"), "not the pinned")

	// Searching a revoked or unknown peer by name is refused before sending.
	if _, err := kz.fed.Search(ctx, federation.Outgoing{Kind: q.Kind, Features: q.Features, Processed: q.Processed, Peers: []string{"SHA256:00"}}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("search of an unknown peer: %v; want invalid", err)
	}
	if _, err := kz.fed.Search(ctx, federation.Outgoing{Kind: "cartridge", Features: []byte("junk"), Processed: q.Processed}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("search with junk features: %v; want invalid", err)
	}
	if a := kz.auditActions(t); a["federation.search.refused"] < 2 {
		t.Errorf("kz-mia audited %d refusals, want ≥ 2 (unknown peer, expired certificate): %v", a["federation.search.refused"], a)
	}
}

// fullRecorder answers k coarse-ranked matches, the first q.Full compared,
// and records the Full it was asked for.
type fullRecorder struct {
	asked chan int
	scans []domain.ScanID
}

func (r fullRecorder) Search(_ context.Context, _ domain.AgencyID, q federation.Query) ([]federation.Match, error) {
	r.asked <- q.Full
	var out []federation.Match
	for i := range q.K {
		m := federation.Match{Scan: r.scans[i], Coarse: float64(q.K - i)}
		if i < q.Full {
			lr := float64(10 - i)
			m.Compared, m.Score, m.Log10LR = true, float64(i), &lr // full scores in the other order
		}
		out = append(out, m)
	}
	return out, nil
}

// TestFullComparisons checks that the asker says how many full
// comparisons it wants, the peer caps them at its own limit, and the
// candidates say which were compared, compared ones first.
func TestFullComparisons(t *testing.T) {
	rec := &fullRecorder{asked: make(chan int, 4)}
	kz := startNode(t, "kz-mia", "KZ-MIA", "KZ", nodeOptions{})
	uz := startNode(t, "uz-mfc", "UZ-MFC", "UZ", nodeOptions{searcher: rec, maxFull: 2})
	rec.scans = uz.placeholderScans(t, 5)
	kz.trust(t, uz)
	uz.trust(t, kz)
	uz.share(t, kz, exchange.DetailScores)
	q := kz.query(t, fadul12)
	for _, tc := range []struct {
		name       string
		k, full    int
		wantAsked  int
		wantCompar int
	}{
		{"default", 5, 0, federation.DefaultFull - 1, 2}, // DefaultFull 3, capped at the peer's 2
		{"capped", 5, 4, 2, 2},
		{"one", 5, 1, 1, 1},
		{"coarse only", 5, -1, 0, 0},
		{"more than k", 1, 4, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := q
			o.K, o.Full, o.Peers = tc.k, tc.full, []string{uz.fingerprint()}
			res := kz.search(t, o)
			if got := <-rec.asked; got != tc.wantAsked {
				t.Errorf("peer was asked for %d full comparisons, want %d", got, tc.wantAsked)
			}
			cands := candidatesFrom(res, "uz-mfc")
			if len(cands) != tc.k {
				t.Fatalf("%d candidates, want %d", len(cands), tc.k)
			}
			compared := 0
			for i, c := range cands {
				if c.Compared {
					compared++
					if i >= tc.wantCompar {
						t.Errorf("compared candidate at %d after coarse-only ones", i)
					}
				} else if c.Score != 0 || c.Log10LR != nil {
					t.Errorf("coarse-only candidate %d carries a full score %v", i, c.Score)
				}
				if i > 0 && c.Compared == cands[i-1].Compared {
					if c.Compared && c.Score > cands[i-1].Score || !c.Compared && c.CoarseScore > cands[i-1].CoarseScore {
						t.Errorf("candidates %d and %d out of order: %+v, %+v", i-1, i, cands[i-1], c)
					}
				}
			}
			if compared != tc.wantCompar || peerResult(t, res, "uz-mfc").Agencies[0].Compared != tc.wantCompar {
				t.Errorf("%d compared (agency says %d), want %d", compared, peerResult(t, res, "uz-mfc").Agencies[0].Compared, tc.wantCompar)
			}
		})
	}
}

// placeholderScans stores n exhibits with a scan record each (no file: a
// searcher that makes up its matches needs only their IDs).
func (n *testNode) placeholderScans(t *testing.T, count int) []domain.ScanID {
	t.Helper()
	ctx := context.Background()
	var out []domain.ScanID
	err := n.st.InTx(ctx, func(tx *store.Tx) error {
		cas, err := tx.CreateCase(ctx, domain.Case{AgencyID: n.agency.ID, Number: "PLACEHOLDER-1"})
		if err != nil {
			return err
		}
		for i := range count {
			ex, err := tx.CreateExhibit(ctx, domain.Exhibit{AgencyID: n.agency.ID, CaseID: cas.ID, Label: fmt.Sprintf("P%d", i),
				Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
			if err != nil {
				return err
			}
			content := []byte(ex.Label)
			sc, _, err := tx.PutScan(ctx, domain.Scan{AgencyID: n.agency.ID, ExhibitID: ex.ID, Original: blob.RefOf(content), Size: int64(len(content)), Format: domain.FormatX3P})
			if err != nil {
				return err
			}
			out = append(out, sc.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportRules checks that the agency's sharing rules govern bundles:
// each kind of record needs a rule granting it to the named peer in full,
// and an unknown or revoked peer gets nothing.
func TestExportRules(t *testing.T) {
	ctx := context.Background()
	kz := startNode(t, "kz-mia", "KZ-MIA", "KZ", nodeOptions{})
	uz := startNode(t, "uz-mfc", "UZ-MFC", "UZ", nodeOptions{})
	kz.trust(t, uz)
	uz.trust(t, kz)
	f, err := kz.st.CreateFirearm(ctx, tracing.Firearm{AgencyID: kz.agency.ID, Make: "Makarov", Model: "PM", Type: tracing.TypePistol,
		SerialNumber: "KM1234", Status: tracing.StatusSeized}, nil)
	if err != nil {
		t.Fatal(err)
	}
	export := func(sel federation.Selection) error {
		_, err := kz.fed.Export(ctx, io.Discard, kz.agency.ID, kz.user.ID, sel)
		return err
	}
	firearm := federation.Selection{To: uz.fingerprint(), Firearms: []tracing.FirearmID{f.ID}}
	cases := []struct {
		name string
		sel  federation.Selection
		kind errs.Kind
		says string
	}{
		{"no peer named", federation.Selection{Firearms: firearm.Firearms}, errs.Invalid, "name the peer"},
		{"unknown peer", federation.Selection{To: "SHA256:00", Firearms: firearm.Firearms}, errs.Invalid, "unknown peer"},
		{"no rule", firearm, errs.Permission, "firearms"},
	}
	for _, tc := range cases {
		if err := export(tc.sel); errs.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v; want %v saying %q", tc.name, err, tc.kind, tc.says)
		}
	}
	// A rule for exhibits, or for firearms at less than full, is not enough.
	kz.share(t, uz, exchange.DetailFull, exchange.ShareExhibits)
	kz.share(t, uz, exchange.DetailThumbnails, exchange.ShareFirearms)
	if err := export(firearm); errs.KindOf(err) != errs.Permission || !strings.Contains(err.Error(), "allows only thumbnails") {
		t.Errorf("firearms shared as thumbnails: %v; want refused with the rule's reason", err)
	}
	kz.share(t, uz, exchange.DetailFull, exchange.ShareFirearms)
	if err := export(firearm); err != nil {
		t.Errorf("firearms shared in full: %v", err)
	}
	if _, err := kz.st.RevokePeer(ctx, uz.fingerprint(), "key compromised"); err != nil {
		t.Fatal(err)
	}
	if err := export(firearm); errs.KindOf(err) != errs.Permission || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("export to a revoked peer: %v; want refused", err)
	}
	if n := kz.auditActions(t)["exchange.export.refused"]; n != 5 {
		t.Errorf("kz-mia audited %d refused exports, want 5 (every refusal)", n)
	}
}

// concurrencyMeter is a searcher that takes a while and records how many
// of its searches ran at once.
type concurrencyMeter struct {
	mu        sync.Mutex
	now, peak int
}

func (m *concurrencyMeter) Search(ctx context.Context, _ domain.AgencyID, _ federation.Query) ([]federation.Match, error) {
	m.mu.Lock()
	m.now++
	m.peak = max(m.peak, m.now)
	m.mu.Unlock()
	defer func() { m.mu.Lock(); m.now--; m.mu.Unlock() }()
	select {
	case <-time.After(200 * time.Millisecond):
	case <-ctx.Done():
	}
	return nil, ctx.Err()
}

// TestPeerSearchesBounded checks that a node runs at most MaxConcurrent
// peer searches at once and that the others wait for their turn.
func TestPeerSearchesBounded(t *testing.T) {
	meter := &concurrencyMeter{}
	uz := startNode(t, "uz-mfc", "UZ-MFC", "UZ", nodeOptions{searcher: meter, maxConc: 1})
	var askers []*testNode
	for _, c := range []string{"KZ", "KG", "TJ"} {
		a := startNode(t, strings.ToLower(c)+"-mia", c+"-MIA", c, nodeOptions{timeout: time.Minute})
		a.trust(t, uz)
		uz.trust(t, a)
		uz.share(t, a, exchange.DetailScores)
		askers = append(askers, a)
	}
	q := askers[0].query(t, fadul12)
	var wg sync.WaitGroup
	results := make([]*federation.Result, len(askers))
	for i, a := range askers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := q
			o.Agency, o.User = a.agency.ID, a.user.ID
			res, err := a.fed.Search(context.Background(), o)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res == nil || res.Failed != 0 {
			t.Errorf("asker %d: %+v", i, res)
		}
	}
	if meter.peak != 1 {
		t.Errorf("%d peer searches ran at once, want 1", meter.peak)
	}
}

// TestServerSearcherFull checks the server's searcher: of the K candidates
// a peer asks for, the best Full are compared in full and the others come
// with their coarse score only.
func TestServerSearcherFull(t *testing.T) {
	if testing.Short() {
		t.Skip("compares real scans")
	}
	kz := startNode(t, "kz-mia", "KZ-MIA", "KZ", nodeOptions{timeout: 5 * time.Minute})
	uz := startNode(t, "uz-mfc", "UZ-MFC", "UZ", nodeOptions{timeout: 5 * time.Minute})
	kz.trust(t, uz)
	uz.trust(t, kz)
	kz.ingest(t, "KZ-1", fadul11)
	kz.ingest(t, "KZ-2", fadul12)
	kz.share(t, uz, exchange.DetailScores)
	q := uz.query(t, fadul12)
	for _, tc := range []struct {
		name          string
		full, compare int
	}{
		{"best one in full", 1, 1},
		{"coarse only", -1, 0},
	} {
		o := q
		o.K, o.Full = 2, tc.full
		got := candidatesFrom(uz.search(t, o), "kz-mia")
		if len(got) != 2 {
			t.Fatalf("%s: %d candidates, want 2", tc.name, len(got))
		}
		compared := 0
		for _, c := range got {
			if c.Compared {
				compared++
				if c.Log10LR == nil {
					t.Errorf("%s: compared candidate without its log10 LR", tc.name)
				}
			} else if c.Score != 0 || c.Log10LR != nil || c.CoarseScore == 0 {
				t.Errorf("%s: coarse-only candidate %+v", tc.name, c)
			}
		}
		if compared != tc.compare || got[0].Compared != (tc.compare > 0) {
			t.Errorf("%s: %d compared (first compared %v), want %d first", tc.name, compared, got[0].Compared, tc.compare)
		}
	}
}
