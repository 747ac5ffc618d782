package api

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
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
	return &sessionOutput{SetCookie: *auth.SessionCookie(l.Token, l.ExpiresAt, h.SecureCookies),
		Body: Session{Actor: l.Actor, User: u, CSRFToken: l.CSRF, CSRFHeader: auth.CSRFHeader, ExpiresAt: l.ExpiresAt}}, nil
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
	out := &meOutput{Body: Session{Actor: a, User: u, ViaAPIToken: a.Token != ""}}
	if tok := requestOf(ctx).session; tok != "" {
		out.Body.CSRFToken, out.Body.CSRFHeader = auth.CSRFToken(tok), auth.CSRFHeader
	}
	return out, nil
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
