package integration

// segmentio/kafka-go v0.4.51: Writer (acknowledged offsets from its
// Completion callback), a Reader per partition, and Readers with a GroupID
// that resume from the offsets they committed.

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// kafkaGoSASL is the kafka-go SASL mechanism for c (nil without SASL).
func kafkaGoSASL(t *testing.T, c *Cluster) sasl.Mechanism {
	t.Helper()
	if !c.SASL() {
		return nil
	}
	return kafkaGoMechanism(t, c.Mechanism, c.User, c.Password)
}

func kafkaGoDialer(t *testing.T, c *Cluster) *kafka.Dialer {
	return &kafka.Dialer{
		ClientID:      "minikafka-it-kafka-go",
		Timeout:       10 * time.Second,
		DualStack:     true,
		TLS:           c.TLSConfig(t),
		SASLMechanism: kafkaGoSASL(t, c),
	}
}

// produceKafkaGo writes recs with a kafka.Writer and records, from its
// Completion callback, where each one was acknowledged.
func produceKafkaGo(t *testing.T, c *Cluster, topic string, recs []record) {
	t.Helper()
	var (
		mu    sync.Mutex
		acked = map[string]kafka.Message{}
	)
	w := &kafka.Writer{
		Addr:         kafka.TCP(c.Brokers()...),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    50,
		BatchTimeout: 10 * time.Millisecond,
		Transport: &kafka.Transport{
			ClientID: "minikafka-it-kafka-go",
			TLS:      c.TLSConfig(t),
			SASL:     kafkaGoSASL(t, c),
		},
		Completion: func(msgs []kafka.Message, err error) {
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				acked[string(m.Key)] = m
			}
		},
	}
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = kafka.Message{
			Key:     []byte(r.Key),
			Value:   []byte(r.Value),
			Headers: []kafka.Header{{Key: "seq", Value: []byte(r.Seq)}},
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		var we kafka.WriteErrors
		if errors.As(err, &we) {
			t.Fatalf("WriteMessages: %d of %d failed: %v", we.Count(), len(msgs), err)
		}
		t.Fatalf("WriteMessages: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("closing the kafka-go writer: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range recs {
		m, ok := acked[recs[i].Key]
		if !ok {
			t.Fatalf("record %q written without a Completion", recs[i].Key)
		}
		recs[i].Partition, recs[i].Offset = int32(m.Partition), m.Offset
	}
}

func fromKafkaGo(m kafka.Message) record {
	out := record{Key: string(m.Key), Value: string(m.Value), Partition: int32(m.Partition), Offset: m.Offset}
	for _, h := range m.Headers {
		if h.Key == "seq" {
			out.Seq = string(h.Value)
		}
	}
	return out
}

// readKafkaGo reads n messages from readers (concurrently) and closes them.
func readKafkaGo(t *testing.T, n int, readers ...*kafka.Reader) []record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	out := make(chan kafka.Message)
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := r.ReadMessage(ctx) // with a GroupID, commits before returning
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("ReadMessage: %v", err)
					}
					return
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var got []record
	for len(got) < n && ctx.Err() == nil {
		select {
		case m := <-out:
			got = append(got, fromKafkaGo(m))
		case <-ctx.Done():
		}
	}
	cancel()
	wg.Wait()
	for _, r := range readers {
		if err := r.Close(); err != nil {
			t.Errorf("closing a kafka-go reader: %v", err)
		}
	}
	if len(got) < n {
		t.Fatalf("read %d of %d records before the deadline", len(got), n)
	}
	return got
}

func TestKafkaGoWriterReader(t *testing.T) { roundTripKafkaGo(t, testCluster(t)) }

// roundTripKafkaGo writes with a kafka.Writer and reads with a Reader per
// partition.
func roundTripKafkaGo(t *testing.T, c *Cluster) {
	topic := createTopic(t, c, 3)
	recs := makeRecords(topic, 200)
	produceKafkaGo(t, c, topic, recs)
	var readers []*kafka.Reader
	for p := range 3 {
		readers = append(readers, kafka.NewReader(kafka.ReaderConfig{
			Brokers:   c.Brokers(),
			Topic:     topic,
			Partition: p,
			Dialer:    kafkaGoDialer(t, c),
			MaxWait:   500 * time.Millisecond,
		}))
	}
	checkRecords(t, recs, readKafkaGo(t, len(recs), readers...))
}

func TestKafkaGoReaderGroup(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	group := "it-kafka-go-" + randHex(4)
	reader := func() *kafka.Reader {
		return kafka.NewReader(kafka.ReaderConfig{
			Brokers:           c.Brokers(),
			GroupID:           group,
			Topic:             topic,
			Dialer:            kafkaGoDialer(t, c),
			StartOffset:       kafka.FirstOffset,
			MaxWait:           500 * time.Millisecond,
			HeartbeatInterval: time.Second,
		})
	}
	first := makeRecords(topic, 120)
	produceKafkaGo(t, c, topic, first)
	checkRecords(t, first, readKafkaGo(t, len(first), reader()))

	// A new reader of the group starts after what the first committed.
	second := moreRecords(topic, len(first), 60)
	produceKafkaGo(t, c, topic, second)
	checkRecords(t, second, readKafkaGo(t, len(second), reader()))
}
