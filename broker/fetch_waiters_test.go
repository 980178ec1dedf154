package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestFetchWaitersReleased: a long-poll Fetch that times out on an idle
// partition must not leave its wake channel registered there. Before the
// fix every such Fetch added one entry per partition that only the next
// append cleared, so consumers polling an idle topic grew the broker's
// memory without bound (found by bench/load: RSS kept rising while the
// consumers idled after the producers stopped).
func TestFetchWaitersReleased(t *testing.T) {
	b, addr := startBroker(t)
	cl := newClient(t, addr)
	createTopic(t, cl, "idle", 3, nil)
	rc := dialRaw(t, addr)
	for i := 0; i < 20; i++ {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 1
		req.MinBytes = 1
		req.MaxBytes = 1 << 20
		req.SessionEpoch = -1
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic = "idle"
		for p := int32(0); p < 3; p++ {
			fp := kmsg.NewFetchRequestTopicPartition()
			fp.Partition = p
			fp.PartitionMaxBytes = 1 << 20
			ft.Partitions = append(ft.Partitions, fp)
		}
		req.Topics = append(req.Topics, ft)
		resp := rawRequest[*kmsg.FetchResponse](rc, req)
		for _, rp := range resp.Topics[0].Partitions {
			if rp.ErrorCode != 0 {
				t.Fatalf("fetch %d: partition %d: error %d", i, rp.Partition, rp.ErrorCode)
			}
		}
	}
	for i, p := range b.topics.get("idle").partitions {
		p.mu.Lock()
		n := len(p.waiters)
		p.mu.Unlock()
		if n != 0 {
			t.Errorf("partition %d holds %d fetch waiters after 20 timed-out fetches, want 0", i, n)
		}
	}
}
