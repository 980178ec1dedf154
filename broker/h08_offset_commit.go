package broker

// OffsetCommit (8), v2–8. ACL: Group READ (denied: 30 on every
// partition), then Topic READ per topic (denied: 29 on its partitions;
// DESCRIBE or WRITE is not enough), before any existence check: a missing
// topic or partition of an authorized topic is 3. Members must be current
// and of the current generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
// FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS while the group completes a
// rebalance); generation -1 without a member (simple consumer, admin
// client) may commit to an empty or missing group. Metadata over 4096
// bytes: OFFSET_METADATA_TOO_LARGE. Offsets live in memory.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(8, handleOffsetCommit) }

func handleOffsetCommit(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.OffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	commits := flattenOffsetCommit(req.Topics)
	if !c.authorizeOp(az.OpRead, az.ResourceGroup, req.Group) {
		for i := range commits {
			commits[i].code = kerr.GroupAuthorizationFailed.Code
		}
		resp.Topics = offsetCommitResponse(req.Topics, commits)
		return resp, nil
	}
	c.checkCommitTopics(commits, refCounts(req.Topics))
	if !anyPending(commits) {
		resp.Topics = offsetCommitResponse(req.Topics, commits)
		return resp, nil
	}
	if code := c.b.groups.commit(req.Group, req.MemberID, deref(req.InstanceID), req.Generation, commits); code != 0 {
		for i := range commits {
			if commits[i].code == 0 {
				commits[i].code = code
			}
		}
	}
	resp.Topics = offsetCommitResponse(req.Topics, commits)
	return resp, nil
}

func flattenOffsetCommit(topics []kmsg.OffsetCommitRequestTopic) []offsetCommit {
	var out []offsetCommit
	for _, t := range topics {
		for _, p := range t.Partitions {
			out = append(out, offsetCommit{topic: t.Topic, partition: p.Partition, offset: p.Offset, leaderEpoch: p.LeaderEpoch, metadata: p.Metadata})
		}
	}
	return out
}

// anyPending reports whether some partition passed the checks so far.
func anyPending(commits []offsetCommit) bool {
	for i := range commits {
		if commits[i].code == 0 {
			return true
		}
	}
	return false
}

func refCounts(topics []kmsg.OffsetCommitRequestTopic) map[string]int {
	n := map[string]int{}
	for _, t := range topics {
		n[t.Topic] += len(t.Partitions)
	}
	return n
}

// checkCommitTopics authorizes Topic READ once per distinct topic (with
// the partition count as reference count), then marks missing topics and
// partitions of authorized topics UNKNOWN_TOPIC_OR_PARTITION.
func (c *conn) checkCommitTopics(commits []offsetCommit, refs map[string]int) {
	allowed := make(map[string]bool, len(refs))
	for _, name := range sortedKeys(refs) {
		a := az.NewAction(az.OpRead, az.ResourceTopic, name)
		a.RefCount = refs[name]
		allowed[name] = c.authorize(a)
	}
	for i := range commits {
		cm := &commits[i]
		switch {
		case !allowed[cm.topic]:
			cm.code = kerr.TopicAuthorizationFailed.Code
		case c.b.topics.partition(cm.topic, cm.partition) == nil:
			cm.code = kerr.UnknownTopicOrPartition.Code
		}
	}
}

func offsetCommitResponse(topics []kmsg.OffsetCommitRequestTopic, commits []offsetCommit) []kmsg.OffsetCommitResponseTopic {
	out := make([]kmsg.OffsetCommitResponseTopic, 0, len(topics))
	i := 0
	for _, t := range topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = commits[i].partition
			rp.ErrorCode = commits[i].code
			rt.Partitions = append(rt.Partitions, rp)
			i++
		}
		out = append(out, rt)
	}
	return out
}
