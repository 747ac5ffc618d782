package federation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/tracemark/tracemark/internal/errs"
)

// CertFile is the node's federation TLS certificate and key (PEM) in its
// data directory.
const CertFile = "federation_tls.pem"

// DefaultCertValidity is how long a new node certificate is valid.
const DefaultCertValidity = 365 * 24 * time.Hour

// Cert is a node's own TLS certificate for federation: presented as server
// certificate and as client certificate. It is self-signed; peers pin it
// by Fingerprint instead of trusting a certificate authority.
type Cert struct {
	TLS         tls.Certificate
	Leaf        *x509.Certificate
	Fingerprint string // CertFingerprint of the DER certificate
}

// CertFingerprint is "SHA256:" + hex SHA-256 of a DER certificate.
func CertFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// NewCert makes a self-signed ECDSA P-256 certificate for node, valid from
// notBefore to notAfter, for localhost and 127.0.0.1 and the names given.
func NewCert(node string, notBefore, notAfter time.Time, hosts ...string) (*Cert, error) {
	const op = "federation.NewCert"
	if !notAfter.After(notBefore) {
		return nil, errs.Errorf(op, errs.Invalid, "certificate validity ends (%s) before it starts (%s)", notAfter, notBefore)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: node, Organization: []string{"tracemark federation"}},
		NotBefore:    notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	return certFrom(der, key)
}

func certFrom(der []byte, key *ecdsa.PrivateKey) (*Cert, error) {
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, errs.E("federation.Cert", errs.Invalid, err)
	}
	return &Cert{TLS: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, Leaf: leaf, Fingerprint: CertFingerprint(der)}, nil
}

// LoadOrCreateCert reads <dir>/federation_tls.pem, or makes a certificate
// valid for validity (DefaultCertValidity if 0) and writes it there with
// mode 0600. A file that others can read is refused. An expired
// certificate is returned as it is: renewing it changes the fingerprint
// every peer pinned, so it is the operator's decision (delete the file).
func LoadOrCreateCert(dir, node string, validity time.Duration) (*Cert, error) {
	const op = "federation.LoadOrCreateCert"
	path := filepath.Join(dir, CertFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if st, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
			return nil, errs.Errorf(op, errs.Permission, "%s is readable by others (mode %v); run chmod 600 on it", path, st.Mode().Perm())
		}
		return parseCertPEM(path, b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(op, errs.Other, fmt.Errorf("read %s: %w", path, err))
	}
	if validity <= 0 {
		validity = DefaultCertValidity
	}
	now := time.Now()
	c, err := NewCert(node, now.Add(-time.Hour), now.Add(validity))
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(c.TLS.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	out := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.TLS.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("create %s: %w", dir, err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, errs.E(op, errs.Other, fmt.Errorf("create %s: %w", path, err))
	}
	_, werr := f.Write(out)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, errs.E(op, errs.Other, fmt.Errorf("write %s: %w", path, werr))
	}
	return c, nil
}

func parseCertPEM(path string, b []byte) (*Cert, error) {
	const op = "federation.LoadCert"
	var der []byte
	var key *ecdsa.PrivateKey
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE":
			der = blk.Bytes
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(blk.Bytes)
			if err != nil {
				return nil, errs.E(op, errs.Invalid, fmt.Errorf("%s: private key: %w", path, err))
			}
			key = k
		}
	}
	if der == nil || key == nil {
		return nil, errs.Errorf(op, errs.Invalid, "%s must hold a CERTIFICATE and an EC PRIVATE KEY block", path)
	}
	return certFrom(der, key)
}

// checkValidity refuses a certificate outside its validity period at now.
func checkValidity(who string, c *x509.Certificate, now time.Time) error {
	switch {
	case now.After(c.NotAfter):
		return fmt.Errorf("the certificate of %s expired on %s", who, c.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(c.NotBefore):
		return fmt.Errorf("the certificate of %s is not valid before %s", who, c.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}
