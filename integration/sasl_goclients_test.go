package integration

import (
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafka "github.com/segmentio/kafka-go"
	ksasl "github.com/segmentio/kafka-go/sasl"
	kplain "github.com/segmentio/kafka-go/sasl/plain"
	kscram "github.com/segmentio/kafka-go/sasl/scram"
	"github.com/xdg-go/scram"
)

// xdgSCRAM adapts xdg-go/scram's client to sarama.SCRAMClient, as sarama's
// documentation suggests.
type xdgSCRAM struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (x *xdgSCRAM) Begin(user, pass, authzID string) error {
	cl, err := x.hash.NewClient(user, pass, authzID)
	if err != nil {
		return err
	}
	x.conv = cl.NewConversation()
	return nil
}

func (x *xdgSCRAM) Step(challenge string) (string, error) { return x.conv.Step(challenge) }
func (x *xdgSCRAM) Done() bool                            { return x.conv.Done() }

func saramaConfig(mech, user, pass string) *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "minikafka-sarama"
	c.Net.DialTimeout = 10 * time.Second
	c.Net.SASL.Enable = true
	c.Net.SASL.User, c.Net.SASL.Password = user, pass
	c.Producer.Return.Successes = true
	switch mech {
	case "PLAIN":
		c.Net.SASL.Mechanism = sarama.SASLTypePlaintext
	case "SCRAM-SHA-256":
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &xdgSCRAM{hash: scram.SHA256} }
	case "SCRAM-SHA-512":
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &xdgSCRAM{hash: scram.SHA512} }
	}
	return c
}

// TestSASLSarama logs in with sarama (SaslHandshake v1, SaslAuthenticate),
// produces a record, and checks the wrong-password error carries Kafka's
// message.
func TestSASLSarama(t *testing.T) {
	_, addr, _ := startSASL(t)
	createTopics(t, addr, "sarama-PLAIN", "sarama-SCRAM-SHA-256", "sarama-SCRAM-SHA-512")
	for _, mech := range saslMechanisms {
		t.Run(mech, func(t *testing.T) {
			p, err := sarama.NewSyncProducer([]string{addr}, saramaConfig(mech, "bob", "bob-secret"))
			if err != nil {
				t.Fatalf("producer: %v", err)
			}
			defer p.Close()
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "sarama-" + mech, Value: sarama.StringEncoder("hi")}); err != nil {
				t.Fatalf("send: %v", err)
			}
			badCfg := saramaConfig(mech, "bob", "wrong")
			badCfg.Metadata.Retry.Max = 0
			_, err = sarama.NewClient([]string{addr}, badCfg)
			if !errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
				t.Fatalf("wrong password: %v, want ErrSASLAuthenticationFailed", err)
			}
			mustContain(t, "wrong password", err.Error(), wrongPasswordMessage(mech))
		})
	}
}

func kafkaGoMechanism(t *testing.T, mech, user, pass string) ksasl.Mechanism {
	t.Helper()
	switch mech {
	case "PLAIN":
		return kplain.Mechanism{Username: user, Password: pass}
	case "SCRAM-SHA-256":
		m, err := kscram.Mechanism(kscram.SHA256, user, pass)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m, err := kscram.Mechanism(kscram.SHA512, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSASLKafkaGo logs in with segmentio/kafka-go's Transport, writes a
// message, and checks the wrong-password error.
func TestSASLKafkaGo(t *testing.T) {
	_, addr, _ := startSASL(t)
	createTopics(t, addr, "kafkago-PLAIN", "kafkago-SCRAM-SHA-256", "kafkago-SCRAM-SHA-512")
	for _, mech := range saslMechanisms {
		t.Run(mech, func(t *testing.T) {
			ctx := testContext(t)
			w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "kafkago-" + mech, Transport: &kafka.Transport{SASL: kafkaGoMechanism(t, mech, "alice", "alice-secret")}, MaxAttempts: 5}
			defer w.Close()
			if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("hi")}); err != nil {
				t.Fatalf("write: %v", err)
			}
			bad := &kafka.Client{Addr: kafka.TCP(addr), Transport: &kafka.Transport{SASL: kafkaGoMechanism(t, mech, "alice", "wrong")}}
			_, err := bad.Metadata(ctx, &kafka.MetadataRequest{})
			if !errors.Is(err, kafka.SASLAuthenticationFailed) {
				t.Fatalf("wrong password: %v, want SASLAuthenticationFailed", err)
			}
			mustContain(t, "wrong password", err.Error(), wrongPasswordMessage(mech))
		})
	}
}
