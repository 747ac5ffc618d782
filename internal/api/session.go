package api

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/i18n"
)

// LoginInput is a sign-in with a username and password.
type LoginInput struct {
	Username string `json:"username" minLength:"1" maxLength:"256"`
	Password string `json:"password" minLength:"1" maxLength:"1024"`
}

type loginInput struct {
	Body LoginInput
}

// Session describes the signed-in actor. CSRFToken (sessions only) must be
// sent in the X-CSRF-Token header of every changing request.
type Session struct {
	Actor       Actor       `json:"actor"`
	User        domain.User `json:"user"`
	CSRFToken   string      `json:"csrf_token,omitempty"`
	ExpiresAt   time.Time   `json:"expires_at,omitzero"`
	CSRFHeader  string      `json:"csrf_header,omitempty" doc:"the header that carries csrf_token"`
	ViaAPIToken bool        `json:"via_api_token,omitempty"`
	// Agency is the actor's agency (code, name, country) for the screens.
	Agency domain.Agency `json:"agency"`
	// Allowed lists the operation IDs the actor's roles permit (from the
	// authorization table), so a client offers only what it may do; the
	// server still checks every request.
	Allowed []string `json:"allowed"`
}

// MeUpdate changes the signed-in user's own settings.
type MeUpdate struct {
	Locale *string `json:"locale,omitempty" doc:"workstation and report language: en, ru, kk, uz-Latn, ky, tg or tk (empty: none chosen)"`
}

type updateMeInput struct {
	Body MeUpdate
}

type sessionOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      Session
}

type meOutput struct {
	Body Session
}

type clearCookieOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

// PasswordChange replaces the signed-in user's own password.
type PasswordChange struct {
	Current string `json:"current" minLength:"1" maxLength:"1024"`
	New     string `json:"new" minLength:"1" maxLength:"1024" doc:"at least 12 characters"`
}

type passwordInput struct {
	Body PasswordChange
}

func (h *handler) sessionRoutes() []route {
	return []route{
		newRoute(Public, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/auth/login",
			Summary: "Sign in with a username and password",
			Description: "Opens a session: the answer sets an HttpOnly session cookie and carries the CSRF token to send in " +
				auth.CSRFHeader + " with every changing request. Repeated failures are throttled (429 with Retry-After) and lock the account for a while.",
			Tags: []string{"session"}}, h.login),
		newRoute(Identity, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/api/auth/logout",
			Summary: "Sign out (end this session)", Tags: []string{"session"}, DefaultStatus: http.StatusNoContent}, h.logout),
		newRoute(Identity, huma.Operation{OperationID: "whoami", Method: http.MethodGet, Path: "/api/me",
			Summary: "The signed-in user, agency and roles, with the session's CSRF token", Tags: []string{"session"}}, h.whoami),
		newRoute(Identity, huma.Operation{OperationID: "update-me", Method: http.MethodPatch, Path: "/api/me",
			Summary: "Change the signed-in user's own settings (the language, kept on the account)", Tags: []string{"session"}}, h.updateMe),
		newRoute(Identity, huma.Operation{OperationID: "change-password", Method: http.MethodPost, Path: "/api/auth/password",
			Summary: "Change the signed-in user's own password; every session of the user ends", Tags: []string{"session"},
			DefaultStatus: http.StatusNoContent}, h.changePassword),
	}
}

func (h *handler) login(ctx context.Context, in *loginInput) (*sessionOutput, error) {
	if h.Auth == nil {
		return nil, h.fail(ctx, auth.ErrUnauthenticated)
	}
	req := requestOf(ctx)
	l, err := h.Auth.Login(ctx, in.Body.Username, in.Body.Password, req.ip, req.userAgent)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	u, err := h.Store.User(ctx, l.Actor.Agency, l.Actor.User)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	ag, err := h.Store.Agency(ctx, l.Actor.Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &sessionOutput{SetCookie: *auth.SessionCookie(l.Token, l.ExpiresAt, h.SecureCookies),
		Body: Session{Actor: l.Actor, User: u, CSRFToken: l.CSRF, CSRFHeader: auth.CSRFHeader, ExpiresAt: l.ExpiresAt,
			Agency: ag, Allowed: allowedOperations(l.Actor)}}, nil
}

// allowedOperations lists, sorted, the operations a's roles permit.
func allowedOperations(a Actor) []string {
	out := []string{}
	for id, rule := range auth.Operations() {
		if rule.Allows(a.SignedIn(), a.Roles) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (h *handler) logout(ctx context.Context, _ *struct{}) (*clearCookieOutput, error) {
	if tok := requestOf(ctx).session; tok != "" {
		if err := h.Auth.Logout(ctx, tok); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	return &clearCookieOutput{SetCookie: *auth.ClearCookie(h.SecureCookies)}, nil
}

func (h *handler) whoami(ctx context.Context, _ *struct{}) (*meOutput, error) {
	a := actor(ctx)
	u, err := h.Store.User(ctx, a.Agency, a.User)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	ag, err := h.Store.Agency(ctx, a.Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &meOutput{Body: Session{Actor: a, User: u, ViaAPIToken: a.Token != "", Agency: ag, Allowed: allowedOperations(a)}}
	if tok := requestOf(ctx).session; tok != "" {
		out.Body.CSRFToken, out.Body.CSRFHeader = auth.CSRFToken(tok), auth.CSRFHeader
	}
	return out, nil
}

// updateMe stores the user's own settings; the answer is the session as
// whoami gives it.
func (h *handler) updateMe(ctx context.Context, in *updateMeInput) (*meOutput, error) {
	const op = "api.updateMe"
	a := actor(ctx)
	if l := in.Body.Locale; l != nil {
		if *l != "" && !slices.Contains(i18n.Languages, *l) {
			return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "locale %q: want one of %s, or empty", clip(*l, 40), strings.Join(i18n.Languages, ", ")))
		}
		if err := h.Store.SetUserLocale(ctx, a.Agency, a.User, *l); err != nil {
			return nil, h.fail(ctx, err)
		}
		if err := h.record(ctx, "user.locale", "user", string(a.User), "", map[string]any{"locale": *l}); err != nil {
			return nil, err
		}
	}
	return h.whoami(ctx, nil)
}

func (h *handler) changePassword(ctx context.Context, in *passwordInput) (*clearCookieOutput, error) {
	if err := h.Auth.ChangePassword(ctx, actor(ctx), in.Body.Current, in.Body.New); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &clearCookieOutput{SetCookie: *auth.ClearCookie(h.SecureCookies)}, nil
}

// clientIP is the host part of a remote address. Forwarding headers are
// not trusted: behind a proxy every client shares the proxy's buckets.
func clientIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return clip(remote, 64)
	}
	return host
}
