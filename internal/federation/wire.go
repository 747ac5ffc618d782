package federation

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/surface"
)

// SearchPath is the federation endpoint of a search.
const SearchPath = "/federation/v1/search"

// Request headers: the sender's exchange key fingerprint, the time of the
// request and the Ed25519 signature of signedMessage.
const (
	headerKey       = "X-Tracemark-Key"
	headerDate      = "X-Tracemark-Date"
	headerSignature = "X-Tracemark-Signature"
)

// MaxClockSkew is how far a request's date may be from the receiver's clock.
const MaxClockSkew = 5 * time.Minute

// signedMessage is what a request signature covers: the method, path,
// date and the SHA-256 of the body, so a request cannot be replayed to
// another endpoint or later than MaxClockSkew, nor its body changed.
func signedMessage(method, path, date string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte("tracemark federation v1\n" + method + " " + path + "\n" + date + "\n" + hex.EncodeToString(sum[:]))
}

// SearchRequest is the body of a federated search: the query's prepared
// features and processed surface (or land), never the original scan.
type SearchRequest struct {
	QueryID string                      `json:"query_id"`
	Kind    string                      `json:"kind"` // "cartridge" or "bullet"
	Class   domain.ClassCharacteristics `json:"class"`
	// Features is search.Features.MarshalBinary; Processed is
	// ingest.EncodeSurface (cartridge) or ingest.EncodeLand (bullet).
	Features  []byte          `json:"features"`
	Processed []byte          `json:"processed"`
	Name      string          `json:"name,omitempty"`
	K         int             `json:"k"`    // candidates wanted per agency, 1..MaxK
	Want      exchange.Detail `json:"want"` // scores, thumbnails or full
	// Full is how many of each agency's K candidates, best coarse first,
	// the asker wants given the full engine comparison (0..K; 0: coarse
	// ranking only). The peer does at most its own MaxFull.
	Full int `json:"full"`
}

// MaxK bounds the candidates a peer returns per agency.
const MaxK = 50

// Query is a decoded search: what a Searcher runs.
type Query struct {
	Kind     search.Kind
	Class    domain.ClassCharacteristics
	Features *search.Features
	Surface  *surface.Map   // cartridge cases: the processed breech face
	Lands    []*bullet.Land // bullets: the processed lands
	Name     string
	K        int // candidates per agency
	// Full is how many of the K, best coarse first, get the full
	// comparison (0..K, already capped by the node's MaxFull).
	Full int
}

// decode checks a request and decodes its query; errors are errs.Invalid
// naming the field.
func (r SearchRequest) decode() (Query, error) {
	const op = "federation.SearchRequest"
	q := Query{Class: r.Class, Name: clip(r.Name), K: r.K, Full: r.Full}
	if r.QueryID == "" || len(r.QueryID) > 64 {
		return q, errs.Errorf(op, errs.Invalid, "query_id must be 1..64 characters")
	}
	if r.K < 1 || r.K > MaxK {
		return q, errs.Errorf(op, errs.Invalid, "k %d is out of range 1..%d", r.K, MaxK)
	}
	if r.Full < 0 || r.Full > r.K {
		return q, errs.Errorf(op, errs.Invalid, "full %d is out of range 0..k (%d)", r.Full, r.K)
	}
	switch r.Want {
	case exchange.DetailScores, exchange.DetailThumbnails, exchange.DetailFull:
	default:
		return q, errs.Errorf(op, errs.Invalid, "want %q: ask for scores, thumbnails or full", clip(string(r.Want)))
	}
	kind, err := search.ParseKind(r.Kind)
	if err != nil {
		return q, errs.E(op, errs.Invalid, fmt.Errorf("kind: %w", err))
	}
	if kind == search.KindUnknown {
		return q, errs.Errorf(op, errs.Invalid, "kind is required: cartridge or bullet")
	}
	q.Kind = kind
	f := new(search.Features)
	if err := f.UnmarshalBinary(r.Features); err != nil {
		return q, errs.E(op, errs.Invalid, fmt.Errorf("features: %w", err))
	}
	if f.Kind != kind {
		return q, errs.Errorf(op, errs.Invalid, "features are of kind %s, the request says %s", f.Kind, kind)
	}
	q.Features = f
	switch kind {
	case search.KindCartridge:
		if q.Surface, err = ingest.DecodeSurface(r.Processed); err != nil {
			return q, errs.E(op, errs.Invalid, fmt.Errorf("processed surface: %w", err))
		}
	case search.KindBullet:
		land, err := ingest.DecodeLand(r.Processed)
		if err != nil {
			return q, errs.E(op, errs.Invalid, fmt.Errorf("processed land: %w", err))
		}
		q.Lands = []*bullet.Land{land}
	}
	return q, nil
}

// Candidate is one exhibit a peer found: scores, where it comes from, and
// as much of it as the owner's sharing rule allows.
type Candidate struct {
	Node        string           `json:"node"`
	Fingerprint string           `json:"fingerprint"` // the answering node's exchange key
	Agency      string           `json:"agency"`      // owning agency's code
	Country     string           `json:"country"`
	Scan        domain.ScanID    `json:"scan"`
	Exhibit     domain.ExhibitID `json:"exhibit"`
	ExhibitKind string           `json:"exhibit_kind,omitempty"`
	Calibre     string           `json:"calibre,omitempty"`
	Rank        int              `json:"rank"` // within its agency's list, 1 = best
	// Compared is true when the peer ran the full comparison: Score (and
	// Log10LR) are the engine's. Otherwise the candidate is ranked by
	// CoarseScore only and Score is 0.
	Compared    bool            `json:"compared"`
	Score       float64         `json:"score"`
	Log10LR     *float64        `json:"log10_lr,omitempty"`
	CoarseScore float64         `json:"coarse_score"`        // the coarse signature stage's score (comparable across nodes)
	Detail      exchange.Detail `json:"detail"`              // what the rule allowed
	Thumbnail   []byte          `json:"thumbnail,omitempty"` // PNG, detail ≥ thumbnails
	Original    []byte          `json:"original,omitempty"`  // the original scan file, detail full
	Format      string          `json:"format,omitempty"`
}

// AgencyAnswer says what one agency of the peer allowed.
type AgencyAnswer struct {
	Agency  string          `json:"agency"`
	Country string          `json:"country"`
	Detail  exchange.Detail `json:"detail"`
	Reason  string          `json:"reason"`
	// Compared is the number of full comparisons the peer ran for it.
	Compared int    `json:"compared"`
	Error    string `json:"error,omitempty"` // its search failed
}

// SearchResponse is a peer's answer.
type SearchResponse struct {
	QueryID    string         `json:"query_id"`
	Node       string         `json:"node"`
	Country    string         `json:"country"`
	Agencies   []AgencyAnswer `json:"agencies"`
	Candidates []Candidate    `json:"candidates"`
	ElapsedMS  float64        `json:"elapsed_ms"`
}

// problem is the body of a refused request.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func statusOf(err error) int {
	switch errs.KindOf(err) {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Permission:
		return http.StatusForbidden
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Transient:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func verifySignature(pub ed25519.PublicKey, msg []byte, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, msg, sig)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
