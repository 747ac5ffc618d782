package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tracemark/tracemark/internal/errs"
)

// KeyFile is the name of the node's checkpoint signing key in the data
// folder: the hex Ed25519 seed, mode 0600. Its public half goes into every
// checkpoint; keep a copy of the public key elsewhere (PublicKeyFile) so a
// verifier can tell the node's checkpoints from forged ones.
const (
	KeyFile       = "audit-signing.key"
	PublicKeyFile = "audit-signing.pub"
)

// LoadOrCreateKey reads the signing key from dir, creating it (and the
// public key file) on first use.
func LoadOrCreateKey(dir string) (ed25519.PrivateKey, error) {
	const op = "audit.LoadOrCreateKey"
	path := filepath.Join(dir, KeyFile)
	key, err := LoadKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("creating the data folder: %w", err))
	}
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKey(path) // another process made it meanwhile
	} else if err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("creating the audit signing key: %w", err))
	}
	_, werr := f.WriteString(hex.EncodeToString(seed) + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("writing the audit signing key %s: %w", path, err))
	}
	key = ed25519.NewKeyFromSeed(seed)
	pub := hex.EncodeToString(key.Public().(ed25519.PublicKey)) + "\n"
	if err := os.WriteFile(filepath.Join(dir, PublicKeyFile), []byte(pub), 0o644); err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("writing the audit public key: %w", err))
	}
	return key, nil
}

// LoadKey reads a signing key file (hex seed). A missing file is an
// error matching fs.ErrNotExist.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	const op = "audit.LoadKey"
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errs.Errorf(op, errs.Invalid, "audit signing key %s is not %d hex-encoded bytes", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey parses a hex Ed25519 public key (the PublicKeyFile text).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errs.Errorf("audit.ParsePublicKey", errs.Invalid, "public key is not %d hex-encoded bytes", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}
