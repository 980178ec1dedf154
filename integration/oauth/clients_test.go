package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafkago "github.com/segmentio/kafka-go"
	kgsasl "github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/minikafka/minikafka"
)

func TestFranzGoWithIssuerTokenEndpoint(t *testing.T) {
	b, lb := startBroker(t, nil)
	ctx := ctxTimeout(t, 30*time.Second)
	addr := b.Addr(listenerName)
	p := franzClient(t, addr, func(ctx context.Context) (string, error) {
		return fetchToken(ctx, tokenURL(b), "kafka-client-a", "secret-a", "kafka", false)
	}, kgo.DefaultProduceTopic("franz"))
	for i := 0; i < 10; i++ {
		if err := produceOne(ctx, p, "franz", "v"); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	c := franzClient(t, addr, func(ctx context.Context) (string, error) {
		return fetchToken(ctx, tokenURL(b), "kafka-client-b", "secret-b", "", true) // client_secret_post
	}, kgo.ConsumeTopics("franz"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	for got < 10 {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of 10", got)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		got += fs.NumRecords()
	}
	for _, who := range []string{"User:kafka-client-a", "User:kafka-client-b"} {
		if len(lb.lines("msg=authenticated", "mechanism=OAUTHBEARER", "principal="+who)) == 0 {
			t.Fatalf("no authentication of %s in the log:\n%s", who, lb.String())
		}
	}
}

func TestFranzGoRejectionMessages(t *testing.T) {
	for name, tc := range map[string]struct {
		failureReason bool
		want          *regexp.Regexp
	}{
		"kafka default":  {false, regexp.MustCompile(`\{"status":"invalid_token"\}`)},
		"failure reason": {true, regexp.MustCompile(`Token validation failed: Could not validate the access token: .*The JWT is no longer valid.* \(ErrId: [0-9a-f]{8}\)`)},
	} {
		t.Run(name, func(t *testing.T) {
			b, lb := startBroker(t, func(c *minikafka.Config) { c.OAuth.FailureReason = tc.failureReason })
			expired, err := b.MintToken("alice", nil, -2*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			cl := franzClient(t, b.Addr(listenerName), func(context.Context) (string, error) { return expired, nil })
			err = cl.Ping(ctxTimeout(t, 20*time.Second))
			if err == nil || !tc.want.MatchString(err.Error()) {
				t.Fatalf("client error %v, want %v", err, tc.want)
			}
			if len(lb.lines("level=WARN", "OAUTHBEARER: token validation failed", "The JWT is no longer valid")) == 0 {
				t.Fatalf("reason not logged:\n%s", lb.String())
			}
		})
	}
}

type saramaTokens func() (string, error)

func (f saramaTokens) Token() (*sarama.AccessToken, error) {
	tok, err := f()
	return &sarama.AccessToken{Token: tok, Extensions: map[string]string{"traceId": "sarama"}}, err
}

func saramaConfig(fn func() (string, error)) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Net.SASL.Enable = true
	cfg.Net.SASL.Mechanism = sarama.SASLTypeOAuth
	cfg.Net.SASL.TokenProvider = saramaTokens(fn)
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	return cfg
}

func TestSaramaTokenProvider(t *testing.T) {
	b, lb := startBroker(t, nil)
	p, err := sarama.NewSyncProducer([]string{b.Addr(listenerName)}, saramaConfig(func() (string, error) {
		return fetchToken(context.Background(), tokenURL(b), "kafka-client-a", "secret-a", "", false)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 5; i++ {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "sarama", Value: sarama.StringEncoder("v")}); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if len(lb.lines("msg=authenticated", "principal=User:kafka-client-a")) == 0 {
		t.Fatalf("no authentication in the log:\n%s", lb.String())
	}
}

// kafkaGoOAuth is the custom OAUTHBEARER mechanism kafka-go needs (it has
// none built in), as in clients.md §7.
type kafkaGoOAuth struct {
	token func(context.Context) (string, error)
}

func (kafkaGoOAuth) Name() string { return "OAUTHBEARER" }
func (m kafkaGoOAuth) Start(ctx context.Context) (kgsasl.StateMachine, []byte, error) {
	t, err := m.token(ctx)
	return m, []byte("n,,\x01auth=Bearer " + t + "\x01\x01"), err
}
func (kafkaGoOAuth) Next(context.Context, []byte) (bool, []byte, error) { return true, nil, nil }

func TestKafkaGoCustomMechanism(t *testing.T) {
	b, lb := startBroker(t, nil)
	ctx := ctxTimeout(t, 30*time.Second)
	w := &kafkago.Writer{
		Addr:                   kafkago.TCP(b.Addr(listenerName)),
		Topic:                  "kafkago",
		AllowAutoTopicCreation: true,
		Transport: &kafkago.Transport{SASL: kafkaGoOAuth{token: func(ctx context.Context) (string, error) {
			return fetchToken(ctx, tokenURL(b), "kafka-client-b", "secret-b", "", false)
		}}},
	}
	defer w.Close()
	var err error
	for ctx.Err() == nil { // the first write may race the topic's auto-creation
		if err = w.WriteMessages(ctx, kafkago.Message{Value: []byte("v")}); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	if len(lb.lines("msg=authenticated", "principal=User:kafka-client-b")) == 0 {
		t.Fatalf("no authentication in the log:\n%s", lb.String())
	}
}

func kcat(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is required (scripts/test.sh installs it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func kcatUnsecuredArgs(addr string) []string {
	return []string{"-b", addr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=OAUTHBEARER",
		"-X", "enable.sasl.oauthbearer.unsecure.jwt=true",
		"-X", "sasl.oauthbearer.config=principal=alice scope=kafka lifeSeconds=600 extension_traceId=123"}
}

func TestKcatUnsecuredJWT(t *testing.T) {
	b, lb := startBroker(t, func(c *minikafka.Config) {
		c.OAuth.Issuer.Enable = false // no JWKS, no issuer: Kafka's unsecured validator
	})
	if len(lb.lines("level=WARN", "UNSECURED validator")) != 1 {
		t.Fatalf("no startup warning about the unsecured validator:\n%s", lb.String())
	}
	addr := b.Addr(listenerName)
	if _, stderr, err := kcat(t, "hello from kcat\n", append(kcatUnsecuredArgs(addr), "-P", "-t", "kcat")...); err != nil {
		t.Fatalf("kcat produce: %v\n%s", err, stderr)
	}
	out, stderr, err := kcat(t, "", append(kcatUnsecuredArgs(addr), "-C", "-t", "kcat", "-o", "beginning", "-e")...)
	if err != nil || !strings.Contains(out, "hello from kcat") {
		t.Fatalf("kcat consume: %v %q\n%s", err, out, stderr)
	}
	if n := len(lb.lines("msg=authenticated", "principal=User:alice")); n < 2 {
		t.Fatalf("%d authentications of alice, want one per kcat run at least:\n%s", n, lb.String())
	}
}

func TestKcatUnsecuredJWTRejectedBySecureValidator(t *testing.T) {
	b, lb := startBroker(t, nil) // issuer on: the secure validator
	_, stderr, err := kcat(t, "", append(kcatUnsecuredArgs(b.Addr(listenerName)), "-L", "-m", "5")...)
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("kcat -L succeeded with an unsigned token: %v", err)
	}
	if !strings.Contains(stderr, `{"status":"invalid_token"}`) {
		t.Fatalf("kcat stderr does not show the invalid_token status:\n%s", stderr)
	}
	if len(lb.lines("level=WARN", "JWS algorithm 'none' is not allowed")) == 0 {
		t.Fatalf("reason not logged:\n%s", lb.String())
	}
}
