package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Files of the self-signed certificate under the data folder.
const (
	TLSDir      = "tls"
	SelfCertPEM = "self-signed-cert.pem"
	SelfKeyPEM  = "self-signed-key.pem"
)

// useTLS decides whether Serve speaks HTTPS: with a given certificate, when
// asked (TLS), and always on an address other than loopback unless
// InsecureHTTP says otherwise.
func (c Config) useTLS() (bool, error) {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return false, errors.New("give both --tls-cert and --tls-key, or neither (a self-signed certificate)")
	}
	if c.TLSCert != "" || c.TLS {
		if c.InsecureHTTP {
			return false, errors.New("--insecure-http contradicts the TLS options; choose one")
		}
		return true, nil
	}
	if c.InsecureHTTP {
		return false, nil
	}
	host, _, err := net.SplitHostPort(c.withDefaults().Addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", c.Addr, err)
	}
	return !isLoopback(host), nil
}

// SchemeFor returns the scheme Serve uses with cfg: "https" or "http".
func SchemeFor(cfg Config) (string, error) {
	ok, err := cfg.useTLS()
	if ok {
		return "https", err
	}
	return "http", err
}

// isLoopback reports whether host names only this machine (an empty host
// or 0.0.0.0 listens everywhere, so it is not loopback).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig loads the configured certificate, or the self-signed one from
// the data folder (made on first use, and again when it expires or does
// not name the listen host).
func (n *Node) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if n.Cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(n.Cfg.TLSCert, n.Cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", n.Cfg.TLSCert, n.Cfg.TLSKey, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
		return cfg, nil
	}
	host, _, _ := net.SplitHostPort(n.Cfg.Addr)
	cert, created, err := SelfSignedCert(filepath.Join(n.Cfg.DataDir, TLSDir), host, time.Now())
	if err != nil {
		return nil, err
	}
	if created {
		n.log.Info("self-signed TLS certificate created; browsers will warn until it is trusted or replaced with --tls-cert",
			"cert", filepath.Join(n.Cfg.DataDir, TLSDir, SelfCertPEM))
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, nil
}

// SelfSignedCert returns the self-signed certificate kept in dir, making
// a new one (ECDSA P-256, one year, SANs: host, localhost, 127.0.0.1,
// ::1 and this machine's name) when there is none, it expires within a
// day of now, or it does not name host. created reports a new one.
func SelfSignedCert(dir, host string, now time.Time) (cert tls.Certificate, created bool, err error) {
	certFile, keyFile := filepath.Join(dir, SelfCertPEM), filepath.Join(dir, SelfKeyPEM)
	if c, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil && c.Leaf != nil &&
		now.Add(24*time.Hour).Before(c.Leaf.NotAfter) && (host == "" || isUnspecified(host) || c.Leaf.VerifyHostname(host) == nil) {
		return c, false, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, false, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return cert, false, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tracemark self-signed", Organization: []string{"tracemark"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if name, err := os.Hostname(); err == nil && name != "" && name != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, name)
	}
	if host != "" && !isUnspecified(host) {
		if ip := net.ParseIP(host); ip != nil {
			if !slices.ContainsFunc(tmpl.IPAddresses, ip.Equal) {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if !slices.Contains(tmpl.DNSNames, host) {
			tmpl.DNSNames = append(tmpl.DNSNames, host)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert, false, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return cert, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cert, false, fmt.Errorf("creating %s: %w", dir, err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return cert, false, err
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		return cert, false, err
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	return cert, true, err
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so a crash never leaves half a key.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
