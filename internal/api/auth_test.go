package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/auth/authtest"
	"github.com/tracemark/tracemark/internal/domain"
)

// madeUpID is a well-formed ID that names nothing.
const madeUpID = "01a21bef-188d-72fb-85ab-db8b922402ac"

// TestMatrix calls every registered route as every role and anonymously
// and checks the answers against the policy table: a route without an
// entry fails, a denied call must answer 401 or 403, an allowed one
// neither. Routes added by any file of the package are covered, since the
// list comes from the registration itself.
func TestMatrix(t *testing.T) {
	n, srv := testNode(t, 0)
	ctx := context.Background()
	users := map[domain.Role]domain.User{}
	for _, r := range domain.Roles {
		users[r] = newUser(t, n, n.Agency.ID, "only-"+string(r), r)
	}
	var routes []authtest.Route
	for _, r := range api.Routes() {
		routes = append(routes, authtest.Route{OperationID: r.OperationID, Method: r.Method, Path: r.Path})
	}
	if len(routes) < 30 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	authtest.CheckMatrix(t, routes, func(t testing.TB, role domain.Role, r authtest.Route) int {
		c := client{t: t, base: srv.URL}
		if role != authtest.Anonymous {
			// A fresh session per call: sign-out and password changes end theirs.
			l, err := n.Auth.Login(ctx, users[role].Username, testPassword, "127.0.0.1", "matrix")
			if err != nil {
				t.Fatal(err)
			}
			c.session, c.csrf = l.Token, l.CSRF
		}
		path := r.Path
		for strings.Contains(path, "{") {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			path = path[:i] + madeUpID + path[j+1:]
		}
		var body io.Reader
		if r.Method != http.MethodGet && r.Method != http.MethodDelete {
			body = strings.NewReader("{}")
		}
		resp := c.raw(r.Method, path, body, "application/json")
		resp.Body.Close()
		return resp.StatusCode
	})
}

// TestMatrixMissingEntry checks that the matrix check fails a route
// that the policy table does not know.
func TestMatrixMissingEntry(t *testing.T) {
	ft := &fakeT{TB: t}
	authtest.CheckMatrix(ft, []authtest.Route{{OperationID: "no-such-operation", Method: "GET", Path: "/api/nothing"}},
		func(testing.TB, domain.Role, authtest.Route) int { return http.StatusOK })
	if !ft.failed {
		t.Fatal("CheckMatrix accepted a route without a policy entry")
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}

// TestEveryRouteInOpenAPI checks that the OpenAPI document and Routes
// list the same operations, each with a policy entry.
func TestEveryRouteInOpenAPI(t *testing.T) {
	_, srv := testNode(t, 0)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if st := (client{t: t, base: srv.URL}).json("GET", "/api/openapi.json", nil, &doc); st != 200 {
		t.Fatalf("openapi: %d", st)
	}
	routes := map[string]bool{}
	for _, r := range api.Routes() {
		routes[r.OperationID] = true
	}
	ops := auth.Operations()
	count := 0
	for path, byMethod := range doc.Paths {
		for method, op := range byMethod {
			count++
			if !routes[op.OperationID] {
				t.Errorf("%s %s (%s) is not in api.Routes", method, path, op.OperationID)
			}
			if _, ok := ops[op.OperationID]; !ok {
				t.Errorf("%s %s (%s) has no policy entry", method, path, op.OperationID)
			}
		}
	}
	if count != len(routes) {
		t.Fatalf("OpenAPI lists %d operations, api.Routes %d", count, len(routes))
	}
}

// TestErrorsAndAgencies checks the status mapping, the body limits and
// that another agency's records are not found.
func TestErrorsAndAgencies(t *testing.T) {
	n, srv := testNode(t, 0)
	ctx := context.Background()
	c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	ex := newExhibit(t, c, "C-1")
	other, err := n.Store.CreateAgency(ctx, domain.Agency{Code: "OTHER", Name: "Other lab"})
	if err != nil {
		t.Fatal(err)
	}
	newUser(t, n, other.ID, "outsider", domain.RoleExaminer, domain.RoleAdministrator, domain.RoleVerifier)
	outsider := signIn(t, srv.URL, "outsider")
	reader := user(t, n, srv.URL, "reader", domain.RoleInvestigator)
	anon := client{t: t, base: srv.URL}
	noCSRF := c
	noCSRF.csrf = "wrong"
	big := strings.Repeat("x", 2<<20)
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	tests := []struct {
		name   string
		c      client
		method string
		path   string
		body   any
		status int
		detail string
	}{
		{"health is public", anon, "GET", "/api/health", nil, 200, ""},
		{"openapi", anon, "GET", "/api/openapi.json", nil, 200, ""},
		{"anonymous", anon, "GET", "/api/cases", nil, 401, "sign in"},
		{"unknown route", anon, "GET", "/api/no/such/route", nil, 404, "no API route"},
		{"bad bearer token", client{t: t, base: srv.URL, bearer: "tmk_nonsense"}, "GET", "/api/cases", nil, 401, "sign in"},
		{"forged session", client{t: t, base: srv.URL, session: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "GET", "/api/cases", nil, 401, "sign in"},
		{"missing CSRF token", noCSRF, "POST", "/api/cases", api.CaseInput{Number: "C-9"}, 403, auth.CSRFHeader},
		{"malformed id", c, "GET", "/api/cases/not-an-id", nil, 422, "case id"},
		{"missing case", c, "GET", "/api/cases/" + madeUpID, nil, 404, "not found"},
		{"duplicate case number", c, "POST", "/api/cases", api.CaseInput{Number: "C-1"}, 409, "C-1"},
		{"malformed JSON", c, "POST", "/api/cases", json.RawMessage(`{"number":`), 400, ""},
		{"JSON nested too deep", c, "POST", "/api/cases", json.RawMessage(deep), 400, "nested"},
		{"oversized JSON", c, "POST", "/api/cases", api.CaseInput{Number: "C-2", Notes: big}, 413, "limit"},
		{"another agency's case", outsider, "GET", "/api/cases/" + string(ex.CaseID), nil, 404, "not found"},
		{"another agency's exhibit", outsider, "GET", "/api/exhibits/" + string(ex.ID), nil, 404, "not found"},
		{"another agency's exhibits", outsider, "GET", "/api/cases/" + string(ex.CaseID) + "/exhibits", nil, 404, "not found"},
		{"another agency's custody", outsider, "GET", "/api/exhibits/" + string(ex.ID) + "/custody", nil, 404, "not found"},
		{"another agency's case audit", outsider, "GET", "/api/cases/" + string(ex.CaseID) + "/audit", nil, 404, "not found"},
		{"read-only role may read", reader, "GET", "/api/cases", nil, 200, ""},
		{"read-only role may not write", reader, "POST", "/api/cases", api.CaseInput{Number: "C-3"}, 403, "examiner, technician"},
		{"examiner may not manage users", c, "GET", "/api/users", nil, 403, "administrator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			var body io.Reader
			if raw, ok := tc.body.(json.RawMessage); ok {
				body = bytes.NewReader(raw)
			} else if tc.body != nil {
				b, _ := json.Marshal(tc.body)
				body = bytes.NewReader(b)
			}
			resp := tc.c.raw(tc.method, tc.path, body, "application/json")
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, out, tc.status)
			}
			if strings.Contains(string(out), "goroutine ") || strings.Contains(string(out), ".go:") {
				t.Fatalf("answer carries a stack trace: %s", out)
			}
			if tc.status >= 400 {
				var p problem
				if err := json.Unmarshal(out, &p); err != nil || p.Status != tc.status || !strings.Contains(p.Detail, tc.detail) {
					t.Fatalf("problem %s (%v): want status %d and a detail mentioning %q", out, err, tc.status, tc.detail)
				}
				// Another agency's record answers like a missing one: it
				// names only what the caller sent, nothing of the owner.
				if tc.c.session == outsider.session && (strings.Contains(string(out), string(n.Agency.ID)) || strings.Contains(string(out), "C-1")) {
					t.Fatalf("answer to another agency tells about the record: %s", out)
				}
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

// TestSessions signs in, reads whoami, signs out, changes a password and
// checks that wrong passwords and ended sessions answer alike.
func TestSessions(t *testing.T) {
	n, srv := testNode(t, 0)
	newUser(t, n, n.Agency.ID, "alice", domain.RoleExaminer)
	anon := client{t: t, base: srv.URL}

	var p1, p2 problem
	st1 := anon.json("POST", "/api/auth/login", api.LoginInput{Username: "alice", Password: "wrong password!"}, &p1)
	st2 := anon.json("POST", "/api/auth/login", api.LoginInput{Username: "nobody", Password: "wrong password!"}, &p2)
	if st1 != 401 || st2 != 401 || p1.Detail != p2.Detail {
		t.Fatalf("wrong password %d %q, unknown user %d %q: want the same 401", st1, p1.Detail, st2, p2.Detail)
	}

	c := signIn(t, srv.URL, "alice")
	var me api.Session
	if st := c.json("GET", "/api/me", nil, &me); st != 200 || me.Actor.Username != "alice" || me.CSRFToken != c.csrf || me.User.Username != "alice" {
		t.Fatalf("whoami: %d %+v", st, me)
	}
	// The cookie is HttpOnly and SameSite=Strict (Secure only under TLS).
	resp := anon.raw("POST", "/api/auth/login", strings.NewReader(`{"username":"alice","password":"`+testPassword+`"}`), "application/json")
	resp.Body.Close()
	ck := resp.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Secure {
		t.Fatalf("session cookie %+v", ck)
	}

	if st := c.json("POST", "/api/auth/logout", nil, nil); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if st := c.json("GET", "/api/me", nil, nil); st != 401 {
		t.Fatalf("whoami after logout: %d, want 401", st)
	}

	c = signIn(t, srv.URL, "alice")
	if st := c.json("POST", "/api/auth/password", api.PasswordChange{Current: "not the one", New: "a brand new password"}, nil); st != 401 {
		t.Fatalf("password change with a wrong current password: %d, want 401", st)
	}
	var weak problem
	if st := c.json("POST", "/api/auth/password", api.PasswordChange{Current: testPassword, New: "short"}, &weak); st != 422 || !strings.Contains(weak.Detail, "12") {
		t.Fatalf("weak new password: %d %q", st, weak.Detail)
	}
	if st := c.json("POST", "/api/auth/password", api.PasswordChange{Current: testPassword, New: "a brand new password"}, nil); st != 204 {
		t.Fatalf("password change: %d", st)
	}
	if st := c.json("GET", "/api/me", nil, nil); st != 401 {
		t.Fatalf("session after a password change: %d, want 401", st)
	}
	if st := anon.json("POST", "/api/auth/login", api.LoginInput{Username: "alice", Password: "a brand new password"}, nil); st != 200 {
		t.Fatalf("sign in with the new password: %d", st)
	}
}

// TestThrottle checks the HTTP answer to repeated failed sign-ins with the
// real limits: 429 with Retry-After, then the lockout of the account.
func TestThrottle(t *testing.T) {
	n, srv := testNodeAuth(t, 0, auth.Config{Params: fastHash})
	newUser(t, n, n.Agency.ID, "bob", domain.RoleExaminer)
	anon := client{t: t, base: srv.URL}
	var got429 *http.Response
	for i := 0; i < 12 && got429 == nil; i++ {
		resp := anon.raw("POST", "/api/auth/login", strings.NewReader(`{"username":"bob","password":"guess number `+strconv.Itoa(i)+`"}`), "application/json")
		resp.Body.Close()
		switch resp.StatusCode {
		case 401:
		case 429:
			got429 = resp
		default:
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	if got429 == nil {
		t.Fatal("12 wrong passwords in a row were never throttled")
	}
	if s, err := strconv.Atoi(got429.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("429 with Retry-After %q", got429.Header.Get("Retry-After"))
	}
	// Even the right password is refused while throttled or locked.
	if st := anon.json("POST", "/api/auth/login", api.LoginInput{Username: "bob", Password: testPassword}, nil); st != 429 {
		t.Fatalf("right password while locked: %d, want 429", st)
	}
}

// TestUsersAndTokens has an administrator create a user and an API token,
// uses the token, revokes it, and disables the user.
func TestUsersAndTokens(t *testing.T) {
	n, srv := testNode(t, 0)
	admin := user(t, n, srv.URL, "root", domain.RoleAdministrator)
	var u domain.User
	if st := admin.json("POST", "/api/users", api.UserInput{Username: "scanner", Roles: []domain.Role{domain.RoleTechnician}, Password: testPassword}, &u); st != 201 {
		t.Fatalf("create user: %d", st)
	}
	var p problem
	if st := admin.json("POST", "/api/users", api.UserInput{Username: "weak", Roles: []domain.Role{domain.RoleTechnician}, Password: "short"}, &p); st != 422 {
		t.Fatalf("user with a short password: %d %q", st, p.Detail)
	}
	if st := admin.json("POST", "/api/users", api.UserInput{Username: "bad", Roles: []domain.Role{"overlord"}}, &p); st != 422 {
		t.Fatalf("user with an unknown role: %d %q", st, p.Detail)
	}
	var list struct{ Items []domain.User }
	if st := admin.json("GET", "/api/users", nil, &list); st != 200 || len(list.Items) < 2 {
		t.Fatalf("list users: %d %d", st, len(list.Items))
	}
	var nt api.NewToken
	if st := admin.json("POST", "/api/tokens", api.TokenInput{User: u.ID, Name: "scanner-1", Roles: []domain.Role{domain.RoleTechnician}}, &nt); st != 201 || !strings.HasPrefix(nt.Text, "tmk_") {
		t.Fatalf("create token: %d %+v", st, nt)
	}
	machine := client{t: t, base: srv.URL, bearer: nt.Text}
	var cs domain.Case
	if st := machine.json("POST", "/api/cases", api.CaseInput{Number: "T-1"}, &cs); st != 201 || cs.CreatedBy != u.ID {
		t.Fatalf("create a case with the token (no CSRF needed): %d %+v", st, cs)
	}
	var tokens struct{ Items []json.RawMessage }
	admin.json("GET", "/api/tokens", nil, &tokens)
	if len(tokens.Items) != 1 || bytes.Contains(tokens.Items[0], []byte("ecret")) || bytes.Contains(tokens.Items[0], []byte(nt.Text[40:])) {
		t.Fatalf("token list %s", tokens.Items)
	}
	if st := admin.json("DELETE", "/api/tokens/"+nt.Token.ID, nil, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if st := machine.json("GET", "/api/cases", nil, nil); st != 401 {
		t.Fatalf("revoked token: %d, want 401", st)
	}

	scanner := signIn(t, srv.URL, "scanner")
	disabled := true
	if st := admin.json("PATCH", "/api/users/"+string(u.ID), api.UserUpdate{Disabled: &disabled}, &u); st != 200 || !u.Disabled {
		t.Fatalf("disable: %d %+v", st, u)
	}
	if st := scanner.json("GET", "/api/cases", nil, nil); st != 401 {
		t.Fatalf("disabled user's session: %d, want 401", st)
	}
	if st := admin.json("PATCH", "/api/users/"+string(u.ID), api.UserUpdate{Roles: []domain.Role{domain.RoleExaminer}}, &u); st != 200 || len(u.Roles) != 1 || u.Roles[0] != domain.RoleExaminer {
		t.Fatalf("change roles: %d %+v", st, u)
	}
	var self problem
	me := admin
	var session api.Session
	me.json("GET", "/api/me", nil, &session)
	if st := admin.json("PATCH", "/api/users/"+string(session.Actor.User), api.UserUpdate{Disabled: &disabled}, &self); st != 422 {
		t.Fatalf("administrator disabling itself: %d %q", st, self.Detail)
	}
	// Another agency's administrator sees none of it.
	other, _ := n.Store.CreateAgency(context.Background(), domain.Agency{Code: "OTHER", Name: "Other"})
	newUser(t, n, other.ID, "root2", domain.RoleAdministrator)
	outsider := signIn(t, srv.URL, "root2")
	if st := outsider.json("PATCH", "/api/users/"+string(u.ID), api.UserUpdate{Disabled: &disabled}, nil); st != 404 {
		t.Fatalf("another agency's administrator: %d, want 404", st)
	}
	if st := outsider.json("DELETE", "/api/tokens/"+nt.Token.ID, nil, nil); st != 404 {
		t.Fatalf("another agency's token: %d, want 404", st)
	}
}

// TestAuditTrail checks that views, creations, exports and searches leave
// audit entries listed per case, that the export is JSON lines with
// hashes, and that the chain verifies.
func TestAuditTrail(t *testing.T) {
	n, srv := testNode(t, 0)
	c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	verifier := user(t, n, srv.URL, "ver", domain.RoleVerifier)
	ex := newExhibit(t, c, "A-1")
	var up api.UploadResult
	if st := c.upload(ex.ID, `..\..\evil/../Fadul 1-1.x3p`, fixture(t, "Fadul 1-1.x3p"), nil, &up); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	if up.Scan.OriginalName != "Fadul 1-1.x3p" {
		t.Fatalf("stored file name %q keeps a path", up.Scan.OriginalName)
	}
	resp := c.raw("GET", "/api/scans/"+string(up.Scan.ID)+"/original", nil, "")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="Fadul 1-1.x3p"`) {
		t.Fatalf("download Content-Disposition %q", cd)
	}
	c.json("GET", "/api/cases/"+string(ex.CaseID), nil, nil)

	var custody struct{ Items []struct{ Kind, Scan string } }
	c.json("GET", "/api/exhibits/"+string(ex.ID)+"/custody", nil, &custody)
	if len(custody.Items) != 1 || custody.Items[0].Kind != "scanned" || custody.Items[0].Scan != string(up.Scan.ID) {
		t.Fatalf("custody after an upload: %+v, want one scanned event", custody.Items)
	}

	var entries struct{ Items []audit.JSONEntry }
	if st := verifier.json("GET", "/api/cases/"+string(ex.CaseID)+"/audit?limit=100", nil, &entries); st != 200 {
		t.Fatalf("case audit: %d", st)
	}
	actions := map[string]bool{}
	for _, e := range entries.Items {
		actions[e.Action] = true
		if e.CaseID != string(ex.CaseID) {
			t.Fatalf("case audit lists an entry of case %q", e.CaseID)
		}
	}
	for _, want := range []string{"case.create", "exhibit.create", "custody.scanned", "scan.export", "case.view", "custody.view"} {
		if !actions[want] {
			t.Errorf("case audit lacks %s: %v", want, actions)
		}
	}

	resp = verifier.raw("GET", "/api/audit/export", nil, "")
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var e audit.JSONEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Hash == "" || e.Agency != string(n.Agency.ID) {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if lines < len(entries.Items) {
		t.Fatalf("export has %d lines, the case alone %d entries", lines, len(entries.Items))
	}
	var rep audit.Report
	if st := verifier.json("GET", "/api/audit/verify", nil, &rep); st != 200 || rep.Problem != nil || rep.Entries < int64(lines) {
		t.Fatalf("verify: %d %+v", st, rep)
	}
	if st := c.json("GET", "/api/audit", nil, nil); st != 403 {
		t.Fatalf("examiner listing the whole audit log: %d, want 403", st)
	}
}
