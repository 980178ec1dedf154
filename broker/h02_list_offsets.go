package broker

// ListOffsets (2), v1–7. ACL: Topic DESCRIBE per topic (denied: 29 per
// partition, offset and timestamp -1). Timestamps: -2 earliest (log start),
// -1 latest (high watermark, or the last stable offset for read_committed),
// -3 the record with the largest timestamp, otherwise the first offset
// whose timestamp is at least the one asked.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(2, handleListOffsets) }

func handleListOffsets(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		a := az.NewAction(az.OpDescribe, az.ResourceTopic, rt.Topic)
		a.RefCount = len(rt.Partitions)
		allowed := c.authorize(a)
		var t *topic
		if allowed {
			t = c.b.topics.get(rt.Topic)
		}
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, 0
			switch {
			case !allowed:
				sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			case t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			default:
				p := t.partitions[rp.Partition]
				switch rp.Timestamp {
				case -2:
					sp.Offset = p.log.StartOffset()
				case -1:
					sp.Offset = p.log.EndOffset()
					if req.IsolationLevel == 1 {
						sp.Offset = p.lastStableOffset()
					}
				case -3:
					sp.Offset, sp.Timestamp = p.log.MaxTimestamp()
				default:
					if off, ts, ok := p.log.OffsetForTimestamp(rp.Timestamp); ok {
						sp.Offset, sp.Timestamp = off, ts
					}
				}
				if r.Version == 0 {
					sp.OldStyleOffsets = []int64{sp.Offset}
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
