package blob

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/tracemark/tracemark/internal/errs"
)

// prefix starts the text form of every Ref.
const prefix = "sha256-"

// Ref is the SHA-256 digest of a blob's content. It is a comparable value:
// use == and map keys freely. The zero Ref means "no blob" (it is not the
// digest of any content anyone will ever store).
type Ref struct {
	digest [sha256.Size]byte
}

// RefOf returns the Ref of b.
func RefOf(b []byte) Ref { return Ref{digest: sha256.Sum256(b)} }

// RefFromHash returns the Ref of the content written so far to h, which must
// be a SHA-256 hash (as returned by sha256.New).
func RefFromHash(h hash.Hash) Ref {
	var r Ref
	h.Sum(r.digest[:0])
	return r
}

// Parse parses the text form "sha256-<64 lowercase hex digits>".
func Parse(s string) (Ref, error) {
	var r Ref
	hexPart, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return r, errs.Errorf("blob.Parse", errs.Invalid, "blob ref %q: want prefix %q", clip(s), prefix)
	}
	if len(hexPart) != 2*sha256.Size {
		return r, errs.Errorf("blob.Parse", errs.Invalid, "blob ref %q: want %d hex digits after %q, have %d", clip(s), 2*sha256.Size, prefix, len(hexPart))
	}
	for i := 0; i < len(hexPart); i++ {
		if c := hexPart[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return r, errs.Errorf("blob.Parse", errs.Invalid, "blob ref %q: character %d is %q, want a lowercase hex digit", clip(s), len(prefix)+i, c)
		}
	}
	if _, err := hex.Decode(r.digest[:], []byte(hexPart)); err != nil {
		return Ref{}, errs.E("blob.Parse", errs.Invalid, err)
	}
	if r.IsZero() {
		return Ref{}, errs.Errorf("blob.Parse", errs.Invalid, "blob ref %q: the all-zero digest is reserved for 'no blob'", clip(s))
	}
	return r, nil
}

// MustParse is Parse for constants in tests and examples; it panics on error.
func MustParse(s string) Ref {
	r, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

// clip shortens untrusted input quoted in error messages.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// IsZero reports whether r is the zero Ref ("no blob").
func (r Ref) IsZero() bool { return r == Ref{} }

// String returns "sha256-<hex>", or "" for the zero Ref.
func (r Ref) String() string {
	if r.IsZero() {
		return ""
	}
	return prefix + hex.EncodeToString(r.digest[:])
}

// Hex returns the 64 hex digits of the digest.
func (r Ref) Hex() string { return hex.EncodeToString(r.digest[:]) }

// Digest returns the raw SHA-256 digest.
func (r Ref) Digest() [sha256.Size]byte { return r.digest }

// Less orders Refs the way their text forms sort (the Enumerate order).
func (r Ref) Less(o Ref) bool { return string(r.digest[:]) < string(o.digest[:]) }

// MarshalText implements encoding.TextMarshaler; the zero Ref is "".
func (r Ref) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" gives the zero Ref.
func (r *Ref) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = Ref{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// Value implements driver.Valuer: the text form, or NULL for the zero Ref.
func (r Ref) Value() (driver.Value, error) {
	if r.IsZero() {
		return nil, nil
	}
	return r.String(), nil
}

// Scan implements sql.Scanner: a text form, or NULL for the zero Ref.
func (r *Ref) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*r = Ref{}
		return nil
	case string:
		return r.UnmarshalText([]byte(v))
	case []byte:
		return r.UnmarshalText(v)
	default:
		return fmt.Errorf("blob.Ref.Scan: cannot scan %T into a blob ref", src)
	}
}

// SizedRef is a Ref with the size of its blob in bytes.
type SizedRef struct {
	Ref  Ref
	Size int64
}

func (s SizedRef) String() string { return fmt.Sprintf("%s (%d bytes)", s.Ref, s.Size) }
