package integration

import (
	"crypto/tls"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/minikafka/minikafka"
)

func tlsListener(name, proto string, cfg *tls.Config, mechs ...string) minikafka.Listener {
	return minikafka.Listener{Name: name, Addr: "127.0.0.1:0", SecurityProtocol: proto, TLS: cfg, Mechanisms: mechs}
}

// pingTLS connects with kgo over TLS (and SASL when mech is set) and
// returns the error of a metadata round trip.
func pingTLS(t *testing.T, addr string, cfg *tls.Config, mech, user, pass string) error {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DialTLSConfig(cfg)}
	if mech != "" {
		opts = append(opts, kgo.SASL(franzMechanism(mech, user, pass)))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	return cl.Ping(testContext(t))
}

// TestTLSListeners serves SSL and SASL_SSL listeners from the committed
// PEM test PKI and connects with franz-go (kgo.DialTLSConfig).
func TestTLSListeners(t *testing.T) {
	mb, _, _ := startSASL(t, func(c *minikafka.Config) {
		c.Listeners = []minikafka.Listener{
			tlsListener("SSL", "SSL", serverTLS(t, "none")),
			tlsListener("SASL_SSL", "SASL_SSL", serverTLS(t, "none"), "PLAIN", "SCRAM-SHA-512"),
		}
	})
	ssl, saslSSL := mb.Addr("SSL"), mb.Addr("SASL_SSL")
	t.Run("SSL", func(t *testing.T) {
		if err := pingTLS(t, ssl, clientTLS(t, ""), "", "", ""); err != nil {
			t.Fatalf("SSL: %v", err)
		}
	})
	t.Run("SASL_SSL SCRAM", func(t *testing.T) {
		if err := pingTLS(t, saslSSL, clientTLS(t, ""), "SCRAM-SHA-512", "alice", "alice-secret"); err != nil {
			t.Fatalf("SASL_SSL: %v", err)
		}
		err := pingTLS(t, saslSSL, clientTLS(t, ""), "PLAIN", "alice", "wrong")
		if !errors.Is(err, kerr.SaslAuthenticationFailed) {
			t.Fatalf("wrong password over SASL_SSL: %v", err)
		}
		mustContain(t, "wrong password", err.Error(), wrongPasswordMessage("PLAIN"))
	})
	t.Run("untrusted server", func(t *testing.T) {
		cfg := clientTLS(t, "")
		cfg.RootCAs = nil // system roots do not know the test CA
		if err := pingTLS(t, ssl, cfg, "", "", ""); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("client trusted an unknown CA: %v", err)
		}
	})
}

// TestTLSClientAuth checks ssl.client.auth=required and requested.
func TestTLSClientAuth(t *testing.T) {
	mb, _, logs := startSASL(t, func(c *minikafka.Config) {
		c.Listeners = []minikafka.Listener{
			tlsListener("REQUIRED", "SSL", serverTLS(t, "required")),
			tlsListener("REQUESTED", "SSL", serverTLS(t, "requested")),
		}
	})
	required, requested := mb.Addr("REQUIRED"), mb.Addr("REQUESTED")
	if err := pingTLS(t, required, clientTLS(t, "alice"), "", "", ""); err != nil {
		t.Fatalf("required with alice's certificate: %v", err)
	}
	if err := pingTLS(t, required, clientTLS(t, ""), "", "", ""); err == nil {
		t.Fatal("required accepted a client without a certificate")
	}
	if err := pingTLS(t, required, clientTLS(t, "mallory"), "", "", ""); err == nil {
		t.Fatal("required accepted a certificate from an untrusted CA")
	}
	if err := pingTLS(t, requested, clientTLS(t, ""), "", "", ""); err != nil {
		t.Fatalf("requested without a certificate: %v", err)
	}
	if err := pingTLS(t, requested, clientTLS(t, "bob"), "", "", ""); err != nil {
		t.Fatalf("requested with bob's certificate: %v", err)
	}
	mustContain(t, "broker log", logs.String(), "TLS handshake failed")
}

// TestTLSFromProperties configures SSL and SASL_SSL listeners from a
// Kafka properties file: PEM key store in one file, an encrypted key with
// ssl.key.password, listener prefixes, and Kafka's rule that a broker-wide
// ssl.client.auth does not apply to SASL_SSL (with its WARN).
func TestTLSFromProperties(t *testing.T) {
	abs := func(name string) string {
		p, err := filepath.Abs(certPath(name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	props := strings.Join([]string{
		"listeners=MTLS://127.0.0.1:0,CLIENTS://127.0.0.1:0",
		"listener.security.protocol.map=MTLS:SSL,CLIENTS:SASL_SSL",
		"sasl.enabled.mechanisms=SCRAM-SHA-256",
		"minikafka.scram.users=SCRAM-SHA-256=[name=carol,password=carol-secret,iterations=8192]",
		"ssl.keystore.type=PEM",
		"ssl.truststore.type=PEM",
		"ssl.truststore.location=" + abs("ca.pem"),
		"ssl.client.auth=required",
		"listener.name.mtls.ssl.keystore.location=" + abs("server-keystore.pem"),
		"listener.name.clients.ssl.keystore.certificate.chain=" + strings.ReplaceAll(string(readCert(t, "server.pem")), "\n", "\\\n"),
		"listener.name.clients.ssl.keystore.key=" + strings.ReplaceAll(string(readCert(t, "server-key-encrypted.pem")), "\n", " \\\n  "),
		"listener.name.clients.ssl.key.password=server-key-secret",
	}, "\n")
	path := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(path, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := minikafka.LoadProperties(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "Broker configuration 'ssl.client.auth' is applied only to SSL listeners") || !strings.Contains(warnings[0], "server.properties:8") {
		t.Fatalf("warnings %q", warnings)
	}
	logs := &logBuffer{}
	cfg.Logger = saslConfig(logs).Logger
	mb, _ := minikafka.Start(t, minikafka.WithConfig(cfg))
	mtls, clients := mb.Addr("MTLS"), mb.Addr("CLIENTS")
	if err := pingTLS(t, mtls, clientTLS(t, "alice"), "", "", ""); err != nil {
		t.Fatalf("MTLS with a certificate: %v", err)
	}
	if err := pingTLS(t, mtls, clientTLS(t, ""), "", "", ""); err == nil {
		t.Fatal("MTLS (ssl.client.auth=required) accepted a client without a certificate")
	}
	if err := pingTLS(t, clients, clientTLS(t, ""), "SCRAM-SHA-256", "carol", "carol-secret"); err != nil {
		t.Fatalf("SASL_SSL without a client certificate: %v (broker-wide ssl.client.auth must not apply)", err)
	}
}

// TestTLSKcat runs kcat (librdkafka/OpenSSL) against SSL with a client
// certificate and against SASL_SSL with SCRAM.
func TestTLSKcat(t *testing.T) {
	kcat := lookPath(t, "kcat", "kafkacat")
	mb, _, _ := startSASL(t, func(c *minikafka.Config) {
		c.Listeners = []minikafka.Listener{
			tlsListener("SSL", "SSL", serverTLS(t, "required")),
			tlsListener("SASL_SSL", "SASL_SSL", serverTLS(t, "none"), "SCRAM-SHA-256"),
		}
	})
	out, err := exec.Command(kcat, "-b", mb.Addr("SSL"), "-X", "security.protocol=SSL", "-X", "ssl.ca.location="+certPath("ca.pem"),
		"-X", "ssl.certificate.location="+certPath("bob.pem"), "-X", "ssl.key.location="+certPath("bob-key.pem"), "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat SSL: %v\n%s", err, out)
	}
	mustContain(t, "kcat SSL", string(out), "1 brokers")
	out, err = exec.Command(kcat, "-b", mb.Addr("SASL_SSL"), "-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location="+certPath("ca.pem"),
		"-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", "sasl.username=bob", "-X", "sasl.password=bob-secret", "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat SASL_SSL: %v\n%s", err, out)
	}
	mustContain(t, "kcat SASL_SSL", string(out), "1 brokers")
}
