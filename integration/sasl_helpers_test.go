// Package integration runs real Kafka clients (franz-go, sarama,
// kafka-go, kcat, kafka-python) against minikafka over real sockets.
package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/minikafka/minikafka"
)

// The users every SASL test broker knows, for PLAIN and both SCRAM
// mechanisms.
var saslUsers = map[string]string{"alice": "alice-secret", "bob": "bob-secret"}

var saslMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// wrongPasswordMessage is what a client is told after a wrong password.
func wrongPasswordMessage(mech string) string {
	if mech == "PLAIN" {
		return "Authentication failed: Invalid username or password"
	}
	return "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mech
}

// logBuffer collects the broker log for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// saslConfig is a broker with one SASL_PLAINTEXT listener on a random
// loopback port, PLAIN and SCRAM enabled, and saslUsers.
func saslConfig(logs *logBuffer) minikafka.Config {
	cfg := minikafka.Config{
		Listeners: []minikafka.Listener{{
			Name: "SASL_PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT",
			Mechanisms: saslMechanisms,
		}},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	cfg.SASL.PlainUsers = saslUsers
	for name, pass := range saslUsers {
		cfg.SASL.ScramUsers = append(cfg.SASL.ScramUsers, minikafka.ScramUser{Name: name, Password: pass})
	}
	return cfg
}

// startSASL starts a SASL broker; mutate adjusts its config first.
func startSASL(t *testing.T, mutate ...func(*minikafka.Config)) (*minikafka.Broker, string, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg := saslConfig(logs)
	for _, m := range mutate {
		m(&cfg)
	}
	mb, addr := minikafka.Start(t, minikafka.WithConfig(cfg))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("broker log:\n%s", logs.String())
		}
	})
	return mb, addr, logs
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// certPath is a file of the committed test PKI (testdata/certs/gen.sh).
func certPath(name string) string { return filepath.Join("testdata", "certs", name) }

func readCert(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(certPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clientTLS trusts the test CA and presents the named client certificate
// ("" for none).
func clientTLS(t *testing.T, client string) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(readCert(t, "ca.pem")) {
		t.Fatal("bad ca.pem")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if client != "" {
		cert, err := tls.LoadX509KeyPair(certPath(client+".pem"), certPath(client+"-key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// serverTLS is the broker's TLS config from the test PKI.
func serverTLS(t *testing.T, clientAuth string) *tls.Config {
	t.Helper()
	cfg, err := minikafka.PEMTLS{
		CertificateChain: readCert(t, "server.pem"),
		Key:              readCert(t, "server-key.pem"),
		Truststore:       readCert(t, "ca.pem"),
		ClientAuth:       clientAuth,
	}.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mustContain(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: %q does not contain %q", what, got, want)
	}
}

// createTopics creates topics through a SASL/PLAIN admin connection as
// alice, so that clients without metadata retries find them.
func createTopics(t *testing.T, addr string, topics ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resps, err := kadm.NewClient(cl).CreateTopics(testContext(t), 1, 1, nil, topics...)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("creating %v: %v", topics, err)
	}
}
