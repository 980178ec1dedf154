package minikafka

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

const exampleFixtures = "docs/fixtures.example.yaml"

func TestFixturesErrorsNameFileLine(t *testing.T) {
	tests := map[string]struct {
		yaml string
		want string
	}{
		"unknown section":         {"users: []\nlisteners: []\n", "f.yaml:2: unknown key \"listeners\""},
		"unknown user key":        {"users:\n  - name: a\n    password: p\n    pasword: x\n", "f.yaml:4: user: unknown key \"pasword\""},
		"user without password":   {"users:\n  - name: a\n", "f.yaml:2: password is required"},
		"duplicate user":          {"users:\n  - {name: a, password: p}\n  - {name: a, password: q}\n", "f.yaml:3: user \"a\" is already defined at line 2"},
		"bad mechanism":           {"users:\n  - name: a\n    password: p\n    mechanisms: [GSSAPI]\n", "f.yaml:4: user a: mechanism \"GSSAPI\""},
		"bad iterations":          {"users:\n  - name: a\n    password: p\n    scram_iterations: 100\n", "f.yaml:4: user a: scram_iterations must be between 4096 and 16384"},
		"iterations not a number": {"users:\n  - name: a\n    password: p\n    scram_iterations: many\n", "f.yaml:4: cannot unmarshal"},
		"bad topic name":          {"topics:\n  - name: a/b\n", "f.yaml:2: topic a/b: Topic name a/b is illegal"},
		"bad topic config":        {"topics:\n  - name: t\n    configs:\n      retention.ms: soon\n", "f.yaml:2: topic t: "},
		"unknown topic config":    {"topics:\n  - name: t\n    configs:\n      colour: blue\n", "f.yaml:2: topic t: Unknown topic config name: colour"},
		"zero partitions":         {"topics:\n  - name: t\n    partitions: 0\n", "f.yaml:3: topic t: partitions must be positive"},
		"acl two resources":       {"acls:\n  - principal: User:a\n    operations: [read]\n    topic: t\n    group: g\n", "f.yaml:2: acl: name exactly one resource"},
		"acl bad operation":       {"acls:\n  - principal: User:a\n    operations: [reed]\n    topic: t\n", "f.yaml:3: acl: unknown operation \"reed\""},
		"acl bad principal":       {"acls:\n  - principal: alice\n    operations: [read]\n    topic: t\n", "f.yaml:2: acl: expected a string in format principalType:principalName"},
		"bad super user second":   {"super_users: [User:admin, alice]\n", "f.yaml:1: super_users: expected a string in format principalType:principalName"},
		"super user one string":   {"super_users: alice\n", "f.yaml:1: super_users: expected a string in format principalType:principalName"},
		"super users empty":       {"super_users:\n", "f.yaml:1: super_users: "},
		"acl empty name":          {"acls:\n  - principal: User:a\n    operations: [read]\n    topic: \"\"\n", "f.yaml:2: acl: invalid ACL: Invalid empty resource name"},
		"acl bad permission":      {"acls:\n  - principal: User:a\n    permission: maybe\n    operations: [read]\n    topic: t\n", "f.yaml:3: acl: permission \"maybe\""},
		"acl bad pattern":         {"acls:\n  - principal: User:a\n    operations: [read]\n    topic: t\n    pattern: match\n", "f.yaml:5: acl: pattern \"match\""},
		"reserved claim":          {"oauth_clients:\n  - id: c\n    secret: s\n    claims: {sub: root}\n", "f.yaml:4: oauth client c: claim \"sub\" is set by the issuer"},
		"bad super user":          {"super_users: [admin]\n", "f.yaml:1: super_users:"},
		"not a list":              {"users: alice\n", "f.yaml:1: expected a list"},
		"syntax error":            {"users: [\n", "f.yaml: yaml:"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFixtures([]byte(tc.yaml), "f.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if f, err := ParseFixtures(nil, "empty.yaml"); err != nil || len(f.Users)+len(f.ACLs) != 0 {
		t.Fatalf("an empty file: %v %+v", err, f)
	}
}

// TestFixturesApplyDoesNotShareConfig checks that applying fixtures leaves
// the caller's maps alone (one Config may start several brokers).
func TestFixturesApplyDoesNotShareConfig(t *testing.T) {
	plainUsers := map[string]string{"carol": "c"}
	listenerUsers := map[string]string{"dave": "d"}
	cfg := Config{
		Listeners: []Listener{{Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN"}, PlainUsers: listenerUsers}},
		SASL:      SASLConfig{PlainUsers: plainUsers},
		Fixtures:  &Fixtures{Users: []FixtureUser{{Name: "erin", Password: "e", Mechanisms: []string{"PLAIN"}}}},
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(plainUsers) != 1 || len(listenerUsers) != 1 {
		t.Fatalf("the caller's maps changed: %v %v", plainUsers, listenerUsers)
	}
	if b.cfg.Listeners[0].PlainUsers["erin"] != "e" || b.cfg.SASL.PlainUsers["erin"] != "e" {
		t.Fatalf("fixture user not applied: %+v", b.cfg.Listeners[0].PlainUsers)
	}
}

// startExample starts a broker from the committed example fixtures file,
// with every mechanism on one SASL listener and the admin listener for
// the token endpoint.
func startExample(t *testing.T, fx *Fixtures) *Broker {
	t.Helper()
	b, err := New(Config{
		Listeners: []Listener{{Name: "SASL", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT",
			Mechanisms: []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"}}},
		AdminAddr: "127.0.0.1:0",
		OAuth:     OAuthConfig{Issuer: OAuthIssuerConfig{Key: testIssuerKey(t)}},
		SASL:      SASLConfig{FailedAuthenticationDelay: -1},
		Fixtures:  fx,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestFixturesExampleInEffect loads docs/fixtures.example.yaml and checks
// over the wire, with franz-go, that its users, OAuth client, groups,
// topics and ACLs are what the broker enforces.
func TestFixturesExampleInEffect(t *testing.T) {
	fx, err := LoadFixtures(exampleFixtures)
	if err != nil {
		t.Fatal(err)
	}
	b := startExample(t, fx)
	addr := b.Addr("SASL")
	admin := scram.Auth{User: "admin", Pass: "admin-secret"}.AsSha256Mechanism()
	alice := plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()
	bob := scram.Auth{User: "bob", Pass: "bob-secret"}.AsSha512Mechanism()
	tok := tokenFromEndpoint(t, b.AdminAddr(), "billing-service", "billing-secret")
	billing := oauth.Oauth(func(context.Context) (oauth.Auth, error) { return oauth.Auth{Token: tok}, nil })

	t.Run("logins", func(t *testing.T) {
		for name, mech := range map[string]sasl.Mechanism{
			"admin SCRAM-SHA-256":   admin,
			"admin SCRAM-SHA-512":   scram.Auth{User: "admin", Pass: "admin-secret"}.AsSha512Mechanism(),
			"admin PLAIN":           plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism(),
			"alice PLAIN":           alice,
			"bob SCRAM-SHA-512":     bob,
			"billing-service token": billing,
		} {
			if _, err := kgoRequest(t, addr, mech, kmsg.NewPtrApiVersionsRequest()); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		for name, mech := range map[string]sasl.Mechanism{
			"bob PLAIN (not his mechanism)": plain.Auth{User: "bob", Pass: "bob-secret"}.AsMechanism(),
			"bob SCRAM-SHA-256":             scram.Auth{User: "bob", Pass: "bob-secret"}.AsSha256Mechanism(),
			"alice wrong password":          scram.Auth{User: "alice", Pass: "nope"}.AsSha256Mechanism(),
		} {
			if _, err := kgoRequest(t, addr, mech, kmsg.NewPtrApiVersionsRequest()); err == nil || !strings.Contains(err.Error(), "SASL_AUTHENTICATION_FAILED") {
				t.Errorf("%s: %v, want SASL_AUTHENTICATION_FAILED", name, err)
			}
		}
	})

	t.Run("topics", func(t *testing.T) {
		req := kmsg.NewPtrMetadataRequest()
		for _, name := range []string{"orders", "payments"} {
			mt := kmsg.NewMetadataRequestTopic()
			mt.Topic = kmsg.StringPtr(name)
			req.Topics = append(req.Topics, mt)
		}
		resp, err := kgoRequest(t, addr, admin, req)
		if err != nil {
			t.Fatal(err)
		}
		parts := map[string]int{}
		for _, mt := range resp.(*kmsg.MetadataResponse).Topics {
			parts[*mt.Topic] = len(mt.Partitions)
		}
		if parts["orders"] != 3 || parts["payments"] != 1 {
			t.Fatalf("partitions: %v", parts)
		}
		dc := kmsg.NewPtrDescribeConfigsRequest()
		for _, name := range []string{"orders", "payments"} {
			r := kmsg.NewDescribeConfigsRequestResource()
			r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, name
			r.ConfigNames = []string{"retention.ms", "cleanup.policy"}
			dc.Resources = append(dc.Resources, r)
		}
		dresp, err := kgoRequest(t, addr, admin, dc)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range dresp.(*kmsg.DescribeConfigsResponse).Resources {
			for _, c := range r.Configs {
				got[r.ResourceName+"."+c.Name] = deref(c.Value)
			}
		}
		if got["orders.retention.ms"] != "86400000" || got["payments.cleanup.policy"] != "compact" || got["orders.cleanup.policy"] != "delete" {
			t.Fatalf("configs: %v", got)
		}
	})

	t.Run("acls", func(t *testing.T) {
		produce := func(mech sasl.Mechanism, topic string) int16 {
			t.Helper()
			resp, err := kgoRequest(t, addr, mech, produceReq(topic, 1))
			if err != nil {
				t.Fatal(err)
			}
			return resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode
		}
		for _, c := range []struct {
			who   string
			mech  sasl.Mechanism
			topic string
			want  int16
		}{
			{"alice (Group:developers)", alice, "orders", 0},
			{"alice (DENY on payments)", alice, "payments", 29},
			{"bob (Group:analysts reads only)", bob, "orders", 29},
			{"billing-service (Group:billing from its token)", billing, "payments", 0},
			{"billing-service", billing, "orders", 29},
			{"admin (super user)", admin, "payments", 0},
		} {
			if got := produce(c.mech, c.topic); got != c.want {
				t.Errorf("%s producing to %s: error %d, want %d", c.who, c.topic, got, c.want)
			}
		}
		desc := kmsg.NewPtrDescribeACLsRequest()
		desc.ResourceType = kmsg.ACLResourceTypeAny
		desc.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
		desc.Operation = kmsg.ACLOperationAny
		desc.PermissionType = kmsg.ACLPermissionTypeAny
		resp, err := kgoRequest(t, addr, admin, desc)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range resp.(*kmsg.DescribeACLsResponse).Resources {
			n += len(r.ACLs)
		}
		if n != len(fx.ACLs) || n != 10 {
			t.Fatalf("DescribeAcls lists %d ACLs, the file has %d (want 10)", n, len(fx.ACLs))
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestFixturesFileProperty starts a broker from a properties file naming
// the fixtures (minikafka.fixtures.file), and checks that a broken
// fixtures file fails with both file:line positions.
func TestFixturesFileProperty(t *testing.T) {
	dir := t.TempDir()
	abs, err := filepath.Abs(exampleFixtures)
	if err != nil {
		t.Fatal(err)
	}
	props := filepath.Join(dir, "server.properties")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(props, "listeners=SASL_PLAINTEXT://127.0.0.1:0\nsasl.enabled.mechanisms=SCRAM-SHA-512\nminikafka.fixtures.file="+abs+"\n")
	cfg, warnings, err := LoadProperties(props)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("LoadProperties: %v %v", err, warnings)
	}
	cfg.Listeners[0].Name = "SASL"
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !cfg.Authorizer.Enabled && !b.cfg.Authorizer.Enabled {
		t.Fatal("the fixtures' ACLs did not turn authorization on")
	}
	resp, err := kgoRequest(t, b.BootstrapAddr(), scram.Auth{User: "bob", Pass: "bob-secret"}.AsSha512Mechanism(), produceReq("orders", 1))
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode; code != 29 {
		t.Fatalf("bob producing to orders: error %d, want 29 (analysts only read)", code)
	}

	bad := filepath.Join(dir, "bad.yaml")
	write(bad, "topics:\n  - name: ok\n  - name: bad topic\n")
	write(props, "listeners=PLAINTEXT://127.0.0.1:0\n# fixtures\nminikafka.fixtures.file="+bad+"\n")
	_, _, err = LoadProperties(props)
	if err == nil || !strings.Contains(err.Error(), props+":3:") || !strings.Contains(err.Error(), bad+":3: topic bad topic") {
		t.Fatalf("broken fixtures: %v", err)
	}
}

// TestFixturesWithFixturesOption embeds the example with Start.
func TestFixturesWithFixturesOption(t *testing.T) {
	fx, err := LoadFixtures(exampleFixtures)
	if err != nil {
		t.Fatal(err)
	}
	fx.Users = append(fx.Users, FixtureUser{Name: "ci", Password: "ci-secret", Mechanisms: []string{"PLAIN"}})
	fx.SuperUsers = append(fx.SuperUsers, "User:ci")
	b, addr := Start(t, WithListener(Listener{Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN"}}), WithFixtures(fx))
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plain.Auth{User: "ci", Pass: "ci-secret"}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "payments", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("ci (super user) producing to payments: %v", err)
	}
	if n, ok := aclCount(b); !ok || n != 10 {
		t.Fatalf("ACLs: %d %v", n, ok)
	}
}
