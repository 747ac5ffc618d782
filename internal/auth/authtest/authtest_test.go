package authtest_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/auth/authtest"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// serve is a stand-in server that enforces auth.Authorize.
func serve(role domain.Role, r authtest.Route) int {
	a := auth.Actor{}
	if role != authtest.Anonymous {
		a = auth.Actor{User: "u", Agency: "a", Roles: []domain.Role{role}}
	}
	switch err := auth.Authorize(a, r.OperationID); {
	case err == nil:
		return http.StatusNotFound // past authorization; the made-up ID is missing
	case errs.Is(errs.Permission, err) && !a.SignedIn():
		return http.StatusUnauthorized
	default:
		return http.StatusForbidden
	}
}

func TestCheckMatrixPasses(t *testing.T) {
	var routes []authtest.Route
	for id := range auth.Operations() {
		routes = append(routes, authtest.Route{OperationID: id, Method: http.MethodGet, Path: "/api/" + id})
	}
	authtest.CheckMatrix(t, routes, func(_ testing.TB, role domain.Role, r authtest.Route) int { return serve(role, r) })
}

// The matrix check must catch a route without an entry and a server that
// lets a role through that the table denies (or the reverse).
func TestCheckMatrixFails(t *testing.T) {
	cases := []struct {
		name   string
		routes []authtest.Route
		call   func(testing.TB, domain.Role, authtest.Route) int
	}{
		{"route without entry", []authtest.Route{{OperationID: "brand-new-route", Method: "GET", Path: "/api/new"}},
			func(_ testing.TB, role domain.Role, r authtest.Route) int { return serve(role, r) }},
		{"server lets investigators write", []authtest.Route{{OperationID: "create-case", Method: "POST", Path: "/api/cases"}},
			func(_ testing.TB, role domain.Role, r authtest.Route) int {
				if role == domain.RoleInvestigator {
					return http.StatusCreated
				}
				return serve(role, r)
			}},
		{"server refuses examiners", []authtest.Route{{OperationID: "list-cases", Method: "GET", Path: "/api/cases"}},
			func(_ testing.TB, role domain.Role, r authtest.Route) int {
				if role == domain.RoleExaminer {
					return http.StatusForbidden
				}
				return serve(role, r)
			}},
		{"anonymous gets 403 not 401", []authtest.Route{{OperationID: "list-cases", Method: "GET", Path: "/api/cases"}},
			func(_ testing.TB, role domain.Role, r authtest.Route) int {
				if role == authtest.Anonymous {
					return http.StatusForbidden
				}
				return serve(role, r)
			}},
	}
	for _, c := range cases {
		rec := &recorder{TB: t}
		authtest.CheckMatrix(rec, c.routes, c.call)
		if !rec.failed {
			t.Errorf("%s: CheckMatrix passed", c.name)
		}
	}
	if !slices.Contains(domain.Roles, domain.RoleLiaison) {
		t.Fatal("roles changed: update the policy table")
	}
}

// recorder notes failures instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
