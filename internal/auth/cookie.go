package auth

import (
	"crypto/sha256"
	"net/http"
	"time"
)

// Cookie and header names.
const (
	// CookieName holds the session token.
	CookieName = "tracemark_session"
	// CSRFHeader carries the CSRF token on changing requests.
	CSRFHeader = "X-CSRF-Token"
)

// SessionCookie returns the cookie that carries a session token:
// HttpOnly (scripts cannot read it), SameSite=Strict (no cross-site
// sends), Path=/, Secure when the server speaks TLS.
func SessionCookie(token string, expires time.Time, secure bool) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: token, Path: "/", Expires: expires.UTC(), HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteStrictMode}
}

// ClearCookie returns a cookie that deletes the session cookie.
func ClearCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}

// CSRFToken derives the CSRF token of a session: base64url(SHA-256(
// "tracemark csrf v1\x00" + session token)). It is a synchronizer token
// bound to the session, stored nowhere: the server recomputes it from the
// cookie, and a page of another site can neither read the cookie
// (HttpOnly, SameSite=Strict) nor invert the hash. The login answer and
// whoami hand it to the web app, which sends it in X-CSRF-Token.
func CSRFToken(sessionToken string) string {
	h := sha256.Sum256([]byte("tracemark csrf v1\x00" + sessionToken))
	return b64url.EncodeToString(h[:])
}

// CheckCSRF compares a presented CSRF token with the session's in constant time.
func CheckCSRF(sessionToken, presented string) bool {
	return presented != "" && equalHash(CSRFToken(sessionToken), presented)
}
