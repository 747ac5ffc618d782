package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(benchWorkerURLEnv); url != "" {
		if err := runBenchWorker(url, os.Getenv(benchWorkerKindsEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// testConfig is an embedded queue on a fresh directory with delays short
// enough for tests.
func testConfig(t testing.TB) Config {
	t.Helper()
	return Config{
		DataDir:         filepath.Join(t.TempDir(), "nats"),
		AckWait:         2 * time.Second,
		Backoff:         []time.Duration{20 * time.Millisecond},
		PollWait:        100 * time.Millisecond,
		ShutdownTimeout: 10 * time.Second,
		Logger:          slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

func mustOpen(t testing.TB, cfg Config) *Queue {
	t.Helper()
	q, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(q.Close)
	return q
}

// worker runs q.Work in the background; stop cancels it and returns Work's error.
func worker(t testing.TB, q *Queue, kind string, concurrency int, h Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Work(ctx, kind, concurrency, h) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitFor polls cond until it holds, failing the test after a generous limit
// (a liveness bound, not a performance assertion).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustStats(t testing.TB, q *Queue, kind string) Stats {
	t.Helper()
	st, err := q.Stats(t.Context(), kind)
	if err != nil {
		t.Fatalf("Stats(%s): %v", kind, err)
	}
	return st
}

// record collects handled jobs safely across handler goroutines.
type record struct {
	mu   sync.Mutex
	jobs []Job
}

func (r *record) add(j Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j.Payload = slices.Clone(j.Payload)
	r.jobs = append(r.jobs, j)
}

func (r *record) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.jobs)
}

func (r *record) snapshot() []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.jobs)
}

func TestRoundTrip(t *testing.T) {
	q := mustOpen(t, testConfig(t))
	const n = 20
	for i := range n {
		if err := q.Enqueue(t.Context(), "correlate", fmt.Appendf(nil, "exhibit-%d", i), fmt.Sprintf("id-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if st := mustStats(t, q, "correlate"); st.Pending != n || st.InFlight != 0 {
		t.Fatalf("before work: stats %+v, want %d pending", st, n)
	}
	var got record
	stop := worker(t, q, "correlate", 4, func(_ context.Context, j Job) error {
		got.add(j)
		return nil
	})
	waitFor(t, "all jobs", func() bool { return got.len() >= n })
	if err := stop(); err != nil {
		t.Fatalf("Work returned %v after cancel, want nil", err)
	}
	seen := map[string]bool{}
	for _, j := range got.snapshot() {
		want := "exhibit-" + strings.TrimPrefix(j.ID, "id-")
		if string(j.Payload) != want || j.Kind != "correlate" || j.Attempt != 1 || j.Seq == 0 || j.Enqueued.IsZero() {
			t.Errorf("job %+v (payload %q): want payload %q, kind correlate, attempt 1, seq and time set", j, j.Payload, want)
		}
		if seen[j.ID] {
			t.Errorf("job %s handled twice", j.ID)
		}
		seen[j.ID] = true
	}
	if len(seen) != n {
		t.Errorf("handled %d distinct jobs, want %d", len(seen), n)
	}
	if st := mustStats(t, q, "correlate"); st != (Stats{}) {
		t.Errorf("after work: stats %+v, want all zero", st)
	}
}

func TestKindsAreSeparate(t *testing.T) {
	q := mustOpen(t, testConfig(t))
	for _, kind := range []string{"a", "b", "b"} {
		if err := q.Enqueue(t.Context(), kind, []byte(kind), ""); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := mustStats(t, q, "a"), mustStats(t, q, "b"); a.Pending != 1 || b.Pending != 2 {
		t.Fatalf("pending a=%d b=%d, want 1 and 2", a.Pending, b.Pending)
	}
	var got record
	worker(t, q, "b", 1, func(_ context.Context, j Job) error { got.add(j); return nil })
	waitFor(t, "b jobs", func() bool { return got.len() == 2 })
	for _, j := range got.snapshot() {
		if j.Kind != "b" || string(j.Payload) != "b" {
			t.Errorf("worker of b got %s job %q", j.Kind, j.Payload)
		}
	}
	if a := mustStats(t, q, "a"); a.Pending != 1 {
		t.Errorf("a pending %d after b's worker ran, want 1", a.Pending)
	}
}

func TestDedup(t *testing.T) {
	q := mustOpen(t, testConfig(t)) // default 2-minute window
	enqueue := func(kind, id string) {
		t.Helper()
		if err := q.Enqueue(t.Context(), kind, []byte(id), id); err != nil {
			t.Fatal(err)
		}
	}
	enqueue("correlate", "scan-1")
	enqueue("correlate", "scan-1") // re-ingest: dropped
	enqueue("correlate", "scan-2")
	enqueue("render", "scan-1") // same ID, other kind: a separate job
	enqueue("correlate", "")    // no ID: never deduplicated
	enqueue("correlate", "")
	if c, r := mustStats(t, q, "correlate"), mustStats(t, q, "render"); c.Pending != 4 || r.Pending != 1 {
		t.Fatalf("pending correlate=%d render=%d, want 4 and 1", c.Pending, r.Pending)
	}

	// Dedup also holds after the first job ran, within the window.
	var got record
	stop := worker(t, q, "render", 1, func(_ context.Context, j Job) error { got.add(j); return nil })
	waitFor(t, "render job", func() bool { return got.len() == 1 && mustStats(t, q, "render").InFlight == 0 })
	enqueue("render", "scan-1")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st := mustStats(t, q, "render"); st.Pending != 0 || got.len() != 1 {
		t.Errorf("render stats %+v after %d runs: the in-window duplicate was enqueued", st, got.len())
	}
}

func TestDedupWindowExpires(t *testing.T) {
	cfg := testConfig(t)
	cfg.DedupWindow = 300 * time.Millisecond
	q := mustOpen(t, cfg)
	var got record
	worker(t, q, "k", 1, func(_ context.Context, j Job) error { got.add(j); return nil })
	if err := q.Enqueue(t.Context(), "k", nil, "scan-1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first run", func() bool { return got.len() == 1 })
	time.Sleep(cfg.DedupWindow)
	// The server forgets the ID on a timer; re-enqueue until it has (a
	// second accepted copy would be dropped by the new window).
	waitFor(t, "a new job with the same ID after the window", func() bool {
		if err := q.Enqueue(t.Context(), "k", nil, "scan-1"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		return got.len() == 2
	})
}

func TestRetryThenSuccess(t *testing.T) {
	q := mustOpen(t, testConfig(t))
	if err := q.Enqueue(t.Context(), "flaky", []byte("x"), "x"); err != nil {
		t.Fatal(err)
	}
	var got record
	worker(t, q, "flaky", 2, func(_ context.Context, j Job) error {
		got.add(j)
		switch j.Attempt {
		case 1:
			return errors.New("transient")
		case 2:
			panic("handler bug")
		}
		return nil
	})
	waitFor(t, "third attempt settled", func() bool {
		st := mustStats(t, q, "flaky")
		return got.len() >= 3 && st.InFlight == 0
	})
	var attempts []int
	for _, j := range got.snapshot() {
		attempts = append(attempts, j.Attempt)
	}
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("attempts %v, want [1 2 3]", attempts)
	}
	if st := mustStats(t, q, "flaky"); st != (Stats{}) {
		t.Errorf("stats %+v, want all zero (acked, nothing dead)", st)
	}
}

func TestMaxDeliverDeadLetters(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxDeliver = 3
	var deadMu sync.Mutex
	dead := map[string]Job{}
	cfg.OnDead = func(j Job, cause error) {
		deadMu.Lock()
		defer deadMu.Unlock()
		if cause == nil {
			t.Errorf("OnDead(%s) without a cause", j.ID)
		}
		dead[j.ID] = j
	}
	q := mustOpen(t, cfg)
	for _, id := range []string{"always-fails", "permanent", "ok"} {
		if err := q.Enqueue(t.Context(), "k", []byte(id), id); err != nil {
			t.Fatal(err)
		}
	}
	var got record
	worker(t, q, "k", 2, func(_ context.Context, j Job) error {
		got.add(j)
		switch j.ID {
		case "always-fails":
			return errors.New("scan unreadable")
		case "permanent":
			return Permanent(errors.New("bad payload"))
		}
		return nil
	})
	waitFor(t, "two dead letters", func() bool {
		deadMu.Lock()
		defer deadMu.Unlock()
		return len(dead) == 2
	})
	calls := map[string]int{}
	for _, j := range got.snapshot() {
		calls[j.ID]++
	}
	if want := map[string]int{"always-fails": 3, "permanent": 1, "ok": 1}; !maps.Equal(calls, want) {
		t.Errorf("handler calls %v, want %v", calls, want)
	}
	deadMu.Lock()
	if j := dead["always-fails"]; j.Attempt != 3 || string(j.Payload) != "always-fails" {
		t.Errorf("dead job %+v, want attempt 3 with its payload", j)
	}
	if _, ok := dead["ok"]; ok {
		t.Error("successful job dead-lettered")
	}
	deadMu.Unlock()
	letters, err := q.DeadJobs(t.Context(), "k", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 2 {
		t.Fatalf("DeadJobs returned %d letters, want 2", len(letters))
	}
	for _, d := range letters {
		want := map[string]struct {
			attempt int
			cause   string
		}{"always-fails": {3, "scan unreadable"}, "permanent": {1, "bad payload"}}[d.ID]
		if d.Attempt != want.attempt || !strings.Contains(d.Cause, want.cause) || string(d.Payload) != d.ID ||
			d.Kind != "k" || d.Seq == 0 || d.Enqueued.IsZero() || d.Died.Before(d.Enqueued) {
			t.Errorf("dead letter %+v (payload %q), want attempt %d and cause %q", d, d.Payload, want.attempt, want.cause)
		}
	}
	waitFor(t, "queue settled", func() bool { return mustStats(t, q, "k").InFlight == 0 })
	if st := mustStats(t, q, "k"); st.Dead != 2 || st.Pending != 0 || st.InFlight != 0 {
		t.Errorf("stats %+v, want 2 dead and nothing pending or in flight", st)
	}
	// Terminated jobs left the work queue: the stream holds nothing.
	s, err := q.js.Stream(t.Context(), q.cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("job stream still holds %d messages", info.State.Msgs)
	}
}

// The job of a worker that dies (takes it and never acks) goes to another
// worker after AckWait, or to the dead letters if that was its last attempt.
func TestDeadWorkersJob(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxDeliver int
		wantRun    bool
	}{
		{"retried elsewhere", 3, true},
		{"last attempt dead-lettered", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.AckWait = 500 * time.Millisecond
			cfg.MaxDeliver = tc.maxDeliver
			dead := make(chan Job, 1)
			cfg.OnDead = func(j Job, cause error) {
				if !strings.Contains(cause.Error(), "did not finish") {
					t.Errorf("cause %q does not say the attempt did not finish", cause)
				}
				dead <- j
			}
			q := mustOpen(t, cfg)
			if err := q.Enqueue(t.Context(), "k", []byte("p"), "lost"); err != nil {
				t.Fatal(err)
			}
			cons, err := q.consumer(t.Context(), "k")
			if err != nil {
				t.Fatal(err)
			}
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			taken := 0
			for range batch.Messages() {
				taken++ // and never acked: the worker "died"
			}
			if taken != 1 {
				t.Fatalf("dying worker got %d jobs, want 1", taken)
			}
			var got record
			worker(t, q, "k", 1, func(_ context.Context, j Job) error { got.add(j); return nil })
			if tc.wantRun {
				waitFor(t, "redelivery", func() bool { return got.len() == 1 })
				if j := got.snapshot()[0]; j.Attempt != 2 || j.ID != "lost" {
					t.Errorf("redelivered %+v, want job lost at attempt 2", j)
				}
			} else {
				j := <-dead
				if j.ID != "lost" || j.Attempt != 2 {
					t.Errorf("dead-lettered %+v, want job lost at attempt 2", j)
				}
				if got.len() != 0 {
					t.Error("handler ran a job beyond MaxDeliver")
				}
			}
			waitFor(t, "queue drained", func() bool { st := mustStats(t, q, "k"); return st.InFlight == 0 && st.Pending == 0 })
		})
	}
}

// A job running longer than AckWait is not redelivered while its worker
// sends progress heartbeats.
func TestLongJobKeepsItsDelivery(t *testing.T) {
	cfg := testConfig(t)
	cfg.AckWait = time.Second
	q := mustOpen(t, cfg)
	if err := q.Enqueue(t.Context(), "long", nil, "long"); err != nil {
		t.Fatal(err)
	}
	var got record
	// Two workers: a redelivery would reach the idle slot at once.
	worker(t, q, "long", 2, func(_ context.Context, j Job) error {
		got.add(j)
		time.Sleep(5 * cfg.AckWait / 2)
		return nil
	})
	waitFor(t, "job settled", func() bool {
		st := mustStats(t, q, "long")
		return got.len() > 0 && st.InFlight == 0 && st.Pending == 0
	})
	if n := got.len(); n != 1 {
		t.Errorf("long job delivered %d times, want 1", n)
	}
}

func TestJobTimeoutRetries(t *testing.T) {
	cfg := testConfig(t)
	cfg.JobTimeout = 50 * time.Millisecond
	q := mustOpen(t, cfg)
	if err := q.Enqueue(t.Context(), "slow", nil, ""); err != nil {
		t.Fatal(err)
	}
	var got record
	worker(t, q, "slow", 1, func(ctx context.Context, j Job) error {
		got.add(j)
		if j.Attempt == 1 {
			<-ctx.Done() // stuck until the job timeout
			return ctx.Err()
		}
		return nil
	})
	waitFor(t, "second attempt acked", func() bool { return got.len() == 2 && mustStats(t, q, "slow").InFlight == 0 })
}

func TestGracefulShutdownFinishesRunningJob(t *testing.T) {
	q := mustOpen(t, testConfig(t))
	for i := range 3 {
		if err := q.Enqueue(t.Context(), "g", nil, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	started := make(chan Job, 3)
	release := make(chan struct{})
	stop := worker(t, q, "g", 1, func(ctx context.Context, j Job) error {
		started <- j
		<-release
		return ctx.Err() // nil unless the shutdown timed out
	})
	first := <-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Work returned (%v) while a job was running", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Work: %v", err)
	}
	select {
	case j := <-started:
		t.Errorf("job %s started after shutdown began", j.ID)
	default:
	}
	if st := mustStats(t, q, "g"); st.InFlight != 0 || st.Pending != 2 {
		t.Errorf("stats %+v, want job %s acked and 2 pending", st, first.ID)
	}
}

func TestShutdownTimeoutReleasesJob(t *testing.T) {
	cfg := testConfig(t)
	cfg.ShutdownTimeout = 100 * time.Millisecond
	q := mustOpen(t, cfg)
	if err := q.Enqueue(t.Context(), "s", nil, "s"); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	stop := worker(t, q, "s", 1, func(ctx context.Context, j Job) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	<-started
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Released at once (not after AckWait) for the next worker.
	var got record
	worker(t, q, "s", 1, func(_ context.Context, j Job) error { got.add(j); return nil })
	waitFor(t, "redelivery", func() bool { return got.len() == 1 })
	if j := got.snapshot()[0]; j.Attempt != 2 {
		t.Errorf("redelivered attempt %d, want 2", j.Attempt)
	}
}

// Two Queue clients connected over loopback TCP to one embedded server share
// the work: every job runs once and both take part.
func TestTwoWorkersShareTheQueue(t *testing.T) {
	cfg := testConfig(t)
	cfg.ListenAddr = "127.0.0.1:0"
	server := mustOpen(t, cfg)
	url, err := ReadURL(cfg.DataDir)
	if err != nil || url != server.URL() || !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("ReadURL = %q, %v; URL() = %q", url, err, server.URL())
	}
	var got [2]record
	for w := range got {
		wcfg := testConfig(t)
		wcfg.DataDir, wcfg.URL = "", url
		client := mustOpen(t, wcfg)
		worker(t, client, "c", 2, func(_ context.Context, j Job) error {
			got[w].add(j)
			time.Sleep(time.Millisecond) // let the other worker pull too
			return nil
		})
	}
	waitForPullers(t, server, "c", 2) // both workers are waiting for jobs
	const n = 200
	for i := range n {
		if err := server.Enqueue(t.Context(), "c", nil, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all jobs", func() bool {
		return got[0].len()+got[1].len() >= n && mustStats(t, server, "c").InFlight == 0
	})
	count := map[string]int{}
	for w := range got {
		if got[w].len() == 0 {
			t.Errorf("worker %d ran no job", w)
		}
		for _, j := range got[w].snapshot() {
			count[j.ID]++
		}
	}
	for id, c := range count {
		if c != 1 {
			t.Errorf("job %s ran %d times", id, c)
		}
	}
	if len(count) != n {
		t.Errorf("%d distinct jobs ran, want %d", len(count), n)
	}
	t.Logf("split %d / %d", got[0].len(), got[1].len())
}

// A worker recreates its consumer if an operator deletes it.
func TestWorkerSurvivesConsumerDeletion(t *testing.T) {
	q := mustOpen(t, testConfig(t))
	var got record
	worker(t, q, "k", 1, func(_ context.Context, j Job) error { got.add(j); return nil })
	if err := q.Enqueue(t.Context(), "k", nil, "before"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first job", func() bool { return got.len() == 1 })
	if err := q.js.DeleteConsumer(t.Context(), q.cfg.Stream, consumerName("k")); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(t.Context(), "k", nil, "after"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job after the deletion", func() bool { return got.len() == 2 })
}

func TestDataDirIsLocked(t *testing.T) {
	cfg := testConfig(t)
	mustOpen(t, cfg)
	if q, err := Open(t.Context(), cfg); err == nil {
		q.Close()
		t.Fatal("second Open of the same DataDir succeeded")
	} else if !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open: %v, want an 'in use' error", err)
	}
}

func TestReopenKeepsPendingJobs(t *testing.T) {
	cfg := testConfig(t)
	q, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(t.Context(), "p", []byte("kept"), "p"); err != nil {
		t.Fatal(err)
	}
	q.Close()
	if _, err := ReadURL(cfg.DataDir); err == nil {
		t.Error("URL file left behind by Close")
	}
	q = mustOpen(t, cfg)
	if st := mustStats(t, q, "p"); st.Pending != 1 {
		t.Errorf("after reopen: %+v, want 1 pending", st)
	}
}

func TestReopenWithNewSettingsUpdatesStreams(t *testing.T) {
	cfg := testConfig(t)
	q, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Stats(t.Context(), "k"); err != nil { // creates the consumer
		t.Fatal(err)
	}
	q.Close()
	cfg.DedupWindow, cfg.AckWait = 7*time.Minute, 3*time.Second
	q = mustOpen(t, cfg)
	s, err := q.js.Stream(t.Context(), q.cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.CachedInfo().Config.Duplicates; d != cfg.DedupWindow {
		t.Errorf("stream dedup window %v, want %v", d, cfg.DedupWindow)
	}
	cons, err := q.consumer(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if w := info.Config.AckWait; w != cfg.AckWait {
		t.Errorf("consumer ack wait %v, want %v", w, cfg.AckWait)
	}
}

func TestCallsAfterClose(t *testing.T) {
	q, err := Open(t.Context(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	q.Close() // idempotent
	if err := q.Enqueue(t.Context(), "k", nil, ""); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close: %v", err)
	}
	if err := q.Work(t.Context(), "k", 1, func(context.Context, Job) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Work after Close: %v", err)
	}
	if _, err := q.Stats(t.Context(), "k"); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close: %v", err)
	}
}

// Close stops running Work loops and leaves no goroutine behind (TestMain
// checks the whole package; this pins it to Close).
func TestCloseStopsWorkersAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg := testConfig(t)
	cfg.ListenAddr = "127.0.0.1:0"
	q, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(t.Context(), "k", nil, ""); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- q.Work(context.Background(), "k", 3, func(context.Context, Job) error {
			ran <- struct{}{}
			return nil
		})
	}()
	<-ran
	q.Close()
	if err := <-done; err != nil {
		t.Errorf("Work after Close: %v", err)
	}
}

func TestInvalidInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no dir or url", Config{}, "DataDir"},
		{"public listener", Config{DataDir: dir, ListenAddr: "0.0.0.0:4222"}, "loopback"},
		{"bad listen addr", Config{DataDir: dir, ListenAddr: "localhost"}, "host:port"},
		{"bad port", Config{DataDir: dir, ListenAddr: "127.0.0.1:99999"}, "port"},
		{"bad stream", Config{DataDir: dir, Stream: "a.b"}, "Stream"},
		{"bad prefix", Config{DataDir: dir, SubjectPrefix: "x>"}, "SubjectPrefix"},
		{"negative deliver", Config{DataDir: dir, MaxDeliver: -2}, "MaxDeliver"},
		{"tiny ack wait", Config{DataDir: dir, AckWait: time.Millisecond}, "AckWait"},
		{"negative backoff", Config{DataDir: dir, Backoff: []time.Duration{-1}}, "Backoff[0]"},
		{"unreachable url", Config{URL: "nats://127.0.0.1:1", ConnectOptions: nil}, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Open(t.Context(), tc.cfg)
			if err == nil {
				q.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}

	q := mustOpen(t, testConfig(t))
	for _, kind := range []string{"", "a.b", "a*", "a>", "a b", strings.Repeat("k", 65)} {
		if err := q.Enqueue(t.Context(), kind, nil, ""); err == nil || !strings.Contains(err.Error(), "kind") {
			t.Errorf("Enqueue kind %q: %v", kind, err)
		}
	}
	if err := q.Enqueue(t.Context(), "k", nil, "two\nlines"); err == nil {
		t.Error("Enqueue accepted a dedupID with a line break")
	}
	if err := q.Work(t.Context(), "k", 0, func(context.Context, Job) error { return nil }); err == nil {
		t.Error("Work accepted concurrency 0")
	}
	if err := q.Work(t.Context(), "k", 1, nil); err == nil {
		t.Error("Work accepted a nil handler")
	}
	if err := q.Enqueue(t.Context(), "k", make([]byte, 2<<20), ""); err == nil {
		t.Error("Enqueue accepted a 2 MiB payload")
	}
}
