package server

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
)

// FederationSearcher lets peers search this node's corpus
// (federation.Searcher): a peer's query runs through the same pipeline as
// a local search, on one agency's index at a time; the best Full of the K
// candidates are compared in full, the others carry their coarse score.
type FederationSearcher struct{ C *Correlator }

// Search implements federation.Searcher.
func (f FederationSearcher) Search(ctx context.Context, agency domain.AgencyID, q federation.Query) ([]federation.Match, error) {
	full := q.Full
	if full == 0 {
		full = -1 // coarse ranking only
	}
	cands, _, err := f.C.Search(ctx, Query{Agency: agency, Kind: q.Kind, Class: searchClass(q.Kind, q.Class), Surface: q.Surface,
		Lands: q.Lands, Features: q.Features, Name: q.Name, K: q.K, Full: full})
	if err != nil {
		return nil, err
	}
	out := make([]federation.Match, len(cands))
	for i, c := range cands {
		var reg Registration
		if err := json.Unmarshal(c.Registration, &reg); err != nil {
			return nil, fmt.Errorf("server: federation candidate %s: %w", c.Scan, err)
		}
		out[i] = federation.Match{Scan: c.Scan, Compared: !reg.CoarseOnly, Coarse: reg.CoarseScore}
		if !reg.CoarseOnly {
			out[i].Score, out[i].Log10LR = c.Score, c.Calibrated
		}
	}
	return out, nil
}

// FederationConfig sets up exchange and federation with peer nodes.
type FederationConfig struct {
	// Addr is the HOST:PORT of the federation listener (mutual TLS);
	// empty: this node answers no peers (it can still export, import and
	// search them).
	Addr string
	// URL is the address peers call, for the node's card (default
	// https://Addr).
	URL string
	// Node names this node to its peers (default: the agency code,
	// lower-cased); Country is its ISO 3166-1 alpha-2 code (default: the
	// default agency's). Without a country, exchange and federation are off.
	Node, Country string
	// RetryEvery is how often a serving node retries trace request
	// changes that did not reach their peer (default 5 minutes).
	RetryEvery time.Duration
}

// openFederation loads (or makes, on first start) the node's exchange
// identity and federation certificate under the data directory. It returns
// nil, after logging why, when the node has no country.
func (n *Node) openFederation() (*federation.Node, error) {
	fc := n.Cfg.Federation
	country := fc.Country
	if country == "" {
		country = n.Agency.Country
	}
	if country == "" {
		n.log.Debug("exchange and federation are off: the node has no country (set one for the default agency or --country)")
		return nil, nil
	}
	name := fc.Node
	if name == "" {
		name = strings.ToLower(n.Agency.Code)
	}
	id, err := exchange.LoadOrCreateIdentity(n.Cfg.DataDir, exchange.NodeInfo{Node: name, AgencyID: n.Agency.ID, Agency: n.Agency.Code, Country: country})
	if err != nil {
		return nil, fmt.Errorf("loading the node's exchange identity: %w", err)
	}
	cert, err := federation.LoadOrCreateCert(n.Cfg.DataDir, name, 0)
	if err != nil {
		return nil, fmt.Errorf("loading the node's federation certificate: %w", err)
	}
	if time.Now().After(cert.Leaf.NotAfter) {
		n.log.Warn("the federation certificate has expired: peers will refuse this node; make a new one and send peers the new card",
			"file", filepath.Join(n.Cfg.DataDir, federation.CertFile), "expired", cert.Leaf.NotAfter)
	}
	url := fc.URL
	if url == "" && fc.Addr != "" {
		url = "https://" + fc.Addr
	}
	return federation.New(federation.Config{Store: n.Store, Blobs: n.Blobs, Identity: id, Cert: cert,
		Searcher: FederationSearcher{C: n.Corr}, Audit: n.Audit, URL: url, Log: n.log})
}

// startFederation serves peers on Cfg.Federation.Addr until ctx ends; the
// returned function waits for the listener to stop.
func (n *Node) startFederation(ctx context.Context) (wait func()) {
	if n.Federation == nil || n.Cfg.Federation.Addr == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := n.Federation.ListenAndServe(ctx, n.Cfg.Federation.Addr, func(addr string) {
			n.log.Info("serving peers (mutual TLS)", "addr", addr, "card", n.Federation.Card().Fingerprint)
		})
		if err != nil {
			n.log.Error("federation listener stopped", "err", err)
		}
	}()
	retried := make(chan struct{})
	go func() {
		defer close(retried)
		n.retryTraces(ctx)
	}()
	return func() { <-done; <-retried }
}

// retryTraces delivers pending trace request changes to their peers every
// Cfg.Federation.RetryEvery until ctx ends.
func (n *Node) retryTraces(ctx context.Context) {
	every := n.Cfg.Federation.RetryEvery
	if every <= 0 {
		every = 5 * time.Minute
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		delivered, pending, err := n.Federation.RetryPending(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			n.log.Error("retrying trace request deliveries", "err", err)
		case delivered+pending > 0:
			n.log.Info("trace request deliveries retried", "delivered", delivered, "still_pending", pending)
		}
	}
}
