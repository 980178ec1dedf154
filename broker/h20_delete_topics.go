package broker

// DeleteTopics (20), v0–6. ACL: Cluster DELETE (not logged when denied)
// grants all, else Topic DESCRIBE and Topic DELETE per name: not
// describable → 29 whether or not it exists; describable but missing → 3;
// describable, existing, not deletable → 29. By id (v6): unknown → 100.
// delete.topic.enable=false → 73 before authorization.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(20, handleDeleteTopics) }

func handleDeleteTopics(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	reqs := req.Topics
	if r.Version < 6 {
		reqs = nil
		for _, n := range req.TopicNames {
			reqs = append(reqs, kmsg.DeleteTopicsRequestTopic{Topic: strp(n)})
		}
	}
	clusterDelete := c.authorizeQuiet(az.OpDelete, az.ResourceCluster, az.ClusterName)
	for _, rt := range reqs {
		st := kmsg.NewDeleteTopicsResponseTopic()
		st.Topic = rt.Topic
		st.TopicID = rt.TopicID
		if !c.b.cfg.DeleteTopicEnable {
			st.ErrorCode = kerr.TopicDeletionDisabled.Code
			if r.Version < 3 {
				st.ErrorCode = kerr.InvalidRequest.Code
			}
			resp.Topics = append(resp.Topics, st)
			continue
		}
		var t *topic
		if rt.Topic == nil {
			t = c.b.topics.getID(rt.TopicID)
			if t == nil {
				st.ErrorCode = kerr.UnknownTopicID.Code
				resp.Topics = append(resp.Topics, st)
				continue
			}
			if clusterDelete || c.authorizeOp(az.OpDescribe, az.ResourceTopic, t.name) {
				st.Topic = strp(t.name)
			}
			if !clusterDelete && !c.authorizeOp(az.OpDelete, az.ResourceTopic, t.name) {
				st.ErrorCode = kerr.TopicAuthorizationFailed.Code
				resp.Topics = append(resp.Topics, st)
				continue
			}
		} else {
			name := *rt.Topic
			if !clusterDelete && !c.authorizeOp(az.OpDescribe, az.ResourceTopic, name) {
				st.ErrorCode = kerr.TopicAuthorizationFailed.Code
				resp.Topics = append(resp.Topics, st)
				continue
			}
			t = c.b.topics.get(name)
			if t == nil {
				st.ErrorCode = kerr.UnknownTopicOrPartition.Code
				resp.Topics = append(resp.Topics, st)
				continue
			}
			if !clusterDelete && !c.authorizeOp(az.OpDelete, az.ResourceTopic, name) {
				st.ErrorCode = kerr.TopicAuthorizationFailed.Code
				resp.Topics = append(resp.Topics, st)
				continue
			}
			st.TopicID = t.id
		}
		c.b.topics.delete(t.name)
		c.b.groups.topicDeleted(t.name)
		c.b.log.Info("deleted topic", "topic", t.name, "principal", c.subject.User.String())
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
