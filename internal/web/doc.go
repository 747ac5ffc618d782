// Package web serves the examiner workstation: the single-page front end
// built from web/ into dist (committed, embedded with go:embed) and the
// message catalogs of internal/i18n at /i18n/<tag>.json, so that the
// browser shows exactly the wording of the reports.
//
// # Serving
//
// Handler answers GET and HEAD only. Built assets under /assets/ carry a
// content hash in their name and are cached for a year (immutable);
// index.html and the catalogs are revalidated on every use (ETag). Any
// other path without a file extension is a client route and gets
// index.html, so that /cases/… can be reloaded or bookmarked; a missing
// file with an extension is 404. Every answer carries a strict
// Content-Security-Policy (same origin only, no inline script, no CDN),
// nosniff and no-referrer. The API is mounted next to it under /api/ by
// the server; this package never answers /api/.
//
// # Building
//
// `npm ci` in web/ (three.js only), then `go generate ./internal/web`
// bundles web/src with the esbuild Go API (./gen) and replaces dist.
// Nothing in this package mutates after New.
package web
