package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// TestFirearmCommands records firearms and finds them by folded text and
// by a serial read with look-alikes and an unreadable character.
func TestFirearmCommands(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (string, error) {
		out, _, err := runCmd(t, newFirearmCmd(), append(args, "--data", data)...)
		return out, err
	}
	out, err := run("add", "--make", "Makarov", "--model", "ПМ", "--serial", "ТК 1034", "--calibre", "9x18mm Makarov", "--made-in", "RU", "--year", "1978")
	if err != nil || !strings.Contains(out, "Makarov ПМ, serial ТК 1034 (seized)") {
		t.Fatalf("add: %q %v", out, err)
	}
	id := strings.TrimSuffix(strings.Fields(out)[1], ":")
	if _, err := run("add", "--make", "Glock", "--model", "17", "--serial", "BXK 512", "--status", "stolen"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
		says string // an error
	}{
		{args: []string{"add", "--model", "PM"}, says: "--make"},
		{args: []string{"add", "--make", "X", "--type", "cannon"}, says: "type"},
		{args: []string{"add", "--make", "X", "--status", "misplaced"}, says: "status"},
		{args: []string{"add", "--make", "X", "--made-in", "Kazakhstan"}, says: "country"},
		{args: []string{"list", "--text", "PM"}, want: "Makarov ПМ"},
		{args: []string{"list", "--status", "stolen"}, want: "Glock 17"},
		{args: []string{"search", "TK1O34"}, want: id}, // Cyrillic ТК as Latin, O for 0
		{args: []string{"search", "TK?034"}, want: "serial ТК 1034"},
		{args: []string{"search", "8XK*"}, want: "Glock"},
		{args: []string{"search", "ZZZZ99"}, want: "no firearm"},
		{args: []string{"search", "TK1034", "--min-score", "2"}, says: "--min-score"},
		{args: []string{"show", id}, want: `"serial_number": "ТК 1034"`},
		{args: []string{"show", "not-an-id"}, says: "firearm id"},
	} {
		out, err := run(tc.args...)
		switch {
		case tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)):
			t.Errorf("%v: %q, %v; want an error saying %q", tc.args, out, err, tc.says)
		case tc.says == "" && (err != nil || !strings.Contains(out, tc.want)):
			t.Errorf("%v: %q, %v; want %q", tc.args, out, err, tc.want)
		}
	}
	if out, _ := run("list", "--status", "stolen"); strings.Contains(out, "Makarov") {
		t.Errorf("list --status stolen shows the seized Makarov: %q", out)
	}
}

// TestTraceCommands: a trace request between two agencies of one node
// goes draft → sent → answered → closed; one to a peer node that cannot be
// reached stays a draft that says why.
func TestTraceCommands(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "kz")
	run := func(args ...string) (string, error) {
		out, _, err := runCmd(t, newTraceCmd(), append(args, "--data", data, "--country", "KZ")...)
		return out, err
	}
	out, _, err := runCmd(t, newFirearmCmd(), "add", "--make", "Makarov", "--serial", "KM 77", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	firearm := strings.TrimSuffix(strings.Fields(out)[1], ":")
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAgency(ctx, domain.Agency{Code: "KZ-CUSTOMS", Name: "Customs", Country: "KZ"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if _, err := run("create", "--firearm", firearm); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Errorf("create without --to: %v", err)
	}
	if _, err := run("create", "--to", "LAB", "--firearm", firearm); err == nil || !strings.Contains(err.Error(), "ask itself") {
		t.Errorf("create to the agency itself: %v", err)
	}
	if _, err := run("create", "--to", "NOBODY", "--firearm", firearm); err == nil || !strings.Contains(err.Error(), "--peer") {
		t.Errorf("create to an unknown agency: %v", err)
	}
	out, err = run("create", "--to", "KZ-CUSTOMS", "--firearm", firearm, "--deadline", "2026-12-31")
	if err != nil || !strings.Contains(out, "draft to KZ-CUSTOMS") {
		t.Fatalf("create: %q %v", out, err)
	}
	id := strings.TrimSuffix(strings.Fields(out)[2], ":")
	if _, err := run("send", id); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Errorf("send of an incomplete request: %v", err)
	}
	out, err = run("create", "--to", "KZ-CUSTOMS", "--firearm", firearm, "--reason", "found at a crime scene", "--legal-basis", "ITI para 17", "--send")
	if err != nil || !strings.Contains(out, "sent to KZ-CUSTOMS") {
		t.Fatalf("create --send: %q %v", out, err)
	}
	sent := strings.TrimSuffix(strings.Fields(out)[2], ":")
	if _, err := run("answer", sent, "--text", "ours"); err == nil || !strings.Contains(err.Error(), "only the addressee") {
		t.Errorf("answer by the requester: %v", err)
	}
	customs := func(args ...string) (string, error) { return run(append(args, "--agency", "KZ-CUSTOMS")...) }
	if out, err := customs("list", "--direction", "incoming"); err != nil || !strings.Contains(out, sent) || strings.Contains(out, id) {
		t.Errorf("incoming at customs: %q %v (the draft must not show)", out, err)
	}
	if out, err := customs("status", sent, "acknowledged"); err != nil || !strings.Contains(out, "acknowledged") {
		t.Errorf("acknowledge: %q %v", out, err)
	}
	if out, err := customs("answer", sent, "--text", "imported 2004", "--last-legal-owner", "Hunting club"); err != nil || !strings.Contains(out, "answered") {
		t.Errorf("answer: %q %v", out, err)
	}
	if _, err := run("status", sent, "answered"); err == nil {
		t.Error("status answered accepted (answers go through trace answer)")
	}
	if out, err := run("status", sent, "closed", "--note", "thanks"); err != nil || !strings.Contains(out, "closed") {
		t.Errorf("close: %q %v", out, err)
	}
	if out, err := run("show", sent); err != nil || !strings.Contains(out, `"last_legal_owner": "Hunting club"`) {
		t.Errorf("show: %q %v", out, err)
	}

	// A peer without a federation address: a draft that says why.
	uz := filepath.Join(tmp, "uz")
	card, _, err := runCmd(t, newPeerCmd(), "card", "--data", uz, "--country", "UZ", "--node", "uz-mfc")
	if err != nil {
		t.Fatal(err)
	}
	cardFile := filepath.Join(tmp, "uz.json")
	os.WriteFile(cardFile, []byte(card), 0o600)
	if _, _, err := runCmd(t, newPeerCmd(), "add", cardFile, "--data", data, "--country", "KZ"); err != nil {
		t.Fatal(err)
	}
	fp := fingerprintOf(t, cardFile)
	if _, _, err := runCmd(t, newPeerCmd(), "share", fp, "--kind", "trace_requests", "--detail", "full", "--data", data, "--country", "KZ"); err != nil {
		t.Fatal(err)
	}
	out, err = run("create", "--to", "LAB", "--peer", fp, "--firearm", firearm, "--reason", "r", "--legal-basis", "ITI", "--send")
	if err == nil || !strings.Contains(err.Error(), "no federation URL") || !strings.Contains(err.Error(), "still a draft") {
		t.Errorf("send to a peer without an address: %q %v", out, err)
	}
	if out, err := run("list", "--direction", "outgoing", "--status", "draft"); err != nil || !strings.Contains(out, "LAB (UZ)") || !strings.Contains(out, "refused after 1 attempts") {
		t.Errorf("outgoing drafts: %q %v", out, err)
	}
}
