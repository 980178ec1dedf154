package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/minikafka/minikafka"
)

// securedBroker is a SASL_PLAINTEXT broker with every mechanism,
// authorization on (super user admin), the development issuer with one
// client (svc) and command-config files for admin, alice and svc.
type securedBroker struct {
	b                   *minikafka.Broker
	addr                string
	admin, alice, oauth string // --command-config files
}

func startSecured(t *testing.T) *securedBroker {
	t.Helper()
	users := map[string]string{"admin": "admin-secret", "alice": "alice-secret"}
	cfg := minikafka.Config{
		Listeners: []minikafka.Listener{{Name: "SASL", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT",
			Mechanisms: []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"}}},
		AdminAddr:  "127.0.0.1:0",
		Authorizer: minikafka.AuthorizerConfig{Enabled: true, SuperUsers: []string{"User:admin"}},
		OAuth: minikafka.OAuthConfig{Issuer: minikafka.OAuthIssuerConfig{Enable: true,
			Clients: map[string]minikafka.OAuthIssuerClient{"svc": {Secret: "svc-secret", Claims: map[string]any{"team": "payments"}}}}},
	}
	cfg.SASL.PlainUsers = users
	cfg.SASL.FailedAuthenticationDelay = -1
	for n, p := range users {
		cfg.SASL.ScramUsers = append(cfg.SASL.ScramUsers, minikafka.ScramUser{Name: n, Password: p})
	}
	b, addr := minikafka.Start(t, minikafka.WithConfig(cfg))
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return &securedBroker{
		b: b, addr: addr,
		admin: write("admin.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"+
			"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"admin-secret\";\n"),
		alice: write("alice.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"+
			"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"alice-secret\";\n"),
		oauth: write("svc.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n"+
			"sasl.oauthbearer.token.endpoint.url=http://"+b.AdminAddr()+minikafka.IssuerTokenPath+"\n"+
			"sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\n"+
			"sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"svc\" clientSecret=\"svc-secret\";\n"),
	}
}

// as runs a CLI command against the broker with a command config.
func (s *securedBroker) as(t *testing.T, config string, args ...string) (string, error) {
	t.Helper()
	return run(t, append(args, "--bootstrap-server="+s.addr, "--command-config="+config, "--timeout=10s")...)
}

// login sends one request as a SASL user and reports the error.
func (s *securedBroker) login(t *testing.T, mech sasl.Mechanism) error {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.addr), kgo.SASL(mech), kgo.RequestRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = cl.SeedBrokers()[0].Request(ctx, kmsg.NewPtrApiVersionsRequest())
	return err
}

func aclKeys(t *testing.T, out string) []string {
	t.Helper()
	var keys []string
	for _, r := range jsonRows(t, out) {
		keys = append(keys, strings.Join([]string{r["principal"], r["permission"], r["operation"], r["resource_type"], r["pattern"], r["resource"]}, " "))
	}
	sort.Strings(keys)
	return keys
}

func TestSecuredACLCommands(t *testing.T) {
	s := startSecured(t)
	if out, err := s.as(t, s.admin, "topic", "create", "orders", "-p", "2"); err != nil || !strings.Contains(out, "created") {
		t.Fatalf("admin creates orders: %v\n%s", err, out)
	}
	if out, err := s.as(t, s.alice, "topic", "create", "alice-topic"); err == nil || !strings.Contains(out, "TOPIC_AUTHORIZATION_FAILED") {
		t.Fatalf("alice without ACLs should be refused: %v\n%s", err, out)
	}
	adds := [][]string{
		{"--allow-principal", "User:alice", "--operation", "Write", "--operation", "Describe", "--topic", "orders"},
		{"--deny-principal", "User:alice", "--operation", "Read", "--topic", "orders", "--resource-pattern-type", "prefixed"},
		{"--allow-principal", "Group:ops", "--operation", "Read", "--group", "analytics-", "--resource-pattern-type", "prefixed"},
		{"--allow-principal", "User:alice", "--operation", "Describe", "--cluster"},
		{"--allow-principal", "User:alice", "--operation", "Write", "--transactional-id", "txn-1", "--allow-host", "127.0.0.1"},
	}
	for _, a := range adds {
		if out, err := s.as(t, s.admin, append([]string{"acl", "add"}, a...)...); err != nil || !strings.Contains(out, "created") {
			t.Fatalf("acl add %v: %v\n%s", a, err, out)
		}
	}
	out, err := s.as(t, s.admin, "acl", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Group:ops ALLOW READ GROUP PREFIXED analytics-",
		"User:alice ALLOW DESCRIBE CLUSTER LITERAL kafka-cluster",
		"User:alice ALLOW DESCRIBE TOPIC LITERAL orders",
		"User:alice ALLOW WRITE TOPIC LITERAL orders",
		"User:alice ALLOW WRITE TRANSACTIONAL_ID LITERAL txn-1",
		"User:alice DENY READ TOPIC PREFIXED orders",
	}
	if got := aclKeys(t, out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("acl list:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	table, err := s.as(t, s.admin, "acl", "list", "--topic", "orders")
	if err != nil || !strings.HasPrefix(table, "PRINCIPAL") || strings.Count(table, "\n") != 4 || !strings.Contains(table, "User:alice  DENY        READ") {
		t.Fatalf("acl list --topic orders (table):\n%s\n%v", table, err)
	}
	if out, err := s.as(t, s.admin, "acl", "list", "--principal", "Group:ops", "-o", "json"); err != nil || len(jsonRows(t, out)) != 1 {
		t.Fatalf("acl list --principal Group:ops: %v\n%s", err, out)
	}
	// The ACLs are in effect: alice may now produce to orders.
	if out, err := s.as(t, s.alice, "topic", "describe", "orders", "-o", "json"); err != nil || len(jsonRows(t, out)) != 2 {
		t.Fatalf("alice describes orders: %v\n%s", err, out)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.addr), kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()), kgo.DisableIdempotentWrite())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("alice produces to orders: %v", err)
	}
	cl.Close()

	removes := [][]string{
		{"--deny-principal", "User:alice", "--topic", "orders", "--resource-pattern-type", "prefixed"},
		{"--group", "analytics-", "--resource-pattern-type", "prefixed"},
		{"--cluster"},
		{"--transactional-id", "txn-1"},
	}
	for _, r := range removes {
		out, err := s.as(t, s.admin, append([]string{"acl", "remove", "-o", "json"}, r...)...)
		if err != nil || len(jsonRows(t, out)) != 1 {
			t.Fatalf("acl remove %v: %v\n%s", r, err, out)
		}
	}
	out, err = s.as(t, s.admin, "acl", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if got := aclKeys(t, out); strings.Join(got, "\n") != strings.Join(want[2:4], "\n") {
		t.Fatalf("after removal:\n%s", strings.Join(got, "\n"))
	}
	if _, err := s.as(t, s.admin, "acl", "remove"); err == nil {
		t.Fatal("acl remove without a filter removed everything")
	}
	if out, err := s.as(t, s.alice, "acl", "list"); err == nil || !strings.Contains(out+err.Error(), "CLUSTER_AUTHORIZATION_FAILED") {
		t.Fatalf("alice lists ACLs: %v\n%s", err, out)
	}
}

func TestSecuredUserCommands(t *testing.T) {
	s := startSecured(t)
	carol256 := scram.Auth{User: "carol", Pass: "carol-secret"}.AsSha256Mechanism()
	carol512 := scram.Auth{User: "carol", Pass: "carol-secret"}.AsSha512Mechanism()
	if err := s.login(t, carol256); err == nil {
		t.Fatal("carol logs in before she exists")
	}
	if out, err := s.as(t, s.admin, "user", "add", "carol", "--password", "carol-secret"); err != nil || strings.Count(out, "saved") != 2 {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	out, err := s.as(t, s.admin, "user", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	mechs := map[string][]string{}
	for _, r := range jsonRows(t, out) {
		mechs[r["user"]] = append(mechs[r["user"]], r["mechanism"]+"/"+r["iterations"])
	}
	if got := strings.Join(mechs["carol"], ","); got != "SCRAM-SHA-256/8192,SCRAM-SHA-512/8192" || len(mechs["admin"]) != 2 {
		t.Fatalf("user list: %v", mechs)
	}
	if table, err := s.as(t, s.admin, "user", "list", "carol"); err != nil || !strings.HasPrefix(table, "USER") || strings.Count(table, "carol") != 2 {
		t.Fatalf("user list carol (table):\n%s\n%v", table, err)
	}
	for _, m := range []sasl.Mechanism{carol256, carol512} {
		if err := s.login(t, m); err != nil {
			t.Fatalf("carol logs in with %s: %v", m.Name(), err)
		}
	}
	if out, err := s.as(t, s.alice, "user", "add", "mallory", "--password", "x"); err == nil || !strings.Contains(err.Error(), "CLUSTER_AUTHORIZATION_FAILED") {
		t.Fatalf("alice adds a user: %v\n%s", err, out)
	}
	if out, err := s.as(t, s.admin, "user", "remove", "carol", "--mechanism", "SCRAM-SHA-256"); err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("user remove: %v\n%s", err, out)
	}
	if err := s.login(t, carol256); err == nil {
		t.Fatal("carol still logs in with SCRAM-SHA-256")
	}
	if err := s.login(t, carol512); err != nil {
		t.Fatalf("carol's SCRAM-SHA-512 credential went too: %v", err)
	}
	if out, err := s.as(t, s.admin, "user", "remove", "carol", "--mechanism", "SCRAM-SHA-256"); err == nil || !strings.Contains(out, "RESOURCE_NOT_FOUND") {
		t.Fatalf("removing a missing credential: %v\n%s", err, out)
	}
}

func TestSecuredTopicCommandsOverOAuth(t *testing.T) {
	s := startSecured(t)
	if out, err := s.as(t, s.admin, "topic", "create", "payments", "-p", "3", "--config", "retention.ms=60000"); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	if out, err := s.as(t, s.admin, "acl", "add", "--allow-principal", "User:svc", "--operation", "Describe", "--topic", "pay", "--resource-pattern-type", "prefixed"); err != nil {
		t.Fatalf("acl add: %v\n%s", err, out)
	}
	// svc authenticates with OAUTHBEARER, its token fetched from the
	// development issuer by the CLI (client credentials in --command-config).
	out, err := s.as(t, s.oauth, "topic", "list", "-o", "json")
	if err != nil {
		t.Fatalf("topic list as svc: %v\n%s", err, out)
	}
	if rows := jsonRows(t, out); len(rows) != 1 || rows[0]["topic"] != "payments" || rows[0]["partitions"] != "3" {
		t.Fatalf("topic list as svc: %v", rows)
	}
	if out, err := s.as(t, s.oauth, "topic", "delete", "payments"); err == nil || !strings.Contains(out, "TOPIC_AUTHORIZATION_FAILED") {
		t.Fatalf("svc deletes payments: %v\n%s", err, out)
	}
	if out, err := s.as(t, s.admin, "topic", "delete", "payments"); err != nil || !strings.Contains(out, "deleted") {
		t.Fatalf("admin deletes payments: %v\n%s", err, out)
	}
}

func TestTokenCommand(t *testing.T) {
	s := startSecured(t)
	endpoint := "--token-endpoint=http://" + s.b.AdminAddr() + minikafka.IssuerTokenPath
	out, err := run(t, "token", endpoint, "--client-id", "svc", "--client-secret", "svc-secret")
	if err != nil {
		t.Fatalf("token: %v\n%s", err, out)
	}
	tok := strings.TrimSpace(out)
	if strings.Count(tok, ".") != 2 || strings.Contains(tok, "\n") {
		t.Fatalf("raw output is not one JWT: %q", out)
	}
	// The printed token logs in.
	if err := s.login(t, oauthMech(tok)); err != nil {
		t.Fatalf("logging in with the printed token: %v", err)
	}
	out, err = run(t, "token", endpoint, "--client-id", "svc", "--client-secret", "svc-secret", "--scope", "kafka", "-o", "json")
	if err != nil {
		t.Fatalf("token -o json: %v\n%s", err, out)
	}
	var resp struct {
		AccessToken string         `json:"access_token"`
		TokenType   string         `json:"token_type"`
		ExpiresIn   int64          `json:"expires_in"`
		Scope       string         `json:"scope"`
		Claims      map[string]any `json:"claims"`
	}
	if err := jsonUnmarshal(out, &resp); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if resp.TokenType != "Bearer" || resp.ExpiresIn != 3600 || resp.Scope != "kafka" || resp.Claims["sub"] != "svc" || resp.Claims["team"] != "payments" || resp.Claims["aud"] != "kafka" {
		t.Fatalf("token -o json: %+v", resp)
	}
	// From a Kafka client properties file.
	out, err = run(t, "token", "--command-config", s.oauth)
	if err != nil || strings.Count(strings.TrimSpace(out), ".") != 2 {
		t.Fatalf("token --command-config: %v\n%s", err, out)
	}
	if out, err := run(t, "token", endpoint, "--client-id", "svc", "--client-secret", "wrong"); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("wrong secret: %v\n%s", err, out)
	}
	if _, err := run(t, "token", endpoint); err == nil || !strings.Contains(err.Error(), "--client-id") {
		t.Fatalf("missing client id: %v", err)
	}
}

func oauthMech(tok string) sasl.Mechanism {
	return oauth.Oauth(func(context.Context) (oauth.Auth, error) { return oauth.Auth{Token: tok}, nil })
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
