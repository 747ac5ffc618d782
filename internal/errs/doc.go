// Package errs classifies errors by Kind so that callers far from the cause
// (the HTTP API, the CLI, job workers) can decide what to do without parsing
// messages: the API maps each Kind to one HTTP status in one place, a worker
// retries Transient errors, and the CLI prints the message.
//
// An *Error carries the operation that failed (Op, "package.Method"), the Kind
// and the wrapped cause. Kinds are append-only: their numbers may cross the
// wire, so existing values never change meaning.
//
// Typical use:
//
//	const op = "store.Case"
//	...
//	return errs.E(op, errs.NotFound, fmt.Errorf("case %s not found in agency %s", id, agency))
//
// and at the edge:
//
//	switch errs.KindOf(err) { case errs.NotFound: ... }
package errs
