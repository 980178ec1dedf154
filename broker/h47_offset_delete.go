package broker

// OffsetDelete (47), v0. ACL: Group DELETE (denied: 30 top-level), then
// Topic READ per topic (denied: 29 on its partitions); a missing topic or
// partition of an authorized topic is 3. A missing group is
// GROUP_ID_NOT_FOUND; a non-empty group that is not a consumer group is
// NON_EMPTY_GROUP; a live consumer group keeps the offsets of topics it is
// subscribed to (GROUP_SUBSCRIBED_TO_TOPIC) and deletes the others.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(47, handleOffsetDelete) }

func handleOffsetDelete(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.OffsetDeleteRequest)
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	if !c.authorizeOp(az.OpDelete, az.ResourceGroup, req.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	var parts []offsetCommit
	refs := map[string]int{}
	for _, t := range req.Topics {
		refs[t.Topic] += len(t.Partitions)
		for _, p := range t.Partitions {
			parts = append(parts, offsetCommit{topic: t.Topic, partition: p.Partition})
		}
	}
	c.checkCommitTopics(parts, refs)
	if code := c.b.groups.deleteOffsets(req.Group, parts); code != 0 {
		resp.ErrorCode = code
		return resp, nil
	}
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = parts[i].partition
			rp.ErrorCode = parts[i].code
			rt.Partitions = append(rt.Partitions, rp)
			i++
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
