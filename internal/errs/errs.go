package errs

import (
	"errors"
	"fmt"
)

// Kind says what sort of failure an error is, independent of its cause.
type Kind uint8

// Kinds, append-only.
const (
	Other      Kind = iota // unclassified
	Invalid                // the request or input is malformed or breaks a rule; do not retry as is
	NotFound               // the named item does not exist (or is not visible to the caller)
	Conflict               // the item exists already or was changed meanwhile
	Permission             // the caller may not do this
	Transient              // a temporary failure (busy, timeout, connection); retrying may succeed
	Internal               // a bug or broken invariant inside the program
	TooLarge               // the input is larger than the allowed maximum
)

var kindNames = [...]string{
	Other:      "other",
	Invalid:    "invalid",
	NotFound:   "not found",
	Conflict:   "conflict",
	Permission: "permission denied",
	Transient:  "transient",
	Internal:   "internal",
	TooLarge:   "too large",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Error is a classified error.
type Error struct {
	Op   string // operation, "package.Method"
	Kind Kind
	Err  error // the cause; never nil for errors built by E or Errorf
}

// E returns an error for operation op of the given kind wrapping err.
// If err is nil, E returns nil, so that `return errs.E(op, k, err)` is safe.
// If kind is Other and err already carries a kind, that kind is kept.
func E(op string, kind Kind, err error) error {
	if err == nil {
		return nil
	}
	if kind == Other {
		kind = KindOf(err)
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// Errorf is E with a formatted message as the cause (%w is honoured).
func Errorf(op string, kind Kind, format string, args ...any) error {
	return &Error{Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of the outermost classified error in err's chain,
// or Other if there is none.
func KindOf(err error) Kind {
	var e *Error
	for err != nil {
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// Is reports whether err is classified as kind.
func Is(kind Kind, err error) bool { return err != nil && KindOf(err) == kind }

// Message returns the text of err without the operation names of the
// classified errors at its head ("store.CreateCase: case C-1 exists"
// gives "case C-1 exists"): what a client is shown. Operation names
// inside the text of wrapping causes are left as written.
func Message(err error) string {
	for {
		e, ok := err.(*Error)
		if !ok || e.Err == nil {
			break
		}
		err = e.Err
	}
	if err == nil {
		return ""
	}
	return err.Error()
}
