// Package i18n holds the message catalogs of tracemark and formats numbers
// and dates for the user's locale. Reports use it today; the web
// workstation serves the same catalog files to the browser later, so there
// is one source of truth for every wording.
//
// # Catalogs
//
// locales/<tag>.json holds one flat JSON object per supported language
// (en, ru, kk, uz-Latn, ky, tg, tk). A value is either a string or, for a
// message that depends on a count, an object keyed by the CLDR plural
// categories (zero, one, two, few, many, other) that the language uses.
// Texts are Go templates: {{.Name}} takes a field of the data map, and
// plural messages get {{.Count}}. The catalogs are embedded; a laboratory
// may override any message with files of the same layout (Load).
//
// # Conventions
//
// Numbers use the locale's separators (golang.org/x/text/number): en
// 1,234.5; ru, kk, ky, tg, tk and uz 1 234,5 with a no-break space as the
// thousands separator. Dates are numeric: 27.11.2026 everywhere except en,
// which uses ISO 8601 (2026-11-27) so that no reader confuses day and month.
// NaN and ±Inf are formatted as "—" (never as "NaN"). A Localizer is
// immutable and safe for concurrent use.
package i18n
