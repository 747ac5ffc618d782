// Package api is tracemark's HTTP JSON API (huma v2 on net/http), served
// under /api/ with its OpenAPI 3.1 document at /api/openapi.json.
//
// # Layout
//
// Every operation is listed in one function (handler.routes, which gathers
// one list per resource file: cases, exhibits, scans, runs, candidates,
// search, comparisons, health) together with its Access level; Routes
// returns that table so that a test can check every route against the
// authorization matrix.
//
// # Identity and authorization
//
// Every request except health acts as an Actor (user, agency, roles),
// found by Deps.Identify and put in the request context; handlers scope
// every store call to the actor's agency, so another agency's records are
// "not found". Deps.Authorize (default RoleAuthorizer) is the one hook that
// decides whether the actor may perform an operation of a given Access.
// Sign-in, sessions and tokens replace Identify; nothing else changes.
//
// # Errors
//
// handler.fail maps errors to statuses in one place by their errs.Kind:
// Invalid → 422, NotFound → 404, Conflict → 409, Permission → 403, TooLarge
// → 413, Transient → 503, anything else → 500 with an incident number (the
// error goes to the log, never to the client). Answers are RFC 9457
// problem documents. Panics become 500 without a stack trace.
//
// # Limits
//
// Request bodies are capped at 1 MiB, uploads (scan upload, search) at
// Deps.MaxUploadBytes plus 1 MiB of form fields; a larger body is refused
// with 413 before it is read.
package api
