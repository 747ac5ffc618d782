package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

const crashChildEnv = "TRACEMARK_CRASH_CHILD_DIR"

func quietConfig(dir string) server.Config {
	return server.Config{DataDir: dir, NATSListen: "off", K: 5, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestKill9DuringIngest runs an ingesting server in a child process (this
// test binary re-executed), kills it with SIGKILL in the middle of its
// ingests and audit appends, restarts on the same data folder and checks
// that every exhibit the child reported as committed is there with its
// derived data and its custody event, that the audit chain is intact, and
// that the pending correlation jobs resume and complete.
func TestKill9DuringIngest(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9DuringIngest$", "-test.v=false")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := map[domain.ScanID]domain.ExhibitID{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(3 * time.Minute)
	for len(committed) < 6 && sc.Scan() {
		var scan, exhibit string
		if _, err := fmt.Sscanf(sc.Text(), "committed %s %s", &scan, &exhibit); err == nil {
			committed[domain.ScanID(scan)] = domain.ExhibitID(exhibit)
		}
		if time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(30 * time.Millisecond) // land the kill inside the next ingest
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(committed) < 6 {
		t.Fatalf("child committed %d ingests before the deadline; stderr:\n%s", len(committed), stderr.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n, err := server.Open(ctx, quietConfig(dir))
	if err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	defer n.Close()
	rep, err := audit.Verify(ctx, n.Store)
	if err != nil || rep.Problem != nil {
		t.Fatalf("audit chain after kill -9: %+v %v", rep, err)
	}
	if rep.Entries < int64(2*len(committed)) {
		t.Fatalf("audit log has %d entries after %d committed ingests, want at least two each", rep.Entries, len(committed))
	}
	for id, ex := range committed {
		evs, err := n.Store.CustodyEvents(ctx, n.Agency.ID, ex)
		if err != nil || len(evs) != 1 || evs[0].Scan != id || evs[0].Kind != store.CustodyScanned || evs[0].AuditSeq == 0 {
			t.Fatalf("custody of committed exhibit %s: %+v %v, want one scanned event of scan %s", ex, evs, err, id)
		}
		s, err := n.Store.Scan(ctx, n.Agency.ID, id)
		if err != nil {
			t.Fatalf("committed scan %s lost: %v", id, err)
		}
		if s.ExhibitID != ex || s.Features.IsZero() || s.Preprocessed.IsZero() {
			t.Fatalf("committed scan %s incomplete: %+v", id, s)
		}
		if _, err := n.Store.Exhibit(ctx, n.Agency.ID, ex); err != nil {
			t.Fatalf("committed exhibit %s lost: %v", ex, err)
		}
	}
	pending, err := n.Store.UnfinishedRuns(ctx, "", store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) < len(committed) {
		t.Fatalf("%d unfinished runs after the crash, want at least the %d committed scans' runs", len(pending), len(committed))
	}
	workCtx, stopWork := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Work(workCtx, 2) }()
	defer func() { stopWork(); <-done }()
	for {
		left, err := n.Store.UnfinishedRuns(ctx, "", store.MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d runs still unfinished after the restart", len(left))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for id := range committed {
		runs, _, err := n.Store.ListRuns(ctx, store.RunFilter{Agency: n.Agency.ID, QueryScan: id}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].Status != domain.RunDone {
			t.Fatalf("scan %s runs after restart: %+v, want one done", id, runs)
		}
	}
	t.Logf("%d committed ingests survived kill -9 with their custody events; audit chain intact (%d entries); %d pending runs resumed and completed",
		len(committed), rep.Entries, len(pending))
}

// crashChild ingests synthetic cartridge cases one after another, as the
// upload route does (case and exhibit audited, the scan's custody event
// with its audit entry), printing each one whose writes all returned,
// until it is killed.
func crashChild(dir string) {
	ctx := context.Background()
	n, err := server.Open(ctx, quietConfig(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	by := auth.Actor{User: n.User.ID, Username: n.User.Username, Agency: n.Agency.ID}
	for seed := uint64(1); ; seed++ {
		err := synth.EachCartridge(synth.CartridgeConfig{Firearms: 1, Shots: 1, Seed: seed, SizePX: 256}, func(s synth.Scan) error {
			var buf bytes.Buffer
			if err := x3p.Write(&buf, x3p.New(s.Surface)); err != nil {
				return err
			}
			cs, _, err := ingest.FindOrCreateCase(ctx, n.Store, domain.Case{AgencyID: n.Agency.ID, Number: fmt.Sprintf("K-%d", seed)})
			if err != nil {
				return err
			}
			if _, err := n.Audit.Act(ctx, by, "case.create", "case", string(cs.ID), string(cs.ID), map[string]any{"number": cs.Number}); err != nil {
				return err
			}
			ex, _, err := ingest.FindOrCreateExhibit(ctx, n.Store, domain.Exhibit{AgencyID: n.Agency.ID, CaseID: cs.ID, Label: "E1",
				Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
			if err != nil {
				return err
			}
			res, err := n.Ingester.Ingest(ctx, ingest.Request{Agency: n.Agency.ID, Actor: n.User.ID, Exhibit: ex.ID,
				Name: s.Name + ".x3p", Body: bytes.NewReader(buf.Bytes())})
			if err != nil {
				return err
			}
			if _, err := n.Audit.AddCustody(ctx, by.AuditName(), string(cs.ID), store.CustodyEvent{Agency: n.Agency.ID, Exhibit: ex.ID,
				Kind: store.CustodyScanned, At: time.Now().UTC(), By: n.User.ID, Scan: res.Scan.ID,
				ScanHashes: []string{res.Scan.Original.String()}, Warnings: res.Scan.Warnings}); err != nil {
				return err
			}
			fmt.Printf("committed %s %s\n", res.Scan.ID, strings.TrimSpace(string(ex.ID)))
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
