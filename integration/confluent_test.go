package integration

// confluent-kafka-go v2.11.1 with its bundled librdkafka 2.11.1 (cgo):
// producer with delivery reports, a consumer assigned every partition, and
// a consumer group that resumes from the offsets it committed.

import (
	"context"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// confluentConfig is the client config for c plus extra. librdkafka's log
// goes to a collector that fails the test, once the clients are closed,
// for every warning or error it logged: librdkafka notices protocol
// oddities (a leader it does not know, a malformed field) that it then
// works around silently.
func confluentConfig(t *testing.T, c *Cluster, extra kafka.ConfigMap) *kafka.ConfigMap {
	logs := make(chan kafka.LogEvent, 10000)
	done, stopped := make(chan struct{}), make(chan struct{})
	var events []kafka.LogEvent
	go func() {
		defer close(stopped)
		for {
			select {
			case ev := <-logs:
				events = append(events, ev)
			case <-done:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		<-stopped
		for _, ev := range events {
			if ev.Level <= 4 { // syslog levels: 4 is warning
				t.Errorf("librdkafka logged %s", ev)
			}
		}
	})
	cfg := kafka.ConfigMap{
		"client.id":              "minikafka-it-confluent-go",
		"go.logs.channel.enable": true,
		"go.logs.channel":        logs,
	}
	for k, v := range c.librdkafkaConfig() {
		cfg[k] = v
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return &cfg
}

// produceConfluent produces recs and records, from the delivery reports,
// where each one was acknowledged.
func produceConfluent(t *testing.T, c *Cluster, topic string, recs []record) {
	t.Helper()
	p, err := kafka.NewProducer(confluentConfig(t, c, kafka.ConfigMap{"acks": "all", "linger.ms": 5}))
	if err != nil {
		t.Fatalf("kafka.NewProducer: %v", err)
	}
	defer p.Close()
	reports := make(chan kafka.Event, len(recs))
	for i, r := range recs {
		err := p.Produce(&kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
			Key:            []byte(r.Key),
			Value:          []byte(r.Value),
			Headers:        []kafka.Header{{Key: "seq", Value: []byte(r.Seq)}},
			Opaque:         i,
		}, reports)
		if err != nil {
			t.Fatalf("Produce: %v", err)
		}
	}
	deadline := time.After(clientTimeout)
	for range recs {
		select {
		case ev := <-reports:
			m, ok := ev.(*kafka.Message)
			if !ok {
				t.Fatalf("unexpected delivery event %v", ev)
			}
			if m.TopicPartition.Error != nil {
				t.Fatalf("delivery of %q: %v", m.Key, m.TopicPartition.Error)
			}
			i := m.Opaque.(int)
			recs[i].Partition, recs[i].Offset = m.TopicPartition.Partition, int64(m.TopicPartition.Offset)
		case <-deadline:
			t.Fatalf("delivery reports did not arrive before the deadline")
		}
	}
}

func fromConfluent(m *kafka.Message) record {
	out := record{Key: string(m.Key), Value: string(m.Value), Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset)}
	for _, h := range m.Headers {
		if h.Key == "seq" {
			out.Seq = string(h.Value)
		}
	}
	return out
}

// readConfluent reads n messages from cons.
func readConfluent(t *testing.T, cons *kafka.Consumer, n int) []record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	var got []record
	for len(got) < n {
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(got), n)
		}
		m, err := cons.ReadMessage(200 * time.Millisecond)
		if err != nil {
			if ke, ok := err.(kafka.Error); ok && ke.IsTimeout() {
				continue
			}
			t.Fatalf("ReadMessage: %v", err)
		}
		got = append(got, fromConfluent(m))
	}
	return got
}

func TestConfluentProduceConsume(t *testing.T) { roundTripConfluent(t, testCluster(t)) }

// roundTripConfluent produces with confluent-kafka-go and consumes with an
// assign()-only consumer.
func roundTripConfluent(t *testing.T, c *Cluster) {
	topic := createTopic(t, c, 3)
	recs := makeRecords(topic, 200)
	produceConfluent(t, c, topic, recs)

	// librdkafka wants a group.id, but an assign()-only consumer never
	// joins the group.
	cons, err := kafka.NewConsumer(confluentConfig(t, c, kafka.ConfigMap{
		"group.id":           "it-unused-" + randHex(4),
		"enable.auto.commit": false,
	}))
	if err != nil {
		t.Fatalf("kafka.NewConsumer: %v", err)
	}
	defer cons.Close()
	var tps []kafka.TopicPartition
	for p := range int32(3) {
		tps = append(tps, kafka.TopicPartition{Topic: &topic, Partition: p, Offset: kafka.OffsetBeginning})
	}
	if err := cons.Assign(tps); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	checkRecords(t, recs, readConfluent(t, cons, len(recs)))
}

func TestConfluentConsumerGroup(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	group := "it-confluent-" + randHex(4)
	consume := func(n int) []record {
		cons, err := kafka.NewConsumer(confluentConfig(t, c, kafka.ConfigMap{
			"group.id":           group,
			"auto.offset.reset":  "earliest",
			"enable.auto.commit": false,
		}))
		if err != nil {
			t.Fatalf("kafka.NewConsumer: %v", err)
		}
		if err := cons.Subscribe(topic, nil); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		got := readConfluent(t, cons, n)
		if _, err := cons.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := cons.Close(); err != nil { // leaves the group
			t.Fatalf("closing the consumer: %v", err)
		}
		return got
	}
	first := makeRecords(topic, 120)
	produceConfluent(t, c, topic, first)
	checkRecords(t, first, consume(len(first)))

	second := moreRecords(topic, len(first), 60)
	produceConfluent(t, c, topic, second)
	checkRecords(t, second, consume(len(second)))
}
