package federation

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/tracing"
)

// FuzzSearchRequest feeds arbitrary request bodies to the decoding a peer
// runs on what another node sends: it must refuse with errs.Invalid or
// decode a usable query, never panic.
func FuzzSearchRequest(f *testing.F) {
	m := surface.New(64, 64, 12.5, 12.5)
	for i := range m.Z {
		m.Z[i] = float64((i*7919)%101) / 50
	}
	sig, err := search.NewSigner().Cartridge(m)
	if err != nil {
		f.Fatal(err)
	}
	feat, err := sig.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	processed, err := ingest.EncodeSurface(m)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(SearchRequest{QueryID: "q", Kind: "cartridge", Features: feat, Processed: processed, K: 5, Want: exchange.DetailScores})
	f.Add(good)
	f.Add([]byte(`{"query_id":"q","kind":"bullet","features":"AAAA","processed":"","k":1,"want":"full"}`))
	f.Add([]byte(`{"query_id":"","k":0}`))
	f.Add([]byte(`{"query_id":"q","kind":"cartridge","k":2,"full":3,"want":"scores"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r SearchRequest
		if json.Unmarshal(body, &r) != nil {
			return
		}
		q, err := r.decode()
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("decode error of kind %v, want invalid: %v", errs.KindOf(err), err)
			}
			return
		}
		if q.Features == nil || (q.Surface == nil && len(q.Lands) == 0) || q.K < 1 || q.K > MaxK || q.Full < 0 || q.Full > q.K {
			t.Fatalf("accepted an unusable query: %+v", q)
		}
	})
}

// FuzzCard checks that a card whose fingerprint does not match its key is
// refused, whatever it holds.
func FuzzCard(f *testing.F) {
	f.Add([]byte(`{"node":"kz","country":"KZ","public_key":"AAAA","fingerprint":"SHA256:00"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var c Card
		if json.Unmarshal(body, &c) != nil {
			return
		}
		p, err := c.Peer()
		if err == nil && c.Fingerprint != "" && exchange.Fingerprint(p.PublicKey) != c.Fingerprint {
			t.Fatalf("card with a mismatched fingerprint accepted: %+v", c)
		}
	})
}

// FuzzTraceUpdate checks that a peer's trace update is refused as invalid
// or accepted with a status a peer may set, whatever it holds.
func FuzzTraceUpdate(f *testing.F) {
	f.Add([]byte(`{"id":"01900000-0000-7000-8000-000000000000","status":"answered","answers":[{"at":"2026-01-01T00:00:00Z","text":"x"}]}`))
	f.Add([]byte(`{"id":"../x","status":"draft"}`))
	f.Add([]byte(`{"id":"01900000-0000-7000-8000-000000000000","status":"closed","note":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var u TraceUpdate
		if decodeStrict(body, &u, "an update") != nil {
			return
		}
		err := u.check()
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("check error of kind %v, want invalid: %v", errs.KindOf(err), err)
			}
			return
		}
		if u.Status == tracing.TraceDraft || u.Status == "" || len(u.Answers) > maxTraceAnswers {
			t.Fatalf("accepted an update a peer may not send: %+v", u)
		}
	})
}

// FuzzReceiveTrace feeds a node trace requests from a trusted peer: each
// is refused with a client error or stored as incoming from that peer,
// once, whatever it holds.
func FuzzReceiveTrace(f *testing.F) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := startBenchNode(ctx, f.TempDir(), "uz-mfc", "UZ", 0, quiet)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(n.close)
	peerID, err := exchange.LoadOrCreateIdentity(f.TempDir(), exchange.NodeInfo{Node: "kz-mia", Country: "KZ"})
	if err != nil {
		f.Fatal(err)
	}
	peer, err := n.st.AddPeer(ctx, store.Peer{Peer: exchange.Peer{NodeInfo: peerID.NodeInfo, PublicKey: peerID.PublicKey()}})
	if err != nil {
		f.Fatal(err)
	}
	photo := []byte("photo of the markings")
	good, _ := json.Marshal(TraceDelivery{Request: tracing.TraceRequest{ID: "01900000-0000-7000-8000-000000000001", Status: tracing.TraceSent,
		Requester: tracing.Party{Agency: "KZ-MIA", Country: "KZ"}, Addressee: tracing.Party{Agency: n.agency.Code, Country: "UZ"},
		Firearm: tracing.Firearm{Make: "Makarov", SerialNumber: "KM1"}, Reason: "r", LegalBasis: "ITI", Attachments: []blob.Ref{blob.RefOf(photo)}},
		Files: map[string][]byte{blob.RefOf(photo).String(): photo}})
	f.Add(good)
	f.Add([]byte(`{"request":{"id":"x","status":"draft"}}`))
	f.Add([]byte(`{"request":{"id":"01900000-0000-7000-8000-000000000002","status":"sent","requester":{"agency":"A","country":"UZ"},"addressee":{"agency":"LAB-UZ","country":"UZ"},"firearm":{"make":"M"},"reason":"r","legal_basis":"b"},"files":{"00":"AA=="}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var tr TraceDelivery
		if decodeStrict(body, &tr, "a trace request") != nil {
			return
		}
		got, err := n.fed.receiveTrace(ctx, peer, tr)
		if err != nil {
			switch errs.KindOf(err) {
			case errs.Invalid, errs.Permission, errs.NotFound, errs.Conflict:
			default:
				t.Fatalf("refused with %v: %v", errs.KindOf(err), err)
			}
			return
		}
		if got.Peer != peer.Fingerprint || got.Requester.AgencyID != "" || got.Addressee.AgencyID != n.agency.ID || got.Status != tracing.TraceSent {
			t.Fatalf("stored as %+v", got)
		}
		for _, a := range got.Attachments {
			if _, err := blob.ReadAll(ctx, n.fed.cfg.Blobs, a); err != nil {
				t.Fatalf("attachment %s accepted without its file: %v", a, err)
			}
		}
		again, err := n.fed.receiveTrace(ctx, peer, tr)
		if err != nil || again.ID != got.ID {
			t.Fatalf("delivered twice: %v", err)
		}
		all, err := n.st.AllTraceRequests(ctx, n.agency.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, a := range all {
			if a.ID == got.ID {
				seen++
			}
		}
		if seen != 1 {
			t.Fatalf("request %s held %d times", got.ID, seen)
		}
	})
}
