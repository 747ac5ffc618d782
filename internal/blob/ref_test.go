package blob

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tracemark/tracemark/internal/errs"
)

// emptySHA256 is the well-known SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestRefOfKnownDigests(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "sha256-" + emptySHA256},
		{"abc", "sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := RefOf([]byte(tt.in)).String(); got != tt.want {
			t.Errorf("RefOf(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := "sha256-" + emptySHA256
	tests := []struct {
		in      string
		wantErr string
	}{
		{good, ""},
		{"", "want prefix"},
		{"sha1-" + emptySHA256, "want prefix"},
		{"sha256-" + emptySHA256[:63], "want 64 hex digits"},
		{"sha256-" + strings.ToUpper(emptySHA256), "lowercase hex digit"},
		{"sha256-" + emptySHA256[:63] + "g", "character 70"},
		{"sha256-" + strings.Repeat("0", 64), "reserved"},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if tt.wantErr == "" {
			if err != nil || r.String() != tt.in {
				t.Errorf("Parse(%q) = %v, %v; want it back unchanged", tt.in, r, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
		if !errs.Is(errs.Invalid, err) {
			t.Errorf("Parse(%q) error kind = %v, want invalid", tt.in, errs.KindOf(err))
		}
	}
}

func TestRefTextAndSQL(t *testing.T) {
	r := RefOf([]byte("scan"))
	b, err := json.Marshal(struct{ A, Z Ref }{A: r})
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ A, Z Ref }
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.A != r || !back.Z.IsZero() {
		t.Errorf("JSON round trip of %s gave %+v (json %s)", r, back, b)
	}
	v, _ := r.Value()
	var s Ref
	if err := s.Scan(v); err != nil || s != r {
		t.Errorf("SQL round trip: %v, %v", s, err)
	}
	if v, _ := (Ref{}).Value(); v != nil {
		t.Errorf("zero Ref must store as NULL, got %v", v)
	}
	if err := s.Scan(nil); err != nil || !s.IsZero() {
		t.Errorf("NULL must scan to the zero Ref: %v %v", s, err)
	}
	if err := s.Scan(42); err == nil {
		t.Error("scanning an int must fail")
	}
	d := r.Digest()
	if r.Hex() != hex.EncodeToString(d[:]) {
		t.Error("Hex and Digest disagree")
	}
}

func TestLessMatchesTextOrder(t *testing.T) {
	a, b := RefOf([]byte("a")), RefOf([]byte("b"))
	if a.Less(b) != (a.String() < b.String()) || b.Less(a) != (b.String() < a.String()) {
		t.Error("Less disagrees with the order of the text forms")
	}
}

func TestHashingReaderCaps(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 100)
	for _, max := range []int64{0, 99, 100, 101} {
		hr := NewHashingReader(iotest.OneByteReader(bytes.NewReader(data)), max)
		n, err := io.Copy(io.Discard, hr)
		if err != nil {
			t.Fatal(err)
		}
		wantExceeded := int64(len(data)) > max
		if hr.Exceeded() != wantExceeded {
			t.Errorf("max %d: Exceeded = %v, want %v", max, hr.Exceeded(), wantExceeded)
		}
		if !wantExceeded && (n != 100 || hr.Ref() != RefOf(data) || hr.Size() != 100) {
			t.Errorf("max %d: read %d bytes, ref %s", max, n, hr.Ref())
		}
		if wantExceeded && n != max+1 {
			t.Errorf("max %d: read %d bytes, want max+1", max, n)
		}
	}
}

func TestVerifyReader(t *testing.T) {
	data := []byte("original scan bytes")
	ref := RefOf(data)
	tests := []struct {
		name    string
		stored  []byte
		size    int64
		corrupt bool
	}{
		{"intact", data, int64(len(data)), false},
		{"flipped byte", append([]byte("Original"), data[8:]...), int64(len(data)), true},
		{"truncated", data[:5], int64(len(data)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := VerifyReader(io.NopCloser(bytes.NewReader(tt.stored)), ref, tt.size)
			_, err := io.ReadAll(rc)
			if got := errors.Is(err, ErrCorrupt); got != tt.corrupt {
				t.Errorf("corrupt = %v (err %v), want %v", got, err, tt.corrupt)
			}
			if tt.corrupt && !errs.Is(errs.Internal, err) {
				t.Errorf("corruption kind = %v, want internal", errs.KindOf(err))
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("sha256-" + emptySHA256)
	f.Add("sha256-")
	f.Add("")
	f.Add("sha256-" + strings.Repeat("f", 64))
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		if r.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, r.String())
		}
		if r.Hex() != s[len("sha256-"):] || r.IsZero() {
			t.Fatalf("Parse(%q) accepted a bad digest", s)
		}
	})
}
