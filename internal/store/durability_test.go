package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// crashChildEnv makes the test binary act as the writer that gets killed.
const crashChildEnv = "TRACEMARK_STORE_CRASH_CHILD"

// candidatesPerRun is how many candidates each run of the crash test stores
// in one transaction with its status change.
const candidatesPerRun = 40

// TestSQLiteSurvivesKill9 writes in a child process, kills it with SIGKILL
// in the middle of its writes, and reopens the database: every transaction
// the child reported committed must be there in full, and no run may be
// half-written (done with a partial list, or a list without done).
func TestSQLiteSurvivesKill9(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashWriter(path)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteSurvivesKill9$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	var agency domain.AgencyID
	committed := map[domain.RunID]bool{}
	sc := bufio.NewScanner(out)
	timeout := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timeout.Stop()
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "agency":
			agency = domain.AgencyID(f[1])
		case len(f) == 2 && f[0] == "committed":
			committed[domain.RunID(f[1])] = true
		}
		if len(committed) == 25 {
			break
		}
	}
	if len(committed) < 25 {
		t.Fatalf("child committed only %d runs before it stopped", len(committed))
	}
	// The child keeps writing; kill it while it does.
	time.Sleep(time.Duration(time.Now().UnixNano()%40) * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopening after the crash: %v", err)
	}
	defer s.Close()
	var runs []domain.CorrelationRun
	page := store.Page{Limit: store.MaxLimit}
	for {
		rs, next, err := s.ListRuns(context.Background(), store.RunFilter{Agency: agency}, page)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, rs...)
		if next == "" {
			break
		}
		page.Cursor = next
	}
	seen := map[domain.RunID]bool{}
	for _, r := range runs {
		seen[r.ID] = true
		cands, _, err := s.ListCandidates(context.Background(), store.CandidateFilter{Agency: agency, Run: r.ID}, store.Page{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Status == domain.RunDone && len(cands) != candidatesPerRun:
			t.Errorf("run %s is done with %d candidates, want %d: half-written", r.ID, len(cands), candidatesPerRun)
		case r.Status != domain.RunDone && len(cands) != 0:
			t.Errorf("run %s is %s but has %d candidates: half-written", r.ID, r.Status, len(cands))
		case committed[r.ID] && r.Status != domain.RunDone:
			t.Errorf("run %s was reported committed but is %s", r.ID, r.Status)
		}
	}
	for id := range committed {
		if !seen[id] {
			t.Errorf("committed run %s lost in the crash", id)
		}
	}
	t.Logf("child reported %d committed runs; after kill -9 the database holds %d runs, all whole", len(committed), len(runs))

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// crashWriter sets up one agency and then stores runs with their candidate
// lists until it is killed, printing each committed run.
func crashWriter(path string) {
	ctx := context.Background()
	s, err := store.Open(ctx, path)
	if err != nil {
		panic(err)
	}
	fail := func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "crash writer:", err)
			os.Exit(2)
		}
	}
	a, err := s.CreateAgency(ctx, domain.Agency{Code: "CRASH", Name: "crash lab"})
	fail(err)
	c, err := s.CreateCase(ctx, domain.Case{AgencyID: a.ID, Number: "1"})
	fail(err)
	e, err := s.CreateExhibit(ctx, domain.Exhibit{AgencyID: a.ID, CaseID: c.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
	fail(err)
	var scans []domain.ScanID
	for i := range candidatesPerRun + 1 {
		sc, _, err := s.PutScan(ctx, domain.Scan{AgencyID: a.ID, ExhibitID: e.ID, Original: blob.RefOf([]byte(fmt.Sprint(i))), Format: domain.FormatX3P})
		fail(err)
		scans = append(scans, sc.ID)
	}
	fmt.Printf("agency %s\n", a.ID)
	for {
		r, err := s.CreateRun(ctx, domain.CorrelationRun{AgencyID: a.ID, QueryScan: scans[0]})
		fail(err)
		cands := make([]domain.Candidate, candidatesPerRun)
		for i := range cands {
			cands[i] = domain.Candidate{Scan: scans[i+1], Rank: i + 1, Score: 1 / float64(i+1),
				Registration: []byte(`{"theta_deg":1.5,"dx_um":-2,"dy_um":3}`)}
		}
		fail(s.CompleteRun(ctx, a.ID, r.ID, []byte(`{"full_ms":1}`), cands))
		fmt.Printf("committed %s\n", r.ID)
	}
}
