package domain

import (
	"sync"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/errs"
)

func TestIDGenMonotonicAndWellFormed(t *testing.T) {
	fixed := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	clock := fixed
	g := &IDGen{Now: func() time.Time { return clock }}
	prev := ""
	for i := range 10000 { // far more than 4096 per millisecond: forces the carry
		if i == 5000 {
			clock = fixed.Add(-time.Second) // the clock steps back
		}
		id := g.New()
		if err := CheckID("id", id); err != nil {
			t.Fatal(err)
		}
		if id[14] != '7' || !(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') {
			t.Fatalf("%s: wrong version or variant", id)
		}
		if id <= prev {
			t.Fatalf("ID %d %s does not sort after %s", i, id, prev)
		}
		prev = id
	}
	first := (&IDGen{Now: func() time.Time { return fixed }}).New()
	if got := IDTime(first); !got.Equal(fixed) {
		t.Errorf("IDTime = %v, want %v", got, fixed)
	}
}

func TestIDGenConcurrentUnique(t *testing.T) {
	var g IDGen
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				id := g.New()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate ID %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b", true},
		{"0193A5E2-7c1a-7b3e-9f00-1c2d3e4f5a6b", false},
		{"0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6", false},
		{"0193a5e2x7c1a-7b3e-9f00-1c2d3e4f5a6b", false},
		{"'; DROP TABLE cases; --------------", false},
		{"", false},
	}
	for _, tt := range tests {
		err := CheckID("case id", tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("CheckID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
		if err != nil && !errs.Is(errs.Invalid, err) {
			t.Errorf("CheckID(%q) kind %v, want invalid", tt.id, errs.KindOf(err))
		}
	}
	if !IDTime("not an id").IsZero() {
		t.Error("IDTime of garbage must be zero")
	}
}

func FuzzCheckID(f *testing.F) {
	f.Add("0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckID("id", s) == nil && len(s) != 36 {
			t.Fatalf("accepted %q", s)
		}
		IDTime(s)
	})
}
