package integration

// kafkajs 2.2.4 (Node): producer with its default murmur2 partitioner, and
// a consumer group (kafkajs has no consumer outside a group) that resumes
// from the offsets it committed.

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

const kafkajsScript = "kafkajs_roundtrip.mjs"

// produceKafkaJS produces recs with kafkajs and returns them as
// acknowledged (partition and offset filled in).
func produceKafkaJS(t *testing.T, c *Cluster, topic string, recs []record) []record {
	t.Helper()
	acked := nodeScript(t, c, recs, kafkajsScript, "produce", topic)
	if len(acked) != len(recs) {
		t.Fatalf("kafkajs acknowledged %d of %d records", len(acked), len(recs))
	}
	return acked
}

func TestKafkaJSProduce(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	recs := produceKafkaJS(t, c, topic, makeRecords(topic, 200))
	checkRecords(t, recs, consumeKgo(t, c, topic, len(recs), kgo.ReadUncommitted()))
}

// roundTripKafkaJS produces with kafkajs and reads back with a kafkajs
// consumer group (kafkajs has no other consumer).
func roundTripKafkaJS(t *testing.T, c *Cluster) {
	topic := createTopic(t, c, 3)
	recs := produceKafkaJS(t, c, topic, makeRecords(topic, 100))
	checkRecords(t, recs, nodeScript(t, c, nil, kafkajsScript, "consume", topic, "100", "it-kafkajs-"+randHex(4)))
}

func TestKafkaJSConsumerGroup(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	group := "it-kafkajs-" + randHex(4)
	first := produceKafkaJS(t, c, topic, makeRecords(topic, 120))
	checkRecords(t, first, nodeScript(t, c, nil, kafkajsScript, "consume", topic, "120", group))

	second := produceKafkaJS(t, c, topic, moreRecords(topic, len(first), 60))
	checkRecords(t, second, nodeScript(t, c, nil, kafkajsScript, "consume", topic, "60", group))
}
