package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// TestServeShutsDownGracefully serves on a free port, answers a request,
// and returns nil once its context is cancelled (SIGINT/SIGTERM in
// tracemark serve).
func TestServeShutsDownGracefully(t *testing.T) {
	cfg := quietConfig(t.TempDir())
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := server.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, func(a string) { addr <- a }) }()
	var base string
	select {
	case base = <-addr:
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	}
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("Serve did not stop within 40 s of cancellation")
	}
	if _, err := http.Get(base + "/api/health"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

// TestReloadKeepsSearching reloads the corpus (as worker processes do
// periodically) and searches again with the same result.
func TestReloadKeepsSearching(t *testing.T) {
	ctx := context.Background()
	n, err := server.Open(ctx, quietConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.LoadDemo(ctx, server.DemoConfig{Firearms: 2, Shots: 2, Barrels: 1, Bullets: 1}); err != nil {
		t.Fatal(err)
	}
	runs, _, err := n.Store.ListRuns(ctx, store.RunFilter{Agency: n.Agency.ID}, store.Page{Limit: 1})
	if err != nil || len(runs) == 0 {
		t.Fatal("no runs", err)
	}
	search := func() []domain.Candidate {
		q, err := n.Corr.QueryForScan(ctx, n.Agency.ID, runs[0].QueryScan)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := n.Corr.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	before, size := search(), n.Corr.Len()
	if err := n.Corr.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	after := search()
	if n.Corr.Len() != size || len(after) != len(before) || len(after) > 0 && after[0].Scan != before[0].Scan {
		t.Fatalf("after reload: %d entries and %d candidates, before %d and %d", n.Corr.Len(), len(after), size, len(before))
	}
}

// TestServeTLS serves HTTPS with the self-signed certificate made on first
// start, talks to it with a client that trusts only that certificate,
// checks that the session cookie is Secure, that a restart reuses the
// certificate, and that shutdown signs an audit checkpoint.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	var firstCert []byte
	for round := 0; round < 2; round++ {
		cfg := quietConfig(dir)
		cfg.Addr, cfg.TLS = "127.0.0.1:0", true
		cfg.Auth = auth.Config{Params: auth.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}}
		ctx, cancel := context.WithCancel(context.Background())
		n, err := server.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		urls := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- n.Serve(ctx, func(u string) { urls <- u }) }()
		var base string
		select {
		case base = <-urls:
		case err := <-done:
			t.Fatalf("Serve returned early: %v", err)
		}
		if !strings.HasPrefix(base, "https://") {
			t.Fatalf("serving on %s, want https", base)
		}
		pemBytes, err := os.ReadFile(filepath.Join(dir, server.TLSDir, server.SelfCertPEM))
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			firstCert = pemBytes
		} else if !bytes.Equal(pemBytes, firstCert) {
			t.Fatal("the self-signed certificate was not reused at the second start")
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pemBytes)
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
		resp, err := hc.Get(base + "/api/health")
		if err != nil {
			t.Fatalf("TLS client: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.TLS == nil {
			t.Fatalf("health over TLS: %d", resp.StatusCode)
		}
		// localhost is in the certificate too.
		if resp, err := hc.Get(strings.Replace(base, "127.0.0.1", "localhost", 1) + "/api/health"); err != nil {
			t.Fatalf("TLS client via localhost: %v", err)
		} else {
			resp.Body.Close()
		}
		// A plain-HTTP client gets nothing useful.
		if resp, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Fatal("plain HTTP answered 200 on the TLS port")
			}
		}
		users, err := n.EnsureDemoUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		resp, err = hc.Post(base+"/api/auth/login", "application/json",
			strings.NewReader(`{"username":"`+users[1].Username+`","password":"`+server.DemoPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure {
			t.Fatalf("login over TLS: %d, cookies %+v; want one Secure cookie", resp.StatusCode, resp.Cookies())
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Serve: %v", err)
		}
		rep, err := audit.Verify(context.Background(), n.Store)
		if err != nil || rep.Problem != nil || rep.Checkpoints == 0 || rep.Unsigned != 0 {
			t.Fatalf("audit after shutdown: %+v %v; want intact, signed up to the end", rep, err)
		}
		n.Close()
	}
}

// TestTLSRequired checks when Serve insists on HTTPS.
func TestTLSRequired(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		addr     string
		tls      bool
		insecure bool
		want     string // "http", "https" or "error"
	}{
		{"127.0.0.1:0", false, false, "http"},
		{"localhost:0", false, false, "http"},
		{"127.0.0.1:0", true, false, "https"},
		{"0.0.0.0:0", false, false, "https"},
		{"0.0.0.0:0", false, true, "http"},
		{"127.0.0.1:0", true, true, "error"},
	}
	for _, tc := range tests {
		cfg := quietConfig(dir)
		cfg.Addr, cfg.TLS, cfg.InsecureHTTP = tc.addr, tc.tls, tc.insecure
		got, err := server.SchemeFor(cfg)
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("%s tls=%v insecure=%v: %s (%v), want %s", tc.addr, tc.tls, tc.insecure, got, err, tc.want)
		}
	}
}

// TestDefaultCountry gives a new default agency the configured country,
// which turns exchange and federation on, and leaves an existing agency's
// country alone on a later start.
func TestDefaultCountry(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(cfg server.Config) *server.Node {
		t.Helper()
		n, err := server.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	cfg := quietConfig(dir)
	cfg.DefaultCountry = "KZ"
	n := open(cfg)
	if n.Agency.Country != "KZ" || n.Federation == nil {
		t.Errorf("new default agency: country %q, federation on %v; want KZ and on", n.Agency.Country, n.Federation != nil)
	}
	n.Close()

	cfg.DefaultCountry = "UZ"
	n = open(cfg)
	defer n.Close()
	if n.Agency.Country != "KZ" {
		t.Errorf("existing default agency's country became %q, want KZ kept", n.Agency.Country)
	}

	bare := open(quietConfig(t.TempDir()))
	defer bare.Close()
	if bare.Agency.Country != "" || bare.Federation != nil {
		t.Errorf("without a country: agency country %q, federation on %v; want none and off", bare.Agency.Country, bare.Federation != nil)
	}
}
