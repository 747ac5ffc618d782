package api

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tracemark/tracemark/internal/errs"
)

// FuzzUploadName: any name a client sends for an upload is cleaned (one
// path element, no control characters, trimmed UTF-8, bounded) or refused
// as Invalid — never a panic or another kind of error. TestFiles drives
// the same input through HTTP.
func FuzzUploadName(f *testing.F) {
	for _, s := range []string{"photo.jpg", `..\..\etc\passwd`, "a/b/c.png", "\x00\r\nX-Evil: 1", "\xff\xfe", "..", strings.Repeat("я", 200), " ", "%2e%2e", "x\u202e.gpj"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := cleanFileName(name)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("cleanFileName(%q): error of kind %v: %v", name, errs.KindOf(err), err)
			}
			return
		}
		if !utf8.ValidString(got) || len(got) > 255 || strings.ContainsAny(got, `/\`) || strings.TrimSpace(got) != got || got == "." || got == ".." {
			t.Errorf("cleanFileName(%q) = %q", name, got)
		}
		if strings.IndexFunc(got, unicode.IsControl) >= 0 {
			t.Errorf("cleanFileName(%q) = %q keeps a control character", name, got)
		}
		if again, err := cleanFileName(got); err != nil || again != got {
			t.Errorf("cleaning %q again gives %q, %v", got, again, err)
		}
	})
}
