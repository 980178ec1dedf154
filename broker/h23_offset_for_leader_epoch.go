package broker

// OffsetForLeaderEpoch (23), v0–4. ACL: Cluster CLUSTER_ACTION (not logged
// when denied) grants every topic, else Topic DESCRIBE per topic (denied:
// 29 per partition, epoch and end offset -1), before any existence check;
// authorized but missing → 3. Every partition of this single node has one
// leader epoch, 0, starting at the log start offset: epoch 0 answers
// (0, log end offset); a later epoch or -1 answers (-1, -1); an earlier
// one (below -1) answers (that epoch, log start offset), as Kafka's
// LeaderEpochFileCache.endOffsetFor. A current_leader_epoch other than -1
// must be 0: lower → 74 (FENCED_LEADER_EPOCH), higher → 75
// (UNKNOWN_LEADER_EPOCH).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(23, handleOffsetForLeaderEpoch) }

// partitionLeaderEpoch is the leader epoch of every partition.
const partitionLeaderEpoch = 0

func handleOffsetForLeaderEpoch(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	clusterAction := c.authorizeQuiet(az.OpClusterAction, az.ResourceCluster, az.ClusterName)
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		allowed := clusterAction
		if !allowed {
			a := az.NewAction(az.OpDescribe, az.ResourceTopic, rt.Topic)
			a.RefCount = len(rt.Partitions)
			allowed = c.authorize(a)
		}
		var t *topic
		if allowed {
			t = c.b.topics.get(rt.Topic)
		}
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition() // epoch and end offset -1
			sp.Partition = rp.Partition
			switch {
			case !allowed:
				sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			case t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case rp.CurrentLeaderEpoch != -1 && rp.CurrentLeaderEpoch < partitionLeaderEpoch:
				sp.ErrorCode = kerr.FencedLeaderEpoch.Code
			case rp.CurrentLeaderEpoch > partitionLeaderEpoch:
				sp.ErrorCode = kerr.UnknownLeaderEpoch.Code
			default:
				p := t.partitions[rp.Partition]
				sp.LeaderEpoch, sp.EndOffset = endOffsetForEpoch(rp.LeaderEpoch, p.log.StartOffset(), p.log.EndOffset())
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// endOffsetForEpoch answers for a log with the single epoch 0 covering
// [start, end).
func endOffsetForEpoch(requested int32, start, end int64) (int32, int64) {
	switch {
	case requested == partitionLeaderEpoch:
		return partitionLeaderEpoch, end
	case requested == -1 || requested > partitionLeaderEpoch:
		return -1, -1
	default: // older than any known epoch: the start of the first one
		return requested, start
	}
}
