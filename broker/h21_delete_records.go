package broker

// DeleteRecords (21), v0–2. ACL: Topic DELETE per topic (denied: 29 on each
// partition, low watermark -1), before any existence check; authorized but
// missing → 3. Internal topics → 17. Offset -1 means the high watermark;
// any other offset below 0 or above the high watermark → 1
// (OFFSET_OUT_OF_RANGE). The log start offset only moves forward; the low
// watermark returned is the log start offset after the call.

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(21, handleDeleteRecords) }

func handleDeleteRecords(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		a := az.NewAction(az.OpDelete, az.ResourceTopic, rt.Topic)
		a.RefCount = len(rt.Partitions)
		allowed := c.authorize(a)
		var t *topic
		if allowed {
			t = c.b.topics.get(rt.Topic)
		}
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			switch {
			case !allowed:
				sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			case t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case t.internal:
				sp.ErrorCode = kerr.InvalidTopicException.Code
			default:
				p := t.partitions[rp.Partition]
				low, err := p.deleteRecords(rp.Offset)
				if err != nil {
					sp.ErrorCode = kerr.OffsetOutOfRange.Code
					c.b.log.Debug("delete records rejected", "topic", t.name, "partition", p.index, "client", c.host, "err", err)
					break
				}
				sp.LowWatermark = low
				c.b.log.Info("deleted records", "topic", t.name, "partition", p.index, "before", low, "principal", c.subject.User.String())
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// deleteRecords moves the log start offset up to offset (-1: the high
// watermark) and returns the new log start offset.
func (p *partition) deleteRecords(offset int64) (int64, error) {
	hwm := p.log.EndOffset()
	if offset == -1 {
		offset = hwm
	}
	if offset < 0 || offset > hwm {
		return -1, fmt.Errorf("the offset %d for partition %s-%d is not valid (high watermark %d)", offset, p.topic.name, p.index, hwm)
	}
	if err := p.log.DeleteBefore(offset); err != nil {
		return -1, fmt.Errorf("deleting before %d: %w", offset, err)
	}
	return p.log.StartOffset(), nil
}
