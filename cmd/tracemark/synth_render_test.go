package main

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
	"github.com/tracemark/tracemark/internal/x3p"
)

// runSynthRenderCLI runs the tracemark command line with args and returns stderr.
func runSynthRenderCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(args)
	err := root.Execute()
	return stderr.String(), err
}

func readTruthCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestSynthCartridgesCLI(t *testing.T) {
	dir := t.TempDir()
	if _, err := runSynthRenderCLI(t, "synth", "--out", dir, "--firearms", "2", "--shots", "2", "--size", "96", "--seed", "3"); err != nil {
		t.Fatal(err)
	}
	rows := readTruthCSV(t, filepath.Join(dir, "ground_truth.csv"))
	if got := strings.Join(rows[0], ","); got != "file,source_id,rotation_deg,shift_x_um,shift_y_um" {
		t.Errorf("header %q", got)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want header + 4", len(rows))
	}
	for _, r := range rows[1:] {
		f, err := x3p.ReadFile(filepath.Join(dir, r[0]))
		if err != nil {
			t.Fatal(err)
		}
		if f.Surface.NX != 96 || f.Surface.DX != 6.25 || len(f.Warnings) != 0 {
			t.Errorf("%s: %d points at %g µm, warnings %v", r[0], f.Surface.NX, f.Surface.DX, f.Warnings)
		}
		if !strings.HasPrefix(r[0], r[1]) {
			t.Errorf("file %s does not belong to source %s", r[0], r[1])
		}
	}
}

func TestSynthBulletsCLI(t *testing.T) {
	dir := t.TempDir()
	args := []string{"synth", "--kind", "bullet", "--out", dir, "--firearms", "1", "--shots", "2", "--lands", "3",
		"--spacing", "8", "--land-height", "100"}
	if _, err := runSynthRenderCLI(t, args...); err != nil {
		t.Fatal(err)
	}
	rows := readTruthCSV(t, filepath.Join(dir, "ground_truth.csv"))
	if got := strings.Join(rows[0][:5], ","); got != "file,bullet_id,land,source_id,barrel_id" {
		t.Errorf("header %q", got)
	}
	if len(rows) != 1+2*3 {
		t.Fatalf("%d rows, want header + 6", len(rows))
	}
	sources := map[string]int{}
	for _, r := range rows[1:] {
		sources[r[3]]++
		if r[4] != "barrel-001" {
			t.Errorf("barrel %q", r[4])
		}
		if _, err := os.Stat(filepath.Join(dir, r[0])); err != nil {
			t.Error(err)
		}
	}
	if len(sources) != 3 {
		t.Errorf("land sources %v: want 3 lands, each on both bullets", sources)
	}
	for s, n := range sources {
		if n != 2 {
			t.Errorf("land source %s appears %d times, want 2", s, n)
		}
	}
}

func TestSynthCLIErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"synth", "--firearms", "1", "--shots", "1"},
		{"synth", "--out", dir, "--firearms", "0", "--shots", "1"},
		{"synth", "--out", dir, "--firearms", "1", "--shots", "1", "--kind", "shotgun"},
		{"synth", "--out", dir, "--firearms", "1", "--shots", "1", "--spacing", "-2"},
	} {
		if _, err := runSynthRenderCLI(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestRenderCLI(t *testing.T) {
	dir := t.TempDir()
	if _, err := runSynthRenderCLI(t, "synth", "--out", dir, "--firearms", "1", "--shots", "1", "--size", "120"); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "firearm-001-shot-01.x3p")
	out := filepath.Join(dir, "out.png")
	if _, err := runSynthRenderCLI(t, "render", in, "-o", out, "--color", "--max-width", "60", "--azimuth", "200"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 60 || b.Dy() != 60 {
		t.Errorf("size %v, want 60×60 (120 points shrunk by 2)", b.Size())
	}
	for _, args := range [][]string{
		{"render", in},
		{"render", filepath.Join(dir, "missing.x3p"), "-o", out},
		{"render", in, "-o", out, "--elevation", "120"},
	} {
		if _, err := runSynthRenderCLI(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestRenderFadulCLI(t *testing.T) {
	in := filepath.Join(realdata.Dir(t, "fadul"), "fadulProcessed", "Fadul 1-2.x3p")
	out := filepath.Join(t.TempDir(), "f.png")
	if _, err := runSynthRenderCLI(t, "render", in, "-o", out, "--colour"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 546 || cfg.Height != 546 {
		t.Errorf("size %d×%d, want 546×546", cfg.Width, cfg.Height)
	}
}
