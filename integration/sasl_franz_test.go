package integration

import (
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/minikafka/minikafka"
)

func franzMechanism(mech, user, pass string) sasl.Mechanism {
	switch mech {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism()
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	}
	return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
}

// TestSASLFranzGo logs in with kgo over PLAIN and SCRAM, produces and
// consumes a record, and checks that a wrong password is reported as
// SASL_AUTHENTICATION_FAILED with Kafka's message.
func TestSASLFranzGo(t *testing.T) {
	_, addr, _ := startSASL(t)
	for _, mech := range saslMechanisms {
		t.Run(mech, func(t *testing.T) {
			ctx := testContext(t)
			topic := "franz-" + mech
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(franzMechanism(mech, "alice", "alice-secret")),
				kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation(), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			want := fmt.Sprintf("hello over %s", mech)
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(want)}).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			fs := cl.PollFetches(ctx)
			if err := fs.Err(); err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if recs := fs.Records(); len(recs) != 1 || string(recs[0].Value) != want {
				t.Fatalf("consumed %v", recs)
			}

			bad, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(franzMechanism(mech, "alice", "wrong")))
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			err = bad.Ping(ctx)
			if !errors.Is(err, kerr.SaslAuthenticationFailed) {
				t.Fatalf("wrong password: got %v, want SASL_AUTHENTICATION_FAILED", err)
			}
			mustContain(t, "wrong password", err.Error(), wrongPasswordMessage(mech))
		})
	}
}

// TestSASLFranzGoUnknownUserAndMechanism covers the other failures kgo can
// produce: an unknown user (SCRAM fails at client-first with the generic
// text) and a mechanism the listener does not enable.
func TestSASLFranzGoUnknownUserAndMechanism(t *testing.T) {
	_, addr, logs := startSASL(t, func(c *minikafka.Config) { c.Listeners[0].Mechanisms = []string{"SCRAM-SHA-512"} })
	ctx := testContext(t)
	cl, _ := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(franzMechanism("SCRAM-SHA-512", "mallory", "x")))
	defer cl.Close()
	err := cl.Ping(ctx)
	if !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("unknown user: %v", err)
	}
	mustContain(t, "unknown user", err.Error(), wrongPasswordMessage("SCRAM-SHA-512"))
	mustContain(t, "broker log", logs.String(), `Authentication failed: Invalid user credentials (user \"mallory\" has no SCRAM-SHA-512 credential)`)

	cl2, _ := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(franzMechanism("PLAIN", "alice", "alice-secret")))
	defer cl2.Close()
	err = cl2.Ping(ctx)
	if !errors.Is(err, kerr.UnsupportedSaslMechanism) {
		t.Fatalf("disabled mechanism: %v", err)
	}
}
