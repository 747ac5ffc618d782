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

// killChildEnv makes the test binary act as the process that gets killed.
const killChildEnv = "TRACEMARK_JOBS_KILL_CHILD_DIR"

const (
	killJobs      = 60
	killAfterAcks = 15
)

func killConfig(t testing.TB, dir string) Config {
	cfg := testConfig(t)
	cfg.DataDir = filepath.Join(dir, "nats")
	cfg.AckWait = time.Second // how soon the dead child's jobs come back
	return cfg
}

// TestKill9Durability runs a child process that enqueues jobs and works on
// them, kills it with SIGKILL mid-work, reopens its data directory and checks
// that every job the child did not ack runs, and none that it acked runs again.
func TestKill9Durability(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		runKillChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal")
	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Durability$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
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
	waitFor(t, "child acks", func() bool {
		select {
		case <-exited:
			childDied = true
			return true
		default:
			return len(readJournal(t, journal)["A"]) >= killAfterAcks
		}
	})
	if childDied {
		t.Fatalf("child exited before the kill; output:\n%s", out.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	exited <- <-exited // keep it readable for the cleanup

	j := readJournal(t, journal)
	enqueued, acked := j["E"], j["A"]
	if len(enqueued) != killJobs {
		t.Fatalf("child enqueued %d jobs before the kill, want %d; child output:\n%s", len(enqueued), killJobs, out.String())
	}
	if len(acked) >= killJobs {
		t.Fatalf("child acked all jobs before the kill; the test proves nothing")
	}
	for id, n := range acked {
		if n != 1 {
			t.Errorf("child acked %s %d times", id, n)
		}
	}

	q := mustOpen(t, killConfig(t, dir))
	var redone record
	worker(t, q, "k", 4, func(_ context.Context, job Job) error { redone.add(job); return nil })
	waitFor(t, "remaining jobs", func() bool { return redone.len() >= killJobs-len(acked) })
	waitFor(t, "queue drained", func() bool {
		st := mustStats(t, q, "k")
		return st.Pending == 0 && st.InFlight == 0
	})
	ran := map[string]int{}
	retried := 0
	for _, job := range redone.snapshot() {
		ran[job.ID]++
		if job.Attempt > 1 {
			retried++
		}
	}
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
	t.Logf("killed after %d acks (%d started); after restart %d jobs ran, %d of them redeliveries of the child's in-flight jobs",
		len(acked), len(j["S"]), redone.len(), retried)
}

// runKillChild enqueues killJobs jobs and works on them until it is killed,
// journalling "E id" after each enqueue, "S id" at each start and "A id"
// after each confirmed ack, with one write per line so a kill leaves whole lines.
func runKillChild(t *testing.T, dir string) {
	f, err := os.OpenFile(filepath.Join(dir, "journal"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
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
	for i := range killJobs {
		id := fmt.Sprintf("job-%02d", i)
		if err := q.Enqueue(context.Background(), "k", nil, id); err != nil {
			t.Fatal(err)
		}
		note("E", id)
	}
	_ = q.Work(context.Background(), "k", 2, func(_ context.Context, job Job) error {
		note("S", job.ID)
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	t.Fatal("child Work returned; it should have been killed")
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
