package broker

// CreateTopics (19), v0–7. ACL: Cluster CREATE (not logged when denied)
// grants all, else Topic CREATE per name (denied: 29 "Authorization
// failed."); the configs echo (v5+) needs Topic DESCRIBE_CONFIGS (not
// logged). Authorized before existence: an existing topic the caller may
// not create is 29, not 36. Duplicates in one request: 42.

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(19, handleCreateTopics) }

func handleCreateTopics(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	seen := map[string]int{}
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	clusterCreate := c.authorizeQuiet(az.OpCreate, az.ResourceCluster, az.ClusterName)
	for _, rt := range req.Topics {
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		st.NumPartitions, st.ReplicationFactor = -1, -1
		fail := func(code int16, msg string) {
			st.ErrorCode = code
			st.ErrorMessage = strp(msg)
			resp.Topics = append(resp.Topics, st)
		}
		if seen[rt.Topic] > 1 {
			fail(kerr.InvalidRequest.Code, "Duplicate topic name.")
			continue
		}
		if !clusterCreate && !c.authorizeOp(az.OpCreate, az.ResourceTopic, rt.Topic) {
			fail(kerr.TopicAuthorizationFailed.Code, "Authorization failed.")
			continue
		}
		if err := validateTopicName(rt.Topic); err != nil {
			fail(kerr.InvalidTopicException.Code, err.Error())
			continue
		}
		if c.b.topics.get(rt.Topic) != nil {
			fail(kerr.TopicAlreadyExists.Code, fmt.Sprintf("Topic '%s' already exists.", rt.Topic))
			continue
		}
		parts := rt.NumPartitions
		if len(rt.ReplicaAssignment) > 0 {
			if parts != -1 || rt.ReplicationFactor != -1 {
				fail(kerr.InvalidRequest.Code, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
				continue
			}
			parts = int32(len(rt.ReplicaAssignment))
		}
		if parts == -1 {
			parts = c.b.cfg.NumPartitions
		}
		if parts <= 0 {
			fail(kerr.InvalidPartitions.Code, "Number of partitions must be larger than 0.")
			continue
		}
		rf := rt.ReplicationFactor
		if rf == -1 {
			rf = c.b.cfg.DefaultReplication
		}
		if rf <= 0 {
			fail(kerr.InvalidReplicationFactor.Code, "Replication factor must be larger than 0.")
			continue
		}
		if rf > 1 {
			fail(kerr.InvalidReplicationFactor.Code, fmt.Sprintf("Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only 1 broker(s) are registered.", rf, rf))
			continue
		}
		configs, err := validateTopicConfigs(rt.Configs)
		if err != nil {
			fail(kerr.InvalidConfig.Code, err.Error())
			continue
		}
		if !req.ValidateOnly {
			t, created, err := c.b.topics.create(rt.Topic, parts, configs)
			if err != nil {
				fail(kerr.UnknownServerError.Code, err.Error())
				continue
			}
			if !created {
				fail(kerr.TopicAlreadyExists.Code, fmt.Sprintf("Topic '%s' already exists.", rt.Topic))
				continue
			}
			st.TopicID = t.id
			c.b.log.Info("created topic", "topic", rt.Topic, "partitions", parts, "principal", c.subject.User.String())
		}
		if r.Version >= 5 {
			if c.authorizeQuiet(az.OpDescribeConfigs, az.ResourceTopic, rt.Topic) {
				st.NumPartitions, st.ReplicationFactor = parts, rf
				for i := range topicConfigDefs {
					e := c.b.topicEntry(&topicConfigDefs[i], configs, false, false)
					cfg := kmsg.NewCreateTopicsResponseTopicConfig()
					cfg.Name, cfg.Value, cfg.Source = e.Name, e.Value, int8(e.Source)
					st.Configs = append(st.Configs, cfg)
				}
			} else {
				st.ConfigErrorCode = kerr.TopicAuthorizationFailed.Code
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
