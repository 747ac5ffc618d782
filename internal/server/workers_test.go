package server_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

const workerChildEnv = "TRACEMARK_WORKER_CHILD_DIR"

// TestWorkerProcessesShareQueue queues the correlation of the same set of
// synthetic cartridge cases twice, once for one worker process and once for
// two (each running one job at a time, like tracemark worker --concurrency
// 1, GOMAXPROCS=1), all on the serving process's embedded NATS over loopback, and reports
// the speed-up. It checks that every run completes; the timing is only
// reported (the machine is shared).
func TestWorkerProcessesShareQueue(t *testing.T) {
	if dir := os.Getenv(workerChildEnv); dir != "" {
		workerChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	var elapsed [3]time.Duration
	for _, procs := range []int{1, 2} {
		elapsed[procs] = correlateWith(t, procs, 16)
		t.Logf("%d worker process(es): 16 runs in %.1f s", procs, elapsed[procs].Seconds())
	}
	t.Logf("speed-up of two worker processes over one: %.2f×", elapsed[1].Seconds()/elapsed[2].Seconds())
}

// correlateWith ingests n synthetic cartridge cases into a fresh node and
// times procs worker processes correlating them.
func correlateWith(t *testing.T, procs, n int) time.Duration {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := quietConfig(dir)
	cfg.NATSListen = "127.0.0.1:0"
	node, err := server.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	ingestCartridges(t, ctx, node, n/2, 5)
	start := time.Now()
	var children []*exec.Cmd
	for range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcessesShareQueue$")
		// One core per worker process, as on a machine per worker: the
		// pipeline's own parallelism would otherwise blur the comparison.
		cmd.Env = append(os.Environ(), workerChildEnv+"="+dir, "GOMAXPROCS=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children = append(children, cmd)
	}
	defer func() {
		for _, c := range children {
			c.Process.Signal(syscall.SIGTERM)
			c.Wait()
		}
	}()
	for {
		left, err := node.Store.UnfinishedRuns(ctx, "", store.MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d runs unfinished with %d worker processes", len(left), procs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(start)
	runs, _, err := node.Store.ListRuns(ctx, store.RunFilter{Agency: node.Agency.ID, Status: domain.RunDone}, store.Page{Limit: store.MaxLimit})
	if err != nil || len(runs) != n {
		t.Fatalf("%d runs done, want %d (%v)", len(runs), n, err)
	}
	return took
}

// workerChild is tracemark worker --data dir --concurrency 1.
func workerChild(dir string) {
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		stop()
	}()
	url, err := server.WorkerDataURL(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfg := quietConfig(dir)
	cfg.NATSURL = url
	n, err := server.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer n.Close()
	concurrency, _ := strconv.Atoi(os.Getenv("TRACEMARK_WORKER_CONCURRENCY"))
	if err := n.Work(ctx, max(1, concurrency)); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
