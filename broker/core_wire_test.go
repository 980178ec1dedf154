package broker

// Wire tests of the APIs that were on main before this file: Produce,
// Fetch, ListOffsets, Metadata, ApiVersions, InitProducerId, CreateTopics,
// DeleteTopics, and the SASL gate (SaslHandshake, SaslAuthenticate), each
// driven by franz-go over a real socket.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/minikafka/minikafka/sasl"
	"github.com/minikafka/minikafka/storage/recordbatch"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

func TestProduceConsume(t *testing.T) {
	_, addr := startBroker(t, func(c *Config) { c.NumPartitions = 3 })
	ctx := testCtx(t)
	// An idempotent producer (InitProducerId), auto-creating the topic
	// through Metadata.
	p := newClient(t, addr, kgo.DefaultProduceTopic("orders"), kgo.AllowAutoTopicCreation())
	const n = 300
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		p.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i % 11)), Value: []byte(fmt.Sprint("v", i))}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				t.Errorf("produce: %v", err)
			}
		})
	}
	wg.Wait()
	c := newClient(t, addr, kgo.ConsumeTopics("orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]bool{}
	for len(seen) < n {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d", len(seen), n)
		}
		fs.EachError(func(tp string, part int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, part, err) })
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	md, err := kadm.NewClient(c).Metadata(ctx, "orders")
	if err != nil || len(md.Topics["orders"].Partitions) != 3 {
		t.Fatalf("metadata: %v %+v", err, md.Topics["orders"])
	}
}

func TestCreateDeleteTopics(t *testing.T) {
	_, addr := startBroker(t)
	cl := newClient(t, addr)
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)
	if r, err := adm.CreateTopic(ctx, 2, 1, map[string]*string{"retention.ms": strp("60000")}, "made"); err != nil || r.Err != nil {
		t.Fatalf("create: %v %v", err, r.Err)
	}
	if r, _ := adm.CreateTopic(ctx, 2, 1, nil, "made"); r.Err == nil || !errors.Is(r.Err, kerr.TopicAlreadyExists) {
		t.Fatalf("creating it again: %v, want TOPIC_ALREADY_EXISTS", r.Err)
	}
	if r, _ := adm.CreateTopic(ctx, 1, 1, map[string]*string{"retention.ms": strp("soon")}, "bad-config"); r.Err == nil {
		t.Fatal("an invalid config value was accepted")
	}
	dr, err := adm.DeleteTopics(ctx, "made")
	if err != nil || dr["made"].Err != nil {
		t.Fatalf("delete: %v %v", err, dr["made"].Err)
	}
	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := md.Topics["made"]; ok {
		t.Fatal("deleted topic still listed")
	}
}

func TestListOffsetsByTimestamp(t *testing.T) {
	b, addr := startBroker(t)
	cl := newClient(t, addr)
	createTopic(t, cl, "ts", 1, nil)
	// Three batches, CreateTime not monotonic inside the first, compressed
	// differently; offsets 0-2, 3-4, 5.
	produceRecs(t, cl, "ts", 0, batchtest.Options{Codec: recordbatch.CodecZstd}, 1000, 1010, 1005)
	produceRecs(t, cl, "ts", 0, batchtest.Options{Codec: recordbatch.CodecGzip}, 1020, 1030)
	produceRecs(t, cl, "ts", 0, batchtest.Options{Codec: recordbatch.CodecSnappy}, 1025)
	raw := dialRaw(t, addr)
	list := func(t *testing.T, ts int64, version int16) kmsg.ListOffsetsResponseTopicPartition {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = "ts"
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Timestamp = ts
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		req.SetVersion(version)
		return raw.on(t).do(req).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
	}
	cases := map[string]struct {
		ts, off, gotTS int64
	}{
		"record inside a batch":     {1001, 1, 1010},
		"exact timestamp":           {1005, 1, 1010},
		"second record of a batch":  {1021, 4, 1030},
		"after everything":          {1031, -1, -1},
		"earliest":                  {-2, 0, -1},
		"latest":                    {-1, 6, -1},
		"max timestamp, exact rec.": {-3, 4, 1030},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := list(t, c.ts, 7)
			if p.ErrorCode != 0 || p.Offset != c.off || p.Timestamp != c.gotTS {
				t.Fatalf("ListOffsets(%d): error %d offset %d ts %d; want %d %d", c.ts, p.ErrorCode, p.Offset, p.Timestamp, c.off, c.gotTS)
			}
		})
	}
	if p := list(t, 1001, 1); p.Offset != 1 || p.Timestamp != 1010 {
		t.Fatalf("v1: %+v", p)
	}
	// The admin client asks the same question.
	lo, err := kadm.NewClient(cl).ListOffsetsAfterMilli(testCtx(t), 1006, "ts")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := lo.Lookup("ts", 0); o.Offset != 1 || o.Timestamp != 1010 {
		t.Fatalf("kadm ListOffsetsAfterMilli(1006): %+v", o)
	}
	// The log start hides records below it, even inside a batch.
	if err := b.topics.partition("ts", 0).log.DeleteBefore(2); err != nil {
		t.Fatal(err)
	}
	if p := list(t, 1001, 7); p.Offset != 2 || p.Timestamp != 1005 {
		t.Fatalf("after DeleteBefore(2): %+v", p)
	}
}

// plainMech is a minimal server-side PLAIN for exercising the broker's
// SASL gate (the real mechanisms live in their own packages).
type plainMech struct{ users map[string]string }

func (m plainMech) Name() string                          { return sasl.Plain }
func (m plainMech) NewSession(sasl.ConnInfo) sasl.Session { return &plainSession{m: m} }

type plainSession struct {
	m    plainMech
	user string
}

func (s *plainSession) Step(_ context.Context, tok []byte) ([]byte, bool, error) {
	parts := bytes.Split(tok, []byte{0})
	if len(parts) != 3 || s.m.users[string(parts[1])] != string(parts[2]) {
		return nil, false, errors.New("bad credentials")
	}
	s.user = string(parts[1])
	return nil, true, nil
}

func (s *plainSession) Identity() sasl.Identity { return sasl.Identity{AuthorizationID: s.user} }

func TestSASLGate(t *testing.T) {
	_, addr := startBroker(t, func(c *Config) {
		c.Listeners = []ListenerConfig{{Name: "SASL", Addr: "127.0.0.1:0", SecurityProtocol: SaslPlaintext,
			Mechanisms: []sasl.Mechanism{plainMech{users: map[string]string{"alice": "secret"}}}}}
	})
	ctx := testCtx(t)
	good := newClient(t, addr, kgo.SASL(plain.Auth{User: "alice", Pass: "secret"}.AsMechanism()))
	if err := good.Ping(ctx); err != nil {
		t.Fatalf("authenticated client: %v", err)
	}
	createTopic(t, good, "after-auth", 1, nil)
	bad := newClient(t, addr, kgo.SASL(plain.Auth{User: "alice", Pass: "wrong"}.AsMechanism()))
	err := bad.Ping(ctx)
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
	// A request before authentication closes the connection.
	raw := dialRaw(t, addr)
	raw.write(raw.f.AppendRequest(nil, kmsg.NewPtrMetadataRequest(), 1))
	if _, err := raw.readFrame(); err == nil {
		t.Fatal("an unauthenticated Metadata request was answered")
	}
}
