package backup

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzEntryName: every name the layout accepts is a local path of at most
// three plain elements, so joining it to the target never leaves it.
func FuzzEntryName(f *testing.F) {
	for _, s := range []string{"manifest.json", "db/sqlite/tracemark.db", "db/postgres/cases.jsonl", "keys/a.key", "keys/tls/k.pem",
		"blobs/sha256-" + strings.Repeat("ab", 32), "../x", "keys/../x", "keys/a/../../x", "/abs", "keys/.hidden", "keys\\..\\x", "keys/a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		kind, err := classify(name)
		if err != nil {
			if kind != KindInvalid {
				t.Fatalf("classify(%q) returned kind %d with an error", name, kind)
			}
			return
		}
		elems := strings.Split(name, "/")
		if !filepath.IsLocal(name) || strings.ContainsAny(name, "\\\x00") || len(elems) > 3 ||
			slices.ContainsFunc(elems, func(e string) bool { return e == "" || e == "." || e == ".." }) {
			t.Fatalf("classify accepted %q (kind %d), which is not a plain local path", name, kind)
		}
		root := "/target"
		if p := filepath.Join(root, filepath.FromSlash(name)); !strings.HasPrefix(p, root+"/") {
			t.Fatalf("%q joins to %s outside %s", name, p, root)
		}
	})
}
