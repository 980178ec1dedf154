package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

func deleteRecordsReq(topic string, offsets map[int32]int64) *kmsg.DeleteRecordsRequest {
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	for p, o := range offsets {
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = p, o
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestDeleteRecords(t *testing.T) {
	z := newRules("DELETE Topic:secret", "DELETE Topic:missing-secret")
	b, addr := startBroker(t, withAuthorizer(z))
	cl := newClient(t, addr)
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)
	createTopic(t, cl, "events", 1, nil)
	createTopic(t, cl, "secret", 1, nil)
	produceRecs(t, cl, "events", 0, batchtest.Options{}, 1, 2, 3, 4, 5)  // 0-4
	produceRecs(t, cl, "events", 0, batchtest.Options{}, 6, 7, 8, 9, 10) // 5-9
	if _, _, err := b.topics.create("__consumer_offsets", 1, nil); err != nil {
		t.Fatal(err)
	}

	// The admin client deletes up to offset 3 (inside the first batch).
	res, err := adm.DeleteRecords(ctx, kadm.Offsets{"events": {0: kadm.Offset{Topic: "events", Partition: 0, At: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.Lookup("events", 0); r.Err != nil || r.LowWatermark != 3 {
		t.Fatalf("kadm DeleteRecords: %+v", r)
	}
	starts, err := adm.ListStartOffsets(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := starts.Lookup("events", 0); o.Offset != 3 {
		t.Fatalf("log start offset %d after DeleteRecords(3)", o.Offset)
	}
	// A consumer from the start now begins at offset 3.
	cons := newClient(t, addr, kgo.ConsumeTopics("events"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var first []int64
	for len(first) < 7 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %v: %v", first, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) { first = append(first, r.Offset) })
	}
	if first[0] != 3 {
		t.Fatalf("consumer started at offset %d, want 3", first[0])
	}

	cases := map[string]struct {
		topic    string
		offsets  map[int32]int64
		wantCode int16
		wantLow  int64
	}{
		"backwards is a no-op":     {"events", map[int32]int64{0: 1}, 0, 3},
		"to the high watermark":    {"events", map[int32]int64{0: -1}, 0, 10},
		"beyond the watermark":     {"events", map[int32]int64{0: 11}, 1, -1},
		"negative other than -1":   {"events", map[int32]int64{0: -2}, 1, -1},
		"missing partition":        {"events", map[int32]int64{4: 0}, 3, -1},
		"missing topic":            {"nope", map[int32]int64{0: 0}, 3, -1},
		"unauthorized existing":    {"secret", map[int32]int64{0: 0}, 29, -1},
		"unauthorized missing":     {"missing-secret", map[int32]int64{0: 0}, 29, -1},
		"internal topic is denied": {"__consumer_offsets", map[int32]int64{0: 0}, 17, -1},
	}
	raw := dialRaw(t, addr) // kgo routes by metadata and fails missing topics locally
	for _, name := range []string{"backwards is a no-op", "to the high watermark", "beyond the watermark", "negative other than -1",
		"missing partition", "missing topic", "unauthorized existing", "unauthorized missing", "internal topic is denied"} {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			resp := rawRequest[*kmsg.DeleteRecordsResponse](raw.on(t), deleteRecordsReq(c.topic, c.offsets))
			got := resp.Topics[0].Partitions[0]
			if got.ErrorCode != c.wantCode || got.LowWatermark != c.wantLow {
				t.Fatalf("got error %d low watermark %d, want %d %d", got.ErrorCode, got.LowWatermark, c.wantCode, c.wantLow)
			}
		})
	}
	if got := z.asked(); !contains(got, "DELETE Topic:secret") || !contains(got, "DELETE Topic:missing-secret") {
		t.Fatalf("authorizer was asked %v", got)
	}
	if p := b.topics.partition("events", 0); p.log.StartOffset() != 10 || p.log.EndOffset() != 10 {
		t.Fatalf("after deleting to the watermark: start %d end %d", p.log.StartOffset(), p.log.EndOffset())
	}
}
