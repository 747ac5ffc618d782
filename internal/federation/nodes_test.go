package federation_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// testNode is one tracemark node of its own agency, with its own data
// directory, SQLite database, blob folder, keys and TLS certificate,
// answering federated searches over real HTTPS with mutual TLS on loopback.
type testNode struct {
	name    string
	dir     string
	st      *store.Store
	blobs   *local.Storage
	agency  domain.Agency
	user    domain.User
	corr    *server.Correlator
	ing     *ingest.Ingester
	fed     *federation.Node
	stop    context.CancelFunc
	stopped chan error
	addr    string // the federation listener's address
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// nodeOptions vary a test node.
type nodeOptions struct {
	cert     *federation.Cert    // default: LoadOrCreateCert in the data dir
	searcher federation.Searcher // default: the node's correlator
	timeout  time.Duration
	maxFull  int
	maxConc  int
}

func startNode(t *testing.T, name, code, country string, opt nodeOptions) *testNode {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{name: name, dir: dir, st: st, blobs: blobs}
	if n.agency, err = st.CreateAgency(ctx, domain.Agency{Code: code, Name: name + " laboratory", Country: country}); err != nil {
		t.Fatal(err)
	}
	if n.user, err = st.CreateUser(ctx, domain.User{AgencyID: n.agency.ID, Username: "liaison-" + name,
		Roles: []domain.Role{domain.RoleLiaison, domain.RoleExaminer}}); err != nil {
		t.Fatal(err)
	}
	if n.corr, err = server.NewCorrelator(st, blobs, quiet); err != nil {
		t.Fatal(err)
	}
	n.ing = &ingest.Ingester{Store: st, Blobs: blobs, OnIndexed: func(ctx context.Context, sc domain.Scan) {
		if err := n.corr.Add(ctx, sc); err != nil {
			t.Errorf("%s: index scan %s: %v", name, sc.ID, err)
		}
	}, Log: quiet}
	id, err := exchange.LoadOrCreateIdentity(dir, exchange.NodeInfo{Node: name, AgencyID: n.agency.ID, Agency: code, Country: country})
	if err != nil {
		t.Fatal(err)
	}
	cert := opt.cert
	if cert == nil {
		if cert, err = federation.LoadOrCreateCert(dir, name, 0); err != nil {
			t.Fatal(err)
		}
	}
	key, err := audit.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var searcher federation.Searcher = server.FederationSearcher{C: n.corr}
	if opt.searcher != nil {
		searcher = opt.searcher
	}
	n.fed, err = federation.New(federation.Config{Store: st, Blobs: blobs, Identity: id, Cert: cert, Searcher: searcher,
		Audit: audit.New(st, key), URL: "https://" + ln.Addr().String(), PeerTimeout: opt.timeout, MaxFull: opt.maxFull, MaxConcurrent: opt.maxConc, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	n.addr = ln.Addr().String()
	n.serve(ln)
	t.Cleanup(n.shutdown)
	return n
}

func (n *testNode) serve(ln net.Listener) {
	sctx, cancel := context.WithCancel(context.Background())
	n.stop, n.stopped = cancel, make(chan error, 1)
	go func() { n.stopped <- n.fed.Serve(sctx, ln) }()
}

// restart serves peers again on the node's address after shutdown.
func (n *testNode) restart(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", n.addr)
	if err != nil {
		t.Fatalf("%s: listen again on %s: %v", n.name, n.addr, err)
	}
	n.serve(ln)
}

// shutdown stops the node's federation listener (idempotent).
func (n *testNode) shutdown() {
	if n.stop == nil {
		return
	}
	n.stop()
	<-n.stopped
	n.stop = nil
}

// trust registers peer on n from peer's card, as an operator would.
func (n *testNode) trust(t *testing.T, peer *testNode) {
	t.Helper()
	p, err := peer.fed.Card().Peer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.st.AddPeer(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func (n *testNode) fingerprint() string { return n.fed.Card().Fingerprint }

// ingest stores a scan file as a crime-scene cartridge case of a new case.
func (n *testNode) ingest(t *testing.T, caseNumber, path string) domain.Scan {
	t.Helper()
	ctx := context.Background()
	c, err := n.st.CreateCase(ctx, domain.Case{AgencyID: n.agency.ID, Number: caseNumber, CreatedBy: n.user.ID})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := n.st.CreateExhibit(ctx, domain.Exhibit{AgencyID: n.agency.ID, CaseID: c.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.ing.Ingest(ctx, ingest.Request{Agency: n.agency.ID, Actor: n.user.ID, Exhibit: ex.ID, Name: filepath.Base(path), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scan.Features.IsZero() {
		t.Fatalf("%s: ingested scan has no search features", n.name)
	}
	return res.Scan
}

// share lets peer search n's exhibits at detail.
func (n *testNode) share(t *testing.T, peer *testNode, detail exchange.Detail, kinds ...exchange.RecordKind) exchange.SharingRule {
	t.Helper()
	if len(kinds) == 0 {
		kinds = []exchange.RecordKind{exchange.ShareExhibits}
	}
	r, err := n.st.CreateSharingRule(context.Background(), exchange.SharingRule{Owner: n.agency.ID, Peer: peer.fingerprint(),
		Kinds: kinds, Detail: detail, CreatedBy: n.user.ID})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// query prepares an outgoing search from a scan file.
func (n *testNode) query(t *testing.T, path string) federation.Outgoing {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ingest.Analyse(data, filepath.Base(path), ingest.KindCartridge, 0)
	if err != nil {
		t.Fatal(err)
	}
	o := federation.Outgoing{Agency: n.agency.ID, User: n.user.ID, Name: filepath.Base(path), K: 5}
	if err := federation.QueryFromAnalysis(&o, a); err != nil {
		t.Fatal(err)
	}
	return o
}

func (n *testNode) search(t *testing.T, o federation.Outgoing) *federation.Result {
	t.Helper()
	res, err := n.fed.Search(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func peerResult(t *testing.T, res *federation.Result, node string) federation.PeerResult {
	t.Helper()
	for _, p := range res.Peers {
		if p.Node == node {
			return p
		}
	}
	t.Fatalf("no result for peer %s in %+v", node, res.Peers)
	return federation.PeerResult{}
}

func candidatesFrom(res *federation.Result, node string) []federation.Candidate {
	var out []federation.Candidate
	for _, c := range res.Candidates {
		if c.Node == node {
			out = append(out, c)
		}
	}
	return out
}

// auditActions returns the actions in n's audit log.
func (n *testNode) auditActions(t *testing.T) map[string]int {
	t.Helper()
	rows, err := n.st.AuditRows(context.Background(), store.AuditFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Action]++
	}
	return out
}

func (n *testNode) auditKey(t *testing.T) ed25519.PublicKey {
	t.Helper()
	key, err := audit.LoadOrCreateKey(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	return key.Public().(ed25519.PublicKey)
}

func wantError(t *testing.T, p federation.PeerResult, substr string) {
	t.Helper()
	if p.OK || !strings.Contains(p.Error, substr) {
		t.Errorf("peer %s: ok %v, error %q; want a failure mentioning %q", p.Node, p.OK, p.Error, substr)
	}
}
