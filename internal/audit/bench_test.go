package audit_test

import (
	"testing"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth/authtest"
)

// BenchmarkAppend measures one audit append (one committed transaction,
// an fsync on SQLite).
func BenchmarkAppend(b *testing.B) {
	st, _ := authtest.OpenRaw(b, "sqlite")
	l := audit.New(st, nil)
	for b.Loop() {
		if _, err := l.Append(ctx, audit.Record{Agency: "ag", Actor: "u", Action: "case.view", Details: map[string]int{"i": 1}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures a full verification of a 2000-entry log.
func BenchmarkVerify(b *testing.B) {
	st, _ := authtest.OpenRaw(b, "sqlite")
	l := audit.New(st, nil)
	for range 2000 {
		if _, err := l.Append(ctx, audit.Record{Agency: "ag", Actor: "u", Action: "case.view", Details: map[string]int{"i": 1}}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if rep, err := audit.Verify(ctx, st); err != nil || rep.Problem != nil || rep.Entries != 2000 {
			b.Fatal(rep, err)
		}
	}
}
