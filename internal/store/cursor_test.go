package store

import (
	"testing"

	"github.com/tracemark/tracemark/internal/errs"
)

func TestCursorRoundTrip(t *testing.T) {
	c := cursor{List: "cases", ID: "0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b"}
	got, ok, err := decodeCursor("op", "cases", encodeCursor(c))
	if err != nil || !ok || got != c {
		t.Errorf("round trip = %+v, %v, %v", got, ok, err)
	}
	if _, _, err := decodeCursor("op", "exhibits", encodeCursor(c)); !errs.Is(errs.Invalid, err) {
		t.Errorf("cursor of another list: %v", err)
	}
	if _, ok, err := decodeCursor("op", "cases", ""); ok || err != nil {
		t.Errorf("empty cursor: %v %v", ok, err)
	}
}

// FuzzDecodeCursor feeds arbitrary cursors (they come from API clients):
// decoding must never panic, and anything accepted must be well-formed.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursor{List: "cases", ID: "0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b"}))
	f.Add(encodeCursor(cursor{List: "candidates", N: 7}))
	f.Add("eyJsIjoiY2FzZXMiLCJpIjoiJzsgRFJPUCJ9")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		for _, list := range []string{"cases", "candidates"} {
			c, ok, err := decodeCursor("op", list, s)
			if err != nil {
				if !errs.Is(errs.Invalid, err) {
					t.Fatalf("error kind %v for %q", errs.KindOf(err), s)
				}
				continue
			}
			if ok && c.List != list {
				t.Fatalf("accepted a cursor of list %q for %q", c.List, list)
			}
		}
	})
}

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"sqlite:///var/lib/tm/db.sqlite", "/var/lib/tm/db.sqlite", true},
		{"sqlite:data/db.sqlite", "data/db.sqlite", true},
		{"./tracemark-data/tracemark.db", "./tracemark-data/tracemark.db", true},
		{"C:\\data\\tracemark.db", "C:\\data\\tracemark.db", true},
		{"http://x/db", "", false},
		{"sqlite://", "", false},
		{"db?mode=memory", "", false},
	}
	for _, tt := range tests {
		got, err := sqlitePath(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("sqlitePath(%q) = %q, %v", tt.in, got, err)
		}
	}
}
