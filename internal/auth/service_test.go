package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/auth/authtest"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

var ctx = context.Background()

var fast = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	st     *store.Store
	svc    *auth.Service
	clk    *clock
	agency domain.Agency
	user   domain.User
	events []auth.Event
	mu     sync.Mutex
}

const password = "a long enough password"

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	e := &env{st: st, clk: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	var err error
	e.agency, err = st.CreateAgency(ctx, domain.Agency{Code: "KZ", Name: "Lab"})
	if err != nil {
		t.Fatal(err)
	}
	e.user, err = st.CreateUser(ctx, domain.User{AgencyID: e.agency.ID, Username: "aliya", Roles: []domain.Role{domain.RoleExaminer}})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = auth.NewService(st, auth.Config{Params: fast, Now: e.clk.Now,
		UserRate: rate.Inf, IPRate: rate.Inf, // throttling has its own test
		Record: func(_ context.Context, ev auth.Event) error {
			e.mu.Lock()
			e.events = append(e.events, ev)
			e.mu.Unlock()
			return nil
		}})
	if err := e.svc.SetPassword(ctx, auth.Actor{}, e.agency.ID, e.user.ID, password); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) actions() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var s []string
	for _, ev := range e.events {
		s = append(s, ev.Action)
	}
	return strings.Join(s, " ")
}

func wantUnauth(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, auth.ErrUnauthenticated) || errs.KindOf(err) != errs.Permission {
		t.Errorf("%s: %v, want Permission wrapping ErrUnauthenticated", what, err)
	}
}

func TestService(t *testing.T) {
	for name, open := range authtest.Engines(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("Sessions", func(t *testing.T) { testSessions(t, newEnv(t, open(t))) })
			t.Run("Lockout", func(t *testing.T) { testLockout(t, newEnv(t, open(t))) })
			t.Run("Tokens", func(t *testing.T) { testTokens(t, newEnv(t, open(t))) })
			t.Run("Identify", func(t *testing.T) { testIdentify(t, newEnv(t, open(t))) })
		})
	}
}

func testSessions(t *testing.T, e *env) {
	_, err := e.svc.Login(ctx, "aliya", "wrong password!", "10.0.0.1", "test")
	wantUnauth(t, err, "wrong password")
	_, err = e.svc.Login(ctx, "nobody", password, "10.0.0.1", "test")
	wantUnauth(t, err, "unknown user")
	if err != nil && strings.Contains(err.Error(), "nobody") {
		t.Errorf("error tells the username is unknown: %v", err)
	}
	l, err := e.svc.Login(ctx, "aliya", password, "10.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if l.Actor.User != e.user.ID || l.Actor.Agency != e.agency.ID || !l.Actor.Has(domain.RoleExaminer) || l.CSRF != auth.CSRFToken(l.Token) {
		t.Errorf("login = %+v", l)
	}
	// The token is not what is stored.
	if _, err := e.st.SessionByHash(ctx, l.Token); !errs.Is(errs.NotFound, err) {
		t.Errorf("session found by the raw token: %v", err)
	}
	a, err := e.svc.Session(ctx, l.Token)
	if err != nil || a.User != e.user.ID {
		t.Fatalf("Session = %+v, %v", a, err)
	}
	// Idle timeout: 29 min of activity steps keep it alive; 31 min of silence end it.
	for range 3 {
		e.clk.Add(29 * time.Minute)
		if _, err := e.svc.Session(ctx, l.Token); err != nil {
			t.Fatalf("active session ended: %v", err)
		}
	}
	e.clk.Add(31 * time.Minute)
	_, err = e.svc.Session(ctx, l.Token)
	wantUnauth(t, err, "idle session")

	// Absolute expiry.
	l2, _ := e.svc.Login(ctx, "aliya", password, "10.0.0.1", "test")
	for range 25 {
		e.clk.Add(29 * time.Minute)
		e.svc.Session(ctx, l2.Token)
	}
	_, err = e.svc.Session(ctx, l2.Token)
	wantUnauth(t, err, "session past 12 h")

	// Logout and password change revoke.
	l3, _ := e.svc.Login(ctx, "aliya", password, "10.0.0.1", "test")
	l4, _ := e.svc.Login(ctx, "aliya", password, "10.0.0.2", "test")
	if err := e.svc.Logout(ctx, l3.Token); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Session(ctx, l3.Token)
	wantUnauth(t, err, "session after logout")
	if _, err := e.svc.Session(ctx, l4.Token); err != nil {
		t.Errorf("logout ended another session: %v", err)
	}
	if err := e.svc.SetPassword(ctx, auth.Actor{}, e.agency.ID, e.user.ID, "another long password"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Session(ctx, l4.Token)
	wantUnauth(t, err, "session after a password change")
	l5, _ := e.svc.Login(ctx, "aliya", "another long password", "10.0.0.1", "test")
	err = e.svc.ChangePassword(ctx, l5.Actor, "not the current one", "a third long password")
	wantUnauth(t, err, "password change with a wrong current password")
	if err := e.svc.ChangePassword(ctx, l5.Actor, "another long password", "a third long password"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Session(ctx, l5.Token)
	wantUnauth(t, err, "session after changing one's own password")
	if _, err := e.svc.Login(ctx, "aliya", "a third long password", "10.0.0.1", "test"); err != nil {
		t.Errorf("sign-in with the changed password: %v", err)
	}
	_, err = e.svc.Session(ctx, "garbage")
	wantUnauth(t, err, "malformed token")
	if err := e.svc.SetPassword(ctx, auth.Actor{}, e.agency.ID, e.user.ID, "short"); !errs.Is(errs.Invalid, err) {
		t.Errorf("short password: %v", err)
	}
	for _, want := range []string{"auth.login_failed", "auth.login", "auth.logout", "auth.password_set"} {
		if !strings.Contains(e.actions(), want) {
			t.Errorf("events %q lack %s", e.actions(), want)
		}
	}
}

func testLockout(t *testing.T, e *env) {
	for i := range 5 {
		_, err := e.svc.Login(ctx, "aliya", "wrong password!", "10.0.0.1", "test")
		wantUnauth(t, err, "wrong password")
		_ = i
	}
	// Locked: even the right password is refused, as "try later".
	_, err := e.svc.Login(ctx, "aliya", password, "10.0.0.1", "test")
	if !errs.Is(errs.Transient, err) {
		t.Fatalf("login while locked: %v, want Transient", err)
	}
	if !strings.Contains(e.actions(), "auth.lockout") {
		t.Errorf("no lockout event in %q", e.actions())
	}
	e.clk.Add(16 * time.Minute)
	if _, err := e.svc.Login(ctx, "aliya", password, "10.0.0.1", "test"); err != nil {
		t.Fatalf("login after the lockout: %v", err)
	}
	// Failures spread beyond the window do not lock.
	for range 8 {
		e.svc.Login(ctx, "aliya", "wrong password!", "10.0.0.1", "test")
		e.clk.Add(4 * time.Minute)
		e.svc.Login(ctx, "aliya", "wrong password!", "10.0.0.1", "test")
		e.clk.Add(20 * time.Minute)
	}
	if _, err := e.svc.Login(ctx, "aliya", password, "10.0.0.1", "test"); err != nil {
		t.Errorf("slow failures locked the account: %v", err)
	}
}

func TestThrottle(t *testing.T) {
	st := authtest.OpenSQLite(t)
	e := newEnv(t, st)
	svc := auth.NewService(st, auth.Config{Params: fast, Now: e.clk.Now, MaxFailures: 1000})
	throttled := 0
	for range 30 {
		_, err := svc.Login(ctx, "aliya", "wrong password!", "10.0.0.9", "test")
		if errs.Is(errs.Transient, err) {
			throttled++
		}
	}
	if throttled != 25 { // burst of 5 per user, clock frozen
		t.Errorf("%d of 30 attempts throttled, want 25", throttled)
	}
	// Another user from another IP is not affected.
	if _, err := svc.Login(ctx, "other", "x", "10.0.0.10", "test"); errs.Is(errs.Transient, err) {
		t.Error("throttling spilled over to another user and IP")
	}
	// Rotating usernames from one IP hits the IP bucket (burst 20).
	throttled = 0
	for i := range 40 {
		_, err := svc.Login(ctx, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "x", "10.0.0.11", "test")
		if errs.Is(errs.Transient, err) {
			throttled++
		}
	}
	if throttled != 20 {
		t.Errorf("%d of 40 attempts from one IP throttled, want 20", throttled)
	}
	e.clk.Add(time.Minute)
	if _, err := svc.Login(ctx, "aliya", password, "10.0.0.9", "test"); err != nil {
		t.Errorf("login after the bucket refilled: %v", err)
	}
}

func testTokens(t *testing.T, e *env) {
	admin := auth.Actor{User: e.user.ID, Agency: e.agency.ID, Roles: []domain.Role{domain.RoleAdministrator}}
	nt, err := e.svc.CreateToken(ctx, admin, e.agency.ID, e.user.ID, "ingest-robot", []domain.Role{domain.RoleTechnician}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.Token(ctx, nt.Text)
	if err != nil || a.Token != nt.Token.ID || a.Agency != e.agency.ID || !a.Has(domain.RoleTechnician) || a.Has(domain.RoleExaminer) {
		t.Fatalf("Token = %+v, %v; want the token's roles only", a, err)
	}
	if a.AuditName() != "token:"+nt.Token.ID {
		t.Errorf("AuditName = %s", a.AuditName())
	}
	// Another secret with the same ID is refused.
	id, _, _ := auth.ParseAPIToken(nt.Text)
	forged := auth.FormatAPIToken(id, strings.Repeat("A", 43))
	_, err = e.svc.Token(ctx, forged)
	wantUnauth(t, err, "forged secret")
	_, err = e.svc.CreateToken(ctx, admin, e.agency.ID, e.user.ID, "ingest-robot", []domain.Role{domain.RoleTechnician}, time.Time{})
	if !errs.Is(errs.Conflict, err) {
		t.Errorf("duplicate token name: %v", err)
	}
	if _, err := e.svc.RevokeToken(ctx, admin, e.agency.ID, "ingest-robot"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Token(ctx, nt.Text)
	wantUnauth(t, err, "revoked token")
	exp, _ := e.svc.CreateToken(ctx, admin, e.agency.ID, e.user.ID, "short-lived", []domain.Role{domain.RoleTechnician}, e.clk.Now().Add(time.Hour))
	if _, err := e.svc.Token(ctx, exp.Text); err != nil {
		t.Errorf("live token: %v", err)
	}
	e.clk.Add(2 * time.Hour)
	_, err = e.svc.Token(ctx, exp.Text)
	wantUnauth(t, err, "expired token")
	other, _ := e.st.CreateAgency(ctx, domain.Agency{Code: "UZ", Name: "Other"})
	if _, err := e.svc.RevokeToken(ctx, admin, other.ID, "short-lived"); !errs.Is(errs.NotFound, err) {
		t.Errorf("revoking another agency's token: %v", err)
	}
}

func testIdentify(t *testing.T, e *env) {
	l, err := e.svc.Login(ctx, "aliya", password, "10.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	cookie := auth.CookieName + "=" + l.Token
	hdr := func(kv ...string) func(string) string {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h.Get
	}
	if a, err := e.svc.Identify(ctx, http.MethodGet, hdr("Cookie", "x=1; "+cookie)); err != nil || a.User != e.user.ID {
		t.Errorf("GET with cookie: %+v %v", a, err)
	}
	_, err = e.svc.Identify(ctx, http.MethodPost, hdr("Cookie", cookie))
	if err == nil || errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("POST with cookie and no CSRF token: %v, want 403", err)
	}
	if _, err := e.svc.Identify(ctx, http.MethodPost, hdr("Cookie", cookie, auth.CSRFHeader, l.CSRF)); err != nil {
		t.Errorf("POST with CSRF token: %v", err)
	}
	_, err = e.svc.Identify(ctx, http.MethodGet, hdr())
	wantUnauth(t, err, "no credentials")
	_, err = e.svc.Identify(ctx, http.MethodGet, hdr("Authorization", "Basic YTpi"))
	wantUnauth(t, err, "basic auth")
	admin := auth.Actor{User: e.user.ID, Agency: e.agency.ID}
	nt, _ := e.svc.CreateToken(ctx, admin, e.agency.ID, e.user.ID, "bot", []domain.Role{domain.RoleTechnician}, time.Time{})
	if a, err := e.svc.Identify(ctx, http.MethodPost, hdr("Authorization", "Bearer "+nt.Text)); err != nil || a.Token == "" {
		t.Errorf("bearer token POST: %+v %v", a, err)
	}
}
