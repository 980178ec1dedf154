package minikafka_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/principal/ldap"
	"github.com/minikafka/minikafka/principal/ldap/ldaptest"
)

func TestPrincipalProperties(t *testing.T) {
	dir := t.TempDir()
	groupsFile := filepath.Join(dir, "groups.txt")
	// Listener types do not matter to these keys (and SSL ones would need
	// key stores here).
	src := `listeners=EXTERNAL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0
listener.security.protocol.map=EXTERNAL:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT
sasl.enabled.mechanisms=PLAIN
principal.builder.class=org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder
ssl.principal.mapping.rules=RULE:^CN=([^,]+),OU=ServiceUsers.*$/$1/,DEFAULT
listener.name.internal.ssl.principal.mapping.rules=RULE:^CN=([^,]+).*$/$1/L
minikafka.principal.sasl.name.rules=RULE:^(.*)@EXAMPLE\\.COM$/$1/L,DEFAULT
listener.name.sasl_plaintext.minikafka.principal.sasl.name.rules=DEFAULT
minikafka.groups.resolvers=jwt, ldap, static, os
minikafka.groups.failure.policy=strict
minikafka.groups.cache.ttl.ms=60000
minikafka.groups.cache.negative.ttl.ms=0
minikafka.groups.cache.max.entries=500
minikafka.groups.jwt.claim=$.realm_access.roles
minikafka.groups.jwt.delimiter=;
minikafka.groups.jwt.leaf.only=true
minikafka.groups.ldap.url=ldaps://ldap.example.com:636
minikafka.groups.ldap.starttls=false
minikafka.groups.ldap.bind.dn=cn=kafka-broker,ou=services,dc=example,dc=com
minikafka.groups.ldap.bind.password=broker-secret
minikafka.groups.ldap.search.mode=groups
minikafka.groups.ldap.user.base.dn=ou=people,dc=example,dc=com
minikafka.groups.ldap.user.filter=(sAMAccountName={0})
minikafka.groups.ldap.user.memberof.attribute=memberOf
minikafka.groups.ldap.group.base.dn=ou=groups,dc=example,dc=com
minikafka.groups.ldap.group.filter=(&(objectClass=groupOfNames)(member={0}))
minikafka.groups.ldap.group.name.attribute=cn
minikafka.groups.ldap.nested=true
minikafka.groups.ldap.nested.max.depth=5
minikafka.groups.ldap.timeout.ms=2000
minikafka.groups.ldap.pool.size=8
minikafka.groups.static.file=` + groupsFile + `
minikafka.groups.static.reload.interval.ms=1000
minikafka.groups.os.method=id
minikafka.groups.os.command=/usr/bin/id
minikafka.groups.os.timeout.ms=3000
`
	cfg, warnings, err := applyProps(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Fatalf("warnings: %q", warnings)
	}
	pc := cfg.Principals
	g := pc.Groups
	checks := map[string]bool{
		"builder class":       pc.BuilderClass == principal.DefaultBuilderClass,
		"ssl rules":           pc.SSLMappingRules == `RULE:^CN=([^,]+),OU=ServiceUsers.*$/$1/,DEFAULT`,
		"listener ssl rules":  cfg.Listeners[2].PrincipalMappingRules == `RULE:^CN=([^,]+).*$/$1/L` && cfg.Listeners[0].PrincipalMappingRules == "",
		"sasl rules":          pc.SASLNameRules == `RULE:^(.*)@EXAMPLE\.COM$/$1/L,DEFAULT`,
		"listener sasl rules": pc.ListenerSASLNameRules["SASL_PLAINTEXT"] == "DEFAULT",
		"resolvers":           strings.Join(g.Resolvers, ",") == "jwt,ldap,static,os",
		"policy":              g.FailurePolicy == "strict",
		"cache":               g.CacheTTL == time.Minute && g.CacheNegativeTTL < 0 && g.CacheMaxEntries == 500,
		"jwt":                 g.JWT.Claim == "$.realm_access.roles" && g.JWT.Delimiter == ";" && g.JWT.LeafOnly,
		"ldap conn":           g.LDAP.URL == "ldaps://ldap.example.com:636" && !g.LDAP.StartTLS && g.LDAP.BindDN == ldaptest.ServiceDN && g.LDAP.BindPassword == "broker-secret",
		"ldap search": g.LDAP.Mode == ldap.ModeGroups && g.LDAP.UserBaseDN == ldaptest.PeopleDN && g.LDAP.UserFilter == "(sAMAccountName={0})" &&
			g.LDAP.MemberOfAttribute == "memberOf" && g.LDAP.GroupBaseDN == ldaptest.GroupsDN &&
			g.LDAP.GroupFilter == "(&(objectClass=groupOfNames)(member={0}))" && g.LDAP.GroupNameAttribute == "cn",
		"ldap tuning": g.LDAP.Nested && g.LDAP.MaxDepth == 5 && g.LDAP.Timeout == 2*time.Second && g.LDAP.PoolSize == 8,
		"static":      g.Static.Path == groupsFile && g.Static.ReloadInterval == time.Second,
		"os":          g.OS.Method == "id" && g.OS.Command == "/usr/bin/id" && g.OS.Timeout == 3*time.Second,
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: %+v", name, pc)
		}
	}
}

func TestPrincipalPropertiesErrors(t *testing.T) {
	tests := map[string]string{
		"principal.builder.class=io.strimzi.kafka.oauth.server.OAuthKafkaPrincipalBuilder\n": "server.properties:1: principal.builder.class: \"io.strimzi.kafka.oauth.server.OAuthKafkaPrincipalBuilder\" is not supported",
		"# rules\nssl.principal.mapping.rules=RULE:^CN=(.*)$/$1/Lxyz\n":                      "server.properties:2: ssl.principal.mapping.rules: Invalid rule: `RULE:^CN=(.*)$/$1/Lxyz`, unmatched substring: `xyz`",
		"minikafka.principal.sasl.name.rules=RULE:(?=x)/y/\n":                                "server.properties:1: minikafka.principal.sasl.name.rules: Invalid rule",
		"listeners=SSL://127.0.0.1:0\nlistener.name.ssl.ssl.principal.mapping.rules=nope\n":  "server.properties:2: listener.name.ssl.ssl.principal.mapping.rules: Invalid rule: `nope`",
		"minikafka.groups.resolvers=ldap,kerberos\n":                                         "server.properties:1: minikafka.groups.resolvers: unknown group resolver \"kerberos\"",
		"minikafka.groups.failure.policy=open\n":                                             "server.properties:1: minikafka.groups.failure.policy: unknown group failure policy",
		"minikafka.groups.resolvers=static\nminikafka.groups.ldap.url=ldap://x\n":            "server.properties:2: minikafka.groups.ldap.url: is set but ldap is not in minikafka.groups.resolvers",
		"minikafka.groups.resolvers=jwt\nminikafka.groups.jwt.claim=a..b\n":                  "server.properties:2: minikafka.groups.jwt.claim: group claim path",
		"minikafka.groups.resolvers=ldap\nminikafka.groups.ldap.timeout.ms=soon\n":           "server.properties:2: minikafka.groups.ldap.timeout.ms: invalid integer",
		"minikafka.groups.resolvers=ldap\nminikafka.groups.ldap.tls.ca.file=/nonexistent\n":  "server.properties:2: minikafka.groups.ldap.tls.ca.file:",
	}
	for src, want := range tests {
		_, _, err := applyProps(t, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

func TestPrincipalWiringErrors(t *testing.T) {
	plain := []minikafka.Listener{{Name: "SSL", Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT", PrincipalMappingRules: "RULE:x/y/Q"}}
	if _, err := minikafka.New(minikafka.Config{Listeners: plain}); err == nil ||
		!strings.Contains(err.Error(), "listener SSL: ssl.principal.mapping.rules: Invalid rule: `RULE:x/y/Q`") {
		t.Errorf("invalid listener rules: %v", err)
	}
	ok := []minikafka.Listener{{Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}}
	cfg := minikafka.Config{Listeners: ok}
	cfg.Principals.BuilderClass = "com.example.MyBuilder"
	if _, err := minikafka.New(cfg); err == nil || !strings.Contains(err.Error(), `principal.builder.class "com.example.MyBuilder" is not supported`) {
		t.Errorf("custom class: %v", err)
	}
	cfg = minikafka.Config{Listeners: ok}
	cfg.Principals.Groups.Resolvers = []string{"ldap"}
	cfg.Principals.Groups.LDAP = ldap.Config{URL: "ldap://127.0.0.1:1", UserBaseDN: "dc=x"}
	if _, err := minikafka.New(cfg); err == nil || !strings.Contains(err.Error(), "group resolver ldap: ldap ldap://127.0.0.1:1: connecting") {
		t.Errorf("directory down at startup: %v", err)
	}
	// A custom Builder from Go replaces everything, rules included.
	cfg = minikafka.Config{Listeners: plain}
	cfg.Principals.Builder = principal.BuilderFunc(func(_ context.Context, ac *principal.AuthContext) (*principal.Subject, error) {
		return principal.AnonymousSubject(ac), nil
	})
	b, err := minikafka.New(cfg)
	if err != nil {
		t.Fatalf("custom builder: %v", err)
	}
	_ = b.Close()
}

// TestWrongServicePasswordIsStartupError: the broker does not start when
// the directory refuses the service account; the error names the URL.
func TestWrongServicePasswordIsStartupError(t *testing.T) {
	dir := ldaptest.Start(t)
	cfg := minikafka.Config{Listeners: []minikafka.Listener{{Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}}}
	cfg.Principals.Groups = minikafka.GroupsConfig{
		Resolvers: []string{"ldap"},
		LDAP:      ldap.Config{URL: dir.URL, BindDN: ldaptest.ServiceDN, BindPassword: "not-the-password", UserBaseDN: ldaptest.PeopleDN},
	}
	_, err := minikafka.New(cfg)
	if err == nil || !strings.Contains(err.Error(), "ldap "+dir.URL+": binding as "+ldaptest.ServiceDN) || !strings.Contains(err.Error(), "Invalid Credentials") {
		t.Fatalf("wrong service password: %v", err)
	}
}

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines(substr string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// testPKI is a CA with a server certificate for 127.0.0.1 and client
// certificates.
type testPKI struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	pool  *x509.CertPool
}

func newPKI(t *testing.T) *testPKI {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "minikafka test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testPKI{ca: ca, caKey: key, pool: pool}
}

func (p *testPKI) cert(t *testing.T, subject pkix.Name, server bool) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mtlsBroker starts a broker with one SSL listener requiring client
// certificates, mapping CN=<user>,OU=... to <user>, with the given group
// resolvers.
func mtlsBroker(t *testing.T, pki *testPKI, groups minikafka.GroupsConfig, logs *logBuffer) (*minikafka.Broker, string) {
	t.Helper()
	serverTLS := &tls.Config{
		Certificates: []tls.Certificate{pki.cert(t, pkix.Name{CommonName: "127.0.0.1"}, true)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pki.pool,
		MinVersion:   tls.VersionTLS12,
	}
	cfg := minikafka.Config{
		Listeners: []minikafka.Listener{{Name: "SSL", Addr: "127.0.0.1:0", SecurityProtocol: "SSL", TLS: serverTLS,
			PrincipalMappingRules: `RULE:^CN=([^,]+),OU=(.*)$/$1/L,DEFAULT`}},
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry: prometheus.NewRegistry(),
	}
	cfg.Principals.Groups = groups
	b, err := minikafka.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, b.Addr("SSL")
}

// ping connects as the certificate's user and asks for metadata.
func ping(t *testing.T, pki *testPKI, addr, user string) error {
	t.Helper()
	clientTLS := &tls.Config{
		Certificates: []tls.Certificate{pki.cert(t, pkix.Name{CommonName: user, OrganizationalUnit: []string{"Kafka"}, Organization: []string{"Example"}}, false)},
		RootCAs:      pki.pool,
		MinVersion:   tls.VersionTLS12,
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTLSConfig(clientTLS), kgo.RequestRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestMTLSGroupsFromLDAP: a real client with a certificate for alice gets
// User:alice (ssl.principal.mapping.rules over the Java-format DN) and her
// groups from slapd, nested one included. With the directory down a new
// login follows the failure policy: lenient authenticates without groups,
// strict refuses; both log one warning and count it.
func TestMTLSGroupsFromLDAP(t *testing.T) {
	pki := newPKI(t)
	dir := ldaptest.Start(t)
	groups := func(policy string) minikafka.GroupsConfig {
		return minikafka.GroupsConfig{
			Resolvers:     []string{"ldap"},
			FailurePolicy: policy,
			LDAP: ldap.Config{URL: dir.URL, BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
				UserBaseDN: ldaptest.PeopleDN, Nested: true, Timeout: 2 * time.Second},
		}
	}
	var logs logBuffer
	b, addr := mtlsBroker(t, pki, groups("lenient"), &logs)
	if err := ping(t, pki, addr, "Alice"); err != nil {
		t.Fatal(err)
	}
	built := logs.lines("subject built")
	if len(built) == 0 || !strings.Contains(built[0], "principal=User:alice") ||
		!strings.Contains(built[0], "groups=\"[kafka-producers engineering platform]\"") {
		t.Fatalf("subject log: %q", built)
	}

	var strictLogs logBuffer
	strict, strictAddr := mtlsBroker(t, pki, groups("strict"), &strictLogs)
	dir.Stop()

	// lenient: bob (not cached) still gets in, without groups
	if err := ping(t, pki, addr, "bob"); err != nil {
		t.Fatalf("lenient: %v", err)
	}
	warns := logs.lines("group resolution failed")
	if len(warns) != 1 || !strings.Contains(warns[0], "level=WARN") || !strings.Contains(warns[0], "failure policy lenient") ||
		!strings.Contains(warns[0], "principal=User:bob") || !strings.Contains(warns[0], dir.URL) {
		t.Fatalf("lenient warnings: %q", warns)
	}
	if v := metricValue(t, b.Registry(), "minikafka_group_resolution_failures_total", map[string]string{"listener": "SSL", "policy": "lenient"}); v != 1 {
		t.Fatalf("lenient failure metric = %v", v)
	}
	// alice is still served from the cache
	if err := ping(t, pki, addr, "alice"); err != nil {
		t.Fatal(err)
	}
	if n := len(logs.lines("group resolution failed")); n != 1 {
		t.Fatalf("cached user hit the directory: %d warnings", n)
	}

	// strict: carol is refused
	if err := ping(t, pki, strictAddr, "carol"); err == nil {
		t.Fatal("strict: connected without groups")
	}
	warns = strictLogs.lines("group resolution failed")
	if len(warns) != 1 || !strings.Contains(warns[0], "authentication refused (failure policy strict)") || !strings.Contains(warns[0], "principal=User:carol") {
		t.Fatalf("strict warnings: %q", warns)
	}
	if v := metricValue(t, strict.Registry(), "minikafka_group_resolution_failures_total", map[string]string{"listener": "SSL", "policy": "strict"}); v != 1 {
		t.Fatalf("strict failure metric = %v", v)
	}
}

// TestGroupsFromStaticFileWiring: the static resolver from properties,
// after a resolver set from Go; their groups are united in order.
func TestGroupsFromStaticFileWiring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "groups.txt")
	if err := os.WriteFile(path, []byte("alice: ops, kafka-producers\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := applyProps(t, "minikafka.groups.resolvers=static\nminikafka.groups.static.file="+path+"\n")
	if err != nil {
		t.Fatal(err)
	}
	groups := cfg.Principals.Groups
	groups.Resolver = principal.GroupResolverFunc(func(context.Context, principal.Principal, *principal.AuthContext) ([]string, error) {
		return []string{"from-go", "ops"}, nil
	})
	pki := newPKI(t)
	var logs logBuffer
	_, addr := mtlsBroker(t, pki, groups, &logs)
	if err := ping(t, pki, addr, "alice"); err != nil {
		t.Fatal(err)
	}
	built := logs.lines("subject built")
	if len(built) == 0 || !strings.Contains(built[0], "principal=User:alice") || !strings.Contains(built[0], `groups="[from-go ops kafka-producers]"`) {
		t.Fatalf("subject log: %q", built)
	}
}

// TestREADMEPrincipalExamples parses each example of the README's
// "Principals and groups" section, so the documentation stays valid.
func TestREADMEPrincipalExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Principals and groups")
	if !ok {
		t.Fatal("no Principals and groups section")
	}
	_, block, ok := strings.Cut(section, "```properties\n")
	if !ok {
		t.Fatal("no properties example")
	}
	block, _, _ = strings.Cut(block, "```")
	examples := strings.Split(strings.TrimSpace(block), "\n\n")
	if len(examples) != 3 {
		t.Fatalf("%d examples", len(examples))
	}
	for _, ex := range examples {
		cfg, warnings, err := applyProps(t, ex)
		if err != nil || len(warnings) != 0 || len(cfg.Principals.Groups.Resolvers) == 0 {
			t.Errorf("example %q: %v, %q", ex, err, warnings)
		}
	}
}

// TestSASLNameRulesAndLDAPGroups: PLAIN users authenticate as
// name@EXAMPLE.COM; minikafka.principal.sasl.name.rules makes them
// User:<name>, whose groups come from slapd. With the directory down and
// the strict policy, the client sees the refusal's reason (SASL error 58).
func TestSASLNameRulesAndLDAPGroups(t *testing.T) {
	dir := ldaptest.Start(t)
	start := func(policy string, logs *logBuffer) string {
		cfg := minikafka.Config{
			Listeners: []minikafka.Listener{{Name: "SASL_PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN"}}},
			Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		}
		cfg.SASL.PlainUsers = map[string]string{"Alice@EXAMPLE.COM": "alice-pw", "carol@EXAMPLE.COM": "carol-pw"}
		cfg.SASL.FailedAuthenticationDelay = -1
		cfg.Principals.SASLNameRules = `RULE:^(.*)@EXAMPLE\.COM$/$1/L,DEFAULT`
		cfg.Principals.Groups = minikafka.GroupsConfig{
			Resolvers:     []string{"ldap"},
			FailurePolicy: policy,
			LDAP: ldap.Config{URL: dir.URL, BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
				Mode: ldap.ModeGroups, UserBaseDN: ldaptest.PeopleDN, GroupBaseDN: ldaptest.GroupsDN, Nested: true},
		}
		b, err := minikafka.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b.BootstrapAddr()
	}
	login := func(addr, user, pass string) error {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()), kgo.RequestRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return cl.Ping(ctx)
	}
	var logs, strictLogs logBuffer
	addr := start("lenient", &logs)
	strictAddr := start("strict", &strictLogs)
	if err := login(addr, "Alice@EXAMPLE.COM", "alice-pw"); err != nil {
		t.Fatal(err)
	}
	built := logs.lines("subject built")
	if len(built) == 0 || !strings.Contains(built[0], "principal=User:alice") ||
		!strings.Contains(built[0], `groups="[kafka-producers engineering platform]"`) {
		t.Fatalf("subject log: %q", built)
	}
	dir.Stop()
	err := login(strictAddr, "carol@EXAMPLE.COM", "carol-pw")
	if err == nil || !strings.Contains(err.Error(), "Authentication failed: the groups of User:carol could not be resolved") {
		t.Fatalf("strict login with the directory down: %v", err)
	}
}
