package federation

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/store"
)

// Outgoing is a search to send to the peers.
type Outgoing struct {
	Agency domain.AgencyID // who asks (audited)
	User   domain.UserID
	// The query, prepared once here: kind "cartridge" or "bullet",
	// Features (search.Features binary) and Processed (the processed
	// surface or land, ingest.Encode*). QueryFromAnalysis fills them.
	Kind      string
	Class     domain.ClassCharacteristics
	Features  []byte
	Processed []byte
	Name      string
	K         int // per agency of each peer (default 10)
	// Full is how many of each agency's K, best coarse first, the peer
	// compares in full (default DefaultFull; -1: coarse ranking only); the
	// peer does at most its own MaxFull.
	Full int
	Want exchange.Detail // default thumbnails
	// Peers limits the search to these key fingerprints (default: every
	// trusted peer with a URL).
	Peers []string
}

// QueryFromAnalysis fills the query fields of o from an analysed file.
func QueryFromAnalysis(o *Outgoing, a *ingest.Analysis) error {
	if a.Features == nil || len(a.Preprocessed) == 0 {
		return errs.Errorf("federation.QueryFromAnalysis", errs.Invalid, "%s has no search features (2D images are not searched yet)", o.Name)
	}
	b, err := a.Features.MarshalBinary()
	if err != nil {
		return errs.E("federation.QueryFromAnalysis", errs.Internal, err)
	}
	o.Kind, o.Features, o.Processed = a.Features.Kind.String(), b, a.Preprocessed
	return nil
}

// DefaultFull is the number of full comparisons per agency a federated
// search asks of each peer by default. Each costs a peer 0.15–0.3 s of
// CPU; the rest of the K candidates come ranked by the coarse stage, so a
// search of three peers holding 10,000 exhibits each stays within seconds.
const DefaultFull = 3

// PeerResult is one peer's part of a federated search.
type PeerResult struct {
	Node        string         `json:"node"`
	Country     string         `json:"country"`
	Fingerprint string         `json:"fingerprint"`
	OK          bool           `json:"ok"`
	Error       string         `json:"error,omitempty"` // why the peer failed: refused, timed out, unreachable
	ElapsedMS   float64        `json:"elapsed_ms"`
	Agencies    []AgencyAnswer `json:"agencies,omitempty"`
	Candidates  int            `json:"candidates"`
}

// Result is a federated search: every peer's outcome and the candidates of
// all that answered, best score first.
type Result struct {
	QueryID    string       `json:"query_id"`
	Peers      []PeerResult `json:"peers"`
	Candidates []Candidate  `json:"candidates"`
	Failed     int          `json:"failed"` // peers that did not answer
	ElapsedMS  float64      `json:"elapsed_ms"`
}

// Search sends o to the peers at once and waits at most PeerTimeout for
// each. A peer that fails (refuses, times out, is down) is reported in
// its PeerResult; the others' candidates are returned all the same. The
// search is audited on this side (and by each peer on its side).
func (n *Node) Search(ctx context.Context, o Outgoing) (*Result, error) {
	const op = "federation.Search"
	start := time.Now()
	if o.K <= 0 {
		o.K = 10
	}
	if o.Want == "" {
		o.Want = exchange.DetailThumbnails
	}
	switch {
	case o.Full == 0:
		o.Full = DefaultFull
	case o.Full < 0:
		o.Full = 0
	}
	var ids domain.IDGen
	req := SearchRequest{QueryID: ids.New(), Kind: o.Kind, Class: o.Class, Features: o.Features, Processed: o.Processed,
		Name: o.Name, K: min(o.K, MaxK), Want: o.Want}
	req.Full = min(o.Full, req.K)
	if _, err := req.decode(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	peers, err := n.targets(ctx, o.Peers)
	if err != nil {
		return nil, err
	}
	res := &Result{QueryID: req.QueryID, Peers: make([]PeerResult, len(peers)), Candidates: []Candidate{}}
	answers := make([]*SearchResponse, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			pr := PeerResult{Node: p.Node, Country: p.Country, Fingerprint: p.Fingerprint}
			resp, err := n.ask(ctx, p, body)
			pr.ElapsedMS = float64(time.Since(t0).Microseconds()) / 1000
			if err != nil {
				pr.Error = err.Error()
			} else {
				pr.OK, pr.Agencies, pr.Candidates = true, resp.Agencies, len(resp.Candidates)
				answers[i] = resp
			}
			res.Peers[i] = pr
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a == nil {
			res.Failed++
			continue
		}
		for _, c := range a.Candidates {
			// The answering node is the one we called, whatever it claims.
			c.Node, c.Fingerprint = peers[i].Node, peers[i].Fingerprint
			res.Candidates = append(res.Candidates, c)
		}
	}
	sort.SliceStable(res.Candidates, func(i, j int) bool { return better(&res.Candidates[i], &res.Candidates[j]) })
	res.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	var summary []map[string]any
	for _, p := range res.Peers {
		summary = append(summary, map[string]any{"node": p.Node, "fingerprint": p.Fingerprint, "ok": p.OK, "error": p.Error, "candidates": p.Candidates})
	}
	n.audit(ctx, audit.Record{Agency: string(o.Agency), Actor: string(o.User), Action: "federation.search.sent", ObjectType: "federated_query",
		ObjectID: req.QueryID, Details: map[string]any{"kind": o.Kind, "want": o.Want, "name": clip(o.Name), "peers": summary}})
	return res, nil
}

// better orders candidates of all peers: those compared in full first,
// by score, then the others by coarse score (the coarse signature score is
// the same computation on every node, so it ranks across peers).
func better(a, b *Candidate) bool {
	if a.Compared != b.Compared {
		return a.Compared
	}
	if a.Compared && a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.CoarseScore > b.CoarseScore
}

// targets returns the trusted peers with a URL (restricted to fps when
// given). An fp that is unknown or revoked is refused.
func (n *Node) targets(ctx context.Context, fps []string) ([]store.Peer, error) {
	const op = "federation.Search"
	all, err := n.cfg.Store.Peers(ctx)
	if err != nil {
		return nil, err
	}
	now := n.cfg.Now()
	if len(fps) == 0 {
		var out []store.Peer
		for _, p := range all {
			if !p.Revoked(now) && p.URL != "" && p.CertFingerprint != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	var out []store.Peer
	for _, fp := range fps {
		p, err := n.cfg.Store.PeerByFingerprint(ctx, fp)
		if err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "unknown peer %s: register it first (tracemark peer add)", clip(fp))
		}
		if p.Revoked(now) {
			return nil, errs.Errorf(op, errs.Invalid, "peer %s was revoked on %s: %s", p.Node, p.RevokedAt.Format(time.RFC3339), p.RevokeReason)
		}
		if p.URL == "" || p.CertFingerprint == "" {
			return nil, errs.Errorf(op, errs.Invalid, "peer %s has no federation URL and certificate registered", p.Node)
		}
		out = append(out, p)
	}
	return out, nil
}

// ask sends a signed search to one peer over mutual TLS.
func (n *Node) ask(ctx context.Context, p store.Peer, body []byte) (*SearchResponse, error) {
	data, err := n.post(ctx, p, SearchPath, body)
	if err != nil {
		return nil, err
	}
	var out SearchResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("peer %s sent an answer that is not JSON: %w", p.Node, err)
	}
	return &out, nil
}

// post sends a signed request to path of peer p over mutual TLS and
// returns the body of its 200 answer; any other answer is an error that
// quotes the peer's reason. It waits at most PeerTimeout.
func (n *Node) post(ctx context.Context, p store.Peer, path string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PeerTimeout)
	defer cancel()
	url := strings.TrimRight(p.URL, "/") + path
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("peer URL %q: %w", p.URL, err)
	}
	date := n.cfg.Now().UTC().Format(time.RFC3339)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set(headerKey, n.cfg.Identity.Fingerprint())
	hr.Header.Set(headerDate, date)
	hr.Header.Set(headerSignature, base64.StdEncoding.EncodeToString(n.cfg.Identity.Sign(signedMessage(http.MethodPost, path, date, body))))
	tr := &http.Transport{TLSClientConfig: n.clientTLS(p), ForceAttemptHTTP2: true, TLSHandshakeTimeout: n.cfg.PeerTimeout}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(hr)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("peer %s did not answer within %s", p.Node, n.cfg.PeerTimeout)
		}
		return nil, fmt.Errorf("peer %s: %w", p.Node, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, n.cfg.MaxResponseBytes+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("peer %s did not answer within %s", p.Node, n.cfg.PeerTimeout)
		}
		return nil, fmt.Errorf("peer %s: reading the answer: %w", p.Node, err)
	}
	if int64(len(data)) > n.cfg.MaxResponseBytes {
		return nil, fmt.Errorf("peer %s answered more than %d MiB", p.Node, n.cfg.MaxResponseBytes>>20)
	}
	if resp.StatusCode != http.StatusOK {
		reason := ""
		var pr problem
		if json.Unmarshal(data, &pr) == nil && pr.Detail != "" {
			reason = ": " + clip(pr.Detail)
		}
		return nil, errs.Errorf("federation.post", kindOfStatus(resp.StatusCode), "peer %s refused (HTTP %d)%s", p.Node, resp.StatusCode, reason)
	}
	return data, nil
}

// kindOfStatus is the error kind of a peer's HTTP answer: its refusals
// keep their meaning, a busy or failing peer is transient.
func kindOfStatus(status int) errs.Kind {
	switch status {
	case http.StatusBadRequest:
		return errs.Invalid
	case http.StatusForbidden:
		return errs.Permission
	case http.StatusNotFound:
		return errs.NotFound
	case http.StatusConflict:
		return errs.Conflict
	case http.StatusRequestEntityTooLarge:
		return errs.TooLarge
	}
	return errs.Transient
}
