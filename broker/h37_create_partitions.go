package broker

// CreatePartitions (37), v0–3. Duplicate topic names → 42 "Duplicate topic
// name." before authorization. ACL: Topic ALTER per distinct name (denied:
// 29 with no message, whether or not the topic exists). Then, as Kafka's
// controller: missing → 3; a count equal to the current one → 37 "Topic
// already has N partition(s)."; lower → 37 "... would not be an
// increase."; manual assignments must list exactly the new partitions,
// each with this node only (39 otherwise). validate_only checks without
// adding. New partitions start empty at leader epoch 0.

import (
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(37, handleCreatePartitions) }

func handleCreatePartitions(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	count := map[string]int{}
	for _, rt := range req.Topics {
		count[rt.Topic]++
	}
	answered := map[string]bool{}
	for i := range req.Topics {
		rt := &req.Topics[i]
		if answered[rt.Topic] {
			continue // one result per distinct name, as Kafka
		}
		answered[rt.Topic] = true
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		switch {
		case count[rt.Topic] > 1:
			st.ErrorCode, st.ErrorMessage = kerr.InvalidRequest.Code, strp("Duplicate topic name.")
		case !c.authorizeOp(az.OpAlter, az.ResourceTopic, rt.Topic):
			st.ErrorCode = kerr.TopicAuthorizationFailed.Code
		default:
			code, msg := c.b.createPartitions(rt, req.ValidateOnly)
			st.ErrorCode = code
			if msg != "" {
				st.ErrorMessage = strp(msg)
			}
			if code == 0 && !req.ValidateOnly {
				c.b.log.Info("created partitions", "topic", rt.Topic, "count", rt.Count, "principal", c.subject.User.String())
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// createPartitions validates and applies one topic's increase.
func (b *Broker) createPartitions(rt *kmsg.CreatePartitionsRequestTopic, validateOnly bool) (int16, string) {
	t := b.topics.get(rt.Topic)
	if t == nil {
		return kerr.UnknownTopicOrPartition.Code, ""
	}
	cur := int32(len(t.partitions))
	switch {
	case rt.Count == cur:
		return kerr.InvalidPartitions.Code, fmt.Sprintf("Topic already has %d partition(s).", cur)
	case rt.Count < cur:
		return kerr.InvalidPartitions.Code, fmt.Sprintf("The topic %s currently has %d partition(s); %d would not be an increase.", rt.Topic, cur, rt.Count)
	}
	additional := rt.Count - cur
	if rt.Assignment != nil {
		if int32(len(rt.Assignment)) != additional {
			return kerr.InvalidReplicaAssignment.Code, fmt.Sprintf("Attempted to add %d additional partition(s), but only %d assignment(s) were specified.", additional, len(rt.Assignment))
		}
		for _, a := range rt.Assignment {
			if msg := b.checkAssignment(a.Replicas); msg != "" {
				return kerr.InvalidReplicaAssignment.Code, msg
			}
		}
	}
	if validateOnly {
		return 0, ""
	}
	if err := b.topics.growPartitions(t, rt.Count); err != nil {
		// The topic changed under us (deleted, or grown by another request).
		b.log.Info("create partitions raced", "topic", rt.Topic, "err", err)
		if b.topics.get(rt.Topic) == nil {
			return kerr.UnknownTopicOrPartition.Code, ""
		}
		return kerr.InvalidPartitions.Code, err.Error()
	}
	return 0, ""
}

// checkAssignment applies Kafka's manual assignment rules on a one-node
// cluster; it returns the error message, or "".
func (b *Broker) checkAssignment(replicas []int32) string {
	if len(replicas) == 0 {
		return "The manual partition assignment includes an empty replica list."
	}
	sorted := slices.Clone(replicas)
	slices.Sort(sorted)
	for i, id := range sorted {
		if id != b.cfg.NodeID {
			return fmt.Sprintf("The manual partition assignment includes broker %d, but no such broker is registered.", id)
		}
		if i > 0 && sorted[i-1] == id {
			return fmt.Sprintf("The manual partition assignment includes the broker %d more than once.", id)
		}
	}
	if len(sorted) != 1 {
		return fmt.Sprintf("The manual partition assignment includes a partition with %d replica(s), but this is not consistent with previous partitions, which have 1 replica(s).", len(sorted))
	}
	return ""
}
