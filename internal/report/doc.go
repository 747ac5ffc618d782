// Package report renders the laboratory's documents as PDF: the expert
// report for one comparison or a whole case, the candidate-list review
// sheet, the trace request printout and the evidence receipt, in any
// language of internal/i18n.
//
// Input is plain data (Data), filled by the API or the command line from
// domain records and engine results (FromCartridge, FromBullet); this
// package never reads a database. Render returns the PDF bytes and their
// SHA-256, which the caller records in the audit trail.
//
// # Conventions
//
// Pages are A4 in millimetres. Fonts are Liberation Sans and Serif, embedded
// from a Go module, and cover every letter of the seven languages. Output is
// deterministic: the same Data (including IssuedAt, which is also the PDF
// creation date) and templates give byte-identical files. Numbers, dates and
// wording come from the localizer, dates shown in Data.TimeZone (UTC by
// default); lengths are in µm as everywhere in
// tracemark. Images are PNG bytes and are embedded as given. Render does not
// modify its input.
//
// # Templates
//
// A laboratory adapts its documents with a directory (LoadTemplates):
// template.json (header text, numbering scheme such as
// "{agency}-{year}-{seq}", logo file, font "sans" or "serif") and
// messages/<lang>.json overriding any catalog message. Missing files keep
// the embedded defaults.
package report
