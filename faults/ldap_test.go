package faults

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal/ldap"
	"github.com/minikafka/minikafka/principal/ldap/ldaptest"
)

const ldapTopic = "ldap-faults"

// clock is the broker's injected clock: the test moves it past the group
// cache TTL so that the next login asks the directory again.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const groupCacheTTL = time.Minute

// ldapBroker is an in-process broker whose PLAIN users get their groups
// from the directory behind r. Only Group:kafka-producers (alice and bob)
// may write ldapTopic, so a produce shows whether a login got its groups.
type ldapBroker struct {
	addr  string
	logs  *logBuffer
	reg   *prometheus.Registry
	clock *clock
}

func startLDAPBroker(t *testing.T, r *relay, policy string, timeout time.Duration) *ldapBroker {
	t.Helper()
	lb := &ldapBroker{logs: &logBuffer{}, reg: prometheus.NewRegistry(), clock: &clock{t: time.Now()}}
	users := map[string]string{"admin": "admin-secret"}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		users[u] = u + "-secret"
	}
	cfg := minikafka.Config{
		Listeners: []minikafka.Listener{{Name: "SASL_PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN"}}},
		SASL:      minikafka.SASLConfig{PlainUsers: users, FailedAuthenticationDelay: -1},
		Authorizer: minikafka.AuthorizerConfig{Enabled: true, SuperUsers: []string{"User:admin"}, ACLs: []authorizer.ACL{{
			ResourceType: authorizer.ResourceTopic, ResourceName: ldapTopic, PatternType: authorizer.PatternLiteral,
			Principal: "Group:kafka-producers", Host: "*", Operation: authorizer.OpWrite, Permission: authorizer.PermAllow,
		}}},
		Principals: minikafka.PrincipalConfig{Groups: minikafka.GroupsConfig{
			Resolvers:     []string{minikafka.ResolverLDAP},
			FailurePolicy: policy,
			CacheTTL:      groupCacheTTL,
			LDAP: ldap.Config{
				URL: "ldap://" + r.addr(), BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
				UserBaseDN: ldaptest.PeopleDN, Nested: true, Timeout: timeout, PoolSize: 4,
			},
		}},
		Logger:   lb.logs.logger(),
		Registry: lb.reg,
		Now:      lb.clock.now,
	}
	b, err := minikafka.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.Close()
		if t.Failed() {
			t.Logf("--- broker log ---\n%s", lb.logs.String())
		}
	})
	lb.addr = b.Addr("SASL_PLAINTEXT")
	adm := kadm.NewClient(client(t, lb.addr, plainMech("admin", "admin-secret")))
	if _, err := adm.CreateTopic(testContext(t), 1, 1, nil, ldapTopic); err != nil {
		t.Fatal(err)
	}
	return lb
}

// user returns a producer client of a directory user (one connection per
// broker use; the client is closed at cleanup).
func (lb *ldapBroker) user(t *testing.T, name string) *kgo.Client {
	return client(t, lb.addr, plainMech(name, name+"-secret"), kgo.DefaultProduceTopic(ldapTopic),
		kgo.RequestRetries(0), kgo.RecordRetries(1))
}

func (lb *ldapBroker) failures(t *testing.T, policy string) float64 {
	return counterValue(t, lb.reg, "minikafka_group_resolution_failures_total", map[string]string{"policy": policy})
}

// TestLDAPDown stops slapd under a running broker, then starts it again.
// lenient: a new login succeeds without groups (so the group ACL does not
// let bob write), with one WARN line and one count of
// minikafka_group_resolution_failures_total{policy="lenient"} per lookup
// that failed. strict: the login fails with SASL_AUTHENTICATION_FAILED
// "Authentication failed: the groups of User:bob could not be resolved".
// Either way a session opened before keeps its groups and its traffic,
// and once slapd is back the same login gets its groups, without a
// restart.
func TestLDAPDown(t *testing.T) {
	for _, policy := range []string{"lenient", "strict"} {
		t.Run(policy, func(t *testing.T) {
			slapd := ldaptest.Start(t)
			r := newRelay(t, strings.TrimPrefix(slapd.URL, "ldap://"))
			lb := startLDAPBroker(t, r, policy, 2*time.Second)
			ctx := testContext(t)
			alice := lb.user(t, "alice")
			if err := produceOne(ctx, alice, ldapTopic, "alice before"); err != nil {
				t.Fatalf("alice (kafka-producers) cannot produce: %v", err)
			}

			slapd.Stop()
			lb.clock.add(2 * groupCacheTTL)
			mark := lb.logs.mark()
			bob := lb.user(t, "bob")
			err := produceOne(ctx, bob, ldapTopic, "bob during")
			switch policy {
			case "lenient":
				if !errors.Is(err, kerr.TopicAuthorizationFailed) {
					t.Errorf("bob's produce with the directory down: %v, want TOPIC_AUTHORIZATION_FAILED (logged in without groups)", err)
				}
				warns := lb.logs.linesSince(mark, "level=WARN", "group resolution failed: authenticated without groups (failure policy lenient)", "principal=User:bob")
				if len(warns) == 0 {
					t.Fatal("no warning for bob's failed group lookup")
				}
				if n := lb.failures(t, "lenient"); n != float64(len(warns)) {
					t.Errorf("minikafka_group_resolution_failures_total{policy=lenient} = %v, want one per warning (%d)", n, len(warns))
				}
			case "strict":
				if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), "Authentication failed: the groups of User:bob could not be resolved") {
					t.Errorf("bob's produce with the directory down: %v, want SASL_AUTHENTICATION_FAILED naming the groups", err)
				}
				lb.logs.waitLogSince(t, mark, "level=WARN", "group resolution failed: authentication refused (failure policy strict)", "principal=User:bob")
				if lb.failures(t, "strict") < 1 {
					t.Error("minikafka_group_resolution_failures_total{policy=strict} not counted")
				}
			}
			if err := produceOne(ctx, alice, ldapTopic, "alice during"); err != nil {
				t.Errorf("alice's open session lost its groups or its traffic: %v", err)
			}

			slapd.Restart(t)
			lb.clock.add(2 * groupCacheTTL)
			waitFor(t, "bob's login with groups once slapd is back", func() bool {
				bob := lb.user(t, "bob")
				return produceOne(ctx, bob, ldapTopic, "bob after") == nil
			})
		})
	}
}

// TestLDAPSlow stalls the directory with a TCP relay (connections and
// requests accepted, never answered). With a 300 ms LDAP timeout the
// failure policy applies as when it is down, and the lookups recover
// once the relay resumes. "not stalled": with a long timeout, while one
// login waits for the stalled directory, an open session keeps producing
// and a user whose groups are cached logs in; the waiting login completes
// once the directory answers. No timing is assumed: the stalled lookup
// can only finish when the test resumes the relay (or after the 30 s
// bound on building a principal), and the other operations could not
// finish at all if they waited for it.
func TestLDAPSlow(t *testing.T) {
	for _, policy := range []string{"lenient", "strict"} {
		t.Run(policy, func(t *testing.T) {
			slapd := ldaptest.Start(t)
			r := newRelay(t, strings.TrimPrefix(slapd.URL, "ldap://"))
			lb := startLDAPBroker(t, r, policy, 300*time.Millisecond)
			ctx := testContext(t)
			r.stall()
			lb.clock.add(2 * groupCacheTTL)
			mark := lb.logs.mark()
			err := produceOne(ctx, lb.user(t, "bob"), ldapTopic, "bob stalled")
			if policy == "lenient" && !errors.Is(err, kerr.TopicAuthorizationFailed) {
				t.Errorf("lenient: bob's produce with the directory stalled: %v, want TOPIC_AUTHORIZATION_FAILED", err)
			}
			if policy == "strict" && !errors.Is(err, kerr.SaslAuthenticationFailed) {
				t.Errorf("strict: bob's produce with the directory stalled: %v, want SASL_AUTHENTICATION_FAILED", err)
			}
			line := lb.logs.waitLogSince(t, mark, "level=WARN", "group resolution failed", "failure policy "+policy, "principal=User:bob")
			if !strings.Contains(line, "timed out") {
				t.Errorf("the warning does not say the directory timed out: %s", line)
			}
			r.resume()
			lb.clock.add(2 * groupCacheTTL)
			waitFor(t, "bob's login with groups once the directory answers", func() bool {
				return produceOne(ctx, lb.user(t, "bob"), ldapTopic, "bob after") == nil
			})
		})
	}

	t.Run("not stalled", func(t *testing.T) {
		slapd := ldaptest.Start(t)
		r := newRelay(t, strings.TrimPrefix(slapd.URL, "ldap://"))
		lb := startLDAPBroker(t, r, "strict", time.Minute)
		ctx := testContext(t)
		alice := lb.user(t, "alice")
		if err := produceOne(ctx, alice, ldapTopic, "alice before"); err != nil {
			t.Fatal(err)
		}
		if err := login(ctx, lb.addr, plainMech("carol", "carol-secret")); err != nil {
			t.Fatal(err) // carol's groups are cached from now on
		}
		r.stall()
		stalled := make(chan error, 1)
		go func() {
			stalled <- login(ctx, lb.addr, plainMech("dave", "dave-secret"))
		}()
		waitFor(t, "dave's group lookup to reach the stalled directory", func() bool { return r.held.Load() > 0 })

		if err := produceOne(ctx, alice, ldapTopic, "alice while stalled"); err != nil {
			t.Errorf("an open session cannot produce while a lookup is stalled: %v", err)
		}
		if err := login(ctx, lb.addr, plainMech("carol", "carol-secret")); err != nil {
			t.Errorf("a user with cached groups cannot log in while a lookup is stalled: %v", err)
		}
		select {
		case err := <-stalled:
			t.Fatalf("dave's login finished while the directory was stalled: %v", err)
		default:
		}
		r.resume()
		select {
		case err := <-stalled:
			if err != nil {
				t.Errorf("dave's login failed once the directory answered: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("dave's login never finished")
		}
	})
}
