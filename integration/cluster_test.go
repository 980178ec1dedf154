package integration

// Cluster is where a test's clients connect: the minikafka binary started
// for that test, or — the bridge to real Kafka — an external cluster named
// by MINIKAFKA_TEST_* variables. Each client's configuration is derived
// from a Cluster here, so every test runs unchanged against either.

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Environment of the bridge to an external cluster.
const (
	envBootstrap        = "MINIKAFKA_TEST_BOOTSTRAP"         // host:port[,host:port...]; set: use the external cluster
	envSecurityProtocol = "MINIKAFKA_TEST_SECURITY_PROTOCOL" // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
	envSASLMechanism    = "MINIKAFKA_TEST_SASL_MECHANISM"    // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	envSASLUser         = "MINIKAFKA_TEST_SASL_USER"
	envSASLPassword     = "MINIKAFKA_TEST_SASL_PASSWORD"
	envTLSCA            = "MINIKAFKA_TEST_TLS_CA" // PEM file of the CA that signed the brokers' certificates
)

// Cluster is the target of a test's clients.
type Cluster struct {
	Bootstrap        string // comma-separated host:port list
	SecurityProtocol string // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
	Mechanism        string // SASL mechanism ("" without SASL)
	User, Password   string // SASL credentials
	CAFile           string // PEM CA bundle for SSL / SASL_SSL ("": system roots)
	Binary           *Binary
}

// External reports whether the cluster is the one named by the
// environment rather than a binary started by the test.
func (c *Cluster) External() bool { return c.Binary == nil }

// Brokers returns the bootstrap list.
func (c *Cluster) Brokers() []string { return strings.Split(c.Bootstrap, ",") }

// SASL reports whether clients authenticate with SASL.
func (c *Cluster) SASL() bool { return strings.HasPrefix(c.SecurityProtocol, "SASL_") }

// TLS reports whether clients connect with TLS.
func (c *Cluster) TLS() bool { return strings.HasSuffix(c.SecurityProtocol, "SSL") }

// TLSConfig is the client TLS config (nil without TLS). It fails the test
// when the CA file cannot be read.
func (c *Cluster) TLSConfig(tb testing.TB) *tls.Config {
	tb.Helper()
	if !c.TLS() {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			tb.Fatalf("reading CA file: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			tb.Fatalf("CA file %s holds no PEM certificate", c.CAFile)
		}
	}
	return cfg
}

var (
	externalOnce sync.Once
	external     *Cluster
	externalErr  error
)

// externalCluster returns the cluster named by the environment, or nil
// when MINIKAFKA_TEST_BOOTSTRAP is unset. A malformed environment fails the
// test.
func externalCluster(tb testing.TB) *Cluster {
	tb.Helper()
	externalOnce.Do(func() { external, externalErr = clusterFromEnv(os.Getenv) })
	if externalErr != nil {
		tb.Fatalf("%v", externalErr)
	}
	if external == nil {
		return nil
	}
	c := *external
	return &c
}

// clusterFromEnv reads the bridge variables through getenv.
func clusterFromEnv(getenv func(string) string) (*Cluster, error) {
	bootstrap := getenv(envBootstrap)
	if bootstrap == "" {
		return nil, nil
	}
	c := &Cluster{
		Bootstrap:        bootstrap,
		SecurityProtocol: strings.ToUpper(getenv(envSecurityProtocol)),
		Mechanism:        strings.ToUpper(getenv(envSASLMechanism)),
		User:             getenv(envSASLUser),
		Password:         getenv(envSASLPassword),
		CAFile:           getenv(envTLSCA),
	}
	if c.SecurityProtocol == "" {
		switch {
		case c.Mechanism != "" && c.CAFile != "":
			c.SecurityProtocol = "SASL_SSL"
		case c.Mechanism != "":
			c.SecurityProtocol = "SASL_PLAINTEXT"
		case c.CAFile != "":
			c.SecurityProtocol = "SSL"
		default:
			c.SecurityProtocol = "PLAINTEXT"
		}
	}
	if !slices.Contains([]string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}, c.SecurityProtocol) {
		return nil, fmt.Errorf("%s=%q: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", envSecurityProtocol, c.SecurityProtocol)
	}
	if c.SASL() {
		if !slices.Contains([]string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, c.Mechanism) {
			return nil, fmt.Errorf("%s=%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 with %s", envSASLMechanism, c.Mechanism, c.SecurityProtocol)
		}
		if c.User == "" {
			return nil, fmt.Errorf("%s is required with %s", envSASLUser, c.SecurityProtocol)
		}
	} else if c.Mechanism != "" {
		return nil, fmt.Errorf("%s=%s but %s=%s has no SASL", envSASLMechanism, c.Mechanism, envSecurityProtocol, c.SecurityProtocol)
	}
	return c, nil
}

// testCluster is the cluster of a client test: the external one when the
// environment names it, else a fresh minikafka binary with one PLAINTEXT
// listener, stopped (and checked for a clean exit) when the test ends.
func testCluster(t *testing.T) *Cluster {
	t.Helper()
	if c := externalCluster(t); c != nil {
		return c
	}
	b := startBinary(t, BinaryConfig{})
	return &Cluster{Bootstrap: b.Addr(t, "PLAINTEXT"), SecurityProtocol: "PLAINTEXT", Binary: b}
}

// requireBinary skips a test that checks the binary itself (not Kafka
// behaviour) when the suite runs against an external cluster.
func requireBinary(t *testing.T) {
	t.Helper()
	if os.Getenv(envBootstrap) != "" {
		t.Skipf("checks the minikafka binary itself; %s is set", envBootstrap)
	}
}

// scriptEnv is the environment of the Node and Python client scripts: the
// cluster in KAFKA_* variables (read by integration/js and
// integration/python).
func (c *Cluster) scriptEnv() []string {
	env := append(os.Environ(),
		"KAFKA_BOOTSTRAP="+c.Bootstrap,
		"KAFKA_SECURITY_PROTOCOL="+c.SecurityProtocol,
		"KAFKA_SASL_MECHANISM="+c.Mechanism,
		"KAFKA_SASL_USER="+c.User,
		"KAFKA_SASL_PASSWORD="+c.Password,
		"KAFKA_TLS_CA="+c.CAFile,
	)
	return env
}

// librdkafkaConfig is the librdkafka configuration (kcat -X, confluent-kafka).
func (c *Cluster) librdkafkaConfig() map[string]string {
	m := map[string]string{
		"bootstrap.servers": c.Bootstrap,
		"security.protocol": strings.ToLower(c.SecurityProtocol),
	}
	if c.SASL() {
		m["sasl.mechanisms"] = c.Mechanism
		m["sasl.username"] = c.User
		m["sasl.password"] = c.Password
	}
	if c.TLS() && c.CAFile != "" {
		m["ssl.ca.location"] = c.CAFile
	}
	return m
}
