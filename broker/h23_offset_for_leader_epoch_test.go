package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

type epochAsk struct {
	partition, current, epoch int32
}

func leaderEpochReq(topic string, asks ...epochAsk) *kmsg.OffsetForLeaderEpochRequest {
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.ReplicaID = -1
	rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
	rt.Topic = topic
	for _, a := range asks {
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = a.partition, a.current, a.epoch
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestOffsetForLeaderEpoch(t *testing.T) {
	z := newRules("CLUSTER_ACTION Cluster:kafka-cluster", "DESCRIBE Topic:secret", "DESCRIBE Topic:missing-secret")
	b, addr := startBroker(t, withAuthorizer(z))
	cl := newClient(t, addr)
	createTopic(t, cl, "events", 1, nil)
	createTopic(t, cl, "secret", 1, nil)
	produceRecs(t, cl, "events", 0, batchtest.Options{}, 1, 2, 3, 4) // 0-3
	if err := b.topics.partition("events", 0).log.DeleteBefore(2); err != nil {
		t.Fatal(err)
	}
	raw := dialRaw(t, addr)

	type want struct {
		code  int16
		epoch int32
		end   int64
	}
	cases := map[string]struct {
		topic string
		ask   epochAsk
		want  want
	}{
		"current epoch":             {"events", epochAsk{0, -1, 0}, want{0, 0, 4}},
		"client leader epoch equal": {"events", epochAsk{0, 0, 0}, want{0, 0, 4}},
		"later epoch":               {"events", epochAsk{0, -1, 3}, want{0, -1, -1}},
		"undefined epoch":           {"events", epochAsk{0, -1, -1}, want{0, -1, -1}},
		"older than any epoch":      {"events", epochAsk{0, -1, -5}, want{0, -5, 2}},
		"client leader epoch newer": {"events", epochAsk{0, 1, 0}, want{75, -1, -1}},
		"client leader epoch older": {"events", epochAsk{0, -3, 0}, want{74, -1, -1}},
		"missing partition":         {"events", epochAsk{9, -1, 0}, want{3, -1, -1}},
		"missing topic":             {"nope", epochAsk{0, -1, 0}, want{3, -1, -1}},
		"unauthorized existing":     {"secret", epochAsk{0, -1, 0}, want{29, -1, -1}},
		"unauthorized missing":      {"missing-secret", epochAsk{0, -1, 0}, want{29, -1, -1}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp := rawRequest[*kmsg.OffsetForLeaderEpochResponse](raw.on(t), leaderEpochReq(c.topic, c.ask))
			p := resp.Topics[0].Partitions[0]
			if got := (want{p.ErrorCode, p.LeaderEpoch, p.EndOffset}); got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}

	// The cluster check comes first and is quiet; a denied one falls back
	// to Topic DESCRIBE, logged.
	z.actions()
	rawRequest[*kmsg.OffsetForLeaderEpochResponse](raw, leaderEpochReq("events", epochAsk{0, -1, 0}))
	acts := z.actions()
	if len(acts) != 2 || acts[0].Operation != az.OpClusterAction || acts[0].LogIfDenied || acts[1].Operation != az.OpDescribe || !acts[1].LogIfDenied {
		t.Fatalf("actions %+v, want quiet CLUSTER_ACTION then logged DESCRIBE", acts)
	}

	// v0 has no leader epoch in the response; the end offset is there.
	req := leaderEpochReq("events", epochAsk{0, -1, 0})
	req.SetVersion(0)
	v0 := raw.do(req).(*kmsg.OffsetForLeaderEpochResponse)
	if p := v0.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.EndOffset != 4 {
		t.Fatalf("v0: %+v", p)
	}
}

// TestOffsetForLeaderEpochClusterAction: with CLUSTER_ACTION (a broker
// principal) no topic check is made at all.
func TestOffsetForLeaderEpochClusterAction(t *testing.T) {
	z := newRules("DESCRIBE Topic:*")
	_, addr := startBroker(t, withAuthorizer(z))
	cl := newClient(t, addr)
	createTopic(t, cl, "events", 1, nil)
	raw := dialRaw(t, addr)
	z.asked()
	resp := rawRequest[*kmsg.OffsetForLeaderEpochResponse](raw, leaderEpochReq("events", epochAsk{0, -1, 0}))
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.EndOffset != 0 || p.LeaderEpoch != 0 {
		t.Fatalf("got %+v, want epoch 0 ending at 0", p)
	}
	if got := z.asked(); len(got) != 1 || got[0] != "CLUSTER_ACTION Cluster:kafka-cluster" {
		t.Fatalf("authorizer asked %v", got)
	}
}
