package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/minikafka/minikafka"
)

// Clients holding 3-second tokens keep producing across several expiries by
// re-authenticating (KIP-368); the broker counts every re-authentication.
// A client that does not re-authenticate is disconnected at expiry.

const (
	reauthTTL    = 3 * time.Second
	reauthPeriod = 9 * time.Second
)

func mintFor(b *minikafka.Broker, sub string) func() (string, error) {
	return func() (string, error) { return b.MintToken(sub, nil, reauthTTL) }
}

// produceFor calls send every 250 ms for reauthPeriod; every send must work.
func produceFor(t *testing.T, send func(i int) error) int {
	t.Helper()
	n := 0
	for end := time.Now().Add(reauthPeriod); time.Now().Before(end); n++ {
		if err := send(n); err != nil {
			t.Fatalf("send %d: %v", n, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	return n
}

func assertReauths(t *testing.T, b *minikafka.Broker, lb *logBuf, sub string) {
	t.Helper()
	ok := counter(t, b.Registry(), "minikafka_reauthentications_total", map[string]string{"mechanism": "OAUTHBEARER", "result": "success"})
	failed := counter(t, b.Registry(), "minikafka_reauthentications_total", map[string]string{"result": "failure"})
	if ok < 2 || failed != 0 {
		t.Fatalf("re-authentications: %v successful, %v failed; want at least 2 and none failed", ok, failed)
	}
	if len(lb.lines("msg=authenticated", "principal=User:"+sub, "reauth=true")) < 2 {
		t.Fatalf("re-authentications not logged:\n%s", lb.String())
	}
}

func TestReauthFranzGo(t *testing.T) {
	t.Parallel()
	b, lb := startBroker(t, nil)
	tok := mintFor(b, "franz-user")
	cl := franzClient(t, b.Addr(listenerName), func(context.Context) (string, error) { return tok() })
	ctx := ctxTimeout(t, 30*time.Second)
	produceFor(t, func(int) error { return produceOne(ctx, cl, "reauth-franz", "v") })
	assertReauths(t, b, lb, "franz-user")
}

func TestReauthSarama(t *testing.T) {
	t.Parallel()
	b, lb := startBroker(t, nil)
	p, err := sarama.NewSyncProducer([]string{b.Addr(listenerName)}, saramaConfig(mintFor(b, "sarama-user")))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	produceFor(t, func(int) error {
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "reauth-sarama", Value: sarama.StringEncoder("v")})
		return err
	})
	assertReauths(t, b, lb, "sarama-user")
}

func TestNoReauthKafkaGoDisconnectedAtExpiry(t *testing.T) {
	t.Parallel()
	b, _ := startBroker(t, nil)
	ctx := ctxTimeout(t, 30*time.Second)
	addr := b.Addr(listenerName)
	// Create the topic first (franz-go auto-creates it).
	if err := produceOne(ctx, franzClient(t, addr, func(context.Context) (string, error) { return b.MintToken("setup", nil, time.Minute) }), "reauth-kafkago", "setup"); err != nil {
		t.Fatal(err)
	}
	d := &kafkago.Dialer{Timeout: 10 * time.Second, SASLMechanism: kafkaGoOAuth{token: func(context.Context) (string, error) { return mintFor(b, "kafkago-user")() }}}
	conn, err := d.DialLeader(ctx, "tcp", addr, "reauth-kafkago", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	written := 0
	var werr error
	for end := time.Now().Add(reauthPeriod); time.Now().Before(end); written++ {
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, werr = conn.WriteMessages(kafkago.Message{Value: []byte("v")}); werr != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if werr == nil || written == 0 {
		t.Fatalf("kafka-go wrote %d messages on one connection without being disconnected (err %v)", written, werr)
	}
	if n := counter(t, b.Registry(), "minikafka_expired_connections_killed_total", nil); n < 1 {
		t.Fatalf("expired connections killed = %v, want >= 1", n)
	}
	if n := counter(t, b.Registry(), "minikafka_reauthentications_total", nil); n != 0 {
		t.Fatalf("kafka-go re-authenticated %v times", n)
	}
}
