// Package api is tracemark's HTTP JSON API (huma v2 on net/http), served
// under /api/ with its OpenAPI 3.1 document at /api/openapi.json.
//
// # Layout
//
// Every operation is registered from one list (handler.routeGroups: one
// function per resource file: session, users and tokens, audit and
// custody, cases, exhibits, scans, runs, candidates, search, comparisons,
// health, and the workstation's and tracing's files) together with its
// Access level, which says how the audit trail records it. Routes returns
// the registered operations so that the matrix test (TestMatrix, with
// authtest.CheckMatrix) calls every one of them as every role and
// anonymously; a route without an entry in the policy table of package
// auth fails it.
//
// # Identity and authorization
//
// One huma middleware (handler.guard) identifies every request and
// authorizes it by operation ID, and nothing else does: public operations
// (health, login) pass; every other one needs a session cookie (with the
// X-CSRF-Token header on every method but GET/HEAD/OPTIONS) or an
// "Authorization: Bearer tmk_…" API token (auth.Service.Identify), and a
// role the policy table allows (auth.Authorize). The actor (auth.Actor)
// travels in the request context; handlers scope every store call to its
// agency, so another agency's record answers 404 exactly like a missing
// one. No credential, a bad, expired or revoked one: 401 with
// WWW-Authenticate. Signed in without the role: 403 naming the roles that
// may. Sign-in throttled or account locked: 429 with Retry-After.
//
// # Audit
//
// Every handler on evidence calls handler.record before it answers (case,
// exhibit and scan views, creations, exports (scan download), searches,
// comparisons, reviews, custody): one hash-chained entry per operation,
// listed per case. An upload records the custody event "scanned" with the
// file's SHA-256 and the reader's warnings. A route that records nothing
// itself gets a generic entry from the middleware after a successful
// answer (its operation ID and path ID), so later routes are never
// silent. Sign-ins, failures, lockouts, password and token changes are
// recorded by package auth.
//
// # Errors
//
// handler.fail maps errors to statuses in one place by their errs.Kind:
// Invalid → 422, NotFound → 404, Conflict → 409, Permission → 403, TooLarge
// → 413, Transient → 503, unauthenticated → 401, throttled → 429, anything
// else → 500 with an incident number (the error goes to the log, never to
// the client). Client messages drop the operation prefixes
// (errs.Message). Answers are RFC 9457 problem documents. Panics become
// 500 without a stack trace.
//
// # Limits
//
// Request bodies are capped at Deps.MaxBodyBytes (1 MiB), uploads (scan
// upload, search, bundles, files) at Deps.MaxUploadBytes plus 1 MiB of form
// fields; a larger body is refused with 413 before it is read. A photo or
// attachment (POST /api/files) is further held to MaxFileBytes (20 MiB) and
// to JPEG, PNG, TIFF or PDF, read from its first bytes. JSON bodies
// nested deeper than 32 levels are refused with 400. Uploaded file names
// keep only their last element, without control characters; they are
// never used as paths.
package api
