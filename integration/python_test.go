package integration

// kafka-python 2.0.2 (Debian's python3-kafka): producer, a consumer
// assigned every partition, and a consumer group that resumes from the
// offsets it committed.

import (
	"strconv"
	"testing"
)

const kafkaPythonScript = "kafka_python_roundtrip.py"

// produceKafkaPython produces recs with kafka-python and returns them as
// acknowledged (partition and offset filled in).
func produceKafkaPython(t *testing.T, c *Cluster, topic string, recs []record) []record {
	t.Helper()
	acked := pythonScript(t, c, recs, kafkaPythonScript, "produce", topic)
	if len(acked) != len(recs) {
		t.Fatalf("kafka-python acknowledged %d of %d records", len(acked), len(recs))
	}
	return acked
}

func TestKafkaPythonProduceConsume(t *testing.T) { roundTripKafkaPython(t, testCluster(t)) }

// roundTripKafkaPython produces with kafka-python and consumes with a
// consumer assigned every partition.
func roundTripKafkaPython(t *testing.T, c *Cluster) {
	topic := createTopic(t, c, 3)
	recs := produceKafkaPython(t, c, topic, makeRecords(topic, 200))
	checkRecords(t, recs, pythonScript(t, c, nil, kafkaPythonScript, "consume", topic, strconv.Itoa(len(recs))))
}

func TestKafkaPythonConsumerGroup(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	group := "it-kafka-python-" + randHex(4)
	first := produceKafkaPython(t, c, topic, makeRecords(topic, 120))
	checkRecords(t, first, pythonScript(t, c, nil, kafkaPythonScript, "consume", topic, "120", group))

	second := produceKafkaPython(t, c, topic, moreRecords(topic, len(first), 60))
	checkRecords(t, second, pythonScript(t, c, nil, kafkaPythonScript, "consume", topic, "60", group))
}
