package backup

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"slices"
	"strings"

	"github.com/tracemark/tracemark/internal/errs"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	Limits Limits
	// Trusted are the audit public keys whose manifest signatures count;
	// with any given, an unsigned manifest or another key's is refused.
	Trusted []ed25519.PublicKey
}

// Verified is what Verify found.
type Verified struct {
	Manifest Manifest
	// Signed reports a manifest signature that verified (against a
	// trusted key when any were given, else the key the manifest names,
	// which proves only integrity, not origin).
	Signed bool
	// ManifestSHA256 is the hash of manifest.json, so a second pass can
	// tell the archive did not change in between.
	ManifestSHA256 string
	Bytes          int64 // uncompressed bytes of all entries
}

// Verify reads the whole archive from r and checks it: layout and limits,
// every entry's size and SHA-256 against the manifest (naming the first
// entry that differs), no entry missing or unlisted, blob names equal to
// their hashes, and the manifest signature. It writes nothing.
func Verify(ctx context.Context, r io.Reader, opt VerifyOptions) (Verified, error) {
	const op = "backup.Verify"
	lim := opt.Limits.withDefaults()
	var v Verified
	var manifestBytes, sig []byte
	seen, err := walk(ctx, r, lim, func(name string, kind Kind, size int64, body io.Reader) error {
		var err error
		switch kind {
		case KindManifest:
			manifestBytes, err = io.ReadAll(body)
		case KindSignature:
			sig, err = io.ReadAll(body)
		}
		return err
	})
	if err != nil {
		return v, err
	}
	if manifestBytes == nil {
		return v, errs.Errorf(op, errs.Invalid, "the archive has no %s: not a tracemark backup, or cut short", ManifestName)
	}
	m, err := parseManifest(manifestBytes, lim)
	if err != nil {
		return v, err
	}
	v.Manifest, v.ManifestSHA256 = m, seen[ManifestName].SHA256
	for _, e := range seen {
		v.Bytes += e.Size
	}
	if err := checkEntries(m, seen); err != nil {
		return v, err
	}
	v.Signed, err = checkSignature(m, manifestBytes, sig, opt.Trusted)
	return v, err
}

// checkEntries compares the entries read with the manifest's list.
func checkEntries(m Manifest, seen map[string]Entry) error {
	const op = "backup.Verify"
	listed := map[string]bool{}
	for _, want := range m.Entries {
		listed[want.Name] = true
		got, ok := seen[want.Name]
		switch {
		case !ok:
			return errs.Errorf(op, errs.Invalid, "archive entry %s is listed in the manifest but missing from the archive", want.Name)
		case got.Size != want.Size:
			return errs.Errorf(op, errs.Invalid, "archive entry %s is %d bytes, the manifest says %d: the archive was changed or damaged", want.Name, got.Size, want.Size)
		case got.SHA256 != strings.ToLower(want.SHA256):
			return errs.Errorf(op, errs.Invalid, "archive entry %s does not match its SHA-256 in the manifest (has %s, want %s): the archive was changed or damaged",
				want.Name, got.SHA256, want.SHA256)
		}
	}
	for name := range seen {
		if !listed[name] && name != ManifestName && name != SignatureName {
			return errs.Errorf(op, errs.Invalid, "archive entry %s is not listed in the manifest", name)
		}
	}
	return nil
}

func checkSignature(m Manifest, manifestBytes, sig []byte, trusted []ed25519.PublicKey) (bool, error) {
	const op = "backup.Verify"
	if m.Source.AuditPublicKey == "" {
		if sig != nil {
			return false, errs.Errorf(op, errs.Invalid, "the archive has %s but its manifest names no key", SignatureName)
		}
		if len(trusted) > 0 {
			return false, errs.Errorf(op, errs.Invalid, "the manifest is not signed, but a trusted key was given")
		}
		return false, nil
	}
	if sig == nil {
		return false, errs.Errorf(op, errs.Invalid, "the manifest names the signing key %s but %s is missing", m.Source.AuditPublicKey, SignatureName)
	}
	pub, _ := hex.DecodeString(m.Source.AuditPublicKey) // checked by parseManifest
	raw, err := hex.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil || !ed25519.Verify(pub, manifestBytes, raw) {
		return false, errs.Errorf(op, errs.Invalid, "%s does not verify: the manifest was changed after signing, or the signature is forged", SignatureName)
	}
	if len(trusted) > 0 && !slices.ContainsFunc(trusted, func(k ed25519.PublicKey) bool { return k.Equal(ed25519.PublicKey(pub)) }) {
		return false, errs.Errorf(op, errs.Invalid, "the manifest is signed by %s, which is not a trusted key", m.Source.AuditPublicKey)
	}
	return true, nil
}
