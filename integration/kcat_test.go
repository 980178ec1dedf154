package integration

// librdkafka (Debian's 2.0.2) through kcat 1.7.1: produce from stdin, then
// consume to the end of every partition with the simple consumer and with
// a balanced consumer group (-G) that resumes from its commits.

import (
	"bytes"
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kcat runs kcat with the cluster's librdkafka properties, stdin and args,
// and returns its stdout. It fails the test on a non-zero exit.
func kcat(t *testing.T, c *Cluster, stdin string, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is not installed (scripts/test.sh installs it with apt-get): %v", err)
	}
	props := c.librdkafkaConfig()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var full []string
	for _, k := range keys {
		full = append(full, "-X", k+"="+props[k])
	}
	full = append(full, "-X", "client.id=minikafka-it-kcat")
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, full...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	// librdkafka log lines are "%LEVEL|..."; levels 0-4 are emergency to
	// warning: protocol oddities librdkafka worked around.
	for _, line := range strings.Split(stderr.String(), "\n") {
		if len(line) > 2 && line[0] == '%' && line[1] >= '0' && line[1] <= '4' && line[2] == '|' {
			t.Errorf("kcat %s: librdkafka logged %s", strings.Join(args, " "), line)
		}
	}
	return stdout.Bytes()
}

// kcatProduce produces recs, one "key<TAB>value" line each, all with the
// header seq=kcat (kcat's -H applies to every message).
func kcatProduce(t *testing.T, c *Cluster, topic string, recs []record) {
	t.Helper()
	var in strings.Builder
	for i := range recs {
		recs[i].Seq = "kcat"
		in.WriteString(recs[i].Key + "\t" + recs[i].Value + "\n")
	}
	kcat(t, c, in.String(), "-P", "-t", topic, "-K", "\t", "-H", "seq=kcat", "-X", "acks=all")
}

// kcatMessage is kcat's -J envelope.
type kcatMessage struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       string   `json:"key"`
	Payload   string   `json:"payload"`
	Headers   []string `json:"headers"` // name, value, name, value, ...
}

func (m kcatMessage) record() record {
	r := record{Key: m.Key, Value: m.Payload, Partition: m.Partition, Offset: m.Offset}
	for i := 0; i+1 < len(m.Headers); i += 2 {
		if m.Headers[i] == "seq" {
			r.Seq = m.Headers[i+1]
		}
	}
	return r
}

func kcatRecords(t *testing.T, out []byte) []record {
	t.Helper()
	var recs []record
	for _, m := range decodeJSONLines[kcatMessage](t, out) {
		recs = append(recs, m.record())
	}
	return recs
}

func TestKcatProduceConsume(t *testing.T) { roundTripKcat(t, testCluster(t)) }

// roundTripKcat produces with kcat -P, checks with the reference consumer,
// and reads back with kcat -C.
func roundTripKcat(t *testing.T, c *Cluster) {
	topic := createTopic(t, c, 3)
	recs := makeRecords(topic, 200)
	kcatProduce(t, c, topic, recs)

	// The producer reports no offsets; the reference consumer checks
	// kcat's writes, then kcat's simple consumer reads them back.
	checkRecords(t, recs, consumeKgo(t, c, topic, len(recs), kgo.ReadUncommitted()))
	out := kcat(t, c, "", "-C", "-t", topic, "-o", "beginning", "-e", "-J")
	checkRecords(t, recs, kcatRecords(t, out))
}

func TestKcatConsumerGroup(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	group := "it-kcat-" + randHex(4)
	first := makeRecords(topic, 90)
	kcatProduce(t, c, topic, first)
	// -G with -e leaves once every assigned partition is at its end,
	// committing (enable.auto.commit) what it consumed. No -o: kcat would
	// assign that offset, ignoring the group's commits.
	consume := func() []record {
		return kcatRecords(t, kcat(t, c, "", "-G", group, "-X", "auto.offset.reset=earliest", "-e", "-J", topic))
	}
	checkRecords(t, first, consume())
	second := moreRecords(topic, len(first), 45)
	kcatProduce(t, c, topic, second)
	checkRecords(t, second, consume())
}
