package errs

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestKindOf(t *testing.T) {
	base := E("blob.Fetch", NotFound, io.ErrUnexpectedEOF)
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Other},
		{"plain", io.EOF, Other},
		{"direct", base, NotFound},
		{"wrapped by fmt", fmt.Errorf("loading scan: %w", base), NotFound},
		{"outer kind wins", E("store.Scan", Invalid, base), Invalid},
		{"Other inherits", E("store.Scan", Other, base), NotFound},
		{"Errorf with %w", Errorf("x.Y", Conflict, "dup: %w", io.EOF), Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorKeepsCause(t *testing.T) {
	err := E("store.Open", Transient, io.ErrClosedPipe)
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("errors.Is lost the cause of %v", err)
	}
	if got, want := err.Error(), "store.Open: io: read/write on closed pipe"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if E("x", Invalid, nil) != nil {
		t.Error("E with a nil cause must return nil")
	}
	if !Is(Transient, err) || Is(NotFound, err) {
		t.Errorf("Is misclassifies %v", err)
	}
	if Kind(200).String() != "kind(200)" || NotFound.String() != "not found" {
		t.Error("Kind.String is wrong")
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("plain"), "plain"},
		{Errorf("store.CreateCase", Conflict, "case %s exists", "C-1"), "case C-1 exists"},
		{E("api.create", Other, Errorf("store.CreateCase", Conflict, "case exists")), "case exists"},
		{E("ingest.Ingest", Invalid, fmt.Errorf("reading f: %w", Errorf("x3p.Read", Invalid, "bad zip"))), "reading f: x3p.Read: bad zip"},
	}
	for _, tc := range tests {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("Message(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
