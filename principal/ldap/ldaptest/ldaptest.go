// Package ldaptest runs a real OpenLDAP server (Debian's slapd) for tests,
// in the style of net/http/httptest: Start picks free loopback ports,
// writes a private configuration and TLS certificates, loads the test
// directory and stops the server when the test ends.
//
// The configuration and data are principal/ldap/testdata/slapd.conf and
// data.ldif: users alice, bob, carol and dave under ou=people; groups
// kafka-producers (alice, bob), kafka-admins (carol), engineering (alice,
// platform) and platform (engineering) under ou=groups; the service
// account cn=kafka-broker,ou=services (password broker-secret).
//
// slapd and ldapadd must be installed (apt-get install slapd ldap-utils;
// scripts/test.sh does it). A missing binary fails the test: it is never
// skipped.
package ldaptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// The directory's fixed names.
const (
	BaseDN          = "dc=example,dc=com"
	PeopleDN        = "ou=people,dc=example,dc=com"
	GroupsDN        = "ou=groups,dc=example,dc=com"
	ServiceDN       = "cn=kafka-broker,ou=services,dc=example,dc=com"
	ServicePassword = "broker-secret"
	AdminDN         = "cn=admin,dc=example,dc=com"
	AdminPassword   = "admin-secret"
)

// TB is the part of testing.TB that Start uses.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	TempDir() string
}

// Server is a running slapd.
type Server struct {
	// URL is the ldap:// address (StartTLS works on it), LDAPSURL the
	// ldaps:// one.
	URL      string
	LDAPSURL string
	// CA is the PEM certificate of the CA that signed the server's
	// certificate (for 127.0.0.1).
	CA []byte

	dir   string
	slapd string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	done   bool
}

// Start runs slapd with the test directory loaded.
func Start(tb TB) *Server {
	tb.Helper()
	slapd := findBinary(tb, "slapd", "/usr/sbin/slapd")
	ldapadd := findBinary(tb, "ldapadd", "/usr/bin/ldapadd")
	testdata := testdataDir()
	dir := tb.TempDir()
	conf, err := os.ReadFile(filepath.Join(testdata, "slapd.conf"))
	if err != nil {
		tb.Fatalf("ldaptest: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "slapd.conf"), conf, 0o600); err != nil {
		tb.Fatalf("ldaptest: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		tb.Fatalf("ldaptest: %v", err)
	}
	caPEM, err := writeTLSFiles(dir)
	if err != nil {
		tb.Fatalf("ldaptest: TLS files: %v", err)
	}
	ldapPort, ldapsPort := freePort(tb), freePort(tb)
	s := &Server{
		URL:      fmt.Sprintf("ldap://127.0.0.1:%d", ldapPort),
		LDAPSURL: fmt.Sprintf("ldaps://127.0.0.1:%d", ldapsPort),
		CA:       caPEM,
		dir:      dir,
		slapd:    slapd,
	}
	tb.Cleanup(s.Stop)
	if err := s.run(); err != nil {
		tb.Fatalf("ldaptest: %v; slapd log:\n%s", err, s.log())
	}
	out, err := exec.Command(ldapadd, "-x", "-H", s.URL, "-D", AdminDN, "-w", AdminPassword,
		"-f", filepath.Join(testdata, "data.ldif")).CombinedOutput()
	if err != nil {
		tb.Fatalf("ldaptest: ldapadd: %v\n%s", err, out)
	}
	return s
}

// run starts slapd on the server's ports and waits until it listens.
func (s *Server) run() error {
	logf, err := os.OpenFile(filepath.Join(s.dir, "slapd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	// -d 0: stay in the foreground, log nothing but fatal errors.
	cmd := exec.Command(s.slapd, "-f", "slapd.conf", "-h", s.URL+"/ "+s.LDAPSURL+"/", "-d", "0")
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("starting slapd: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.done = cmd, exited, false
	s.mu.Unlock()
	return s.waitReady(exited, 10*time.Second)
}

// Stop kills slapd (a directory that went down) and waits for it to exit.
// It is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.cmd == nil {
		return
	}
	s.done = true
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Restart stops slapd and starts it again on the same ports with the same
// data (a directory restart: open connections break).
func (s *Server) Restart(tb TB) {
	tb.Helper()
	s.Stop()
	if err := s.run(); err != nil {
		tb.Fatalf("ldaptest: restarting: %v; slapd log:\n%s", err, s.log())
	}
}

// CAPool returns a pool holding the server's CA.
func (s *Server) CAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(s.CA)
	return p
}

// TLSConfig returns a client TLS configuration that trusts the server.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "slapd.log"))
	return string(b)
}

func (s *Server) waitReady(exited chan struct{}, timeout time.Duration) error {
	addr := strings.TrimPrefix(s.URL, "ldap://")
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-exited:
			return fmt.Errorf("slapd exited during startup")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd not listening on %s after %v: %w", addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func findBinary(tb TB, name, fallback string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if _, err := os.Stat(fallback); err == nil {
		return fallback
	}
	tb.Fatalf("ldaptest: %s not found: install slapd and ldap-utils (apt-get install -y slapd ldap-utils; scripts/test.sh does)", name)
	return ""
}

func testdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

func freePort(tb TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("ldaptest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeTLSFiles writes ca.pem, server.pem and server.key (a certificate for
// 127.0.0.1 signed by a fresh CA) into dir and returns the CA's PEM.
func writeTLSFiles(dir string) ([]byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ldaptest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	files := map[string][]byte{
		"ca.pem":     caPEM,
		"server.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	return caPEM, nil
}
