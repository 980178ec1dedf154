package broker

// Metadata (3), v0–12. ACL: Topic DESCRIBE per topic — when all topics are
// asked, unauthorized ones are silently left out (checks not logged); when
// topics are named, unauthorized ones get 29 before any existence check.
// Auto-creation (allow_auto_topic_creation, auto.create.topics.enable and a
// named topic) needs Cluster CREATE (not logged) or Topic CREATE; denied:
// 29. The broker list names this node at the listener the client used.

import (
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(3, handleMetadata) }

const int32Min = -2147483648

func handleMetadata(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	host, portS, _ := net.SplitHostPort(c.l.advertised)
	port, _ := strconv.Atoi(portS)
	resp.Brokers = []kmsg.MetadataResponseBroker{{NodeID: c.b.cfg.NodeID, Host: host, Port: int32(port)}}
	resp.ClusterID = strp(c.b.cfg.ClusterID)
	resp.ControllerID = c.b.cfg.NodeID
	resp.AuthorizedOperations = int32Min
	if req.IncludeClusterAuthorizedOperations && r.Version >= 8 && r.Version <= 10 {
		if c.authorizeQuiet(az.OpDescribe, az.ResourceCluster, az.ClusterName) {
			resp.AuthorizedOperations = c.authorizedOps(az.ResourceCluster, az.ClusterName)
		} else {
			resp.AuthorizedOperations = 0
		}
	}
	all := req.Topics == nil || (r.Version == 0 && len(req.Topics) == 0)
	if all {
		for _, t := range c.b.topics.all() {
			a := az.NewAction(az.OpDescribe, az.ResourceTopic, t.name)
			a.LogIfDenied = false
			if !c.authorize(a) {
				continue
			}
			resp.Topics = append(resp.Topics, c.b.topicMetadata(c, t, req.IncludeTopicAuthorizedOperations))
		}
		return resp, nil
	}
	autoCreate := req.AllowAutoTopicCreation && c.b.cfg.AutoCreateTopics
	if r.Version < 4 {
		autoCreate = c.b.cfg.AutoCreateTopics
	}
	for _, rt := range req.Topics {
		mt := kmsg.NewMetadataResponseTopic()
		mt.AuthorizedOperations = int32Min
		if rt.Topic == nil { // by topic id (v12+)
			t := c.b.topics.getID(rt.TopicID)
			mt.TopicID = rt.TopicID
			switch {
			case t == nil:
				mt.ErrorCode = kerr.UnknownTopicID.Code
			case !c.authorizeOp(az.OpDescribe, az.ResourceTopic, t.name):
				mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
			default:
				mt = c.b.topicMetadata(c, t, req.IncludeTopicAuthorizedOperations)
			}
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		name := *rt.Topic
		mt.Topic = strp(name)
		if !c.authorizeOp(az.OpDescribe, az.ResourceTopic, name) {
			mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		t := c.b.topics.get(name)
		if t == nil {
			switch {
			case validateTopicName(name) != nil:
				mt.ErrorCode = kerr.InvalidTopicException.Code
			case !autoCreate:
				mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case !c.authorizeQuiet(az.OpCreate, az.ResourceCluster, az.ClusterName) && !c.authorizeOp(az.OpCreate, az.ResourceTopic, name):
				mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
			default:
				if _, _, err := c.b.topics.create(name, c.b.cfg.NumPartitions, nil); err != nil {
					c.b.log.Warn("auto-create failed", "topic", name, "err", err)
					mt.ErrorCode = kerr.UnknownServerError.Code
				} else {
					c.b.log.Info("auto-created topic", "topic", name, "partitions", c.b.cfg.NumPartitions)
					mt.ErrorCode = kerr.LeaderNotAvailable.Code
				}
			}
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		resp.Topics = append(resp.Topics, c.b.topicMetadata(c, t, req.IncludeTopicAuthorizedOperations))
	}
	return resp, nil
}

func (b *Broker) topicMetadata(c *conn, t *topic, withOps bool) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = strp(t.name)
	mt.TopicID = t.id
	mt.IsInternal = t.internal
	mt.AuthorizedOperations = int32Min
	if withOps {
		mt.AuthorizedOperations = c.authorizedOps(az.ResourceTopic, t.name)
	}
	node := []int32{b.cfg.NodeID}
	mt.Partitions = make([]kmsg.MetadataResponseTopicPartition, len(t.partitions))
	for i := range t.partitions {
		mp := &mt.Partitions[i]
		mp.Default()
		mp.Partition = int32(i)
		mp.Leader = b.cfg.NodeID
		mp.LeaderEpoch = 0
		mp.Replicas = node
		mp.ISR = node
		mp.OfflineReplicas = []int32{}
	}
	return mt
}
