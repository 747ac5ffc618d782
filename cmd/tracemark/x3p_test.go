package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runX3PCLI runs the tracemark command line and returns stdout.
func runX3PCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

const fixtureDir = "../../internal/x3p/testdata"

func TestX3PInfo(t *testing.T) {
	out, err := runX3PCLI(t, "x3p", "info", filepath.Join(fixtureDir, "Fadul 1-1.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"545 × 545 points", "6.25 × 6.25 µm", "D (float64)", "NanoFocus usurf", "2011-01-24T13:00:00",
		"Xiaoyu Zheng", "data.bin ok, main.xml ok", "0.7221", "CSAFE <Mask> block"} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q:\n%s", want, out)
		}
	}
}

func TestX3PInfoJSON(t *testing.T) {
	out, err := runX3PCLI(t, "x3p", "info", "--json", filepath.Join(fixtureDir, "sample-land.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		File        string  `json:"file"`
		SizeX       int     `json:"size_x"`
		SpacingX    float64 `json:"spacing_x_um"`
		NaNFraction float64 `json:"nan_fraction"`
		HeightMin   float64 `json:"height_min_um"`
		HeightMax   float64 `json:"height_max_um"`
		Checksums   struct{ Data, Main string }
		Mask        struct {
			PNG         bool `json:"png"`
			Annotations []struct{ Color, Label string }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	// 25,292 of 918×256 points are NaN in sample-land.
	if got.SizeX != 918 || got.SpacingX != 2.58 || got.NaNFraction != 25292.0/235008 || !(got.HeightMin < got.HeightMax) ||
		got.Checksums.Data != "ok" || got.Checksums.Main != "ok" || !got.Mask.PNG || len(got.Mask.Annotations) != 9 {
		t.Errorf("info --json = %+v", got)
	}
}

func TestX3PValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.x3p")
	if err := os.WriteFile(bad, []byte("not a zip"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(fixtureDir, "ISO5436-sample4_bin.x3p")
	out, err := runX3PCLI(t, "x3p", "validate", good, bad)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("validate with a bad file: err %v, want exitError{1}", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != good+": ok" || !strings.HasPrefix(lines[1], bad+": FAIL: ") || !strings.Contains(lines[1], "zip") {
		t.Errorf("validate output:\n%s", out)
	}
	if _, err := runX3PCLI(t, "x3p", "validate", good); err != nil {
		t.Errorf("validate of a good file: %v", err)
	}
}
