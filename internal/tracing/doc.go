// Package tracing holds the firearm-tracing domain: firearm records with
// the International Tracing Instrument (ITI) fields, a reference list of
// makes and models with aliases, Cyrillic↔Latin transliteration and
// search-key folding, serial-number search tolerant of partial and
// obliterated numbers, trace requests with their status workflow,
// statistics for ministries and the firearm ↔ exhibit ↔ case ↔ agency
// graph. It has no I/O beyond io.Reader/io.Writer arguments: records are
// stored by internal/store (firearms, firearm_exhibits, trace_requests,
// trace_answers) and served by internal/api (firearms.go, traces.go,
// stats.go).
//
// # Records and IDs
//
// FirearmID and TraceRequestID are UUIDv7 strings like the IDs of
// internal/domain (make them with domain.IDGen, check them with
// domain.CheckID); records are JSON-serialisable and keep their IDs when
// exchanged between nodes. Times are UTC; a zero time means unknown. Years
// and other optional numbers use 0 for unknown. Countries are ISO 3166-1
// alpha-2. Photos and attachments are blob.Refs (SHA-256 of the content).
// Validate methods never mutate; SetStatus, Transition and Answer mutate
// their receiver and append to its history.
//
// # Transliteration
//
// ToLatin uses one documented scheme per language:
//
//   - ru: ICAO Doc 9303 (2015) part 3 (ж zh, х kh, ц ts, щ shch, ъ ie,
//     ю iu, я ia, й i, ё e).
//   - kk: the Kazakh Latin alphabet of 2021 (ә ä, ғ ğ, қ q, ң ñ, ө ö,
//     ұ ū, ү ü, ы y, і ı, и/й i, ш ş, ж j, х/һ h); letters of Russian loans
//     it lacks (ц, ч, щ, ю, я) are written ts, ch, şş, iu, ia.
//   - uz: the Uzbek Latin alphabet (ў oʻ, ғ gʻ, қ q, ҳ h, х x, ш sh, ч ch,
//     ж j, й y, ъ ʼ, word-initial е ye).
//   - ky: BGN/PCGN 1979 for Kyrgyz (ң ng, ө ö, ү ü, ж j, й y).
//   - tg: the Tajik national romanisation (ғ gh, ӣ ī, қ q, ӯ ū, ҳ h,
//     ҷ j, ж zh).
//   - tk: the Turkmen Latin alphabet of 1999, from the historical Cyrillic
//     (ә ä, ж ž, җ j, ң ň, ө ö, ү ü, ч ç, ш ş, й ý, в w).
//
// Letters a scheme does not name take the Russian (ICAO) reading.
// ToCyrillic is a Russian reading aid for Latin input, not an inverse.
//
// # Search keys
//
// SearchKey folds names and markings of either script to one form for
// comparison: Cyrillic through the ICAO table, national Latin letters to
// the same spelling (ў/oʻ→O, ş→SH, ç→CH, ž→ZH, ä→A, ...), upper case, punctuation
// to spaces, a break between letters and digits, and the digraph folds
// SHCH→SH, KH→H, ZH→J, DZH/DJ→J, TS→C, Y→I, W→V, Q→K, X→H. So "ПМ
// Макарова" and "PM Makarova" have the same key, and "Ҷ", "Ж" and "J" agree.
//
// SerialKey is different: serials are read by shape, not sound, so it only
// upper-cases, drops separators and replaces Cyrillic capitals that look
// exactly like Latin ones (А В С Е К М Н О Р Т Х У) by those. Look-alikes
// that are merely similar (0/O/D/Q, 1/I/L/7, 5/S, 8/B, 2/Z, 6/G/Б, 3/З)
// are handled by the matcher, at a lower score.
//
// # Serial search
//
// A query may use '?' for one unreadable character and '*' for any run.
// A recorded serial may hold '?' for positions that could not be read.
// The score is the best alignment's mean credit per recorded character:
// exact 1, look-alike 0.6, '?' 0.3, '*' 0.2 per character covered, so an
// exact match scores 1 and beats a look-alike, which beats a wildcard.
// SerialIndex finds candidates through trigrams of look-alike classes
// (every look-alike reading of a query hits the same posting list),
// intersects the lists, and scores only the candidates; queries without a
// run of three readable characters fall back to scanning the serials of
// the right length (or all, with '*'), skipping at once those that do not
// hold the query's look-alike classes in order.
//
// # Trace requests
//
// Status workflow: draft → sent → acknowledged → answered → closed, with
// sent → answered, answered → acknowledged (follow-up question) and any
// non-closed status → closed. Closed is final. Transition refuses any
// other change with errs.Conflict. Reminders, Incoming and Outgoing are
// pure functions over slices.
//
// A request whose other party is on another node names that node's key
// fingerprint in Peer; Delivery says whether this side's latest change
// reached it (Delivered and Undelivered mutate it). Such a request becomes
// sent only once the other node has stored it (internal/federation).
package tracing
