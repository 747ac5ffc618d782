package auth

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite MATRIX.md from the policy table")

// TestMatrixFile keeps MATRIX.md, the documented allow/deny matrix, in
// step with the policy table (go test ./internal/auth -run MatrixFile -update).
func TestMatrixFile(t *testing.T) {
	want := "# Authorization matrix\n\n" +
		"Generated from internal/auth/policy.go (`go test ./internal/auth -run MatrixFile -update`).\n" +
		"✓ allowed, · refused (401 anonymous, 403 signed in). Every operation is also limited to the\n" +
		"actor's own agency (another agency's record answers 404). Rules with conditions are noted in policy.go.\n\n" +
		Matrix()
	if *update {
		if err := os.WriteFile("MATRIX.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("MATRIX.md")
	if err != nil || string(got) != want {
		t.Errorf("MATRIX.md is out of date (%v): run go test ./internal/auth -run MatrixFile -update", err)
	}
}
