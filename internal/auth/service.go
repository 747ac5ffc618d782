package auth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Event is a security event for the audit log: sign-in, sign-out, failed
// sign-in, lockout, token created or revoked, password set.
type Event struct {
	Action string // "auth.login", "auth.login_failed", "auth.lockout", …
	Actor  Actor  // who (may be only partly known for a failed sign-in)
	// Subject is the user acted upon when it is not the actor (a password
	// set by an administrator, a token's owner); "" means the actor.
	Subject domain.UserID
	Details map[string]any
}

// Config tunes a Service. Zero fields take the defaults noted.
type Config struct {
	Params      Params        // argon2id for new hashes (DefaultParams)
	SessionTTL  time.Duration // absolute session lifetime (12 h)
	IdleTimeout time.Duration // a session unused this long ends (30 min)
	// MaxFailures failed sign-ins within FailureWindow lock the account
	// for Lockout (5, 15 min, 15 min).
	MaxFailures   int
	FailureWindow time.Duration
	Lockout       time.Duration
	// UserRate and IPRate throttle sign-in attempts before any password
	// is checked: a token bucket per username and per client IP
	// (1 per 2 s with a burst of 5; 1 per s with a burst of 20).
	UserRate, IPRate   rate.Limit
	UserBurst, IPBurst int
	// Record receives security events (nil: dropped). Wire it to the audit log.
	Record func(ctx context.Context, e Event) error
	Log    *slog.Logger
	Now    func() time.Time
}

// Service signs users in and identifies requests. It is safe for
// concurrent use.
type Service struct {
	st  *store.Store
	cfg Config

	mu      sync.Mutex
	buckets map[string]*bucket // "u:"+username or "ip:"+address

	dummyOnce sync.Once
	dummy     string
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxUsernameBytes bounds a username presented at sign-in (longer ones
// cannot exist: domain.User limits them far below).
const maxUsernameBytes = 256

// maxBuckets bounds the throttle's memory; the least recently used
// buckets are dropped beyond it (an attacker rotating names gets no more
// than the IP bucket allows anyway).
const maxBuckets = 50000

// NewService returns a Service over st.
func NewService(st *store.Store, cfg Config) *Service {
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SessionTTL, 12*time.Hour)
	def(&cfg.IdleTimeout, 30*time.Minute)
	def(&cfg.FailureWindow, 15*time.Minute)
	def(&cfg.Lockout, 15*time.Minute)
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.UserRate <= 0 {
		cfg.UserRate, cfg.UserBurst = rate.Every(2*time.Second), 5
	}
	if cfg.IPRate <= 0 {
		cfg.IPRate, cfg.IPBurst = rate.Every(time.Second), 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{st: st, cfg: cfg, buckets: map[string]*bucket{}}
}

func (s *Service) record(ctx context.Context, e Event) {
	if s.cfg.Record == nil {
		return
	}
	if err := s.cfg.Record(ctx, e); err != nil {
		s.cfg.Log.ErrorContext(ctx, "recording a security event in the audit log failed", "action", e.Action, "err", err)
	}
}

// allow takes a token from the bucket of key.
func (s *Service) allow(key string, r rate.Limit, burst int) bool {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[key]
	if !ok {
		if len(s.buckets) >= maxBuckets {
			s.evictLocked()
		}
		b = &bucket{lim: rate.NewLimiter(r, burst)}
		s.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// evictLocked drops the older half of the buckets.
func (s *Service) evictLocked() {
	var total int64
	for _, b := range s.buckets {
		total += b.seen.UnixNano() / int64(len(s.buckets))
	}
	for k, b := range s.buckets {
		if b.seen.UnixNano() <= total {
			delete(s.buckets, k)
		}
	}
}

// Login is the result of a successful sign-in. Token goes to the client
// (cookie or Authorization header) and CSRF to the page that makes
// changing requests; neither is stored or logged.
type Login struct {
	Actor     Actor
	Token     string
	CSRF      string
	ExpiresAt time.Time
}

// ThrottleError is wrapped by the errs.Transient error of a refused
// sign-in attempt (throttled or locked); RetryAfter is how long the
// client should wait, for the HTTP Retry-After header.
type ThrottleError struct {
	RetryAfter time.Duration
}

func (e *ThrottleError) Error() string {
	return "too many sign-in attempts; wait a few minutes and try again"
}

// errThrottled is the answer when a bucket is empty or the account is
// locked; it does not say which, nor whether the account exists. wait is
// rounded up to whole seconds, at least one.
func errThrottled(op string, wait time.Duration) error {
	return errs.E(op, errs.Transient, &ThrottleError{RetryAfter: max(time.Second, wait.Round(time.Second))})
}

// Login checks a username and password and opens a session. Every
// failure is the same errs.Permission error wrapping ErrUnauthenticated
// (unknown user, wrong password, disabled account), except throttling and
// lockout, which are errs.Transient ("try later"). ip and userAgent are
// stored with the session and in the audit log.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (Login, error) {
	const op = "auth.Login"
	if len(username) > maxUsernameBytes || len(password) > MaxPasswordBytes {
		return Login{}, errs.E(op, errs.Permission, ErrUnauthenticated)
	}
	// Throttled attempts are logged, not audited: a flood must not grow
	// the audit log (the lockout it leads to is audited).
	if !s.allow("ip:"+ip, s.cfg.IPRate, s.cfg.IPBurst) || !s.allow("u:"+strings.ToLower(username), s.cfg.UserRate, s.cfg.UserBurst) {
		s.cfg.Log.WarnContext(ctx, "sign-in attempt throttled", "ip", ip)
		return Login{}, errThrottled(op, time.Duration(float64(time.Second)/float64(min(s.cfg.UserRate, s.cfg.IPRate))))
	}
	fail := func(a Actor, why string) (Login, error) {
		s.record(ctx, Event{Action: "auth.login_failed", Actor: a, Details: map[string]any{"username": clip(username), "ip": ip, "reason": why}})
		return Login{}, errs.E(op, errs.Permission, ErrUnauthenticated)
	}
	u, err := s.st.UserByName(ctx, username)
	if errs.Is(errs.NotFound, err) {
		// Spend the same time as a real check so that timing does not
		// reveal which usernames exist.
		VerifyPassword(password, s.dummyHash(), s.cfg.Params)
		return fail(Actor{}, "unknown user")
	} else if err != nil {
		return Login{}, errs.E(op, errs.Other, err)
	}
	a := Actor{User: u.ID, Username: u.Username, Agency: u.AgencyID, Roles: u.Roles}
	cred, err := s.st.Credential(ctx, u.ID)
	if errs.Is(errs.NotFound, err) {
		VerifyPassword(password, s.dummyHash(), s.cfg.Params)
		return fail(a, "no password set")
	} else if err != nil {
		return Login{}, errs.E(op, errs.Other, err)
	}
	now := s.cfg.Now().UTC()
	if now.Before(cred.LockedUntil) {
		s.record(ctx, Event{Action: "auth.login_locked", Actor: a, Details: map[string]any{"ip": ip, "locked_until": cred.LockedUntil}})
		return Login{}, errThrottled(op, cred.LockedUntil.Sub(now))
	}
	ok, rehash, err := VerifyPassword(password, cred.PasswordHash, s.cfg.Params)
	if err != nil {
		s.cfg.Log.ErrorContext(ctx, "stored password hash is unreadable", "user", u.ID)
		return fail(a, "unreadable password hash")
	}
	if !ok || u.Disabled {
		why := "wrong password"
		if ok {
			why = "account disabled"
		} else {
			_, locked, err := s.st.RecordLoginFailure(ctx, u.ID, now, s.cfg.MaxFailures, s.cfg.FailureWindow, s.cfg.Lockout)
			if err != nil {
				return Login{}, errs.E(op, errs.Other, err)
			}
			if now.Before(locked) {
				s.record(ctx, Event{Action: "auth.lockout", Actor: a, Details: map[string]any{"ip": ip, "locked_until": locked, "failures": s.cfg.MaxFailures}})
			}
		}
		return fail(a, why)
	}
	if cred.FailedLogins > 0 || !cred.LockedUntil.IsZero() {
		if err := s.st.ResetLoginFailures(ctx, u.ID); err != nil {
			return Login{}, errs.E(op, errs.Other, err)
		}
	}
	if rehash {
		if h, err := HashPassword(password, s.cfg.Params); err == nil {
			if err := s.st.SetPasswordHash(ctx, u.AgencyID, u.ID, h); err != nil {
				s.cfg.Log.WarnContext(ctx, "upgrading a password hash failed", "user", u.ID, "err", err)
			}
		}
	}
	tok := newSecret()
	se := store.Session{TokenHash: hashToken(tok), User: u.ID, Agency: u.AgencyID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL), IP: ip, UserAgent: userAgent}
	if err := s.st.CreateSession(ctx, se); err != nil {
		return Login{}, errs.E(op, errs.Other, err)
	}
	s.record(ctx, Event{Action: "auth.login", Actor: a, Details: map[string]any{"ip": ip}})
	return Login{Actor: a, Token: tok, CSRF: CSRFToken(tok), ExpiresAt: se.ExpiresAt}, nil
}

// dummyHash is a hash of nothing with the configured parameters, checked
// against when there is no real one so that both paths cost the same.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = HashPassword(newSecret(), s.cfg.Params) })
	return s.dummy
}

// Session returns the actor of a session token, checking expiry, idle
// timeout and revocation, and records the activity. Any failure is an
// errs.Permission error wrapping ErrUnauthenticated.
func (s *Service) Session(ctx context.Context, token string) (Actor, error) {
	const op = "auth.Session"
	if !checkSecret(token) {
		return Actor{}, errBadToken(op)
	}
	h := hashToken(token)
	se, err := s.st.SessionByHash(ctx, h)
	if errs.Is(errs.NotFound, err) {
		return Actor{}, errBadToken(op)
	} else if err != nil {
		return Actor{}, errs.E(op, errs.Other, err)
	}
	now := s.cfg.Now().UTC()
	if !se.RevokedAt.IsZero() || !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) > s.cfg.IdleTimeout {
		return Actor{}, errBadToken(op)
	}
	u, err := s.st.User(ctx, se.Agency, se.User)
	if errs.Is(errs.NotFound, err) || err == nil && u.Disabled {
		return Actor{}, errBadToken(op)
	} else if err != nil {
		return Actor{}, errs.E(op, errs.Other, err)
	}
	// Touch at most once a minute: fewer writes, and the idle timeout is
	// coarse anyway.
	if now.Sub(se.LastSeenAt) > time.Minute {
		if err := s.st.TouchSession(ctx, h, now); err != nil {
			s.cfg.Log.WarnContext(ctx, "recording session activity failed", "err", err)
		}
	}
	return Actor{User: u.ID, Username: u.Username, Agency: u.AgencyID, Roles: u.Roles}, nil
}

// Logout revokes the session of token (unknown tokens are ignored).
func (s *Service) Logout(ctx context.Context, token string) error {
	if !checkSecret(token) {
		return nil
	}
	a, err := s.Session(ctx, token)
	if err := s.st.RevokeSession(ctx, hashToken(token)); err != nil {
		return errs.E("auth.Logout", errs.Other, err)
	}
	if err == nil {
		s.record(ctx, Event{Action: "auth.logout", Actor: a})
	}
	return nil
}

// SetPassword hashes and stores a new password for a user of agency and
// ends the user's sessions. by is who set it (for the audit log).
func (s *Service) SetPassword(ctx context.Context, by Actor, agency domain.AgencyID, user domain.UserID, password string) error {
	const op = "auth.SetPassword"
	if err := CheckNewPassword(password); err != nil {
		return err
	}
	h, err := HashPassword(password, s.cfg.Params)
	if err != nil {
		return err
	}
	if err := s.st.SetPasswordHash(ctx, agency, user, h); err != nil {
		return errs.E(op, errs.Other, err)
	}
	n, err := s.st.RevokeUserSessions(ctx, user)
	if err != nil {
		return errs.E(op, errs.Other, err)
	}
	s.record(ctx, Event{Action: "auth.password_set", Actor: by, Subject: user, Details: map[string]any{"sessions_ended": n}})
	return nil
}

// ChangePassword replaces the signed-in actor's own password after
// checking the current one (a wrong one is ErrUnauthenticated and counts
// towards the lockout like a failed sign-in). It ends all the user's
// sessions, the current one included: the client signs in again.
func (s *Service) ChangePassword(ctx context.Context, a Actor, current, next string) error {
	const op = "auth.ChangePassword"
	if !a.SignedIn() || a.Token != "" {
		return errs.E(op, errs.Permission, ErrUnauthenticated)
	}
	if err := CheckNewPassword(next); err != nil {
		return err
	}
	cred, err := s.st.Credential(ctx, a.User)
	if err != nil {
		return errs.E(op, errs.Permission, ErrUnauthenticated)
	}
	now := s.cfg.Now().UTC()
	if now.Before(cred.LockedUntil) {
		return errThrottled(op, cred.LockedUntil.Sub(now))
	}
	ok, _, err := VerifyPassword(current, cred.PasswordHash, s.cfg.Params)
	if err != nil || !ok {
		if _, _, err := s.st.RecordLoginFailure(ctx, a.User, now, s.cfg.MaxFailures, s.cfg.FailureWindow, s.cfg.Lockout); err != nil {
			return errs.E(op, errs.Other, err)
		}
		s.record(ctx, Event{Action: "auth.password_change_failed", Actor: a})
		return errs.E(op, errs.Permission, ErrUnauthenticated)
	}
	return s.SetPassword(ctx, a, a.Agency, a.User, next)
}

// NewToken is a freshly created API token; Text is shown once and never
// stored.
type NewToken struct {
	Token store.APIToken
	Text  string
}

// CreateToken creates an API token for a user of agency acting with roles
// (expires zero: never). by is the administrator creating it.
func (s *Service) CreateToken(ctx context.Context, by Actor, agency domain.AgencyID, user domain.UserID, name string, roles []domain.Role, expires time.Time) (NewToken, error) {
	const op = "auth.CreateToken"
	if len(roles) == 0 {
		return NewToken{}, errs.Errorf(op, errs.Invalid, "an API token needs at least one role")
	}
	if _, err := s.st.User(ctx, agency, user); err != nil {
		return NewToken{}, err
	}
	secret := newSecret()
	t, err := s.st.CreateAPIToken(ctx, store.APIToken{Agency: agency, User: user, Name: name, Roles: roles,
		SecretHash: hashToken(secret), CreatedBy: by.User, ExpiresAt: expires})
	if err != nil {
		return NewToken{}, err
	}
	s.record(ctx, Event{Action: "auth.token_created", Actor: by, Subject: user, Details: map[string]any{"token": t.ID, "name": t.Name, "roles": t.Roles}})
	return NewToken{Token: t, Text: FormatAPIToken(t.ID, secret)}, nil
}

// RevokeToken revokes a token of agency by ID or name.
func (s *Service) RevokeToken(ctx context.Context, by Actor, agency domain.AgencyID, idOrName string) (store.APIToken, error) {
	t, err := s.st.RevokeAPIToken(ctx, agency, idOrName)
	if err != nil {
		return t, err
	}
	s.record(ctx, Event{Action: "auth.token_revoked", Actor: by, Subject: t.User, Details: map[string]any{"token": t.ID, "name": t.Name}})
	return t, nil
}

// Token returns the actor of an API token text: its owner's user and
// agency with the token's own roles. Any failure is an errs.Permission
// error wrapping ErrUnauthenticated.
func (s *Service) Token(ctx context.Context, text string) (Actor, error) {
	const op = "auth.Token"
	id, secret, err := ParseAPIToken(text)
	if err != nil {
		return Actor{}, err
	}
	t, err := s.st.APITokenByID(ctx, id)
	if errs.Is(errs.NotFound, err) {
		return Actor{}, errBadToken(op)
	} else if err != nil {
		return Actor{}, errs.E(op, errs.Other, err)
	}
	now := s.cfg.Now().UTC()
	if !equalHash(hashToken(secret), t.SecretHash) || !t.RevokedAt.IsZero() || !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return Actor{}, errBadToken(op)
	}
	u, err := s.st.User(ctx, t.Agency, t.User)
	if err != nil || u.Disabled {
		return Actor{}, errBadToken(op)
	}
	if now.Sub(t.LastUsedAt) > time.Minute {
		if err := s.st.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.cfg.Log.WarnContext(ctx, "recording token use failed", "err", err)
		}
	}
	return Actor{User: u.ID, Username: u.Username, Agency: t.Agency, Roles: t.Roles, Token: t.ID}, nil
}

// Identify finds the actor of an HTTP request from its headers:
// "Authorization: Bearer tmk_…" (API token; no CSRF check, browsers never
// send it by themselves), else the session cookie, with the CSRF header
// required on every method other than GET, HEAD and OPTIONS. header
// returns a request header (huma.Context.Header or http.Header.Get).
func (s *Service) Identify(ctx context.Context, method string, header func(string) string) (Actor, error) {
	const op = "auth.Identify"
	if authz := header("Authorization"); authz != "" {
		scheme, tok, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return Actor{}, errBadToken(op)
		}
		return s.Token(ctx, strings.TrimSpace(tok))
	}
	tok := SessionToken(header("Cookie"))
	if tok == "" {
		return Actor{}, errBadToken(op)
	}
	a, err := s.Session(ctx, tok)
	if err != nil {
		return Actor{}, err
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !CheckCSRF(tok, header(CSRFHeader)) {
			return Actor{}, errs.Errorf(op, errs.Permission, "missing or wrong %s header; reload the page", CSRFHeader)
		}
	}
	return a, nil
}

// SessionToken returns the session token in a Cookie header ("" if none).
func SessionToken(h string) string {
	if h == "" {
		return ""
	}
	cs, err := http.ParseCookie(h)
	if err != nil {
		return ""
	}
	for _, c := range cs {
		if c.Name == CookieName {
			return c.Value
		}
	}
	return ""
}
