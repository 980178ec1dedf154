package oauth_test

import (
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// TestConfluentOIDC: librdkafka 2.11.1 (bundled by confluent-kafka-go)
// fetches its own tokens from the development issuer's token endpoint
// (sasl.oauthbearer.method=oidc) and produces.
func TestConfluentOIDC(t *testing.T) {
	b, lb := startBroker(t, nil)
	p, err := ckafka.NewProducer(&ckafka.ConfigMap{
		"bootstrap.servers":                   b.Addr(listenerName),
		"security.protocol":                   "SASL_PLAINTEXT",
		"sasl.mechanisms":                     "OAUTHBEARER",
		"sasl.oauthbearer.method":             "oidc",
		"sasl.oauthbearer.token.endpoint.url": tokenURL(b),
		"sasl.oauthbearer.client.id":          "kafka-client-a",
		"sasl.oauthbearer.client.secret":      "secret-a",
		"sasl.oauthbearer.scope":              "kafka",
		"sasl.oauthbearer.extensions":         "traceId=confluent",
		"message.timeout.ms":                  20000,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	go func() {
		for e := range p.Events() {
			if ev, ok := e.(ckafka.Error); ok {
				t.Logf("librdkafka: %v", ev)
			}
		}
	}()
	topic := "confluent"
	delivery := make(chan ckafka.Event, 1)
	if err := p.Produce(&ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Value: []byte("v")}, delivery); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-delivery:
		m := e.(*ckafka.Message)
		if m.TopicPartition.Error != nil {
			t.Fatalf("delivery: %v", m.TopicPartition.Error)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery report")
	}
	if len(lb.lines("msg=authenticated", "principal=User:kafka-client-a")) == 0 {
		t.Fatalf("no authentication of kafka-client-a:\n%s", lb.String())
	}
}
