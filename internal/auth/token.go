package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/tracemark/tracemark/internal/errs"
)

// Token formats.
//
//   - Session token: 43 characters, unpadded base64url of 32 random bytes
//     (256 bits). The database keeps only its SHA-256 (hex).
//   - API token: "tmk_" + 32 lowercase hex digits (the token's UUID without
//     dashes, public: it finds the row) + "_" + 43 base64url characters
//     (the 256-bit secret; the database keeps its SHA-256). The prefix makes
//     leaked tokens easy to find with secret scanners.
const (
	tokenBytes     = 32
	tokenChars     = 43
	apiTokenPrefix = "tmk_"
	apiTokenLen    = len(apiTokenPrefix) + 32 + 1 + tokenChars
)

var b64url = base64.RawURLEncoding

func newSecret() string {
	var b [tokenBytes]byte
	rand.Read(b[:])
	return b64url.EncodeToString(b[:])
}

// hashToken returns the hex SHA-256 of a token or secret. A fast hash is
// right here: the secrets have 256 bits of entropy, unlike passwords.
func hashToken(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// equalHash compares two hex hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// checkSecret reports whether s has the form of a 256-bit base64url secret.
func checkSecret(s string) bool {
	if len(s) != tokenChars {
		return false
	}
	b, err := b64url.Strict().DecodeString(s)
	return err == nil && len(b) == tokenBytes
}

// errBadToken is returned for every malformed, unknown, expired or revoked
// credential alike, so that answers do not tell which.
func errBadToken(op string) error {
	return errs.E(op, errs.Permission, ErrUnauthenticated)
}

// FormatAPIToken builds the text of an API token from its UUID and secret.
func FormatAPIToken(id, secret string) string {
	return apiTokenPrefix + strings.ReplaceAll(id, "-", "") + "_" + secret
}

// ParseAPIToken splits an API token into its UUID (canonical form) and
// secret. It never echoes the token in errors.
func ParseAPIToken(tok string) (id, secret string, err error) {
	const op = "auth.ParseAPIToken"
	if len(tok) != apiTokenLen || !strings.HasPrefix(tok, apiTokenPrefix) || tok[len(apiTokenPrefix)+32] != '_' {
		return "", "", errBadToken(op)
	}
	h := tok[len(apiTokenPrefix) : len(apiTokenPrefix)+32]
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", "", errBadToken(op)
		}
	}
	secret = tok[len(apiTokenPrefix)+33:]
	if !checkSecret(secret) {
		return "", "", errBadToken(op)
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], secret, nil
}

// IsAPIToken reports whether s looks like an API token rather than a
// session token (it starts with the API prefix).
func IsAPIToken(s string) bool { return strings.HasPrefix(s, apiTokenPrefix) }
