package jobs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment of a child process that gets killed: its directory and what it
// does (killModeWork or killModeEnqueue).
const (
	killChildEnv = "TRACEMARK_JOBS_KILL_CHILD_DIR"
	killModeEnv  = "TRACEMARK_JOBS_KILL_CHILD_MODE"
)

const (
	killModeWork    = "work"    // enqueue killWorkJobs, then work on them
	killModeEnqueue = "enqueue" // enqueue up to killEnqueueJobs, never work
)

const (
	killWorkJobs     = 200
	killAfterAcks    = 15
	killEnqueueJobs  = 100000
	killAfterEnqueue = 300
)

func killConfig(t testing.TB, dir string) Config {
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(dir, "nats")
	cfg.AckWait = time.Second // how soon the dead child's jobs come back
	return cfg
}

// TestKill9DuringWork runs a child process that enqueues jobs and works on
// them, kills it with SIGKILL mid-work, reopens its data directory and checks
// that every job the child did not ack runs, and none that it acked runs again.
func TestKill9DuringWork(t *testing.T) {
	if runKillChildIfAsked(t) {
		return
	}
	dir := t.TempDir()
	j := killChild(t, dir, killModeWork, func(j map[string]map[string]int) bool {
		return len(j["A"]) >= killAfterAcks
	})
	enqueued, acked := j["E"], j["A"]
	if len(enqueued) != killWorkJobs {
		t.Fatalf("child enqueued %d jobs before the kill, want %d", len(enqueued), killWorkJobs)
	}
	if len(acked) >= killWorkJobs {
		t.Fatalf("child acked all jobs before the kill; the test proves nothing")
	}
	for id, n := range acked {
		if n != 1 {
			t.Errorf("child acked %s %d times", id, n)
		}
	}

	ran := drain(t, dir)
	for id := range enqueued {
		switch {
		case acked[id] > 0 && ran[id] > 0:
			t.Errorf("job %s was acked before the kill and ran again", id)
		case acked[id] == 0 && ran[id] == 0:
			t.Errorf("job %s was lost", id)
		case ran[id] > 1:
			t.Errorf("job %s ran %d times after the restart", id, ran[id])
		}
	}
	t.Logf("killed after %d acks (%d started); %d jobs ran after the restart", len(acked), len(j["S"]), len(ran))
}

// TestKill9DuringEnqueue kills a child that is enqueueing as fast as it can
// and checks that every job whose Enqueue returned is delivered after the
// restart.
func TestKill9DuringEnqueue(t *testing.T) {
	if runKillChildIfAsked(t) {
		return
	}
	dir := t.TempDir()
	j := killChild(t, dir, killModeEnqueue, func(j map[string]map[string]int) bool {
		return len(j["E"]) >= killAfterEnqueue
	})
	enqueued := j["E"]
	if len(enqueued) >= killEnqueueJobs {
		t.Fatalf("child enqueued all jobs before the kill; the test proves nothing")
	}
	ran := drain(t, dir)
	extra := 0
	for id := range ran {
		if enqueued[id] == 0 {
			extra++ // stored, but the child died before journalling it
		}
	}
	for id := range enqueued {
		if ran[id] != 1 {
			t.Errorf("enqueued job %s ran %d times after the restart, want 1", id, ran[id])
		}
	}
	if extra > 1 {
		t.Errorf("%d jobs ran that the child never enqueued (one enqueue can be in flight at the kill)", extra)
	}
	t.Logf("killed after %d enqueues; %d jobs ran after the restart", len(enqueued), len(ran))
}

// killChild starts the test binary as a child in the given mode, kills it
// with SIGKILL once its journal satisfies ready, and returns the journal.
func killChild(t *testing.T, dir, mode string, ready func(map[string]map[string]int) bool) map[string]map[string]int {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	journal := filepath.Join(dir, "journal")
	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killModeEnv+"="+mode)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	childDied := false
	waitFor(t, "child progress", func() bool {
		select {
		case <-exited:
			childDied = true
			return true
		default:
			return ready(readJournal(t, journal))
		}
	})
	if childDied {
		t.Fatalf("child exited before the kill; output:\n%s", out.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	exited <- <-exited // keep it readable for the cleanup
	return readJournal(t, journal)
}

// drain reopens the child's queue, works off every job and returns how many
// times each job ID ran.
func drain(t *testing.T, dir string) map[string]int {
	t.Helper()
	q := mustOpen(t, killConfig(t, dir))
	var got record
	stop := worker(t, q, "k", 4, func(_ context.Context, job Job) error { got.add(job); return nil })
	waitFor(t, "queue drained", func() bool {
		st := mustStats(t, q, "k")
		return got.len() > 0 && st.Pending == 0 && st.InFlight == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	for _, job := range got.snapshot() {
		ran[job.ID]++
	}
	return ran
}

// runKillChildIfAsked runs the child's part when the test binary was
// started by killChild, reporting whether it did.
func runKillChildIfAsked(t *testing.T) bool {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, "journal"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	// One write per line, so a kill leaves whole lines: "E id" after each
	// enqueue, "S id" at each start and "A id" after each confirmed ack.
	var mu sync.Mutex
	note := func(event, id string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := fmt.Fprintf(f, "%s %s\n", event, id); err != nil {
			panic(err)
		}
	}
	q, err := Open(context.Background(), killConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	q.afterAck = func(job Job) { note("A", job.ID) }
	n := killWorkJobs
	if os.Getenv(killModeEnv) == killModeEnqueue {
		n = killEnqueueJobs
	}
	for i := range n {
		id := fmt.Sprintf("job-%05d", i)
		if err := q.Enqueue(context.Background(), "k", nil, id); err != nil {
			t.Fatal(err)
		}
		note("E", id)
	}
	if os.Getenv(killModeEnv) == killModeWork {
		_ = q.Work(context.Background(), "k", 2, func(_ context.Context, job Job) error {
			note("S", job.ID)
			time.Sleep(20 * time.Millisecond)
			return nil
		})
	}
	t.Fatal("child finished; it should have been killed")
	return true
}

// readJournal counts the child's journal lines by event and job ID.
func readJournal(t testing.TB, path string) map[string]map[string]int {
	t.Helper()
	out := map[string]map[string]int{"E": {}, "S": {}, "A": {}}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		event, id, ok := strings.Cut(sc.Text(), " ")
		if !ok || out[event] == nil {
			t.Fatalf("bad journal line %q", sc.Text())
		}
		out[event][id]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
