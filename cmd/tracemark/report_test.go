package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runReportCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newReportCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestReportCmd(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"comparison", "case", "review-sheet", "trace-request", "receipt"} {
		pdf := filepath.Join(dir, kind+".pdf")
		out, err := runReportCmd(t, "--in", filepath.Join("..", "..", "internal", "report", "testdata", kind+".json"), "--lang", "kk", "-o", pdf)
		if err != nil {
			t.Fatalf("%s: %v\n%s", kind, err, out)
		}
		b, err := os.ReadFile(pdf)
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("%s: not a PDF (%v)", kind, err)
		}
		sum := sha256.Sum256(b)
		if !strings.Contains(out, hex.EncodeToString(sum[:])) {
			t.Errorf("%s: printed hash is not the file's SHA-256:\n%s", kind, out)
		}
	}
	if _, err := runReportCmd(t, "--in", filepath.Join("..", "..", "internal", "report", "testdata", "case.json"), "--kind", "memo", "-o", filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := runReportCmd(t, "--in", "no-such.json", "-o", filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("missing input accepted")
	}
}

func TestReportDemoCmd(t *testing.T) {
	pdf := filepath.Join(t.TempDir(), "demo.pdf")
	td := filepath.Join("..", "..", "internal", "x3p", "testdata")
	out, err := runReportCmd(t, "demo", "--lang", "uz-Latn", "-o", pdf, "--a", filepath.Join(td, "Fadul 1-1.x3p"), "--b", filepath.Join(td, "Fadul 1-2.x3p"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "sha256 ") {
		t.Errorf("no hash printed:\n%s", out)
	}
}
