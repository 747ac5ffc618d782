package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/server"
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
	resp, err := http.Get("http://" + base + "/api/health")
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
	if _, err := http.Get("http://" + base + "/api/health"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}
