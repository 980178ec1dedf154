package integration

// franz-go (kgo v1.22): producer, direct consumer, every compression codec,
// a consumer group that resumes from its committed offsets, and a
// transactional producer read by read_committed and read_uncommitted
// consumers.

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// newKgoClient returns a franz-go client for c, closed when the test ends.
func newKgoClient(t *testing.T, c *Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	base := []kgo.Opt{kgo.SeedBrokers(c.Brokers()...), kgo.ClientID("minikafka-it-kgo")}
	if tc := c.TLSConfig(t); tc != nil {
		base = append(base, kgo.DialTLSConfig(tc))
	}
	if c.SASL() {
		switch c.Mechanism {
		case "PLAIN":
			base = append(base, kgo.SASL(plain.Auth{User: c.User, Pass: c.Password}.AsMechanism()))
		case "SCRAM-SHA-256":
			base = append(base, kgo.SASL(scram.Auth{User: c.User, Pass: c.Password}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			base = append(base, kgo.SASL(scram.Auth{User: c.User, Pass: c.Password}.AsSha512Mechanism()))
		}
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func toKgo(topic string, r record) *kgo.Record {
	return &kgo.Record{
		Topic:   topic,
		Key:     []byte(r.Key),
		Value:   []byte(r.Value),
		Headers: []kgo.RecordHeader{{Key: "seq", Value: []byte(r.Seq)}},
	}
}

func fromKgo(r *kgo.Record) record {
	out := record{Key: string(r.Key), Value: string(r.Value), Partition: r.Partition, Offset: r.Offset}
	for _, h := range r.Headers {
		if h.Key == "seq" {
			out.Seq = string(h.Value)
		}
	}
	return out
}

// produceKgo produces recs synchronously with cl and records where each
// one was acknowledged.
func produceKgo(t *testing.T, cl *kgo.Client, topic string, recs []record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	krs := make([]*kgo.Record, len(recs))
	for i := range recs {
		krs[i] = toKgo(topic, recs[i])
	}
	// Results come in completion order, not in the order of krs.
	index := make(map[*kgo.Record]int, len(krs))
	for i, kr := range krs {
		index[kr] = i
	}
	for _, res := range cl.ProduceSync(ctx, krs...) {
		i := index[res.Record]
		if res.Err != nil {
			t.Fatalf("producing record %q: %v", recs[i].Key, res.Err)
		}
		recs[i].Partition, recs[i].Offset = res.Record.Partition, res.Record.Offset
	}
}

func TestKgoProduceConsume(t *testing.T) { roundTripKgo(t, testCluster(t)) }

// roundTripKgo produces with acks=all and consumes outside any group.
func roundTripKgo(t *testing.T, c *Cluster) {
	topic := createTopic(t, c, 3)
	recs := makeRecords(topic, 300)
	produceKgo(t, newKgoClient(t, c, kgo.RequiredAcks(kgo.AllISRAcks())), topic, recs)
	got := consumeKgo(t, c, topic, len(recs), kgo.ReadUncommitted())
	checkRecords(t, recs, got)
}

func TestKgoCompressionCodecs(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 2)
	codecs := map[string]kgo.CompressionCodec{
		"none":   kgo.NoCompression(),
		"gzip":   kgo.GzipCompression(),
		"snappy": kgo.SnappyCompression(),
		"lz4":    kgo.Lz4Compression(),
		"zstd":   kgo.ZstdCompression(),
	}
	var all []record
	i := 0
	for name, codec := range codecs {
		recs := moreRecords(topic, i*100, 100)
		i++
		for j := range recs {
			recs[j].Value += "/" + name
		}
		produceKgo(t, newKgoClient(t, c, kgo.ProducerBatchCompression(codec)), topic, recs)
		all = append(all, recs...)
	}
	checkRecords(t, all, consumeKgo(t, c, topic, len(all), kgo.ReadUncommitted()))
}

func TestKgoConsumerGroup(t *testing.T) {
	c := testCluster(t)
	topic := createTopic(t, c, 3)
	group := "it-group-" + randHex(4)
	prod := newKgoClient(t, c)
	first := makeRecords(topic, 150)
	produceKgo(t, prod, topic, first)

	member := func() *kgo.Client {
		return newKgoClient(t, c,
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.DisableAutoCommit(),
		)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()

	// The first member reads everything and commits.
	m1 := member()
	checkRecords(t, first, pollKgo(t, m1, len(first)))
	if err := m1.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	adm := kadm.NewClient(prod)
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("OffsetFetch: %v", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("ListOffsets: %v", err)
	}
	for p := int32(0); p < 3; p++ {
		o, ok := committed.Lookup(topic, p)
		e, _ := ends.Lookup(topic, p)
		if !ok || o.Err != nil || o.At != e.Offset {
			t.Errorf("partition %d: committed %+v, want offset %d (the end)", p, o, e.Offset)
		}
	}
	m1.Close() // leaves the group

	// A new member of the same group resumes after the committed offsets:
	// the next records it sees are exactly the new ones.
	second := moreRecords(topic, len(first), 90)
	produceKgo(t, prod, topic, second)
	m2 := member()
	checkRecords(t, second, pollKgo(t, m2, len(second)))

	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		t.Fatalf("DescribeGroups: %v", err)
	}
	if g := described[group]; g.Err != nil || g.State != "Stable" || len(g.Members) != 1 {
		t.Errorf("group %s: state %q, %d members, err %v; want Stable with 1 member", group, g.State, len(g.Members), g.Err)
	}
}

func TestKgoTransactionsReadCommitted(t *testing.T) {
	c := testCluster(t)
	// One partition: the aborted records sit between committed ones, so a
	// consumer that reached the last committed record has passed them.
	topic := createTopic(t, c, 1)
	txnID := "it-txn-" + randHex(4)
	prod := newKgoClient(t, c, kgo.TransactionalID(txnID), kgo.TransactionTimeout(30*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()

	txn := func(recs []record, commit kgo.TransactionEndTry) {
		t.Helper()
		if err := prod.BeginTransaction(); err != nil {
			t.Fatalf("BeginTransaction: %v", err)
		}
		produceKgo(t, prod, topic, recs)
		if err := prod.EndTransaction(ctx, commit); err != nil {
			t.Fatalf("EndTransaction(%v): %v", commit, err)
		}
	}
	committed1 := makeRecords(topic, 40)
	aborted := moreRecords(topic, 40, 25)
	committed2 := moreRecords(topic, 65, 35)
	txn(committed1, kgo.TryCommit)
	txn(aborted, kgo.TryAbort)
	txn(committed2, kgo.TryCommit)

	want := append(append([]record{}, committed1...), committed2...)
	checkRecords(t, want, consumeKgo(t, c, topic, len(want), kgo.ReadCommitted()))

	all := append(append(append([]record{}, committed1...), aborted...), committed2...)
	checkRecords(t, all, consumeKgo(t, c, topic, len(all), kgo.ReadUncommitted()))
}
