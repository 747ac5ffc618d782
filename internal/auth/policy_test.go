package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

func TestAuthorize(t *testing.T) {
	actor := func(roles ...domain.Role) Actor {
		return Actor{User: "u", Agency: "a", Roles: roles}
	}
	tests := []struct {
		a    Actor
		op   string
		want error // nil, ErrUnauthenticated, or errForbidden
	}{
		{Actor{}, "health", nil},
		{Actor{}, "login", nil},
		{Actor{}, "list-cases", ErrUnauthenticated},
		{Actor{}, "whoami", ErrUnauthenticated},
		{actor(), "whoami", nil},
		{actor(domain.RoleInvestigator), "list-cases", nil},
		{actor(domain.RoleInvestigator), "create-case", errForbidden},
		{actor(domain.RoleInvestigator), "search", errForbidden},
		{actor(domain.RoleTechnician), "upload-scan", nil},
		{actor(domain.RoleTechnician), "record-conclusion", errForbidden},
		{actor(domain.RoleExaminer), "record-conclusion", nil},
		{actor(domain.RoleVerifier), "verify-conclusion", nil},
		{actor(domain.RoleVerifier), "resolve-disagreement", nil},
		{actor(domain.RoleExaminer), "resolve-disagreement", errForbidden},
		{actor(domain.RoleAdministrator), "create-user", nil},
		{actor(domain.RoleAdministrator), "list-cases", errForbidden},
		{actor(domain.RoleExaminer), "create-user", errForbidden},
		{actor(domain.RoleLiaison), "create-trace-request", nil},
		{actor(domain.RoleExaminer), "create-trace-request", errForbidden},
		{actor(domain.RoleAdministrator, domain.RoleExaminer), "list-cases", nil},
		{actor(domain.RoleAdministrator), "no-such-operation", errForbidden},
		{Actor{}, "no-such-operation", errForbidden},
	}
	for _, tt := range tests {
		err := Authorize(tt.a, tt.op)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("Authorize(%v, %s) = %v, want allowed", tt.a.Roles, tt.op, err)
		case tt.want != nil && errs.KindOf(err) != errs.Permission:
			t.Errorf("Authorize(%v, %s) = %v, want a Permission error", tt.a.Roles, tt.op, err)
		case tt.want == ErrUnauthenticated && !errors.Is(err, ErrUnauthenticated):
			t.Errorf("Authorize(%v, %s) = %v, want ErrUnauthenticated", tt.a.Roles, tt.op, err)
		case tt.want == errForbidden && errors.Is(err, ErrUnauthenticated):
			t.Errorf("Authorize(%v, %s) = %v, want forbidden, not unauthenticated", tt.a.Roles, tt.op, err)
		}
	}
}

var errForbidden = errors.New("forbidden")

func TestPolicyTable(t *testing.T) {
	for id, r := range Operations() {
		if r.Public && (r.AnyRole || len(r.Roles) > 0) || !r.Public && !r.AnyRole && len(r.Roles) == 0 {
			t.Errorf("operation %s: rule %+v must be exactly one of public, any role, or a role list", id, r)
		}
		for _, role := range r.Roles {
			if !isRole(role) {
				t.Errorf("operation %s names unknown role %q", id, role)
			}
		}
	}
	// Operations returns a copy.
	ops := Operations()
	ops["list-cases"].Roles[0] = domain.RoleAdministrator
	if Authorize(Actor{User: "u", Agency: "a", Roles: []domain.Role{domain.RoleAdministrator}}, "list-cases") == nil {
		t.Error("changing Operations()' result changed the policy")
	}
	m := Matrix()
	if !strings.Contains(m, "| list-cases | · | · | ✓ |") {
		t.Errorf("matrix row for list-cases wrong:\n%s", m)
	}
}

func isRole(r domain.Role) bool {
	for _, x := range domain.Roles {
		if x == r {
			return true
		}
	}
	return false
}

func TestScope(t *testing.T) {
	a := Actor{User: "u", Agency: "a1", Roles: []domain.Role{domain.RoleExaminer}}
	if Scope(a, "a1") != nil {
		t.Error("own agency refused")
	}
	if err := Scope(a, "a2"); !errs.Is(errs.NotFound, err) {
		t.Errorf("other agency: %v, want NotFound", err)
	}
	if err := Scope(Actor{}, ""); !errs.Is(errs.NotFound, err) {
		t.Errorf("anonymous with empty agency: %v", err)
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{Authorize(Actor{}, "list-cases"), 401},
		{Authorize(Actor{User: "u", Agency: "a", Roles: []domain.Role{domain.RoleInvestigator}}, "create-case"), 403},
		{Scope(Actor{User: "u", Agency: "a"}, "b"), 404},
		{errThrottled("x", time.Minute), 429},
		{CheckNewPassword("x"), 400},
		{errors.New("disk on fire"), 500},
	}
	for _, tt := range tests {
		if got := HTTPStatus(tt.err); got != tt.want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
