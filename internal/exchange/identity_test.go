package exchange

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/errs"
)

func TestLoadOrCreateIdentity(t *testing.T) {
	dir := t.TempDir()
	info := NodeInfo{Node: "uz-mia-tashkent", Agency: "UZ-MIA", Country: "UZ"}
	a, err := LoadOrCreateIdentity(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, IdentityFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	b, err := LoadOrCreateIdentity(dir, NodeInfo{Node: "other", Country: "KG"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() || b.Node != "uz-mia-tashkent" {
		t.Errorf("reload gave %s %q, want %s %q", b.Fingerprint(), b.Node, a.Fingerprint(), a.Node)
	}
	if !strings.HasPrefix(a.Fingerprint(), "SHA256:") || len(a.Fingerprint()) != 7+64 {
		t.Errorf("fingerprint %q", a.Fingerprint())
	}
	if runtime.GOOS != "windows" {
		os.Chmod(filepath.Join(dir, IdentityFile), 0o644)
		if _, err := LoadOrCreateIdentity(dir, info); !errs.Is(errs.Permission, err) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("world-readable key: err = %v", err)
		}
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, IdentityFile), []byte(`{"node":"x","country":"KZ","private_key_seed":"00"}`), 0o600)
	if _, err := LoadOrCreateIdentity(bad, info); !errs.Is(errs.Invalid, err) {
		t.Errorf("short seed: err = %v, want Invalid", err)
	}
}

func TestTrustStore(t *testing.T) {
	kz := kzIdentity(t)
	var ts TrustStore
	now := exportTime
	if _, err := ts.Trusted(kz.Fingerprint(), now); !errs.Is(errs.Permission, err) || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("empty store: err = %v", err)
	}
	if _, err := ts.Add(kz.NodeInfo, kz.PublicKey(), now); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Add(kz.NodeInfo, kz.PublicKey(), now); err != nil || len(ts.Peers) != 1 {
		t.Errorf("re-adding: err %v, %d peers", err, len(ts.Peers))
	}
	if p, err := ts.Trusted(kz.Fingerprint(), now); err != nil || p.Node != kz.Node {
		t.Errorf("Trusted: %+v, %v", p, err)
	}
	if err := ts.Revoke(kz.Fingerprint(), now.Add(time.Hour), "compromised"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Trusted(kz.Fingerprint(), now.Add(30*time.Minute)); err != nil {
		t.Errorf("before revocation: %v", err)
	}
	if _, err := ts.Trusted(kz.Fingerprint(), now.Add(2*time.Hour)); !errs.Is(errs.Permission, err) || !strings.Contains(err.Error(), "compromised") {
		t.Errorf("after revocation: err = %v", err)
	}
	if _, err := ts.Add(kz.NodeInfo, kz.PublicKey(), now.Add(3*time.Hour)); !errs.Is(errs.Conflict, err) {
		t.Errorf("re-trusting a revoked key: err = %v, want Conflict", err)
	}
	if err := ts.Revoke("SHA256:nope", now, ""); !errs.Is(errs.NotFound, err) {
		t.Errorf("revoking an unknown key: err = %v", err)
	}
	if _, err := ts.Add(kz.NodeInfo, []byte{1, 2}, now); !errs.Is(errs.Invalid, err) {
		t.Errorf("short key: err = %v", err)
	}
}
