package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestIngestThenSearch ingests two real Fadul scans of one firearm and a
// missing file from a manifest, ingests again (nothing new), and searches
// with one of the scans.
func TestIngestThenSearch(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "internal", "x3p", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "m.csv")
	csv := "file,case_number,exhibit_label,kind,calibre\n" +
		`"` + filepath.Join(fixtures, "Fadul 1-1.x3p") + `",A-1,E1,cartridge,9mm Luger` + "\n" +
		`"` + filepath.Join(fixtures, "Fadul 1-2.x3p") + `",A-2,E1,cartridge,9mm Luger` + "\n" +
		"nowhere.x3p,A-3,E1,cartridge,\n"
	if err := os.WriteFile(manifest, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI(t, "ingest", "--data", data, "--manifest", manifest, "--json")
	var sum struct{ Stored, Present, Failed int }
	if jerr := json.Unmarshal([]byte(out), &sum); jerr != nil {
		t.Fatalf("ingest output %q: %v", out, jerr)
	}
	if err == nil || sum.Stored != 2 || sum.Failed != 1 || !strings.Contains(errOut, "nowhere.x3p") {
		t.Fatalf("first ingest: %+v, err %v, stderr %q; want 2 stored, the missing file named and a failing exit", sum, err, errOut)
	}
	out, _, _ = runCLI(t, "ingest", "--data", data, "--manifest", manifest, "--json")
	if json.Unmarshal([]byte(out), &sum) != nil || sum.Stored != 0 || sum.Present != 2 {
		t.Fatalf("second ingest: %+v, want nothing new", sum)
	}
	// Each new scan has its custody event "scanned" (also an audit entry),
	// recorded once although the files were ingested twice.
	out, _, err = runCLI(t, "audit", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "custody.scanned"); n != 2 {
		t.Fatalf("audit list has %d custody.scanned entries, want 2 (one per new scan):\n%s", n, out)
	}
	out, _, err = runCLI(t, "search", "--data", data, "--k", "3", filepath.Join(fixtures, "Fadul 1-2.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "A-1") {
		t.Fatalf("search output:\n%s\nwant its mate (A-1) alone: the stored copy of the query is left out", out)
	}
}
