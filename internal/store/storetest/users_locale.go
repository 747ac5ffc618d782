package storetest

import (
	"testing"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// userTests are the store's cases for what the workstation keeps on the
// account (language) and reads about colleagues (names).
var userTests = []struct {
	name string
	fn   func(t *testing.T, s *store.Store)
}{
	{"UserLocale", testUserLocale},
	{"UserNames", testUserNames},
}

func testUserLocale(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	other := newFixture(t, s, "UZ")
	for _, tag := range []string{"uz-Latn", "ru", ""} {
		if err := s.SetUserLocale(ctx, f.agency.ID, f.user.ID, tag); err != nil {
			t.Fatalf("SetUserLocale(%q): %v", tag, err)
		}
		if got := get(s.User(ctx, f.agency.ID, f.user.ID)).must(t); got.Locale != tag {
			t.Errorf("locale after SetUserLocale(%q) = %q", tag, got.Locale)
		}
	}
	for _, bad := range []string{"ru'; --", "-", "ru-", "a b", "abcdefghijklmnopqrstuvwxyz-0123456789"} {
		wantKind(t, s.SetUserLocale(ctx, f.agency.ID, f.user.ID, bad), errs.Invalid, "locale "+bad)
	}
	// A user of another agency is not found (and not changed).
	wantKind(t, s.SetUserLocale(ctx, f.agency.ID, other.user.ID, "kk"), errs.NotFound, "user of another agency")
	if got := get(s.User(ctx, other.agency.ID, other.user.ID)).must(t); got.Locale != "" {
		t.Errorf("the other agency's user got locale %q", got.Locale)
	}
	wantKind(t, s.SetUserLocale(ctx, f.agency.ID, "not-an-id", "kk"), errs.Invalid, "bad user id")
}

func testUserNames(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	other := newFixture(t, s, "UZ")
	named := get(s.CreateUser(ctx, domain.User{AgencyID: f.agency.ID, Username: "aliya", DisplayName: "Алия Сейткали",
		Roles: []domain.Role{domain.RoleTechnician}})).must(t)
	names := get(s.UserNames(ctx, f.agency.ID)).must(t)
	if names[named.ID] != "Алия Сейткали" {
		t.Errorf("display name = %q", names[named.ID])
	}
	if names[f.user.ID] != "examiner-KZ" {
		t.Errorf("a user without a display name is named %q, want the username", names[f.user.ID])
	}
	if _, ok := names[other.user.ID]; ok || len(names) != 2 {
		t.Errorf("names = %v: want the 2 users of the agency only", names)
	}
}
