package federation

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/render"
	"github.com/tracemark/tracemark/internal/store"
)

// ThumbnailWidth is the width of the thumbnails sent to peers, pixels.
const ThumbnailWidth = 160

// Handler serves the federation endpoint. It must sit behind ServerTLS
// (Serve does this): the caller is identified by its client certificate.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SearchPath, n.serveSearch)
	mux.HandleFunc("POST "+TracePath, n.serveTrace)
	mux.HandleFunc("POST "+TraceUpdatePath, n.serveTraceUpdate)
	return mux
}

// refusal is a refused request: the status, the reason given to the
// caller and the audit entry on this side.
func (n *Node) refuse(w http.ResponseWriter, r *http.Request, peer string, err error) {
	n.refuseAs(w, r, "federation.search.refused", peer, err)
}

// refuseAs is refuse with the audit action of the endpoint.
func (n *Node) refuseAs(w http.ResponseWriter, r *http.Request, action, peer string, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		n.cfg.Log.ErrorContext(r.Context(), "federation request failed", "peer", peer, "err", err)
	}
	n.audit(r.Context(), audit.Record{Action: action, ObjectType: "peer", ObjectID: peer,
		Details: map[string]any{"reason": err.Error(), "status": status, "remote": r.RemoteAddr}})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{Status: status, Detail: err.Error()})
}

func (n *Node) audit(ctx context.Context, r audit.Record) {
	if _, err := n.cfg.Audit.Append(context.WithoutCancel(ctx), r); err != nil {
		n.cfg.Log.ErrorContext(ctx, "federation audit entry not written", "action", r.Action, "err", err)
	}
}

// identify finds the calling peer before its body is read: its client
// certificate must be the one pinned for a trusted (not revoked) peer and
// valid now, and the request must name that peer's key and a date within
// MaxClockSkew. verifyBody then checks the signature.
func (n *Node) identify(r *http.Request) (store.Peer, string, error) {
	const op = "federation.authenticate"
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return store.Peer{}, "", errs.Errorf(op, errs.Permission, "a client certificate is required (mutual TLS)")
	}
	leaf := r.TLS.PeerCertificates[0]
	certFP := CertFingerprint(leaf.Raw)
	now := n.cfg.Now()
	p, err := n.cfg.Store.PeerByCert(r.Context(), certFP)
	if errs.Is(errs.NotFound, err) {
		return p, certFP, errs.Errorf(op, errs.Permission, "unknown peer: certificate %s is not registered on node %s", certFP, n.cfg.Identity.Node)
	}
	if err != nil {
		return p, certFP, err
	}
	who := p.Node + " (" + p.Fingerprint + ")"
	if p.Revoked(now) {
		return p, who, errs.Errorf(op, errs.Permission, "peer %s was revoked on %s: %s", p.Node, p.RevokedAt.Format(time.RFC3339), p.RevokeReason)
	}
	if err := checkValidity("peer "+p.Node, leaf, now); err != nil {
		return p, who, errs.E(op, errs.Permission, err)
	}
	if got := r.Header.Get(headerKey); got != p.Fingerprint {
		return p, who, errs.Errorf(op, errs.Permission, "request signed with key %q, but certificate %s belongs to key %s", clip(got), certFP, p.Fingerprint)
	}
	date := r.Header.Get(headerDate)
	at, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return p, who, errs.Errorf(op, errs.Permission, "%s header %q is not an RFC 3339 time", headerDate, clip(date))
	}
	if d := now.Sub(at); d > MaxClockSkew || d < -MaxClockSkew {
		return p, who, errs.Errorf(op, errs.Permission, "request dated %s is more than %s from this node's clock (%s)", date, MaxClockSkew, now.UTC().Format(time.RFC3339))
	}
	return p, who, nil
}

// verifyBody checks that the request of peer p (identify) is signed with
// its exchange key over the method, path, date and body.
func (n *Node) verifyBody(r *http.Request, p store.Peer, body []byte) error {
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(headerSignature))
	if err != nil || !verifySignature(p.PublicKey, signedMessage(r.Method, r.URL.Path, r.Header.Get(headerDate), body), sig) {
		return errs.Errorf("federation.authenticate", errs.Permission, "request signature does not verify with the key of peer %s", p.Node)
	}
	return nil
}

func (n *Node) serveSearch(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	p, who, body, ok := n.readSigned(w, r, "federation.search.refused", n.cfg.MaxRequestBytes)
	if !ok {
		return
	}
	var req SearchRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		n.refuse(w, r, who, errs.E("federation.search", errs.Invalid, fmt.Errorf("request body is not a search request: %w", err)))
		return
	}
	q, err := req.decode()
	if err != nil {
		n.refuse(w, r, who, err)
		return
	}
	q.Full = min(q.Full, n.cfg.MaxFull)
	// A bounded number of peer searches run at once: each uses every core
	// for its full comparisons, so more at once only makes all of them late.
	select {
	case n.turns <- struct{}{}:
	case <-ctx.Done():
		n.refuse(w, r, who, errs.Errorf("federation.search", errs.Transient, "node %s is busy with other peers' searches: try again later", n.cfg.Identity.Node))
		return
	}
	resp, err := n.answer(ctx, p, req, q)
	<-n.turns
	if err != nil {
		n.refuse(w, r, who, err)
		return
	}
	resp.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	var details []map[string]any
	for _, a := range resp.Agencies {
		details = append(details, map[string]any{"agency": a.Agency, "detail": a.Detail, "reason": a.Reason, "compared": a.Compared, "error": a.Error})
	}
	n.audit(ctx, audit.Record{Action: "federation.search.served", ObjectType: "federated_query", ObjectID: req.QueryID,
		Details: map[string]any{"peer": p.Node, "peer_fingerprint": p.Fingerprint, "peer_country": p.Country, "want": req.Want,
			"full_asked": req.Full, "full_done": q.Full, "agencies": details, "candidates": len(resp.Candidates), "elapsed_ms": resp.ElapsedMS}})
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(resp); err != nil {
		n.cfg.Log.WarnContext(ctx, "federation answer not sent", "peer", p.Node, "err", err)
	}
}

// answer searches every agency of this node whose sharing rules let
// exhibits go to peer p, at the detail each allows.
func (n *Node) answer(ctx context.Context, p store.Peer, req SearchRequest, q Query) (*SearchResponse, error) {
	id := n.cfg.Identity
	resp := &SearchResponse{QueryID: req.QueryID, Node: id.Node, Country: id.Country, Candidates: []Candidate{}}
	agencies, err := n.cfg.Store.ListAgencies(ctx)
	if err != nil {
		return nil, err
	}
	now := n.cfg.Now()
	for _, ag := range agencies {
		rules, err := n.cfg.Store.SharingRules(ctx, ag.ID)
		if err != nil {
			return nil, err
		}
		d := exchange.Evaluate(rules, exchange.ShareQuery{Owner: ag.ID, Peer: p.Fingerprint, Kind: exchange.ShareExhibits, Want: req.Want, At: now})
		ans := AgencyAnswer{Agency: ag.Code, Country: ag.Country, Detail: d.Detail, Reason: d.Reason}
		if !d.Allowed || n.cfg.Searcher == nil {
			resp.Agencies = append(resp.Agencies, ans)
			continue
		}
		matches, err := n.cfg.Searcher.Search(ctx, ag.ID, q)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			ans.Error = err.Error()
			resp.Agencies = append(resp.Agencies, ans)
			continue
		}
		for i, m := range matches {
			if i >= q.K {
				break
			}
			c, err := n.candidate(ctx, ag, m, i+1, d.Detail)
			if err != nil {
				n.cfg.Log.WarnContext(ctx, "federation candidate left out", "scan", m.Scan, "err", err)
				continue
			}
			if c.Compared {
				ans.Compared++
			}
			resp.Candidates = append(resp.Candidates, c)
		}
		resp.Agencies = append(resp.Agencies, ans)
	}
	return resp, nil
}

func (n *Node) candidate(ctx context.Context, ag domain.Agency, m Match, rank int, detail exchange.Detail) (Candidate, error) {
	st := n.cfg.Store
	sc, err := st.Scan(ctx, ag.ID, m.Scan)
	if err != nil {
		return Candidate{}, err
	}
	ex, err := st.Exhibit(ctx, ag.ID, sc.ExhibitID)
	if err != nil {
		return Candidate{}, err
	}
	id := n.cfg.Identity
	c := Candidate{Node: id.Node, Fingerprint: id.Fingerprint(), Agency: ag.Code, Country: ag.Country, Scan: sc.ID, Exhibit: ex.ID,
		ExhibitKind: string(ex.Kind), Calibre: ex.Class.Calibre, Rank: rank, Compared: m.Compared, Score: m.Score, Log10LR: m.Log10LR, CoarseScore: m.Coarse, Detail: detail, Format: string(sc.Format)}
	if c.Country == "" {
		c.Country = id.Country // an agency without a country of its own is the node's
	}
	// An imported exhibit is reported with its real origin, not as ours.
	if o, err := st.RecordOrigin(ctx, ag.ID, "scan", string(sc.ID)); err == nil {
		c.Agency, c.Country = o.Agency, o.Country
	}
	if detail == exchange.DetailThumbnails || detail == exchange.DetailFull {
		if c.Thumbnail, err = n.thumbnail(ctx, sc); err != nil {
			n.cfg.Log.WarnContext(ctx, "no thumbnail for a federation candidate", "scan", sc.ID, "err", err)
		}
	}
	if detail == exchange.DetailFull {
		if c.Original, err = blob.ReadAll(ctx, n.cfg.Blobs, sc.Original); err != nil {
			return Candidate{}, err
		}
	}
	return c, nil
}

// thumbnail renders the processed surface of a cartridge scan (a bullet
// land's derived blob is not a surface: no thumbnail).
func (n *Node) thumbnail(ctx context.Context, sc domain.Scan) ([]byte, error) {
	if sc.Preprocessed.IsZero() {
		return nil, errors.New("scan has no processed surface")
	}
	data, err := blob.ReadAll(ctx, n.cfg.Blobs, sc.Preprocessed)
	if err != nil {
		return nil, err
	}
	m, err := ingest.DecodeSurface(data)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := render.WritePNG(&buf, render.Relief(m, render.Options{Colour: true, MaxWidth: ThumbnailWidth})); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
