package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/i18n"
)

// FuzzUpdateMe patches the signed-in user's settings with arbitrary JSON:
// never a 5xx or a stack trace, and the stored language is always one the
// node offers (or none).
func FuzzUpdateMe(f *testing.F) {
	for _, s := range []string{`{"locale":"ru"}`, `{"locale":"uz-Latn"}`, `{"locale":""}`, `{}`, `{"locale":null}`, `{"locale":"fr"}`,
		`{"locale":"ru'; --"}`, `{"locale":1}`, `[`, `{"locale":"` + string(make([]byte, 64)) + `"}`, `{"locale":"kk","extra":true}`} {
		f.Add([]byte(s))
	}
	api := openFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		switch st := api.call(t, false, http.MethodPatch, "/api/me", body); st {
		case 200, 400, 413, 415, 422:
		default:
			t.Fatalf("update-me %q: status %d", body, st)
		}
		req := httptest.NewRequest(http.MethodGet, "http://fuzz/api/me", nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: api.session})
		w := httptest.NewRecorder()
		api.h.ServeHTTP(w, req)
		var me Session
		if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || w.Code != 200 {
			t.Fatalf("whoami after %q: %d %v", body, w.Code, err)
		}
		if me.User.Locale != "" && !slices.Contains(i18n.Languages, me.User.Locale) {
			t.Fatalf("after %q the stored locale is %q", body, me.User.Locale)
		}
	})
}
