package broker

// OffsetFetch (9), v1–8. ACL: Group DESCRIBE per group (denied: 30 — on
// every requested partition in v1, top-level in v2–7, per group in v8),
// then Topic DESCRIBE per topic: named topics that are not authorized get
// 29 with offset -1; with topics=null (all committed partitions, v2+) the
// unauthorized topics are silently left out. Partitions without a
// committed offset answer -1 with no error, whether or not they exist.
// require_stable (v7+): a partition with transactional offsets pending an
// EndTxn answers UNSTABLE_OFFSET_COMMIT so the consumer retries.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(9, handleOffsetFetch) }

func handleOffsetFetch(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.OffsetFetchRequest)
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if r.Version >= 8 {
		for _, rg := range req.Groups {
			var topics []fetchTopic
			if rg.Topics != nil {
				topics = make([]fetchTopic, 0, len(rg.Topics))
				for _, t := range rg.Topics {
					topics = append(topics, fetchTopic{topic: t.Topic, partitions: t.Partitions})
				}
			}
			g := kmsg.NewOffsetFetchResponseGroup()
			g.Group = rg.Group
			g.Topics, g.ErrorCode = c.offsetFetchGroup(rg.Group, topics, req.RequireStable)
			resp.Groups = append(resp.Groups, g)
		}
		return resp, nil
	}
	var topics []fetchTopic
	if req.Topics != nil {
		topics = make([]fetchTopic, 0, len(req.Topics))
		for _, t := range req.Topics {
			topics = append(topics, fetchTopic{topic: t.Topic, partitions: t.Partitions})
		}
	}
	gtopics, code := c.offsetFetchGroup(req.Group, topics, req.RequireStable)
	if code != 0 {
		if r.Version >= 2 {
			resp.ErrorCode = code
			return resp, nil
		}
		gtopics = nil
		for _, t := range topics {
			rt := kmsg.NewOffsetFetchResponseGroupTopic()
			rt.Topic = t.topic
			for _, p := range t.partitions {
				rp := offsetFetchPartition(nil, t.topic, p, false)
				rp.ErrorCode = code
				rt.Partitions = append(rt.Partitions, rp)
			}
			gtopics = append(gtopics, rt)
		}
	}
	for _, gt := range gtopics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = gt.Topic
		for _, gp := range gt.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata, rp.ErrorCode = gp.Partition, gp.Offset, gp.LeaderEpoch, gp.Metadata, gp.ErrorCode
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

// offsetFetchGroup answers one group: its topics, or a group error.
func (c *conn) offsetFetchGroup(group string, topics []fetchTopic, requireStable bool) ([]kmsg.OffsetFetchResponseGroupTopic, int16) {
	if !c.authorizeOp(az.OpDescribe, az.ResourceGroup, group) {
		return nil, kerr.GroupAuthorizationFailed.Code
	}
	if topics == nil { // all committed partitions: drop what may not be described
		all := c.b.groups.fetchOffsets(group, nil, requireStable)
		out := all[:0]
		for _, t := range all {
			a := az.NewAction(az.OpDescribe, az.ResourceTopic, t.Topic)
			a.RefCount = len(t.Partitions)
			if c.authorize(a) {
				out = append(out, t)
			}
		}
		return out, 0
	}
	refs := map[string]int{}
	for _, t := range topics {
		refs[t.topic] += len(t.partitions)
	}
	allowed := make(map[string]bool, len(refs))
	for _, name := range sortedKeys(refs) {
		a := az.NewAction(az.OpDescribe, az.ResourceTopic, name)
		a.RefCount = refs[name]
		allowed[name] = c.authorize(a)
	}
	permitted := []fetchTopic{} // non-nil: nil would mean "all"
	for _, t := range topics {
		if allowed[t.topic] {
			permitted = append(permitted, t)
		}
	}
	fetched := c.b.groups.fetchOffsets(group, permitted, requireStable)
	out := make([]kmsg.OffsetFetchResponseGroupTopic, 0, len(topics))
	for _, t := range topics {
		if allowed[t.topic] {
			out = append(out, fetched[0])
			fetched = fetched[1:]
			continue
		}
		rt := kmsg.NewOffsetFetchResponseGroupTopic()
		rt.Topic = t.topic
		for _, p := range t.partitions {
			rp := offsetFetchPartition(nil, t.topic, p, false)
			rp.ErrorCode = kerr.TopicAuthorizationFailed.Code
			rt.Partitions = append(rt.Partitions, rp)
		}
		out = append(out, rt)
	}
	return out, 0
}
