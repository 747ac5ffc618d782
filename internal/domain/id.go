package domain

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/errs"
)

// Typed record IDs: UUIDv7 strings such as "0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b".
type (
	AgencyID    string
	UserID      string
	CaseID      string
	ExhibitID   string
	ScanID      string
	RunID       string
	CandidateID string
	ReviewID    string
	CaseLinkID  string
)

// IDGen makes UUIDv7 IDs. Within one IDGen they strictly increase, even for
// many IDs in one millisecond or when the clock steps back. It is safe for
// concurrent use. The zero value uses the system clock.
type IDGen struct {
	// Now, if set, replaces time.Now (for tests).
	Now func() time.Time

	mu     sync.Mutex
	lastMS int64
	seq    uint16 // 12-bit counter within lastMS
}

// New returns a fresh ID.
func (g *IDGen) New() string {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	var rnd [10]byte
	rand.Read(rnd[:]) // never fails (crypto/rand panics if the OS source is broken)

	g.mu.Lock()
	ms := now().UnixMilli()
	switch {
	case ms > g.lastMS:
		g.lastMS = ms
		g.seq = binary.BigEndian.Uint16(rnd[:2]) & 0x3ff // leave room to count up
	default: // same millisecond, or the clock went back: keep increasing
		g.seq++
		if g.seq > 0xfff {
			g.lastMS++
			g.seq = 0
		}
	}
	ms, seq := g.lastMS, g.seq
	g.mu.Unlock()

	var u [16]byte
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 | byte(seq>>8) // version 7
	u[7] = byte(seq)
	copy(u[8:], rnd[2:])
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], u[10:16])
	return string(s[:])
}

// CheckID returns an errs.Invalid error naming field unless id has the
// canonical UUID text form (36 characters, lowercase hex, dashes at 8, 13,
// 18 and 23). Any UUID version is accepted, so IDs minted elsewhere import.
func CheckID(field, id string) error {
	if len(id) != 36 {
		return errs.Errorf("domain.CheckID", errs.Invalid, "%s %q is not an ID: want 36 characters like 0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b", field, clip(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return errs.Errorf("domain.CheckID", errs.Invalid, "%s %q is not an ID: want '-' at position %d", field, clip(id), i)
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return errs.Errorf("domain.CheckID", errs.Invalid, "%s %q is not an ID: position %d is not a lowercase hex digit", field, clip(id), i)
		}
	}
	return nil
}

// IDTime returns the creation time encoded in a UUIDv7 ID (zero if id is
// not a UUIDv7).
func IDTime(id string) time.Time {
	if CheckID("id", id) != nil || id[14] != '7' {
		return time.Time{}
	}
	var b [8]byte
	if _, err := hex.Decode(b[2:], []byte(id[0:8]+id[9:13])); err != nil {
		return time.Time{}
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC()
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
