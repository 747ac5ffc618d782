package auth

import (
	"context"
	"errors"
	"slices"

	"github.com/tracemark/tracemark/internal/domain"
)

// ErrUnauthenticated means no valid credential came with the request: no
// session, an expired or revoked one, a bad token or a wrong password. It
// is wrapped in an errs.Permission error; an HTTP layer answers 401 for it
// (errors.Is) and 403 for other Permission errors.
var ErrUnauthenticated = errors.New("sign in first (no valid session or token)")

// Actor is who performs a request: a user of one agency with roles, signed
// in with a session or acting through an API token.
type Actor struct {
	User     domain.UserID   `json:"user"`
	Username string          `json:"username,omitempty"`
	Agency   domain.AgencyID `json:"agency"`
	Roles    []domain.Role   `json:"roles"`
	// Token is the API token's ID when the actor is a machine ("" for a session).
	Token string `json:"token,omitempty"`
}

// SignedIn reports whether a is an identified actor (not the zero Actor).
func (a Actor) SignedIn() bool { return a.User != "" && a.Agency != "" }

// Has reports whether a holds role r.
func (a Actor) Has(r domain.Role) bool { return slices.Contains(a.Roles, r) }

// AuditName is how the audit log names the actor: the user ID, or
// "token:<id>" for an API token.
func (a Actor) AuditName() string {
	if a.Token != "" {
		return "token:" + a.Token
	}
	return string(a.User)
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries (ok false when none).
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
