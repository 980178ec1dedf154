package minikafka

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func applyProps(t *testing.T, text string) (Config, []string, error) {
	t.Helper()
	p, err := ParseProperties(strings.NewReader(text), "server.properties")
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	w, err := p.Apply(&c)
	return c, w, err
}

const saslListeners = "listeners=SASL_PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0\n" +
	"listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT\n" +
	"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256\n"

func TestPlainJAASProperties(t *testing.T) {
	c, warnings, err := applyProps(t, saslListeners+
		`listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \`+"\n"+
		`    username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`+"\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_svc='svc "pw"';`+"\n")
	if err != nil || len(warnings) != 0 {
		t.Fatalf("apply: %v %v", err, warnings)
	}
	if want := map[string]string{"admin": "admin-secret", "alice": "alice-secret"}; !reflect.DeepEqual(c.Listeners[0].PlainUsers, want) {
		t.Fatalf("SASL_PLAINTEXT users %v", c.Listeners[0].PlainUsers)
	}
	if want := map[string]string{"svc": `svc "pw"`}; !reflect.DeepEqual(c.Listeners[1].PlainUsers, want) {
		t.Fatalf("INTERNAL users (unprefixed fallback) %v", c.Listeners[1].PlainUsers)
	}
}

func TestSASLPropertyErrors(t *testing.T) {
	tests := map[string]struct{ props, want string }{
		"unterminated jaas": {
			saslListeners + "\n" + `listener.name.internal.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b"`,
			`server.properties:5: listener.name.internal.plain.sasl.jaas.config: JAAS config entry not terminated by semi-colon`,
		},
		"bad flag": {
			saslListeners + `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule mandatory user_a="b";`,
			`server.properties:4: sasl.jaas.config: Invalid login module control flag 'mandatory' in JAAS config`,
		},
		"two modules": {
			saslListeners + `sasl.jaas.config=a.B required; c.D required;`,
			`JAAS config property contains 2 login modules, should be 1 module`,
		},
		"wrong module": {
			saslListeners + `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required user_a="b";`,
			`server.properties:4: sasl.jaas.config: login module org.apache.kafka.common.security.scram.ScramLoginModule cannot configure PLAIN users`,
		},
		"no users": {
			saslListeners + `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b";`,
			`no user_<name>="<password>" option`,
		},
		"scram jaas module": {
			saslListeners + `listener.name.internal.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required;`,
			`server.properties:4: listener.name.internal.scram-sha-256.sasl.jaas.config: login module org.apache.kafka.common.security.plain.PlainLoginModule is not org.apache.kafka.common.security.scram.ScramLoginModule`,
		},
		"scram users mechanism": {
			"minikafka.scram.users=SCRAM-SHA-1=[name=a,password=b]",
			`server.properties:1: minikafka.scram.users: The add-scram mechanism SCRAM-SHA-1 is not supported.`,
		},
		"scram users iterations": {
			"minikafka.scram.users=SCRAM-SHA-256=[name=a,password=b,iterations=100]",
			`server.properties:1: minikafka.scram.users: a: iterations 100 outside 4096..16384`,
		},
		"scram users no name": {
			"minikafka.scram.users=SCRAM-SHA-256=[password=b]",
			`You must supply 'name' to add-scram`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := applyProps(t, tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestScramUsersProperty(t *testing.T) {
	c, _, err := applyProps(t, `minikafka.scram.users=SCRAM-SHA-256=[name=alice,password=alice-secret], SCRAM-SHA-512=[name=bob,password="p]w",iterations=8192];`+
		`SCRAM-SHA-256=[name=carol,salt="c2FsdA==",saltedpassword="AAAA"]`)
	if err != nil {
		t.Fatal(err)
	}
	want := []ScramUser{
		{Name: "alice", Mechanism: "SCRAM-SHA-256", Password: "alice-secret"},
		{Name: "bob", Mechanism: "SCRAM-SHA-512", Password: "p]w", Iterations: 8192},
		{Name: "carol", Mechanism: "SCRAM-SHA-256", Salt: []byte("salt"), SaltedPassword: []byte{0, 0, 0}},
	}
	if !reflect.DeepEqual(c.SASL.ScramUsers, want) {
		t.Fatalf("users %+v\nwant %+v", c.SASL.ScramUsers, want)
	}
}

func TestParseAddScram(t *testing.T) {
	tests := map[string]string{
		"SCRAM-SHA-256":                                        "Failed to find equals sign in SCRAM argument 'SCRAM-SHA-256'",
		"SCRAM-SHA-256=name=a":                                 "Expected configuration string to start with [",
		"SCRAM-SHA-256=[name=a":                                "Expected configuration string to end with ]",
		"SCRAM-SHA-256=[name]":                                 "No equals sign found in SCRAM component: name",
		"SCRAM-SHA-256=[name=a]":                               "You must supply one of 'password' or 'saltedpassword' to add-scram",
		"SCRAM-SHA-256=[name=a,saltedpassword=AAAA]":           "You must supply 'salt' with 'saltedpassword' to add-scram",
		"SCRAM-SHA-256=[name=a,password=b,color=red]":          "Unknown SCRAM configurations: color",
		"SCRAM-SHA-256=[name=a,password=b,iterations=x]":       "Failed to parse iterations count: x",
		"SCRAM-SHA-256=[name=a,salt=***,saltedpassword=AAAA]":  "Failed to decode given salt: ***",
		"SCRAM-SHA-256=[name=a,salt=AAAA,saltedpassword=***]":  "Failed to decode given saltedPassword: ***",
		"SCRAM-SHA-512=[name=a,password=b,iterations=16384]  ": "",
	}
	for in, want := range tests {
		_, err := ParseAddScram(in)
		if (want == "") != (err == nil) || (err != nil && err.Error() != want) {
			t.Errorf("ParseAddScram(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestPlainWithoutUsers(t *testing.T) {
	_, err := New(Config{Listeners: []Listener{{Name: "CLIENT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN"}}}})
	if err == nil || !strings.Contains(err.Error(), "listener.name.client.plain.sasl.jaas.config") {
		t.Fatalf("New: %v", err)
	}
}

func TestScramUserConfigErrors(t *testing.T) {
	for _, u := range []ScramUser{
		{Name: "a", Mechanism: "SCRAM-SHA-1", Password: "p"},
		{Name: "", Password: "p"},
		{Name: "a", Password: "p", Iterations: 100000},
		{Name: "a", Password: "p", Salt: []byte("s"), SaltedPassword: []byte("x"), Mechanism: "SCRAM-SHA-256"},
		{Name: "a", Salt: []byte("s"), SaltedPassword: []byte("x")},
		{Name: "a", Mechanism: "SCRAM-SHA-256"},
	} {
		cfg := Config{Listeners: []Listener{{Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}}}
		cfg.SASL.ScramUsers = []ScramUser{u}
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "SASL.ScramUsers[0]") {
			t.Errorf("%+v: %v", u, err)
		}
	}
}

func certFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("integration", "testdata", "certs", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTLSPropertyErrors(t *testing.T) {
	ssl := "listeners=SSL://127.0.0.1:0\n"
	ks := "ssl.keystore.location=" + certFile(t, "server-keystore.pem") + "\n"
	tests := map[string]struct{ props, want string }{
		"no keystore":       {ssl, "server.properties:1: listeners: listener SSL is SSL but has no key store"},
		"jks":               {ssl + "ssl.keystore.type=JKS\n" + ks, "server.properties:2: ssl.keystore.type: JKS key stores are not supported by minikafka: use PEM"},
		"keystore password": {ssl + ks + "ssl.keystore.password=x\n", "server.properties:3: ssl.keystore.password: SSL key store password cannot be specified with PEM format, only key password may be specified"},
		"missing file":      {ssl + "ssl.keystore.location=/nonexistent.pem\n", "server.properties:2: ssl.keystore.location: open /nonexistent.pem"},
		"chain without key": {ssl + "ssl.keystore.certificate.chain=-----BEGIN CERTIFICATE-----\n", "server.properties:2: ssl.keystore.certificate.chain: ssl.keystore.key is required too"},
		"client auth":       {ssl + ks + "ssl.client.auth=always\n", `server.properties:3: ssl.client.auth: listener SSL: ssl.client.auth "always": want none, requested or required`},
		"protocols":         {ssl + ks + "ssl.enabled.protocols=TLSv1.1\n", `server.properties:3: ssl.enabled.protocols: protocol "TLSv1.1" is not supported`},
		"key without chain": {ssl + "ssl.keystore.key=-----BEGIN PRIVATE KEY-----\n", "server.properties:2: ssl.keystore.key: ssl.keystore.certificate.chain is required too"},
		"bad truststore":    {ssl + ks + "ssl.truststore.certificates=nothing\n", "server.properties:3: ssl.truststore.certificates: listener SSL: truststore: no certificate"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := applyProps(t, tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTLSProperties(t *testing.T) {
	c, warnings, err := applyProps(t, "listeners=SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0\nsasl.enabled.mechanisms=SCRAM-SHA-512\n"+
		"ssl.keystore.location="+certFile(t, "server-keystore.pem")+"\n"+
		"ssl.truststore.location="+certFile(t, "ca.pem")+"\n"+
		"ssl.client.auth=requested\n"+
		"listener.name.sasl_ssl.ssl.client.auth=required\n"+
		"ssl.enabled.protocols=TLSv1.3\n")
	if err != nil || len(warnings) != 0 {
		t.Fatalf("%v %v", err, warnings)
	}
	if got := c.Listeners[0].TLS; got.ClientAuth != tls.VerifyClientCertIfGiven || got.MinVersion != tls.VersionTLS13 || got.ClientCAs == nil {
		t.Fatalf("SSL tls config %+v", got)
	}
	if got := c.Listeners[1].TLS.ClientAuth; got != tls.RequireAndVerifyClientCert {
		t.Fatalf("SASL_SSL with a prefixed ssl.client.auth: %v", got)
	}
}

func TestPEMTLS(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(certFile(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := map[string]struct {
		p    PEMTLS
		want string
	}{
		"encrypted":              {PEMTLS{CertificateChain: read("server.pem"), Key: read("server-key-encrypted.pem"), KeyPassword: "server-key-secret"}, ""},
		"one line":               {PEMTLS{CertificateChain: []byte(strings.ReplaceAll(string(read("server.pem")), "\n", "")), Key: []byte(strings.ReplaceAll(string(read("server-key.pem")), "\n", " "))}, ""},
		"wrong password":         {PEMTLS{CertificateChain: read("server.pem"), Key: read("server-key-encrypted.pem"), KeyPassword: "nope"}, "wrong ssl.key.password"},
		"no password":            {PEMTLS{CertificateChain: read("server.pem"), Key: read("server-key-encrypted.pem")}, "private key is encrypted: set ssl.key.password"},
		"password on plain key":  {PEMTLS{CertificateChain: read("server.pem"), Key: read("server-key.pem"), KeyPassword: "x"}, "not encrypted but ssl.key.password is set"},
		"key of another cert":    {PEMTLS{CertificateChain: read("server.pem"), Key: read("alice-key.pem")}, "private key does not match the first certificate"},
		"no certificate":         {PEMTLS{CertificateChain: read("server-key.pem"), Key: read("server-key.pem")}, "certificate chain: no certificate"},
		"legacy encrypted":       {PEMTLS{CertificateChain: read("server.pem"), Key: []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n")}, "legacy OpenSSL encryption"},
		"two keys":               {PEMTLS{CertificateChain: read("server.pem"), Key: append(read("server-key.pem"), read("alice-key.pem")...)}, "want exactly one PEM private key, found 2"},
		"mismatched end":         {PEMTLS{CertificateChain: []byte("-----BEGIN CERTIFICATE-----AAAA-----END PRIVATE KEY-----"), Key: read("server-key.pem")}, "ends with END PRIVATE KEY"},
		"corrupt encrypted data": {PEMTLS{CertificateChain: read("server.pem"), Key: []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----"), KeyPassword: "x"}, "malformed encrypted PKCS#8 key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := tc.p.TLSConfig()
			if tc.want == "" {
				if err != nil || len(cfg.Certificates) != 1 || cfg.ClientAuth != tls.NoClientCert {
					t.Fatalf("TLSConfig: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzPEMPrivateKey(f *testing.F) {
	for _, name := range []string{"server-key.pem", "server-key-encrypted.pem"} {
		b, err := os.ReadFile(filepath.Join("integration", "testdata", "certs", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "server-key-secret")
	}
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----AAAA-----END ENCRYPTED PRIVATE KEY-----"), "x")
	f.Fuzz(func(t *testing.T, b []byte, pw string) {
		_, _ = pemPrivateKey(b, pw)
	})
}

// TestDevConfig starts the development default on random ports and logs
// in as its demo users with PLAIN and both SCRAM mechanisms.
func TestDevConfig(t *testing.T) {
	cfg := DevConfig()
	if len(cfg.Listeners) != 1 || cfg.Listeners[0].SecurityProtocol != "SASL_PLAINTEXT" || cfg.Listeners[0].Addr != "127.0.0.1:9092" {
		t.Fatalf("dev listeners %+v", cfg.Listeners)
	}
	cfg.Listeners[0].Addr = "127.0.0.1:0"
	cfg.AdminAddr = ""
	_, addr := Start(t, WithConfig(cfg))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for user, pass := range DevUsers() {
		for _, opt := range []kgo.Opt{
			kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()),
			kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()),
			kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()),
		} {
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := cl.Ping(ctx); err != nil {
				t.Fatalf("%s: %v", user, err)
			}
			cl.Close()
		}
	}
	cl, _ := kgo.NewClient(kgo.SeedBrokers(addr))
	defer cl.Close()
	if err := cl.Ping(ctx); err == nil {
		t.Fatal("the development default accepted an unauthenticated client")
	}
}
