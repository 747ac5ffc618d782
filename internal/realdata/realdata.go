// Package realdata locates the real scans with ground truth that tests and
// benchmarks use (../shared/data beside the repository, or $TRACEMARK_DATA).
//
// When the data are absent a test is skipped with a message saying where they
// were looked for, except under CI (CI=true), where a missing data set fails
// the test: CI must never pass by skipping the real-data checks.
package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides the location of the data root.
const EnvVar = "TRACEMARK_DATA"

// Root returns the data root and whether it exists: $TRACEMARK_DATA if set,
// else ../shared/data relative to the module root found from the working
// directory.
func Root() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		return d, isDir(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "data")
			return d, isDir(d)
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}

// Dir returns the path of the named data set (for example "fadul") or skips
// the test when it is absent; under CI=true it fails instead.
func Dir(tb testing.TB, set string) string {
	tb.Helper()
	root, _ := Root()
	d := filepath.Join(root, set)
	if !isDir(d) {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("real data set %q not found at %s: CI must run the real-data tests (set %s)", set, d, EnvVar)
		}
		tb.Skipf("real data set %q not found at %s; put ../shared/data beside the repository or set %s", set, d, EnvVar)
	}
	return d
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
