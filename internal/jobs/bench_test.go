package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkEnqueueAck measures the queue's own overhead: tiny jobs enqueued
// by 8 goroutines into an embedded server and handled (no-op) by 32 workers;
// jobs/s counts confirmed acks, enqueue/s the publish side alone.
func BenchmarkEnqueueAck(b *testing.B) {
	q := mustOpen(b, testConfig(b))
	var acked atomic.Int64
	allAcked := make(chan struct{})
	q.afterAck = func(Job) {
		if acked.Add(1) == int64(b.N) {
			close(allAcked)
		}
	}
	worker(b, q, "bench", 32, func(context.Context, Job) error { return nil })
	payload := []byte("exhibit-000000001")
	const publishers = 8
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for p := range publishers {
		wg.Go(func() {
			for i := p; i < b.N; i += publishers {
				if err := q.Enqueue(context.Background(), "bench", payload, fmt.Sprint(i)); err != nil {
					failed.Store(&err)
					return
				}
			}
		})
	}
	wg.Wait()
	enqueued := time.Since(start)
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	<-allAcked
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(b.N)/enqueued.Seconds(), "enqueue/s")
}

// BenchmarkWorkersSpeedup runs a batch of CPU-bound jobs (a fixed busy loop
// of a few ms each) on one worker process, then on two, each a child process
// (this test binary re-executed) connected over loopback TCP to the embedded
// server in this process, with concurrency 1. speedup = time(1 worker) /
// time(2 workers): about 2 on 2 idle cores, less when other processes load
// the machine. (Worker goroutines in one process would measure the Go
// scheduler instead: busy goroutines on every P delay the NATS client's
// goroutines until preemption.)
func BenchmarkWorkersSpeedup(b *testing.B) {
	cfg := testConfig(b)
	cfg.ListenAddr = "127.0.0.1:0"
	q := mustOpen(b, cfg)
	// Worker A takes kinds "one" and "two", worker B only "two": batches of
	// "one" run on one worker, batches of "two" on both.
	startBenchWorker(b, q.URL(), "one,two")
	startBenchWorker(b, q.URL(), "two")
	waitForPullers(b, q, "one", 1)
	waitForPullers(b, q, "two", 2)

	const batch = 24
	run := func(kind string) time.Duration {
		start := time.Now()
		for i := range batch {
			if err := q.Enqueue(context.Background(), kind, []byte{byte(i)}, ""); err != nil {
				b.Fatal(err)
			}
		}
		for {
			st := mustStats(b, q, kind)
			if st.Pending == 0 && st.InFlight == 0 {
				return time.Since(start)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	var one, two time.Duration
	for b.Loop() {
		one += run("one")
		two += run("two")
	}
	b.ReportMetric(float64(b.N*batch)/one.Seconds(), "jobs/s-1worker")
	b.ReportMetric(float64(b.N*batch)/two.Seconds(), "jobs/s-2workers")
	b.ReportMetric(one.Seconds()/two.Seconds(), "speedup")
}

// Environment of a benchmark worker child: the queue URL and the kinds to work on.
const (
	benchWorkerURLEnv   = "TRACEMARK_JOBS_BENCH_WORKER_URL"
	benchWorkerKindsEnv = "TRACEMARK_JOBS_BENCH_WORKER_KINDS"
)

// burnSteps is the CPU work of one benchmark job (xorshift steps, a few ms).
const burnSteps = 4_000_000

// startBenchWorker re-executes the test binary as a worker process; it
// exits when its stdin closes, at the end of the benchmark.
func startBenchWorker(b *testing.B, url, kinds string) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchWorkerURLEnv+"="+url, benchWorkerKindsEnv+"="+kinds)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("bench worker: %v", err)
		}
	})
}

// runBenchWorker is the body of a worker child (see TestMain).
func runBenchWorker(url, kinds string) error {
	q, err := Open(context.Background(), Config{URL: url, PollWait: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, kind := range strings.Split(kinds, ",") {
		wg.Go(func() {
			_ = q.Work(ctx, kind, 1, func(context.Context, Job) error {
				if burn(burnSteps) == 0 {
					return errors.New("impossible")
				}
				return nil
			})
		})
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	cancel()
	wg.Wait()
	return nil
}

// waitForPullers waits until n workers have a pull request open on kind.
func waitForPullers(b testing.TB, q *Queue, kind string, n int) {
	b.Helper()
	cons, err := q.consumer(b.Context(), kind)
	if err != nil {
		b.Fatal(err)
	}
	waitFor(b, fmt.Sprintf("%d workers on %s", n, kind), func() bool {
		info, err := cons.Info(b.Context())
		return err == nil && info.NumWaiting >= n
	})
}

// burn is a fixed amount of CPU work; xorshift never reaches 0 from 1, so the
// caller's check keeps the loop from being optimised away.
func burn(steps int) uint64 {
	x := uint64(1)
	for range steps {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
