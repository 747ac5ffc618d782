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

// Act appends what actor a did: the usual call of an API handler after
// a creation, change, export or view of evidence, a search or a
// conclusion.
func (l *Log) Act(ctx context.Context, a auth.Actor, action, objectType, objectID, caseID string, details any) (Entry, error) {
	return l.Append(ctx, Record{Agency: string(a.Agency), Actor: a.AuditName(), Action: action, ObjectType: objectType,
		ObjectID: objectID, CaseID: caseID, Details: details})
}
