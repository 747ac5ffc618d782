package federation

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/store"
)

// Searcher searches one agency's corpus of this node (the server's
// correlator). It must never return another agency's exhibits.
type Searcher interface {
	Search(ctx context.Context, agency domain.AgencyID, q Query) ([]Match, error)
}

// Match is one ranked exhibit of a local search: the first Query.Full
// are compared in full (Compared, Score, Log10LR), the others carry only
// their coarse score.
type Match struct {
	Scan     domain.ScanID
	Compared bool
	Score    float64
	Log10LR  *float64
	Coarse   float64
}

// Auditor records exchanges in the audit log (*audit.Log).
type Auditor interface {
	Append(ctx context.Context, r audit.Record) (audit.Entry, error)
}

// Blobs is what federation and bundle exchange need of the blob store.
type Blobs interface {
	blob.Fetcher
	blob.Receiver
}

// Config is what a federation node needs.
type Config struct {
	Store    *store.Store
	Blobs    Blobs
	Identity *exchange.Identity // the node's exchange key (signs requests and bundles)
	Cert     *Cert              // the node's TLS certificate (mutual TLS)
	Searcher Searcher           // nil: this node answers searches with nothing
	Audit    Auditor            // required: every exchange is audited
	URL      string             // this node's federation URL, for its card
	// PeerTimeout bounds one peer's answer to a search (default 30 s: a
	// peer compares the best candidates of each shared agency in full).
	PeerTimeout time.Duration
	// MaxFull caps the full comparisons per agency that one peer's search
	// may ask of this node (default 5: each costs 0.15–0.3 s of CPU).
	MaxFull int
	// MaxConcurrent is how many peer searches this node runs at once
	// (default 2); the others wait for a turn within their deadline.
	MaxConcurrent int
	// MaxRequestBytes bounds a search request body (default 64 MiB);
	// MaxResponseBytes a peer's answer (default 256 MiB).
	MaxRequestBytes, MaxResponseBytes int64
	Now                               func() time.Time
	Log                               *slog.Logger
}

// Node is one tracemark node's side of federation: it answers its peers'
// searches (Handler, Serve) and sends its own (Search), and it imports and
// exports bundles. It is safe for concurrent use.
type Node struct {
	cfg   Config
	turns chan struct{} // one per running peer search
}

// New checks cfg and returns a node.
func New(cfg Config) (*Node, error) {
	const op = "federation.New"
	if cfg.Store == nil || cfg.Identity == nil || cfg.Cert == nil || cfg.Audit == nil || cfg.Blobs == nil {
		return nil, errs.Errorf(op, errs.Invalid, "a federation node needs a store, blobs, an identity, a TLS certificate and an audit log")
	}
	if cfg.PeerTimeout <= 0 {
		cfg.PeerTimeout = 30 * time.Second
	}
	if cfg.MaxFull <= 0 {
		cfg.MaxFull = 5
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 2
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 64 << 20
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 256 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Node{cfg: cfg, turns: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

// Card is what a node hands to the operators of a peer so that they can
// register it: its names, exchange key, pinned certificate and URL.
type Card struct {
	exchange.NodeInfo
	PublicKey       []byte `json:"public_key"` // Ed25519, base64 in JSON
	Fingerprint     string `json:"fingerprint"`
	CertFingerprint string `json:"cert_fingerprint"`
	CertNotAfter    string `json:"cert_not_after"`
	URL             string `json:"url,omitempty"`
}

// Card returns this node's card.
func (n *Node) Card() Card {
	id := n.cfg.Identity
	return Card{NodeInfo: id.NodeInfo, PublicKey: id.PublicKey(), Fingerprint: id.Fingerprint(),
		CertFingerprint: n.cfg.Cert.Fingerprint, CertNotAfter: n.cfg.Cert.Leaf.NotAfter.UTC().Format(time.RFC3339), URL: n.cfg.URL}
}

// Peer returns the store record that registers the card's node. A card
// whose fingerprint does not match its key is refused (a typo or a
// forgery: compare the fingerprint with the peer by another channel).
func (c Card) Peer() (store.Peer, error) {
	p := store.Peer{Peer: exchange.Peer{NodeInfo: c.NodeInfo, PublicKey: c.PublicKey}, CertFingerprint: c.CertFingerprint, URL: c.URL}
	if fp := exchange.Fingerprint(c.PublicKey); c.Fingerprint != "" && fp != c.Fingerprint {
		return p, errs.Errorf("federation.Card", errs.Invalid, "card of %q says key fingerprint %s but its key hashes to %s", clip(c.Node), clip(c.Fingerprint), fp)
	}
	return p, nil
}

// ServerTLS is the TLS configuration of the federation listener: TLS 1.3,
// this node's certificate, and a client certificate required from every
// caller (which peer it is, and whether it is trusted, is decided per
// request so that a refusal can say why and be audited).
func (n *Node) ServerTLS() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{n.cfg.Cert.TLS},
		ClientAuth:   tls.RequireAnyClientCert,
	}
}

// clientTLS is the TLS configuration for calling peer p: this node's
// certificate as client certificate, and the peer's certificate checked
// against its pinned fingerprint and validity instead of a CA chain (node
// certificates are self-signed; the pin is the trust).
func (n *Node) clientTLS(p store.Peer) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{n.cfg.Cert.TLS},
		// The chain is not verified against CAs: VerifyConnection pins
		// the exact certificate instead.
		InsecureSkipVerify: true, //nolint:gosec // pinned below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("peer %s presented no certificate", p.Node)
			}
			leaf := cs.PeerCertificates[0]
			if fp := CertFingerprint(leaf.Raw); fp != p.CertFingerprint {
				return fmt.Errorf("peer %s presented certificate %s, not the pinned %s", p.Node, fp, p.CertFingerprint)
			}
			return checkValidity("peer "+p.Node, leaf, n.cfg.Now())
		},
	}
}

// Serve answers peers' searches on ln over mutual TLS until ctx ends.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: n.Handler(), TLSConfig: n.ServerTLS(), ReadHeaderTimeout: 10 * time.Second,
		// No ReadTimeout: over HTTP/1.1 it would cancel the context of a
		// search still running when it fires. Idle peer connections close.
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(n.cfg.Log.Handler(), slog.LevelDebug)}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		case <-done:
		}
	}()
	err := srv.ServeTLS(ln, "", "")
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on addr (host:port) and serves until ctx ends;
// ready, if set, gets the bound address.
func (n *Node) ListenAndServe(ctx context.Context, addr string, ready func(addr string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return errs.E("federation.ListenAndServe", errs.Other, fmt.Errorf("listen on %s: %w", addr, err))
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return n.Serve(ctx, ln)
}
