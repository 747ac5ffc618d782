package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// UserInput is a new user of the administrator's agency.
type UserInput struct {
	Username    string        `json:"username" minLength:"1" maxLength:"128" doc:"unique on this node, no spaces"`
	DisplayName string        `json:"display_name,omitempty" maxLength:"256"`
	Email       string        `json:"email,omitempty" maxLength:"256"`
	Locale      string        `json:"locale,omitempty" maxLength:"35" doc:"BCP 47 tag, e.g. ru, uz-Latn"`
	Roles       []domain.Role `json:"roles" minItems:"1" maxItems:"6" uniqueItems:"true"`
	Password    string        `json:"password,omitempty" maxLength:"1024" doc:"at least 12 characters; none: the user cannot sign in (a machine account for API tokens)"`
}

// UserUpdate changes a user of the administrator's agency; absent fields
// stay as they are.
type UserUpdate struct {
	Roles    []domain.Role `json:"roles,omitempty" minItems:"1" maxItems:"6" uniqueItems:"true"`
	Disabled *bool         `json:"disabled,omitempty" doc:"a disabled user cannot sign in; its sessions end at once"`
	Password string        `json:"password,omitempty" maxLength:"1024" doc:"a new password (reset); every session of the user ends"`
}

type usersOutput struct {
	Body struct {
		Items      []domain.User `json:"items"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}
}

type createUserInput struct {
	Body UserInput
}

type updateUserInput struct {
	ID   string `path:"id" doc:"user ID"`
	Body UserUpdate
}

type userOutput struct {
	Body domain.User
}

// Token is an API token as listed: never its secret.
type Token struct {
	ID         string        `json:"id"`
	User       domain.UserID `json:"user"`
	Name       string        `json:"name"`
	Roles      []domain.Role `json:"roles"`
	CreatedBy  domain.UserID `json:"created_by"`
	CreatedAt  time.Time     `json:"created_at"`
	ExpiresAt  time.Time     `json:"expires_at,omitzero"`
	RevokedAt  time.Time     `json:"revoked_at,omitzero"`
	LastUsedAt time.Time     `json:"last_used_at,omitzero"`
}

func tokenView(t store.APIToken) Token {
	return Token{ID: t.ID, User: t.User, Name: t.Name, Roles: t.Roles, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt}
}

// TokenInput is a new API token for a user of the administrator's agency.
type TokenInput struct {
	User      domain.UserID `json:"user" doc:"the user the token acts for"`
	Name      string        `json:"name" minLength:"1" maxLength:"128" doc:"unique in the agency"`
	Roles     []domain.Role `json:"roles" minItems:"1" maxItems:"6" uniqueItems:"true"`
	ExpiresAt time.Time     `json:"expires_at,omitzero" doc:"none: until revoked"`
}

// NewToken is a created token with its text, shown only in this answer.
type NewToken struct {
	Token Token  `json:"token"`
	Text  string `json:"text" doc:"send as Authorization: Bearer TEXT; it is never shown again"`
}

type tokensOutput struct {
	Body struct {
		Items []Token `json:"items"`
	}
}

type createTokenInput struct {
	Body TokenInput
}

type newTokenOutput struct {
	Body NewToken
}

type tokenIDInput struct {
	ID string `path:"id" doc:"token ID or name"`
}

type tokenOutput struct {
	Body Token
}

// UserName is a colleague's name for lists of who acted.
type UserName struct {
	ID   domain.UserID `json:"id"`
	Name string        `json:"name" doc:"display name, or the username when there is none"`
}

type userNamesOutput struct {
	Body struct {
		Items []UserName `json:"items"`
	}
}

func (h *handler) userRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-user-names", Method: http.MethodGet, Path: "/api/user-names",
			Summary: "Names of the agency's users, to show who acted in histories and answers (no roles, no e-mail)", Tags: []string{"users"}}, h.listUserNames),
		newRoute(Admin, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/api/users",
			Summary: "List the users of the agency", Tags: []string{"users"}}, h.listUsers),
		newRoute(Admin, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/api/users",
			Summary: "Create a user of the agency", Tags: []string{"users"}, DefaultStatus: http.StatusCreated}, h.createUser),
		newRoute(Admin, huma.Operation{OperationID: "update-user", Method: http.MethodPatch, Path: "/api/users/{id}",
			Summary: "Change a user's roles, disable or enable it, or reset its password", Tags: []string{"users"}}, h.updateUser),
		newRoute(Admin, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/tokens",
			Summary: "List the API tokens of the agency (never their secrets)", Tags: []string{"users"}}, h.listTokens),
		newRoute(Admin, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/api/tokens",
			Summary: "Create an API token for a machine; its text is shown only in this answer", Tags: []string{"users"},
			DefaultStatus: http.StatusCreated}, h.createToken),
		newRoute(Admin, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/api/tokens/{id}",
			Summary: "Revoke an API token of the agency", Tags: []string{"users"}}, h.revokeToken),
	}
}

func (h *handler) listUserNames(ctx context.Context, _ *struct{}) (*userNamesOutput, error) {
	names, err := h.Store.UserNames(ctx, actor(ctx).Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &userNamesOutput{}
	out.Body.Items = make([]UserName, 0, len(names))
	for id, n := range names {
		out.Body.Items = append(out.Body.Items, UserName{ID: id, Name: n})
	}
	slices.SortFunc(out.Body.Items, func(a, b UserName) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}

func (h *handler) listUsers(ctx context.Context, in *pageInput) (*usersOutput, error) {
	a := actor(ctx)
	items, next, err := h.Store.ListUsers(ctx, a.Agency, store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "user.list", "user", "", "", nil); err != nil {
		return nil, err
	}
	out := &usersOutput{}
	out.Body.Items, out.Body.NextCursor = nonNil(items), next
	return out, nil
}

func (h *handler) createUser(ctx context.Context, in *createUserInput) (*userOutput, error) {
	a := actor(ctx)
	b := in.Body
	u := domain.User{AgencyID: a.Agency, Username: b.Username, DisplayName: b.DisplayName, Email: b.Email, Locale: b.Locale, Roles: b.Roles}
	if err := u.Validate(); err != nil {
		return nil, h.fail(ctx, err)
	}
	if b.Password != "" {
		if err := auth.CheckNewPassword(b.Password); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	u, err := h.Store.CreateUser(ctx, u)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "user.create", "user", string(u.ID), "", map[string]any{"username": u.Username, "roles": u.Roles}); err != nil {
		return nil, err
	}
	if b.Password != "" {
		if err := h.Auth.SetPassword(ctx, a, a.Agency, u.ID, b.Password); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	return &userOutput{Body: u}, nil
}

func (h *handler) updateUser(ctx context.Context, in *updateUserInput) (*userOutput, error) {
	const op = "api.updateUser"
	a := actor(ctx)
	id := domain.UserID(in.ID)
	b := in.Body
	if b.Roles == nil && b.Disabled == nil && b.Password == "" {
		return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "give roles, disabled or password to change"))
	}
	if id == a.User && (b.Disabled != nil && *b.Disabled || b.Roles != nil && !containsRole(b.Roles, domain.RoleAdministrator)) {
		return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "administrators cannot disable themselves or drop their own administrator role; ask another administrator"))
	}
	if _, err := h.Store.User(ctx, a.Agency, id); err != nil {
		return nil, h.fail(ctx, err)
	}
	if b.Password != "" {
		if err := auth.CheckNewPassword(b.Password); err != nil {
			return nil, h.fail(ctx, err)
		}
	}
	changed := map[string]any{}
	if b.Roles != nil {
		if err := h.Store.SetUserRoles(ctx, a.Agency, id, b.Roles); err != nil {
			return nil, h.fail(ctx, err)
		}
		changed["roles"] = b.Roles
	}
	if b.Disabled != nil {
		if err := h.Store.SetUserDisabled(ctx, a.Agency, id, *b.Disabled); err != nil {
			return nil, h.fail(ctx, err)
		}
		if *b.Disabled {
			if _, err := h.Store.RevokeUserSessions(ctx, id); err != nil {
				return nil, h.fail(ctx, err)
			}
		}
		changed["disabled"] = *b.Disabled
	}
	if len(changed) > 0 {
		if err := h.record(ctx, "user.update", "user", string(id), "", changed); err != nil {
			return nil, err
		}
	}
	if b.Password != "" {
		// auth records the password reset itself (without the password).
		if err := h.Auth.SetPassword(ctx, a, a.Agency, id, b.Password); err != nil {
			return nil, h.fail(ctx, err)
		}
		requestOf(ctx).audited = true
	}
	u, err := h.Store.User(ctx, a.Agency, id)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &userOutput{Body: u}, nil
}

func containsRole(rs []domain.Role, r domain.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func (h *handler) listTokens(ctx context.Context, _ *struct{}) (*tokensOutput, error) {
	a := actor(ctx)
	ts, err := h.Store.ListAPITokens(ctx, a.Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "token.list", "token", "", "", nil); err != nil {
		return nil, err
	}
	out := &tokensOutput{}
	out.Body.Items = make([]Token, 0, len(ts))
	for _, t := range ts {
		out.Body.Items = append(out.Body.Items, tokenView(t))
	}
	return out, nil
}

func (h *handler) createToken(ctx context.Context, in *createTokenInput) (*newTokenOutput, error) {
	a := actor(ctx)
	b := in.Body
	if err := domain.CheckID("user", string(b.User)); err != nil {
		return nil, h.fail(ctx, err)
	}
	// CreateToken checks that the user belongs to the agency and records the event.
	nt, err := h.Auth.CreateToken(ctx, a, a.Agency, b.User, b.Name, b.Roles, b.ExpiresAt)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	requestOf(ctx).audited = true
	return &newTokenOutput{Body: NewToken{Token: tokenView(nt.Token), Text: nt.Text}}, nil
}

func (h *handler) revokeToken(ctx context.Context, in *tokenIDInput) (*tokenOutput, error) {
	a := actor(ctx)
	t, err := h.Auth.RevokeToken(ctx, a, a.Agency, in.ID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	requestOf(ctx).audited = true
	return &tokenOutput{Body: tokenView(t)}, nil
}
