package integration

// IBM/sarama v1.61.1: SyncProducer and partition consumers at several
// protocol versions (sarama picks request versions from Config.Version),
// and a ConsumerGroup that resumes from the offsets it committed.

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/xdg-go/scram"
)

// saramaConfig returns a sarama config for c at the given Kafka version.
func saramaClusterConfig(t *testing.T, c *Cluster, version sarama.KafkaVersion) *sarama.Config {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = version
	cfg.ClientID = "minikafka-it-sarama"
	if tc := c.TLSConfig(t); tc != nil {
		cfg.Net.TLS.Enable, cfg.Net.TLS.Config = true, tc
	}
	if c.SASL() {
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.User, cfg.Net.SASL.Password = c.User, c.Password
		if !version.IsAtLeast(sarama.V1_0_0_0) {
			// Before Kafka 1.0 (KIP-152): SaslHandshake v0, then raw SASL
			// tokens without SaslAuthenticate framing; sarama sends no
			// ApiVersions first in that mode.
			cfg.Net.SASL.Version = sarama.SASLHandshakeV0
			cfg.ApiVersionsRequest = false
		}
		switch c.Mechanism {
		case "PLAIN":
			cfg.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		case "SCRAM-SHA-256":
			cfg.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &xdgSCRAM{hash: scram.SHA256} }
		case "SCRAM-SHA-512":
			cfg.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &xdgSCRAM{hash: scram.SHA512} }
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("sarama config: %v", err)
	}
	return cfg
}

func toSarama(topic string, r record) *sarama.ProducerMessage {
	return &sarama.ProducerMessage{
		Topic:   topic,
		Key:     sarama.StringEncoder(r.Key),
		Value:   sarama.StringEncoder(r.Value),
		Headers: []sarama.RecordHeader{{Key: []byte("seq"), Value: []byte(r.Seq)}},
	}
}

func fromSarama(m *sarama.ConsumerMessage) record {
	out := record{Key: string(m.Key), Value: string(m.Value), Partition: m.Partition, Offset: m.Offset}
	for _, h := range m.Headers {
		if string(h.Key) == "seq" {
			out.Seq = string(h.Value)
		}
	}
	return out
}

// produceSarama sends recs with a SyncProducer and records where each one
// was acknowledged.
func produceSarama(t *testing.T, cfg *sarama.Config, c *Cluster, topic string, recs []record) {
	t.Helper()
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	prod, err := sarama.NewSyncProducer(c.Brokers(), cfg)
	if err != nil {
		t.Fatalf("sarama.NewSyncProducer: %v", err)
	}
	defer func() {
		if err := prod.Close(); err != nil {
			t.Errorf("closing the sarama producer: %v", err)
		}
	}()
	msgs := make([]*sarama.ProducerMessage, len(recs))
	for i, r := range recs {
		msgs[i] = toSarama(topic, r)
	}
	if err := prod.SendMessages(msgs); err != nil {
		var pe sarama.ProducerErrors
		if errors.As(err, &pe) && len(pe) > 0 {
			t.Fatalf("SendMessages: %d failed, first: %v", len(pe), pe[0].Err)
		}
		t.Fatalf("SendMessages: %v", err)
	}
	for i, m := range msgs {
		recs[i].Partition, recs[i].Offset = m.Partition, m.Offset
	}
}

func TestSaramaSyncProducerConsumer(t *testing.T) { roundTripSarama(t, testCluster(t)) }

// roundTripSarama produces with a SyncProducer and consumes with partition
// consumers, at three protocol versions.
func roundTripSarama(t *testing.T, c *Cluster) {
	versions := map[string]sarama.KafkaVersion{
		"V0_11_0_0":        sarama.V0_11_0_0, // oldest with record batches: Produce v3, Fetch v5
		"default_V2_8_0_0": sarama.DefaultVersion,
		"V4_0_0_0":         sarama.V4_0_0_0,
	}
	for name, version := range versions {
		t.Run(name, func(t *testing.T) {
			topic := createTopic(t, c, 3)
			recs := makeRecords(topic, 200)
			produceSarama(t, saramaClusterConfig(t, c, version), c, topic, recs)

			cons, err := sarama.NewConsumer(c.Brokers(), saramaClusterConfig(t, c, version))
			if err != nil {
				t.Fatalf("sarama.NewConsumer: %v", err)
			}
			defer cons.Close()
			parts, err := cons.Partitions(topic)
			if err != nil || len(parts) != 3 {
				t.Fatalf("Partitions(%s) = %v, %v; want 3 partitions", topic, parts, err)
			}
			msgs := make(chan *sarama.ConsumerMessage)
			var wg sync.WaitGroup
			ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
			defer func() { cancel(); wg.Wait() }()
			for _, p := range parts {
				pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
				if err != nil {
					t.Fatalf("ConsumePartition(%d): %v", p, err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case m, ok := <-pc.Messages():
							if !ok {
								return
							}
							select {
							case msgs <- m:
							case <-ctx.Done():
								return
							}
						case e, ok := <-pc.Errors():
							if ok {
								t.Errorf("partition %d: %v", p, e.Err)
							}
						case <-ctx.Done():
							return
						}
					}
				}()
				defer pc.Close()
			}
			var got []record
			for len(got) < len(recs) {
				select {
				case m := <-msgs:
					got = append(got, fromSarama(m))
				case <-ctx.Done():
					t.Fatalf("consumed %d of %d records before the deadline", len(got), len(recs))
				}
			}
			checkRecords(t, recs, got)
		})
	}
}

// saramaGroupHandler forwards every claimed message and marks it consumed.
type saramaGroupHandler struct{ out chan<- record }

func (saramaGroupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (saramaGroupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h saramaGroupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			select {
			case h.out <- fromSarama(m):
				sess.MarkMessage(m, "")
			case <-sess.Context().Done():
				return nil
			}
		case <-sess.Context().Done():
			return nil
		}
	}
}

// consumeSaramaGroup joins group, reads n records and leaves, committing
// what it marked.
func consumeSaramaGroup(t *testing.T, c *Cluster, group, topic string, n int) []record {
	t.Helper()
	cfg := saramaClusterConfig(t, c, sarama.DefaultVersion)
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Return.Errors = true
	cg, err := sarama.NewConsumerGroup(c.Brokers(), group, cfg)
	if err != nil {
		t.Fatalf("sarama.NewConsumerGroup: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	out := make(chan record)
	done := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, saramaGroupHandler{out: out}); err != nil && ctx.Err() == nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	var got []record
	for len(got) < n {
		select {
		case r := <-out:
			got = append(got, r)
		case err := <-cg.Errors():
			t.Errorf("consumer group: %v", err)
		case err := <-done:
			t.Fatalf("consumer group stopped after %d of %d records: %v", len(got), n, err)
		case <-ctx.Done():
			t.Fatalf("consumed %d of %d records before the deadline", len(got), n)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Consume: %v", err)
	}
	if err := cg.Close(); err != nil { // commits the marked offsets, leaves the group
		t.Errorf("closing the consumer group: %v", err)
	}
	return got
}

func TestSaramaConsumerGroup(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	group := "it-sarama-" + randHex(4)
	first := makeRecords(topic, 120)
	produceSarama(t, saramaClusterConfig(t, c, sarama.DefaultVersion), c, topic, first)
	checkRecords(t, first, consumeSaramaGroup(t, c, group, topic, len(first)))

	// What the group committed is the end of every partition.
	adm := kadm.NewClient(newKgoClient(t, c))
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("OffsetFetch: %v", err)
	}
	for _, r := range first {
		if o, ok := committed.Lookup(topic, r.Partition); !ok || o.At <= r.Offset {
			t.Fatalf("partition %d: committed %+v, want past offset %d", r.Partition, o, r.Offset)
		}
	}

	second := moreRecords(topic, len(first), 60)
	produceSarama(t, saramaClusterConfig(t, c, sarama.DefaultVersion), c, topic, second)
	checkRecords(t, second, consumeSaramaGroup(t, c, group, topic, len(second)))
}
