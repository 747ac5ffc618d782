package jobs

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// responder runs q.Respond in the background until the test ends.
func responder(t *testing.T, q *Queue, name string, h Responder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Respond(ctx, name, 2, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Respond %s: %v", name, err)
		}
	})
}

func TestRequestReply(t *testing.T) {
	q := mustOpen(t, testConfig(t))
	boom := errors.New("shard not loaded")
	responder(t, q, "search.shard.0", func(_ context.Context, b []byte) ([]byte, error) {
		return append([]byte("shard 0: "), b...), nil
	})
	responder(t, q, "search.shard.1", func(context.Context, []byte) ([]byte, error) { return nil, boom })
	responder(t, q, "huge", func(context.Context, []byte) ([]byte, error) {
		return make([]byte, q.nc.MaxPayload()+1), nil
	})
	responder(t, q, "slow", func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	// Wait until the subscriptions are live (Respond subscribes in its goroutine).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := q.Request(context.Background(), "search.shard.0", nil); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	tests := []struct {
		name    string
		to      string
		data    []byte
		timeout time.Duration
		want    []byte
		wantErr string
		is      error
	}{
		{"reply", "search.shard.0", []byte("q"), 0, []byte("shard 0: q"), "", nil},
		{"responder error", "search.shard.1", []byte("q"), 0, nil, "shard not loaded", nil},
		{"no responder", "search.shard.9", []byte("q"), 0, nil, "no responder", ErrNoResponder},
		{"reply too large", "huge", nil, 0, nil, "exceeds the NATS max payload", nil},
		{"request too large", "search.shard.0", make([]byte, q.nc.MaxPayload()+1), 0, nil, "exceed the NATS max payload", nil},
		{"timeout", "slow", nil, 200 * time.Millisecond, nil, "", context.DeadlineExceeded},
		{"bad name", "search..shard", nil, 0, nil, "each dot-separated part", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			got, err := q.Request(ctx, tc.to, tc.data)
			if tc.wantErr == "" && tc.is == nil {
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Fatalf("reply %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("error %v; want one with %q (%v)", err, tc.wantErr, tc.is)
			}
		})
	}
	var remote *RemoteError
	if _, err := q.Request(context.Background(), "search.shard.1", nil); !errors.As(err, &remote) || remote.Name != "search.shard.1" {
		t.Errorf("responder error %v is not a *RemoteError naming the request", err)
	}
}

func TestRespondBadInput(t *testing.T) {
	q := mustOpen(t, testConfig(t))
	h := func(context.Context, []byte) ([]byte, error) { return nil, nil }
	for name, err := range map[string]error{
		"bad name":    q.Respond(t.Context(), "a b", 1, h),
		"concurrency": q.Respond(t.Context(), "a", 0, h),
		"nil handler": q.Respond(t.Context(), "a", 1, nil),
	} {
		if err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	q.Close()
	if err := q.Respond(t.Context(), "a", 1, h); !errors.Is(err, ErrClosed) {
		t.Errorf("Respond after Close: %v", err)
	}
	if _, err := q.Request(t.Context(), "a", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Request after Close: %v", err)
	}
}
