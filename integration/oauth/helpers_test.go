// Package oauth_test runs real Kafka clients (franz-go, sarama, kafka-go,
// kcat, confluent-kafka-go) and a real OpenID provider (oidc-provider on
// Node.js) against minikafka's OAUTHBEARER over loopback sockets.
package oauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"

	"github.com/minikafka/minikafka"
)

// logBuf collects the broker log (text handler, debug level).
type logBuf struct {
	mu sync.Mutex
	sb strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.String()
}

// lines returns the log lines containing every one of subs.
func (l *logBuf) lines(subs ...string) []string {
	var out []string
next:
	for _, line := range strings.Split(l.String(), "\n") {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		out = append(out, line)
	}
	return out
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

// issuerKey is one RSA signing key shared by the tests' issuers.
func issuerKey(t *testing.T) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	})
	return key
}

const listenerName = "SASL_PLAINTEXT"

// startBroker starts a broker with one SASL_PLAINTEXT listener enabling
// OAUTHBEARER, an admin listener and, unless mut turns it off, the
// development issuer with clients kafka-client-a and kafka-client-b.
func startBroker(t *testing.T, mut func(*minikafka.Config)) (*minikafka.Broker, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	cfg := minikafka.Config{
		Listeners: []minikafka.Listener{{Name: listenerName, Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER"}}},
		AdminAddr: "127.0.0.1:0",
		Logger:    slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OAuth: minikafka.OAuthConfig{Issuer: minikafka.OAuthIssuerConfig{
			Enable: true,
			Key:    issuerKey(t),
			Clients: map[string]minikafka.OAuthIssuerClient{
				"kafka-client-a": {Secret: "secret-a", Scopes: []string{"kafka"}, Claims: map[string]any{"groups": []any{"kafka-producers", "team-a"}}},
				"kafka-client-b": {Secret: "secret-b", Claims: map[string]any{"groups": []any{"kafka-consumers"}}},
			},
		}},
	}
	if mut != nil {
		mut(&cfg)
	}
	b, err := minikafka.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, lb
}

// fetchToken does a client-credentials grant with client_secret_basic
// (or client_secret_post when post is true).
func fetchToken(ctx context.Context, tokenURL, id, secret, scope string, post bool) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	if post {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !post {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Desc        string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("token response (%s): %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("token endpoint: %s %s: %s", resp.Status, body.Error, body.Desc)
	}
	return body.AccessToken, nil
}

func tokenURL(b *minikafka.Broker) string { return "http://" + b.AdminAddr() + "/oauth/token" }

// franzClient is a franz-go client authenticating with tokens from fn.
func franzClient(t *testing.T, addr string, fn func(context.Context) (string, error), opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	mech := oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
		tok, err := fn(ctx)
		return oauth.Auth{Token: tok, Extensions: map[string]string{"traceId": "franz"}}, err
	})
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.SASL(mech), kgo.AllowAutoTopicCreation()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produceOne(ctx context.Context, cl *kgo.Client, topic, value string) error {
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(value)}).FirstErr()
}

// counter sums a counter of the broker registry over series matching labels.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				ok := false
				for _, lp := range m.GetLabel() {
					ok = ok || lp.GetName() == k && lp.GetValue() == v
				}
				if !ok {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
