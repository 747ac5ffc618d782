package auth

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

func TestAPITokenFormat(t *testing.T) {
	id := (&domain.IDGen{}).New()
	secret := newSecret()
	text := FormatAPIToken(id, secret)
	if len(text) != apiTokenLen || !IsAPIToken(text) {
		t.Fatalf("token %q has length %d", text, len(text))
	}
	gotID, gotSecret, err := ParseAPIToken(text)
	if err != nil || gotID != id || gotSecret != secret {
		t.Fatalf("ParseAPIToken = %q, %q, %v; want %q", gotID, gotSecret, err, id)
	}
	bad := []string{
		"", "tmk_", text[:len(text)-1], text + "A", strings.Replace(text, "tmk_", "tmx_", 1),
		strings.ToUpper(text[:20]) + text[20:], text[:36] + "-" + text[37:],
		text[:len(text)-1] + "!", text[:len(text)-1] + "B", // last char must carry no stray bits
	}
	for _, s := range bad {
		_, _, err := ParseAPIToken(s)
		if err == nil {
			t.Errorf("ParseAPIToken(%q) accepted", s)
			continue
		}
		if !errors.Is(err, ErrUnauthenticated) || errs.KindOf(err) != errs.Permission {
			t.Errorf("ParseAPIToken(%q) = %v, want Permission/ErrUnauthenticated", s, err)
		}
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error echoes the token: %v", err)
		}
	}
}

func FuzzParseAPIToken(f *testing.F) {
	f.Add(FormatAPIToken((&domain.IDGen{}).New(), newSecret()))
	f.Add("tmk_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := ParseAPIToken(s)
		if err != nil {
			return
		}
		if domain.CheckID("id", id) != nil || !checkSecret(secret) {
			t.Fatalf("accepted %q → %q %q", s, id, secret)
		}
		if FormatAPIToken(id, secret) != s {
			t.Fatalf("%q does not round-trip", s)
		}
	})
}

func FuzzSessionCookie(f *testing.F) {
	f.Add("tracemark_session=" + newSecret())
	f.Add("a=b; tracemark_session=x; c")
	f.Fuzz(func(t *testing.T, h string) {
		tok := SessionToken(h)
		if tok != "" && !strings.Contains(h, tok) {
			t.Fatalf("cookie value %q not in header %q", tok, h)
		}
	})
}

func TestCSRF(t *testing.T) {
	a, b := newSecret(), newSecret()
	if !CheckCSRF(a, CSRFToken(a)) {
		t.Error("own CSRF token refused")
	}
	if CheckCSRF(a, CSRFToken(b)) || CheckCSRF(a, "") || CheckCSRF(a, a) {
		t.Error("foreign, empty or raw-session CSRF token accepted")
	}
	c := SessionCookie(a, domain.IDTime((&domain.IDGen{}).New()), true)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v lacks HttpOnly/Secure/SameSite=Strict", c)
	}
}
