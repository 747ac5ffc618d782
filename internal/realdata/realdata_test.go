package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirFindsOverride(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "fadul"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, root)
	if got := Dir(t, "fadul"); got != filepath.Join(root, "fadul") {
		t.Fatalf("Dir = %q, want %q", got, filepath.Join(root, "fadul"))
	}
}

func TestRootFromModule(t *testing.T) {
	t.Setenv(EnvVar, "")
	root, _ := Root()
	if filepath.Base(root) != "data" || filepath.Base(filepath.Dir(root)) != "shared" {
		t.Fatalf("Root = %q, want …/shared/data", root)
	}
}
