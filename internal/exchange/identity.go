package exchange

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// IdentityFile is the name of the node key file inside the data directory.
const IdentityFile = "node_identity.json"

// NodeInfo names a node and the agency that runs it.
type NodeInfo struct {
	Node     string          `json:"node"`      // node name, e.g. "kz-mia-almaty"
	AgencyID domain.AgencyID `json:"agency_id"` // the exporting agency's ID
	Agency   string          `json:"agency"`    // agency code, e.g. "KZ-MIA-ALA"
	Country  string          `json:"country"`   // ISO 3166-1 alpha-2
}

// Identity is a node's Ed25519 key pair with its names.
type Identity struct {
	NodeInfo
	key ed25519.PrivateKey
}

// NewIdentity makes an identity from an existing private key (tests,
// HSM-less key import).
func NewIdentity(info NodeInfo, key ed25519.PrivateKey) (*Identity, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errs.Errorf("exchange.NewIdentity", errs.Invalid, "private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if info.Node == "" || info.Country == "" {
		return nil, errs.Errorf("exchange.NewIdentity", errs.Invalid, "node name and country are required")
	}
	return &Identity{NodeInfo: info, key: key}, nil
}

// PublicKey returns the node's public key.
func (id *Identity) PublicKey() ed25519.PublicKey { return id.key.Public().(ed25519.PublicKey) }

// Fingerprint returns the fingerprint of the node's public key.
func (id *Identity) Fingerprint() string { return Fingerprint(id.PublicKey()) }

// Sign signs msg with the node's key (Ed25519). Callers put a context
// string of their own protocol first, so that a signature made for one
// purpose is never valid for another.
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.key, msg) }

// Fingerprint is "SHA256:" and the lowercase hex SHA-256 of an Ed25519
// public key. Peers compare it out of band (phone, letter) when they
// exchange keys.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

type identityFile struct {
	NodeInfo
	PrivateKeySeed string `json:"private_key_seed"` // hex of the 32-byte Ed25519 seed
}

// LoadOrCreateIdentity reads the node identity from dir/IdentityFile, or
// creates it with a fresh key and info when the file does not exist. The
// file is written with mode 0600; on Unix, loading refuses a file that
// others can read. The info of an existing file wins over info.
func LoadOrCreateIdentity(dir string, info NodeInfo) (*Identity, error) {
	const op = "exchange.LoadOrCreateIdentity"
	path := filepath.Join(dir, IdentityFile)
	id, err := loadIdentity(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	id, err = NewIdentity(info, key)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(identityFile{NodeInfo: info, PrivateKeySeed: hex.EncodeToString(key.Seed())}, "", "  ")
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("create data dir %s: %w", dir, err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("create %s: %w", path, err))
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return nil, errs.E(op, errs.Other, fmt.Errorf("write %s: %w", path, err))
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, errs.E(op, errs.Other, fmt.Errorf("write %s: %w", path, err))
	}
	return id, nil
}

func loadIdentity(path string) (*Identity, error) {
	const op = "exchange.LoadIdentity"
	f, err := os.Open(path)
	if err != nil {
		return nil, err // fs.ErrNotExist tells the caller to create one
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("stat %s: %w", path, err))
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, errs.Errorf(op, errs.Permission, "%s is readable by others (mode %v); run chmod 600 on it", path, st.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("read %s: %w", path, err))
	}
	var idf identityFile
	if err := json.Unmarshal(b, &idf); err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("%s: %w", path, err))
	}
	seed, err := hex.DecodeString(idf.PrivateKeySeed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errs.Errorf(op, errs.Invalid, "%s: private_key_seed must be %d bytes of hex", path, ed25519.SeedSize)
	}
	return NewIdentity(idf.NodeInfo, ed25519.NewKeyFromSeed(seed))
}
