package principal

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func mustRules(t testing.TB, s string) *MappingRules {
	t.Helper()
	mr, err := ParseMappingRules(s)
	if err != nil {
		t.Fatal(err)
	}
	return mr
}

func fixtureCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile("testdata/dn/" + name + ".pem")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultBuilderPrincipals(t *testing.T) {
	alice := fixtureCert(t, "typical") // CN=alice,OU=Kafka,O=Example Inc,L=San Francisco,ST=California,C=US
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	b := &DefaultBuilder{
		SSLRules: RulesByListener{
			Default:   mustRules(t, "DEFAULT"),
			Listeners: map[string]*MappingRules{"MTLS": mustRules(t, `RULE:^CN=([^,]+),OU=Kafka.*$/$1/U`)},
		},
		SASLRules: RulesByListener{
			Default:   mustRules(t, `RULE:^(.*)@EXAMPLE\.COM$/$1/L,DEFAULT`),
			Listeners: map[string]*MappingRules{"STRICTNAMES": mustRules(t, `RULE:^([a-z]+)$/$1/`)},
		},
	}
	tests := map[string]struct {
		ac      AuthContext
		want    Principal
		wantErr string
	}{
		"plaintext":             {ac: AuthContext{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT"}, want: Anonymous},
		"ssl with cert":         {ac: AuthContext{Listener: "SSL", SecurityProtocol: "SSL", PeerCertificates: []*x509.Certificate{alice}}, want: User("CN=alice,OU=Kafka,O=Example Inc,L=San Francisco,ST=California,C=US")},
		"ssl listener rules":    {ac: AuthContext{Listener: "MTLS", SecurityProtocol: "SSL", PeerCertificates: []*x509.Certificate{alice}}, want: User("ALICE")},
		"ssl without cert":      {ac: AuthContext{Listener: "SSL", SecurityProtocol: "SSL"}, want: Anonymous},
		"sasl plain":            {ac: AuthContext{Listener: "SASL_PLAINTEXT", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", AuthorizationID: "bob"}, want: User("bob")},
		"sasl realm stripped":   {ac: AuthContext{Listener: "SASL_PLAINTEXT", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "SCRAM-SHA-256", AuthorizationID: "Carol@EXAMPLE.COM"}, want: User("carol")},
		"sasl other realm kept": {ac: AuthContext{Listener: "SASL_PLAINTEXT", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", AuthorizationID: "carol@OTHER.ORG"}, want: User("carol@OTHER.ORG")},
		"sasl_ssl ignores cert": {ac: AuthContext{Listener: "SASL_SSL", SecurityProtocol: "SASL_SSL", Mechanism: "PLAIN", AuthorizationID: "dave", PeerCertificates: []*x509.Certificate{alice}}, want: User("dave")},
		"ssl no matching rule": {
			ac:      AuthContext{Listener: "MTLS", SecurityProtocol: "SSL", PeerCertificates: []*x509.Certificate{fixtureCert(t, "cn-only")}},
			wantErr: "Failed to map name for 'CN=bob' based on SSL principal mapping rules.",
		},
		"sasl no matching rule": {
			ac:      AuthContext{Listener: "STRICTNAMES", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", AuthorizationID: "Eve"},
			wantErr: "Failed to map name for 'Eve' based on SASL name rules.",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ac := tc.ac
			ac.CredentialExpiry = expiry
			s, err := b.Build(context.Background(), &ac)
			if tc.wantErr != "" {
				var be *BuildError
				if !errors.As(err, &be) || be.Message != tc.wantErr || !errors.Is(err, ErrNoMatchingRule) {
					t.Fatalf("Build error = %v, want BuildError %q wrapping ErrNoMatchingRule", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.User != tc.want || len(s.Groups) != 0 || s.GroupsDegraded || s.Context != &ac || !s.Expiry.Equal(expiry) {
				t.Fatalf("subject = %+v, want user %v", s, tc.want)
			}
		})
	}
}

// countingResolver returns fixed groups per user and counts calls.
type countingResolver struct {
	mu     sync.Mutex
	calls  map[string]int
	groups map[string][]string
	err    error
}

func (r *countingResolver) Groups(_ context.Context, user Principal, _ *AuthContext) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[user.Name]++
	if r.err != nil {
		return nil, r.err
	}
	return r.groups[user.Name], nil
}

func (r *countingResolver) count(user string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[user]
}

func groupNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("g%02d", i)
	}
	return out
}

func TestDefaultBuilderGroups(t *testing.T) {
	r := &countingResolver{groups: map[string][]string{
		"alice":     {"kafka-producers", "", "engineering"},
		"many":      groupNames(5),
		"lots":      groupNames(40),
		"ANONYMOUS": {"should-not-be-asked"},
	}}
	b := &DefaultBuilder{Groups: r}
	sasl := func(user string) *AuthContext {
		return &AuthContext{Listener: "SASL", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", AuthorizationID: user}
	}
	s, err := b.Build(context.Background(), sasl("alice"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Principal{Group("kafka-producers"), Group("engineering")}
	if fmt.Sprint(s.Groups) != fmt.Sprint(want) || cap(s.Groups) != 2 {
		t.Fatalf("groups = %v (cap %d), want %v", s.Groups, cap(s.Groups), want)
	}
	for _, n := range []string{"many", "lots"} {
		s, err := b.Build(context.Background(), sasl(n))
		if err != nil || len(s.Groups) != len(r.groups[n]) || s.Groups[len(s.Groups)-1] != Group(r.groups[n][len(r.groups[n])-1]) {
			t.Fatalf("%s: %v, %v", n, s, err)
		}
	}
	// Unauthenticated connections are not looked up.
	s, err = b.Build(context.Background(), &AuthContext{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT"})
	if err != nil || s.User != Anonymous || len(s.Groups) != 0 || r.count("ANONYMOUS") != 0 {
		t.Fatalf("anonymous: %+v, %v, %d lookups", s, err, r.count("ANONYMOUS"))
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFailurePolicy(t *testing.T) {
	down := errors.New("ldap ldap://127.0.0.1:1: connection refused")
	for _, policy := range []FailurePolicy{Lenient, Strict} {
		t.Run(policy.String(), func(t *testing.T) {
			var logs syncBuffer
			reg := prometheus.NewRegistry()
			m, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			b := &DefaultBuilder{
				Groups:  &countingResolver{err: down},
				Policy:  policy,
				Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
				Metrics: m,
			}
			ac := &AuthContext{Listener: "SASL", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", AuthorizationID: "alice"}
			s, err := b.Build(context.Background(), ac)
			switch policy {
			case Lenient:
				if err != nil || s.User != User("alice") || len(s.Groups) != 0 || !s.GroupsDegraded {
					t.Fatalf("lenient: %+v, %v", s, err)
				}
			case Strict:
				var be *BuildError
				if !errors.As(err, &be) || be.Message != "Authentication failed: the groups of User:alice could not be resolved" || !errors.Is(err, down) {
					t.Fatalf("strict: %v", err)
				}
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "connection refused") ||
				!strings.Contains(lines[0], "policy "+policy.String()) {
				t.Fatalf("want one warning with the reason, got %q", logs.String())
			}
			if v := testutil.ToFloat64(m.failures.WithLabelValues("SASL", policy.String())); v != 1 {
				t.Fatalf("failure metric = %v", v)
			}
		})
	}
}

func TestParseFailurePolicy(t *testing.T) {
	for in, want := range map[string]FailurePolicy{"": Lenient, "lenient": Lenient, "STRICT": Strict} {
		if got, err := ParseFailurePolicy(in); err != nil || got != want {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
	if _, err := ParseFailurePolicy("fail-open"); err == nil {
		t.Error("no error for an unknown policy")
	}
}

func TestNewMetricsTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Fatal("registering twice on one registry: no error")
	}
	// Another broker's registry is independent.
	if _, err := NewMetrics(prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
}
