// Package auth identifies the people and machines using tracemark and
// decides what they may do.
//
// # Identity
//
//   - Passwords: argon2id (golang.org/x/crypto/argon2), stored as PHC
//     strings "$argon2id$v=19$m=65536,t=1,p=2$salt$hash"; compared in
//     constant time; a hash made with other parameters than the configured
//     ones is replaced at the next successful sign-in. New passwords need
//     at least 12 characters; at most 1024 bytes are hashed.
//   - Sessions: an opaque 256-bit random token in a cookie (HttpOnly,
//     SameSite=Strict, Path=/, Secure under TLS). The database keeps only
//     its SHA-256, with an absolute expiry (12 h), an idle timeout (30 min)
//     and a revocation time (sign-out, password change).
//   - CSRF: a synchronizer token derived from the session token
//     (CSRFToken), stored nowhere, sent by the web app in X-CSRF-Token and
//     required on every request other than GET/HEAD/OPTIONS that is
//     authenticated by the cookie. Bearer tokens need none.
//   - API tokens for machines: "tmk_<uuid hex>_<secret>", named, owned by
//     a user of an agency, with their own roles, optional expiry,
//     revocable; the database keeps the secret's SHA-256.
//   - Throttling: a token bucket per username and per client IP
//     (golang.org/x/time/rate) refuses attempts before any password is
//     checked; 5 wrong passwords within 15 min lock the account for 15 min
//     (stored, so it survives restarts and holds across nodes). Every
//     sign-in, failure, lockout, sign-out and token change is an Event for
//     the audit log (Config.Record).
//
// Errors never say which part of a credential was wrong: unknown user,
// wrong password, disabled account, expired, revoked or malformed token
// are the same errs.Permission error wrapping ErrUnauthenticated (HTTP
// 401); throttling and lockout are errs.Transient ("try later", HTTP 429).
// Secrets (passwords, tokens, hashes) never appear in errors or logs.
//
// # Authorization
//
// One table (policy.go) maps every API operation ID to the roles that may
// perform it; Authorize applies it, Operations lists it, Matrix renders it
// for the documentation, and authtest.CheckMatrix calls every route as
// every role and anonymously to check the server enforces it. A route
// missing from the table is refused and fails that test. On top of roles,
// Scope limits every actor to the records of its own agency (reporting
// others as not found); sharing between agencies will widen Scope only.
//
// # Wiring
//
// internal/server builds one Service per node with Config.Record set to
// the audit log (audit.Log.RecordAuth). internal/api calls Identify and
// Authorize in one huma middleware keyed by operation ID (api.guard) and
// maps the errors with their kinds: ErrUnauthenticated → 401 with
// WWW-Authenticate, other Permission errors → 403, ThrottleError → 429
// with Retry-After. A new API route needs an entry in policy.go (its
// section), and MATRIX.md regenerated; the API's matrix test calls every
// registered route as every role.
package auth
