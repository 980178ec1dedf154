package minikafka_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/principal/ldap"
	"github.com/minikafka/minikafka/principal/ldap/ldaptest"
)

// TestClassicScenarioGroupSources runs the classic group-ACL scenario with
// the groups a real source resolves at login, not a test principal
// builder: slapd (nested groups) behind SASL/PLAIN, and the groups claim
// of tokens from the development issuer behind SASL/OAUTHBEARER. The
// memberships are those of the test directory (principal/ldap/testdata):
// alice in kafka-producers and engineering, and through engineering in
// platform; bob in kafka-producers; carol in kafka-admins; dave in none.
//
//   - alice writes test through a User: ACL; bob, without one, may not;
//   - alice and bob write test2 through Group:kafka-producers; dave may not;
//   - test3 allows User:alice and Group:kafka-producers but denies
//     Group:platform: the DENY on alice's nested group beats the ALLOW on
//     her user, and bob still writes;
//   - super.users=Group:kafka-admins makes carol a super user: she creates
//     the topics and the ACLs and writes test3 without any ACL.
//
// The audit log names the user, the groups the source resolved, and the
// rule that decided.
func TestClassicScenarioGroupSources(t *testing.T) {
	sources := map[string]struct {
		configure func(t *testing.T, c *minikafka.Config)
		login     func(b *minikafka.Broker, user string) kgo.Opt
	}{
		"ldap": {
			configure: func(t *testing.T, c *minikafka.Config) {
				dir := ldaptest.Start(t)
				c.Listeners[0].Mechanisms = []string{"PLAIN"}
				c.SASL.PlainUsers = map[string]string{"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}
				c.Principals.Groups = minikafka.GroupsConfig{
					Resolvers: []string{minikafka.ResolverLDAP},
					LDAP: ldap.Config{URL: dir.URL, BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
						Mode: ldap.ModeGroups, UserBaseDN: ldaptest.PeopleDN, GroupBaseDN: ldaptest.GroupsDN, Nested: true},
				}
			},
			login: func(_ *minikafka.Broker, user string) kgo.Opt {
				return kgo.SASL(plain.Auth{User: user, Pass: user + "-pw"}.AsMechanism())
			},
		},
		"jwt-claim": {
			configure: func(_ *testing.T, c *minikafka.Config) {
				c.Listeners[0].Mechanisms = []string{"OAUTHBEARER"}
				c.OAuth.Issuer.Enable = true
				c.Principals.Groups = minikafka.GroupsConfig{Resolvers: []string{minikafka.ResolverJWT}}
			},
			login: func(b *minikafka.Broker, user string) kgo.Opt {
				groups := map[string][]string{
					"alice": {"kafka-producers", "engineering", "platform"},
					"bob":   {"kafka-producers"},
					"carol": {"kafka-admins"},
					"dave":  {},
				}[user]
				return kgo.SASL(oauth.Oauth(func(context.Context) (oauth.Auth, error) {
					tok, err := b.MintToken(user, map[string]any{"groups": groups}, time.Minute)
					return oauth.Auth{Token: tok}, err
				}))
			},
		},
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			audit := &auditRecorder{}
			cfg := minikafka.Config{
				Listeners:   []minikafka.Listener{{Name: "SASL_PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT"}},
				AuditLogger: slog.New(audit),
				Authorizer:  minikafka.AuthorizerConfig{Enabled: true, SuperUsers: []string{"Group:kafka-admins"}},
			}
			src.configure(t, &cfg)
			b, err := minikafka.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			addr := b.BootstrapAddr()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			as := func(user string, opts ...kgo.Opt) *kgo.Client {
				return client(t, addr, append([]kgo.Opt{src.login(b, user)}, opts...)...)
			}
			write := func(user, topic string) error {
				cl := as(user, kgo.DefaultProduceTopic(topic), kgo.DisableIdempotentWrite())
				return cl.ProduceSync(ctx, &kgo.Record{Value: []byte("from " + user)}).FirstErr()
			}

			adm := kadm.NewClient(as("carol"))
			res, err := adm.CreateTopics(ctx, 1, 1, nil, "test", "test2", "test3")
			if err == nil {
				err = res.Error()
			}
			if err != nil {
				t.Fatalf("carol (Group:kafka-admins, a super user) creating topics: %v", err)
			}
			mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test").Allow("User:alice").Operations(kadm.OpWrite))
			mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test2", "test3").Allow("Group:kafka-producers").Operations(kadm.OpWrite))
			mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test3").Allow("User:alice").Operations(kadm.OpWrite))
			mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test3").Deny("Group:platform").Operations(kadm.OpWrite))

			for _, c := range []struct {
				user, topic string
				allowed     bool
			}{
				{"alice", "test", true}, {"bob", "test", false},
				{"alice", "test2", true}, {"bob", "test2", true}, {"dave", "test2", false},
				{"alice", "test3", false}, {"bob", "test3", true}, {"carol", "test3", true},
			} {
				err := write(c.user, c.topic)
				if c.allowed && err != nil {
					t.Errorf("%s writing %s: %v, want success", c.user, c.topic, err)
				}
				if !c.allowed && !errors.Is(err, kerr.TopicAuthorizationFailed) {
					t.Errorf("%s writing %s: %v, want TOPIC_AUTHORIZATION_FAILED", c.user, c.topic, err)
				}
			}

			deny := "Principal = User:alice is Denied operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:test3 for request = Produce with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=test3, patternType=LITERAL, principal=Group:platform, host=*, operation=WRITE, permissionType=DENY))"
			rec, ok := audit.find(deny)
			if !ok {
				t.Fatalf("audit line not found:\n%s\nin:\n%s", deny, audit.dump())
			}
			if rec.level != slog.LevelInfo || rec.attrs["matched_principal"] != "Group:platform" ||
				fmt.Sprint(rec.attrs["groups"]) != "[Group:kafka-producers Group:engineering Group:platform]" {
				t.Errorf("alice's denial: level %v, attributes %v; want INFO, Group:platform, her three groups", rec.level, rec.attrs)
			}
			allow := "Principal = User:bob is Allowed operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:test2 for request = Produce with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=test2, patternType=LITERAL, principal=Group:kafka-producers, host=*, operation=WRITE, permissionType=ALLOW))"
			if rec, ok := audit.find(allow); !ok || rec.level != slog.LevelDebug {
				t.Errorf("bob's allow through Group:kafka-producers missing or not at DEBUG (%v):\n%s", rec.level, audit.dump())
			}
			super := "Principal = User:carol is Allowed operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:test3 for request = Produce with resourceRefCount = 1 based on rule SuperUser"
			if rec, ok := audit.find(super); !ok || rec.attrs["matched_principal"] != "Group:kafka-admins" {
				t.Errorf("carol's super-user line missing or without Group:kafka-admins:\n%s", audit.dump())
			}
		})
	}
}
