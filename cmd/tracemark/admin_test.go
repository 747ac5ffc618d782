package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/store"
)

func runCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestAdminAndAuditCommands(t *testing.T) {
	data := t.TempDir()
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("a long enough password\n"), 0o600)
	out, _, err := runCmd(t, newAdminCmd(), "create-admin", "--data", data, "--agency", "KZ-CSE", "--name", "Centre", "--user", "admin", "--password-file", pw)
	if err != nil || !strings.Contains(out, "created administrator admin") || !strings.Contains(out, "created agency KZ-CSE") {
		t.Fatalf("create-admin: %q, %v", out, err)
	}
	if _, _, err := runCmd(t, newAdminCmd(), "create-admin", "--data", data, "--agency", "KZ-CSE", "--user", "admin", "--password-file", pw); err == nil {
		t.Error("a second admin of the same name was created")
	}
	if _, _, err := runCmd(t, newAdminCmd(), "create-user", "--data", data, "--agency", "KZ-CSE", "--user", "aliya", "--roles", "examiner,god", "--password-file", pw); err == nil {
		t.Error("unknown role accepted")
	}
	if _, _, err := runCmd(t, newAdminCmd(), "create-user", "--data", data, "--agency", "KZ-CSE", "--user", "aliya", "--roles", "examiner,verifier", "--password-file", pw); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("short\n"), 0o600)
	if _, _, err := runCmd(t, newAdminCmd(), "create-user", "--data", data, "--agency", "KZ-CSE", "--user", "bob", "--roles", "examiner", "--password-file", short); err == nil {
		t.Error("short password accepted")
	}
	tok, _, err := runCmd(t, newAdminCmd(), "token", "create", "--data", data, "--agency", "KZ-CSE", "--user", "aliya", "--name", "scanner-1", "--roles", "technician")
	if err != nil || !auth.IsAPIToken(strings.TrimSpace(tok)) {
		t.Fatalf("token create: %q, %v", tok, err)
	}

	// The password works and the token identifies, through the same store.
	st, err := store.Open(context.Background(), filepath.Join(data, "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(st, auth.Config{})
	if _, err := svc.Login(context.Background(), "admin", "a long enough password", "127.0.0.1", "test"); err != nil {
		t.Errorf("admin cannot sign in: %v", err)
	}
	if a, err := svc.Token(context.Background(), strings.TrimSpace(tok)); err != nil || !a.Has("technician") {
		t.Errorf("token: %+v %v", a, err)
	}
	st.Close()
	if out, _, err := runCmd(t, newAdminCmd(), "token", "revoke", "--data", data, "--agency", "KZ-CSE", "scanner-1"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q %v", out, err)
	}

	out, _, err = runCmd(t, newAuditCmd(), "verify", "--data", data)
	if err != nil || !strings.Contains(out, "audit log intact") {
		t.Fatalf("verify: %q, %v", out, err)
	}
	out, _, err = runCmd(t, newAuditCmd(), "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"agency.create", "user.create", "auth.password_set", "auth.token_created", "auth.token_revoked"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit list lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "a long enough password") || strings.Contains(out, strings.TrimSpace(tok)) {
		t.Error("the audit log holds a secret")
	}
	exp := filepath.Join(t.TempDir(), "audit.jsonl")
	if _, _, err := runCmd(t, newAuditCmd(), "export", "--data", data, "--out", exp); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(exp); bytes.Count(b, []byte("\n")) < 6 {
		t.Errorf("export has %d lines", bytes.Count(b, []byte("\n")))
	}
	if out, _, err := runCmd(t, newAuditCmd(), "checkpoint", "--data", data); err != nil || !strings.Contains(out, "signed checkpoint") {
		t.Errorf("checkpoint: %q %v", out, err)
	}

	// Tamper with entry 2 behind the store's back.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET actor = 'x' WHERE seq = 2`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	_, errOut, err := runCmd(t, newAuditCmd(), "verify", "--data", data)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(errOut, "entry 2") {
		t.Errorf("verify of a tampered log: %v, %q; want exit 1 naming entry 2", err, errOut)
	}
	if _, _, err := runCmd(t, newAuditCmd(), "verify", "--data", t.TempDir()); err == nil {
		t.Error("verify of a missing database succeeded")
	}
}
