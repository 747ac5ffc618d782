package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/tracemark/tracemark/internal/errs"
)

// Params are argon2id cost parameters.
type Params struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
	SaltLen   int // bytes
	KeyLen    int // bytes
}

// DefaultParams: t=1, m=64 MiB, p=2 (about 0.2 s on the reference 2-core
// machine; RFC 9106's second recommended option, above OWASP's minimum).
var DefaultParams = Params{Time: 1, MemoryKiB: 64 * 1024, Threads: 2, SaltLen: 16, KeyLen: 32}

// Limits on stored parameters, so that a corrupted or hostile hash string
// cannot make verification take minutes or gigabytes.
const (
	maxTime      = 16
	maxMemoryKiB = 1 << 20 // 1 GiB
	minSalt      = 8
	maxSalt      = 64
	minKey       = 16
	maxKey       = 64
	// MaxPasswordBytes bounds a password (longer ones are refused before hashing).
	MaxPasswordBytes = 1024
	// MinPasswordChars is the shortest password accepted when one is set.
	MinPasswordChars = 12
)

// CheckNewPassword refuses passwords too short or too long to be set.
func CheckNewPassword(pw string) error {
	if n := len([]rune(pw)); n < MinPasswordChars {
		return errs.Errorf("auth.CheckNewPassword", errs.Invalid, "the password has %d characters; use at least %d", n, MinPasswordChars)
	}
	if len(pw) > MaxPasswordBytes {
		return errs.Errorf("auth.CheckNewPassword", errs.Invalid, "the password is longer than %d bytes", MaxPasswordBytes)
	}
	return nil
}

// HashPassword returns the argon2id hash of pw as a PHC string:
// $argon2id$v=19$m=65536,t=1,p=2$<salt>$<key> (unpadded standard base64).
func HashPassword(pw string, p Params) (string, error) {
	if len(pw) > MaxPasswordBytes {
		return "", errs.Errorf("auth.HashPassword", errs.Invalid, "the password is longer than %d bytes", MaxPasswordBytes)
	}
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(p.KeyLen))
	return encodePHC(p, salt, key), nil
}

func (p Params) check() error {
	if p.Time < 1 || p.Time > maxTime || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB || p.Threads < 1 ||
		p.SaltLen < minSalt || p.SaltLen > maxSalt || p.KeyLen < minKey || p.KeyLen > maxKey {
		return errs.Errorf("auth.Params", errs.Invalid, "argon2id parameters out of range: t=%d m=%d KiB p=%d salt=%d key=%d",
			p.Time, p.MemoryKiB, p.Threads, p.SaltLen, p.KeyLen)
	}
	return nil
}

var b64 = base64.RawStdEncoding

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodePHC parses an argon2id PHC string. Errors never quote the string
// (it is a secret-derived value).
func decodePHC(s string) (Params, []byte, []byte, error) {
	const op = "auth.decodePHC"
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, errs.Errorf(op, errs.Invalid, "stored password hash is malformed (%s); set the password again", why)
	}
	if len(s) > 512 {
		return bad("too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return bad("not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version")
	}
	var p Params
	seen := 0
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || len(v) > 10 || strings.TrimLeft(v, "0123456789") != "" || (len(v) > 1 && v[0] == '0') {
			return bad("bad parameter")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad("bad parameter")
		}
		switch {
		case k == "m" && seen == 0:
			p.MemoryKiB = uint32(n)
		case k == "t" && seen == 1:
			p.Time = uint32(n)
		case k == "p" && seen == 2 && n <= 255:
			p.Threads = uint8(n)
		default:
			return bad("want m, t, p in that order")
		}
		seen++
	}
	if seen != 3 {
		return bad("want m, t, p")
	}
	// The decoder skips \r and \n; only the canonical alphabet is accepted.
	if !isBase64(parts[4]) || !isBase64(parts[5]) {
		return bad("salt or hash is not base64")
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil {
		return bad("salt is not base64")
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil {
		return bad("hash is not base64")
	}
	p.SaltLen, p.KeyLen = len(salt), len(key)
	if err := p.check(); err != nil {
		return bad("parameters out of range")
	}
	return p, salt, key, nil
}

// VerifyPassword reports whether pw matches the PHC hash, comparing in
// constant time, and whether the hash should be replaced because it was
// made with parameters other than want (rehash after a successful sign-in).
func VerifyPassword(pw, hash string, want Params) (ok, rehash bool, err error) {
	p, salt, key, err := decodePHC(hash)
	if err != nil {
		return false, false, err
	}
	if len(pw) > MaxPasswordBytes {
		return false, false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != want, nil
}

func isBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
