package api_test

import (
	"slices"
	"testing"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/domain"
)

// TestLanguageOnAccount checks that the language chosen in the workstation
// is kept on the account (PATCH /api/me) and comes back at the next
// sign-in, and that a language the node does not offer is refused.
func TestLanguageOnAccount(t *testing.T) {
	n, srv := testNode(t, 0)
	c := user(t, n, srv.URL, "aigerim", domain.RoleInvestigator)
	tests := []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"choose Uzbek", map[string]any{"locale": "uz-Latn"}, 200, "uz-Latn"},
		{"unknown language", map[string]any{"locale": "fr"}, 422, "uz-Latn"},
		{"not a tag", map[string]any{"locale": "ru'; DROP TABLE users"}, 422, "uz-Latn"},
		{"nothing to change", map[string]any{}, 200, "uz-Latn"},
		{"choose Kyrgyz", map[string]any{"locale": "ky"}, 200, "ky"},
	}
	for _, tt := range tests {
		var s api.Session
		if st := c.json("PATCH", "/api/me", tt.body, &s); st != tt.status {
			t.Fatalf("%s: status %d, want %d", tt.name, st, tt.status)
		}
		again := signIn(t, srv.URL, "aigerim")
		var me api.Session
		if st := again.json("GET", "/api/me", nil, &me); st != 200 || me.User.Locale != tt.want {
			t.Errorf("%s: locale at the next sign-in %q (status %d), want %q", tt.name, me.User.Locale, st, tt.want)
		}
	}
	anon := c
	anon.session, anon.csrf = "", ""
	if st := anon.json("PATCH", "/api/me", map[string]any{"locale": "ru"}, nil); st != 401 {
		t.Errorf("anonymous PATCH /api/me: %d, want 401", st)
	}
	noCSRF := c
	noCSRF.csrf = ""
	if st := noCSRF.json("PATCH", "/api/me", map[string]any{"locale": "ru"}, nil); st != 403 {
		t.Errorf("PATCH /api/me without the CSRF token: %d, want 403", st)
	}
}

// TestSessionAllowedOperations checks that the session lists what the
// user's roles permit, so the workstation shows no button it would refuse.
func TestSessionAllowedOperations(t *testing.T) {
	n, srv := testNode(t, 0)
	tests := []struct {
		role        domain.Role
		may, mayNot []string
	}{
		{domain.RoleLiaison, []string{"create-trace-request", "create-firearm", "tracing-stats", "update-me"}, []string{"record-conclusion", "resolve-disagreement"}},
		{domain.RoleVerifier, []string{"resolve-disagreement", "federated-search", "tracing-stats"}, []string{"create-firearm", "create-trace-request"}},
		{domain.RoleTechnician, []string{"create-firearm", "upload-scan"}, []string{"tracing-stats", "list-trace-requests"}},
	}
	for _, tt := range tests {
		c := user(t, n, srv.URL, "only-"+string(tt.role), tt.role)
		var s api.Session
		if st := c.json("GET", "/api/me", nil, &s); st != 200 {
			t.Fatalf("%s: whoami %d", tt.role, st)
		}
		for _, op := range tt.may {
			if !slices.Contains(s.Allowed, op) {
				t.Errorf("%s: %s missing from allowed %v", tt.role, op, s.Allowed)
			}
		}
		for _, op := range tt.mayNot {
			if slices.Contains(s.Allowed, op) {
				t.Errorf("%s: %s listed as allowed", tt.role, op)
			}
		}
		if s.Agency.ID != n.Agency.ID || s.Agency.Code == "" {
			t.Errorf("%s: session agency %+v, want the node's", tt.role, s.Agency)
		}
	}
}

// TestCustodyNames checks that custody events name who acted.
func TestCustodyNames(t *testing.T) {
	n, srv := testNode(t, 0)
	c := user(t, n, srv.URL, "timur", domain.RoleExaminer)
	ex := newExhibit(t, c, "C-NAMES")
	if st := c.json("POST", "/api/exhibits/"+string(ex.ID)+"/custody", map[string]any{"kind": "received", "counterpart": "police"}, nil); st != 201 {
		t.Fatalf("add custody: %d", st)
	}
	var list struct {
		Items []struct {
			By     string `json:"by"`
			ByName string `json:"by_name"`
		}
	}
	if st := c.json("GET", "/api/exhibits/"+string(ex.ID)+"/custody", nil, &list); st != 200 || len(list.Items) == 0 {
		t.Fatalf("custody: %d %+v", st, list)
	}
	for _, e := range list.Items {
		if e.By == "" || e.ByName != "timur" {
			t.Errorf("custody event by %q named %q, want timur", e.By, e.ByName)
		}
	}
}

// TestUserNames checks that every role may read its colleagues' names
// (for histories) and sees only its own agency's users.
func TestUserNames(t *testing.T) {
	n, srv := testNode(t, 0)
	c := user(t, n, srv.URL, "dilnoza", domain.RoleLiaison)
	var out struct{ Items []api.UserName }
	if st := c.json("GET", "/api/user-names", nil, &out); st != 200 {
		t.Fatalf("user-names: %d", st)
	}
	found := false
	for _, u := range out.Items {
		found = found || u.Name == "dilnoza"
	}
	if !found {
		t.Errorf("own name missing from %+v", out.Items)
	}
}
