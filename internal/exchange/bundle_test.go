package exchange

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob/memory"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/x3p"
)

func TestBundleRoundTrip(t *testing.T) {
	id := kzIdentity(t)
	c, store := sampleContents(t, 3)
	b := exportBundle(t, id, c, store)
	got, err := Open(bytes.NewReader(b), int64(len(b)), OpenOptions{Trust: trusting(id), Now: importTime})
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin.Node != "kz-mia-almaty" || got.Origin.Country != "KZ" || got.Origin.Fingerprint != id.Fingerprint() ||
		!got.Origin.ExportedAt.Equal(exportTime) || got.Origin.AgencyID != id.AgencyID {
		t.Errorf("origin %+v", got.Origin)
	}
	if len(got.Cases) != 1 || len(got.Exhibits) != 3 || len(got.Scans) != 3 || len(got.Firearms) != 1 {
		t.Fatalf("records: %d cases, %d exhibits, %d scans, %d firearms", len(got.Cases), len(got.Exhibits), len(got.Scans), len(got.Firearms))
	}
	if got.Firearms[0].SerialNumber != "КМ 1234" || got.Cases[0].ID != c.Cases[0].ID {
		t.Errorf("records changed: %+v", got.Firearms[0])
	}
	dst := memory.New()
	if err := got.StoreScans(context.Background(), dst, 1<<30); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Scans {
		rc, size, err := dst.Fetch(context.Background(), s.Original)
		if err != nil {
			t.Fatalf("scan %s not stored: %v", s.ID, err)
		}
		buf := new(bytes.Buffer)
		buf.ReadFrom(rc)
		rc.Close()
		if _, err := x3p.Read(bytes.NewReader(buf.Bytes()), size, x3p.Options{}); err != nil {
			t.Errorf("imported scan %s does not read as X3P: %v", s.ID, err)
		}
	}
}

func TestBundleRefused(t *testing.T) {
	id := kzIdentity(t)
	c, store := sampleContents(t, 2)
	good := exportBundle(t, id, c, store)
	scanMember := "scans/" + c.Scans[0].Original.Hex() + ".x3p"
	other, err := NewIdentity(NodeInfo{Node: "mallory", Country: "XX"}, fixedKey(9))
	if err != nil {
		t.Fatal(err)
	}
	revoked := trusting(id)
	if err := revoked.Revoke(id.Fingerprint(), exportTime.Add(30*time.Minute), "key lost with a laptop"); err != nil {
		t.Fatal(err)
	}

	flipByte := func(member string) []byte {
		return rezip(t, good, func(name string, data []byte) []byte {
			if name == member {
				d := append([]byte(nil), data...)
				d[len(d)/2] ^= 0x01
				return d
			}
			return data
		}, nil)
	}
	rawFlip := func(member string) []byte {
		zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if f.Name == member {
				off, err := f.DataOffset()
				if err != nil {
					t.Fatal(err)
				}
				b := append([]byte(nil), good...)
				b[off+int64(f.CompressedSize64)/2] ^= 0x10
				return b
			}
		}
		t.Fatalf("no member %s", member)
		return nil
	}
	tests := []struct {
		name   string
		bundle []byte
		trust  TrustStore
		kind   errs.Kind
		member string
		reason string
	}{
		{"changed byte in a scan", flipByte(scanMember), trusting(id), errs.Invalid, scanMember, "SHA-256 mismatch"},
		{"changed byte in a record", flipByte("records/firearms/" + string(c.Firearms[0].ID) + ".json"), trusting(id), errs.Invalid, "records/firearms/", "SHA-256 mismatch"},
		{"flipped bit in the zip data of a scan", rawFlip(scanMember), trusting(id), errs.Invalid, scanMember, "cannot be read"},
		{"changed manifest", rezip(t, good, func(name string, data []byte) []byte {
			if name == ManifestName {
				return bytes.Replace(data, []byte(`"country":"KZ"`), []byte(`"country":"UZ"`), 1)
			}
			return data
		}, nil), trusting(id), errs.Permission, ManifestName, "signature does not verify"},
		{"non-canonical manifest", rezip(t, good, func(name string, data []byte) []byte {
			if name == ManifestName {
				return append(data, ' ')
			}
			return data
		}, nil), trusting(id), errs.Invalid, ManifestName, "canonical"},
		{"unknown key", good, trusting(other), errs.Permission, "", "unknown peer key"},
		{"revoked key", good, revoked, errs.Permission, "", "revoked"},
		{"signed by another key", signWith(t, good, other.key), trusting(id), errs.Permission, ManifestName, "signature does not verify"},
		{"missing member", rezip(t, good, func(name string, data []byte) []byte {
			if name == scanMember {
				return nil
			}
			return data
		}, nil), trusting(id), errs.Invalid, scanMember, "missing from the zip"},
		{"extra member", rezip(t, good, nil, map[string][]byte{"scans/" + strings.Repeat("ab", 32) + ".x3p": []byte("extra")}), trusting(id), errs.Invalid, "scans/abab", "not in the manifest"},
		{"zip-slip member", rezip(t, good, nil, map[string][]byte{"../../etc/passwd": []byte("x")}), trusting(id), errs.Invalid, "", "path"},
		{"missing signature", rezip(t, good, func(name string, data []byte) []byte {
			if name == SignatureName {
				return nil
			}
			return data
		}, nil), trusting(id), errs.Invalid, SignatureName, "missing"},
		{"truncated zip", good[:len(good)-100], trusting(id), errs.Invalid, "", "not a readable zip"},
		{"truncated to half", good[:len(good)/2], trusting(id), errs.Invalid, "", "not a readable zip"},
		{"empty file", nil, trusting(id), errs.Invalid, "", "not a readable zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tt.bundle), int64(len(tt.bundle)), OpenOptions{Trust: tt.trust, Now: importTime})
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *TamperError", err)
			}
			if !errs.Is(tt.kind, err) {
				t.Errorf("kind %v, want %v (%v)", errs.KindOf(err), tt.kind, err)
			}
			if !strings.HasPrefix(te.Member, tt.member) || !strings.Contains(te.Reason, tt.reason) {
				t.Errorf("refused for member %q: %q; want member %q and a reason with %q", te.Member, te.Reason, tt.member, tt.reason)
			}
		})
	}
}

// signWith replaces the signature with one made by key over the same manifest.
func signWith(t testing.TB, b []byte, key ed25519.PrivateKey) []byte {
	var body []byte
	first := rezip(t, b, func(name string, data []byte) []byte {
		if name == ManifestName {
			body = data
		}
		return data
	}, nil)
	return rezip(t, first, func(name string, data []byte) []byte {
		if name == SignatureName {
			return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, append([]byte(signingContext), body...))))
		}
		return data
	}, nil)
}

func TestBundleDuplicateImport(t *testing.T) {
	id := kzIdentity(t)
	c, store := sampleContents(t, 1)
	b := exportBundle(t, id, c, store)
	seen := map[BundleID]bool{}
	opt := OpenOptions{Trust: trusting(id), Now: importTime, Imported: func(bid BundleID) bool { return seen[bid] }}
	first, err := Open(bytes.NewReader(b), int64(len(b)), opt)
	if err != nil {
		t.Fatal(err)
	}
	seen[first.Manifest.BundleID] = true
	if _, err := Open(bytes.NewReader(b), int64(len(b)), opt); !errs.Is(errs.Conflict, err) || !strings.Contains(err.Error(), "imported before") {
		t.Errorf("second import: err = %v, want a Conflict", err)
	}
}

func TestBundleLimits(t *testing.T) {
	id := kzIdentity(t)
	c, store := sampleContents(t, 3)
	b := exportBundle(t, id, c, store)
	tests := []struct {
		name string
		lim  Limits
		want string
	}{
		{"bundle size", Limits{MaxBundleSize: 100}, "limit is 100"},
		{"entries", Limits{MaxEntries: 3}, "zip entries"},
		{"member size", Limits{MaxMemberSize: 1000}, "outside [0, 1000]"},
		{"total size", Limits{MaxTotalSize: 5000}, "add up"},
		{"record size", Limits{MaxRecordSize: 100}, "limit is 100"},
	}
	for _, tt := range tests {
		_, err := Open(bytes.NewReader(b), int64(len(b)), OpenOptions{Trust: trusting(id), Now: importTime, Limits: tt.lim})
		if !errs.Is(errs.TooLarge, err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want TooLarge with %q", tt.name, err, tt.want)
		}
	}
}

func TestExportRefusesInvalidRecords(t *testing.T) {
	id := kzIdentity(t)
	c, store := sampleContents(t, 1)
	c.Firearms[0].Make = ""
	var buf bytes.Buffer
	if _, err := Export(context.Background(), &buf, id, c, store, ExportOptions{Now: exportTime}); !errs.Is(errs.Invalid, err) || !strings.Contains(err.Error(), "make is required") {
		t.Errorf("err = %v, want Invalid naming the make", err)
	}
	c, _ = sampleContents(t, 1)
	if _, err := Export(context.Background(), &buf, id, c, memory.New(), ExportOptions{Now: exportTime}); err == nil || !strings.Contains(err.Error(), "fetch original") {
		t.Errorf("missing original: err = %v", err)
	}
}
