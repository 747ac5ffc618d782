package audit

import (
	"context"

	"github.com/tracemark/tracemark/internal/auth"
)

// RecordAuth appends a security event of package auth (sign-in, failure,
// lockout, token change); wire it as auth.Config.Record.
func (l *Log) RecordAuth(ctx context.Context, e auth.Event) error {
	subject := e.Subject
	if subject == "" {
		subject = e.Actor.User
	}
	_, err := l.Append(ctx, Record{Agency: string(e.Actor.Agency), Actor: e.Actor.AuditName(), Action: e.Action,
		ObjectType: "user", ObjectID: string(subject), Details: e.Details})
	return err
}

// Actor returns the audit record fields of an auth actor, for callers
// building a Record: r := audit.Record{Action: "case.create", …}; r.Agency, r.Actor = audit.Actor(a).
func Actor(a auth.Actor) (agency, actor string) { return string(a.Agency), a.AuditName() }
