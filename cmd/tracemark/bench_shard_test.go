package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/search"
)

// runMainEnv, set to 1, makes the test binary run as tracemark itself:
// the commands that start processes of their own program (bench search
// --shard-processes) start the test binary, which then serves as that
// program.
const runMainEnv = "TRACEMARK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits with 1 on an error
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childProcesses lists the processes whose parent is this one (Linux
// /proc; nil elsewhere).
func childProcesses(t *testing.T) []int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // ended meanwhile
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:])) // state, ppid, ...
		if len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			kids = append(kids, pid)
		}
	}
	return kids
}

// TestBenchSearchShardProcesses: the bench with its coarse stage in two
// shard processes keeps exactly the mates of the single-index bench of
// the same corpus (the merge is exact and the corpus is smaller than the
// rerank depth, so every row is swept either way), reports each process,
// and leaves no process behind, also when a shard process fails.
func TestBenchSearchShardProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two shard processes and builds 400 exhibits twice (about 15 s)")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs Linux /proc to see the child processes")
	}
	t.Setenv(runMainEnv, "1") // for the shard processes
	dir := t.TempDir()
	bench := func(name string, extra ...string) search.BenchReport {
		t.Helper()
		path := filepath.Join(dir, name+".json")
		args := append([]string{"bench", "search", "--synthetic", "200", "--distractors", "200", "--queries", "3", "--full", "1",
			"--engine-mates=false", "--seed", "5", "--report", path}, extra...)
		out, errOut, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s\n%s", name, err, out, errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var rep search.BenchReport
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	one := bench("one")
	procs := bench("processes", "--shards", "2", "--shard-processes")
	if kids := childProcesses(t); len(kids) > 0 {
		t.Errorf("processes %v still running after the bench", kids)
	}
	if procs.Exhibits != 400 || one.Exhibits != 400 {
		t.Fatalf("exhibits: %d with shard processes, %d in one index; want 400", procs.Exhibits, one.Exhibits)
	}
	if procs.Synthetic == nil || one.Synthetic == nil || procs.Synthetic.Queries != 3 || one.Synthetic.Queries != 3 {
		t.Fatal("missing synthetic queries")
	}
	if procs.RecallAtK != one.RecallAtK {
		t.Errorf("recall %v with shard processes, %v in one index", procs.RecallAtK, one.RecallAtK)
	}
	for i, q := range procs.Synthetic.Results {
		o := one.Synthetic.Results[i]
		if q.ID != o.ID || q.Kept != o.Kept || q.TopID != o.TopID {
			t.Errorf("query %d: %s kept %d mates, top %s; one index: %s kept %d, top %s", i, q.ID, q.Kept, q.TopID, o.ID, o.Kept, o.TopID)
		}
	}
	if len(procs.Processes) != 3 || procs.Processes[0].Role != "query" || len(procs.ShardParts) != 2 {
		t.Fatalf("processes %+v, parts %+v; want the query process and 2 shards", procs.Processes, procs.ShardParts)
	}
	held := 0
	for i, p := range procs.Processes[1:] {
		if want := fmt.Sprintf("shard %d/2", i); p.Role != want || p.PeakRSSMiB <= 0 || p.CPUSeconds <= 0 {
			t.Errorf("process %+v: want %s with its peak RSS and CPU", p, want)
		}
		held += procs.ShardParts[i].Exhibits
		if part := procs.ShardParts[i]; part.Exhibits == 0 || part.Exhibits == 400 || part.RSSMiB <= 0 {
			t.Errorf("shard %d holds %d of the 400 exhibits in %v MiB resident", i, part.Exhibits, part.RSSMiB)
		}
	}
	if held != 400 {
		t.Errorf("the shards hold %d exhibits, want 400", held)
	}

	// A shard process that fails (the real scans' truth file is missing)
	// fails the bench, and no process stays behind.
	_, _, err := runCLI(t, "bench", "search", "--synthetic", "8", "--queries", "1", "--shards", "2", "--shard-processes",
		"--real", dir, "--truth", filepath.Join(dir, "missing.csv"))
	if err == nil || !strings.Contains(err.Error(), "shard process") {
		t.Errorf("a failing shard process gave %v; want its failure", err)
	}
	if kids := childProcesses(t); len(kids) > 0 {
		t.Errorf("processes %v still running after the failed bench", kids)
	}
}
